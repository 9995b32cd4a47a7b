import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EvidenceGrader } from '../src/detect/evidence-grade.ts';

test("a connection's next segment moves the times of its four entries, as the first did", () => {
  const g = new EvidenceGrader(16);
  g.observeKeys(1, 2, 10);
  g.observeKeys(1, 2, 20); // the repeat: written into the slots the first call found
  for (const [s, t] of [[1, 2], [1, 0], [2, 1], [2, 0]] as const) {
    assert.equal(g.verifiedSince(s, t, 15), true, `${s} → ${t} at 20`);
    assert.equal(g.verifiedSince(s, t, 25), false);
  }
  assert.equal(g.verifiedSince(1, 3, 0), false);
});

test('a lookup between two segments of one connection leaves them the recency of fresh lookups', () => {
  // 8 entries: (1,2) (1,*) (2,1) (2,*) then (3,4) (3,*) (4,3) (4,*)
  const g = new EvidenceGrader(8);
  g.observeKeys(1, 2, 10);
  assert.equal(g.verifiedSince(1, 2, 0), true); // (1,2) now the most recently used
  g.observeKeys(1, 2, 11); // touches (1,2) (1,*) (2,1) (2,*) again, in that order
  g.observeKeys(3, 4, 12);
  g.observeKeys(5, 5, 13); // two new entries, (5,5) and (5,*): the two least recently used go
  assert.equal(g.verifiedSince(1, 2, 0), false, '(1,2) was the least recently used');
  assert.equal(g.verifiedSince(1, 0, 0), false);
  assert.equal(g.verifiedSince(2, 1, 0), true);
  assert.equal(g.verifiedSince(2, 0, 0), true);
  assert.equal(g.verifiedSince(5, 5, 13), true);
});

test('a grader of fewer than four entries still keeps the latest connection', () => {
  const g = new EvidenceGrader(2);
  g.observeKeys(1, 2, 10);
  g.observeKeys(1, 2, 20);
  assert.equal(g.verifiedSince(2, 1, 20), true);
  assert.equal(g.verifiedSince(2, 0, 20), true);
});
