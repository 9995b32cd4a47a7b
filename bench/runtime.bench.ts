// Runtime benchmark: a 3-stage chain on the supervised runtime against the same chain on
// raw nact, in the same run, plus restart latency.
import { dispatch, spawn, start as nactStart, stop as nactStop } from 'nact';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import type { WorkerSpec } from '../src/supervisors/child-spec.ts';
import { median, percentile, report } from './report.ts';
import { banPersist } from './respond/ban-persist.ts';
import { deskTurn } from './respond/desk-turn.ts';

type Msg = number | Float64Array;

/** The work each stage does: touch every packet of the message. */
function work(m: Msg): number {
  if (typeof m === 'number') return m;
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i]!;
  return s;
}

function messages(count: number, batch: number): Msg[] {
  if (batch === 1) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: count }, () => new Float64Array(batch).fill(1));
}

/** ms to push `msgs` through A → B → C on raw nact. */
async function rawChain(msgs: Msg[]): Promise<number> {
  const sys = nactStart();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let n = 0;
  let sink = 0;
  const c = spawn(sys, (s: number, m: Msg) => {
    sink += work(m);
    if (++n === msgs.length) done();
    return s;
  }, 'c');
  const b = spawn(sys, (s: number, m: Msg) => {
    sink += work(m);
    dispatch(c, m);
    return s;
  }, 'b');
  const a = spawn(sys, (s: number, m: Msg) => {
    sink += work(m);
    dispatch(b, m);
    return s;
  }, 'a');
  const t0 = performance.now();
  for (const m of msgs) dispatch(a, m);
  await finished;
  const ms = performance.now() - t0;
  nactStop(sys);
  if (sink === -1) console.log(sink);
  return ms;
}

/** ms to push `msgs` through the same chain as supervised workers. */
async function supervisedChain(msgs: Msg[]): Promise<number> {
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  let n = 0;
  let sink = 0;
  const stage = (id: string, next: string | null): WorkerSpec => ({
    type: 'worker',
    id,
    mailbox: { capacity: msgs.length + 1, overflow: 'reject' },
    start: () => ({
      kind: 'stage',
      handle(s, m: Msg, ctx) {
        sink += work(m);
        if (next) ctx.send(next, m);
        else if (++n === msgs.length) done();
        return s;
      },
    }),
  });
  const sys = new ActorSystem({
    nodeId: 'bench',
    rateIntervalMs: 0,
    root: { strategy: 'rest_for_one', children: [{ type: 'supervisor', id: 'chain', strategy: 'rest_for_one', children: [stage('c', null), stage('b', '/chain/c'), stage('a', '/chain/b')] }] },
  });
  await sys.start();
  const a = sys.ref('/chain/a');
  const t0 = performance.now();
  for (const m of msgs) sys.send(a, m);
  await finished;
  const ms = performance.now() - t0;
  await sys.stop();
  if (sink === -1) console.log(sink);
  return ms;
}

/** ms from crash(path) to the restarted actor handling a message, `samples` times. */
async function restartLatency(samples: number): Promise<number[]> {
  let handled!: () => void;
  const sys = new ActorSystem({
    nodeId: 'bench',
    rateIntervalMs: 0,
    defaults: {
      intensity: { maxRestarts: 1_000_000, periodMs: 1000 },
      // Each sample is a crash after a stable period, so the restart is immediate: this
      // measures the restart mechanism, not the backoff policy.
      backoff: { baseMs: 10, maxMs: 5000, factor: 2, jitter: 0.2, resetAfterMs: 0 },
    },
    root: { strategy: 'one_for_one', children: [{ type: 'worker', id: 'w', start: () => ({ kind: 'probe', init: () => 0, handle: (s: number) => (handled(), s + 1) }) }] },
  });
  await sys.start();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const got = new Promise<void>((r) => (handled = r));
    const t0 = performance.now();
    sys.crash('/w');
    sys.send('/w', i);
    await got;
    out.push(performance.now() - t0);
  }
  await sys.stop();
  return out;
}

export async function run(): Promise<void> {
  const N1 = 200_000;
  const NB = 2_000;
  const B = 256;
  const single = messages(N1, 1);
  const batched = messages(NB, B);
  // Warm up both paths, then alternate so drift on a shared machine hits both alike.
  await rawChain(single.slice(0, 20_000));
  await supervisedChain(single.slice(0, 20_000));
  const raw1: number[] = [];
  const sup1: number[] = [];
  const rawB: number[] = [];
  const supB: number[] = [];
  for (let r = 0; r < 5; r++) {
    raw1.push(await rawChain(single));
    sup1.push(await supervisedChain(single));
    rawB.push(await rawChain(batched));
    supB.push(await supervisedChain(batched));
  }
  const ratio = median(sup1.map((s, i) => s / raw1[i]!));
  report({ name: 'chain_msgs_per_s_batch1', value: Math.round(N1 / (median(sup1) / 1000)), unit: 'msgs/s', stages: 3, messages: N1 });
  report({ name: 'chain_msgs_per_s_batch256', value: Math.round((NB * B) / (median(supB) / 1000)), unit: 'packets/s', stages: 3, batches: NB, batch: B });
  report({ name: 'raw_nact_chain_msgs_per_s_batch1', value: Math.round(N1 / (median(raw1) / 1000)), unit: 'msgs/s', stages: 3, messages: N1 });
  report({ name: 'raw_nact_chain_msgs_per_s_batch256', value: Math.round((NB * B) / (median(rawB) / 1000)), unit: 'packets/s' });
  report({ name: 'supervision_overhead_ratio', value: Math.round(ratio * 1000) / 1000, unit: 'ratio', note: 'supervised / raw nact, batch1, median of 5 paired runs', goal: '< 1.10' });
  report({ name: 'supervision_overhead_ratio_batch256', value: Math.round(median(supB.map((s, i) => s / rawB[i]!)) * 1000) / 1000, unit: 'ratio' });
  const lat = await restartLatency(500);
  report({ name: 'restart_p50_ms', value: Math.round(percentile(lat, 50) * 1000) / 1000, unit: 'ms', samples: lat.length });
  report({ name: 'restart_p99_ms', value: Math.round(percentile(lat, 99) * 1000) / 1000, unit: 'ms', samples: lat.length, goal: '< 5' });
  await banPersist();
  await deskTurn();
}
