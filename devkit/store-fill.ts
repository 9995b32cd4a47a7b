// A DuckDB event store file filled with `n` alerts, made in SQL (far faster than appending
// them one by one): one a second before now, each from its own source in 10.0.0.0/8, so
// that a trend by minute per source is a slow query (~6 s per million rows here) to
// interrupt. The node or backend opens it afterwards.

import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';

export const FILL_TO = Date.now() - 60_000;

export async function fillEvents(path: string, n: number): Promise<void> {
  await (await openDuckdbBackend(path)).close(); // the schema
  const instance = await DuckDBInstance.create(path);
  const c = await instance.connect();
  try {
    await c.run(
      `INSERT INTO events SELECT i, ${FILL_TO} - (${n} - i) * 1000, 'alert', 'ssh-brute-force', ` +
        `'10.' || (i // 65536 % 256) || '.' || (i // 256 % 256) || '.' || (i % 256), 167772160 + i % 16777216, NULL, ` +
        `'192.0.2.1', 3221225985, NULL, 'CN', 4134, 'n1', 'rules', 0.7, '{}', NULL, 1 FROM range(${n}) r(i)`,
    );
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** An EventQuery over every filled alert that DuckDB takes seconds to answer (a trend by minute per source). */
export function slowQuery(): { kind: 'alert'; from: number; to: number; filters: Record<string, never>; measure: 'trend'; bucket: 'minute'; groupBy: 'source'; limit: number } {
  return { kind: 'alert', from: 0, to: Date.now(), filters: {}, measure: 'trend', bucket: 'minute', groupBy: 'source', limit: 1000 };
}
