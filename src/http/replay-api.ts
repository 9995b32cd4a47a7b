// GET/POST /api/replay: the rate of this node's count-paced replay (capture.replay with pps
// above 0), changed while it runs. The chaos monkey's load spike (10× for a while, then back);
// an operator's throttle for a demo.

import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The rate the replay source reads at every step; shared with it by the node. */
export interface ReplayPace {
  pps: number;
  readonly configuredPps: number;
}

export const MAX_REPLAY_PPS = 10_000_000;

export function registerReplayApi(app: FastifyInstance, pace: () => ReplayPace | undefined, authorised: (req: FastifyRequest) => boolean): void {
  const noReplay = 'this node has no count-paced replay (capture.replay needs files and pps above 0)';
  app.get('/api/replay', async (_req, reply) => {
    const p = pace();
    if (!p) return reply.code(404).send({ error: noReplay });
    return { pps: p.pps, configuredPps: p.configuredPps };
  });
  app.post<{ Body: Record<string, unknown> | undefined }>('/api/replay', async (req, reply) => {
    if (!authorised(req)) return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
    const p = pace();
    if (!p) return reply.code(404).send({ error: noReplay });
    const body = req.body ?? {};
    const unknown = Object.keys(body).filter((k) => k !== 'pps' && k !== 'factor');
    if (unknown.length) return reply.code(400).send({ error: `unknown field ${JSON.stringify(unknown[0])}: give {"pps": N} or {"factor": F} (of capture.replay.pps)` });
    const { pps, factor } = body;
    if ((pps === undefined) === (factor === undefined)) return reply.code(400).send({ error: 'give exactly one of {"pps": N} or {"factor": F}' });
    const next = pps !== undefined ? pps : typeof factor === 'number' ? Math.round(p.configuredPps * factor) : NaN;
    if (pps !== undefined && !(typeof pps === 'number' && Number.isInteger(pps))) return reply.code(400).send({ error: `pps must be an integer, got ${JSON.stringify(pps)}` });
    if (factor !== undefined && !(typeof factor === 'number' && factor > 0)) return reply.code(400).send({ error: `factor must be a number above 0, got ${JSON.stringify(factor)}` });
    if (!(typeof next === 'number' && next >= 1 && next <= MAX_REPLAY_PPS)) return reply.code(400).send({ error: `the rate must be 1 to ${MAX_REPLAY_PPS} packets/s, got ${JSON.stringify(next)}` });
    p.pps = next;
    return { pps: p.pps, configuredPps: p.configuredPps };
  });
}
