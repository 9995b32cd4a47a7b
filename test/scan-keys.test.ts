// The scan keys both scan rules use (scan-keys.ts): distinct values per episode, a fast and a
// slow bucket fed by each new value, the hold of a spared alert, and the raise that ends it.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { COOLING, COUNTED, FAST_OVER, SLOW_OVER, ScanKeys } from '../src/detect/rules/scan-keys.ts';

const T0 = 1_700_000_000;
const SRC = 0x0a000001, DST = 0x0a000002;
// fast: 10 values leaking 1/s; slow: 4 values leaking 4 per 300 s (small numbers, the same shapes as the defaults)
const keys = () => new ScanKeys(16, { threshold: 10, leakPerS: 1 }, { threshold: 4, leakPerS: 4 / 300 }, 300);
const spared = { grade: 'forgeable', sourceSeen: true } as Alert;
const established = { grade: 'established', sourceSeen: true } as Alert;

test('a value counts once per episode, into both buckets; the slow one counts TCP attempts only', () => {
  const k = keys();
  const s = k.slot(SRC, DST, 0);
  assert.equal(k.add(s, T0, 80, true), COUNTED);
  assert.equal(k.add(s, T0 + 0.1, 80, true), 0, 'seen in this episode');
  assert.equal(k.add(s, T0 + 0.2, 53, false), COUNTED);
  assert.equal(k.count[s], 2);
  assert.equal(k.fast.levelOf(s), 2);
  assert.equal(k.slow!.levelOf(s), 1, 'the UDP value is not an unanswered TCP attempt');
  assert.equal(k.slot(SRC, DST, 0), s, 'the same key, the same slot');
});

test('a slow overflow still pours into the fast bucket, which then keeps counting while the alert is held', () => {
  const k = keys();
  const s = k.slot(SRC, DST, 0);
  // one value every 2 s: the fast bucket leaks each away before the next, the slow one fills
  let r = 0;
  for (let v = 0; v < 4; v++) r = k.add(s, T0 + 2 * v, 1000 + v, true);
  assert.equal(r, COUNTED | SLOW_OVER);
  assert.equal(k.fast.levelOf(s), 1, 'the overflowing value is in the fast bucket too');
  k.settle(spared, s, T0 + 6, 0.5);
  assert.ok(k.held.holding(s, T0 + 6));
  // the scan speeds up while held, within the fast bucket's episode: 9 new values in 9 ms
  // overflow it as well (with the overflowing value above, 10)
  for (let v = 0; v < 9; v++) r = k.add(s, T0 + 6.1 + v * 0.001, 2000 + v, true);
  assert.equal(r, COUNTED | FAST_OVER | SLOW_OVER);
  k.capHeld(s, true);
  assert.equal(k.fast.levelOf(s), 10);
  assert.equal(k.slow!.levelOf(s), 4);
  assert.equal(k.heldEpisode(s, T0 + 7.5), FAST_OVER | SLOW_OVER);
  assert.equal(k.episodeStart(s, FAST_OVER | SLOW_OVER), T0, 'the slow episode began first');
  k.raised(s, T0 + 7.5);
  assert.equal(k.held.holding(s, T0 + 8), false);
  assert.equal(k.add(s, T0 + 8, 3000, true), COOLING, 'both buckets tripped');
});

test('an alert not spared trips both buckets: the key cools for the cooldown, then counts a new episode', () => {
  const k = keys();
  const s = k.slot(SRC, 0, 22);
  for (let v = 0; v < 10; v++) k.add(s, T0 + v * 0.001, v + 1, true);
  k.settle(established, s, T0 + 0.01, 0.9);
  assert.equal(k.held.holding(s, T0 + 0.01), false);
  assert.equal(k.slow!.cooling(s, T0 + 1), true);
  assert.equal(k.add(s, T0 + 299, 99, true), COOLING);
  assert.equal(k.add(s, T0 + 301, 1, true), COUNTED, 'a value of the old episode is new in the next');
  assert.equal(k.count[s], 1);
});

test('a completed handshake takes its unit back out of the slow bucket, and out of the fast one when asked', () => {
  const k = keys();
  const s = k.slot(SRC, DST, 0);
  k.add(s, T0, 80, true);
  k.add(s, T0 + 0.001, 81, true);
  k.takeBack(s, T0 + 0.002, false);
  assert.equal(k.fast.levelOf(s), 2);
  assert.equal(k.slow!.levelOf(s), 1);
  k.takeBack(s, T0 + 0.003, true);
  assert.equal(k.fast.levelOf(s), 1);
  assert.equal(k.slow!.levelOf(s), 0);
});

test('heldSlot finds a key only while it holds an alert', () => {
  const k = keys();
  const s = k.slot(SRC, 0, 22);
  assert.equal(k.heldSlot(SRC, 0, 22, T0), -1);
  for (let v = 0; v < 10; v++) k.add(s, T0 + v * 0.001, v + 1, true);
  k.settle(spared, s, T0 + 0.01, 0.5);
  assert.equal(k.heldSlot(SRC, 0, 22, T0 + 1), s);
  assert.equal(k.heldSlot(SRC, 0, 23, T0 + 1), -1);
  assert.equal(k.heldSlot(SRC, 0, 22, T0 + 301), -1, 'past the cooldown');
});
