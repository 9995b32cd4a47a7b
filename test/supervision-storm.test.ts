import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import type { ChildSpec, WorkerSpec } from '../src/supervisors/child-spec.ts';
import type { RestartType, Strategy } from '../src/supervisors/restart-policy.ts';
import { uniform } from '../devkit/prng.ts';
import { waitFor } from '../devkit/wait.ts';

const prng = uniform;

test('storm: 1,000 random crash injections across a 50-actor tree', async () => {
  const rnd = prng(7);
  const processed = new Map<number, string[]>(); // msg id → "path#incarnation" that handled it
  const worker = (id: string, restart: RestartType): WorkerSpec => ({
    type: 'worker',
    id,
    restart,
    mailbox: { capacity: 100_000, overflow: 'reject' },
    start: () => ({
      kind: 'storm',
      handle: (s, m: number, ctx) => {
        const who = `${ctx.path}#${ctx.incarnation}`;
        const seen = processed.get(m);
        if (seen) seen.push(who);
        else processed.set(m, [who]);
        return s;
      },
    }),
  });
  // 5 supervisors × 9 workers + 5 supervisors = 50 actors under the root.
  const strategies: Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'one_for_one', 'rest_for_one'];
  const children: ChildSpec[] = strategies.map((strategy, s) => ({
    type: 'supervisor',
    id: `sup${s}`,
    strategy,
    children: Array.from({ length: 9 }, (_, w) => worker(`w${w}`, w === 8 ? 'temporary' : w === 7 ? 'transient' : 'permanent')),
  }));
  const gaveUp: Error[] = [];
  const sys = new ActorSystem({
    nodeId: 'storm',
    rateIntervalMs: 0,
    random: rnd,
    onRootGaveUp: (e) => gaveUp.push(e),
    defaults: {
      intensity: { maxRestarts: 100_000, periodMs: 1000 },
      backoff: { baseMs: 1, maxMs: 4, factor: 2, jitter: 0.5, resetAfterMs: 50 },
    },
    root: { strategy: 'one_for_one', intensity: { maxRestarts: 100_000, periodMs: 1000 }, children },
  });
  await sys.start();
  const targets = sys.paths().filter((p) => p !== '/');
  assert.equal(targets.length, 50);
  const workers = targets.filter((p) => p.includes('/w'));

  let injected = 0;
  let sent = 0;
  const acceptedIds: number[] = [];
  const deadIds = new Map<number, string>();
  sys.deadLetters.on('dead-letter', (d) => {
    if (typeof d.message === 'number') deadIds.set(d.message, d.to.path);
  });
  while (injected < 1000) {
    for (let k = 0; k < 5; k++) {
      const to = workers[Math.floor(rnd() * workers.length)]!;
      const id = sent++;
      if (sys.send(to, id)) acceptedIds.push(id);
    }
    const victim = targets[Math.floor(rnd() * targets.length)]!;
    if (sys.lookup(victim) && sys.crash(victim)) injected++;
    if (rnd() < 0.3) await new Promise((r) => setImmediate(r));
  }

  const permanent = targets.filter((p) => /\/sup\d$/.test(p) || /\/w[0-6]$/.test(p));
  await waitFor(() => permanent.every((p) => sys.lookup(p)?.status === 'running'), 'every permanent actor runs again');
  // Every accepted message is handled, or is a counted dead letter: the queue of a temporary
  // actor that is not restarted, or of a transient one that exited.
  await waitFor(() => acceptedIds.every((id) => processed.has(id) || deadIds.has(id)), 'all accepted messages handled or dead-lettered');
  const accepted = new Set(acceptedIds);
  for (const [id, path] of deadIds) {
    if (accepted.has(id)) assert.match(path, /\/w[78]$/, `accepted message ${id} lost at ${path}`);
  }
  const dupSameIncarnation = [...processed.values()].filter((w) => new Set(w).size !== w.length);
  assert.equal(dupSameIncarnation.length, 0, 'no message processed twice by the same incarnation');
  const dupAtAll = [...processed.values()].filter((w) => w.length > 1);
  assert.equal(dupAtAll.length, 0, 'injected crashes put unrun messages back, so nothing runs twice');
  assert.equal(sys.deadLetters.counts.crashed, 0, 'an injected crash never takes an application message with it');
  assert.equal(gaveUp.length, 0);
  const restarts = sys.lifecycle.recent.length;
  assert.ok(restarts > 0);
  await sys.stop();
});
