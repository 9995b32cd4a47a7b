// The database tier of the event store, behind one interface so SQLite (better-sqlite3) and
// DuckDB (@duckdb/node-api) can be measured on the same workload and swapped. Everything
// both need lives here: the row type, the schema, query validation, and the SQL each
// EventQuery becomes (always parameterised; only whitelisted column names are spliced).
//
// Three tables:
// - events: raw alerts and decisions, one row each.
// - rollups: raw rows older than a compaction horizon, counted per hour and per every value
//   a query can filter or group on (kind, type, source, target, country, asn, node, detector)
//   plus a score band (tenths), with the band's max score. Target, node and detector are in
//   the key (not only hour/type/country/asn/source) so every filter and groupBy still has an
//   exact answer over compacted data (target costs about a fifth more rows, measured).
// - rollups_coarse: the same hours without source and target. Addresses are what keeps
//   rollups big (a long tail of sources seen once an hour: on the benchmark's 10M events the
//   address rollups have 1.6x fewer rows than the events they replace, these 4x fewer), and
//   most questions (by country, type, AS, risk, trends) never name one, so they read this.
// A query runs over events UNION ALL one rollup table; raw and rollups never hold the same event.
//
// What rollups cannot answer, they refuse rather than guess: 'list' reads raw rows only,
// a minute trend or a minScore that is not a multiple of 0.1 over compacted hours is a
// StoreQueryError, and a range edge inside a compacted hour narrows the answer to whole
// hours and says so (QueryResult.narrowed).

import { statSync } from 'node:fs';
import { AutoimmuneError } from '../errors.ts';
import { parseIpv4, parseIpv6 } from '../geo/address-class.ts';
import { parseCidr } from '../respond/cidr.ts';
import { EVENT_FIELDS, EVENT_KINDS } from './event-query.ts';
import type { EventField, EventQuery } from './event-query.ts';
import type { EventRow, QueryResult } from './event-row.ts';

export type { EventRow, QueryResult } from './event-row.ts';

export interface StoreBackend {
  readonly name: 'sqlite' | 'duckdb';
  /** One transaction (SQLite) or appender (DuckDB) per call. */
  insert(rows: readonly EventRow[]): Promise<void>;
  /** Every measure of EventQuery; CIDR filters on source/target; a filter with an empty
   *  list constrains nothing. Throws StoreQueryError for a query it cannot answer. */
  query(q: EventQuery): Promise<QueryResult>;
  /**
   * Aggregates raw rows older than `before`, rounded down to the hour (so every rollup hour
   * is whole), into hourly rollups and deletes them from the raw table; returns how many raw
   * rows went. Queries then answer over raw + rollups (count, top, trend by hour/day; 'list'
   * from raw only).
   */
  compact(before: number): Promise<number>;
  /** Stored alerts by id with their feature vectors (raw rows only: compaction drops vectors); absent ids are left out. */
  alerts(ids: readonly number[]): Promise<StoredAlert[]>;
  /** Ids of the raw alerts with a vector older than `before` (whose vectors compaction or retention will drop). */
  vectorIdsBefore(before: number): Promise<number[]>;
  /** Deletes raw rows and whole rollup hours older than `before`; returns how many events went. */
  prune(before: number): Promise<number>;
  /** Bytes on disk (database file and its write-ahead log). */
  sizeBytes(): Promise<number>;
  /** Rows per table and bytes in use, for the store's metrics. */
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

export interface StoredAlert {
  row: EventRow;
  features: Float32Array | null;
}

export interface StoreStats {
  /** Rows per table. */
  events: number;
  rollups: number;
  rollupsCoarse: number;
  /** Bytes of the file(s) holding data; the rest of sizeBytes() is free space that later
   *  writes reuse (DuckDB never shrinks its file; SQLite gives pages back after compaction). */
  usedBytes: number;
}

export const TABLE_ROWS_SQL =
  'SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM rollups), (SELECT COUNT(*) FROM rollups_coarse)';

export function storeStats(row: SqlValue[], usedBytes: number): StoreStats {
  return { events: Number(row[0]), rollups: Number(row[1]), rollupsCoarse: Number(row[2]), usedBytes };
}

/** Sum of the sizes of the files that exist among `paths`. */
export function fileBytes(paths: string[]): number {
  let total = 0;
  for (const f of paths) {
    try {
      total += statSync(f).size;
    } catch {
      // absent (no WAL right now)
    }
  }
  return total;
}

/** A query the store cannot run as asked: the message names the value and what to ask instead. */
export class StoreQueryError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_STORE_QUERY', message);
  }
}

export const HOUR_MS = 3_600_000;
const BUCKET_MS = { minute: 60_000, hour: HOUR_MS, day: 86_400_000 } as const;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 1000;

// ---- schema -----------------------------------------------------------------------------

/** Columns of the raw table in table order (the appender's order). src4/tgt4 (IPv4 as uint32)
 *  and src6/tgt6 (IPv6 as 32 lower-case hex digits, which sort like the address) turn a CIDR
 *  into a range. */
export const RAW_COLUMNS = [
  'id', 'at_ms', 'kind', 'type', 'source', 'src4', 'src6', 'target', 'tgt4', 'tgt6',
  'country', 'asn', 'node', 'detector', 'score', 'detail', 'features',
] as const;

export interface SqlTypes {
  /** Up to 2^32 - 1 (IPv4 keys, AS numbers, bands). */
  u32: string;
  /** 64-bit (ids, ms timestamps, counts). */
  i64: string;
  real: string;
  text: string;
  blob: string;
}

/** CREATE TABLE statements for both tables; `rawKey`/`rawSuffix` add a primary key and table options. */
export function schemaSql(t: SqlTypes, rawKey = '', rawSuffix = ''): string[] {
  const keyCols =
    `kind ${t.text} NOT NULL, type ${t.text} NOT NULL, source ${t.text} NOT NULL, src4 ${t.u32}, src6 ${t.text}, ` +
    `target ${t.text} NOT NULL, tgt4 ${t.u32}, tgt6 ${t.text}, country ${t.text}, asn ${t.u32}, ` +
    `node ${t.text} NOT NULL, detector ${t.text} NOT NULL`;
  return [
    `CREATE TABLE IF NOT EXISTS events (id ${t.i64} NOT NULL, at_ms ${t.i64} NOT NULL, ${keyCols}, ` +
      `score ${t.real} NOT NULL, detail ${t.text} NOT NULL, features ${t.blob}${rawKey ? `, ${rawKey}` : ''})${rawSuffix}`,
    `CREATE TABLE IF NOT EXISTS rollups (hour_ms ${t.i64} NOT NULL, ${keyCols}, band ${t.u32} NOT NULL, ` +
      `n ${t.i64} NOT NULL, max_score ${t.real} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS rollups_coarse (hour_ms ${t.i64} NOT NULL, kind ${t.text} NOT NULL, type ${t.text} NOT NULL, ` +
      `country ${t.text}, asn ${t.u32}, node ${t.text} NOT NULL, detector ${t.text} NOT NULL, band ${t.u32} NOT NULL, ` +
      `n ${t.i64} NOT NULL, max_score ${t.real} NOT NULL)`,
  ];
}

/** Score band in tenths, as comparisons with the same constants a minScore filter uses, so a
 *  band filter over rollups selects exactly the events `score >= k/10` selects over raw rows. */
const BAND_SQL = `CASE ${[10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((k) => `WHEN score >= ${k / 10} THEN ${k}`).join(' ')} ELSE 0 END`;

export interface Dialect {
  /** SQL for floor(col / sizeMs) * sizeMs on an integer column. */
  bucket(col: string, sizeMs: number): string;
}

/** Statements that move raw rows with at_ms < ? into both rollup tables, in order, each
 *  with one parameter: the hour-aligned cutoff. The last one's row count is the rows moved.
 *  Rollups are written ordered by kind, then hour: a query names one kind and a range of
 *  hours, so DuckDB's per-row-group min/max skip the other kind's and other hours' rows. */
export function compactSql(d: Dialect): string[] {
  const rollup = (table: string, keys: string) => {
    const n = keys.split(',').length;
    return (
      `INSERT INTO ${table} (hour_ms, ${keys}, band, n, max_score) ` +
      `SELECT ${d.bucket('at_ms', HOUR_MS)} AS hour_ms, ${keys}, ${BAND_SQL} AS band, COUNT(*), MAX(score) ` +
      `FROM events WHERE at_ms < ? GROUP BY ${Array.from({ length: n + 2 }, (_, i) => i + 1).join(', ')} ORDER BY kind, 1`
    );
  };
  return [
    rollup('rollups', 'kind, type, source, src4, src6, target, tgt4, tgt6, country, asn, node, detector'),
    rollup('rollups_coarse', 'kind, type, country, asn, node, detector'),
    'DELETE FROM events WHERE at_ms < ?',
  ];
}

export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function ceilHour(ms: number): number {
  return Math.ceil(ms / HOUR_MS) * HOUR_MS;
}

// ---- rows in ----------------------------------------------------------------------------

const groups6 = new Uint16Array(8);

/** The numeric keys of an address column: [v4, v6hex]; both null for '*' or non-addresses. */
export function addressKeys(text: string): [number | null, string | null] {
  const v4 = parseIpv4(text);
  if (v4 >= 0) return [v4, null];
  if (!text.includes(':') || !parseIpv6(text, groups6)) return [null, null];
  const g = groups6;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return [((g[6] << 16) | g[7]) >>> 0, null];
  }
  let hex = '';
  for (let i = 0; i < 8; i++) hex += g[i].toString(16).padStart(4, '0');
  return [null, hex];
}

// ---- queries ----------------------------------------------------------------------------

export type SqlParam = string | number | bigint | null;
export type SqlValue = string | number | null;

/** Runs one SELECT and returns its rows as arrays, numbers as JS numbers. */
export type SqlRunner = (sql: string, params: SqlParam[]) => Promise<SqlValue[][]>;

/** The hours that hold rollups: [from, to), to exclusive; null when there are none. */
export interface RollupSpan {
  from: number;
  to: number;
}

function fail(message: string): never {
  throw new StoreQueryError(message);
}

function checkStrings(name: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`filter ${name} must be a list of text values, got ${JSON.stringify(v)}`);
  return v.length > 0 ? (v as string[]) : undefined;
}

interface Checked {
  q: EventQuery;
  limit: number;
  bucketMs: number;
}

/** Validates a query from any caller (API, tools, ask engine); throws StoreQueryError. */
export function checkQuery(q: EventQuery): Checked {
  if (!EVENT_KINDS.includes(q.kind)) fail(`kind ${JSON.stringify(q.kind)} is not one of ${EVENT_KINDS.join(', ')}`);
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) fail(`the range needs finite from/to (ms since the epoch), got ${q.from}..${q.to}`);
  if (q.from > q.to) fail(`the range starts (${new Date(q.from).toISOString()}) after it ends (${new Date(q.to).toISOString()}): swap from and to`);
  if (!['count', 'top', 'trend', 'list'].includes(q.measure)) fail(`measure ${JSON.stringify(q.measure)} is not one of count, top, trend, list`);
  if (q.groupBy !== undefined && !EVENT_FIELDS.includes(q.groupBy)) fail(`groupBy ${JSON.stringify(q.groupBy)} is not one of ${EVENT_FIELDS.join(', ')}`);
  if (q.measure === 'top' && q.groupBy === undefined) fail('measure top needs groupBy: the field whose most frequent values to give');
  if (q.measure === 'list' && q.groupBy !== undefined) fail('measure list gives events, not groups: drop groupBy or use count/top');
  const limit = q.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) fail(`limit ${limit} must be a whole number from 1 to ${MAX_LIMIT}`);
  const bucket = q.bucket ?? 'hour';
  if (!(bucket in BUCKET_MS)) fail(`bucket ${JSON.stringify(bucket)} is not one of minute, hour, day`);
  const f = q.filters ?? {};
  if (f.minScore !== undefined && !(typeof f.minScore === 'number' && f.minScore >= 0 && f.minScore <= 1)) {
    fail(`minScore ${f.minScore} must be a number from 0 to 1 (high risk is 0.8)`);
  }
  if (f.asn !== undefined && (!Array.isArray(f.asn) || f.asn.some((a) => !Number.isInteger(a) || a < 0))) {
    fail(`filter asn must be a list of AS numbers, got ${JSON.stringify(f.asn)}`);
  }
  for (const name of ['type', 'source', 'target', 'country', 'node', 'detector'] as const) checkStrings(name, f[name]);
  return { q, limit, bucketMs: BUCKET_MS[bucket] };
}

type Tier = 'raw' | 'rollup';

/** WHERE clause of one tier; pushes its parameters. Filters with an empty list constrain nothing. */
function whereSql(q: EventQuery, tier: Tier, params: SqlParam[], from: number, to: number): string {
  const f = q.filters ?? {};
  const time = tier === 'raw' ? 'at_ms' : 'hour_ms';
  const parts = ['kind = ?', `${time} >= ?`, `${time} < ?`];
  params.push(q.kind, BigInt(from), BigInt(to));
  const inList = (col: string, values: readonly SqlParam[] | undefined) => {
    if (!values || values.length === 0) return;
    parts.push(`${col} IN (${values.map(() => '?').join(', ')})`);
    params.push(...values);
  };
  inList('type', f.type);
  inList('country', f.country);
  inList('asn', f.asn?.map((a) => BigInt(a)));
  inList('node', f.node);
  inList('detector', f.detector);
  addressFilter(parts, params, 'source', 'src4', 'src6', f.source);
  addressFilter(parts, params, 'target', 'tgt4', 'tgt6', f.target);
  if (f.minScore !== undefined && f.minScore > 0) {
    if (tier === 'raw') {
      parts.push('score >= ?');
      params.push(f.minScore);
    } else {
      parts.push('band >= ?');
      params.push(BigInt(Math.round(f.minScore * 10)));
    }
  }
  return parts.join(' AND ');
}

/** A list of addresses/CIDRs as ranges on the numeric key columns; a value that does not look
 *  like an address (e.g. '*', the target of a horizontal scan) matches the stored text exactly,
 *  and one that looks like an address but is not (10.0.0.5/8, 1.2.3.256) is refused. */
function addressFilter(parts: string[], params: SqlParam[], col: string, col4: string, col6: string, values: string[] | undefined): void {
  if (!values || values.length === 0) return;
  const ors: string[] = [];
  for (const v of values) {
    let net;
    try {
      net = parseCidr(v);
    } catch (err) {
      if (/^[\s0-9a-fA-F.:/]+$/.test(v) && /[0-9]/.test(v)) fail(`filter ${col}: ${(err as Error).message}`);
      ors.push(`${col} = ?`);
      params.push(v);
      continue;
    }
    if (net.family === 4) {
      const lo = net.words[0];
      const hi = lo + 2 ** (32 - net.prefix) - 1;
      if (lo === hi) {
        ors.push(`${col4} = ?`);
        params.push(BigInt(lo));
      } else {
        ors.push(`${col4} BETWEEN ? AND ?`);
        params.push(BigInt(lo), BigInt(hi));
      }
    } else {
      const lo = net.words.map((w) => w.toString(16).padStart(8, '0')).join('');
      const hi = v6Last(net.words, net.prefix);
      if (lo === hi) {
        ors.push(`${col6} = ?`);
        params.push(lo);
      } else {
        ors.push(`${col6} BETWEEN ? AND ?`);
        params.push(lo, hi);
      }
    }
  }
  parts.push(ors.length === 1 ? ors[0] : `(${ors.join(' OR ')})`);
}

/** The last address of an IPv6 net, as 32 hex digits. */
function v6Last(words: readonly number[], prefix: number): string {
  return words
    .map((w, i) => {
      const bits = Math.max(0, Math.min(32, prefix - 32 * i));
      const host = bits >= 32 ? 0 : bits <= 0 ? 0xffffffff : (0xffffffff >>> bits);
      return ((w | host) >>> 0).toString(16).padStart(8, '0');
    })
    .join('');
}

interface Plan {
  /** Raw part's range is always q.from..q.to; the rollup part's whole hours, or null. */
  rollup: RollupSpan | null;
  narrowed?: QueryResult['narrowed'];
}

/** Which rollup hours the query reads, and whether its edges had to be narrowed. */
function plan(c: Checked, span: RollupSpan | null): Plan {
  const { q } = c;
  if (!span || q.measure === 'list') return { rollup: null };
  const from = Math.max(ceilHour(q.from), span.from);
  const to = Math.min(floorHour(q.to), span.to);
  const partialFrom = q.from % HOUR_MS !== 0 && floorHour(q.from) >= span.from && floorHour(q.from) < span.to;
  const partialTo = q.to % HOUR_MS !== 0 && floorHour(q.to) >= span.from && floorHour(q.to) < span.to;
  const rollup = from < to ? { from, to } : null;
  const touches = rollup !== null || partialFrom || partialTo;
  if (touches && q.measure === 'trend' && c.bucketMs < HOUR_MS) {
    fail(`events before ${new Date(span.to).toISOString()} are kept per hour: a trend by minute over ${new Date(q.from).toISOString()}.. needs bucket hour or day, or a range after that`);
  }
  const m = q.filters?.minScore;
  if (touches && m !== undefined && m > 0 && Math.round(m * 10) / 10 !== m) {
    fail(`events before ${new Date(span.to).toISOString()} keep their score in tenths: minScore ${m} needs to be a multiple of 0.1 (e.g. ${Math.round(m * 10) / 10}), or the range must start after that`);
  }
  if (!partialFrom && !partialTo) return { rollup };
  const nFrom = partialFrom ? ceilHour(q.from) : q.from;
  const nTo = partialTo ? floorHour(q.to) : q.to;
  return {
    rollup,
    narrowed: {
      from: nFrom,
      to: Math.max(nFrom, nTo),
      reason: `events before ${new Date(span.to).toISOString()} are kept per hour, so the range is taken to whole hours`,
    },
  };
}

/** One SELECT per tier producing (keys…, n), to be summed when there are two. */
function tierSelects(c: Checked, p: Plan, keys: (tier: Tier) => string[], params: SqlParam[]): { sql: string; summed: boolean } {
  const { q } = c;
  const parts: string[] = [];
  const tiers: Tier[] = p.rollup ? ['raw', 'rollup'] : ['raw'];
  for (const tier of tiers) {
    const k = keys(tier);
    const table = tier === 'raw' ? 'events' : namesAddress(q) ? 'rollups' : 'rollups_coarse';
    const n = tier === 'raw' ? 'COUNT(*)' : 'SUM(n)';
    const [from, to] = tier === 'raw' ? [q.from, q.to] : [p.rollup!.from, p.rollup!.to];
    const where = whereSql(q, tier, params, from, to);
    const group = k.length > 0 ? ` GROUP BY ${k.map((_, i) => i + 1).join(', ')}` : '';
    parts.push(`SELECT ${[...k, `${n} AS n`].join(', ')} FROM ${table} WHERE ${where}${group}`);
  }
  return { sql: parts.join(' UNION ALL '), summed: parts.length > 1 };
}

/** Whether a query filters or groups on an address, which only the fine rollups keep. */
function namesAddress(q: EventQuery): boolean {
  const f = q.filters ?? {};
  const isAddress = (field: string | undefined) => field === 'source' || field === 'target';
  return (f.source?.length ?? 0) > 0 || (f.target?.length ?? 0) > 0 || isAddress(q.groupBy);
}

function groupSql(c: Checked, p: Plan, field: EventField, params: SqlParam[]): string {
  const inner = tierSelects(c, p, () => [field], params);
  const order = ` ORDER BY 2 DESC, 1 ASC NULLS LAST LIMIT ${c.limit}`;
  if (!inner.summed) return inner.sql + order;
  return `SELECT ${field}, SUM(n) AS n FROM (${inner.sql}) AS u GROUP BY 1` + order;
}

const LIST_COLUMNS = ['id', 'kind', 'at', 'type', 'source', 'target', 'country', 'asn', 'score', 'node', 'detector', 'detail'];

/** Runs a validated EventQuery through `run`, over raw rows and the rollup hours in `span`. */
export async function runEventQuery(query: EventQuery, run: SqlRunner, d: Dialect, span: RollupSpan | null): Promise<QueryResult> {
  const c = checkQuery(query);
  const { q } = c;
  const p = plan(c, span);
  const done = (columns: string[], rows: SqlValue[][]): QueryResult => (p.narrowed ? { columns, rows, narrowed: p.narrowed } : { columns, rows });

  if (q.measure === 'list') {
    const params: SqlParam[] = [];
    const cols = LIST_COLUMNS.map((col) => (col === 'at' ? 'at_ms' : col)).join(', ');
    const sql = `SELECT ${cols} FROM events WHERE ${whereSql(q, 'raw', params, q.from, q.to)} ORDER BY at_ms DESC, id DESC LIMIT ${c.limit}`;
    return done(LIST_COLUMNS, await run(sql, params));
  }

  if (q.measure === 'count' && q.groupBy === undefined) {
    const params: SqlParam[] = [];
    const inner = tierSelects(c, p, () => [], params);
    const sql = inner.summed ? `SELECT SUM(n) AS n FROM (${inner.sql}) AS u` : inner.sql;
    const rows = await run(sql, params);
    return done(['count'], [[Number(rows[0]?.[0] ?? 0)]]);
  }

  if (q.measure === 'count' || q.measure === 'top') {
    const field = q.groupBy!;
    const params: SqlParam[] = [];
    return done([field, 'count'], await run(groupSql(c, p, field, params), params));
  }

  // trend: counts per bucket (per value of groupBy, for its `limit` most frequent values,
  // ranked in the same statement so the events are read once).
  const bucketOf = (tier: Tier) =>
    tier === 'raw' ? d.bucket('at_ms', c.bucketMs) : c.bucketMs === HOUR_MS ? 'hour_ms' : d.bucket('hour_ms', c.bucketMs);
  const field = q.groupBy;
  const params: SqlParam[] = [];
  const inner = tierSelects(c, p, (tier) => [`${bucketOf(tier)} AS bucket`, ...(field ? [field] : [])], params);
  let sql: string;
  if (field === undefined) {
    sql = inner.summed ? `SELECT bucket, SUM(n) AS n FROM (${inner.sql}) AS u GROUP BY 1 ORDER BY 1` : `${inner.sql} ORDER BY 1`;
  } else {
    const grouped = inner.summed ? `SELECT bucket, ${field}, SUM(n) AS n FROM (${inner.sql}) AS u GROUP BY 1, 2` : inner.sql;
    sql =
      `SELECT bucket, ${field}, n FROM (` +
      `SELECT bucket, ${field}, n, DENSE_RANK() OVER (ORDER BY total DESC, ${field} ASC NULLS LAST) AS r FROM (` +
      `SELECT bucket, ${field}, n, SUM(n) OVER (PARTITION BY ${field}) AS total FROM (${grouped}) AS g) AS t) AS ranked ` +
      `WHERE r <= ${c.limit} ORDER BY 1 ASC, 3 DESC, 2 ASC NULLS LAST`;
  }
  const rows = await run(sql, params);
  for (const r of rows) r[0] = new Date(Number(r[0])).toISOString();
  return done(field ? ['bucket', field, 'count'] : ['bucket', 'count'], rows);
}

// ---- alerts by id -----------------------------------------------------------------------

/** SELECT of alerts by id (one parameter per id): the answer columns, then the vector. */
export function alertsSql(count: number): string {
  const cols = LIST_COLUMNS.map((col) => (col === 'at' ? 'at_ms' : col)).join(', ');
  return `SELECT ${cols}, features FROM events WHERE kind = 'alert' AND id IN (${Array.from({ length: count }, () => '?').join(', ')})`;
}

export const VECTOR_IDS_SQL = "SELECT id FROM events WHERE kind = 'alert' AND features IS NOT NULL AND at_ms < ?";

/** Rows of alertsSql as stored alerts; `blob` turns the driver's BLOB value into bytes. */
export function storedAlerts(rows: unknown[][], blob: (v: unknown) => Uint8Array | null): StoredAlert[] {
  return rows.map((r) => {
    const v = r.map((x, i) => (i < LIST_COLUMNS.length ? toSqlValue(x) : null));
    const bytes = blob(r[LIST_COLUMNS.length]);
    const row: EventRow = {
      id: Number(v[0]), kind: 'alert', at: Number(v[2]), type: String(v[3]), source: String(v[4]), target: String(v[5]),
      country: v[6] === null ? null : String(v[6]), asn: v[7] === null ? null : Number(v[7]), score: Number(v[8]),
      node: String(v[9]), detector: String(v[10]), detail: String(v[11]),
    };
    return { row, features: bytes ? featuresFromBytes(bytes) : null };
  });
}

/** A vector as it is stored: float32, little-endian. */
export function featuresToBytes(f: Float32Array): Uint8Array {
  const out = new Uint8Array(f.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < f.length; i++) view.setFloat32(i * 4, f[i]!, true);
  return out;
}

export function featuresFromBytes(b: Uint8Array): Float32Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength >> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

// ---- maintenance ------------------------------------------------------------------------

/** The rollup hours present: one row (min hour, max hour), both null when there are none. */
export const ROLLUP_SPAN_SQL = 'SELECT MIN(hour_ms), MAX(hour_ms) FROM rollups';

export function rollupSpan(row: SqlValue[] | undefined): RollupSpan | null {
  if (!row || row[0] === null || row[1] === null) return null;
  return { from: Number(row[0]), to: Number(row[1]) + HOUR_MS };
}

/** Retention: each statement takes one parameter, from pruneParams. */
export const PRUNE_SQL = {
  /** Events counted in the rollup hours that go (to report how many events went). */
  rollupEvents: 'SELECT COALESCE(SUM(n), 0) FROM rollups WHERE hour_ms <= ?',
  rollups: ['DELETE FROM rollups WHERE hour_ms <= ?', 'DELETE FROM rollups_coarse WHERE hour_ms <= ?'],
  events: 'DELETE FROM events WHERE at_ms < ?',
} as const;

/** Parameters for PRUNE_SQL: a rollup hour goes only when all of it is older than `before`. */
export function pruneParams(before: number): { rollups: bigint; events: bigint } {
  return { rollups: BigInt(floorHour(before) - HOUR_MS), events: BigInt(before) };
}

/** A number from a driver value (DuckDB gives BIGINT and HUGEINT as bigint). */
export function toSqlValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string') return v;
  return String(v);
}
