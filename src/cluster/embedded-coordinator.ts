// The embedded single-node coordinator: the Coordinator interface in memory, with leases
// that expire on the node's clock. What `npm start` uses when no etcd endpoint is set.

import { AutoimmuneError } from '../errors.ts';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.ts';
import type { Coordinator, KeyValue, TxnOp, WatchEvent } from './coordinator.ts';

export class LeaseExpiredError extends AutoimmuneError {
  constructor(lease: number) {
    super('AI_ERR_LEASE_EXPIRED', `lease ${lease} has expired or was revoked; grant a new one and re-register`);
  }
}

interface Lease {
  ttlMs: number;
  keys: Set<string>;
  timer: TimerHandle;
}

export class EmbeddedCoordinator implements Coordinator {
  readonly kind = 'embedded';
  private revision = 0;
  private nextLease = 1;
  private readonly data = new Map<string, KeyValue>();
  private readonly leases = new Map<number, Lease>();
  private readonly history: WatchEvent[] = [];
  private readonly watchers = new Set<{ prefix: string; onEvent: (ev: WatchEvent) => void }>();

  constructor(private readonly clock: Clock = systemClock) {}

  async grantLease(ttlMs: number): Promise<number> {
    if (!(ttlMs > 0)) throw new RangeError(`lease TTL must be > 0 ms, got ${ttlMs}`);
    const id = this.nextLease++;
    this.leases.set(id, { ttlMs, keys: new Set(), timer: this.clock.setTimer(() => this.expire(id), ttlMs) });
    return id;
  }

  async keepAlive(id: number): Promise<void> {
    const lease = this.leases.get(id);
    if (!lease) throw new LeaseExpiredError(id);
    lease.timer.cancel();
    lease.timer = this.clock.setTimer(() => this.expire(id), lease.ttlMs);
  }

  async revoke(id: number): Promise<void> {
    this.expire(id);
  }

  private expire(id: number): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    lease.timer.cancel();
    this.leases.delete(id);
    for (const key of lease.keys) this.remove(key);
  }

  async put(key: string, value: string, options: { lease?: number } = {}): Promise<number> {
    if (options.lease !== undefined && !this.leases.has(options.lease)) throw new LeaseExpiredError(options.lease);
    const old = this.data.get(key);
    if (old?.lease !== undefined) this.leases.get(old.lease)?.keys.delete(key);
    const revision = ++this.revision;
    const createRevision = old?.createRevision ?? revision;
    this.data.set(key, { key, value, revision, createRevision, ...(options.lease !== undefined ? { lease: options.lease } : {}) });
    if (options.lease !== undefined) this.leases.get(options.lease)!.keys.add(key);
    this.publish({ type: 'put', key, value, revision });
    return revision;
  }

  async createIfAbsent(key: string, value: string, options: { lease?: number } = {}): Promise<{ created: boolean; current: KeyValue }> {
    const old = this.data.get(key);
    if (old) return { created: false, current: { ...old } };
    await this.put(key, value, options);
    return { created: true, current: { ...this.data.get(key)! } };
  }

  async commitIf(guard: { key: string; value: string }, ops: TxnOp[]): Promise<number | undefined> {
    if (this.data.get(guard.key)?.value !== guard.value) return undefined;
    for (const op of ops) if (op.type === 'put' && op.lease !== undefined && !this.leases.has(op.lease)) throw new LeaseExpiredError(op.lease);
    // Atomic here because nothing else runs in between; each put takes its own revision
    // (etcd gives the whole transaction one), which no caller relies on.
    const before = this.revision;
    for (const op of ops) {
      if (op.type === 'put') await this.put(op.key, op.value, op.lease !== undefined ? { lease: op.lease } : {});
      else this.remove(op.key);
    }
    return this.revision > before ? this.revision : before;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const kv = this.data.get(key);
    return kv && { ...kv };
  }

  async delete(key: string): Promise<boolean> {
    return this.remove(key);
  }

  private remove(key: string): boolean {
    const old = this.data.get(key);
    if (!old) return false;
    this.data.delete(key);
    if (old.lease !== undefined) this.leases.get(old.lease)?.keys.delete(key);
    this.publish({ type: 'delete', key, revision: ++this.revision });
    return true;
  }

  async list(prefix: string): Promise<{ items: KeyValue[]; revision: number }> {
    const items = [...this.data.values()].filter((kv) => kv.key.startsWith(prefix)).map((kv) => ({ ...kv }));
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { items, revision: this.revision };
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: WatchEvent) => void, onCompacted?: () => void): () => void {
    // Replay what happened after fromRevision, then follow live, as an etcd watch does; the
    // history is bounded, so an older revision is "compacted" as in etcd.
    const oldest = this.history[0]?.revision ?? this.revision + 1;
    if (fromRevision + 1 < oldest && fromRevision < this.revision) {
      if (onCompacted) onCompacted();
      return () => {};
    }
    for (const ev of this.history) if (ev.revision > fromRevision && ev.key.startsWith(prefix)) onEvent(ev);
    const w = { prefix, onEvent };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  private publish(ev: WatchEvent): void {
    this.history.push(ev);
    if (this.history.length > 10_000) this.history.splice(0, this.history.length - 10_000);
    for (const w of this.watchers) if (ev.key.startsWith(w.prefix)) w.onEvent(ev);
  }

  async close(): Promise<void> {
    for (const id of [...this.leases.keys()]) this.expire(id);
    this.watchers.clear();
  }
}
