// The BanRegistry on etcd: a key per banned address under a lease whose TTL is the ban's, so
// etcd itself lifts a ban everywhere when it runs out, even if every node is down. Every
// node watches the prefix; a firewall actor on any node applies a ban made on any other.

import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { Ban, BanEvent, BanRegistry } from './ban-registry.ts';
import type { Coordinator } from './coordinator.ts';
import { wallClock, type Clock } from '../supervisors/clock.ts';
import { putBansBatched, removeBansBatched } from './etcd-ban-batch.ts';

export function bansPrefix(cluster: string): string {
  return `/autoimmune/${cluster}/bans/`;
}

export class EtcdBanRegistry implements BanRegistry {
  private readonly prefix: string;
  private readonly listeners = new Set<(e: BanEvent) => void>();
  private watcher: Promise<Watcher | (() => void)> | null = null;
  /** What the watch has seen, to tell an expiry from a removal in a delete event. */
  private readonly known = new Map<string, Ban>();

  constructor(
    private readonly client: Etcd3,
    cluster: string,
    private readonly clock: Clock = wallClock,
    /**
     * When given, changes are followed through the coordinator's watch, which resumes from
     * the last event it delivered when an etcd member dies and lists again after a
     * compaction. etcd3's own watcher resumes from the last response header and can skip a
     * delete in flight: a node whose firewall then kept a lifted ban was found by the chaos run.
     */
    private readonly coordinator?: Coordinator,
  ) {
    this.prefix = bansPrefix(cluster);
  }

  private key(address: string): string {
    return this.prefix + encodeURIComponent(address);
  }

  async put(ban: Ban): Promise<void> {
    const ttlS = Math.ceil((ban.expiresAt - this.clock.now()) / 1000);
    if (ttlS <= 0) {
      await this.remove(ban.address);
      return;
    }
    // No keep-alive: the lease is the ban's lifetime, not a process's.
    const lease = this.client.lease(ttlS, { autoKeepAlive: false });
    await lease.put(this.key(ban.address)).value(JSON.stringify(ban));
  }

  async remove(address: string): Promise<boolean> {
    const r = await this.client.delete().key(this.key(address));
    return Number(r.deleted) > 0;
  }

  async putMany(bans: readonly Ban[]): Promise<void> {
    const over = await putBansBatched(this.client, (a) => this.key(a), bans, this.clock.now());
    if (over.length > 0) await this.removeMany(over);
  }

  removeMany(addresses: readonly string[]): Promise<number> {
    return removeBansBatched(this.client, (a) => this.key(a), addresses);
  }

  async list(): Promise<Ban[]> {
    const all = await this.client.getAll().prefix(this.prefix).strings();
    const now = this.clock.now();
    return Object.values(all)
      .map((v) => JSON.parse(v) as Ban)
      .filter((b) => b.expiresAt > now);
  }

  watch(listener: (event: BanEvent) => void): () => void {
    this.listeners.add(listener);
    this.watcher ??= this.startWatch();
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the watch is established (changes from then on are seen). */
  async ready(): Promise<void> {
    await (this.watcher ??= this.startWatch());
  }

  private emit(e: BanEvent): void {
    for (const l of this.listeners) l(e);
  }

  private deleted(address: string): void {
    const had = this.known.get(address);
    this.known.delete(address);
    this.emit({ type: 'delete', address, expired: had !== undefined && had.expiresAt <= this.clock.now() + 1000 });
  }

  /** List, then watch from the list's revision; after a compaction, list again and report the difference. */
  private async follow(c: Coordinator, first: boolean): Promise<() => void> {
    const { items, revision } = await c.list(this.prefix);
    const now = new Map(items.map((kv) => [decodeURIComponent(kv.key.slice(this.prefix.length)), JSON.parse(kv.value) as Ban]));
    for (const [address, ban] of now) {
      const had = this.known.get(address);
      this.known.set(address, ban);
      if (!first && (!had || had.expiresAt !== ban.expiresAt || had.at !== ban.at)) this.emit({ type: 'put', ban });
    }
    for (const address of [...this.known.keys()]) if (!now.has(address)) this.deleted(address);
    let stop: () => void = () => {};
    stop = c.watch(
      this.prefix,
      revision,
      (ev) => {
        if (ev.type === 'put') {
          const ban = JSON.parse(ev.value ?? 'null') as Ban;
          this.known.set(ban.address, ban);
          this.emit({ type: 'put', ban });
        } else {
          this.deleted(decodeURIComponent(ev.key.slice(this.prefix.length)));
        }
      },
      () => {
        void this.follow(c, false).then((s) => (stop = s));
      },
    );
    return () => stop();
  }

  private async startWatch(): Promise<Watcher | (() => void)> {
    if (this.coordinator) return this.follow(this.coordinator, true);
    const w = await this.client.watch().prefix(this.prefix).create();
    const emit = (e: BanEvent) => this.emit(e);
    w.on('put', (kv: IKeyValue) => {
      const ban = JSON.parse(kv.value.toString()) as Ban;
      this.known.set(ban.address, ban);
      emit({ type: 'put', ban });
    });
    w.on('delete', (kv: IKeyValue) => this.deleted(decodeURIComponent(kv.key.toString().slice(this.prefix.length))));
    return w;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.watcher) {
      const w = await this.watcher;
      if (typeof w === 'function') w();
      else await w.cancel();
    }
    this.watcher = null;
  }
}
