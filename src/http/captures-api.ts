// /api/captures: a capture sent to the node is replayed through its packet path
// (src/node/capture-uploads.ts; `autoimmune replay --to URL FILE`).
//   POST /api/captures?name=F&speed=max|10x   the file as the body (token); 202 and its status
//   GET  /api/captures/:id                    its status: packets, alerts and bans meanwhile
//   GET  /api/captures                        every replay of the last hour
// The body is streamed to disk, never held in memory; its limit is http.captureUploadMb.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { CaptureUploads } from '../node/capture-uploads.ts';
import { parseSpeed } from '../net/file-source.ts';
import { clientStatus } from './http-errors.ts';

const CAPTURE_TYPES = ['application/octet-stream', 'application/vnd.tcpdump.pcap', 'application/x-pcapng'];

export function registerCapturesApi(app: FastifyInstance, captures: () => CaptureUploads | undefined, authorised: (req: FastifyRequest) => boolean): void {
  const need = (reply: FastifyReply) => {
    const c = captures();
    if (!c) void reply.code(503).send({ error: 'the packet path is not started yet' });
    return c;
  };
  void app.register(async (scope) => {
    // Only here: the body stays a stream, for the handler to write to disk.
    scope.addContentTypeParser(CAPTURE_TYPES, (_req, payload, done) => done(null, payload));
    scope.post<{ Querystring: { name?: string; speed?: string } }>(
      '/api/captures',
      {
        // Before the body is read: a client without the token sends no capture.
        onRequest: async (req, reply) => {
          if (!authorised(req)) return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
        },
      },
      async (req, reply) => {
        const c = need(reply);
        if (!c) return reply;
        if (!(req.body && typeof (req.body as Readable).pipe === 'function')) {
          return reply.code(415).send({ error: `send the capture as the body, with content-type ${CAPTURE_TYPES.join(' or ')}`, code: 'AI_ERR_BAD_REQUEST' });
        }
        let speed: number;
        try {
          speed = parseSpeed(req.query.speed ?? 'max');
        } catch (err) {
          return reply.code(400).send({ error: (err as Error).message.replace('--speed', 'speed'), code: 'AI_ERR_BAD_REQUEST' });
        }
        const name = (req.query.name ?? 'capture').slice(0, 200);
        const length = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
        try {
          return reply.code(202).send(await c.receive(req.body as Readable, { name, speed, length }));
        } catch (err) {
          const status = clientStatus(err);
          if (!status) throw err;
          // A refused body is not read further: the connection closes after the answer.
          if (status === 413) void reply.header('connection', 'close');
          return reply.code(status).send({ error: (err as Error).message, code: (err as { code: string }).code });
        }
      },
    );
  });

  // What a client checks before it sends: a refused upload is cut short by the node, and the
  // client may see the broken pipe before the answer.
  app.get('/api/captures/limits', async (_req, reply) => {
    const c = need(reply);
    if (!c) return reply;
    return { maxBytes: c.maxBytes };
  });

  app.get<{ Params: { id: string } }>('/api/captures/:id', async (req, reply) => {
    const c = need(reply);
    if (!c) return reply;
    const s = c.status(req.params.id);
    if (!s) return reply.code(404).send({ error: `no capture ${JSON.stringify(req.params.id)} on this node (a finished replay's status is kept an hour)`, code: 'AI_ERR_NO_SUCH_CAPTURE' });
    return s;
  });

  app.get('/api/captures', async (_req, reply) => {
    const c = need(reply);
    if (!c) return reply;
    return c.list();
  });
}
