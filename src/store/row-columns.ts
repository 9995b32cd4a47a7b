// Event rows as columns: how a batch crosses to the store's database thread and what DuckDB's
// chunk writer (duckdb-chunks.ts) reads. Cloning a dense array of strings and one Float64Array
// costs the receiving thread about half of cloning as many objects with a dozen named
// properties each (35,000 node-benchmark rows: 30–65 against 90–110 ms), and the rows need not
// be rebuilt there: the writer appends straight from the columns.

import type { EventKind } from './event-query.ts';
import type { EventRow } from './event-row.ts';

export interface RowColumns {
  count: number;
  /** id, at, score, n (events the row stands for) per row: row i at 4i … 4i + 3. */
  num: Float64Array;
  kind: EventKind[];
  type: string[];
  source: string[];
  target: string[];
  country: (string | null)[];
  asn: (number | null)[];
  node: string[];
  detector: string[];
  detail: string[];
  features: (Float32Array | null)[];
}

export const NUM_FIELDS = 4;

export function toColumns(rows: readonly EventRow[]): RowColumns {
  const count = rows.length;
  const c: RowColumns = {
    count, num: new Float64Array(count * NUM_FIELDS),
    kind: new Array(count), type: new Array(count), source: new Array(count), target: new Array(count), country: new Array(count),
    asn: new Array(count), node: new Array(count), detector: new Array(count), detail: new Array(count), features: new Array(count),
  };
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    const o = i * NUM_FIELDS;
    c.num[o] = r.id;
    c.num[o + 1] = r.at;
    c.num[o + 2] = r.score;
    c.num[o + 3] = r.n ?? 1;
    c.kind[i] = r.kind;
    c.type[i] = r.type;
    c.source[i] = r.source;
    c.target[i] = r.target;
    c.country[i] = r.country;
    c.asn[i] = r.asn;
    c.node[i] = r.node;
    c.detector[i] = r.detector;
    c.detail[i] = r.detail;
    c.features[i] = r.features ?? null;
  }
  return c;
}

/** Row i as an EventRow (`n` only when it is not 1, as rows are made). */
export function rowAt(c: RowColumns, i: number): EventRow {
  const o = i * NUM_FIELDS;
  const r: EventRow = {
    id: c.num[o]!, kind: c.kind[i]!, at: c.num[o + 1]!, type: c.type[i]!, source: c.source[i]!, target: c.target[i]!,
    country: c.country[i]!, asn: c.asn[i]!, score: c.num[o + 2]!, node: c.node[i]!, detector: c.detector[i]!, detail: c.detail[i]!,
  };
  if (c.num[o + 3] !== 1) r.n = c.num[o + 3]!;
  const f = c.features[i];
  if (f) r.features = f;
  return r;
}

export function fromColumns(c: RowColumns): EventRow[] {
  const out = new Array<EventRow>(c.count);
  for (let i = 0; i < c.count; i++) out[i] = rowAt(c, i);
  return out;
}
