// Appends event rows to DuckDB a data chunk (2,048 rows) at a time instead of a call per value:
// the numbers and the null masks are written into typed arrays and copied into the chunk's
// vectors with one call per column, and only strings (and an alert's vector) cross to DuckDB
// one by one. 35,000 node-benchmark rows: about 2.0 µs a row against 2.7–3.0 for the
// appender's per-value calls; what is stored is the same, byte for byte.

import duckdb from '@duckdb/node-bindings';
import { BIGINT, BLOB, DOUBLE, UINTEGER, VARCHAR } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBDataChunk } from '@duckdb/node-api';
import { EVENT_KINDS } from './event-query.ts';
import { NUM_FIELDS, WORD_FIELDS, type RowColumns } from './row-columns.ts';
import { addressKeys, featuresToBytes, RAW_COLUMNS } from './sql-backend.ts';
import { StoreRowError } from './store-errors.ts';

/** The events table's column types, in RAW_COLUMNS order. */
const TYPES = {
  id: BIGINT, at_ms: BIGINT, kind: VARCHAR, type: VARCHAR, source: VARCHAR, src4: UINTEGER, src6: VARCHAR, target: VARCHAR, tgt4: UINTEGER,
  tgt6: VARCHAR, country: VARCHAR, asn: UINTEGER, node: VARCHAR, detector: VARCHAR, score: DOUBLE, detail: VARCHAR, features: BLOB, n: BIGINT,
} as const;
type Column = (typeof RAW_COLUMNS)[number];
const col = Object.fromEntries(RAW_COLUMNS.map((c, i) => [c, i])) as Record<Column, number>;
/** Columns that can hold NULL (their validity masks are written). */
const NULLABLE: readonly Column[] = ['src4', 'src6', 'tgt4', 'tgt6', 'country', 'asn', 'features'];
const TWO_32 = 4294967296;

export class ChunkWriter {
  private readonly capacity = duckdb.vector_size();
  private readonly chunk = duckdb.create_data_chunk(RAW_COLUMNS.map((c) => TYPES[c].toLogicalType().logical_type));
  private readonly vectors = RAW_COLUMNS.map((_, i) => duckdb.data_chunk_get_vector(this.chunk, i));
  /** BIGINT columns as (low, high) int32 pairs: no BigInt per value (ids and times are below 2^53). */
  private readonly id = new Int32Array(this.capacity * 2);
  private readonly at = new Int32Array(this.capacity * 2);
  private readonly n = new Int32Array(this.capacity * 2);
  private readonly src4 = new Uint32Array(this.capacity);
  private readonly tgt4 = new Uint32Array(this.capacity);
  private readonly asn = new Uint32Array(this.capacity);
  private readonly score = new Float64Array(this.capacity);
  /** A validity bit per row (1: a value), per nullable column. */
  private readonly valid = new Map<number, Uint8Array>(NULLABLE.map((c) => [col[c], new Uint8Array(this.capacity / 8)]));

  /** Appends every row of `c` to `appender` (not flushed). */
  append(appender: DuckDBAppender, c: RowColumns): void {
    for (let from = 0; from < c.count; from += this.capacity) this.appendChunk(appender, c, from, Math.min(c.count, from + this.capacity));
  }

  private appendChunk(appender: DuckDBAppender, c: RowColumns, from: number, to: number): void {
    const rows = to - from;
    const v = this.vectors;
    duckdb.data_chunk_reset(this.chunk);
    for (const m of this.valid.values()) m.fill(0xff);
    const words = c.words;
    for (let i = 0; i < rows; i++) {
      const r = from + i;
      const o = r * NUM_FIELDS;
      const w = r * WORD_FIELDS;
      int64(this.id, i, c.num[o]!, 'id');
      int64(this.at, i, c.num[o + 1]!, 'at');
      this.score[i] = c.num[o + 2]!;
      int64(this.n, i, c.num[o + 3]!, 'n');
      duckdb.vector_assign_string_element(v[col.kind]!, i, EVENT_KINDS[c.kind[r]!]!);
      duckdb.vector_assign_string_element(v[col.type]!, i, words[c.code[w]!]!);
      const source = c.source[r]!;
      const target = c.target[r]!;
      duckdb.vector_assign_string_element(v[col.source]!, i, source);
      duckdb.vector_assign_string_element(v[col.target]!, i, target);
      const [src4, src6] = addressKeys(source);
      this.u32OrNull(this.src4, col.src4, i, src4);
      this.stringOrNull(col.src6, i, src6);
      const [tgt4, tgt6] = addressKeys(target);
      this.u32OrNull(this.tgt4, col.tgt4, i, tgt4);
      this.stringOrNull(col.tgt6, i, tgt6);
      this.stringOrNull(col.country, i, words[c.code[w + 1]!]!);
      const asn = c.num[o + 4]!;
      this.u32OrNull(this.asn, col.asn, i, Number.isNaN(asn) ? null : asn);
      duckdb.vector_assign_string_element(v[col.node]!, i, words[c.code[w + 2]!]!);
      duckdb.vector_assign_string_element(v[col.detector]!, i, words[c.code[w + 3]!]!);
      duckdb.vector_assign_string_element(v[col.detail]!, i, c.detail[r]!);
      const f = c.features[r];
      if (f) duckdb.vector_assign_string_element_len(v[col.features]!, i, featuresToBytes(f));
      else this.setNull(col.features, i);
    }
    this.copy(col.id, this.id, rows * 8);
    this.copy(col.at_ms, this.at, rows * 8);
    this.copy(col.n, this.n, rows * 8);
    this.copy(col.src4, this.src4, rows * 4);
    this.copy(col.tgt4, this.tgt4, rows * 4);
    this.copy(col.asn, this.asn, rows * 4);
    this.copy(col.score, this.score, rows * 8);
    for (const [i, mask] of this.valid) {
      duckdb.vector_ensure_validity_writable(v[i]!);
      duckdb.copy_data_to_vector_validity(v[i]!, 0, mask.buffer as ArrayBuffer, 0, Math.ceil(rows / 64) * 8);
    }
    duckdb.data_chunk_set_size(this.chunk, rows);
    appender.appendDataChunk({ chunk: this.chunk } as DuckDBDataChunk);
  }

  private setNull(column: number, i: number): void {
    this.valid.get(column)![i >> 3]! &= ~(1 << (i & 7));
  }

  private u32OrNull(to: Uint32Array, column: number, i: number, x: number | null): void {
    if (x === null) this.setNull(column, i);
    else to[i] = x;
  }

  private stringOrNull(column: number, i: number, s: string | null): void {
    if (s === null) this.setNull(column, i);
    else duckdb.vector_assign_string_element(this.vectors[column]!, i, s);
  }

  private copy(column: number, from: ArrayBufferView, bytes: number): void {
    duckdb.copy_data_to_vector(this.vectors[column]!, 0, from.buffer as ArrayBuffer, from.byteOffset, bytes);
  }
}

/** A whole number below 2^53 (or a negative one above -2^53) as the little-endian int64 at pair `i`. */
function int64(to: Int32Array, i: number, x: number, field: string): void {
  if (!Number.isSafeInteger(x)) throw new StoreRowError(`an event row's ${field} is ${x}, not a whole number of at most 2^53 - 1: the batch is not stored (rows come from the event store, which numbers them; report it as a bug)`);
  const high = Math.floor(x / TWO_32);
  to[2 * i] = (x - high * TWO_32) | 0;
  to[2 * i + 1] = high;
}
