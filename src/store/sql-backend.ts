// The database tier of the event store, behind one interface so SQLite (better-sqlite3) and
// DuckDB (@duckdb/node-api) can be measured on the same workload and swapped. Everything
// both need lives here: the row type, the schema, query validation, the SQL each EventQuery
// becomes (always parameterised; only whitelisted column names are spliced), and the
// maintenance both run (roll-up, compaction, retention).
//
// Tables:
// - events: raw alerts, decisions and flows, one row each, except aggregates of unverified
//   attempts (flowRow): a row whose `n` says how many flows it stands for. Every count is a
//   SUM(n), so such a row counts as its flows everywhere (rollups included).
// - rollups_coarse: every closed hour counted per kind, type, country, asn, node, detector
//   and score band (tenths), kept up to date by rollup() (the store's maintenance, every few
//   minutes) while the raw rows are still there: a question over days reads these counts for
//   its whole hours and raw rows only for the hours at its edges and the ones not rolled up
//   yet, so it costs about the same whether its events are an hour or a month old. They
//   leave out source and target: addresses are what keeps rollups big (a long tail of
//   sources seen once an hour: on the benchmark's 10M events these have 4x fewer rows than
//   the events they count), and most questions (by country, type, AS, risk, trends) never
//   name one.
// - rollups: raw rows older than the compaction horizon, counted per hour with source and
//   target too (1.6x fewer rows than the events), written when compaction deletes them, so a
//   question naming an address still has an exact answer over compacted hours.
// - store_meta: the horizons below, so they survive a restart.
// Horizons (Coverage): coarse rollups hold every hour in [coarseFrom, coarseTo); fine rollups
// the compacted hours [fineFrom, rawFrom); raw rows everything from rawFrom on. A query reads
// one rollup table for the whole hours it may, UNION ALL the raw rows of the rest of its
// range: no event is counted twice. An event stored for an hour already rolled up (late) is
// added to the rollups as it is stored (queries sum counts, so rollup rows add up).
//
// What rollups cannot answer, they refuse rather than guess: 'list' reads raw rows only,
// a minute trend or a minScore that is not a multiple of 0.1 reads raw rows only and is a
// StoreQueryError where they are gone (compacted hours), and a range edge inside a
// compacted hour narrows the answer to whole hours and says so (QueryResult.narrowed). The
// blockable filter reads raw rows only and refuses compacted hours; realSource answers from
// where the raw rows start and says so.

import { statSync } from 'node:fs';
import { BUCKET_MS, checkQuery, fail, type AddressValue, type CheckedQuery } from './check-query.ts';
import type { EventField, EventQuery } from './event-query.ts';
import { FLOOD_ALERT_TYPES } from '../detect/alert.ts';
import { NOT_BLOCKABLE_DETAIL, ROW_COLUMNS, type EventRow, type QueryResult } from './event-row.ts';
import { parseIpv4, parseIpv6 } from '../net/address.ts';
import { NUM_FIELDS, type RowColumns } from './row-columns.ts';

export type { EventRow, QueryResult } from './event-row.ts';

export interface BackendMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** DuckDB's memory by tag (duckdb_memory(): memory_usage_bytes), MB; absent for SQLite. */
  duckdb?: Record<string, number>;
}

export interface StoreBackend {
  readonly name: 'sqlite' | 'duckdb';
  /** One transaction (SQLite) or appender (DuckDB) per call. */
  insert(rows: readonly EventRow[]): Promise<void>;
  /** insert() of rows as columns (row-columns.ts: how they cross to the database's thread). */
  insertColumns(rows: RowColumns): Promise<void>;
  /** Every measure of EventQuery; CIDR filters on source/target; a filter with an empty
   *  list constrains nothing. Throws StoreQueryError for a query it cannot answer. When
   *  `signal` aborts, the query is stopped in the database where the engine can (DuckDB:
   *  interrupted, QueryCancelledError; SQLite runs synchronously and cannot be). */
  query(q: EventQuery, signal?: AbortSignal): Promise<QueryResult>;
  /**
   * Counts every hour that ended by `upTo` (rounded down to the hour) and is not counted yet
   * into the coarse rollups, keeping the raw rows; returns the rollup rows written.
   */
  rollup(upTo: number): Promise<number>;
  /**
   * Rolls up to `before` (rounded down to the hour, so every rollup hour is whole), counts the
   * raw rows older than that into the address rollups and deletes them; returns how many raw
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
  /**
   * Where the memory of the thread running the database is, MB (benchmarks): its V8 heap
   * and, for DuckDB, duckdb_memory()'s bytes by tag. Only a backend in a thread of its own
   * can say (backend-thread.ts: the thread answers it); in the caller's thread the heap is
   * the caller's.
   */
  memory?(): Promise<BackendMemory>;
  /** DuckDB's memory by tag (duckdb_memory(): memory_usage_bytes), MB. */
  duckdbMemory?(): Promise<Record<string, number>>;
  /** Stops what runs in the database (DuckDB interrupts its reads and maintenance), then closes. */
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

export { StoreQueryError } from './check-query.ts';

export const HOUR_MS = BUCKET_MS.hour;

// ---- schema -----------------------------------------------------------------------------

/** Columns of the raw table in table order (the appender's order). src4/tgt4 (IPv4 as uint32)
 *  and src6/tgt6 (IPv6 as 32 lower-case hex digits, which sort like the address) turn a CIDR
 *  into a range. */
export const RAW_COLUMNS = [
  'id', 'at_ms', 'kind', 'type', 'source', 'src4', 'src6', 'target', 'tgt4', 'tgt6',
  'country', 'asn', 'node', 'detector', 'score', 'detail', 'features', 'n',
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
      `score ${t.real} NOT NULL, detail ${t.text} NOT NULL, features ${t.blob}, n ${t.i64} DEFAULT 1${rawKey ? `, ${rawKey}` : ''})${rawSuffix}`,
    `CREATE TABLE IF NOT EXISTS rollups (hour_ms ${t.i64} NOT NULL, ${keyCols}, band ${t.u32} NOT NULL, ` +
      `n ${t.i64} NOT NULL, max_score ${t.real} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS rollups_coarse (hour_ms ${t.i64} NOT NULL, kind ${t.text} NOT NULL, type ${t.text} NOT NULL, ` +
      `country ${t.text}, asn ${t.u32}, node ${t.text} NOT NULL, detector ${t.text} NOT NULL, band ${t.u32} NOT NULL, ` +
      `n ${t.i64} NOT NULL, max_score ${t.real} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS store_meta (name ${t.text} NOT NULL, value ${t.i64} NOT NULL)`,
  ];
}

/** Score band in tenths, as comparisons with the same constants a minScore filter uses, so a
 *  band filter over rollups selects exactly the events `score >= k/10` selects over raw rows. */
const BAND_SQL = `CASE ${[10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((k) => `WHEN score >= ${k / 10} THEN ${k}`).join(' ')} ELSE 0 END`;

export interface Dialect {
  /** SQL for floor(col / sizeMs) * sizeMs on an integer column. */
  bucket(col: string, sizeMs: number): string;
}

const FINE_KEYS = 'kind, type, source, src4, src6, target, tgt4, tgt6, country, asn, node, detector';
const COARSE_KEYS = 'kind, type, country, asn, node, detector';

/**
 * INSERT … SELECT counting the raw rows that match `where` into a rollup table, per hour.
 * Rollups are written ordered by kind, then hour: a query names one kind and a range of
 * hours, so DuckDB's per-row-group min/max skip the other kind's and other hours' rows.
 */
function rollupSql(d: Dialect, table: 'rollups' | 'rollups_coarse', where: string): string {
  const keys = table === 'rollups' ? FINE_KEYS : COARSE_KEYS;
  const n = keys.split(',').length;
  return (
    `INSERT INTO ${table} (hour_ms, ${keys}, band, n, max_score) ` +
    `SELECT ${d.bucket('at_ms', HOUR_MS)} AS hour_ms, ${keys}, ${BAND_SQL} AS band, SUM(n), MAX(score) ` +
    `FROM events WHERE ${where} GROUP BY ${Array.from({ length: n + 2 }, (_, i) => i + 1).join(', ')} ORDER BY kind, 1`
  );
}

export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

export function ceilHour(ms: number): number {
  return Math.ceil(ms / HOUR_MS) * HOUR_MS;
}

// ---- rows in ----------------------------------------------------------------------------

const groups6 = new Uint16Array(8);

/** An address column's keys: `v4` an IPv4 (or IPv4-mapped IPv6) address as a number, `v6` another IPv6 as 32 hex digits; both null for '*' or non-addresses. */
export interface AddressKeys {
  v4: number | null;
  v6: string | null;
}

/** Writes the keys of address `text` into `out`, the caller's to reuse row after row (nothing is allocated but an IPv6 key). */
export function addressKeys(text: string, out: AddressKeys): AddressKeys {
  out.v4 = null;
  out.v6 = null;
  const v4 = parseIpv4(text);
  if (v4 >= 0) out.v4 = v4;
  else if (text.includes(':') && parseIpv6(text, groups6)) {
    const g = groups6;
    if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) out.v4 = ((g[6] << 16) | g[7]) >>> 0;
    else {
      let hex = '';
      for (let i = 0; i < 8; i++) hex += g[i].toString(16).padStart(4, '0');
      out.v6 = hex;
    }
  }
  return out;
}

// ---- queries ----------------------------------------------------------------------------

export type SqlParam = string | number | bigint | null;
export type SqlValue = string | number | null;

/** Runs one SELECT and returns its rows as arrays, numbers as JS numbers. */
export type SqlRunner = (sql: string, params: SqlParam[]) => Promise<SqlValue[][]>;

/** Which hours each table holds whole (see the top of this file). */
export interface Coverage {
  /** First hour in the coarse rollups (null: none); they hold every hour up to coarseTo. */
  coarseFrom: number | null;
  coarseTo: number;
  /** First hour in the address rollups (null: none); they hold the compacted hours, up to rawFrom. */
  fineFrom: number | null;
  /** Raw rows exist for every event at or after this (-Infinity: none was ever compacted or pruned). */
  rawFrom: number;
}

type Tier = 'raw' | 'rollup';

/** WHERE clause of one tier; pushes its parameters. Filters with an empty list constrain nothing. */
function whereSql(c: CheckedQuery, tier: Tier, params: SqlParam[], from: number, to: number): string {
  const { q } = c;
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
  addressFilter(parts, params, 'source', 'src4', 'src6', c.sources);
  addressFilter(parts, params, 'target', 'tgt4', 'tgt6', c.targets);
  if (f.blockable) {
    // plan() never reads rollups for it: they keep no detail.
    parts.push('detail NOT LIKE ?');
    params.push(`%${NOT_BLOCKABLE_DETAIL}%`);
  }
  if (f.realSource) {
    parts.push(`NOT (type IN (${FLOOD_ALERT_TYPES.map(() => '?').join(', ')}) AND detail LIKE ?)`);
    params.push(...FLOOD_ALERT_TYPES, `%${NOT_BLOCKABLE_DETAIL}%`);
  }
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

/** A list of addresses/CIDRs as ranges on the numeric key columns; a text (e.g. '*', the
 *  target of a horizontal scan) matches the stored text exactly. */
function addressFilter(parts: string[], params: SqlParam[], col: string, col4: string, col6: string, values: AddressValue[] | undefined): void {
  if (!values || values.length === 0) return;
  const ors: string[] = [];
  for (const net of values) {
    if (typeof net === 'string') {
      ors.push(`${col} = ?`);
      params.push(net);
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
  /** The rollup table's whole hours the query reads, or null; raw rows cover the rest of [q.from, q.to). */
  rollup: { from: number; to: number; table: 'rollups' | 'rollups_coarse' } | null;
  narrowed?: QueryResult['narrowed'];
}

/** Which rollup hours the query reads, and whether its edges had to be narrowed. */
function plan(c: CheckedQuery, cov: Coverage): Plan {
  const { q } = c;
  if (q.measure === 'list') return { rollup: null };
  const address = namesAddress(q);
  const m = q.filters?.minScore;
  const minuteTrend = q.measure === 'trend' && c.bucketMs < HOUR_MS;
  const oddScore = m !== undefined && m > 0 && Math.round(m * 10) / 10 !== m;
  // Whether an alert's source may be banned is in its detail, which rollups do not keep.
  const strict = q.filters?.blockable === true;
  const detail = strict || q.filters?.realSource === true;
  const table = address ? 'rollups' : 'rollups_coarse';
  const tFrom = address ? cov.fineFrom : cov.coarseFrom;
  // Rollups answer by hour and by tenth of score only: such a query reads them only where the raw rows are gone.
  const tTo = Math.min(address ? cov.rawFrom : cov.coarseTo, minuteTrend || oddScore || detail ? cov.rawFrom : Infinity);
  if (tFrom === null || tTo <= tFrom) return { rollup: null };
  const from = Math.max(ceilHour(q.from), tFrom);
  const to = Math.min(floorHour(q.to), tTo);
  const rollup = from < to ? { from, to, table } as const : null;
  // An edge inside an hour whose raw rows are gone, but whose counts are kept, can only be taken whole.
  const kept = (hour: number) => hour >= tFrom && hour < tTo;
  const partialFrom = q.from % HOUR_MS !== 0 && q.from < cov.rawFrom && kept(floorHour(q.from));
  const partialTo = q.to % HOUR_MS !== 0 && floorHour(q.to) < cov.rawFrom && kept(floorHour(q.to));
  const horizon = () => new Date(cov.rawFrom).toISOString();
  if ((rollup || partialFrom || partialTo) && minuteTrend) {
    fail(`events before ${horizon()} are kept per hour: a trend by minute over ${new Date(q.from).toISOString()}.. needs bucket hour or day, or a range after that`);
  }
  if ((rollup || partialFrom || partialTo) && oddScore) {
    fail(`events before ${horizon()} keep their score in tenths: minScore ${m} needs to be a multiple of 0.1 (e.g. ${Math.round(m! * 10) / 10}), or the range must start after that`);
  }
  if ((rollup || partialFrom || partialTo) && detail) {
    // A ranking of sources answers from where the raw events start, and says so; a block's selection (blockable) must be whole.
    if (!strict) return { rollup: null, narrowed: { from: Math.max(q.from, cov.rawFrom), to: q.to, reason: `events before ${horizon()} are kept per hour without their detail, so a flood's spoofed sources are told apart only from then on` } };
    fail(`events before ${horizon()} are kept per hour without their detail, so whether an alert's source may be banned (the blockable filter, as a block command uses) is known only after that: ask about a range after it`);
  }
  if (!partialFrom && !partialTo) return { rollup };
  const nFrom = partialFrom ? ceilHour(q.from) : q.from;
  const nTo = partialTo ? floorHour(q.to) : q.to;
  return {
    rollup,
    narrowed: { from: nFrom, to: Math.max(nFrom, nTo), reason: `events before ${horizon()} are kept per hour, so the range is taken to whole hours` },
  };
}

/** One SELECT per part (the rollup hours, and the raw rows before and after them) producing (keys…, n), to be summed when there are several. */
function tierSelects(c: CheckedQuery, p: Plan, keys: (tier: Tier) => string[], params: SqlParam[]): { sql: string; summed: boolean } {
  const { q } = c;
  const parts: string[] = [];
  const select = (tier: Tier, from: number, to: number) => {
    const k = keys(tier);
    const table = tier === 'raw' ? 'events' : p.rollup!.table;
    // Both tiers sum n: a raw row is one event, or an aggregate's count of them.
    const n = 'SUM(n)';
    const where = whereSql(c, tier, params, from, to);
    const group = k.length > 0 ? ` GROUP BY ${k.map((_, i) => i + 1).join(', ')}` : '';
    parts.push(`SELECT ${[...k, `${n} AS n`].join(', ')} FROM ${table} WHERE ${where}${group}`);
  };
  const r = p.rollup;
  if (!r) select('raw', q.from, q.to);
  else {
    if (q.from < r.from) select('raw', q.from, r.from);
    select('rollup', r.from, r.to);
    if (r.to < q.to) select('raw', r.to, q.to);
  }
  return { sql: parts.join(' UNION ALL '), summed: parts.length > 1 };
}

/** Whether a query filters or groups on an address, which only the fine rollups keep. */
function namesAddress(q: EventQuery): boolean {
  const f = q.filters ?? {};
  const isAddress = (field: string | undefined) => field === 'source' || field === 'target';
  return (f.source?.length ?? 0) > 0 || (f.target?.length ?? 0) > 0 || isAddress(q.groupBy);
}

function groupSql(c: CheckedQuery, p: Plan, field: EventField, params: SqlParam[]): string {
  const inner = tierSelects(c, p, () => [field], params);
  const order = ` ORDER BY 2 DESC, 1 ASC NULLS LAST LIMIT ${c.limit}`;
  if (!inner.summed) return inner.sql + order;
  return `SELECT ${field}, SUM(n) AS n FROM (${inner.sql}) AS u GROUP BY 1` + order;
}

/** The raw table's columns of a 'list' answer (ROW_COLUMNS, with `at` stored as at_ms). */
const LIST_SQL_COLUMNS = ROW_COLUMNS.map((col) => (col === 'at' ? 'at_ms' : col)).join(', ');

/** Runs a validated EventQuery through `run`, over raw rows and the rollup hours `cov` says are whole. */
export async function runEventQuery(query: EventQuery, run: SqlRunner, d: Dialect, cov: Coverage): Promise<QueryResult> {
  const c = checkQuery(query);
  const { q } = c;
  const p = plan(c, cov);
  const done = (columns: string[], rows: SqlValue[][]): QueryResult => (p.narrowed ? { columns, rows, narrowed: p.narrowed } : { columns, rows });

  if (q.measure === 'list') {
    const params: SqlParam[] = [];
        const sql = `SELECT ${LIST_SQL_COLUMNS} FROM events WHERE ${whereSql(c, 'raw', params, q.from, q.to)} ORDER BY at_ms DESC, id DESC LIMIT ${c.limit}`;
    return done([...ROW_COLUMNS], await run(sql, params));
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
    return `SELECT ${LIST_SQL_COLUMNS}, features FROM events WHERE kind = 'alert' AND id IN (${Array.from({ length: count }, () => '?').join(', ')})`;
}

export const VECTOR_IDS_SQL = "SELECT id FROM events WHERE kind = 'alert' AND features IS NOT NULL AND at_ms < ?";

/** Rows of alertsSql as stored alerts; `blob` turns the driver's BLOB value into bytes. */
export function storedAlerts(rows: unknown[][], blob: (v: unknown) => Uint8Array | null): StoredAlert[] {
  return rows.map((r) => {
    const v = r.map((x, i) => (i < ROW_COLUMNS.length ? toSqlValue(x) : null));
    const bytes = blob(r[ROW_COLUMNS.length]);
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

/** Statements against one connection, inside the caller's transaction. */
export interface SqlExec {
  rows(sql: string, params: SqlParam[]): Promise<SqlValue[][]>;
  /** Runs a statement; returns the rows it changed. */
  run(sql: string, params: SqlParam[]): Promise<number>;
}

const COVERAGE_SQL =
  'SELECT (SELECT MIN(hour_ms) FROM rollups), (SELECT MAX(hour_ms) FROM rollups), ' +
  '(SELECT MIN(hour_ms) FROM rollups_coarse), (SELECT MAX(hour_ms) FROM rollups_coarse), ' +
  "(SELECT MAX(value) FROM store_meta WHERE name = 'raw_from'), (SELECT MAX(value) FROM store_meta WHERE name = 'coarse_to')";

/**
 * The horizons, from the tables and store_meta. A database from before store_meta (rollups
 * written only by compaction, into both tables at once) has raw rows from its last rollup
 * hour on, and coarse rollups up to there.
 */
export async function loadCoverage(x: SqlExec): Promise<Coverage> {
  const [r] = await x.rows(COVERAGE_SQL, []);
  const num = (v: SqlValue | undefined) => (v === null || v === undefined ? null : Number(v));
  const [fineMin, fineMax, coarseMin, coarseMax, rawFrom, coarseTo] = r!.map(num);
  const legacy = fineMax !== null ? fineMax + HOUR_MS : null;
  return {
    fineFrom: fineMin,
    coarseFrom: coarseMin,
    rawFrom: rawFrom ?? legacy ?? -Infinity,
    coarseTo: coarseTo ?? (coarseMax !== null ? coarseMax + HOUR_MS : 0),
  };
}

async function setMeta(x: SqlExec, name: 'raw_from' | 'coarse_to' | 'detector_model', value: number): Promise<void> {
  await x.run('DELETE FROM store_meta WHERE name = ?', [name]);
  await x.run('INSERT INTO store_meta (name, value) VALUES (?, ?)', [name, BigInt(value)]);
}

/**
 * The anomaly model's alerts and decisions were stored under detector 'kitnet' whatever the
 * model's kind (the default is the density model); they are 'model' now (alert.ts). Renamed
 * once per database, in its rows and rollups alike, so one filter and one group cover old and
 * new events; store_meta's 'detector_model' marks it done.
 */
export async function renameModelDetector(x: SqlExec): Promise<void> {
  const [done] = await x.rows("SELECT COUNT(*) FROM store_meta WHERE name = 'detector_model'", []);
  if (Number(done![0]) > 0) return;
  for (const table of ['events', 'rollups', 'rollups_coarse']) await x.run(`UPDATE ${table} SET detector = 'model' WHERE detector = 'kitnet'`, []);
  await setMeta(x, 'detector_model', 1);
}

/** Rolls hours [cov.coarseTo, floorHour(upTo)) into the coarse rollups; returns the rows written. */
export async function rollupTo(x: SqlExec, d: Dialect, cov: Coverage, upTo: number): Promise<number> {
  const to = floorHour(upTo);
  if (to <= cov.coarseTo) return 0;
  const from = Math.max(cov.coarseTo, Number.isFinite(cov.rawFrom) ? cov.rawFrom : 0);
  const written = await x.run(rollupSql(d, 'rollups_coarse', 'at_ms >= ? AND at_ms < ?'), [BigInt(from), BigInt(to)]);
  await setMeta(x, 'coarse_to', to);
  return written;
}

/** Compaction (StoreBackend.compact) in the caller's transaction; updates `cov`'s horizons (reload the rest after). */
export async function compactTo(x: SqlExec, d: Dialect, cov: Coverage, before: number): Promise<number> {
  const cutoff = floorHour(before);
  await rollupTo(x, d, cov, cutoff);
  cov.coarseTo = Math.max(cov.coarseTo, cutoff);
  await x.run(rollupSql(d, 'rollups', 'at_ms < ?'), [BigInt(cutoff)]);
  const moved = await x.run('DELETE FROM events WHERE at_ms < ?', [BigInt(cutoff)]);
  if (cutoff > cov.rawFrom) {
    cov.rawFrom = cutoff;
    await setMeta(x, 'raw_from', cutoff);
  }
  return moved;
}

/** Retention (StoreBackend.prune) in the caller's transaction: a rollup hour goes only when all of it is older than `before`. */
export async function pruneTo(x: SqlExec, cov: Coverage, before: number): Promise<number> {
  const hours = BigInt(floorHour(before) - HOUR_MS);
  // Events counted in the address rollup hours that go (compacted events), plus the raw rows.
  const [[inRollups]] = await x.rows('SELECT COALESCE(SUM(n), 0) FROM rollups WHERE hour_ms <= ?', [hours]);
  await x.run('DELETE FROM rollups WHERE hour_ms <= ?', [hours]);
  await x.run('DELETE FROM rollups_coarse WHERE hour_ms <= ?', [hours]);
  const [[rawEvents]] = await x.rows('SELECT COALESCE(SUM(n), 0) FROM events WHERE at_ms < ?', [BigInt(before)]);
  await x.run('DELETE FROM events WHERE at_ms < ?', [BigInt(before)]);
  if (before > cov.rawFrom) {
    cov.rawFrom = before;
    await setMeta(x, 'raw_from', before);
  }
  return Number(inRollups) + Number(rawEvents);
}

/**
 * Rows just stored for hours already rolled up (late): their counts are added to the coarse
 * rollups, and those older than the raw horizon go to the address rollups instead of staying
 * raw. lateRows picks them (their ids); rollLate, in a transaction, moves their counts.
 */
export function lateRows(rows: readonly EventRow[], cov: Coverage): number[] {
  const ids: number[] = [];
  for (const r of rows) if (isLate(r.at, cov)) ids.push(r.id);
  return ids;
}

/** lateRows() of rows as columns. */
export function lateColumns(rows: RowColumns, cov: Coverage): number[] {
  const ids: number[] = [];
  for (let o = 0; o < rows.count * NUM_FIELDS; o += NUM_FIELDS) if (isLate(rows.num[o + 1]!, cov)) ids.push(rows.num[o]!);
  return ids;
}

/** A row at `at` is behind the rollups (counted there already, or older than raw rows are kept). */
function isLate(at: number, cov: Coverage): boolean {
  return at < cov.coarseTo || at < cov.rawFrom;
}

export async function rollLate(x: SqlExec, d: Dialect, cov: Coverage, ids: readonly number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500).map((id) => BigInt(id));
    const inIds = `id IN (${chunk.map(() => '?').join(', ')})`;
    await x.run(rollupSql(d, 'rollups_coarse', `${inIds} AND at_ms < ?`), [...chunk, BigInt(cov.coarseTo)]);
    if (Number.isFinite(cov.rawFrom)) {
      await x.run(rollupSql(d, 'rollups', `${inIds} AND at_ms < ?`), [...chunk, BigInt(cov.rawFrom)]);
      await x.run(`DELETE FROM events WHERE ${inIds} AND at_ms < ?`, [...chunk, BigInt(cov.rawFrom)]);
    }
  }
}

/** A number from a driver value (DuckDB gives BIGINT and HUGEINT as bigint). */
export function toSqlValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string') return v;
  return String(v);
}
