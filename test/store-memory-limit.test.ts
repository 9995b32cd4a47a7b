// DuckDB's memory_limit (store.duckdbMemoryMb) must leave a question over a big store room to
// answer. A trend by minute per source over many sources ranks them with window functions
// (runEventQuery's trend, src/store/sql-backend.ts), and DuckDB spills only part of that to its temp file: below its
// need it fails with "Out of Memory Error" instead of answering slowly (measured with
// bench/store-memory-limit.ts: at 1,000,000 sources, 128 MB answers in about 1.2 s after
// spilling ~42 MB, 64 MB and 32 MB fail; at 300,000, 32 MB fails). This keeps the default
// from being lowered below what the node's questions need.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fillEvents, slowQuery } from '../devkit/store-fill.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';

test('a trend per source over 1,000,000 sources answers at the default store.duckdbMemoryMb', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-memory-limit-'));
  try {
    const path = join(dir, 'events.duckdb');
    await fillEvents(path, 1_000_000);
    const { store } = loadConfig().config;
    const backend = await openDuckdbBackend(path, { memoryMb: store.duckdbMemoryMb, threads: store.duckdbThreads });
    try {
      const answer = await backend.query(slowQuery());
      assert.equal(answer.rows.length, 1000); // the limit's 1,000 sources, one minute each
    } finally {
      await backend.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
