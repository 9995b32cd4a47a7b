// The Coordinator on a real etcd cluster (v3 API through the etcd3 client). Every call has
// a deadline that covers its retries across members, so a dead leader costs at most
// callTimeoutMs and a clear error, never a hang; leases are renewed only when the caller
// says so (keepAlive), so a node that stops renewing loses its keys as it must; watches
// resume on another member from the last revision they delivered.

import { handleWhen, noop, retry } from 'cockatiel';
import {
  castGrpcError,
  ClientClosedError,
  Etcd3,
  EtcdInvalidAuthTokenError,
  EtcdLeaseInvalidError,
  GRPCDeadlineExceededError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  isRecoverableError,
  type IDuplexStream,
  type IKeyValue,
  type IRequestOp,
  type IWatchRequest,
  type IWatchResponse,
} from 'etcd3';
import { ConfigError } from '../errors.ts';
import type { Coordinator, KeyValue, TxnOp, WatchEvent } from './coordinator.ts';
import { CoordinatorClosedError, CoordinatorRequestError, CoordinatorTimeoutError, CoordinatorUnavailableError } from './coordinator-errors.ts';
import { LeaseExpiredError } from './embedded-coordinator.ts';
import type { EtcdSecurity } from './etcd-security.ts';

const DEFAULT_CALL_TIMEOUT_MS = 2000;
/**
 * etcd counts lease TTLs in whole seconds and silently raises any TTL below its minimum
 * (1.5 × election timeout, 1.5 s with the default 1 s election timeout) to 2 s; asking for
 * 2 s at least makes the TTL we believe the one etcd applies.
 */
const MIN_LEASE_TTL_S = 2;

export interface EtcdCoordinatorOptions {
  /** Deadline of each call, retries on other members included (default 2000 ms). */
  callTimeoutMs?: number;
  /** TLS material and etcd credentials (loadEtcdSecurity). */
  security?: EtcdSecurity;
}

export interface ConnectEtcdOptions extends EtcdCoordinatorOptions {
  /** How long to keep trying when etcd does not answer at start (default: forever). */
  retryForMs?: number;
  /** Told of each failed attempt before the next; `error` says what failed and when the next try is. */
  onRetry?: (attempt: number, error: CoordinatorUnavailableError) => void;
}

/** The shape of etcd3 1.1.2's (internal) connection pool that a watch stream needs. */
interface WatchPool {
  withConnection<R>(
    service: 'Watch',
    fn: (args: { resource: unknown; client: unknown; metadata: { clone(): { set(key: string, value: string): void } } }) => R,
    hostOrder?: Iterator<unknown>,
  ): Promise<R>;
  /** The members, one Host each (the order withConnection tries them in is ours to give). */
  hosts?: unknown[];
  /** Forgets the auth token, so the next call authenticates again (etcd3 does this only for unary calls). */
  authenticator?: { invalidateMetadata(): void };
}

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

/** Checks that every endpoint is an http(s) URL etcd3 can dial; names the first that is not. */
export function validateEtcdEndpoints(endpoints: readonly string[]): string[] {
  if (endpoints.length === 0) throw new ConfigError('no etcd endpoint given: list at least one URL such as http://127.0.0.1:2379, or leave cluster.etcd empty for the embedded coordinator');
  const out: string[] = [];
  for (const e of endpoints) {
    let url: URL | undefined;
    try {
      url = new URL(e);
    } catch {
      url = undefined;
    }
    const plain = url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname && !url.username && !url.search && !url.hash;
    if (!url || !plain || (url.pathname !== '/' && url.pathname !== '') || url.port === '') {
      throw new ConfigError(`etcd endpoint ${JSON.stringify(e)} is not an http(s) URL with a port; write it as http://host:2379 (or https://host:2379)`);
    }
    out.push(`${url.protocol}//${url.host}`);
  }
  if (new Set(out.map((e) => e.startsWith('https:'))).size > 1) {
    throw new ConfigError(`etcd endpoints ${out.join(', ')} mix http and https; use one scheme for all members`);
  }
  return out;
}

/** A client with deadlines, keepalives and quick failover; no call of it can hang. */
function createClient(endpoints: string[], callTimeoutMs: number, security: EtcdSecurity): Etcd3 {
  const { tls, auth } = security;
  return new Etcd3({
    hosts: endpoints,
    // gRPC's createSsl takes null for "the system's roots".
    ...(tls ? { credentials: { rootCertificate: tls.ca ?? (null as unknown as Buffer), ...(tls.cert && tls.key ? { certChain: tls.cert, privateKey: tls.key } : {}) } } : {}),
    ...(auth ? { auth: { username: auth.username, password: auth.password, callOptions: () => ({ deadline: Date.now() + callTimeoutMs }) } } : {}),
    // The fallback deadline for calls made on the shared client by others (the ban
    // registry); our own calls carry an absolute deadline covering their retries.
    // Streams have none: a watch lives for as long as it is wanted.
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      // Pings find a connection that died without a FIN (a partitioned member) while a call
      // or watch is open on it. Not without calls: etcd refuses pings on an idle connection
      // (its enforcement policy does not permit them) and drops it with GOAWAY too_many_pings;
      // and more often than its minimum (5 s) is refused as well.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 0,
      // A restarted member is dialled again within a second, not after gRPC's default
      // backoff of up to two minutes.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
    faultHandling: {
      // A call that fails on one member (refused, reset) tries each other member at once...
      global: retry(handleWhen(isRecoverableError), { maxAttempts: endpoints.length - 1 }),
      // ...and none is held off by a circuit breaker: etcd3's default keeps a client away
      // from a member for 5 s after three failures, long after it came back, and our own
      // retry loop already paces attempts within the deadline.
      host: () => noop,
    },
  });
}

/** Errors after which another attempt (on this or another member) may succeed. */
function isTransient(err: unknown): boolean {
  return err instanceof Error && (isRecoverableError(err) || err instanceof GRPCResourceExhastedError);
}

/** The end of the key range that holds every key starting with `prefix` (etcd's prefix range). */
function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  const start = Buffer.from(prefix);
  if (start.length === 0) return { key: Buffer.from([0]), range_end: Buffer.from([0]) };
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return { key: start, range_end: end.subarray(0, i + 1) };
    }
  }
  return { key: start, range_end: Buffer.from([0]) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EtcdCoordinator implements Coordinator {
  readonly kind = 'etcd';
  readonly endpoints: readonly string[];
  private readonly callTimeoutMs: number;
  private readonly etcd: Etcd3;
  private closed = false;
  private readonly watches = new Set<EtcdWatch>();
  // etcd's lease ids are int64 and usually above 2^53 (etcd 3.4 puts the member id in the
  // top bits), so the interface's numbers are handles of ours, each mapped to etcd's id.
  private nextLease = 1;
  private readonly leaseIds = new Map<number, string>();
  private readonly leaseHandles = new Map<string, number>();

  constructor(endpoints: readonly string[], options: EtcdCoordinatorOptions = {}) {
    this.endpoints = validateEtcdEndpoints(endpoints);
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (!(this.callTimeoutMs > 0)) throw new ConfigError(`etcd callTimeoutMs must be > 0 ms, got ${this.callTimeoutMs}`);
    this.etcd = createClient([...this.endpoints], this.callTimeoutMs, options.security ?? {});
  }

  /** etcd3's pool; a watch stream opens on it and an expired auth token is forgotten there. */
  private get pool(): WatchPool | undefined {
    return (this.etcd as unknown as { pool?: WatchPool }).pool;
  }

  /** The etcd3 client, for others that share the connection (the ban registry). */
  get client(): Etcd3 {
    return this.etcd;
  }

  /**
   * Runs `call` until it succeeds, fails for a reason another attempt cannot cure, or
   * `callTimeoutMs` have passed. Each attempt may use half the time left: a write sent to a
   * member whose leader just died is never answered (the proposal was lost with the
   * leader), and a second attempt once a new leader is elected (1-2 election timeouts)
   * succeeds where waiting for the first would not. So a write may apply twice; every write
   * here is idempotent or tells its own retry apart (createIfAbsent).
   */
  private async run<T>(operation: string, key: string, call: (options: { deadline: number }) => Promise<T>, lease?: number): Promise<T> {
    if (this.closed) throw new CoordinatorClosedError(operation);
    const deadline = Date.now() + this.callTimeoutMs;
    let pause = 50;
    // What to report on timeout: a refused connection says more than the deadline it led to.
    let cause: unknown;
    for (;;) {
      const left = deadline - Date.now();
      try {
        return await call({ deadline: left < 500 ? deadline : Date.now() + left / 2 });
      } catch (err) {
        if (this.closed || err instanceof ClientClosedError) throw new CoordinatorClosedError(operation);
        if (err instanceof EtcdLeaseInvalidError) throw new LeaseExpiredError(lease ?? Number.NaN);
        if (err instanceof LeaseExpiredError) throw err;
        // A token etcd no longer knows (expired, or the member restarted): authenticate again.
        if (err instanceof EtcdInvalidAuthTokenError) this.pool?.authenticator?.invalidateMetadata();
        else if (!isTransient(err)) throw new CoordinatorRequestError(operation, key, [...this.endpoints], err);
        if (cause === undefined || !(err instanceof GRPCDeadlineExceededError)) cause = err;
        const now = Date.now();
        if (now >= deadline) throw new CoordinatorTimeoutError(operation, key, [...this.endpoints], this.callTimeoutMs, cause);
        await sleep(Math.min(pause, deadline - now));
        pause = Math.min(pause * 2, 400);
      }
    }
  }

  private leaseHandle(id: string): number {
    let h = this.leaseHandles.get(id);
    if (h === undefined) {
      h = this.nextLease++;
      this.leaseHandles.set(id, h);
      this.leaseIds.set(h, id);
    }
    return h;
  }

  /** etcd's id of a lease handle; a handle we never issued (or forgot as expired) is expired. */
  private leaseId(handle: number): string {
    const id = this.leaseIds.get(handle);
    if (id === undefined) throw new LeaseExpiredError(handle);
    return id;
  }

  private forgetLease(handle: number): void {
    const id = this.leaseIds.get(handle);
    this.leaseIds.delete(handle);
    if (id !== undefined) this.leaseHandles.delete(id);
  }

  private toKeyValue(kv: IKeyValue): KeyValue {
    const out: KeyValue = {
      key: kv.key.toString(),
      value: kv.value.toString(),
      revision: Number(kv.mod_revision),
      createRevision: Number(kv.create_revision),
    };
    if (kv.lease !== '0') out.lease = this.leaseHandle(kv.lease);
    return out;
  }

  async grantLease(ttlMs: number): Promise<number> {
    if (!(ttlMs > 0)) throw new RangeError(`lease TTL must be > 0 ms, got ${ttlMs}`);
    const ttl = Math.max(MIN_LEASE_TTL_S, Math.ceil(ttlMs / 1000));
    const res = await this.run('grantLease', `ttl ${ttl} s`, (o) => this.etcd.leaseClient.leaseGrant({ TTL: ttl }, o));
    if (res.error) throw new CoordinatorRequestError('grantLease', `ttl ${ttl} s`, [...this.endpoints], new Error(res.error));
    return this.leaseHandle(res.ID);
  }

  async keepAlive(lease: number): Promise<void> {
    const id = this.leaseId(lease);
    // One renewal on a keep-alive stream of its own, closed after the answer: etcd3's Lease
    // object would renew on its own schedule, which must be the caller's decision.
    const res = await this.run(
      'keepAlive',
      `lease ${lease}`,
      async (o) => {
        const stream = await this.etcd.leaseClient.leaseKeepAlive(o);
        return new Promise<{ TTL: string }>((resolve, reject) => {
          stream.on('data', (r) => {
            resolve(r);
            stream.end();
          });
          stream.on('error', (e) => reject(castGrpcError(e)));
          stream.on('end', () => reject(new GRPCUnavailableError('the lease keep-alive stream ended without an answer')));
          stream.write({ ID: id });
        });
      },
      lease,
    );
    if (Number(res.TTL) <= 0) {
      this.forgetLease(lease);
      throw new LeaseExpiredError(lease);
    }
  }

  async revoke(lease: number): Promise<void> {
    const id = this.leaseIds.get(lease);
    if (id === undefined) return;
    try {
      await this.run('revoke', `lease ${lease}`, (o) => this.etcd.leaseClient.leaseRevoke({ ID: id }, o), lease);
    } catch (e) {
      if (!(e instanceof LeaseExpiredError)) throw e;
    }
    this.forgetLease(lease);
  }

  async put(key: string, value: string, options: { lease?: number } = {}): Promise<number> {
    const lease = options.lease !== undefined ? this.leaseId(options.lease) : undefined;
    const res = await this.run('put', key, (o) => this.etcd.kv.put({ key: Buffer.from(key), value: Buffer.from(value), ...(lease ? { lease } : {}) }, o), options.lease);
    return Number(res.header.revision);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.run('get', key, (o) => this.etcd.kv.range({ key: Buffer.from(key) }, o));
    return res.kvs.length > 0 ? this.toKeyValue(res.kvs[0]) : undefined;
  }

  async delete(key: string): Promise<boolean> {
    const res = await this.run('delete', key, (o) => this.etcd.kv.deleteRange({ key: Buffer.from(key) }, o));
    return Number(res.deleted) > 0;
  }

  async list(prefix: string): Promise<{ items: KeyValue[]; revision: number }> {
    // etcd returns a range in key (byte) order.
    const res = await this.run('list', prefix, (o) => this.etcd.kv.range(prefixRange(prefix), o));
    return { items: res.kvs.map((kv) => this.toKeyValue(kv)), revision: Number(res.header.revision) };
  }

  async createIfAbsent(key: string, value: string, options: { lease?: number } = {}): Promise<{ created: boolean; current: KeyValue }> {
    const lease = options.lease !== undefined ? this.leaseId(options.lease) : undefined;
    const k = Buffer.from(key);
    const res = await this.run(
      'createIfAbsent',
      key,
      (o) =>
        this.etcd.kv.txn(
          {
            compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
            success: [{ request_put: { key: k, value: Buffer.from(value), ...(lease ? { lease } : {}) } }],
            failure: [{ request_range: { key: k } }],
          },
          o,
        ),
      options.lease,
    );
    if (res.succeeded) {
      const revision = Number(res.header.revision);
      return { created: true, current: { key, value, revision, createRevision: revision, ...(options.lease !== undefined ? { lease: options.lease } : {}) } };
    }
    const current = this.toKeyValue(res.responses[0].response_range.kvs[0]);
    // Our value under our own lease: only this coordinator holds that lease, so the key is
    // ours, most likely written by an attempt whose answer was lost before a retry.
    const ours = options.lease !== undefined && current.lease === options.lease && current.value === value;
    return { created: ours, current };
  }

  async commitIf(guard: { key: string; value: string }, ops: TxnOp[]): Promise<number | undefined> {
    const success: IRequestOp[] = ops.map((op) => {
      if (op.type === 'delete') return { request_delete_range: { key: Buffer.from(op.key) } };
      const lease = op.lease !== undefined ? this.leaseId(op.lease) : undefined;
      return { request_put: { key: Buffer.from(op.key), value: Buffer.from(op.value), ...(lease ? { lease } : {}) } };
    });
    // etcd does not say which lease it did not find; the ops of one commit share one in practice.
    const lease = ops.find((op) => op.type === 'put' && op.lease !== undefined) as { lease?: number } | undefined;
    const res = await this.run(
      'commitIf',
      guard.key,
      (o) =>
        this.etcd.kv.txn(
          { compare: [{ key: Buffer.from(guard.key), target: 'Value', result: 'Equal', value: Buffer.from(guard.value) }], success, failure: [] },
          o,
        ),
      lease?.lease,
    );
    return res.succeeded ? Number(res.header.revision) : undefined;
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: WatchEvent) => void, onCompacted?: () => void): () => void {
    if (this.closed) throw new CoordinatorClosedError('watch');
    const pool = this.pool;
    if (!pool || typeof pool.withConnection !== 'function') throw new Error('etcd3 client has no connection pool to open a watch on (etcd3 version changed?)');
    const w = new EtcdWatch(pool, prefix, fromRevision, onEvent, () => {
      this.watches.delete(w);
      onCompacted?.();
    });
    this.watches.add(w);
    w.open();
    return () => {
      this.watches.delete(w);
      w.stop();
    };
  }

  /** For each open watch, the members its streams were opened on, oldest first (host:port, the last 16). */
  watchStreams(): string[][] {
    return [...this.watches].map((w) => [...w.opened]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.stop();
    this.watches.clear();
    this.etcd.close();
  }
}

/**
 * The members in a random order (as etcd3's pool picks them), `last` at the end: a stream that
 * just broke on a member reopens on another one first. (Opening a stream never fails inside
 * the pool's callback, so one pass over the members is all the pool takes.)
 */
export function hostOrder<T>(hosts: readonly T[], last: T | undefined): Iterator<T> {
  const order = hosts.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const at = last === undefined ? -1 : order.indexOf(last);
  if (at >= 0) order.push(...order.splice(at, 1));
  return order.values();
}

/**
 * One watch on its own gRPC stream. etcd3's Watcher resumes from the revision in the last
 * response header, which can skip events not yet delivered when the stream broke (a
 * catch-up from an old revision, or the header of the create response); this one resumes
 * from the revision after the last event it delivered and drops anything at or below it,
 * so no event is lost or repeated across reconnections.
 */
class EtcdWatch {
  private next: number;
  private stream: WatchStream | undefined;
  /** The member the open stream is on, and the one whose stream broke last (tried last next time). */
  private host: unknown;
  private failedHost: unknown;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Before the next attempt: none after a stream that worked (a member died or lost its
   * leader: another member serves the watch at once), then 100 ms doubling to 2 s while
   * attempts fail. Waiting 100 ms and then picking a member at random, as before, could land
   * on the dead member again and again (one watcher 3.3 s behind the others, with a member
   * killed every 9 s).
   */
  private pause = 0;
  /** The members this watch's streams were opened on, oldest first (the last 16). */
  readonly opened: string[] = [];
  private readonly range: { key: Buffer; range_end: Buffer };

  constructor(
    private readonly pool: WatchPool,
    prefix: string,
    fromRevision: number,
    private readonly onEvent: (ev: WatchEvent) => void,
    private readonly onCompacted: () => void,
  ) {
    this.range = prefixRange(prefix);
    this.next = fromRevision + 1;
  }

  open(): void {
    if (this.stopped) return;
    this.pool
      .withConnection(
        'Watch',
        ({ resource, client, metadata }) => {
          // "hasleader": a member cut off from the quorum ends the stream instead of
          // serving a watch that can no longer see new revisions; we then resume elsewhere.
          const md = metadata.clone();
          md.set('hasleader', 'true');
          this.opened.push(String((resource as { host?: unknown }).host));
          if (this.opened.length > 16) this.opened.shift();
          const stream = (client as unknown as { watch(md: unknown, options: object): WatchStream }).watch(md, {});
          return { stream, resource };
        },
        this.pool.hosts?.length ? hostOrder(this.pool.hosts, this.failedHost) : undefined,
      )
      .then(({ stream, resource }) => {
        if (this.stopped) {
          stream.on('error', () => {});
          stream.cancel();
          return;
        }
        this.stream = stream;
        this.host = resource;
        stream.on('data', (res) => this.onResponse(res));
        stream.on('error', (err) => {
          if (castGrpcError(err) instanceof EtcdInvalidAuthTokenError) this.pool.authenticator?.invalidateMetadata();
          // The member is likely gone or cut off: the others are tried first.
          if (this.stream === stream) this.failedHost = resource;
          this.reconnect(stream);
        });
        stream.on('end', () => {
          if (this.stream === stream) this.failedHost = resource;
          this.reconnect(stream);
        });
        stream.write({ create_request: { ...this.range, start_revision: this.next, progress_notify: true } });
      })
      .catch((err) => (err instanceof ClientClosedError ? this.stop() : this.reconnect(undefined)));
  }

  private onResponse(res: IWatchResponse): void {
    if (this.stopped) return;
    if (res.compact_revision && res.compact_revision !== '0') {
      this.stop();
      this.onCompacted();
      return;
    }
    if (res.canceled) {
      // Cancelled by the member (lost its leader, shutting down): resume elsewhere.
      // (A refusal, e.g. a role that may not read the prefix, keeps the growing pause.)
      this.failedHost = this.host;
      this.reconnect(this.stream);
      return;
    }
    // Only a stream that delivers events or progress counts as working.
    this.pause = 0;
    if (res.events.length === 0) {
      // A progress notice (sent only to a watch that has caught up): nothing at or below the
      // header revision is still to come, so a resume need not reach back before it.
      if (!res.created) this.next = Math.max(this.next, Number(res.header.revision) + 1);
      return;
    }
    for (const ev of res.events) {
      const revision = Number(ev.kv.mod_revision);
      if (revision < this.next) continue;
      const put = ev.type === 'Put';
      const out: WatchEvent = { type: put ? 'put' : 'delete', key: ev.kv.key.toString(), revision };
      if (put) out.value = ev.kv.value.toString();
      try {
        this.onEvent(out);
      } catch (err) {
        // A listener's bug must not break the stream: surface it as etcd3 does.
        setImmediate(() => {
          throw err;
        });
      }
      if (this.stopped) return;
    }
    // etcd sends a revision's events (a transaction's) in one response, so all of them
    // have been delivered.
    this.next = Math.max(this.next, Number(res.events[res.events.length - 1].kv.mod_revision) + 1);
  }

  private reconnect(from: WatchStream | undefined): void {
    if (this.stopped || this.stream !== from || this.timer) return;
    this.drop();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.open();
    }, this.pause);
    this.pause = Math.min(Math.max(100, this.pause * 2), 2_000);
  }

  private drop(): void {
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      s.on('error', () => {});
      s.cancel();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.drop();
  }
}

/**
 * Connects to etcd and proves it answers (a linearizable read, so a quorum is up). While it
 * does not, tries again with a growing pause (0.5 s to 5 s), telling `onRetry` each time,
 * for `retryForMs` (default: forever); then rejects with CoordinatorUnavailableError.
 */
export async function connectEtcd(endpoints: readonly string[], options: ConnectEtcdOptions = {}): Promise<EtcdCoordinator> {
  const coordinator = new EtcdCoordinator(endpoints, options);
  const retryForMs = options.retryForMs ?? Number.POSITIVE_INFINITY;
  const eps = [...coordinator.endpoints];
  // gRPC reports a refused TLS handshake as "no connection established", like a member that is down.
  const tlsHint = eps.some((e) => e.startsWith('https:'))
    ? ". Over https a refused TLS handshake looks the same: check cluster.etcdTls (ca: the CA that signed etcd's certificate; cert and key: a client certificate etcd's --trusted-ca-file accepts)"
    : '';
  const t0 = Date.now();
  let pause = 500;
  for (let attempt = 1; ; attempt++) {
    try {
      await coordinator.get('/autoimmune/');
      return coordinator;
    } catch (err) {
      if (!(err instanceof CoordinatorTimeoutError)) {
        await coordinator.close();
        throw err;
      }
      const cause = err.cause;
      const elapsed = Date.now() - t0;
      if (elapsed + pause > retryForMs) {
        await coordinator.close();
        throw new CoordinatorUnavailableError(
          eps,
          cause,
          `gave up after ${attempt} attempt(s) over ${(elapsed / 1000).toFixed(1)} s. Is etcd running? Start it, ` +
            `fix cluster.etcd, or leave cluster.etcd empty for the embedded coordinator${tlsHint}`,
        );
      }
      options.onRetry?.(attempt, new CoordinatorUnavailableError(eps, cause, `retrying in ${pause / 1000} s${tlsHint}`));
      await sleep(pause);
      pause = Math.min(pause * 2, 5_000);
    }
  }
}
