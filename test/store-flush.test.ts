// The event store's flush: a backlog goes to the database in chunks (so the database thread
// holds a chunk, not the whole queue), and a chunk the database refuses stays queued, with
// everything after it, until a later flush stores it: every row once, none twice.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EventRow } from '../src/store/event-row.ts';
import { EventStore } from '../src/store/event-store.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import type { StoreBackend } from '../src/store/sql-backend.ts';

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);

function row(i: number): EventRow {
  return { id: i + 1, kind: 'flow', at: T0 + i, type: 'tcp/80', source: `198.51.100.${i % 250}`, target: '10.0.0.1', country: null, asn: null, score: 0, node: 'n1', detector: 'flow-meter', detail: '{}' };
}

/** The real backend, with the size of each insert call seen and the `failAt`-th call failing before it reaches the database. */
function watched(backend: StoreBackend, failAt: number): { backend: StoreBackend; calls: number[] } {
  const calls: number[] = [];
  const insert = backend.insert.bind(backend);
  backend.insert = async (rows) => {
    calls.push(rows.length);
    if (calls.length === failAt) throw new Error('database busy');
    return insert(rows);
  };
  return { backend, calls };
}

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
    assert.ok(calls.every((c) => c <= 8192), `insert calls of ${calls.join(', ')} rows`);
    assert.ok(calls.length >= 4, `a backlog of ${n} in one call`);
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
