// Victim tallies (victim-tally.ts) lent by a detector shard, which writes one per batch, to
// the flood watch, which reads it and gives it back: a new tally a batch was 12.6 % of the
// main thread's sampled allocation (72 bytes a packet), its ~30 columns grown row by row.
//
// Ownership: a tally is on loan from take() until the reader calls returnVictimTally(), and
// only a tally given back is taken again, so none is written while a reader holds it. A tally
// never given back (the flood watch crashed while reading it, its mailbox shed it, a caller
// keeps it, the shard was restarted) is garbage, as every tally was before: a missed return
// costs an allocation, never a wrong count. A second return, or the return of a structured
// clone (a worker thread's tally as the main thread receives it), is ignored: the loan is
// keyed by the object itself. The tally stays plain data: nothing is added to it.

import { newVictimTally, type VictimTally } from './victim-tally.ts';

/** The pool each tally on loan came from. */
const loans = new WeakMap<VictimTally, VictimTallyPool>();

export class VictimTallyPool {
  private readonly free: VictimTally[] = [];
  /** Rows the free tallies' columns hold in all. */
  private freeRows = 0;
  /** Tallies made (the pool had none free), and taken again. */
  made = 0;
  reused = 0;

  /**
   * @param keep Tallies kept free at most. A shard's tallies wait in the flood watch's mailbox
   *   (4096 tallies of all shards: flood-watch.ts) until its turn, which comes after the
   *   detectors' batches: 270 were out at once on the node benchmark's replay; past this many,
   *   returned ones are left to the collector.
   * @param keepRows Rows the free tallies hold in all at most (about 350 bytes a row: 44
   *   columns of 8 bytes), so a scan's batches (a row per host probed) do not stay in memory
   *   as free tallies: a tally that would pass it is left to the collector.
   */
  constructor(
    readonly keep = 512,
    readonly keepRows = 8192,
  ) {}

  /** An empty tally, on loan until returnVictimTally(). Columns of a reused one are longer than its rows: entries past `rows` are left over, and the writer overwrites them. */
  take(): VictimTally {
    let t = this.free.pop();
    if (t !== undefined) {
      this.freeRows -= t.v4.length;
      t.rows = 0;
      t.dropped = 0;
      this.reused++;
    } else {
      t = newVictimTally();
      this.made++;
    }
    loans.set(t, this);
    return t;
  }

  /** Tallies free now. */
  get size(): number {
    return this.free.length;
  }

  give(t: VictimTally): void {
    if (loans.get(t) !== this) return;
    loans.delete(t);
    const rows = t.v4.length;
    if (this.free.length >= this.keep || this.freeRows + rows > this.keepRows) return;
    this.free.push(t);
    this.freeRows += rows;
  }
}

/** The reader is done with `t`: back to the pool it came from, if any (else nothing). */
export function returnVictimTally(t: VictimTally): void {
  loans.get(t)?.give(t);
}
