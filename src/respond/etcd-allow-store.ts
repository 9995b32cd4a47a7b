// The run-time allow-list of a cluster: a key per net under `allow/` ({net, note, at}, no
// lease: an entry stays until an operator removes it). Every node mirrors the prefix (list,
// then watch; after a compaction, list again), so an entry added through any node joins every
// node's protected set within the watch's latency. A change resolves once etcd has it and this
// node's mirror has seen it. Every value read goes through EtcdValues.allow: one that is not
// JSON, not its shape, not under its own canonical net or wider than responder.minPrefix is
// refused, counted and logged once, and never applied.

import type { Coordinator } from '../cluster/coordinator.ts';
import { allowProblem, safeDecode, type EtcdValues } from '../cluster/etcd-values.ts';
import { keys } from '../cluster/keys.ts';
import { PrefixMirror } from '../cluster/prefix-mirror.ts';
import { ALLOW_NOTE_MAX, type AllowedEntry, type AllowStore } from './allow-store.ts';
import type { MinPrefix } from './ban-guard.ts';
import { AllowChangeError } from './errors.ts';

/** How long a change waits for this node's own watch to bring it back before it is taken as seen. */
const SEEN_WITHIN_MS = 5000;

export class EtcdAllowStore implements AllowStore {
  readonly where: string;
  private readonly prefix: string;
  private readonly mirror: PrefixMirror;
  private byNet = new Map<string, AllowedEntry>();
  private refusedNets: string[] = [];
  private readonly listeners = new Set<() => void>();
  /** Changes of this node waiting for the mirror to show them. */
  private readonly waiters = new Set<(closing?: boolean) => void>();

  constructor(
    private readonly coordinator: Coordinator,
    cluster: string,
    private readonly values: EtcdValues,
    private readonly minPrefix: MinPrefix,
    onError: (err: unknown) => void = () => {},
  ) {
    this.prefix = keys.allow(cluster);
    this.where = `etcd ${this.prefix}`;
    this.mirror = new PrefixMirror(coordinator, this.prefix, onError);
    this.mirror.on(() => this.refresh());
  }

  /** Resolves after the first list: a node reads the list before its firewall reconciles. */
  start(): Promise<void> {
    return this.mirror.start();
  }

  private key(net: string): string {
    return this.prefix + encodeURIComponent(net);
  }

  entries(): AllowedEntry[] {
    return [...this.byNet.values()];
  }

  get(net: string): AllowedEntry | undefined {
    return this.byNet.get(net);
  }

  refused(): string[] {
    return [...this.refusedNets];
  }

  async put(entry: AllowedEntry): Promise<void> {
    // Never write what every reader would refuse (the readers' own check: EtcdValues.allow).
    const problem = allowProblem(entry, this.minPrefix);
    if (problem) throw new AllowChangeError('AI_ERR_ALLOW_MALFORMED', `refusing to store allow-list entry ${JSON.stringify(entry)}: ${problem}; it needs a canonical net no wider than responder.minPrefix, a note of at most ${ALLOW_NOTE_MAX} characters or null, and a time`, 400);
    const revision = await this.coordinator.put(this.key(entry.net), JSON.stringify(entry));
    if (!(await this.seen(() => this.mirror.revision >= revision))) this.byNet.set(entry.net, entry);
  }

  async delete(net: string): Promise<boolean> {
    const key = this.key(net);
    const existed = await this.coordinator.delete(key);
    if (existed && !(await this.seen(() => !this.mirror.items.has(key)))) this.byNet.delete(net);
    return existed;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.mirror.close();
    this.listeners.clear();
    for (const w of [...this.waiters]) w(true);
  }

  /** The entries as the mirror has them: each value checked (a refused one is reported once by the reader). */
  private refresh(): void {
    const good: AllowedEntry[] = [];
    const refused: string[] = [];
    for (const kv of this.mirror.items.values()) {
      const e = this.values.allow(kv, this.minPrefix);
      if (e) good.push({ net: e.net, note: e.note, at: e.at });
      else refused.push(safeDecode(kv.key.slice(this.prefix.length)) ?? kv.key);
    }
    good.sort((a, b) => a.at - b.at || (a.net < b.net ? -1 : 1));
    this.byNet = new Map(good.map((e) => [e.net, e]));
    this.refusedNets = refused;
    for (const w of [...this.waiters]) w();
    for (const l of this.listeners) l();
  }

  /** Waits until `done()` holds after a refresh (true), or SEEN_WITHIN_MS pass (false). */
  private seen(done: () => boolean): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = (closing = false) => {
        if (done()) finish(true);
        else if (closing) finish(false);
      };
      const timer = setTimeout(() => finish(false), SEEN_WITHIN_MS);
      timer.unref();
      this.waiters.add(check);
    });
  }
}
