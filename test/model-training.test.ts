import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ShadowJudge, TrainingBuffer } from '../src/detect/training-buffer.ts';

test('the training buffer keeps the most recent rows, oldest first', () => {
  const b = new TrainingBuffer(3, 2);
  b.add(Float64Array.from([1, 1, 2, 2]), 2);
  assert.deepEqual([...b.snapshot().rows], [1, 1, 2, 2]);
  b.add(Float64Array.from([3, 3, 4, 4, 5, 5]), 3);
  const s = b.snapshot();
  assert.equal(s.count, 3);
  assert.equal(b.total, 5);
  assert.deepEqual([...s.rows], [3, 3, 4, 4, 5, 5]);
  assert.throws(() => b.add(new Float64Array(3), 2), /2 rows need 4 values, got 3/);
  assert.throws(() => new TrainingBuffer(0, 2), /capacity must be a positive integer, got 0/);
});

test('shadow judge: pending until enough rows, then promote or reject on alert rates', () => {
  const j = new ShadowJudge(2, 1, 1000, 1.2);
  j.record({ candidate: 2, current: 1, rows: 600, currentAlerts: 6, candidateAlerts: 3, currentScoreSum: 60, candidateScoreSum: 30 });
  assert.deepEqual(j.verdict(), { verdict: 'pending', rows: 600 });
  j.record({ candidate: 3, current: 1, rows: 10_000, currentAlerts: 0, candidateAlerts: 0, currentScoreSum: 0, candidateScoreSum: 0 });
  j.record({ candidate: 2, current: 1, rows: 400, currentAlerts: 4, candidateAlerts: 2, currentScoreSum: 40, candidateScoreSum: 20 });
  const v = j.verdict();
  assert.equal(v.verdict, 'promote');
  const worse = new ShadowJudge(2, 1, 1000, 1.2);
  worse.record({ candidate: 2, current: 1, rows: 1000, currentAlerts: 10, candidateAlerts: 50, currentScoreSum: 1, candidateScoreSum: 1 });
  const w = worse.verdict();
  assert.equal(w.verdict, 'reject');
  assert.match((w as { reason: string }).reason, /candidate v2 flagged 5\.000% and v1 1\.000%/);
});
