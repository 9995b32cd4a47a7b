// The event store's flush: a backlog goes to the database in chunks (so the database thread
// holds a chunk, not the whole queue), and a chunk the database refuses stays queued, with
// everything after it, until a later flush stores it: every row once, none twice. The queue
// (columns: pending-rows.ts) keeps the newest `maxPending` rows, oldest first, and a refused
// chunk goes back in front of the rows queued since; alerts' vectors, a column of their own,
// stay with their rows through all of it.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { EventRow } from '../src/store/event-row.ts';
import { EventStore, INSERT_CHUNK_ROWS } from '../src/store/event-store.ts';
import { openBackendInThread } from '../src/store/backend-thread.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';
import { NUM_FIELDS } from '../src/store/row-columns.ts';
import { featuresFromBytes, type StoreBackend } from '../src/store/sql-backend.ts';

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);

function row(i: number): EventRow {
  return { id: i + 1, kind: 'flow', at: T0 + i, type: 'tcp/80', source: `198.51.100.${i % 250}`, target: '10.0.0.1', country: null, asn: null, score: 0, node: 'n1', detector: 'flow-meter', detail: '{}' };
}

/**
 * The real backend, with the size of each insert call seen, the ids of the rows each stored
 * call held, in order, and the `failAt`-th call failing before it reaches the database (after
 * `during()`, what happens while the database is busy).
 */
function watched(backend: StoreBackend, failAt: number, during = () => {}): { backend: StoreBackend; calls: number[]; stored: number[] } {
  const calls: number[] = [];
  const stored: number[] = [];
  const insert = backend.insertColumns.bind(backend);
  backend.insertColumns = async (rows) => {
    calls.push(rows.count);
    if (calls.length === failAt) {
      during();
      throw new Error('database busy');
    }
    await insert(rows);
    for (let i = 0; i < rows.count; i++) stored.push(rows.num[i * NUM_FIELDS]!);
  };
  return { backend, calls, stored };
}

const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('a backlog is flushed in chunks, and a refused chunk is stored once by the next flush', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-store-flush-'));
  try {
    const { backend, calls } = watched(await openSqliteBackend(join(dir, 'events.sqlite')), 2);
    const store = new EventStore({ node: 'n1', backend, maxMemoryRows: 1000, now: () => T0 + 30_000 });
    const n = 20_000;
    store.addRows(Array.from({ length: n }, (_, i) => row(i)));
    await assert.rejects(store.flush(), /database busy/);
    assert.equal(store.stats.flushed, calls[0]);
    assert.equal(store.stats.pending, n - calls[0]!);
    await store.flush();
    assert.ok(calls.every((c) => c <= INSERT_CHUNK_ROWS), `insert calls of ${calls.join(', ')} rows`);
    assert.ok(calls.length >= Math.ceil(n / INSERT_CHUNK_ROWS), `a backlog of ${n} in ${calls.length} calls`);
    assert.equal(store.stats.flushed, n);
    assert.equal(store.stats.pending, 0);
    assert.equal((await backend.stats()).events, n);
    const q = await store.query({ kind: 'flow', from: T0, to: T0 + n, filters: {}, measure: 'count' });
    assert.equal(q.tier, 'database');
    assert.deepEqual(q.result.rows, [[n]]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('past maxPending the oldest queued rows are shed, and a refused flush puts its rows back in front of those queued since', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-store-shed-'));
  try {
    let store: EventStore;
    // The first insert call fails after rows 181–200 came in while it ran.
    const w = watched(await openDuckdbBackend(join(dir, 'events.duckdb')), 1, () => store.addRows(ids(181, 200).map((id) => row(id - 1))));
    store = new EventStore({ node: 'n1', backend: w.backend, maxPending: 100, now: () => T0 + 30_000 });
    store.addRows(ids(1, 150).map((id) => row(id - 1)));
    assert.equal(store.stats.shed, 50);
    assert.equal(store.stats.pending, 100);
    await assert.rejects(store.flush(), /database busy/);
    // 51–150 back in front of 181–200: 120 queued, the oldest 20 (51–70) shed.
    assert.equal(store.stats.pending, 100);
    assert.equal(store.stats.shed, 70);
    store.addRows(ids(201, 230).map((id) => row(id - 1)));
    assert.equal(store.stats.shed, 100);
    await store.flush();
    assert.deepEqual(w.stored, [...ids(101, 150), ...ids(181, 230)]);
    assert.equal(store.stats.flushed, 100);
    assert.equal(store.stats.pending, 0);
    const list = await store.query({ kind: 'flow', from: T0, to: T0 + 1000, filters: {}, measure: 'list', limit: 1000 });
    assert.equal(list.tier, 'database');
    assert.deepEqual(list.result.rows.map((r) => r[0]).sort((a, b) => Number(a) - Number(b)), [...ids(101, 150), ...ids(181, 230)]);
    // A row is stored as it was queued.
    const one = list.result.rows.find((r) => r[0] === 222)!;
    const want = row(221);
    assert.deepEqual(one, [want.id, want.kind, want.at, want.type, want.source, want.target, want.country, want.asn, want.score, want.node, want.detector, want.detail]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shedding a long queue keeps its newest rows in order (the shed slots given back on the way)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-store-shed-'));
  try {
    const w = watched(await openSqliteBackend(join(dir, 'events.sqlite')), 0);
    const store = new EventStore({ node: 'n1', backend: w.backend, maxPending: 1500, maxMemoryRows: 100, now: () => T0 + 30_000 });
    for (let i = 0; i < 5000; i += 250) store.addRows(ids(i + 1, i + 250).map((id) => row(id - 1)));
    assert.equal(store.stats.shed, 3500);
    await store.flush();
    assert.deepEqual(w.stored, ids(3501, 5000));
    assert.equal((await w.backend.stats()).events, 1500);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Row `id` of the vector test: a flow every third, else an alert, which carries vectorOf(id) unless its id is a multiple of 7. */
function mixedRow(id: number): EventRow {
  const r = row(id - 1);
  if (id % 3 === 0) return r;
  return { ...r, kind: 'alert', type: 'port-scan-vertical', detector: 'rules', ...(id % 7 === 0 ? {} : { features: vectorOf(id) }) };
}

/** A vector that names its row: id, id + 1/8, … (exact in float32 for these ids). */
const vectorOf = (id: number) => Float32Array.from({ length: 6 }, (_, k) => id + k / 8);

test('alerts\' vectors stay with their rows through the queue: its moves, shedding, chunks, a refused chunk put back, and the database thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-store-vectors-'));
  const path = join(dir, 'events.duckdb');
  try {
    let store: EventStore;
    // The second insert call fails after rows 40,001–40,500 came in while it ran.
    const w = watched(await openBackendInThread('duckdb', path), 2, () => store.addRows(ids(40_001, 40_500).map(mixedRow)));
    store = new EventStore({ node: 'n1', backend: w.backend, maxPending: 12_000, now: () => T0 + 60_000 });
    // 40,000 rows through a queue of 12,000: its columns grow with shed rows before them (at
    // 16,384 rows) and later move down in place (at 32,768); the oldest 28,000 are shed.
    store.addRows(ids(1, 40_000).map(mixedRow));
    assert.equal(store.stats.shed, 28_000);
    await assert.rejects(store.flush(), /database busy/);
    try {
      assert.deepEqual(w.calls, [INSERT_CHUNK_ROWS, Math.min(INSERT_CHUNK_ROWS, 12_000 - INSERT_CHUNK_ROWS)], 'a chunk stored, the next refused');
      await store.flush();
    } finally {
      await store.close(); // the database thread, closed even when a check fails (else the test hangs)
    }
    const want = [...ids(28_001, 40_500)];
    assert.deepEqual(w.stored, want);

    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    const stored = (await conn.runAndReadAll('SELECT id, kind, features FROM events ORDER BY id')).getRowsJS();
    conn.closeSync();
    instance.closeSync();
    assert.deepEqual(stored.map((r) => Number(r[0])), want);
    let vectors = 0;
    for (const [id, kind, bytes] of stored) {
      const r = mixedRow(Number(id));
      assert.equal(kind, r.kind, `row ${id}`);
      if (!r.features) assert.equal(bytes, null, `row ${id} has no vector`);
      else {
        assert.ok(bytes instanceof Uint8Array, `row ${id} has its vector`);
        assert.deepEqual(featuresFromBytes(bytes), r.features, `row ${id}'s vector`);
        vectors++;
      }
    }
    assert.equal(vectors, want.filter((id) => id % 3 !== 0 && id % 7 !== 0).length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
