// A query whose deadline passes is stopped in DuckDB (connection.interrupt), not left running
// after its answer: on the backend directly, through the event store's question path
// (scatter-gather's deadline), and at close, which must not wait for running queries. Each
// time the database answers at once afterwards. The slow query is a trend by minute per
// source over 300,000 generated alerts, which takes seconds uninterrupted.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';
import { EventStore } from '../src/store/event-store.ts';
import { ScatterGather } from '../src/store/scatter-gather.ts';
import type { StoreBackend } from '../src/store/sql-backend.ts';
import { fillEvents, slowQuery } from '../devkit/store-fill.ts';
import { waitFor } from '../devkit/wait.ts';

const N = 300_000;
const dir = testTempDir('autoimmune-interrupt-');
const path = join(dir, 'events.duckdb');

before(async () => {
  await fillEvents(path, N);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const countAll = { kind: 'alert' as const, from: 0, to: Date.now() + 1, filters: {}, measure: 'count' as const };

async function open(): Promise<StoreBackend> {
  return openDuckdbBackend(path);
}

test('a query whose signal aborts is interrupted in DuckDB; the backend answers right after', async () => {
  const backend = await open();
  try {
    const stop = new AbortController();
    const running = backend.query(slowQuery(), stop.signal);
    // Aborted once DuckDB runs it (reads in flight: DuckdbBackend.running).
    await waitFor(() => (backend as unknown as { running: number }).running === 1, 'the query running');
    stop.abort(new Error('its deadline passed'));
    await assert.rejects(running, (e: unknown) => (e as { code?: string }).code === 'AI_ERR_QUERY_CANCELLED' && /deadline passed/.test((e as Error).message));
    assert.deepEqual((await backend.query(countAll)).rows, [[N]], 'the database answers the next query');
    const already = new AbortController();
    already.abort(new Error('gone'));
    await assert.rejects(backend.query(countAll, already.signal), { code: 'AI_ERR_QUERY_CANCELLED' }, 'an aborted signal runs nothing');
  } finally {
    await backend.close();
  }
});

test('a question past its deadline: the gather answers without the node, and the query is stopped in the database', async () => {
  const backend = await open();
  const store = new EventStore({ node: 'n1', backend });
  const gather = new ScatterGather({ node: 'n1', store, send: () => false, members: () => ['n1'], timeoutMs: 50 });
  try {
    const a = await gather.run(slowQuery());
    assert.deepEqual(a.scope.missing, [{ node: 'n1', why: 'no answer in time' }]);
    // Uninterrupted, the query would run on for seconds and end without being cancelled.
    await waitFor(() => store.stats.cancelled === 1 && store.stats.running === 0, 'the query cancelled in the database');
    assert.deepEqual((await gather.run(countAll)).result.rows, [[N]]);
  } finally {
    await store.close();
  }
});

test('close interrupts the queries still running and closes; they are refused as stopping', async () => {
  const backend = await open();
  const store = new EventStore({ node: 'n1', backend });
  const outcomes = [1, 2, 3].map(() => store.query(slowQuery()).then(() => 'answered', (e: { code?: string }) => e.code));
  await waitFor(() => store.stats.running === 3, 'three queries running');
  await store.close();
  assert.deepEqual(await Promise.all(outcomes), ['AI_ERR_STOPPING', 'AI_ERR_STOPPING', 'AI_ERR_STOPPING']);
  await assert.rejects(store.query(countAll), { code: 'AI_ERR_STOPPING' }, 'a closed store refuses');
  // The file is closed cleanly: it opens again with every row.
  const again = await open();
  try {
    assert.deepEqual((await again.query(countAll)).rows, [[N]]);
  } finally {
    await again.close();
  }
});
