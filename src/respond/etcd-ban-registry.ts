// The BanRegistry on etcd: a key per banned address under a lease whose TTL is the ban's, so
// etcd itself lifts a ban everywhere when it runs out, even if every node is down. Every
// node watches the prefix; a firewall actor on any node applies a ban made on any other.
//
// Every value read goes through EtcdValues: one that is not a well-formed ban stored under its
// own address is skipped (counted, logged once), as if the key held no ban. A bad value that
// replaces a good ban lifts that ban here, as list() would.

import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { Ban, BanEvent, BanRegistry } from './ban-registry.ts';
import type { Coordinator } from '../cluster/coordinator.ts';
import { addressProblem, EtcdValues, safeDecode, type StoredValue } from '../cluster/etcd-values.ts';
import { putWellFormed } from './ban-record.ts';
import { wallClock, type Clock } from '../util/clock.ts';
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
    private readonly cluster: string,
    private readonly clock: Clock = wallClock,
    /**
     * When given, changes are followed through the coordinator's watch, which resumes from
     * the last event it delivered when an etcd member dies and lists again after a
     * compaction. etcd3's own watcher resumes from the last response header and can skip a
     * delete in flight: a node whose firewall then kept a lifted ban was found by the chaos run.
     */
    private readonly coordinator?: Coordinator,
    /** The node's reader of etcd values (counts and logs what it skips); default: its own, logging to stderr. */
    private readonly values: EtcdValues = new EtcdValues(cluster, { notice: (l) => process.stderr.write(`autoimmune: ${l}\n`) }),
  ) {
    this.prefix = bansPrefix(cluster);
  }

  private key(address: string): string {
    return this.prefix + encodeURIComponent(address);
  }

  /** The address a key names, or null when its name is not a URI-encoded text. */
  private addressOf(key: string): string | null {
    return safeDecode(key.slice(this.prefix.length));
  }

  /** One ban: its own lease (or, already over, the removal of its key). A malformed ban is refused: see putWellFormed. */
  async put(ban: Ban): Promise<void> {
    await putWellFormed([ban], async () => {
      const ttlS = Math.ceil((ban.expiresAt - this.clock.now()) / 1000);
      if (ttlS <= 0) {
        await this.remove(ban.address);
        return;
      }
      // No keep-alive: the lease is the ban's lifetime, not a process's.
      const lease = this.client.lease(ttlS, { autoKeepAlive: false });
      await lease.put(this.key(ban.address)).value(JSON.stringify(ban));
    });
  }

  async remove(address: string): Promise<boolean> {
    const r = await this.client.delete().key(this.key(address));
    return Number(r.deleted) > 0;
  }

  /** Batched transactions (etcd-ban-batch.ts); a malformed ban is refused, the others written: see putWellFormed. */
  async putMany(bans: readonly Ban[]): Promise<void> {
    await putWellFormed(bans, async (good) => {
      const over = await putBansBatched(this.client, (a) => this.key(a), good, this.clock.now());
      if (over.length > 0) await this.removeMany(over);
    });
  }

  removeMany(addresses: readonly string[]): Promise<number> {
    return removeBansBatched(this.client, (a) => this.key(a), addresses);
  }

  async list(): Promise<Ban[]> {
    const items: StoredValue[] = this.coordinator
      ? (await this.coordinator.list(this.prefix)).items
      : (await this.client.getAll().prefix(this.prefix).exec()).kvs.map(fromEtcd);
    const now = this.clock.now();
    const out: Ban[] = [];
    for (const kv of items) {
      const b = this.values.ban(kv);
      if (b && b.expiresAt > now) out.push(b);
    }
    return out;
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

  /** A put seen by a watch: the ban, or (a bad value) the end of whatever ban the key held. */
  private onPut(kv: StoredValue): void {
    const ban = this.values.ban(kv);
    if (ban) {
      this.known.set(ban.address, ban);
      this.emit({ type: 'put', ban });
      return;
    }
    const address = this.addressOf(kv.key);
    if (address !== null && this.known.has(address)) this.deleted(address);
  }

  /** A delete seen by a watch: reported for a ban this registry reported, or any key that names an address. */
  private onDelete(key: string): void {
    const address = this.addressOf(key);
    if (address !== null && (this.known.has(address) || addressProblem(address) === null)) this.deleted(address);
  }

  /** List, then watch from the list's revision; after a compaction, list again and report the difference. */
  private async follow(c: Coordinator, first: boolean): Promise<() => void> {
    const { items, revision } = await c.list(this.prefix);
    const now = new Map<string, Ban>();
    for (const kv of items) {
      const ban = this.values.ban(kv);
      if (ban) now.set(ban.address, ban);
    }
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
      (ev) => (ev.type === 'put' ? this.onPut({ key: ev.key, value: ev.value ?? '', revision: ev.revision }) : this.onDelete(ev.key)),
      () => {
        void this.follow(c, false).then((s) => (stop = s));
      },
    );
    return () => stop();
  }

  private async startWatch(): Promise<Watcher | (() => void)> {
    if (this.coordinator) return this.follow(this.coordinator, true);
    const w = await this.client.watch().prefix(this.prefix).create();
    w.on('put', (kv: IKeyValue) => this.onPut(fromEtcd(kv)));
    w.on('delete', (kv: IKeyValue) => this.onDelete(kv.key.toString()));
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

function fromEtcd(kv: IKeyValue): StoredValue {
  return { key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision) };
}
