// The node's HTTP server (fastify): /health, the status page and the JSON API that the
// `autoimmune status` command and, later, the dashboard read.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Coordinator } from '../cluster/coordinator.ts';
import type { Config } from '../config/schema.ts';
import type { ActorSystem } from '../supervisors/actor-system.ts';
import type { TreeSnapshot } from '../supervisors/cell.ts';
import { registerBansApi, type BansApiParts } from './bans-api.ts';
import { registerReplayApi, type ReplayPace } from './replay-api.ts';
import { registerAskApi, type AskParts } from './ask-api.ts';
import { registerOperatorApis } from './operator-api.ts';
import { registerOperatorMetrics } from './operator-metrics.ts';
import { registerBanViewApi, type BanGeo } from './ban-view-api.ts';
import { registerAlertRecordsApi, type AlertRecordsParts } from './alert-records-api.ts';
import { registerAllowApi } from './allow-api.ts';
import { registerCapturesApi } from './captures-api.ts';
import type { OperatorAllowList } from '../respond/operator-allow.ts';
import type { CaptureUploads } from '../node/capture-uploads.ts';
import type { OperatorServices } from '../node/operator-services.ts';
import type { ClusterHealth } from '../cluster/cluster-member.ts';
import type { JournaledBackend } from '../firewall/journal.ts';
import type { BanRegistry } from '../respond/ban-registry.ts';
import { WebSocketServer } from 'ws';
import { DashboardHub, type HubParts } from '../../ui/dashboard-hub.ts';
import { createMetrics, type MetricsParts } from './metrics.ts';
import { worldGeoJson } from './world-map.ts';
import { HostAllowList } from './host-check.ts';
import { HttpListenError, installErrorHandler } from './http-errors.ts';
import { BlockGate, ClientLimits } from './rate-limits.ts';
import { packageFile } from '../util/package-files.ts';

export interface HttpParts {
  system: ActorSystem;
  coordinator: Coordinator;
  config: Config;
  response?: BansApiParts;
  /** The firewall backend with when each address was last applied. */
  firewall?: JournaledBackend;
  /** Cluster membership (etcd mode): lease, leader, epoch, what this node runs. */
  cluster?: () => ClusterHealth;
  /** The node's response desk: alerts and decisions as they happen (dashboard, metrics). */
  desk?: HubParts['desk'] & MetricsParts['desk'];
  /** The ban registry, whose changes the dashboard follows. */
  registry?: BanRegistry;
  /** The other members whose trees and alerts the dashboard shows (cluster mode). */
  peers?: () => Array<{ id: string; http: string }>;
  /** The rate of a count-paced replay, changed through POST /api/replay. */
  replay?: ReplayPace;
  /** The event store: questions and function tools. */
  events?: AskParts;
  /** Feeds, CrowdSec's bouncer API and notifications. */
  operator?: OperatorServices;
  /** The anomaly model's state: version in force, grace progress, threshold, candidate in shadow. */
  model?: () => ModelState;
  /** What is never banned (with where each entry came from) and the bans the firewall set aside. */
  protection?: { entries(): ReadonlyArray<{ net: string; why: string; forceable?: boolean }>; setAside(): ReadonlyMap<string, string> };
  /** Country and AS of an address, from this node's GeoIP (the CLI's bans table). */
  geo?: (address: string) => BanGeo;
  /** Alerts with their numbers and outcomes (`autoimmune alerts`). */
  alertRecords?: AlertRecordsParts;
  /** The allow-list changed at run time (`autoimmune allow`). */
  allow?: OperatorAllowList;
  /** Captures sent to be replayed through the packet path (`autoimmune replay --to`). */
  captures?: CaptureUploads;
}

export interface ModelState {
  /** In grace: the first model is being learnt from `graceRows` rows. */
  grace: boolean;
  rowsCollected: number;
  graceRows: number;
  /** The model in force here (local version), or null. */
  version: number | null;
  threshold: number | null;
  /** A retrained model scored in shadow beside it, or null. */
  candidate: number | null;
  /** In a cluster: the node that promoted the model in force and its version there. */
  cluster: { origin: string; version: number } | null;
}

export interface HttpServer {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Bearer token for mutating calls. */
  readonly token: string;
  attach(parts: HttpParts): void;
  /** The dashboard's live state (after attach). */
  readonly hub: DashboardHub | undefined;
  close(): Promise<void>;
}

const STATUS_PAGE = readFileSync(packageFile('ui/status-page.html'), 'utf8');
const PUBLIC = packageFile('ui/public/');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/** A file of the dashboard (ui/public), by plain name only: no paths, no dot files. */
function publicFile(name: string): { body: string; type: string } | undefined {
  if (!/^[A-Za-z0-9_-]+\.(html|js|css|svg)$/.test(name)) return undefined;
  try {
    return { body: readFileSync(new URL(name, PUBLIC), 'utf8'), type: TYPES[name.slice(name.lastIndexOf('.'))]! };
  } catch {
    return undefined;
  }
}

/**
 * The WebSocket is read-only but shows the tree, alerts and bans: a page of another site
 * must not be able to read them through the user's browser (WebSockets are not bound by
 * the same-origin policy), so a browser's Origin must be this server's own.
 */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true; // not a browser (curl, the CLI, tests)
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

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

/**
 * Request bodies the server reads at most, unless a route says less: the largest route body
 * is POST /api/chaos (100 events of up to ~800 characters; 256 KiB leaves room for escapes).
 * A longer body is refused from its Content-Length, before it is read.
 */
export const BODY_LIMIT = 256 * 1024;

export interface HttpServerOptions {
  /** Where the detail of an internal error goes (default stderr); the client gets a request id. */
  log?: (line: string) => void;
}

export async function startHttpServer(options: Config['http'], o: HttpServerOptions = {}): Promise<HttpServer> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Request ids name a failure in the log and in the answer; random, so they do not count requests.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, genReqId: () => randomBytes(6).toString('hex') });
  installErrorHandler(app, log);
  const token = options.token ?? randomBytes(24).toString('hex');
  const hosts = new HostAllowList({ bound: options.host, allowed: options.allowedHosts });
  // Every request, before its body is read: a page of another site re-pointed at this node by
  // DNS (rebinding) sends its own name as Host.
  app.addHook('onRequest', async (req, reply) => {
    if (!hosts.allows(req.headers.host)) return reply.code(421).send(hosts.refusal(req.headers.host));
  });
  let parts: HttpParts | undefined;
  let hub: DashboardHub | undefined;
  let metrics: ReturnType<typeof createMetrics> | undefined;
  const started = Date.now();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (!hosts.allows(req.headers.host)) {
      const body = JSON.stringify(hosts.refusal(req.headers.host));
      socket.end(`HTTP/1.1 421 Misdirected Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    if (path !== '/ws' || !hub || !sameOrigin(req.headers.origin, req.headers.host)) {
      socket.end(`HTTP/1.1 ${path !== '/ws' ? '404 Not Found' : !hub ? '503 Service Unavailable' : '403 Forbidden'}\r\nconnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => hub?.addClient(ws));
  });

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
    if (a !== undefined) {
      const last = fw.applied.get(a);
      return { backend: fw.name, address: a, appliedAt: last?.at ?? null, appliedTimeoutS: last?.timeoutS ?? null, setAside: parts.protection?.setAside().get(a) ?? null };
    }
    const setAside = [...(parts.protection?.setAside() ?? new Map<string, string>())].map(([address, why]) => ({ address, why }));
    const appliedAt: Record<string, number> = {};
    const appliedTimeoutS: Record<string, number> = {};
    for (const [address, last] of fw.applied) {
      appliedAt[address] = last.at;
      appliedTimeoutS[address] = last.timeoutS;
    }
    return { backend: fw.name, entries: await fw.list(), appliedAt, appliedTimeoutS, setAside };
  });

  app.get('/api/model', async (_req, reply) => {
    if (!parts) return reply.code(503).send({ error: 'the node is starting' });
    // A model that is off is a state to show, not an error.
    if (!parts.model) return { enabled: false, reason: 'the anomaly model is off on this node (model.enabled false)' };
    return { enabled: true, ...parts.model() };
  });

  // The protected set: never banned automatically (and by an operator only with force, where forceable).
  app.get('/api/protected', async (_req, reply) => {
    if (!parts?.protection) return reply.code(503).send({ error: 'the response side is not started yet' });
    const setAside = [...parts.protection.setAside()].map(([address, why]) => ({ address, why }));
    return { entries: parts.protection.entries().map((e) => ({ net: e.net, why: e.why, forceable: e.forceable === true })), setAside };
  });

  app.get('/', async (_req, reply) => {
    const page = publicFile('dashboard.html');
    return page ? reply.type(page.type).send(page.body) : reply.type('text/html; charset=utf-8').send(STATUS_PAGE);
  });
  // The plain status page of the first issue, for a browser without scripts enabled… and for history.
  app.get('/status', async (_req, reply) => reply.type('text/html; charset=utf-8').send(STATUS_PAGE));
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => {
    const f = publicFile(req.params.file);
    if (!f) return reply.code(404).send({ error: `no dashboard file ${JSON.stringify(req.params.file)}` });
    return reply.type(f.type).send(f.body);
  });
  app.get('/api/map', async (_req, reply) => reply.type('application/geo+json').header('cache-control', 'max-age=86400').send(worldGeoJson()));
  app.get('/api/dashboard', async (_req, reply) => {
    if (!hub) return reply.code(503).send({ error: 'the actor system is not started yet' });
    return hub.snapshot();
  });
  app.get('/metrics', async (_req, reply) => {
    if (!metrics) return reply.code(503).send({ error: 'the actor system is not started yet' });
    return reply.type(metrics.contentType).send(await metrics.metrics());
  });

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
    // What the registrations say (an embedded node's is not a cluster record); a value that is
    // not a JSON object (an operator's etcdctl, a bug) is left out, not a 500 for every caller.
    const nodes: object[] = [];
    for (const kv of items) {
      try {
        const n: unknown = JSON.parse(kv.value);
        if (n !== null && typeof n === 'object' && !Array.isArray(n)) nodes.push(n);
      } catch {
        // counted and logged by the member's reader (EtcdValues) in a cluster
      }
    }
    return { coordinator: parts.coordinator.kind, nodes };
  });

  // Crash injection over HTTP: the chaos monkey's lever from outside the process.
  // The chaos monkey reports its faults here, for the dashboard's chaos feed.
  app.post<{ Body: { events?: unknown; active?: unknown } }>('/api/chaos', async (req, reply) => {
    if (!bearerOk(req, token)) return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
    if (!hub) return reply.code(503).send({ error: 'the actor system is not started yet' });
    const { events, active } = req.body ?? {};
    if (active !== undefined && typeof active !== 'boolean') return reply.code(400).send({ error: `active must be true or false, got ${JSON.stringify(active)}` });
    const list = events === undefined ? [] : events;
    if (!Array.isArray(list) || list.length > 100) return reply.code(400).send({ error: 'events must be an array of at most 100 {at, kind, target, detail}' });
    for (const e of list as Array<Record<string, unknown>>) {
      if (typeof e !== 'object' || e === null || typeof e.at !== 'number' || typeof e.kind !== 'string' || typeof e.target !== 'string' || typeof e.detail !== 'string') {
        return reply.code(400).send({ error: `each event needs at (ms), kind, target and detail; got ${JSON.stringify(e).slice(0, 200)}` });
      }
    }
    if (active !== undefined) hub.setChaosActive(active);
    for (const e of list as Array<{ at: number; kind: string; target: string; detail: string }>) hub.chaosEvent({ at: e.at, kind: e.kind.slice(0, 64), target: e.target.slice(0, 200), detail: e.detail.slice(0, 500) });
    return { accepted: list.length };
  });

  app.post<{ Body: { path?: unknown } }>('/api/crash', async (req, reply) => {
    if (!bearerOk(req, token)) return reply.code(401).send({ error: 'missing or wrong bearer token (Authorization: Bearer <token>)' });
    if (!parts) return reply.code(503).send({ error: 'the actor system is not started yet' });
    const path = req.body?.path;
    if (typeof path !== 'string') return reply.code(400).send({ error: `body must be {"path": "/some/actor"}, got path ${JSON.stringify(path)}` });
    if (!parts.system.lookup(path)) return reply.code(404).send({ error: `no actor at path ${JSON.stringify(path)}` });
    if (path === '/') return reply.code(400).send({ error: 'the root supervisor cannot be crashed: pick one of its descendants' });
    return { path, crashed: parts.system.crash(path) };
  });

  const blocks = new BlockGate(options.blockRate);
  registerBansApi(app, () => parts?.response, (req) => bearerOk(req, token), blocks);
  registerReplayApi(app, () => parts?.replay, (req) => bearerOk(req, token));
  registerAskApi(app, () => parts?.events, (req) => bearerOk(req, token), { limits: new ClientLimits(options.clientLimits), blocks });
  registerOperatorApis(app, () => parts?.operator, (req) => bearerOk(req, token));
  registerBanViewApi(app, () => (parts?.response ? () => parts!.response!.bans() : undefined), () => parts?.geo);
  registerAlertRecordsApi(app, () => parts?.alertRecords, () => parts?.system.nodeId);
  registerAllowApi(app, () => parts?.allow, (req) => bearerOk(req, token));
  registerCapturesApi(app, () => parts?.captures, (req) => bearerOk(req, token));

  let address: string;
  try {
    address = await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new HttpListenError(options.host, options.port, code, { cause: err });
    throw err;
  }
  return {
    app,
    url: address,
    token,
    attach(p) {
      parts = p;
      hub = new DashboardHub({ system: p.system, http: address, ...(p.desk ? { desk: p.desk } : {}), ...(p.registry ? { registry: p.registry } : {}), ...(p.cluster ? { cluster: p.cluster } : {}), ...(p.peers ? { peers: p.peers } : {}) });
      metrics = createMetrics({ system: p.system, ...(p.desk ? { desk: p.desk } : {}), ...(p.registry ? { registry: p.registry } : {}), ...(p.firewall ? { firewall: p.firewall } : {}), ...(p.cluster ? { cluster: p.cluster } : {}) });
      if (p.operator) registerOperatorMetrics(metrics, p.operator);
    },
    get hub() {
      return hub;
    },
    async close() {
      hub?.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await app.close();
    },
  };
}
