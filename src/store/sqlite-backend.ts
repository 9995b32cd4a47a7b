// The event store's database tier on SQLite (better-sqlite3). Choices:
// - events is a WITHOUT ROWID table clustered on (kind, at_ms, id): every query names a kind
//   and a time range, so its rows are one contiguous stretch of the B-tree, and inserts in
//   time order append at its end.
// - Secondary indexes lead with the values questions filter on, and SQLite appends the
//   primary key to each, so (kind, country) is really (kind, country, at_ms, id): "from CN
//   today" is one index range that also answers the count. country, type and asn are the
//   questions' usual filters; src4 serves a source address or CIDR (as a range), src6 the
//   same for IPv6 (partial: only IPv6 rows pay for it). Each index costs ingest: a commit
//   writes every page it dirtied to the WAL, and a random key like src4 dirties a page per
//   row (measured on 300k events in batches of 1,000: no secondary index 272k events/s,
//   these four 45k/s, with target indexes too 32k/s), so targets go without one and a
//   target question scans its time range.
// - rollups: (kind, hour_ms) for the time range, (kind, src4, hour_ms) for addresses, and
//   (hour_ms) for retention; rollups_coarse: (kind, hour_ms).
// - WAL with synchronous=NORMAL: a crash may lose the last transactions but never corrupts;
//   the store batches writes, so a commit is one fsync-free append.
// - auto_vacuum=INCREMENTAL, so compaction and retention give pages back to the file system.
// better-sqlite3 is synchronous: a query blocks the calling thread for its whole run.

import { openSqlite, type SqliteDatabase as Database, type SqliteStatement as Statement } from '../util/sqlite.ts';
import { fromColumns, type RowColumns } from './row-columns.ts';
import type { EventQuery } from './event-query.ts';
import {
  TABLE_ROWS_SQL, VECTOR_IDS_SQL, RAW_COLUMNS, addressKeys, alertsSql, compactTo, featuresToBytes, lateRows, loadCoverage, pruneTo, renameModelDetector, rollLate, rollupTo,
  runEventQuery, storeStats, storedAlerts, fileBytes, schemaSql, toSqlValue,
} from './sql-backend.ts';
import type { AddressKeys, Coverage, Dialect, EventRow, QueryResult, SqlExec, SqlParam, SqlValue, StoreBackend, StoreStats, StoredAlert } from './sql-backend.ts';

const dialect: Dialect = {
  bucket: (col, sizeMs) => `(${col} / ${sizeMs}) * ${sizeMs}`,
};

const INDEXES = [
  'CREATE INDEX IF NOT EXISTS events_country ON events (kind, country)',
  'CREATE INDEX IF NOT EXISTS events_type ON events (kind, type)',
  'CREATE INDEX IF NOT EXISTS events_asn ON events (kind, asn)',
  'CREATE INDEX IF NOT EXISTS events_src4 ON events (kind, src4)',
  'CREATE INDEX IF NOT EXISTS events_src6 ON events (kind, src6) WHERE src6 IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS rollups_kind_hour ON rollups (kind, hour_ms)',
  'CREATE INDEX IF NOT EXISTS rollups_src4 ON rollups (kind, src4, hour_ms)',
  'CREATE INDEX IF NOT EXISTS rollups_hour ON rollups (hour_ms)',
  'CREATE INDEX IF NOT EXISTS rollups_coarse_kind_hour ON rollups_coarse (kind, hour_ms)',
];

class SqliteBackend implements StoreBackend {
  readonly name = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();
  private readonly insertMany: (rows: readonly EventRow[]) => void;
  private cov: Coverage = { coarseFrom: null, coarseTo: 0, fineFrom: null, rawFrom: -Infinity };
  /** better-sqlite3 is synchronous: these resolve at once (the shared maintenance is written for both drivers). */
  private readonly exec: SqlExec = {
    rows: async (sql, params) => this.rows(sql, params),
    run: async (sql, params) => this.stmt(sql).run(...params).changes,
  };

  constructor(
    private readonly db: Database,
    private readonly path: string,
  ) {
    const ins = db.prepare(`INSERT INTO events (${RAW_COLUMNS.join(', ')}) VALUES (${RAW_COLUMNS.map(() => '?').join(', ')})`);
    const src: AddressKeys = { v4: null, v6: null };
    const tgt: AddressKeys = { v4: null, v6: null };
    this.insertMany = db.transaction((rows: readonly EventRow[]) => {
      for (const r of rows) {
        addressKeys(r.source, src);
        addressKeys(r.target, tgt);
        const features = r.features ? Buffer.from(featuresToBytes(r.features)) : null;
        ins.run(r.id, r.at, r.kind, r.type, r.source, src.v4, src.v6, r.target, tgt.v4, tgt.v6, r.country, r.asn, r.node, r.detector, r.score, r.detail, features, r.n ?? 1);
      }
    });
  }

  async init(): Promise<void> {
    await renameModelDetector(this.exec);
    this.cov = await loadCoverage(this.exec);
  }

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private rows(sql: string, params: SqlParam[]): SqlValue[][] {
    const s = this.stmt(sql).raw(true);
    return (s.all(...params) as unknown[][]).map((r) => r.map(toSqlValue));
  }

  async insertColumns(rows: RowColumns): Promise<void> {
    return this.insert(fromColumns(rows));
  }

  async insert(rows: readonly EventRow[]): Promise<void> {
    this.insertMany(rows);
    const late = lateRows(rows, this.cov);
    if (late.length > 0) await this.maintenance((cov) => rollLate(this.exec, dialect, cov, late));
  }

  query(q: EventQuery): Promise<QueryResult> {
    return runEventQuery(q, async (sql, params) => this.rows(sql, params), dialect, this.cov);
  }

  rollup(upTo: number): Promise<number> {
    return this.maintenance((cov) => rollupTo(this.exec, dialect, cov, upTo));
  }

  async alerts(ids: readonly number[]): Promise<StoredAlert[]> {
    if (ids.length === 0) return [];
    // No index on id (it would cost every insert): this scans the alerts. DuckDB is the default.
    const rows = this.stmt(alertsSql(ids.length)).raw(true).all(...ids) as unknown[][];
    return storedAlerts(rows, (v) => (v instanceof Uint8Array ? v : null));
  }

  async vectorIdsBefore(before: number): Promise<number[]> {
    return this.rows(VECTOR_IDS_SQL, [BigInt(Math.floor(before))]).map((r) => Number(r[0]));
  }

  compact(before: number): Promise<number> {
    return this.maintenance((cov) => compactTo(this.exec, dialect, cov, before));
  }

  prune(before: number): Promise<number> {
    return this.maintenance((cov) => pruneTo(this.exec, cov, before));
  }

  /** One transaction (BEGIN IMMEDIATE: the statements are awaited one by one), then the horizons read back. */
  private async maintenance<T>(fn: (cov: Coverage) => Promise<T>): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    let out: T;
    try {
      out = await fn({ ...this.cov });
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      this.cov = await loadCoverage(this.exec);
      throw err;
    }
    this.cov = await loadCoverage(this.exec);
    this.afterDelete();
    return out;
  }

  private afterDelete(): void {
    this.db.pragma('incremental_vacuum');
    // A compaction rewrites most of the file through the WAL; give that space back too.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    // Row counts changed a lot: refresh the planner's statistics where it thinks they matter.
    this.db.pragma('optimize');
  }

  private files(): string[] {
    return [this.path, `${this.path}-wal`];
  }

  async sizeBytes(): Promise<number> {
    return fileBytes(this.files());
  }

  async stats(): Promise<StoreStats> {
    const free = Number(this.db.pragma('freelist_count', { simple: true })) * Number(this.db.pragma('page_size', { simple: true }));
    return storeStats(this.rows(TABLE_ROWS_SQL, [])[0], fileBytes(this.files()) - free);
  }

  async close(): Promise<void> {
    this.db.pragma('optimize');
    this.db.close();
  }
}

export interface SqliteOptions {
  /** Page cache in MiB (default 64): enough to keep the index tails being appended to hot. */
  cacheMiB?: number;
}

export async function openSqliteBackend(path: string, options: SqliteOptions = {}): Promise<StoreBackend> {
  const db = openSqlite(path);
  try {
    // auto_vacuum only takes effect before the first table is created.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = ${-1024 * (options.cacheMiB ?? 64)}`);
    db.pragma('temp_store = MEMORY');
    for (const sql of schemaSql({ u32: 'INTEGER', i64: 'INTEGER', real: 'REAL', text: 'TEXT', blob: 'BLOB' }, 'PRIMARY KEY (kind, at_ms, id)', ' WITHOUT ROWID')) {
      db.exec(sql);
    }
    // A database from before alerts kept their vectors gains the column.
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').raw(true).all('events') as unknown[][];
    if (!columns.some((c) => c[0] === 'features')) db.exec('ALTER TABLE events ADD COLUMN features BLOB');
    // ... and one from before aggregate rows gains their event count (every older row is one event).
    if (!columns.some((c) => c[0] === 'n')) db.exec('ALTER TABLE events ADD COLUMN n INTEGER DEFAULT 1');
    for (const sql of INDEXES) db.exec(sql);
    const backend = new SqliteBackend(db, path);
    await backend.init();
    return backend;
  } catch (err) {
    db.close();
    throw err;
  }
}
