// The event store's database in a thread of its own (backend-thread.ts is the caller's side):
// DuckDB's appender and SQLite run synchronously on the thread that calls them, so the
// packet path's event loop no longer waits on the store's writes. The thread opens the
// backend, serves each call as it comes (as the backend would in the caller's thread) and
// interrupts a query when its caller cancels it.

import { parentPort, workerData } from 'node:worker_threads';
import type { BackendThreadData, FromThread, ThreadError, ToThread } from './backend-thread-protocol.ts';
import type { StoreBackend } from './sql-backend.ts';
import { nameThread } from '../util/thread-name.ts';

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
  const args = [...m.args];
  if (m.cancellable) {
    const ctl = new AbortController();
    cancels.set(m.call, ctl);
    args.push(ctl.signal);
  }
  const fn = backend[m.method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
  // An optional method this backend lacks (memory() on SQLite): an error, not a dead thread.
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
