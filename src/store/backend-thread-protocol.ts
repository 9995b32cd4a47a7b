// What the event store's database thread and its caller say to each other
// (backend-thread.ts, backend-thread-worker.ts): a call by id, its answer or error, and the
// cancellation of a query whose caller gave up.

import type { DuckdbOptions } from './duckdb-backend.ts';
import type { StoreBackend } from './sql-backend.ts';

export type BackendKind = 'duckdb' | 'sqlite';

export interface BackendThreadData {
  kind: BackendKind;
  path: string;
  duckdb?: DuckdbOptions;
}

/** The StoreBackend methods the thread serves (every one but `name`). */
export type BackendMethod = Exclude<keyof StoreBackend, 'name'>;

export type ToThread = { call: number; method: BackendMethod; args: unknown[]; cancellable?: boolean } | { cancel: number; reason: string };

export interface ThreadError {
  code: string | null;
  message: string;
}

export type FromThread = { ready: true } | { openFailed: ThreadError } | { call: number; value: unknown } | { call: number; error: ThreadError };
