// The feeds part of the JSON API: the feeds and their last refresh (GET /api/feeds), a one-off
// import of a list (POST /api/feeds/import, the list as the text body: what `autoimmune feeds
// import FILE` sends) and a refresh of a configured feed now (POST /api/feeds/:name/refresh).
// Mutating calls need the bearer token.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FEED_FORMATS, type FeedFormat } from '../feeds/feed-formats.ts';
import { FEED_NAME } from '../feeds/feed-import.ts';
import { MAX_FEED_BYTES } from '../feeds/feed-config.ts';
import type { FeedRunner } from '../feeds/feed-runner.ts';

/** Ban length of a one-off import without --ttl: a day, as a list is usually refreshed daily at the least. */
export const IMPORT_DEFAULT_TTL_S = 86_400;
const MAX_TTL_S = 31_536_000;

export function registerFeedsApi(app: FastifyInstance, runner: () => FeedRunner | undefined, authorised: (req: FastifyRequest) => boolean): void {
  const need = (reply: FastifyReply) => {
    const r = runner();
    if (!r) void reply.code(503).send({ error: 'the feeds are not started yet' });
    return r;
  };
  const bad = (reply: FastifyReply, error: string) => reply.code(400).send({ error, code: 'AI_ERR_BAD_REQUEST' });

  app.get('/api/feeds', async (_req, reply) => {
    const r = need(reply);
    if (!r) return reply;
    return r.list();
  });

  app.post<{ Querystring: { name?: string; format?: string; ttl?: string; source?: string }; Body: string }>(
    '/api/feeds/import',
    { bodyLimit: MAX_FEED_BYTES },
    async (req, reply) => {
      if (!authorised(req)) return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
      const r = need(reply);
      if (!r) return reply;
      const { name, format = 'auto', ttl, source } = req.query;
      if (typeof name !== 'string' || !FEED_NAME.test(name)) return bad(reply, `name ${JSON.stringify(name)}: a letter or digit, then up to 62 letters, digits, "_", "." or "-"`);
      if (format !== 'auto' && !FEED_FORMATS.includes(format as FeedFormat)) return bad(reply, `format ${JSON.stringify(format)}: expected auto or one of ${FEED_FORMATS.join(', ')}`);
      const ttlS = ttl === undefined ? IMPORT_DEFAULT_TTL_S : Number(ttl);
      if (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > MAX_TTL_S) return bad(reply, `ttl ${JSON.stringify(ttl)}: a whole number of seconds from 1 to ${MAX_TTL_S}`);
      if (typeof req.body !== 'string') return bad(reply, 'send the list as the body, with content-type text/plain');
      try {
        return await r.importText({ name, text: req.body, format: format as FeedFormat | 'auto', ttlS, source: source ?? name });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'AI_ERR_FEED_FORMAT') return reply.code(400).send({ error: (err as Error).message, code });
        throw err;
      }
    },
  );

  app.post<{ Params: { name: string } }>('/api/feeds/:name/refresh', async (req, reply) => {
    if (!authorised(req)) return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
    const r = need(reply);
    if (!r) return reply;
    if (!(await r.list()).some((f) => f.name === req.params.name && f.configured)) return reply.code(404).send({ error: `no configured feed ${JSON.stringify(req.params.name)}`, code: 'AI_ERR_NO_SUCH_FEED' });
    try {
      return await r.refresh(req.params.name);
    } catch (err) {
      return reply.code(502).send({ error: (err as Error).message, code: (err as { code?: string }).code ?? 'AI_ERR_FEED' });
    }
  });
}
