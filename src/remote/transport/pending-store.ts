// What a sender holds for one peer until each message's final outcome: every message in send
// order (what a departing peer hands back) and, per priority, newest last (what overload sheds
// first). Pure: no sockets, no timers.

import type { Destination, Pending } from './types.ts';

export const QUEUED = 0;
/** Handed to zmq, not yet confirmed queued there: neither resent nor timed out meanwhile. */
export const SENDING = 1;
export const IN_FLIGHT = 2;
export type EntryState = typeof QUEUED | typeof SENDING | typeof IN_FLIGHT;

export interface PendingEntry {
  readonly seq: number;
  readonly peer: string;
  readonly to: Destination;
  readonly msg: unknown;
  /** `msg` encoded once at send time; every transmission reuses it. */
  readonly body: Uint8Array;
  readonly priority: number;
  readonly events: number;
  attempts: number;
  /** QUEUED: waiting to be (re)transmitted; SENDING: being handed to the socket; IN_FLIGHT: transmitted at `sentAt`, awaiting its outcome. */
  state: EntryState;
  sentAt: number;
  /** False once it left the store (outcome, shed, orphaned): queues holding it skip it. */
  live: boolean;
  prevSame: PendingEntry | null;
  nextSame: PendingEntry | null;
}

/** A plain copy for the layer above: it must not see (or keep alive) the store's links. */
export function toPending(e: PendingEntry): Pending {
  return { seq: e.seq, peer: e.peer, to: e.to, msg: e.msg, priority: e.priority, events: e.events, attempts: e.attempts };
}

export function newEntry(seq: number, peer: string, to: Destination, msg: unknown, body: Uint8Array, priority: number, events: number): PendingEntry {
  return { seq, peer, to, msg, body, priority, events, attempts: 0, state: QUEUED, sentAt: 0, live: true, prevSame: null, nextSame: null };
}

interface PriorityList {
  oldest: PendingEntry | null;
  newest: PendingEntry | null;
  count: number;
}

export class PendingStore {
  readonly #bySeq = new Map<number, PendingEntry>();
  readonly #byPriority = new Map<number, PriorityList>();

  get size(): number {
    return this.#bySeq.size;
  }

  /** Adds an entry; seqs must increase so that insertion order is send order. */
  add(e: PendingEntry): void {
    this.#bySeq.set(e.seq, e);
    let list = this.#byPriority.get(e.priority);
    if (!list) this.#byPriority.set(e.priority, (list = { oldest: null, newest: null, count: 0 }));
    e.prevSame = list.newest;
    e.nextSame = null;
    if (list.newest) list.newest.nextSame = e;
    else list.oldest = e;
    list.newest = e;
    list.count++;
  }

  get(seq: number): PendingEntry | undefined {
    return this.#bySeq.get(seq);
  }

  /** Removes and returns the entry for `seq` (undefined when it is not held: a late or repeated outcome). */
  take(seq: number): PendingEntry | undefined {
    const e = this.#bySeq.get(seq);
    if (!e) return undefined;
    this.#bySeq.delete(seq);
    const list = this.#byPriority.get(e.priority)!;
    if (e.prevSame) e.prevSame.nextSame = e.nextSame;
    else list.oldest = e.nextSame;
    if (e.nextSame) e.nextSame.prevSame = e.prevSame;
    else list.newest = e.prevSame;
    e.prevSame = e.nextSame = null;
    e.live = false;
    if (--list.count === 0) this.#byPriority.delete(e.priority);
    return e;
  }

  /**
   * The entry to shed so a message of `priority` fits: the newest of the lowest priority held,
   * if that is below `priority`. Newest, because it is the least likely to be at the receiver
   * already (often not even transmitted), so shedding it saves the most work.
   */
  victimBelow(priority: number): PendingEntry | undefined {
    let lowest: PriorityList | undefined;
    let lowestPriority = priority;
    for (const [p, list] of this.#byPriority) {
      if (p < lowestPriority) {
        lowestPriority = p;
        lowest = list;
      }
    }
    return lowest?.newest ?? undefined;
  }

  /** Every entry, in send order. */
  values(): IterableIterator<PendingEntry> {
    return this.#bySeq.values();
  }

  /** The lowest seq held, or `otherwise` when empty: the receiver may forget every seq below it. */
  lowestSeq(otherwise: number): number {
    for (const seq of this.#bySeq.keys()) return seq;
    return otherwise;
  }

  /** Removes and returns every entry, in send order. */
  drain(): PendingEntry[] {
    const all = [...this.#bySeq.values()];
    for (const e of all) {
      e.live = false;
      e.prevSame = e.nextSame = null;
    }
    this.#bySeq.clear();
    this.#byPriority.clear();
    return all;
  }
}
