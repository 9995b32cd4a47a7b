// A node's event store: alerts and decisions as rows, in three tiers.
//   memory    the last `memoryMs` of rows (default 15 min): questions about recent minutes
//             are answered here without touching the database;
//   database  every row, written in batches (flush) — SQLite or DuckDB (store/*-backend.ts);
//   rollups   rows older than `compactAfterMs` aggregated by hour (backend.compact), and
//             everything older than `retentionMs` deleted (backend.prune).
// Alerts that carry a flow-feature vector go into the similarity index too ("events like
// this one"). Adding never waits on the database: rows queue for the next flush, and past
// `maxPending` the oldest queued are shed and counted (the database has fallen behind).

import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';
import type { EventQuery } from './event-query.ts';
import { alertRow, decisionRow, type EventRow, type QueryResult } from './event-row.ts';
import { evaluateQuery } from './evaluate-query.ts';
import type { StoreBackend } from './sql-backend.ts';
import type { SimilarHit, SimilarIndex } from './similar-index.ts';

export interface EventStoreOptions {
  node: string;
  /** null: memory only (no database configured). */
  backend: StoreBackend | null;
  index?: SimilarIndex | null;
  memoryMs?: number;
  maxPending?: number;
  /** Rows the memory tier holds at most, whatever memoryMs says (default 1,000,000). */
  maxMemoryRows?: number;
  /** Raw feature vectors kept for "events like alert N" (the newest alerts; 400 bytes each). */
  maxVectors?: number;
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
}

export interface Answer {
  result: QueryResult;
  /** Which tier answered. */
  tier: 'memory' | 'database';
}

export class EventStore {
  private readonly memory: EventRow[] = [];
  private memoryHead = 0;
  private pending: EventRow[] = [];
  private nextId: number;
  /** Since when memory holds every row (the store's opening, or the eviction horizon). */
  private memorySince: number;
  private flushing: Promise<void> | null = null;
  private readonly vectors = new Map<number, { row: EventRow; vector: Float32Array }>();
  private readonly maxVectors: number;
  private readonly maxMemoryRows: number;
  readonly stats: StoreStats = { stored: 0, pending: 0, shed: 0, flushed: 0, memoryRows: 0, indexed: 0, compacted: 0, pruned: 0 };
  private readonly now: () => number;
  private readonly memoryMs: number;
  private readonly maxPending: number;

  constructor(private readonly o: EventStoreOptions) {
    this.now = o.now ?? Date.now;
    this.memoryMs = o.memoryMs ?? 15 * 60_000;
    this.maxPending = o.maxPending ?? 100_000;
    this.maxVectors = o.maxVectors ?? 200_000;
    this.maxMemoryRows = o.maxMemoryRows ?? 1_000_000;
    // Ids increase across restarts without asking the database: microseconds at opening,
    // plus a count (a node cannot store a million events a second for long).
    this.nextId = this.now() * 1000;
    this.memorySince = o.backend ? this.now() : 0;
  }

  addAlert(a: Alert, at = this.now()): EventRow {
    const row = alertRow(a, this.nextId++, this.o.node, at);
    this.add(row);
    if (a.features && this.o.index) {
      try {
        this.o.index.add(row.id, a.features);
        this.stats.indexed++;
        // The index keeps vectors only in its own space: the raw ones of recent alerts are
        // kept here so "events like alert N" can start from N's own vector.
        this.vectors.set(row.id, { row, vector: Float32Array.from(a.features) });
        if (this.vectors.size > this.maxVectors) this.vectors.delete(this.vectors.keys().next().value!);
      } catch {
        // a vector the index refuses (wrong length, not finite): the row is kept without it
      }
    }
    return row;
  }

  /** A recent stored alert with its feature vector (the newest `maxVectors` are kept), if kept. */
  recentAlert(id: number): { row: EventRow; vector: Float32Array } | undefined {
    return this.vectors.get(id);
  }

  addDecision(d: Decision, geo?: { country: string | null; asn: number | null }): EventRow {
    const row = decisionRow(d, this.nextId++, this.o.node, geo);
    this.add(row);
    return row;
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
    if (this.pending.length > this.maxPending) {
      const over = this.pending.length - this.maxPending;
      this.pending.splice(0, over);
      this.stats.shed += over;
    }
    this.stats.pending = this.pending.length;
  }

  private evict(): void {
    let horizon = this.now() - this.memoryMs;
    while (this.memoryHead < this.memory.length && this.memory[this.memoryHead]!.at < horizon) this.memoryHead++;
    // A bound on rows too (at 50,000 events/s, 15 minutes would be 45 million rows): past it
    // the oldest go, and memory answers only from the newest row it still holds.
    if (this.o.backend && this.memory.length - this.memoryHead > this.maxMemoryRows) {
      this.memoryHead = this.memory.length - this.maxMemoryRows;
      horizon = Math.max(horizon, this.memory[this.memoryHead]!.at + 1);
    }
    // Compact the array now and then rather than shifting on every eviction.
    if (this.memoryHead > 4096 && this.memoryHead * 2 > this.memory.length) {
      this.memory.splice(0, this.memoryHead);
      this.memoryHead = 0;
    }
    if (this.o.backend && horizon > this.memorySince) this.memorySince = horizon;
    this.stats.memoryRows = this.memory.length - this.memoryHead;
  }

  /** Writes the queued rows to the database in one batch (one at a time). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const backend = this.o.backend;
    if (!backend || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.stats.pending = 0;
    this.flushing = backend.insert(batch).then(
      () => {
        this.stats.flushed += batch.length;
        this.flushing = null;
        return undefined;
      },
      (err: unknown) => {
        // Back in front of the queue for the next flush (shed past the bound, counted).
        this.pending = batch.concat(this.pending);
        this.flushing = null;
        throw err;
      },
    );
    return this.flushing;
  }

  /** Answers from memory when it holds the whole range, else from the database (after a flush). */
  async query(q: EventQuery): Promise<Answer> {
    this.evict();
    if (q.from >= this.memorySince || !this.o.backend) return { result: evaluateQuery(this.memoryRows(), q), tier: 'memory' };
    await this.flush();
    return { result: await this.o.backend.query(q), tier: 'database' };
  }

  private *memoryRows(): Iterable<EventRow> {
    for (let i = this.memoryHead; i < this.memory.length; i++) yield this.memory[i]!;
  }

  /** The alerts most like `features` (or like the stored alert `id`'s vector when given as the reference). */
  similar(features: ArrayLike<number>, k: number, excludeId?: number): SimilarHit[] {
    if (!this.o.index) return [];
    return this.o.index.search(features, k, excludeId);
  }

  /** Compaction and retention, as configured; returns what each did. */
  async maintain(): Promise<{ compacted: number; pruned: number }> {
    const backend = this.o.backend;
    if (!backend) return { compacted: 0, pruned: 0 };
    await this.flush();
    const now = this.now();
    const compacted = this.o.compactAfterMs ? await backend.compact(now - this.o.compactAfterMs) : 0;
    const pruned = this.o.retentionMs ? await backend.prune(now - this.o.retentionMs) : 0;
    this.stats.compacted += compacted;
    this.stats.pruned += pruned;
    return { compacted, pruned };
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    await this.o.backend?.close();
  }
}
