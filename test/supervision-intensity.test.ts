import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { SupervisorGaveUpError } from '../src/errors.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { ManualClock } from '../src/util/clock.ts';
import { BOOM, recorder, type Handled } from '../devkit/actors.ts';
import { settle, waitFor } from '../devkit/wait.ts';

test('past its intensity a supervisor stops its children and escalates; the parent restarts the subtree', async () => {
  const log: Handled[] = [];
  const gaveUp: Error[] = [];
  const sys = new ActorSystem({
    nodeId: 't',
    rateIntervalMs: 0,
    onRootGaveUp: (e) => gaveUp.push(e),
    root: {
      strategy: 'one_for_one',
      intensity: { maxRestarts: 5, periodMs: 60_000 },
      children: [
        {
          type: 'supervisor',
          id: 'inner',
          strategy: 'one_for_one',
          intensity: { maxRestarts: 2, periodMs: 60_000 },
          backoff: { baseMs: 0, maxMs: 0, factor: 2, jitter: 0, resetAfterMs: 60_000 },
          children: [recorder('bad', log), recorder('good', log)],
        },
      ],
    },
  });
  await sys.start();
  for (let i = 1; i <= 3; i++) {
    sys.send('/inner/bad', BOOM);
    await waitFor(() => sys.lookup('/inner/bad')!.status === 'running' && sys.lookup('/inner/bad')!.incarnation === i + 1, `restart ${i}`);
  }
  // Third crash within the period: inner gave up, was restarted by root with a fresh budget.
  const gave = sys.lifecycle.recent.filter((e) => e.type === 'gave_up');
  assert.equal(gave.length, 1);
  assert.equal(gave[0]!.path, '/inner');
  assert.equal(gave[0]!.culprit, '/inner/bad');
  assert.equal(sys.lookup('/inner')!.incarnation, 2);
  assert.equal(sys.lookup('/inner/good')!.incarnation, 2, 'the sibling was stopped and restarted with the subtree');
  assert.equal(gaveUp.length, 0);
  await sys.stop();
});

test('the root gives up past its intensity and reports the deepest culprit with its last error', async () => {
  const log: Handled[] = [];
  const gaveUp: Error[] = [];
  const clock = new ManualClock();
  const sys = new ActorSystem({
    nodeId: 't',
    clock,
    rateIntervalMs: 0,
    onRootGaveUp: (e) => gaveUp.push(e),
    root: {
      strategy: 'one_for_one',
      intensity: { maxRestarts: 1, periodMs: 60_000 },
      children: [{ type: 'supervisor', id: 'inner', strategy: 'one_for_one', intensity: { maxRestarts: 0, periodMs: 60_000 }, children: [recorder('bad', log)] }],
    },
  });
  await sys.start();
  sys.send('/inner/bad', BOOM);
  await waitFor(() => sys.lookup('/inner')!.incarnation === 2 && sys.lookup('/inner/bad')!.status === 'running', 'first escalation absorbed by root');
  sys.send('/inner/bad', BOOM);
  await waitFor(() => gaveUp.length === 1, 'root gave up');
  const err = gaveUp[0]!;
  assert.ok(err instanceof SupervisorGaveUpError);
  assert.equal(err.supervisor, '/');
  assert.equal(err.culprit, '/inner/bad');
  assert.match(err.message, /actor \/inner\/bad kept failing.*last error: Error: boom in \/inner\/bad/);
  await settle();
  assert.equal(sys.lookup('/inner')!.status, 'stopped');
});

test('a node whose root gives up exits non-zero naming the actor and its last error', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-loop-node.ts'], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(r.status, 0, `exit status ${r.status}, stderr: ${r.stderr}`);
  assert.match(r.stderr, /root supervisor gave up \(actor \/pipeline\/flaky kept failing\)/);
  assert.match(r.stderr, /last error: Error: disk on fire/);
});

test('backoff between restarts of a crash-looping child, on an injected clock', async () => {
  const log: Handled[] = [];
  const clock = new ManualClock();
  const sys = new ActorSystem({
    nodeId: 't',
    clock,
    random: () => 0.5,
    rateIntervalMs: 0,
    onRootGaveUp: () => {},
    root: {
      strategy: 'one_for_one',
      intensity: { maxRestarts: 100, periodMs: 60_000 },
      backoff: { baseMs: 100, maxMs: 400, factor: 2, jitter: 0.2, resetAfterMs: 10_000 },
      children: [recorder('a', log)],
    },
  });
  await sys.start();
  const a = sys.lookup('/a')!;
  const crashOnce = async (inc: number) => {
    sys.send('/a', BOOM);
    await waitFor(() => a.incarnation === inc || a.status === 'restarting', `crash ${inc}`);
  };
  // 1st crash: immediate restart, no clock movement needed.
  await crashOnce(2);
  await waitFor(() => a.incarnation === 2 && a.status === 'running', 'immediate restart');
  // 2nd: waits baseMs.
  sys.send('/a', BOOM);
  await waitFor(() => a.status === 'restarting' && clock.pending().length === 1, 'restart scheduled');
  assert.deepEqual(clock.pending(), [100]);
  clock.advance(99);
  await settle();
  assert.equal(a.status, 'restarting', 'not before its backoff');
  clock.advance(1);
  await waitFor(() => a.incarnation === 3 && a.status === 'running', 'restart after 100 ms');
  // 3rd: 200, 4th: 400, 5th: capped at 400.
  for (const [delay, inc] of [[200, 4], [400, 5], [400, 6]] as const) {
    sys.send('/a', BOOM);
    await waitFor(() => a.status === 'restarting' && clock.pending().length === 1, 'scheduled');
    assert.deepEqual(clock.pending(), [delay]);
    clock.advance(delay);
    await waitFor(() => a.incarnation === inc && a.status === 'running', `restart ${inc}`);
  }
  // Stable for resetAfterMs: the next crash restarts at once again.
  clock.advance(10_000);
  sys.send('/a', BOOM);
  await waitFor(() => a.incarnation === 7 && a.status === 'running', 'immediate after a stable period');
  const delays = sys.lifecycle.recent.filter((e) => e.type === 'restarted').map((e) => e.delayMs);
  assert.deepEqual(delays, [0, 100, 200, 400, 400, 0]);
  await sys.stop();
});
