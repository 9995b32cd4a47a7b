import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { rocAuc } from '../src/eval/roc-auc.ts';
import { mulberry32 } from './helpers/prng.ts';

test('ROC AUC: perfect, inverted, all ties, and a brute-force check', () => {
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  assert.ok(Number.isNaN(rocAuc([1, 2], [1, 1])), 'no negatives: undefined');
  const rand = mulberry32(3);
  const scores = Array.from({ length: 300 }, () => Math.round(rand() * 20) / 20);
  const labels = scores.map((s) => rand() < s);
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  assert.ok(Math.abs(rocAuc(scores, labels) - wins / pairs) < 1e-12);
  assert.throws(() => rocAuc([NaN], [1]), /score 0 is NaN/);
});
