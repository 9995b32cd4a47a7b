// Event rows as columns, the layout the memory tier (memory-tier.ts) and the queue for the
// database (pending-rows.ts) hold them in, how a batch crosses to the store's database thread
// and what DuckDB's chunk writer (duckdb-chunks.ts) reads: the numbers (id, at, score, n, asn)
// in one Float64Array, the repeated words (type, country, node, detector) as codes into a
// table that holds each distinct one once, the kind as a byte, and a dense array for each of
// source, target and detail. A row costs its values, not an EventRow object, and cloning the
// columns into the thread copies a word once per batch, not once per row (cloning dense
// arrays and typed arrays costs the receiving thread about half of cloning as many objects:
// 35,000 node-benchmark rows, 30–65 against 90–110 ms).

import { EVENT_KINDS, type EventKind } from './event-query.ts';
import type { EventRow } from './event-row.ts';

/** Numbers per row: id, at, score, n, asn (NaN: none). */
export const NUM_FIELDS = 5;
/** Word codes per row: type, country (0: null), node, detector. */
export const WORD_FIELDS = 4;

export const KIND_CODES = new Map<EventKind, number>(EVENT_KINDS.map((k, i) => [k, i]));

/** Where rows' values are written (row i's numbers at NUM_FIELDS·i …, its codes at WORD_FIELDS·i …). */
export interface ColumnSet {
  num: Float64Array;
  code: Uint32Array;
  kind: Uint8Array;
  source: string[];
  target: string[];
  detail: string[];
}

export interface RowColumns extends ColumnSet {
  count: number;
  /** The words the codes stand for (words[0] is null). */
  words: (string | null)[];
  /** Alerts' vectors, row by row (null: none). */
  features: (Float32Array | null)[];
}

/**
 * The distinct words of the word columns, each with its code: bounded by what they name
 * (services: a protocol and a port, alert types, actions, countries, the cluster's nodes,
 * the detectors), a few thousand in practice.
 */
export class Words {
  private readonly codes = new Map<string | null, number>([[null, 0]]);
  readonly words: (string | null)[] = [null];
  code(s: string | null): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      c = this.words.length;
      this.codes.set(s, c);
      this.words.push(s);
    }
    return c;
  }
}

/** Writes row `r`'s values at row i of `c` (its vector is the caller's to keep). */
export function putRow(c: ColumnSet, i: number, r: EventRow, words: Words): void {
  const o = i * NUM_FIELDS;
  c.num[o] = r.id;
  c.num[o + 1] = r.at;
  c.num[o + 2] = r.score;
  c.num[o + 3] = r.n ?? 1;
  c.num[o + 4] = r.asn ?? Number.NaN;
  const w = i * WORD_FIELDS;
  c.code[w] = words.code(r.type);
  c.code[w + 1] = words.code(r.country);
  c.code[w + 2] = words.code(r.node);
  c.code[w + 3] = words.code(r.detector);
  c.kind[i] = KIND_CODES.get(r.kind)!;
  c.source[i] = r.source;
  c.target[i] = r.target;
  c.detail[i] = r.detail;
}

/** Row i of `c` as an EventRow, as it was written (`n` only when not 1), with `features` when given. */
export function rowAt(c: ColumnSet, i: number, words: readonly (string | null)[], features?: Float32Array | null): EventRow {
  const o = i * NUM_FIELDS;
  const w = i * WORD_FIELDS;
  const asn = c.num[o + 4]!;
  const r: EventRow = {
    id: c.num[o]!, kind: EVENT_KINDS[c.kind[i]!]!, at: c.num[o + 1]!, type: words[c.code[w]!]!, source: c.source[i]!,
    target: c.target[i]!, country: words[c.code[w + 1]!]!, asn: Number.isNaN(asn) ? null : asn, score: c.num[o + 2]!,
    node: words[c.code[w + 2]!]!, detector: words[c.code[w + 3]!]!, detail: c.detail[i]!,
  };
  if (c.num[o + 3] !== 1) r.n = c.num[o + 3]!;
  if (features) r.features = features;
  return r;
}

export function fromColumns(c: RowColumns): EventRow[] {
  const out = new Array<EventRow>(c.count);
  for (let i = 0; i < c.count; i++) out[i] = rowAt(c, i, c.words, c.features[i]);
  return out;
}

/** Columns for `capacity` rows, empty. */
export function columnSet(capacity: number): ColumnSet {
  return { num: new Float64Array(capacity * NUM_FIELDS), code: new Uint32Array(capacity * WORD_FIELDS), kind: new Uint8Array(capacity), source: [], target: [], detail: [] };
}

const FIRST_CAPACITY = 1024;

/**
 * Rows in columns, oldest first (the memory tier, the queue for the database): rows before
 * head are let go, rows head … end - 1 held. When the columns are full the rows held move to
 * the front, into columns twice as long when they fill more than half.
 */
export class RowRing {
  protected c: ColumnSet = columnSet(FIRST_CAPACITY);
  protected words = new Words();
  protected head = 0;
  protected end = 0;

  /** Rows held. */
  get size(): number {
    return this.end - this.head;
  }

  /** Writes row `r`'s values after the last row held; returns where. */
  protected append(r: EventRow): number {
    if (this.end === this.c.kind.length) {
      const c = this.c;
      const head = this.head;
      const out = (this.end - head) * 2 > c.kind.length ? columnSet(c.kind.length * 2) : c;
      out.num.set(c.num.subarray(head * NUM_FIELDS, this.end * NUM_FIELDS));
      out.code.set(c.code.subarray(head * WORD_FIELDS, this.end * WORD_FIELDS));
      out.kind.set(c.kind.subarray(head, this.end));
      for (const name of ['source', 'target', 'detail'] as const) {
        c[name].splice(0, head);
        out[name] = c[name];
      }
      this.c = out;
      this.end -= head;
      this.head = 0;
      this.moved(head);
    }
    const i = this.end++;
    putRow(this.c, i, r, this.words);
    return i;
  }

  /**
   * Lets every row go, with the words (a subclass clears its own columns). The typed columns
   * are kept for the rows to come when they hold at most `keepRows` (a queue emptied every
   * second refills to about the same size: grown again from FIRST_CAPACITY each time, its
   * outgrown copies would live long enough to die in V8's old generation, freed only by a full
   * collection); larger ones go, so a burst's columns are not held after it.
   */
  protected clear(keepRows = 0): void {
    if (this.c.kind.length > keepRows) this.c = columnSet(FIRST_CAPACITY);
    else this.c.source.length = this.c.target.length = this.c.detail.length = 0;
    this.words = new Words();
    this.head = this.end = 0;
  }

  /** The rows held moved `by` rows to the front (a subclass moves its own columns). */
  protected moved(_by: number): void {}
}
