// /api/allow: the allow-list changed at run time (src/respond/operator-allow.ts). GET lists it
// (the configured entries and those added here); POST {address, note} allows an address or net
// and answers with the bans that lifted; DELETE /api/allow/:address takes an entry out. The
// changes need the bearer token. A refusal (bad address, too wide, not on the list) is the
// error handler's to answer, with its message and code.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OperatorAllowList } from '../respond/operator-allow.ts';

export function registerAllowApi(app: FastifyInstance, allow: () => OperatorAllowList | undefined, authorised: (req: FastifyRequest) => boolean): void {
  const need = (reply: FastifyReply) => {
    const a = allow();
    if (!a) void reply.code(503).send({ error: 'the response side is not started yet' });
    return a;
  };
  const unauthorised = (reply: FastifyReply) => reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)', code: 'AI_ERR_UNAUTHORISED' });

  app.get('/api/allow', async (_req, reply) => {
    const a = need(reply);
    if (!a) return reply;
    return a.list();
  });

  app.post<{ Body: { address?: unknown; note?: unknown } | null }>('/api/allow', async (req, reply) => {
    if (!authorised(req)) return unauthorised(reply);
    const a = need(reply);
    if (!a) return reply;
    const body = req.body ?? {};
    const unknown = typeof body === 'object' ? Object.keys(body).filter((k) => k !== 'address' && k !== 'note') : [];
    if (unknown.length > 0) return reply.code(400).send({ error: `unknown field ${JSON.stringify(unknown[0])} in the body (allowed: address, note)`, code: 'AI_ERR_BAD_REQUEST' });
    const { address, note } = body;
    if (typeof address !== 'string') return reply.code(400).send({ error: `body must be {"address": "203.0.113.7", "note": "why"}; address is ${JSON.stringify(address)}`, code: 'AI_ERR_BAD_ADDRESS' });
    if (note !== undefined && (typeof note !== 'string' || note.length > 200)) return reply.code(400).send({ error: 'note must be a string of at most 200 characters', code: 'AI_ERR_BAD_REQUEST' });
    const r = await a.add(address, note?.trim() || null);
    return reply.code(r.existed ? 200 : 201).send(r);
  });

  app.delete<{ Params: { address: string } }>('/api/allow/:address', async (req, reply) => {
    if (!authorised(req)) return unauthorised(reply);
    const a = need(reply);
    if (!a) return reply;
    return { removed: a.remove(decodeURIComponent(req.params.address)) };
  });
}
