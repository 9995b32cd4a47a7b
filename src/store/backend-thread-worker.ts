// The event store's database in a thread of its own (backend-thread.ts is the caller's side):
// DuckDB's appender and SQLite run synchronously on the thread that calls them, so the
// packet path's event loop no longer waits on the store's writes. The thread opens the
// backend, serves each call as it comes (as the backend would in the caller's thread) and
// interrupts a query when its caller cancels it.

import { parentPort, workerData } from 'node:worker_threads';
import type { BackendThreadData, FromThread, ThreadError, ToThread } from './backend-thread-protocol.ts';
import type { BackendMemory, StoreBackend } from './sql-backend.ts';
import { nameThread } from '../util/thread-name.ts';
import { failpoint } from '../node/failpoints.ts';

nameThread('ai-store');

const data = workerData as BackendThreadData;
const port = parentPort!;
const send = (m: FromThread) => port.postMessage(m);

function thrown(err: unknown): ThreadError {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : null, message: typeof e?.message === 'string' ? e.message : String(err) };
}

async function open(): Promise<StoreBackend> {
  if (data.kind === 'duckdb') return (await import('./duckdb-backend.ts')).openDuckdbBackend(data.path, data.duckdb);
  return (await import('./sqlite-backend.ts')).openSqliteBackend(data.path);
}

/** This thread's V8 heap and DuckDB's memory, MB (StoreBackend.memory). */
async function threadMemory(): Promise<BackendMemory> {
  const mb = (b: number) => Math.round(b / 1048576);
  const m = process.memoryUsage();
  const duckdb = await backend.duckdbMemory?.();
  return { heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), ...(duckdb ? { duckdb } : {}) };
}

let backend: StoreBackend;
try {
  backend = await open();
} catch (err) {
  send({ openFailed: thrown(err) });
  process.exit(0);
}
const cancels = new Map<number, AbortController>();

port.on('message', (m: ToThread) => {
  if ('cancel' in m) {
    cancels.get(m.cancel)?.abort(m.reason);
    return;
  }
  if (m.method === 'query' && failpoint('store.thread-exits-on-query')) process.exit(1);
  const args = [...m.args];
  if (m.cancellable) {
    const ctl = new AbortController();
    cancels.set(m.call, ctl);
    args.push(ctl.signal);
  }
  // memory() is this thread's to answer (its heap; the backend adds DuckDB's own); an optional
  // method this backend lacks is an error, not a dead thread.
  const fn = m.method === 'memory' ? threadMemory : (backend[m.method] as ((...a: unknown[]) => Promise<unknown>) | undefined);
  const run = fn ? fn.apply(backend, args) : Promise.reject(new Error(`${backend.name} has no ${m.method}()`));
  run.then(
    (value) => send({ call: m.call, value }),
    (err: unknown) => send({ call: m.call, error: thrown(err) }),
  ).finally(() => {
    cancels.delete(m.call);
    if (m.method === 'close') port.close();
  });
});
send({ ready: true });
