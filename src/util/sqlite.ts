// better-sqlite3 (synchronous SQLite) behind the few calls the project uses: it ships no types.

import { createRequire } from 'node:module';
import { privateFile } from './private-files.ts';

export type SqliteParam = string | number | bigint | null | Buffer;

export interface SqliteStatement {
  run(...params: SqliteParam[]): { changes: number };
  all(...params: SqliteParam[]): unknown[];
  raw(toggle?: boolean): SqliteStatement;
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(sql: string): void;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
}

type DatabaseCtor = new (path: string) => SqliteDatabase;

/** Opens (creating) a SQLite file, owner-only (mode 0600, which its -wal and -shm files take too). */
export function openSqlite(path: string): SqliteDatabase {
  const Sqlite = createRequire(import.meta.url)('better-sqlite3') as DatabaseCtor;
  if (path !== ':memory:' && path !== '') privateFile(path);
  return new Sqlite(path);
}
