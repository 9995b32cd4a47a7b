import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVERY_FAULT_RECOVERED, buildReport, formatSummary, nearestRank, recoveryStats } from '../chaos/report.ts';
import { FAULT_KINDS, type FaultKind, type FaultRecord } from '../chaos/types.ts';

const T0 = 1_700_000_000_000;

function record(kind: FaultKind, atMs: number, recoveryMs: number | null, target = 'n2'): FaultRecord {
  return {
    atMs,
    kind,
    target,
    durationMs: kind === 'crash' ? 0 : 5_000,
    startedAt: T0 + atMs,
    recoveredAt: recoveryMs === null ? null : T0 + atMs + recoveryMs,
    detail: `${kind} ${target}`,
  };
}

test('nearest-rank percentiles on known inputs', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(nearestRank(hundred, 50), 50);
  assert.equal(nearestRank(hundred, 99), 99);
  assert.equal(nearestRank([15, 20, 35, 40, 50], 50), 35);
  assert.equal(nearestRank([15, 20, 35, 40, 50], 99), 50);
  assert.equal(nearestRank([7], 50), 7);
  assert.equal(nearestRank([], 50), null);
});

test('recovery stats per kind: count, recovered, p50/p99/max over the recovered ones, nulls when none', () => {
  // Crash recoveries 1..10 ms given out of order, plus one that never recovered.
  const records = [5, 3, 9, 1, 10, 2, 8, 4, 7, 6].map((ms, i) => record('crash', i * 1000, ms));
  records.push(record('crash', 20_000, null));
  records.push(record('kill-node', 30_000, 4_200), record('kill-node', 60_000, 6_100));
  records.push(record('partition', 40_000, null));
  const s = recoveryStats(records);
  assert.deepEqual(Object.keys(s).sort(), [...FAULT_KINDS].sort());
  assert.deepEqual(s.crash, { count: 11, recovered: 10, p50Ms: 5, p99Ms: 10, maxMs: 10 });
  assert.deepEqual(s['kill-node'], { count: 2, recovered: 2, p50Ms: 4_200, p99Ms: 6_100, maxMs: 6_100 });
  assert.deepEqual(s.partition, { count: 1, recovered: 0, p50Ms: null, p99Ms: null, maxMs: null });
  assert.deepEqual(s['etcd-member'], { count: 0, recovered: 0, p50Ms: null, p99Ms: null, maxMs: null });
});

const base = { seed: 7, durationS: 600, nodes: ['n1', 'n2', 'n3'], etcdMembers: ['m0', 'm1', 'm2'] };

test('ok when every invariant held and every fault recovered', () => {
  const r = buildReport({
    ...base,
    records: [record('crash', 1_000, 120), record('kill-node', 5_000, 4_000)],
    invariants: { 'no-lost-packets': { held: true, evidence: 'offered 1000, processed 1000' } },
  });
  assert.equal(r.ok, true);
  assert.equal(r.nodes, 3);
  assert.equal(r.etcdMembers, 3);
  assert.equal(r.seed, 7);
  assert.equal(r.durationS, 600);
  assert.deepEqual(r.invariants[EVERY_FAULT_RECOVERED], { held: true, evidence: 'all 2 faults recovered' });
  assert.equal(r.faults['kill-node'].p50Ms, 4_000);
  // The JSON form has ok, faults and invariants at the top.
  const json = JSON.parse(JSON.stringify(r));
  assert.equal(json.ok, true);
  assert.equal(json.faults.crash.count, 1);
  assert.equal(json.invariants['no-lost-packets'].held, true);
});

test('a broken invariant makes ok false', () => {
  const r = buildReport({
    ...base,
    nodes: 1,
    etcdMembers: 0,
    records: [record('crash', 1_000, 120)],
    invariants: {
      'no-lost-packets': { held: true, evidence: 'offered 1000, processed 1000' },
      'one-lease-holder': { held: false, evidence: 'n2 and n3 both held /detect/0 for 1.2 s' },
    },
  });
  assert.equal(r.ok, false);
  assert.equal(r.nodes, 1);
  assert.equal(r.invariants[EVERY_FAULT_RECOVERED]!.held, true);
});

test('a fault that never recovered makes ok false, and the evidence names it', () => {
  const r = buildReport({
    ...base,
    records: [record('crash', 1_000, 120), record('etcd-member', 12_345, null, 'm1'), record('slow-node', 30_000, null, 'n3')],
    invariants: { 'no-lost-packets': { held: true, evidence: 'offered 1000, processed 1000' } },
  });
  assert.equal(r.ok, false);
  const inv = r.invariants[EVERY_FAULT_RECOVERED]!;
  assert.equal(inv.held, false);
  assert.match(inv.evidence, /^2 of 3 faults never recovered/);
  assert.match(inv.evidence, /etcd-member m1 at 12\.35 s/);
  assert.match(inv.evidence, /slow-node n3 at 30\.00 s/);
  assert.doesNotMatch(inv.evidence, /crash/);
});

test('the recovery invariant is computed, not taken from the caller', () => {
  assert.throws(
    () => buildReport({ ...base, records: [], invariants: { [EVERY_FAULT_RECOVERED]: { held: true, evidence: '' } } }),
    { code: 'AI_ERR_CONFIG', message: /every-fault-recovered/ },
  );
});

test('the summary has the header, the numbers by kind in seconds, and each invariant with its evidence', () => {
  const r = buildReport({
    ...base,
    records: [
      record('crash', 1_000, 120),
      record('crash', 4_000, 340),
      record('crash', 6_000, 90),
      record('kill-node', 10_000, 4_250),
      record('partition', 40_000, null, 'n1|n3'),
    ],
    invariants: {
      'no-lost-packets': { held: true, evidence: 'offered 1000, processed 1000' },
      'one-lease-holder': { held: false, evidence: 'n2 and n3 both held /detect/0 for 1.2 s' },
    },
  });
  const text = formatSummary(r);
  const lines = text.split('\n');
  assert.equal(lines[0], 'chaos seed 7 · 600 s · 3 nodes · 3 etcd members · BROKEN');
  const row = (kind: string): string[] => lines.find((l) => l.startsWith(kind + ' '))!.trim().split(/\s+/);
  assert.deepEqual(row('crash'), ['crash', '3', '3', '0.12', '0.34', '0.34']);
  assert.deepEqual(row('kill-node'), ['kill-node', '1', '1', '4.25', '4.25', '4.25']);
  assert.deepEqual(row('partition'), ['partition', '1', '0', '—', '—', '—']);
  assert.deepEqual(row('etcd-member'), ['etcd-member', '0', '0', '—', '—', '—']);
  assert.ok(lines.includes('✔ no-lost-packets — offered 1000, processed 1000'));
  assert.ok(lines.includes('✘ one-lease-holder — n2 and n3 both held /detect/0 for 1.2 s'));
  assert.ok(lines.some((l) => l.startsWith('✘ every-fault-recovered — 1 of 5 faults never recovered: partition n1|n3 at 40.00 s')));

  const fine = formatSummary(buildReport({ ...base, nodes: ['n1'], etcdMembers: ['m0'], records: [], invariants: {} }));
  assert.equal(fine.split('\n')[0], 'chaos seed 7 · 600 s · 1 node · 1 etcd member · OK');
});
