// The event store's rows queued for the database, as columns from the moment they are queued
// (row-columns.ts): a queued row costs its values (five numbers, four word codes and a kind
// byte in typed arrays, three string slots), not an EventRow object, and a flush takes the
// columns and posts them (a chunk's slice of each) without a row made again.

import type { EventRow } from './event-row.ts';
import { NUM_FIELDS, RowRing, rowAt, WORD_FIELDS, type RowColumns } from './row-columns.ts';

/**
 * Rows whose typed columns a take() keeps for the next rows (57 bytes a row: 1.9 MB). The
 * node benchmark queues up to 16,500 rows between flushes (a flush a second: columns of
 * 32,768 rows); a larger backlog (up to store.maxPending) lets its columns go.
 */
const KEEP_ROWS = 32_768;

/** The queue; its words are those of the rows queued since the last take (a flush posts them with its rows). */
export class PendingRows extends RowRing {
  /** Alerts' vectors, row by row (null: none). */
  private features: (Float32Array | null)[] = [];

  /** Queues a row's values (the row itself is not kept: the caller may reuse it). */
  push(r: EventRow): void {
    this.features[this.append(r)] = r.features ?? null;
  }

  protected override moved(by: number): void {
    this.features.splice(0, by);
  }

  /** Drops the oldest `k` queued rows (their strings and vectors go with them). */
  shed(k: number): void {
    const to = Math.min(this.end, this.head + k);
    for (let i = this.head; i < to; i++) {
      this.c.source[i] = this.c.target[i] = this.c.detail[i] = '';
      this.features[i] = null;
    }
    this.head = to;
  }

  /** Every queued row as columns of exactly their count, oldest first; the queue is left empty. */
  take(): RowColumns {
    const out = sliceColumns({ ...this.c, count: this.end, words: this.words.words, features: this.features }, this.head, this.end);
    this.clear(KEEP_ROWS);
    this.features = [];
    return out;
  }

  /**
   * Puts rows from … c.count - 1 of `c` (taken, then refused by the database) back in front
   * of those queued since (rows are made again for it: a refused insert is rare).
   */
  putBack(c: RowColumns, from: number): void {
    const since = this.take();
    for (let i = from; i < c.count; i++) this.push(rowAt(c, i, c.words, c.features[i]));
    for (let i = 0; i < since.count; i++) this.push(rowAt(since, i, since.words, since.features[i]));
  }
}

/** Rows from … to - 1 of `c` as columns of their own (the words table shared). */
export function sliceColumns(c: RowColumns, from: number, to: number): RowColumns {
  return {
    count: to - from,
    num: c.num.slice(from * NUM_FIELDS, to * NUM_FIELDS),
    code: c.code.slice(from * WORD_FIELDS, to * WORD_FIELDS),
    kind: c.kind.slice(from, to),
    source: c.source.slice(from, to),
    target: c.target.slice(from, to),
    detail: c.detail.slice(from, to),
    words: c.words,
    features: c.features.slice(from, to),
  };
}

/** Rows as columns (a backend's insert() of rows made elsewhere). */
export function toColumns(rows: readonly EventRow[]): RowColumns {
  const q = new PendingRows();
  for (const r of rows) q.push(r);
  return q.take();
}
