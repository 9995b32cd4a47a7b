// DuckDB's rows go in by data chunks, sent to its thread as columns (duckdb-chunks.ts,
// row-columns.ts): every raw column stored must be what SQLite, which inserts row by row with
// its own statement, stores for the same rows — across chunk boundaries (2,048 rows), NULLs in
// every nullable column, IPv6 and IPv4-mapped addresses, ids above 2^32, aggregate counts and
// alert vectors.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { EventGenerator } from '../bench/store-backends.ts';
import { testTempDir } from '../devkit/temp-dir.ts';
import { openBackendInThread } from '../src/store/backend-thread.ts';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';
import { RAW_COLUMNS, schemaSql, type EventRow } from '../src/store/sql-backend.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import { openSqlite } from '../src/util/sqlite.ts';

const NOW = Date.UTC(2026, 11, 6, 3, 0);

function rows(): EventRow[] {
  const gen = new EventGenerator({ seed: 77, events: 5000, now: NOW, days: 1, sources: 500, asns: 30, nodes: ['node-a'], ipv6Share: 0.2, decisionShare: 0.2 });
  const out = gen.next(5000).map((e, i): EventRow => {
    const r: EventRow = { ...e, id: 1_796_524_235_926_000 + i, detail: i % 11 === 0 ? JSON.stringify({ note: `größe ✓ ${i}` }) : e.detail };
    if (i % 13 === 0) r.country = null;
    if (i % 17 === 0) r.asn = null;
    if (i % 19 === 0) r.asn = 4294967295;
    if (i % 23 === 0) r.n = 2 + (i % 5);
    if (i % 29 === 0) r.source = `::ffff:10.1.${i % 256}.7`;
    if (i % 31 === 0) r.target = '*';
    if (i % 37 === 0) r.target = `2001:db8::${i.toString(16)}`;
    if (r.kind === 'alert' && i % 3 === 0) r.features = Float32Array.from({ length: 12 }, (_, k) => (i * 0.37 + k) / 7);
    return r;
  });
  return out;
}

const SELECT = `SELECT ${RAW_COLUMNS.join(', ')} FROM events ORDER BY id`;

function normal(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

/**
 * Inserts each of `parts` (an insert call each) into DuckDB through its thread and into SQLite,
 * closes both, and reads `sql` back from each, normalised.
 */
async function storeInBoth(dir: string, parts: EventRow[][], sql: string): Promise<{ fromDuck: unknown[][]; fromLite: unknown[][] }> {
  const duck = await openBackendInThread('duckdb', join(dir, 'e.duckdb'));
  const lite = await openSqliteBackend(join(dir, 'e.sqlite'));
  try {
    for (const part of parts) {
      await duck.insert(part);
      await lite.insert(part);
    }
  } finally {
    await duck.close();
    await lite.close();
  }
  const instance = await DuckDBInstance.create(join(dir, 'e.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const fromDuck = (await conn.runAndReadAll(sql)).getRowsJS().map((r) => r.map(normal));
  conn.closeSync();
  instance.closeSync();
  const db = openSqlite(join(dir, 'e.sqlite'));
  const fromLite = (db.prepare(sql).raw().all() as unknown[][]).map((r) => r.map(normal));
  db.close();
  return { fromDuck, fromLite };
}

test('DuckDB through its thread stores every raw column as SQLite does, over several chunks', async () => {
  const all = rows();
  // Two inserts: the second starts mid-chunk of nothing, after a flush (the appender lives on).
  const { fromDuck, fromLite } = await storeInBoth(testTempDir('store-chunks'), [all.slice(0, 4100), all.slice(4100)], SELECT);

  assert.equal(fromDuck.length, all.length);
  assert.deepEqual(fromDuck, fromLite);
  // What the rows say, not only what both stores agree on.
  const idAt = RAW_COLUMNS.indexOf('id');
  const nAt = RAW_COLUMNS.indexOf('n');
  const featuresAt = RAW_COLUMNS.indexOf('features');
  assert.deepEqual(fromDuck.map((r) => r[idAt]), all.map((r) => r.id));
  assert.deepEqual(fromDuck.map((r) => r[nAt]), all.map((r) => r.n ?? 1));
  assert.ok(fromDuck.some((r) => r[featuresAt] !== null) && fromDuck.some((r) => r[featuresAt] === null));
  for (const c of ['src4', 'src6', 'tgt4', 'tgt6', 'country', 'asn'] as const) {
    const at = RAW_COLUMNS.indexOf(c);
    assert.ok(fromDuck.some((r) => r[at] === null), `${c} has NULLs`);
    assert.ok(fromDuck.some((r) => r[at] !== null), `${c} has values`);
  }
});

test('an events table whose column types are not what the chunk writer copies is refused, naming the column, and nothing is stored', async () => {
  const dir = testTempDir('store-chunks-schema');
  const path = join(dir, 'e.duckdb');
  // The node's own schema, but its 32-bit address and AS columns 64-bit (as another build might make them).
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  for (const sql of schemaSql({ u32: 'BIGINT', i64: 'BIGINT', real: 'DOUBLE', text: 'VARCHAR', blob: 'BLOB' })) await conn.run(sql);
  conn.closeSync();
  instance.closeSync();

  // Refused when the store opens (not at each flush, a queue shedding for ever), in this
  // thread and through the database thread the node opens it with, the code kept.
  const refused = (err: Error & { code?: string }) => {
    assert.equal(err.code, 'AI_ERR_STORE_SCHEMA');
    assert.match(err.message, /column 6 \(src4\) is BIGINT, this build writes UINTEGER there/);
    return true;
  };
  await assert.rejects(openDuckdbBackend(path), refused);
  await assert.rejects(openBackendInThread('duckdb', path), refused);
  const check = await DuckDBInstance.create(path);
  const c = await check.connect();
  assert.equal(Number((await c.runAndReadAll('SELECT count(*) FROM events')).getRowsJS()[0]![0]), 0, 'nothing stored');
  c.closeSync();
  check.closeSync();
});

test('address keys are each row\'s own, in both backends: one reused slot, rows of every kind of address in turn', async () => {
  const dir = testTempDir('store-chunks-keys');
  // [address, v4 key, v6 key]: each kind after each other kind, so a key left from the row before shows
  const cases: [string, number | null, string | null][] = [
    ['2001:db8::1', null, '20010db8000000000000000000000001'],
    ['10.0.0.1', 167772161, null],
    ['*', null, null],
    ['::ffff:10.1.2.7', 167838215, null],
    ['2001:db8:0:0:0:0:2:1', null, '20010db8000000000000000000020001'],
    ['not-an-address', null, null],
    ['255.255.255.255', 4294967295, null],
    ['fe80::1', null, 'fe800000000000000000000000000001'],
    ['*', null, null],
  ];
  const base = rows()[0]!;
  const written = cases.map(([address], i): EventRow => ({ ...base, id: i + 1, source: address, target: cases[cases.length - 1 - i]![0] }));
  const want = cases.map(([, v4, v6], i) => [v4, v6, ...cases[cases.length - 1 - i]!.slice(1)]);
  const { fromDuck, fromLite } = await storeInBoth(dir, [written], 'SELECT src4, src6, tgt4, tgt6 FROM events ORDER BY id');
  assert.deepEqual(fromDuck, want, 'DuckDB');
  assert.deepEqual(fromLite, want, 'SQLite');
});
