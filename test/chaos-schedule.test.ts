import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISRUPTIVE_KINDS, DURATION_MS, QUIET_GAP_MS, SETTLE_MS, minimumDurationMs, planFaults, type ScheduleOptions } from '../chaos/schedule.ts';
import { FAULT_KINDS, type FaultKind, type PlannedFault } from '../chaos/types.ts';

const three: ScheduleOptions = { seed: 7, durationMs: 600_000, nodes: ['n1', 'n2', 'n3'], etcdMembers: ['m0', 'm1', 'm2'], trafficNode: 'n1' };
const SEEDS = Array.from({ length: 40 }, (_, i) => i * 7919 + 1);

function kindsOf(plan: PlannedFault[]): Set<FaultKind> {
  return new Set(plan.map((f) => f.kind));
}

test('the same seed gives the same plan; different seeds give different plans', () => {
  assert.deepEqual(planFaults(three), planFaults({ ...three, nodes: [...three.nodes] }));
  const plans = SEEDS.map((seed) => JSON.stringify(planFaults({ ...three, seed })));
  assert.equal(new Set(plans).size, SEEDS.length);
});

test('the plan is sorted by time and durations are in range', () => {
  for (const seed of SEEDS) {
    const plan = planFaults({ ...three, seed });
    for (let i = 1; i < plan.length; i++) assert.ok(plan[i - 1]!.atMs <= plan[i]!.atMs);
    for (const f of plan) {
      const [lo, hi] = DURATION_MS[f.kind];
      assert.ok(Number.isInteger(f.atMs) && Number.isInteger(f.durationMs), JSON.stringify(f));
      assert.ok(f.durationMs >= lo && f.durationMs <= hi, JSON.stringify(f));
    }
  }
});

test('with everyKindOnce a 120 s run has every applicable kind, whatever the seed', () => {
  for (const seed of SEEDS) {
    assert.deepEqual(kindsOf(planFaults({ ...three, seed, durationMs: 120_000 })), new Set(FAULT_KINDS));
  }
  // One node: crashes and load spikes only (the only node replays the traffic).
  const one = planFaults({ ...three, durationMs: 120_000, nodes: ['n1'], etcdMembers: ['m0'] });
  assert.deepEqual(kindsOf(one), new Set(['crash', 'load-spike']));
});

test('a run too short for one of each kind is refused, unless everyKindOnce is off', () => {
  const need = minimumDurationMs(FAULT_KINDS);
  assert.throws(() => planFaults({ ...three, durationMs: need - 1 }), { code: 'AI_ERR_CONFIG', message: /too short/ });
  assert.deepEqual(kindsOf(planFaults({ ...three, durationMs: need })), new Set(FAULT_KINDS));
  const short = planFaults({ ...three, durationMs: 30_000, everyKindOnce: false });
  for (const f of short) assert.ok(f.atMs + f.durationMs <= 30_000 - SETTLE_MS);
});

test('disruptive faults never overlap and each is followed by the quiet gap; load spikes do not overlap', () => {
  for (const seed of SEEDS) {
    const plan = planFaults({ ...three, seed });
    for (const lane of [plan.filter((f) => DISRUPTIVE_KINDS.includes(f.kind)), plan.filter((f) => f.kind === 'load-spike')]) {
      assert.ok(lane.length > 1);
      for (let i = 1; i < lane.length; i++) {
        const prev = lane[i - 1]!;
        assert.ok(lane[i]!.atMs >= prev.atMs + prev.durationMs + QUIET_GAP_MS, `${JSON.stringify(prev)} then ${JSON.stringify(lane[i])}`);
      }
    }
  }
});

test('targets: crash n:index over all nodes, kill/slow never the traffic node, partitions a distinct pair, etcd a member', () => {
  const crashed = new Set<string>();
  for (const seed of SEEDS) {
    for (const f of planFaults({ ...three, seed })) {
      switch (f.kind) {
        case 'crash': {
          const m = /^(n\d):(\d+)$/.exec(f.target);
          assert.ok(m && three.nodes.includes(m[1]!), f.target);
          crashed.add(m![1]!);
          break;
        }
        case 'kill-node':
        case 'slow-node':
          assert.ok(three.nodes.includes(f.target) && f.target !== 'n1', f.target);
          break;
        case 'partition': {
          const [a, b, ...rest] = f.target.split('|');
          assert.ok(three.nodes.includes(a!) && three.nodes.includes(b!) && a !== b && rest.length === 0, f.target);
          break;
        }
        case 'etcd-member':
          assert.ok(three.etcdMembers.includes(f.target), f.target);
          break;
        case 'load-spike':
          assert.equal(f.target, 'n1');
          break;
      }
    }
  }
  assert.deepEqual(crashed, new Set(three.nodes));
});

test('crashes are not aimed at a node that is down or stopped at that moment', () => {
  for (const seed of SEEDS) {
    const plan = planFaults({ ...three, seed });
    const away = plan.filter((f) => f.kind === 'kill-node' || f.kind === 'slow-node');
    for (const c of plan.filter((f) => f.kind === 'crash')) {
      const node = c.target.split(':')[0];
      assert.ok(!away.some((a) => a.target === node && a.atMs <= c.atMs && c.atMs < a.atMs + a.durationMs), `${c.target} at ${c.atMs}`);
    }
  }
});

test('fewer than 3 etcd members: no etcd faults; one node: no partition; naming a kind that cannot apply is refused', () => {
  for (const members of [[], ['m0'], ['m0', 'm1']]) {
    assert.ok(!kindsOf(planFaults({ ...three, etcdMembers: members })).has('etcd-member'));
  }
  const one = { ...three, nodes: ['n1'] };
  assert.ok(!kindsOf(planFaults(one)).has('partition'));
  assert.throws(() => planFaults({ ...one, kinds: ['partition'] }), { code: 'AI_ERR_CONFIG', message: /partition/ });
  assert.throws(() => planFaults({ ...three, etcdMembers: ['m0'], kinds: ['etcd-member'] }), { code: 'AI_ERR_CONFIG', message: /quorum/ });
  assert.throws(() => planFaults({ ...one, kinds: ['kill-node'] }), { code: 'AI_ERR_CONFIG', message: /traffic node/ });
});

test('when the traffic is replayed from outside the cluster, the only node may be killed and restarted', () => {
  const plan = planFaults({ ...three, nodes: ['n1'], etcdMembers: [], trafficNode: 'runner' });
  assert.ok(plan.some((f) => f.kind === 'kill-node' && f.target === 'n1'));
  assert.ok(!kindsOf(plan).has('partition'));
});

test('nothing is active in the last 15 s', () => {
  for (const seed of SEEDS) {
    for (const durationMs of [120_000, 600_000]) {
      const plan = planFaults({ ...three, seed, durationMs });
      for (const f of plan) assert.ok(f.atMs + f.durationMs <= durationMs - SETTLE_MS, JSON.stringify(f));
      // …but the plan does reach towards that point (crashes every ≤ 5 s).
      assert.ok(plan.at(-1)!.atMs > durationMs - SETTLE_MS - 5_000);
    }
  }
});

test('crashes come every 1–5 s by default, and every.crash rescales that', () => {
  for (const [every, lo, hi] of [[undefined, 1_000, 5_000], [1, 333, 1_667]] as const) {
    const gaps: number[] = [];
    for (const seed of SEEDS) {
      const crashes = planFaults({ ...three, seed, every: every === undefined ? undefined : { crash: every } }).filter((f) => f.kind === 'crash');
      let prev = 0;
      for (const c of crashes) {
        gaps.push(c.atMs - prev);
        prev = c.atMs;
      }
    }
    assert.ok(Math.min(...gaps) >= lo && Math.max(...gaps) <= hi, `${Math.min(...gaps)}..${Math.max(...gaps)} not in ${lo}..${hi}`);
    // Uniform over the range, not bunched at one end.
    const mid = (lo + hi) / 2;
    const below = gaps.filter((g) => g < mid).length / gaps.length;
    assert.ok(below > 0.4 && below < 0.6, String(below));
  }
});

test('every sets the mean spacing of a kind', () => {
  const count = (everyS: number): number =>
    SEEDS.reduce(
      (n, seed) =>
        n + planFaults({ ...three, seed, durationMs: 3_600_000, kinds: ['kill-node'], everyKindOnce: false, every: { 'kill-node': everyS } }).length,
      0,
    ) / SEEDS.length;
  const often = count(30);
  const rarely = count(300);
  // About 3585 s / (30 s + a little waiting for the lane) ≈ 115, and a tenth of that.
  assert.ok(often > 95 && often < 125, String(often));
  assert.ok(rarely > 9 && rarely < 14, String(rarely));
});

test('bad options are refused with the value named', () => {
  assert.throws(() => planFaults({ ...three, nodes: [] }), { code: 'AI_ERR_CONFIG' });
  assert.throws(() => planFaults({ ...three, nodes: ['n1', 'n1'] }), { code: 'AI_ERR_CONFIG', message: /"n1"/ });
  assert.throws(() => planFaults({ ...three, durationMs: 10_000 }), { code: 'AI_ERR_CONFIG', message: /10000/ });
  assert.throws(() => planFaults({ ...three, seed: 1.5 }), { code: 'AI_ERR_CONFIG', message: /1\.5/ });
  assert.throws(() => planFaults({ ...three, every: { partition: 0 } }), { code: 'AI_ERR_CONFIG', message: /partition/ });
  assert.throws(() => planFaults({ ...three, kinds: ['meteor' as FaultKind] }), { code: 'AI_ERR_CONFIG', message: /meteor/ });
});
