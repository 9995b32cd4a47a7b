// The event store's database in a thread of its own (src/store/backend-thread.ts), as a node
// opens it: a query whose caller gives up is interrupted in the thread with the code the
// backend gives it, errors keep their codes, and a thread that dies fails the calls waiting
// on it instead of leaving them hanging, and is opened again. Real DuckDB files, a real thread.
import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openBackendInThread } from '../src/store/backend-thread.ts';
import { EventStore } from '../src/store/event-store.ts';
import type { EventQuery } from '../src/store/event-query.ts';
import type { StoreBackend } from '../src/store/sql-backend.ts';
import { fillEvents, slowQuery } from '../devkit/store-fill.ts';
import { waitFor } from '../devkit/wait.ts';

const N = 300_000;
const dir = testTempDir('autoimmune-store-thread-');
const path = join(dir, 'events.duckdb');
const countAll: EventQuery = { kind: 'alert', from: 0, to: Date.now() + 1, filters: {}, measure: 'count' };

before(async () => {
  await fillEvents(path, N);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a query cancelled by its caller is interrupted in the thread (AI_ERR_QUERY_CANCELLED); the thread answers the next one', async () => {
  const backend = await openBackendInThread('duckdb', path);
  try {
    const stop = new AbortController();
    const running = backend.query(slowQuery(), stop.signal);
    stop.abort(new Error('its deadline passed'));
    await assert.rejects(running, (e: unknown) => (e as { code?: string }).code === 'AI_ERR_QUERY_CANCELLED' && /deadline passed/.test((e as Error).message));
    assert.deepEqual((await backend.query(countAll)).rows, [[N]]);
    const already = new AbortController();
    already.abort(new Error('gone'));
    await assert.rejects(backend.query(countAll, already.signal), { code: 'AI_ERR_QUERY_CANCELLED' });
  } finally {
    await backend.close();
  }
});

test('a query the store cannot answer is refused with its own code and message, through the thread', async () => {
  const backend = await openBackendInThread('duckdb', path);
  try {
    await assert.rejects(backend.query({ ...countAll, measure: 'top', groupBy: 'nonsense' } as never), (e: unknown) => (e as { code?: string }).code === 'AI_ERR_STORE_QUERY' && /nonsense/.test((e as Error).message));
  } finally {
    await backend.close();
  }
});

test('rows written through an EventStore reach the thread’s database and are read back', async () => {
  const own = join(dir, 'own.duckdb');
  const backend = await openBackendInThread('duckdb', own);
  const store = new EventStore({ node: 'n1', backend, memoryMs: 0 });
  try {
    const at = Date.now() - 60_000;
    store.addFlows([{ source: '198.51.100.7', target: '10.0.0.1', protocol: 6, sport: 40000, dport: 22, firstTs: at / 1000, lastTs: at / 1000 + 1, packets: 3, bytes: 180, tcpFlags: 2, anomalous: 0, scored: 3, end: 'fin', country: null, asn: null }] as never, at);
    await store.flush();
    const a = await store.query({ kind: 'flow', from: 0, to: Date.now() + 1, filters: { source: ['198.51.100.7'] }, measure: 'count' });
    assert.equal(a.tier, 'database');
    assert.deepEqual(a.result.rows, [[1]]);
  } finally {
    await store.close();
  }
});

test('a thread that dies fails the call waiting on it with AI_ERR_STORE_THREAD, and a new thread opens the database again', async () => {
  // The thread dies as the query reaches it (a fail point: a thread's environment is the
  // process's when it starts, so only this one has it), not by terminate() while DuckDB runs
  // the query: that aborts the process in the binding (see src/node/failpoints.ts).
  process.env.AUTOIMMUNE_FAILPOINTS = 'store.thread-exits-on-query';
  let backend: StoreBackend;
  try {
    backend = await openBackendInThread('duckdb', path);
  } finally {
    delete process.env.AUTOIMMUNE_FAILPOINTS;
  }
  const inside = backend as unknown as { restarts: number };
  try {
    const waiting = backend.query(slowQuery());
    await assert.rejects(waiting, { code: 'AI_ERR_STORE_THREAD' });
    // Until the new thread has the database open, calls fail fast (never hang); then they work,
    // on the same file.
    await waitFor(async () => inside.restarts === 1, 'the thread is opened again');
    assert.deepEqual((await backend.query(countAll)).rows, [[N]]);
  } finally {
    await backend.close();
  }
});

test('a backend closed while its dead thread is being opened again stays closed', async () => {
  const backend: StoreBackend = await openBackendInThread('duckdb', path);
  const inside = backend as unknown as { worker: { terminate(): Promise<number> }; restarts: number; reopening: Promise<void> | null };
  await inside.worker.terminate();
  await assert.rejects(backend.stats(), { code: 'AI_ERR_STORE_THREAD' });
  await waitFor(() => inside.reopening !== null, 'a new thread is being opened');
  await backend.close();
  await inside.reopening;
  assert.equal(inside.restarts, 0, 'the thread opened after the close was not taken into use');
  await assert.rejects(backend.stats(), { code: 'AI_ERR_STORE_THREAD' });
});

test('a database that cannot be opened is refused at open, naming the file', async () => {
  await assert.rejects(openBackendInThread('duckdb', join(dir, 'no-such-dir', 'events.duckdb')), (e: unknown) => (e as { code?: string }).code === 'AI_ERR_STORE_THREAD' && /no-such-dir/.test((e as Error).message));
});
