// A StoreBackend whose database runs in a worker thread of its own (backend-thread-worker.ts).
// DuckDB's appender and its flush, and SQLite, run on the thread that calls them: in the
// node's main thread they took 13–16 % of the packet path's time (the profile in the README's
// benchmarks). Here a call is a message: rows are cloned once (structured clone, as columns:
// row-columns.ts), answers come
// back the same way, a query's AbortSignal interrupts it in the thread, and errors keep their
// codes (a query the store cannot answer, a cancelled one, the store closing). A thread that
// dies fails every call waiting on it with StoreThreadError, and so does every call until a new
// thread has opened the database again: it is restarted at once, then after 1, 2, 4 … 30 s
// while it keeps failing (what was in the dead thread's last insert is lost; the file is not).

import { Worker } from 'node:worker_threads';
import { StoreQueryError } from './check-query.ts';
import type { BackendKind, BackendMethod, BackendThreadData, FromThread, ThreadError, ToThread } from './backend-thread-protocol.ts';
import type { DuckdbOptions } from './duckdb-backend.ts';
import type { EventQuery } from './event-query.ts';
import type { RowColumns } from './row-columns.ts';
import { toColumns } from './pending-rows.ts';
import type { BackendMemory, EventRow, QueryResult, StoreBackend, StoreStats, StoredAlert } from './sql-backend.ts';
import { QueryCancelledError, StoreSchemaError, StoreStoppingError, StoreThreadError } from './store-errors.ts';
import { threadEntry } from '../util/package-files.ts';

const BOOT = threadEntry(import.meta.url, './backend-thread-boot.mjs', './backend-thread-worker.ts');
const CANCELLED_PREFIX = 'query cancelled in the database: ';

/** The error the thread threw, as the backend would have thrown it here. */
function rethrown(e: ThreadError, what: string): Error {
  switch (e.code) {
    case 'AI_ERR_STORE_SCHEMA':
      return new StoreSchemaError(e.message, true);
    case 'AI_ERR_STORE_QUERY':
      return new StoreQueryError(e.message);
    case 'AI_ERR_QUERY_CANCELLED':
      return new QueryCancelledError(e.message.startsWith(CANCELLED_PREFIX) ? e.message.slice(CANCELLED_PREFIX.length) : e.message);
    case 'AI_ERR_STOPPING':
      return new StoreStoppingError();
    default:
      return new StoreThreadError(`event store database thread: ${what} failed: ${e.message}`);
  }
}

interface Waiting {
  resolve(v: unknown): void;
  reject(e: Error): void;
  method: BackendMethod;
}

/**
 * The thread's V8 young generation, MB (V8's default lets it reach 48): the thread's objects
 * are a batch of rows cloned in, appended and dropped, so a larger nursery only holds more
 * garbage. At 8 its heap peaked at 52 MB against 71 in the node benchmark, for the same CPU.
 */
const THREAD_YOUNG_GENERATION_MB = 8;

/** Restart delays after the first (immediate) one, ms. */
const RESTART_BACKOFF_MS = [1000, 2000, 4000, 8000, 16000, 30000];

class ThreadBackend implements StoreBackend {
  private readonly waiting = new Map<number, Waiting>();
  private nextCall = 1;
  private failure: Error | null = null;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Threads opened again after one died. */
  restarts = 0;
  /** The attempt in progress to open a thread again (settles when it has opened or failed). */
  reopening: Promise<void> | null = null;

  constructor(
    readonly name: BackendKind,
    private readonly data: BackendThreadData,
    private worker: Worker,
  ) {
    this.attach(worker);
  }

  private attach(worker: Worker): void {
    worker.on('message', (m: FromThread) => {
      if (!('call' in m)) return;
      const w = this.waiting.get(m.call);
      if (!w) return;
      this.waiting.delete(m.call);
      if ('error' in m) w.reject(rethrown(m.error, w.method));
      else w.resolve(m.value);
    });
    worker.on('error', (err) => this.died(worker, new StoreThreadError(`event store database thread crashed: ${err.message}; it is opened again`, { cause: err })));
    worker.on('exit', (code) => this.died(worker, new StoreThreadError(`event store database thread exited (status ${code}); it is opened again`)));
  }

  private died(worker: Worker, err: Error): void {
    if (worker !== this.worker) return; // an old thread's late event
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    if (!this.closing && this.restartTimer === undefined) this.restart(0);
  }

  private restart(attempt: number): void {
    const delay = attempt === 0 ? 0 : RESTART_BACKOFF_MS[Math.min(attempt - 1, RESTART_BACKOFF_MS.length - 1)]!;
    this.restartTimer = setTimeout(() => {
      this.reopening = openWorker(this.data).then(
        async (worker) => {
          this.restartTimer = undefined;
          if (this.closing) return void (await worker.terminate());
          this.worker = worker;
          this.attach(worker);
          this.failure = null;
          this.restarts++;
        },
        () => this.restart(attempt + 1),
      );
    }, delay);
    this.restartTimer.unref();
  }

  private call<T>(method: BackendMethod, args: unknown[], signal?: AbortSignal): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    // Cancelled before it was asked: never run (a cancel posted after the call could reach the
    // thread after a quick answer), as the backend refuses it in-process (duckdb-backend read()).
    if (signal?.aborted) return Promise.reject(new QueryCancelledError(String(signal.reason)));
    const call = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      let done = () => {};
      const cancel = () => this.worker.postMessage({ cancel: call, reason: String(signal!.reason) } satisfies ToThread);
      if (signal) {
        signal.addEventListener('abort', cancel, { once: true });
        done = () => signal.removeEventListener('abort', cancel);
      }
      this.waiting.set(call, { resolve: (v) => (done(), resolve(v as T)), reject: (e) => (done(), reject(e)), method });
      this.worker.postMessage((signal ? { call, method, args, cancellable: true } : { call, method, args }) satisfies ToThread);
    });
  }

  insert(rows: readonly EventRow[]): Promise<void> {
    return this.insertColumns(toColumns(rows));
  }
  insertColumns(rows: RowColumns): Promise<void> {
    return this.call('insertColumns', [rows]);
  }
  query(q: EventQuery, signal?: AbortSignal): Promise<QueryResult> {
    return this.call('query', [q], signal);
  }
  rollup(upTo: number): Promise<number> {
    return this.call('rollup', [upTo]);
  }
  compact(before: number): Promise<number> {
    return this.call('compact', [before]);
  }
  alerts(ids: readonly number[]): Promise<StoredAlert[]> {
    return this.call('alerts', [ids]);
  }
  vectorIdsBefore(before: number): Promise<number[]> {
    return this.call('vectorIdsBefore', [before]);
  }
  prune(before: number): Promise<number> {
    return this.call('prune', [before]);
  }
  sizeBytes(): Promise<number> {
    return this.call('sizeBytes', []);
  }
  stats(): Promise<StoreStats> {
    return this.call('stats', []);
  }
  memory(): Promise<BackendMemory> {
    return this.call('memory', []);
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    if (this.failure) return;
    try {
      await this.call('close', []);
    } finally {
      await this.worker.terminate();
    }
  }
}

/** Opens the `kind` database at `path` in a thread of its own; rejects as the backend's open would. */
export async function openBackendInThread(kind: BackendKind, path: string, duckdb?: DuckdbOptions): Promise<StoreBackend> {
  const data: BackendThreadData = duckdb ? { kind, path, duckdb } : { kind, path };
  return new ThreadBackend(kind, data, await openWorker(data));
}

/** A thread that has opened the database (its first message said so). */
async function openWorker(data: BackendThreadData): Promise<Worker> {
  const { path } = data;
  const worker = new Worker(BOOT, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      worker.off('message', onMessage);
      void worker.terminate();
      reject(err);
    };
    const onMessage = (m: FromThread) => {
      if ('ready' in m) {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve();
      } else if ('openFailed' in m) {
        const e = m.openFailed;
        fail(e.code === 'AI_ERR_STORE_SCHEMA' ? rethrown(e, 'open') : new StoreThreadError(`the event store database ${path} could not be opened: ${e.message}`));
      }
    };
    const onError = (err: Error) => fail(new StoreThreadError(`event store database thread failed while opening ${path}: ${err.message}`, { cause: err }));
    const onExit = (code: number) => fail(new StoreThreadError(`event store database thread exited (status ${code}) while opening ${path}`));
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
  return worker;
}
