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

import type { AnomalyScorer, ModelBoard } from '../src/detect/detector-shard.ts';
import { ModelTrainer } from '../src/detect/model-trainer.ts';

test('model trainer: the first model goes into force after the grace rows; a retrained one waits in shadow', async () => {
  const board: ModelBoard = { current: null, candidate: null, grace: true };
  let version = 0;
  const promoted: number[] = [];
  const trainedOn: number[] = [];
  const train = async (_rows: Float64Array, count: number): Promise<AnomalyScorer> => {
    trainedOn.push(count);
    const v = ++version;
    return { version: v, threshold: 1, typical: 0.5, scoreBatch: () => {} };
  };
  const t = new ModelTrainer(board, { featureCount: 2, graceRows: 5, retrainRows: 4, minRetrainRows: 3, shadowRows: 100, promoteMaxAlertRatio: 1.2 }, train, async (v) => {
    promoted.push(v);
  });
  assert.equal(t.addRows(new Float64Array(6), 3), false, 'not yet: 3 of 5 grace rows');
  assert.equal(t.addRows(new Float64Array(6), 3), true);
  const first = await t.trainNow();
  assert.deepEqual(first && { ...first, ms: 0 }, { kind: 'trained', version: 1, rows: 5, role: 'current', ms: 0 }, 'the buffer holds max(grace, retrain) = 5 rows');
  assert.equal(board.current?.version, 1);
  assert.equal(board.grace, false);
  assert.deepEqual(promoted, [1]);
  assert.equal(await t.trainNow(), null, 'too few rows to retrain');
  t.addRows(new Float64Array(8), 4);
  const second = await t.trainNow();
  assert.equal(second?.kind === 'trained' && second.role, 'candidate');
  assert.equal(board.candidate?.version, 2);
  assert.equal(board.current?.version, 1, 'the candidate is not in force yet');
  assert.equal(await t.onShadow({ candidate: 2, current: 1, rows: 60, currentAlerts: 1, candidateAlerts: 0, currentScoreSum: 0, candidateScoreSum: 0 }), null);
  const verdict = await t.onShadow({ candidate: 2, current: 1, rows: 60, currentAlerts: 1, candidateAlerts: 0, currentScoreSum: 0, candidateScoreSum: 0 });
  assert.equal(verdict?.kind === 'verdict' && verdict.verdict.verdict, 'promote');
  assert.equal(board.current?.version, 2);
  assert.equal(board.candidate, null);
  assert.deepEqual(promoted, [1, 2]);
  assert.deepEqual(trainedOn, [5, 4]);
});
