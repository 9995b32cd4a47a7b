// The event store's rows queued for the database, as columns from the moment they are queued
// (row-columns.ts's layout, grown as rows come): a queued row costs its values (four numbers
// in a Float64Array, a slot in each other column) and no EventRow object, and a flush takes
// the columns as they are and posts them (a chunk's slice of each) without a row made again.

import type { EventRow } from './event-row.ts';
import { NUM_FIELDS, type RowColumns } from './row-columns.ts';

const FIRST_CAPACITY = 1024;

/** Columns with no rows (their arrays grown by push). */
function emptyColumns(capacity: number): RowColumns {
  return { count: 0, num: new Float64Array(capacity * NUM_FIELDS), kind: [], type: [], source: [], target: [], country: [], asn: [], node: [], detector: [], detail: [], features: [] };
}

/** The non-number columns, in one order (slicing and splicing go through them all). */
const ARRAYS = ['kind', 'type', 'source', 'target', 'country', 'asn', 'node', 'detector', 'detail', 'features'] as const;

export class PendingRows {
  private c = emptyColumns(FIRST_CAPACITY);
  /** Rows before head were shed (their slots emptied); rows head … c.count - 1 are queued. */
  private head = 0;

  /** Rows queued. */
  get size(): number {
    return this.c.count - this.head;
  }

  /** Queues a row's values (the row itself is not kept: the caller may reuse it). */
  push(r: EventRow): void {
    const c = this.c;
    const i = c.count++;
    if ((i + 1) * NUM_FIELDS > c.num.length) {
      const num = new Float64Array(c.num.length * 2);
      num.set(c.num);
      c.num = num;
    }
    const o = i * NUM_FIELDS;
    c.num[o] = r.id;
    c.num[o + 1] = r.at;
    c.num[o + 2] = r.score;
    c.num[o + 3] = r.n ?? 1;
    c.kind.push(r.kind);
    c.type.push(r.type);
    c.source.push(r.source);
    c.target.push(r.target);
    c.country.push(r.country);
    c.asn.push(r.asn);
    c.node.push(r.node);
    c.detector.push(r.detector);
    c.detail.push(r.detail);
    c.features.push(r.features ?? null);
  }

  /** Drops the oldest `k` queued rows (their strings and vectors go with them). */
  shed(k: number): void {
    const c = this.c;
    const to = Math.min(c.count, this.head + k);
    for (let i = this.head; i < to; i++) {
      c.source[i] = c.target[i] = c.detail[i] = '';
      c.features[i] = null;
    }
    this.head = to;
    // Slots of shed rows are given back once they are most of the columns.
    if (this.head >= FIRST_CAPACITY && this.head * 2 > c.count) {
      c.num.copyWithin(0, this.head * NUM_FIELDS, c.count * NUM_FIELDS);
      for (const name of ARRAYS) c[name].splice(0, this.head);
      c.count -= this.head;
      this.head = 0;
    }
  }

  /** Every queued row as columns of exactly their count, oldest first; the queue is left empty. */
  take(): RowColumns {
    const c = this.c;
    this.c = emptyColumns(FIRST_CAPACITY);
    const head = this.head;
    this.head = 0;
    const count = c.count - head;
    // The numbers are copied (a buffer crosses to the thread whole); the arrays are handed over as they are when nothing was shed.
    const out = emptyColumns(0);
    out.count = count;
    out.num = c.num.slice(head * NUM_FIELDS, c.count * NUM_FIELDS);
    for (const name of ARRAYS) (out[name] as unknown[]) = head === 0 ? c[name] : c[name].slice(head);
    return out;
  }

  /** Puts rows from … c.count - 1 of `c` (taken, then refused by the database) back in front of those queued since. */
  putBack(c: RowColumns, from: number): void {
    const queued = this.take();
    const back = sliceColumns(c, from, c.count);
    this.c = concatColumns(back, queued);
  }
}

/** Rows from … to - 1 of `c` as columns of their own. */
export function sliceColumns(c: RowColumns, from: number, to: number): RowColumns {
  const out = emptyColumns(0);
  out.count = to - from;
  out.num = c.num.slice(from * NUM_FIELDS, to * NUM_FIELDS);
  for (const name of ARRAYS) (out[name] as unknown[]) = c[name].slice(from, to);
  return out;
}

/** The rows of `a` then those of `b`, as columns with room to grow. */
function concatColumns(a: RowColumns, b: RowColumns): RowColumns {
  const count = a.count + b.count;
  const out = emptyColumns(Math.max(FIRST_CAPACITY, count * 2));
  out.count = count;
  out.num.set(a.num.subarray(0, a.count * NUM_FIELDS));
  out.num.set(b.num.subarray(0, b.count * NUM_FIELDS), a.count * NUM_FIELDS);
  for (const name of ARRAYS) (out[name] as unknown[]) = (a[name] as unknown[]).concat(b[name]);
  return out;
}
