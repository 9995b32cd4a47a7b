// The store's database thread alone: the rows a node-run stored (read back from its state dir's
// DuckDB file) inserted again into a DuckDB store thread, 8,192 rows a call as the event store
// sends them, three passes; prints the CPU seconds of the store's thread (`ai-store`) and of
// the main thread (the rows' clone out) for passes 2 and 3.
//
//   node --import tsx bench/node/store-thread-cpu.ts STATE_DIR/events.duckdb

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackendInThread } from '../../src/store/backend-thread.ts';
import { storedRows } from './stored-rows.ts';
import { readThreads } from './thread-cpu.ts';
import { INSERT_CHUNK_ROWS } from '../../src/store/event-store.ts';


/** CPU seconds so far of the threads named `name` ('main': this process's main thread). */
function threadCpuS(name: string): number {
  let s = 0;
  for (const [tid, t] of readThreads()) if (name === 'main' ? tid === process.pid : t.comm === name) s += t.cpuS;
  return s;
}

const source = process.argv[2];
if (!source) throw new Error('usage: store-thread-cpu.ts EVENTS.duckdb');
const rows = await storedRows(source);
const dir = mkdtempSync(join(tmpdir(), 'store-thread-cpu-'));
const backend = await openBackendInThread('duckdb', join(dir, 'events.duckdb'));
try {
  for (let pass = 1; pass <= 3; pass++) {
    const store0 = threadCpuS('ai-store');
    const main0 = threadCpuS('main');
    for (let at = 0; at < rows.length; at += INSERT_CHUNK_ROWS) await backend.insert(rows.slice(at, at + INSERT_CHUNK_ROWS).map((r) => ({ ...r, id: r.id + pass * 1e7 })));
    if (pass === 1) continue; // the thread's code warming up
    const store = threadCpuS('ai-store') - store0;
    const main = threadCpuS('main') - main0;
    process.stdout.write(`${JSON.stringify({ pass, rows: rows.length, store_thread_s: +store.toFixed(2), main_thread_s: +main.toFixed(2), store_us_per_row: +((store * 1e6) / rows.length).toFixed(2) })}\n`);
  }
} finally {
  await backend.close();
  rmSync(dir, { recursive: true });
}
