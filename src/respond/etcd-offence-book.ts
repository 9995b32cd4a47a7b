// Offence history shared by the cluster: a key per address under `offences/`, under a lease
// that runs out when the offences are forgotten, so a repeat offender escalates whichever node
// sees it next and etcd forgets for everyone. Every node mirrors the prefix (list, then watch);
// the policy reads the mirror synchronously. A change is seen here at once (an overlay until
// the watch brings it back) and written in the background; flush() waits for the writes, and
// the desk waits for it before acknowledging a ban. Values are checked: a bad one reads as no
// record and is reported once, never a throw.

import type { Coordinator } from '../cluster/coordinator.ts';
import { clusterPrefix } from '../cluster/keys.ts';
import { PrefixMirror } from '../cluster/prefix-mirror.ts';
import { OffenceSchema } from '../cluster/etcd-values.ts';
import { Value } from '@sinclair/typebox/value';
import { wallClock, type Clock } from '../util/clock.ts';
import type { OffenceBook, OffenceRecord } from './offence-book.ts';

/** A parsed value that is an offence record, or null. */
function OffenceCheck(v: unknown): OffenceRecord | null {
  return Value.Check(OffenceSchema, v) ? { offences: v.offences, forgetAt: v.forgetAt } : null;
}

export function offencesPrefix(cluster: string): string {
  return `${clusterPrefix(cluster)}offences/`;
}

/** Reads a stored offence record: the record, or null when the value is not one (reported by the reader). */
export type OffenceReader = (kv: { key: string; value: string; revision: number }) => OffenceRecord | null;

interface Pending {
  /** null: deleted here. */
  record: OffenceRecord | null;
  /** The mirror's revision when the change was made: a later one from the watch supersedes it. */
  after: number;
  /** Set once the write is done; the overlay goes when the mirror has caught up with it. */
  revision: number | null;
}

export class EtcdOffenceBook implements OffenceBook {
  private readonly mirror: PrefixMirror;
  private readonly prefix: string;
  private readonly overlay = new Map<string, Pending>();
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly coordinator: Coordinator,
    cluster: string,
    private readonly clock: Clock = wallClock,
    private readonly onError: (err: unknown) => void = () => {},
    /** Checks each stored value (in a node: EtcdValues.offence, which counts and logs a bad one once). */
    private readonly read: OffenceReader = (kv) => {
      try {
        return OffenceCheck(JSON.parse(kv.value));
      } catch {
        return null;
      }
    },
  ) {
    this.prefix = offencesPrefix(cluster);
    this.mirror = new PrefixMirror(coordinator, this.prefix, onError);
  }

  /** Resolves after the first list. */
  start(): Promise<void> {
    return this.mirror.start();
  }

  private key(address: string): string {
    return this.prefix + encodeURIComponent(address);
  }

  get(address: string): OffenceRecord | undefined {
    const key = this.key(address);
    const kv = this.mirror.items.get(key);
    const p = this.overlay.get(address);
    if (p) {
      const caughtUp = p.revision !== null && this.mirror.revision >= p.revision;
      const superseded = kv !== undefined && kv.revision > p.after && (p.revision === null || kv.revision > p.revision);
      if (!caughtUp && !superseded) return p.record ?? undefined;
      this.overlay.delete(address);
    }
    if (!kv) return undefined;
    const rec = this.read(kv);
    return rec && rec.forgetAt > this.clock.now() ? rec : undefined;
  }

  set(address: string, record: OffenceRecord): void {
    const p: Pending = { record, after: this.mirror.revision, revision: null };
    this.overlay.set(address, p);
    const ttlMs = Math.max(1000, record.forgetAt - this.clock.now());
    this.track(
      (async () => {
        const lease = await this.coordinator.grantLease(ttlMs);
        p.revision = await this.coordinator.put(this.key(address), JSON.stringify(record), { lease });
      })(),
    );
  }

  delete(address: string): void {
    const p: Pending = { record: null, after: this.mirror.revision, revision: null };
    this.overlay.set(address, p);
    this.track(
      (async () => {
        await this.coordinator.delete(this.key(address));
        // A delete has no revision of its own here: the overlay holds until the watch moves on.
        p.revision = this.mirror.revision + 1;
      })(),
    );
  }

  get size(): number {
    return this.mirror.items.size;
  }

  /** Leases forget for etcd; here only settled overlays go. */
  sweep(_now: number): void {
    for (const [a, p] of this.overlay) if (p.revision !== null && this.mirror.revision >= p.revision) this.overlay.delete(a);
  }

  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  close(): void {
    this.mirror.close();
  }

  private track(write: Promise<void>): void {
    const w = write.catch((err: unknown) => this.onError(err)).finally(() => this.writes.delete(w));
    this.writes.add(w);
  }
}
