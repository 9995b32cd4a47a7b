// The event store's database tier on DuckDB (@duckdb/node-api). Choices:
// - No indexes: DuckDB scans columns, and keeps min/max per row group (122,880 rows) of every
//   column. Events arrive in time order and compaction writes rollups ordered by hour, so
//   those zone maps on at_ms/hour_ms skip every row group outside a query's range; the rest
//   is a vectorised scan of the few columns a question touches. An ART index would slow the
//   appender and, at this size, not beat the scan.
// - Inserts go through an appender, flushed (committed) once per insert call.
// - Two connections: the writer (appends, compaction, retention) and the reader, so a long
//   compaction does not queue questions behind it; DuckDB's MVCC gives the reader a snapshot.
// - Queries run on DuckDB's own threads: the event loop is free while they run.
// - Ids are not checked for uniqueness (that would take an index).

import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { EventQuery } from './event-query.ts';
import {
  TABLE_ROWS_SQL, VECTOR_IDS_SQL, addressKeys, alertsSql, compactTo, featuresToBytes, lateRows, loadCoverage, pruneTo, rollLate, rollupTo, runEventQuery,
  storeStats, storedAlerts, fileBytes, schemaSql, toSqlValue,
} from './sql-backend.ts';
import type { Coverage, Dialect, EventRow, QueryResult, SqlExec, SqlParam, SqlValue, StoreBackend, StoreStats, StoredAlert } from './sql-backend.ts';

const dialect: Dialect = {
  // `//` is DuckDB's integer division (`/` divides as doubles).
  bucket: (col, sizeMs) => `(${col} // ${sizeMs}) * ${sizeMs}`,
};

class DuckdbBackend implements StoreBackend {
  readonly name = 'duckdb' as const;
  private cov: Coverage = { coarseFrom: null, coarseTo: 0, fineFrom: null, rawFrom: -Infinity };
  private appender: DuckDBAppender | null = null;
  /** Statements on the writer connection (maintenance). */
  private readonly exec: SqlExec = {
    rows: (sql, params) => this.rows(this.writer, sql, params),
    run: async (sql, params) => Number((await this.writer.run(sql, params)).rowsChanged),
  };

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    private readonly path: string,
  ) {}

  async init(): Promise<void> {
    this.cov = await loadCoverage(this.exec);
  }

  private async rows(conn: DuckDBConnection, sql: string, params: SqlParam[]): Promise<SqlValue[][]> {
    const reader = await conn.runAndReadAll(sql, params);
    return reader.getRowsJS().map((r) => r.map(toSqlValue));
  }

  async insert(rows: readonly EventRow[]): Promise<void> {
    // One appender for the store's life, flushed (= committed) per call: an appender per call
    // costs more and, measured over 2M events, left ~650 bytes of RSS behind per row.
    const a = (this.appender ??= await this.writer.createAppender('events'));
    try {
      for (const r of rows) appendRow(a, r);
      a.flushSync();
    } catch (err) {
      // Drop a half-appended batch rather than let it ride along with the next one.
      this.dropAppender();
      throw err;
    }
    const late = lateRows(rows, this.cov);
    if (late.length > 0) await this.maintenance((cov) => rollLate(this.exec, dialect, cov, late));
  }

  private dropAppender(): void {
    if (!this.appender) return;
    try {
      this.appender.clear();
      this.appender.closeSync();
    } catch {
      // closing a failed appender may fail again; it is discarded either way
    }
    this.appender = null;
  }

  query(q: EventQuery): Promise<QueryResult> {
    return runEventQuery(q, (sql, params) => this.rows(this.reader, sql, params), dialect, this.cov);
  }

  rollup(upTo: number): Promise<number> {
    return this.maintenance((cov) => rollupTo(this.exec, dialect, cov, upTo));
  }

  async alerts(ids: readonly number[]): Promise<StoredAlert[]> {
    if (ids.length === 0) return [];
    // Ids increase with time, as the rows were appended: the zone maps on id skip the other row groups.
    const reader = await this.reader.runAndReadAll(alertsSql(ids.length), ids.map((id) => BigInt(id)));
    return storedAlerts(reader.getRowsJS() as unknown[][], (v) => (v instanceof Uint8Array ? v : null));
  }

  async vectorIdsBefore(before: number): Promise<number[]> {
    return (await this.rows(this.reader, VECTOR_IDS_SQL, [BigInt(Math.floor(before))])).map((r) => Number(r[0]));
  }

  compact(before: number): Promise<number> {
    return this.maintenance((cov) => compactTo(this.exec, dialect, cov, before));
  }

  prune(before: number): Promise<number> {
    return this.maintenance((cov) => pruneTo(this.exec, cov, before));
  }

  /**
   * One transaction on the writer, over a copy of the horizons (questions keep planning with
   * the committed ones); then they are read back and freed blocks written out.
   */
  private async maintenance<T>(fn: (cov: Coverage) => Promise<T>): Promise<T> {
    this.dropAppender(); // flushed after every insert: nothing is lost
    await this.writer.run('BEGIN TRANSACTION');
    let out: T;
    try {
      out = await fn({ ...this.cov });
      await this.writer.run('COMMIT');
    } catch (err) {
      await this.writer.run('ROLLBACK');
      this.cov = await loadCoverage(this.exec);
      throw err;
    }
    this.cov = await loadCoverage(this.exec);
    // Writes deleted row groups' space back as free blocks for later appends.
    await this.writer.run('CHECKPOINT');
    return out;
  }

  private files(): string[] {
    return [this.path, `${this.path}.wal`];
  }

  async sizeBytes(): Promise<number> {
    return fileBytes(this.files());
  }

  async stats(): Promise<StoreStats> {
    const [size] = await this.rows(this.reader, 'SELECT block_size, used_blocks FROM pragma_database_size()', []);
    const used = Number(size[0]) * Number(size[1]) + fileBytes([`${this.path}.wal`]);
    return storeStats((await this.rows(this.reader, TABLE_ROWS_SQL, []))[0], used);
  }

  async close(): Promise<void> {
    this.dropAppender();
    await this.writer.run('CHECKPOINT');
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

/** One row in table order (RAW_COLUMNS). */
function appendRow(a: DuckDBAppender, r: EventRow): void {
  const [src4, src6] = addressKeys(r.source);
  const [tgt4, tgt6] = addressKeys(r.target);
  a.appendBigInt(BigInt(r.id));
  a.appendBigInt(BigInt(r.at));
  a.appendVarchar(r.kind);
  a.appendVarchar(r.type);
  a.appendVarchar(r.source);
  if (src4 === null) a.appendNull();
  else a.appendUInteger(src4);
  if (src6 === null) a.appendNull();
  else a.appendVarchar(src6);
  a.appendVarchar(r.target);
  if (tgt4 === null) a.appendNull();
  else a.appendUInteger(tgt4);
  if (tgt6 === null) a.appendNull();
  else a.appendVarchar(tgt6);
  if (r.country === null) a.appendNull();
  else a.appendVarchar(r.country);
  if (r.asn === null) a.appendNull();
  else a.appendUInteger(r.asn);
  a.appendVarchar(r.node);
  a.appendVarchar(r.detector);
  a.appendDouble(r.score);
  a.appendVarchar(r.detail);
  if (r.features) a.appendBlob(featuresToBytes(r.features));
  else a.appendNull();
  a.endRow();
}

export interface DuckdbOptions {
  /** DuckDB's memory_limit (default '1GB'): the store shares the machine with the packet path. */
  memoryLimit?: string;
  /** Worker threads (default: DuckDB's, one per core). */
  threads?: number;
}

export async function openDuckdbBackend(path: string, options: DuckdbOptions = {}): Promise<StoreBackend> {
  const config: Record<string, string> = { memory_limit: options.memoryLimit ?? '1GB' };
  if (options.threads !== undefined) config.threads = String(options.threads);
  const instance = await DuckDBInstance.create(path, config);
  const writer = await instance.connect();
  try {
    for (const sql of schemaSql({ u32: 'UINTEGER', i64: 'BIGINT', real: 'DOUBLE', text: 'VARCHAR', blob: 'BLOB' })) await writer.run(sql);
    // A database from before alerts kept their vectors gains the column (appended last, as the appender expects).
    await writer.run('ALTER TABLE events ADD COLUMN IF NOT EXISTS features BLOB');
    const reader = await instance.connect();
    const backend = new DuckdbBackend(instance, writer, reader, path);
    await backend.init();
    return backend;
  } catch (err) {
    writer.closeSync();
    instance.closeSync();
    throw err;
  }
}
