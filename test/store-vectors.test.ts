// "Events like alert N" for any stored alert, not only the newest: each alert's flow-feature
// vector is stored with its row (DuckDB and SQLite), read back exactly, survives a reopening,
// and is forgotten by the similarity index when compaction removes the raw row.
import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';
import { EventStore } from '../src/store/event-store.ts';
import { SimilarIndex } from '../src/store/similar-index.ts';
import type { StoreBackend } from '../src/store/sql-backend.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import { mulberry32 } from '../devkit/prng.ts';

const DIM = 100;
const HOUR = 3_600_000;

/** Three families of vectors (around three centres), so nearest neighbours are known. */
function alerts(n: number, seed: number): Alert[] {
  const rand = mulberry32(seed);
  const centres = [0, 1, 2].map(() => Array.from({ length: DIM }, () => rand() * 1000));
  return Array.from({ length: n }, (_, i) => {
    const family = i % 3;
    const features = centres[family]!.map((c) => Math.fround(c * (1 + (rand() - 0.5) * 0.01)));
    const ts = 1_700_000_000 + i;
    return {
      type: family === 0 ? 'ssh-brute-force' : 'port-scan-vertical', source: `203.0.113.${family + 1}`, target: '10.0.0.1', score: 0.9, ts, firstTs: ts,
      detector: 'rules', blockable: true, evidence: { family }, geo: { country: 'CN', asn: 4134, asnOrg: 'X' }, features,
    } as Alert;
  });
}

for (const [name, open] of [['duckdb', openDuckdbBackend], ['sqlite', openSqliteBackend]] as Array<[string, (p: string) => Promise<StoreBackend>]>) {
  test(`${name}: alerts older than the in-memory vectors are found in the database, like themselves, until compaction forgets them`, async () => {
    const dir = testTempDir(`store-vectors-${name}-`);
    let now = Date.UTC(2026, 10, 25, 10, 0);
    const path = join(dir, 'events.db');
    const made = alerts(30, 7);
    let store: EventStore | undefined;
    try {
      const index = new SimilarIndex({ dimensions: DIM, fitCount: 8 });
      store = new EventStore({ node: 'n1', backend: await open(path), index, maxMemoryRows: 2, compactAfterMs: 24 * HOUR, now: () => now });
      const rows = made.map((a) => store!.addAlert(a));
      await store.flush();

      // The first alert's vector is no longer in memory: it comes from the database, exactly.
      const [first] = await store.alerts([rows[0]!.id]);
      assert.deepEqual(first!.features, Float32Array.from(made[0]!.features!));
      assert.equal(first!.row.source, '203.0.113.1');

      // Its nearest alerts are its own family (every third), each shown with its row.
      const like = await store.like(rows[0]!.id, 5);
      assert.equal(like.length, 5);
      for (const h of like) {
        assert.notEqual(h.id, rows[0]!.id, 'the alert itself is left out');
        assert.equal(rows.findIndex((r) => r.id === h.id) % 3, 0, `hit ${h.id} is of the first family`);
        assert.equal(h.alert?.source, '203.0.113.1');
      }
      await assert.rejects(store.like(123, 5), /alert 123 is not stored on node n1/);

      // A new store over the same file (a restart) still has them.
      await store.close();
      store = new EventStore({ node: 'n1', backend: await open(path), index, maxMemoryRows: 2, compactAfterMs: 24 * HOUR, now: () => now });
      assert.deepEqual((await store.alerts([rows[5]!.id]))[0]!.features, Float32Array.from(made[5]!.features!));

      // A day later the raw rows are compacted into counts: their vectors go from the index too.
      now += 26 * HOUR;
      const before = index.size;
      const done = await store.maintain();
      assert.equal(done.compacted, 30);
      assert.equal(store.stats.forgotten, 30);
      assert.equal(index.size, before - 30);
      await assert.rejects(store.like(rows[0]!.id, 5), new RegExp(`alert ${rows[0]!.id} is not stored`));
    } finally {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
