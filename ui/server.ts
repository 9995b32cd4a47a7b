// The node's HTTP server (fastify): /health, the status page and the JSON API that the
// `autoimmune status` command and, later, the dashboard read.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Coordinator } from '../src/cluster/coordinator.ts';
import type { Config } from '../src/config/schema.ts';
import type { ActorSystem } from '../src/supervisors/actor-system.ts';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';
import { registerBansApi, type BansApiParts } from './bans-api.ts';
import type { ClusterHealth } from '../src/cluster/cluster-member.ts';
import type { JournaledBackend } from '../src/firewall/journal.ts';

export interface HttpParts {
  system: ActorSystem;
  coordinator: Coordinator;
  config: Config;
  response?: BansApiParts;
  /** The firewall backend with when each address was last applied. */
  firewall?: JournaledBackend;
  /** Cluster membership (etcd mode): lease, leader, epoch, what this node runs. */
  cluster?: () => ClusterHealth;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Bearer token for mutating calls. */
  readonly token: string;
  attach(parts: HttpParts): void;
  close(): Promise<void>;
}

const STATUS_PAGE = readFileSync(new URL('./status-page.html', import.meta.url), 'utf8');

/** Permanent actors that are not running, as reasons the node is not ready. */
export function notReadyReasons(tree: TreeSnapshot, out: string[] = []): string[] {
  if (tree.restartType === 'permanent' && tree.status !== 'running') out.push(`${tree.path} is ${tree.status}`);
  for (const c of tree.children ?? []) notReadyReasons(c, out);
  return out;
}

function bearerOk(req: FastifyRequest, token: string): boolean {
  const h = req.headers.authorization ?? '';
  const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export async function startHttpServer(options: Config['http']): Promise<HttpServer> {
  const app = Fastify({ logger: false });
  const token = options.token ?? randomBytes(24).toString('hex');
  let parts: HttpParts | undefined;
  const started = Date.now();

  app.get('/health', async (_req, reply) => {
    const reasons: string[] = [];
    if (!parts) reasons.push('the actor system is not started yet');
    else {
      if (parts.system.gaveUp) reasons.push(`root supervisor gave up: ${parts.system.gaveUp.message}`);
      notReadyReasons(parts.system.snapshot().tree, reasons);
    }
    const c = parts?.cluster?.();
    if (c && c.lease !== 'held') reasons.push(`no cluster lease (${c.lease}): this node runs no shards until it holds one`);
    const ready = reasons.length === 0;
    reply.code(ready ? 200 : 503);
    const cluster = c
      ? { coordinator: 'etcd', lease: c.lease, leaseId: c.leaseId, leader: c.leader, isLeader: c.isLeader, epoch: c.epoch, owned: c.owned, members: c.members }
      : { coordinator: 'embedded', lease: 'held', leader: parts?.system.nodeId ?? null, isLeader: true };
    return { status: ready ? 'ok' : 'unavailable', live: true, ready, reasons, node: parts?.system.nodeId, uptimeS: Math.round((Date.now() - started) / 1000), cluster };
  });

  app.get('/api/cluster', async (_req, reply) => {
    if (!parts) return reply.code(503).send({ error: 'the actor system is not started yet' });
    return parts.cluster?.() ?? { mode: 'embedded', node: parts.system.nodeId };
  });

  // What this node's firewall holds, and when each address was applied (ms since the epoch).
  app.get<{ Querystring: { address?: string } }>('/api/firewall', async (req, reply) => {
    if (!parts?.firewall) return reply.code(503).send({ error: 'the firewall is not started yet' });
    const fw = parts.firewall;
    const a = req.query.address;
    if (a !== undefined) return { backend: fw.name, address: a, appliedAt: fw.appliedAt.get(a) ?? null };
    return { backend: fw.name, entries: await fw.list(), appliedAt: Object.fromEntries(fw.appliedAt) };
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(STATUS_PAGE));

  app.get('/api/tree', async (_req, reply) => {
    if (!parts) return reply.code(503).send({ error: 'the actor system is not started yet' });
    return parts.system.snapshot();
  });

  app.get<{ Querystring: { limit?: string } }>('/api/events', async (req, reply) => {
    if (!parts) return reply.code(503).send({ error: 'the actor system is not started yet' });
    const limit = Number(req.query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return reply.code(400).send({ error: `limit must be an integer from 1 to 500, got ${JSON.stringify(req.query.limit)}` });
    return parts.system.lifecycle.recent.slice(-limit);
  });

  app.get('/api/nodes', async (_req, reply) => {
    if (!parts) return reply.code(503).send({ error: 'the actor system is not started yet' });
    const { items } = await parts.coordinator.list(`/autoimmune/${parts.config.cluster.name}/nodes/`);
    return { coordinator: parts.coordinator.kind, nodes: items.map((kv) => JSON.parse(kv.value) as unknown) };
  });

  // Crash injection over HTTP: the chaos monkey's lever from outside the process.
  app.post<{ Body: { path?: unknown } }>('/api/crash', async (req, reply) => {
    if (!bearerOk(req, token)) return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
    if (!parts) return reply.code(503).send({ error: 'the actor system is not started yet' });
    const path = req.body?.path;
    if (typeof path !== 'string') return reply.code(400).send({ error: `body must be {"path": "/some/actor"}, got path ${JSON.stringify(path)}` });
    if (!parts.system.lookup(path)) return reply.code(404).send({ error: `no actor at path ${JSON.stringify(path)}` });
    if (path === '/') return reply.code(400).send({ error: 'the root supervisor cannot be crashed: pick one of its descendants' });
    return { path, crashed: parts.system.crash(path) };
  });

  registerBansApi(app, () => parts?.response, (req) => bearerOk(req, token));

  let address: string;
  try {
    address = await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`http: ${options.host}:${options.port} is already in use; stop the other process or set http.port (0 picks a free port)`, { cause: err });
    throw err;
  }
  return {
    app,
    url: address,
    token,
    attach(p) {
      parts = p;
    },
    async close() {
      await app.close();
    },
  };
}
