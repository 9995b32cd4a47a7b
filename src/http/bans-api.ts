// The bans part of the JSON API, the same one the CLI uses: list bans, decisions and alerts;
// block and unblock (mutating: bearer token). Errors carry the stable code and the message
// that names the bad value.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ban } from '../respond/ban-registry.ts';
import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';
import { clientStatus } from './http-errors.ts';
import type { BlockGate } from './rate-limits.ts';

/** What the API needs of the node's response side. */
export interface BansApiParts {
  /** The decision, with the ban it replaced when the address was banned already (re-blocking). */
  block(address: string, ttlS: number | undefined, reason: string | undefined, options?: { force?: boolean }): Promise<Decision & { replaced?: Ban }>;
  unblock(address: string): Promise<{ decision: Decision; existed: boolean }>;
  bans(): Promise<Ban[]>;
  decisions(limit: number): unknown[];
  alerts(limit: number): Alert[];
  /** Alerts seen since start: the sequence number of the newest. */
  readonly alertsSeen: number;
}

/** A refusal the client caused (clientStatus) answered with its message; anything else goes to the error handler. */
function fail(reply: FastifyReply, err: unknown) {
  const status = clientStatus(err);
  if (!status) throw err;
  return reply.code(status).send({ error: (err as Error).message, code: (err as { code: string }).code });
}

function limitOf(q: { limit?: string }, reply: FastifyReply): number | undefined {
  const limit = Number(q.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    void reply.code(400).send({ error: `limit must be an integer from 1 to 10000, got ${JSON.stringify(q.limit)}` });
    return undefined;
  }
  return limit;
}

export function registerBansApi(
  app: FastifyInstance,
  parts: () => BansApiParts | undefined,
  authorised: (req: FastifyRequest) => boolean,
  blocks: BlockGate,
): void {
  const need = (reply: FastifyReply) => {
    const p = parts();
    if (!p) void reply.code(503).send({ error: 'the response side is not started yet' });
    return p;
  };
  const unauthorised = (reply: FastifyReply) => reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });

  app.get('/api/bans', async (_req, reply) => {
    const p = need(reply);
    if (!p) return reply;
    const now = Date.now();
    const bans = await p.bans();
    return bans.sort((a, b) => b.at - a.at).map((b) => ({ ...b, remainingS: Math.max(0, Math.round((b.expiresAt - now) / 1000)) }));
  });

  app.get<{ Querystring: { limit?: string } }>('/api/decisions', async (req, reply) => {
    const p = need(reply);
    const limit = limitOf(req.query, reply);
    if (!p || limit === undefined) return reply;
    return p.decisions(limit);
  });

  // ?after=N: the alerts after sequence number N, as {total, alerts} (what a dashboard of
  // another node polls); without it, the newest `limit` alerts as a list.
  app.get<{ Querystring: { limit?: string; after?: string } }>('/api/alerts', async (req, reply) => {
    const p = need(reply);
    const limit = limitOf(req.query, reply);
    if (!p || limit === undefined) return reply;
    // The feature vectors (100 numbers each) stay out: they serve similarity search in the store.
    const plain = (list: Alert[]) => list.map(({ features: _features, ...a }) => a);
    if (req.query.after === undefined) return plain(p.alerts(limit));
    const after = Number(req.query.after);
    if (!Number.isInteger(after) || after < 0) return reply.code(400).send({ error: `after must be a non-negative integer, got ${JSON.stringify(req.query.after)}` });
    const total = p.alertsSeen;
    const n = Math.min(limit, Math.max(0, total - after));
    return { total, alerts: n > 0 ? plain(p.alerts(n)) : [] };
  });

  // Blocks per second the API takes (http.blockRate, shared with the block_addresses tool): a
  // dashboard click or a script, not a flood of POSTs that would fill the registry and every
  // firewall (429, saying why).
  app.post<{ Body: { address?: unknown; ttl?: unknown; reason?: unknown; force?: unknown } | null }>('/api/bans', async (req, reply) => {
    if (!authorised(req)) return unauthorised(reply);
    blocks.take(1, 'POST /api/bans');
    const p = need(reply);
    if (!p) return reply;
    const body = req.body ?? {};
    const unknown = typeof body === 'object' ? Object.keys(body).filter((k) => k !== 'address' && k !== 'ttl' && k !== 'reason' && k !== 'force') : [];
    if (unknown.length > 0) return reply.code(400).send({ error: `unknown field ${JSON.stringify(unknown[0])} in the body (allowed: address, ttl in seconds, reason, force)`, code: 'AI_ERR_BAD_REQUEST' });
    const { address, ttl, reason, force } = body;
    if (force !== undefined && typeof force !== 'boolean') return reply.code(400).send({ error: `force must be true or false, got ${JSON.stringify(force)}`, code: 'AI_ERR_BAD_REQUEST' });
    if (typeof address !== 'string') return reply.code(400).send({ error: `body must be {"address": "1.2.3.4", "ttl": 3600, "reason": "..."}; address is ${JSON.stringify(address)}`, code: 'AI_ERR_BAD_ADDRESS' });
    if (ttl !== undefined && typeof ttl !== 'number') return reply.code(400).send({ error: `ttl must be a number of seconds, got ${JSON.stringify(ttl)}`, code: 'AI_ERR_BAD_TTL' });
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) return reply.code(400).send({ error: 'reason must be a string of at most 500 characters' });
    try {
      return reply.code(201).send(await p.block(address, ttl, reason, { force: force === true }));
    } catch (err) {
      return fail(reply, err);
    }
  });

  app.delete<{ Params: { address: string } }>('/api/bans/:address', async (req, reply) => {
    if (!authorised(req)) return unauthorised(reply);
    const p = need(reply);
    if (!p) return reply;
    try {
      const r = await p.unblock(decodeURIComponent(req.params.address));
      return reply.code(r.existed ? 200 : 404).send(r.existed ? r.decision : { error: `${r.decision.address} is not banned`, code: 'AI_ERR_NOT_BANNED' });
    } catch (err) {
      return fail(reply, err);
    }
  });
}
