// The in-memory query engine (memory tier, and the reference for the databases) and the
// cluster merge: a query answered per node and merged equals the query over all rows.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { test } from 'node:test';
import type { EventQuery } from '../src/store/event-query.ts';
import type { EventRow } from '../src/store/event-row.ts';
import { evaluateQuery } from '../src/store/evaluate-query.ts';
import { mergeResults, perNodeQuery } from '../src/store/merge-results.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import { EventStore } from '../src/store/event-store.ts';
import { uniform } from '../devkit/prng.ts';

const T0 = Date.UTC(2026, 10, 24, 0, 0, 0);
const H = 3_600_000;

function rows(n: number, seed: number): EventRow[] {
  const r = uniform(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() ** 2 * xs.length)]!; // skewed: the first ones are common
  const out: EventRow[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      id: i + 1,
      kind: r() < 0.7 ? 'alert' : 'decision',
      at: T0 + Math.floor(r() * 48 * H),
      type: pick(['ssh-brute-force', 'port-scan-vertical', 'syn-flood', 'anomaly', 'scan-probe']),
      source: pick(['203.0.113.5', '203.0.113.9', '198.51.100.7', '192.0.2.44', '10.1.2.3', '10.1.9.9']),
      target: pick(['10.0.0.1', '10.0.0.2', '*']),
      country: pick(['CN', 'RU', 'US', 'BR', null]),
      asn: pick([4134, 4837, 12389, null]),
      score: Math.round(r() * 100) / 100,
      node: pick(['n1', 'n2', 'n3']),
      detector: pick(['rules', 'model']),
      detail: '{}',
    });
  }
  return out;
}

const base: EventQuery = { kind: 'alert', from: T0, to: T0 + 48 * H, filters: {}, measure: 'count' };
const queries: Array<[string, EventQuery]> = [
  ['count', base],
  ['count from CN, high risk', { ...base, filters: { country: ['CN'], minScore: 0.8 } }],
  ['count by type', { ...base, groupBy: 'type' }],
  ['count by country (nulls)', { ...base, groupBy: 'country', limit: 3 }],
  ['top 3 sources in a CIDR', { ...base, measure: 'top', groupBy: 'source', limit: 3, filters: { source: ['203.0.113.0/24'] } }],
  ['top asn, second day', { ...base, measure: 'top', groupBy: 'asn', from: T0 + 24 * H }],
  ['trend per hour', { ...base, measure: 'trend', bucket: 'hour' }],
  ['trend per day by type', { ...base, measure: 'trend', bucket: 'day', groupBy: 'type' }],
  ['list newest 15 decisions', { ...base, kind: 'decision', measure: 'list', limit: 15 }],
  ['list to a target', { ...base, measure: 'list', filters: { target: ['10.0.0.2'] }, limit: 5 }],
  ['an empty list constrains nothing', { ...base, filters: { type: [] } }],
  ["no single target ('*') matched as text", { ...base, filters: { target: ['*'] } }],
  ['a trend keeps the most frequent values', { ...base, measure: 'trend', bucket: 'day', groupBy: 'type', limit: 2 }],
];

test('the query engine: kind, time range (from inclusive, to exclusive), filters, and each measure', () => {
  const all = rows(2000, 1);
  const count = (q: EventQuery) => evaluateQuery(all, q).rows[0]![0] as number;
  const byHand = (pred: (r: EventRow) => boolean) => all.filter((r) => r.kind === 'alert' && r.at >= T0 && r.at < T0 + 48 * H && pred(r)).length;
  assert.equal(count(base), byHand(() => true));
  assert.equal(count({ ...base, filters: { country: ['CN'], minScore: 0.8 } }), byHand((r) => r.country === 'CN' && r.score >= 0.8));
  assert.equal(count({ ...base, filters: { source: ['10.1.0.0/16'] } }), byHand((r) => r.source.startsWith('10.1.')));
  assert.equal(count({ ...base, filters: { target: ['10.0.0.0/24'] } }), byHand((r) => r.target !== '*'), "'*' is no address: a CIDR does not match it");
  const at = all.find((r) => r.kind === 'alert')!.at;
  const edge = all.filter((r) => r.kind === 'alert' && r.at === at).length;
  assert.equal(count({ ...base, from: at, to: at + 1 }), edge);
  assert.equal(count({ ...base, from: at, to: at }), 0);
  const top = evaluateQuery(all, { ...base, measure: 'top', groupBy: 'source', limit: 3 });
  assert.deepEqual(top.columns, ['source', 'count']);
  assert.equal(top.rows.length, 3);
  for (let i = 1; i < top.rows.length; i++) assert.ok((top.rows[i - 1]![1] as number) >= (top.rows[i]![1] as number));
  const trend = evaluateQuery(all, { ...base, measure: 'trend', bucket: 'day' });
  assert.deepEqual(trend.rows.map((x) => x[0]), ['2026-11-24T00:00:00.000Z', '2026-11-25T00:00:00.000Z']);
  assert.equal(trend.rows.reduce((n, x) => n + (x[1] as number), 0), count(base));
  const list = evaluateQuery(all, { ...base, measure: 'list', limit: 4 });
  assert.equal(list.columns[2], 'at');
  for (let i = 1; i < 4; i++) assert.ok((list.rows[i - 1]![2] as number) >= (list.rows[i]![2] as number));
});

test('scatter-gather: each node answers its own rows, merged, equals the query over all rows', () => {
  const all = rows(3000, 2);
  const nodes = ['n1', 'n2', 'n3'].map((n) => all.filter((r) => r.node === n));
  for (const [name, q] of queries) {
    const merged = mergeResults(q, nodes.map((part) => evaluateQuery(part, perNodeQuery(q))));
    assert.deepEqual(merged.result, evaluateQuery(all, q), name);
    assert.equal(merged.partial, false, name);
  }
});

test('scatter-gather: a node that answered over whole hours only makes the merged answer say so, with the narrowest range', () => {
  const q = queries[0]![1];
  const hour = 3_600_000;
  const plain = { columns: ['count'], rows: [[3]] };
  const reason = 'events before … are kept per hour';
  const merged = mergeResults({ ...q, measure: 'count', groupBy: undefined }, [
    plain,
    { columns: ['count'], rows: [[4]], narrowed: { from: 10 * hour, to: 14 * hour, reason } },
    { columns: ['count'], rows: [[5]], narrowed: { from: 11 * hour, to: 15 * hour, reason } },
  ]);
  assert.deepEqual(merged.result, { columns: ['count'], rows: [[12]], narrowed: { from: 11 * hour, to: 14 * hour, reason } });
  assert.equal(mergeResults({ ...q, measure: 'count', groupBy: undefined }, [plain, plain]).result.narrowed, undefined);
});

test('DuckDB and SQLite answer every query exactly as the in-memory engine does', async () => {
  const all = rows(3000, 3);
  const dir = testTempDir('autoimmune-store-');
  try {
    for (const open of [() => openDuckdbBackend(join(dir, 'events.duckdb')), () => openSqliteBackend(join(dir, 'events.sqlite'))]) {
      const backend = await open();
      await backend.insert(all);
      for (const [name, q] of queries) {
        const { columns, rows: got } = await backend.query(q);
        assert.deepEqual({ columns, rows: got }, evaluateQuery(all, q), `${backend.name}: ${name}`);
      }
      await backend.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store answers recent ranges from memory and older ones from the database, the same either way', async () => {
  const dir = testTempDir('autoimmune-store-');
  let now = T0 + 48 * H;
  const store = new EventStore({ node: 'n1', backend: await openDuckdbBackend(join(dir, 'events.duckdb')), memoryMs: 15 * 60_000, now: () => now });
  try {
    now += 20 * 60_000; // memory holds every row since the store opened (older ones may be from an earlier run)
    const all = rows(2000, 4).map((r) => ({ ...r, at: now - 10 * 60_000 + (r.at % (10 * 60_000)) }));
    store.addRows(all);
    const recent: EventQuery = { ...base, from: now - 10 * 60_000, to: now + 1, measure: 'count', groupBy: 'type' };
    const fromMemory = await store.query(recent);
    assert.equal(fromMemory.tier, 'memory');
    assert.deepEqual(fromMemory.result, evaluateQuery(all, recent));
    const wider = await store.query({ ...recent, from: now - 60 * 60_000 });
    assert.equal(wider.tier, 'database', 'an hour back is more than memory holds');
    assert.deepEqual({ columns: wider.result.columns, rows: wider.result.rows }, evaluateQuery(all, recent), 'the database got every row (flushed before the query)');
    now += 60 * 60_000; // memory lets the rows go; the database keeps them
    const later = await store.query({ ...recent, to: now });
    assert.equal(later.tier, 'database');
    assert.deepEqual(later.result.rows, evaluateQuery(all, recent).rows);
    assert.equal(store.stats.memoryRows, 0);
    assert.equal(store.stats.flushed, 2000);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the memory tier also has a bound on rows: past it, only ranges after its oldest row are answered from memory', async () => {
  const dir = testTempDir('autoimmune-store-');
  let now = T0;
  const store = new EventStore({ node: 'n1', backend: await openDuckdbBackend(join(dir, 'events.duckdb')), maxMemoryRows: 10, now: () => now });
  try {
    now += 60_000;
    const all = rows(20, 5).map((r, i) => ({ ...r, kind: 'alert' as const, at: now - 20_000 + i * 1000 }));
    store.addRows(all);
    assert.equal(store.stats.memoryRows, 10);
    const q = (from: number): EventQuery => ({ ...base, from, to: now + 1 });
    const recent = await store.query(q(now - 5000));
    assert.equal(recent.tier, 'memory');
    assert.deepEqual(recent.result, evaluateQuery(all, q(now - 5000)));
    const older = await store.query(q(now - 15_000));
    assert.equal(older.tier, 'database', 'rows the bound let go are in the database only');
    assert.deepEqual(older.result.rows, evaluateQuery(all, q(now - 15_000)).rows);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the memory tier refuses what the databases refuse, with the same words', async () => {
  const bad: EventQuery[] = [
    { ...base, measure: 'top' },
    { ...base, limit: 5000 },
    { ...base, filters: { source: ['10.0.0.5/8'] } },
    { ...base, filters: { target: ['1.2.3.256'] } },
    { ...base, from: base.to, to: base.from },
  ];
  const dir = testTempDir('autoimmune-store-');
  const duck = await openDuckdbBackend(join(dir, 'events.duckdb'));
  try {
    for (const q of bad) {
      let fromDb = '';
      await assert.rejects(duck.query(q), (err: Error & { code?: string }) => ((fromDb = err.message), err.code === 'AI_ERR_STORE_QUERY'));
      assert.throws(() => evaluateQuery([], q), (err: Error & { code?: string }) => err.code === 'AI_ERR_STORE_QUERY' && err.message === fromDb, fromDb);
    }
    // Texts that are no address ('*', a horizontal scan's target) match as text in both.
    const star: EventQuery = { ...base, filters: { target: ['*'] } };
    const all = rows(200, 9).map((r, i) => (i % 4 === 0 ? { ...r, target: '*' } : r));
    await duck.insert(all);
    assert.deepEqual((await duck.query(star)).rows, evaluateQuery(all, star).rows);
    assert.ok((evaluateQuery(all, star).rows[0]![0] as number) > 0);
  } finally {
    await duck.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
