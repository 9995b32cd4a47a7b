// A node's event store: alerts, decisions and flow summaries as rows, in three tiers.
//   memory    the last `memoryMs` of rows (default 15 min): questions about recent minutes
//             are answered here without touching the database;
//   database  every row, written in batches (flush) — SQLite or DuckDB (store/*-backend.ts);
//   rollups   every hour that ended counted by type, country, AS… (backend.rollup), so a
//             question over days reads counts; rows older than `compactAfterMs` replaced by
//             hourly counts with their addresses (backend.compact), and everything older
//             than `retentionMs` deleted (backend.prune).
// Alerts that carry a flow-feature vector go into the similarity index too ("events like
// this one"). Adding never waits on the database: rows queue for the next flush (as columns:
// pending-rows.ts), and past `maxPending` the oldest queued are shed and counted (the
// database has fallen behind).

import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';
import type { EventQuery } from './event-query.ts';
import type { FlowRecord } from '../detect/flow-record.ts';
import { alertRow, blankFlowRow, decisionRow, flowRowInto, type EventRow, type QueryResult } from './event-row.ts';
import { evaluateQuery } from './evaluate-query.ts';
import { MemoryTier } from './memory-tier.ts';
import { PendingRows, sliceColumns } from './pending-rows.ts';
import type { RowColumns } from './row-columns.ts';
import { floorHour, type BackendMemory, type StoreBackend, type StoredAlert } from './sql-backend.ts';
import type { SimilarHit, SimilarIndex } from './similar-index.ts';
import { NotStoredError, QueryCancelledError, StoreStoppingError } from './store-errors.ts';
import type { BoundedTable } from '../detect/table-report.ts';

/**
 * Rows per insert call at most: a flush of a flood's backlog goes in chunks, so the database
 * thread holds (and the clone into it copies) 2,048 rows at a time, not 100,000 (its heap
 * held a whole batch: 45 MB in the node benchmark). 2,048 is one DuckDB vector (the data
 * chunk its appender takes). At 8,192 the flush after a replay (10,000–15,000 rows queued)
 * set the node's peak: the node benchmark's 3 passes peaked at 350 MB against 328 at 2,048
 * (2 runs each alternated), with the store thread's CPU unchanged (0.31–0.35 s a run). Each
 * call commits: a thread that dies loses its chunk only.
 */
export const INSERT_CHUNK_ROWS = 2048;

/** An hour is rolled up once it ended this long ago: rows reach the database within a flush or two of their time. */
const ROLLUP_GRACE_MS = 60_000;

export interface EventStoreOptions {
  node: string;
  /** null: memory only (no database configured). */
  backend: StoreBackend | null;
  index?: SimilarIndex | null;
  memoryMs?: number;
  maxPending?: number;
  /** Rows the memory tier holds at most, whatever memoryMs says (default 1,000,000). */
  maxMemoryRows?: number;
  compactAfterMs?: number;
  retentionMs?: number;
  now?: () => number;
}

export interface StoreStats {
  stored: number;
  pending: number;
  shed: number;
  flushed: number;
  memoryRows: number;
  indexed: number;
  compacted: number;
  pruned: number;
  /** Vectors the similarity index forgot with their alerts' raw rows. */
  forgotten: number;
  /** Queries running in the database now. */
  running: number;
  /** Queries stopped in the database because their deadline passed (QueryCancelledError). */
  cancelled: number;
}

export interface Answer {
  result: QueryResult;
  /** Which tier answered. */
  tier: 'memory' | 'database';
}

export class EventStore {
  private readonly memory = new MemoryTier();
  private pending = new PendingRows();
  /** The row a flow's values are written into on their way to the tiers (which copy them): no object per flow. */
  private readonly flowScratch = blankFlowRow();
  private nextId: number;
  /** Since when memory holds every row (the store's opening, or the eviction horizon). */
  private memorySince: number;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly maxMemoryRows: number;
  readonly stats: StoreStats = { stored: 0, pending: 0, shed: 0, flushed: 0, memoryRows: 0, indexed: 0, compacted: 0, pruned: 0, forgotten: 0, running: 0, cancelled: 0 };
  private readonly now: () => number;
  private readonly memoryMs: number;
  private readonly maxPending: number;

  constructor(private readonly o: EventStoreOptions) {
    this.now = o.now ?? Date.now;
    this.memoryMs = o.memoryMs ?? 15 * 60_000;
    this.maxPending = o.maxPending ?? 100_000;
    this.maxMemoryRows = o.maxMemoryRows ?? 1_000_000;
    // Ids increase across restarts without asking the database: microseconds at opening,
    // plus a count (a node cannot store a million events a second for long).
    this.nextId = this.now() * 1000;
    this.memorySince = o.backend ? this.now() : 0;
    // With a database, the index forgets an alert when compaction or retention takes its raw
    // row (maintain); with none, when the memory tier lets it go (by time or by count), so
    // the index is bounded as the tier is and answers only with alerts it can show.
    if (!o.backend && o.index) {
      const index = o.index;
      this.memory.onForget = (id) => {
        index.remove(id);
        this.stats.forgotten++;
      };
    }
  }

  addAlert(a: Alert, at = this.now()): EventRow {
    const row = alertRow(a, this.nextId++, this.o.node, at);
    this.add(row);
    // The index keeps vectors only in its own space; the raw ones stay with their rows.
    if (row.features && this.o.index) {
      try {
        this.o.index.add(row.id, row.features);
        this.stats.indexed++;
      } catch {
        // a vector the index refuses (wrong length, not finite): the row is kept without it
      }
    }
    return row;
  }

  /**
   * Stored alerts with their feature vectors, by id, in the order asked (absent ids left out):
   * those the memory tier holds from there, the rest from the database (after a flush, so
   * none is missed).
   */
  async alerts(ids: readonly number[]): Promise<StoredAlert[]> {
    const found = new Map<number, StoredAlert>();
    const wanted = new Set(ids);
    for (const r of this.memory.alertsById(wanted)) found.set(r.id, { row: r, features: r.features ?? null });
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0 && this.o.backend) {
      await this.flush();
      for (const a of await this.o.backend.alerts(missing)) found.set(a.row.id, a);
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  addDecision(d: Decision, geo?: { country: string | null; asn: number | null }): EventRow {
    const row = decisionRow(d, this.nextId++, this.o.node, geo);
    this.add(row);
    return row;
  }

  /** Flow summaries the detector shards ended, at `at` (wall clock). */
  addFlows(flows: readonly FlowRecord[], at = this.now()): void {
    for (const f of flows) this.add(flowRowInto(this.flowScratch, f, this.nextId++, this.o.node, at));
  }

  /** Rows made elsewhere (tests, imports): ids are the caller's. */
  addRows(rows: readonly EventRow[]): void {
    for (const r of rows) {
      this.add(r);
      if (r.id >= this.nextId) this.nextId = r.id + 1;
    }
  }

  private add(row: EventRow): void {
    this.stats.stored++;
    this.memory.push(row);
    this.evict();
    if (!this.o.backend) return;
    this.pending.push(row);
    this.shedPastBound();
  }

  /** Sheds the oldest queued rows past maxPending (counted). */
  private shedPastBound(): void {
    const over = this.pending.size - this.maxPending;
    if (over > 0) {
      this.pending.shed(over);
      this.stats.shed += over;
    }
    this.stats.pending = this.pending.size;
  }

  private evict(): void {
    let horizon = this.now() - this.memoryMs;
    this.memory.evict(horizon);
    // A bound on rows too (at 50,000 events/s, 15 minutes would be 45 million rows): past it
    // the oldest go, and memory answers only from the oldest row it still holds, a ms on.
    // With no database the memory tier is all the store holds, so the bound holds there too:
    // the rows would otherwise grow with the traffic for memoryMs (millions at a flood's rate).
    if (this.memory.size > this.maxMemoryRows) {
      this.memory.evict(horizon, this.maxMemoryRows);
      horizon = Math.max(horizon, this.memory.oldestAt()! + 1);
    }
    if (this.o.backend && horizon > this.memorySince) this.memorySince = horizon;
    this.stats.memoryRows = this.memory.size;
  }

  /**
   * Writes the queued rows to the database, INSERT_CHUNK_ROWS per insert call (one flush at a
   * time; rows queued while it runs wait for the next).
   */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const backend = this.o.backend;
    if (!backend || this.pending.size === 0) return;
    const queued = this.pending.take();
    this.stats.pending = 0;
    this.flushing = this.insertChunks(backend, queued).finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async insertChunks(backend: StoreBackend, queued: RowColumns): Promise<void> {
    for (let at = 0; at < queued.count; at += INSERT_CHUNK_ROWS) {
      const chunk = at === 0 && queued.count <= INSERT_CHUNK_ROWS ? queued : sliceColumns(queued, at, Math.min(queued.count, at + INSERT_CHUNK_ROWS));
      try {
        await backend.insertColumns(chunk);
      } catch (err) {
        // What is not stored goes back in front of the queue for the next flush (shed past the bound, counted).
        this.pending.putBack(queued, at);
        this.shedPastBound();
        throw err;
      }
      this.stats.flushed += chunk.count;
    }
  }

  /**
   * Answers from memory when it holds the whole range, else from the database (after a flush).
   * `signal`: the caller's deadline; when it aborts, the database stops the query (DuckDB).
   */
  async query(q: EventQuery, signal?: AbortSignal): Promise<Answer> {
    this.evict();
    if (q.from >= this.memorySince || !this.o.backend) return { result: evaluateQuery(this.memory.rows(q.kind, q.from, q.to), q), tier: 'memory' };
    if (this.closed) throw new StoreStoppingError();
    await this.flush();
    this.stats.running++;
    try {
      return { result: await this.o.backend.query(q, signal), tier: 'database' };
    } catch (err) {
      if (err instanceof QueryCancelledError) this.stats.cancelled++;
      throw err;
    } finally {
      this.stats.running--;
    }
  }

  /** The alerts most like `features`, nearest first, without `excludeId`. */
  similar(features: ArrayLike<number>, k: number, excludeId?: number): SimilarHit[] {
    if (!this.o.index) return [];
    return this.o.index.search(features, k, excludeId);
  }

  /**
   * "Events like alert N": the k stored alerts nearest to alert `id`'s vector (itself left
   * out), each with its row when it is still stored raw (null once compacted or pruned).
   * Throws NotStoredError naming the id when it is not a stored alert with a vector.
   */
  async like(id: number, k: number): Promise<Array<SimilarHit & { alert: EventRow | null }>> {
    const [a] = await this.alerts([id]);
    if (!a) throw new NotStoredError(`alert ${id} is not stored on node ${this.o.node} (older than the retention, compacted, or stored by another node: ask that one)`);
    if (!a.features) throw new NotStoredError(`alert ${id} on node ${this.o.node} has no flow-feature vector (only alerts raised on the packet path carry one)`);
    const hits = this.similar(a.features, k, id);
    const rows = new Map((await this.alerts(hits.map((h) => h.id))).map((x) => [x.row.id, x.row]));
    return hits.map((h) => ({ ...h, alert: rows.get(h.id) ?? null }));
  }

  /**
   * Compaction and retention, as configured; returns what each did. The similarity index
   * forgets an alert when its raw row goes (compaction keeps counts, not vectors), so "events
   * like this one" only answers with alerts it can show.
   */
  async maintain(): Promise<{ compacted: number; pruned: number }> {
    const backend = this.o.backend;
    if (!backend) return { compacted: 0, pruned: 0 };
    await this.flush();
    const now = this.now();
    const compactBefore = this.o.compactAfterMs ? floorHour(now - this.o.compactAfterMs) : -Infinity;
    const pruneBefore = this.o.retentionMs ? now - this.o.retentionMs : -Infinity;
    const rawBefore = Math.max(compactBefore, pruneBefore);
    const forget = this.o.index && rawBefore > -Infinity ? await backend.vectorIdsBefore(rawBefore) : [];
    // Hours that ended more than a minute ago are counted into the rollups (a row stored for one later still is added to them).
    await backend.rollup(now - ROLLUP_GRACE_MS);
    const compacted = compactBefore > -Infinity ? await backend.compact(compactBefore) : 0;
    const pruned = pruneBefore > -Infinity ? await backend.prune(pruneBefore) : 0;
    for (const id of forget) this.o.index!.remove(id);
    this.stats.compacted += compacted;
    this.stats.pruned += pruned;
    this.stats.forgotten += forget.length;
    return { compacted, pruned };
  }

  /**
   * The bounded tables, for the report (table-report.ts): the memory tier's rows (bound
   * store.memoryRows) and the rows queued for the database (bound store.maxPending; none
   * without a database).
   */
  tables(): Record<string, BoundedTable> {
    const t: Record<string, BoundedTable> = { storeMemoryRows: { size: this.memory.size, capacity: this.maxMemoryRows } };
    if (this.o.backend) t.storePending = { size: this.pending.size, capacity: this.maxPending };
    return t;
  }

  /** Where the database thread's memory is (benchmarks: StoreBackend.memory); null when the backend cannot say. */
  async backendMemory(): Promise<BackendMemory | null> {
    return (await this.o.backend?.memory?.()) ?? null;
  }

  /** Flushes, then closes the database, which stops the queries still running there. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush().catch(() => {});
    await this.o.backend?.close();
  }
}
