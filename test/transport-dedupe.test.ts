// The receiver's duplicate filter for one sender session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DedupeWindow, FORGOTTEN, IN_PROGRESS, NEW } from '../src/remote/transport/dedupe-window.ts';
import { OUTCOME_CODE } from '../src/remote/transport/wire.ts';

test('first sight is new, a repeat in progress is ignored, a settled repeat gets its outcome again', () => {
  const w = new DedupeWindow();
  assert.equal(w.admit(1), NEW);
  assert.equal(w.admit(2), NEW);
  assert.equal(w.admit(1), IN_PROGRESS);
  w.settle(1, OUTCOME_CODE.handled);
  w.settle(2, OUTCOME_CODE.stale);
  assert.equal(w.admit(1), OUTCOME_CODE.handled);
  assert.equal(w.admit(2), OUTCOME_CODE.stale);
  w.settle(2, OUTCOME_CODE.handled);
  assert.equal(w.admit(2), OUTCOME_CODE.stale, 'a second settle does not change the answer');
});

test('seqs below the sender floor are forgotten and not handled again', () => {
  const w = new DedupeWindow();
  for (let seq = 1; seq <= 10; seq++) {
    w.admit(seq);
    w.settle(seq, OUTCOME_CODE.handled);
  }
  w.advance(8);
  assert.equal(w.size, 3);
  assert.equal(w.admit(3), FORGOTTEN);
  assert.equal(w.admit(8), OUTCOME_CODE.handled);
  w.advance(5);
  assert.equal(w.admit(6), FORGOTTEN, 'the floor never moves back');
});

test('past capacity the oldest settled seqs go first, never one in progress', () => {
  const w = new DedupeWindow(4);
  w.admit(1); // stays in progress
  for (let seq = 2; seq <= 6; seq++) {
    w.admit(seq);
    w.settle(seq, OUTCOME_CODE.handled);
  }
  assert.equal(w.size, 4);
  assert.equal(w.admit(1), IN_PROGRESS);
  assert.equal(w.admit(6), OUTCOME_CODE.handled);
  assert.equal(w.admit(2), NEW, 'an evicted seq would be handled again (at least once, not at most)');
});
