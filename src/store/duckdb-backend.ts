// The event store's database tier on DuckDB (@duckdb/node-api). Choices:
// - No indexes: DuckDB scans columns, and keeps min/max per row group (122,880 rows) of every
//   column. Events arrive in time order and compaction writes rollups ordered by hour, so
//   those zone maps on at_ms/hour_ms skip every row group outside a query's range; the rest
//   is a vectorised scan of the few columns a question touches. An ART index would slow the
//   appender and, at this size, not beat the scan.
// - Inserts go through an appender, flushed (committed) once per insert call.
// - The writer connection (appends, compaction, retention), and a connection of its own for
//   each read (connecting costs ~0.2 ms), so a long compaction does not queue questions behind
//   it, DuckDB's MVCC gives each read a snapshot, and a read can be interrupted alone.
// - Queries run on DuckDB's own threads: the event loop is free while they run. A query whose
//   caller gives up (its AbortSignal: the question's deadline) is interrupted in DuckDB, so
//   nothing runs on after its answer; close() interrupts every read and any maintenance, so a
//   node stops without waiting for them (an interrupted maintenance is rolled back whole).
// - Ids are not checked for uniqueness (that would take an index).

import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ChunkWriter } from './duckdb-chunks.ts';
import type { RowColumns } from './row-columns.ts';
import { toColumns } from './pending-rows.ts';
import type { EventQuery } from './event-query.ts';
import {
  TABLE_ROWS_SQL, VECTOR_IDS_SQL, alertsSql, compactTo, lateColumns, loadCoverage, pruneTo, renameModelDetector, rollLate, rollupTo, runEventQuery,
  storeStats, storedAlerts, fileBytes, schemaSql, toSqlValue,
} from './sql-backend.ts';
import type { BackendMemory, Coverage, Dialect, EventRow, QueryResult, SqlExec, SqlParam, SqlValue, StoreBackend, StoreStats, StoredAlert } from './sql-backend.ts';
import { QueryCancelledError, StoreStoppingError } from './store-errors.ts';
import { makePrivate } from '../util/private-files.ts';

/** How often an interrupt is repeated until its statement ends (one sent before DuckDB starts the statement is lost). */
const INTERRUPT_EVERY_MS = 20;

/**
 * Interrupts `conn` now and every INTERRUPT_EVERY_MS until `done` settles: an interrupt that
 * reaches DuckDB before it began the statement is not kept, so one alone could miss.
 */
async function interruptUntil(conn: DuckDBConnection, done: Promise<unknown>): Promise<void> {
  let settled = false;
  const finished = done.then(
    () => void (settled = true),
    () => void (settled = true),
  );
  while (!settled) {
    conn.interrupt();
    await Promise.race([finished, new Promise((r) => setTimeout(r, INTERRUPT_EVERY_MS))]);
  }
}

const dialect: Dialect = {
  // `//` is DuckDB's integer division (`/` divides as doubles).
  bucket: (col, sizeMs) => `(${col} // ${sizeMs}) * ${sizeMs}`,
};

class DuckdbBackend implements StoreBackend {
  readonly name = 'duckdb' as const;
  private cov: Coverage = { coarseFrom: null, coarseTo: 0, fineFrom: null, rawFrom: -Infinity };
  /** The writer's appender (in a ChunkWriter), made at the first insert. */
  private chunks: ChunkWriter | null = null;
  /** Reads running, each on its own connection, until it settles. */
  private readonly reads = new Map<DuckDBConnection, Promise<unknown>>();
  /** The maintenance transaction running on the writer, if any. */
  private maintaining: Promise<unknown> | null = null;
  private closing = false;
  /** Statements on the writer connection (maintenance). */
  private readonly exec: SqlExec = {
    rows: (sql, params) => this.rows(this.writer, sql, params),
    run: async (sql, params) => Number((await this.writer.run(sql, params)).rowsChanged),
  };

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly path: string,
  ) {}

  async init(): Promise<void> {
    await renameModelDetector(this.exec);
    this.cov = await loadCoverage(this.exec);
    // The chunk writer checks the events table's columns: a table of another build is refused
    // here, when the store opens, not at each flush as a queue that sheds forever.
    this.chunks = await this.chunkWriter();
  }

  private async rows(conn: DuckDBConnection, sql: string, params: SqlParam[]): Promise<SqlValue[][]> {
    const reader = await conn.runAndReadAll(sql, params);
    return reader.getRowsJS().map((r) => r.map(toSqlValue));
  }

  /**
   * One read on a connection of its own. When `signal` aborts it is interrupted in DuckDB and
   * rejects with QueryCancelledError; when the store closes, with StoreStoppingError.
   */
  private async read<T>(signal: AbortSignal | undefined, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closing) throw new StoreStoppingError();
    if (signal?.aborted) throw new QueryCancelledError(String(signal.reason));
    const conn = await this.instance.connect();
    if (this.closing || signal?.aborted) {
      conn.closeSync();
      throw this.closing ? new StoreStoppingError() : new QueryCancelledError(String(signal!.reason));
    }
    const work = fn(conn);
    this.reads.set(conn, work);
    const onAbort = () => void interruptUntil(conn, work);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await work;
    } catch (err) {
      if (this.closing) throw new StoreStoppingError({ cause: err });
      if (signal?.aborted) throw new QueryCancelledError(String(signal.reason), { cause: err });
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.reads.delete(conn);
      conn.closeSync();
    }
  }

  private select(sql: string, params: SqlParam[], signal?: AbortSignal): Promise<SqlValue[][]> {
    return this.read(signal, (conn) => this.rows(conn, sql, params));
  }

  insert(rows: readonly EventRow[]): Promise<void> {
    return this.insertColumns(toColumns(rows));
  }

  async insertColumns(rows: RowColumns): Promise<void> {
    // One appender for the store's life, flushed (= committed) per call: an appender per call
    // costs more and, measured over 2M events, left ~650 bytes of RSS behind per row. Rows go
    // in by data chunks (duckdb-chunks.ts).
    const w = (this.chunks ??= await this.chunkWriter());
    try {
      w.append(rows);
      w.appender.flushSync();
    } catch (err) {
      // Drop a half-appended batch rather than let it ride along with the next one.
      this.dropAppender();
      throw err;
    }
    const late = lateColumns(rows, this.cov);
    if (late.length > 0) await this.maintenance((cov) => rollLate(this.exec, dialect, cov, late));
  }

  private async chunkWriter(): Promise<ChunkWriter> {
    const appender = await this.writer.createAppender('events');
    try {
      return new ChunkWriter(appender);
    } catch (err) {
      appender.closeSync();
      throw err;
    }
  }

  private dropAppender(): void {
    if (!this.chunks) return;
    try {
      this.chunks.appender.clear();
      this.chunks.appender.closeSync();
    } catch {
      // closing a failed appender may fail again; it is discarded either way
    }
    this.chunks = null;
  }

  query(q: EventQuery, signal?: AbortSignal): Promise<QueryResult> {
    return runEventQuery(q, (sql, params) => this.select(sql, params, signal), dialect, this.cov);
  }

  rollup(upTo: number): Promise<number> {
    return this.maintenance((cov) => rollupTo(this.exec, dialect, cov, upTo));
  }

  async alerts(ids: readonly number[]): Promise<StoredAlert[]> {
    if (ids.length === 0) return [];
    // Ids increase with time, as the rows were appended: the zone maps on id skip the other row groups.
    const rows = await this.read(undefined, async (conn) => (await conn.runAndReadAll(alertsSql(ids.length), ids.map((id) => BigInt(id)))).getRowsJS());
    return storedAlerts(rows as unknown[][], (v) => (v instanceof Uint8Array ? v : null));
  }

  async vectorIdsBefore(before: number): Promise<number[]> {
    return (await this.select(VECTOR_IDS_SQL, [BigInt(Math.floor(before))])).map((r) => Number(r[0]));
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
  private maintenance<T>(fn: (cov: Coverage) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new StoreStoppingError());
    const run = this.transaction(fn);
    const tracked = run.finally(() => {
      if (this.maintaining === tracked) this.maintaining = null;
    });
    this.maintaining = tracked;
    return tracked;
  }

  private async transaction<T>(fn: (cov: Coverage) => Promise<T>): Promise<T> {
    this.dropAppender(); // flushed after every insert: nothing is lost
    await this.writer.run('BEGIN TRANSACTION');
    let out: T;
    try {
      out = await fn({ ...this.cov });
      await this.writer.run('COMMIT');
    } catch (err) {
      // Interrupted by close(): the connection's close rolls the transaction back.
      if (this.closing) throw new StoreStoppingError({ cause: err });
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
    const [size] = await this.select('SELECT block_size, used_blocks FROM pragma_database_size()', []);
    const used = Number(size[0]) * Number(size[1]) + fileBytes([`${this.path}.wal`]);
    return storeStats((await this.select(TABLE_ROWS_SQL, []))[0], used);
  }

  async duckdbMemory(): Promise<Record<string, number>> {
    const duckdb: Record<string, number> = {};
    for (const [tag, bytes] of await this.select('SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0', [])) duckdb[String(tag)] = Math.round(Number(bytes) / 1048576);
    return duckdb;
  }

  /** Reads running now (each on its own connection). */
  get running(): number {
    return this.reads.size;
  }

  /**
   * Interrupts every read and any maintenance and waits for them to end (DuckDB stops a
   * statement within milliseconds of an interrupt), then checkpoints and closes: closing under
   * a running statement could wait for it, or deadlock.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const busy = [...this.reads].map(([conn, work]) => interruptUntil(conn, work));
    const maintaining = this.maintaining;
    if (maintaining) busy.push(interruptUntil(this.writer, maintaining));
    await Promise.all(busy);
    if (maintaining) {
      try {
        await this.writer.run('ROLLBACK'); // an interrupted transaction ends here (none left: ignored)
      } catch {
        // no transaction open
      }
    }
    this.dropAppender();
    await this.writer.run('CHECKPOINT');
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

export interface DuckdbOptions {
  /**
   * DuckDB's memory_limit in MB (default 128: store.duckdbMemoryMb): its buffer manager's
   * ceiling (appended blocks not yet checkpointed, a query's hash tables and sorts); past it
   * a query spills to `<file>.tmp` beside the database instead of growing the node.
   */
  memoryMb?: number;
  /** DuckDB's worker threads (default 1: store.duckdbThreads); its default is one per core. */
  threads?: number;
}

export const DUCKDB_DEFAULTS = Object.freeze({ memoryMb: 128, threads: 1 });

export async function openDuckdbBackend(path: string, options: DuckdbOptions = {}): Promise<StoreBackend> {
  const config: Record<string, string> = {
    memory_limit: `${options.memoryMb ?? DUCKDB_DEFAULTS.memoryMb}MB`,
    threads: String(options.threads ?? DUCKDB_DEFAULTS.threads),
  };
  const instance = await DuckDBInstance.create(path, config);
  // Owner-only, also when made by an older version (a new WAL takes the node's umask, 077).
  makePrivate([path, `${path}.wal`]);
  const writer = await instance.connect();
  try {
    for (const sql of schemaSql({ u32: 'UINTEGER', i64: 'BIGINT', real: 'DOUBLE', text: 'VARCHAR', blob: 'BLOB' })) await writer.run(sql);
    // A database from before alerts kept their vectors gains the column (appended last, as the appender expects).
    await writer.run('ALTER TABLE events ADD COLUMN IF NOT EXISTS features BLOB');
    // ... and one from before aggregate rows gains their event count (every older row is one event).
    await writer.run('ALTER TABLE events ADD COLUMN IF NOT EXISTS n BIGINT DEFAULT 1');
    const backend = new DuckdbBackend(instance, writer, path);
    await backend.init();
    return backend;
  } catch (err) {
    writer.closeSync();
    instance.closeSync();
    throw err;
  }
}
