// CrowdSec's Local API for bouncers, as CrowdSec 1.4/1.5 serves it, so the bouncers operators
// already run (firewall, nginx, HAProxy, Cloudflare…) enforce this node's bans:
//   GET /v1/decisions/stream?startup=true|false[&scopes=…&origins=…]  {"new": [...], "deleted": [...]}
//   GET /v1/decisions?ip=|range=|value=&scope=&type=                   [...] or null when none
// authenticated by the `X-Api-Key` header (403 {"message": "access forbidden"} otherwise), and
// the node's own API to manage the keys (bearer token): GET/POST /api/bouncers,
// DELETE /api/bouncers/:name.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BouncerKeys, BouncerRecord } from '../bouncer/bouncer-keys.ts';
import type { DecisionStream, StreamFilters } from '../bouncer/decision-stream.ts';

export interface LapiParts {
  keys: BouncerKeys;
  stream: DecisionStream;
  /** lapi.enabled: false serves 404 on /v1 (the keys can still be managed). */
  enabled: boolean;
}

export function registerLapi(app: FastifyInstance, parts: () => LapiParts | undefined, authorised: (req: FastifyRequest) => boolean): void {
  /** The bouncer the request's key names, or a reply already sent. */
  const bouncer = (req: FastifyRequest, reply: FastifyReply): { p: LapiParts; b: BouncerRecord } | null => {
    const p = parts();
    if (!p?.enabled) {
      void reply.code(p ? 404 : 503).send({ message: p ? 'the bouncer API is off on this node (lapi.enabled)' : 'the node is not started yet' });
      return null;
    }
    const key = req.headers['x-api-key'];
    const b = p.keys.authenticate(typeof key === 'string' ? key : undefined, { ip: req.ip, version: req.headers['user-agent'] });
    if (!b) {
      void reply.code(403).send({ message: 'access forbidden' });
      return null;
    }
    return { p, b };
  };

  app.get<{ Querystring: StreamFilters & { startup?: string } }>('/v1/decisions/stream', async (req, reply) => {
    const got = bouncer(req, reply);
    if (!got) return reply;
    const startup = req.query.startup === 'true';
    return got.p.stream.pull(got.b.name, startup, req.query);
  });

  app.get<{ Querystring: { ip?: string; range?: string; value?: string; scope?: string; type?: string } }>('/v1/decisions', async (req, reply) => {
    const got = bouncer(req, reply);
    if (!got) return reply;
    const found = got.p.stream.query(req.query);
    // CrowdSec answers null, not [], when nothing matches.
    return reply.type('application/json').send(found.length > 0 ? JSON.stringify(found) : 'null');
  });

  // CrowdSec 1.6's bouncers report their own counters here; this node has no use for them
  // yet, so they are accepted (authenticated) and not kept, as a LAPI without the feature would.
  app.post('/v1/usage-metrics', async (req, reply) => {
    const got = bouncer(req, reply);
    if (!got) return reply;
    return reply.code(201).send();
  });

  const admin = (req: FastifyRequest, reply: FastifyReply): LapiParts | null => {
    if (!authorised(req)) {
      void reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
      return null;
    }
    const p = parts();
    if (!p) void reply.code(503).send({ error: 'the node is not started yet' });
    return p ?? null;
  };

  app.get('/api/bouncers', async (req, reply) => {
    const p = admin(req, reply);
    if (!p) return reply;
    return p.keys.list().map(({ keyHash: _keyHash, ...r }) => r);
  });

  app.post<{ Body: { name?: unknown } | null }>('/api/bouncers', async (req, reply) => {
    const p = admin(req, reply);
    if (!p) return reply;
    const name = req.body?.name;
    if (typeof name !== 'string') return reply.code(400).send({ error: `body must be {"name": "..."}, got name ${JSON.stringify(name)}`, code: 'AI_ERR_BAD_BOUNCER_NAME' });
    try {
      const key = p.keys.add(name);
      return reply.code(201).send({ name, key, apiUrl: `${req.protocol}://${req.headers.host ?? req.hostname}/`, lapiEnabled: p.enabled });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'AI_ERR_BAD_BOUNCER_NAME') return reply.code(400).send({ error: (err as Error).message, code });
      if (code === 'AI_ERR_BOUNCER_EXISTS') return reply.code(409).send({ error: (err as Error).message, code });
      throw err;
    }
  });

  app.delete<{ Params: { name: string } }>('/api/bouncers/:name', async (req, reply) => {
    const p = admin(req, reply);
    if (!p) return reply;
    if (!p.keys.delete(req.params.name)) return reply.code(404).send({ error: `no bouncer named ${JSON.stringify(req.params.name)}`, code: 'AI_ERR_NO_SUCH_BOUNCER' });
    return { deleted: req.params.name };
  });
}
