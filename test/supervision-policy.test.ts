import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Backoff, backoffDelay, RestartIntensity, restartSet, shouldRestart } from '../src/supervisors/restart-policy.ts';

test('restart types follow OTP: permanent always, transient on crash, temporary never', () => {
  assert.equal(shouldRestart('permanent', 'crash'), true);
  assert.equal(shouldRestart('permanent', 'normal'), true);
  assert.equal(shouldRestart('transient', 'crash'), true);
  assert.equal(shouldRestart('transient', 'normal'), false);
  assert.equal(shouldRestart('temporary', 'crash'), false);
  assert.equal(shouldRestart('temporary', 'normal'), false);
});

test('strategies pick the failed child, all children, or the failed one and those after it', () => {
  assert.deepEqual(restartSet('one_for_one', 4, 2), [2]);
  assert.deepEqual(restartSet('one_for_all', 4, 2), [0, 1, 2, 3]);
  assert.deepEqual(restartSet('rest_for_one', 4, 1), [1, 2, 3]);
  assert.deepEqual(restartSet('rest_for_one', 4, 3), [3]);
  assert.throws(() => restartSet('one_for_one', 2, 2), /outside 0..1/);
});

test('intensity allows maxRestarts within the period and refuses one more', () => {
  const i = new RestartIntensity({ maxRestarts: 3, periodMs: 1000 });
  assert.equal(i.record(0), true);
  assert.equal(i.record(100), true);
  assert.equal(i.record(200), true);
  assert.equal(i.record(300), false);
  // Restarts older than the period no longer count.
  const j = new RestartIntensity({ maxRestarts: 2, periodMs: 1000 });
  assert.equal(j.record(0), true);
  assert.equal(j.record(500), true);
  assert.equal(j.record(1001), true);
  assert.equal(j.count(1001), 2);
});

test('backoff: first restart immediate, then exponential within ±jitter, capped, reset after a stable period', () => {
  const o = { baseMs: 100, maxMs: 1000, factor: 2, jitter: 0.2, resetAfterMs: 5000 };
  assert.equal(backoffDelay(o, 1, 0.99), 0);
  assert.equal(backoffDelay(o, 2, 0.5), 100);
  assert.equal(backoffDelay(o, 3, 0.5), 200);
  assert.equal(backoffDelay(o, 4, 0.5), 400);
  assert.equal(backoffDelay(o, 5, 0.5), 800);
  assert.equal(backoffDelay(o, 6, 0.5), 1000);
  assert.equal(backoffDelay(o, 20, 0.99), 1000);
  assert.equal(backoffDelay(o, 3, 0), 160);
  assert.equal(backoffDelay(o, 3, 1), 240);
  const b = new Backoff(o, () => 0.5);
  assert.deepEqual([b.next(0), b.next(10), b.next(20)], [0, 100, 200]);
  assert.equal(b.next(20 + 5000), 0, 'a stable period resets the backoff');
  assert.equal(b.next(5030), 100);
});
