// What an error becomes in an HTTP answer. An error that is the client's fault (an
// AutoimmuneError whose code means bad input, a refusal, a limit) keeps its message, which
// names the bad value and what to do, with its code. Anything else is the node's own failure:
// the client gets a generic 500 with a request id, and the detail (which may name files,
// SQL or the database's internals) goes to the node's log under that id.

import type { FastifyError, FastifyInstance } from 'fastify';
import { AutoimmuneError } from '../errors.ts';

/**
 * The status of an error the client caused or may retry (the error's own statusCode: a 4xx,
 * or 503 while stopping), or undefined for the node's own failure (500).
 */
export function clientStatus(err: unknown): number | undefined {
  if (!(err instanceof AutoimmuneError)) return undefined;
  const s = err.statusCode;
  return (s >= 400 && s < 500) || s === 503 ? s : undefined;
}

/**
 * Installs the error handler: client errors with their message and code; fastify's own 4xx
 * (malformed JSON, a wrong content type) with theirs, a body over its route's limit as a 413
 * naming the limit; everything else a generic 500, its detail to `log`.
 */
export function installErrorHandler(app: FastifyInstance, log: (line: string) => void): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = clientStatus(err);
    if (status !== undefined) {
      const retry = (err as { retryAfterS?: number }).retryAfterS;
      if (retry !== undefined) void reply.header('retry-after', String(retry));
      return reply.code(status).send({ error: err.message, code: err.code });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = req.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit;
      return reply.code(413).send({ error: `the request body is over ${limit} bytes, the limit of ${req.method} ${req.routeOptions.url ?? req.url}: send less`, code: 'AI_ERR_BODY_TOO_LARGE' });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 && err.code?.startsWith('FST_')) {
      return reply.code(err.statusCode).send({ error: err.message, code: err.code });
    }
    log(`autoimmune: http: ${req.method} ${req.url.slice(0, 200)} failed (request ${req.id}): ${err.stack ?? String(err)}`);
    return reply.code(500).send({ error: `internal error in this node (request ${req.id}); its log has the detail`, requestId: req.id });
  });
}

/** The node's HTTP port cannot be had: in use, privileged, or an address not on this machine. */
export class HttpListenError extends AutoimmuneError {
  constructor(host: string, port: number, code: string | undefined, options?: { cause?: unknown }) {
    super('AI_ERR_HTTP_LISTEN', listenMessage(host, port, code), options);
  }
}

function listenMessage(host: string, port: number, code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE':
      return `http.port ${port} on ${host} is already in use by another process: stop that process, or give this node another port (--port N or http.port in the config; 0 picks a free one)`;
    case 'EACCES':
      return `http.port ${port} on ${host} needs root or CAP_NET_BIND_SERVICE (ports below 1024): give a port from 1024 up (--port N or http.port)`;
    case 'EADDRNOTAVAIL':
      return `http.host ${host} is not an address of this machine: give one of its addresses, or 0.0.0.0 for all (--host or http.host)`;
    case 'ENOTFOUND':
      return `http.host ${host} is not a name this machine can resolve: give an address (--host or http.host)`;
    default:
      return `the API cannot listen on ${host}:${port} (http.host, http.port): ${code ?? 'unknown error'}`;
  }
}
