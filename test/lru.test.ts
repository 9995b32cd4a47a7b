import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { LruCapacityError, LruMap, LruOrder } from '../src/util/lru.ts';

test('a full map evicts the least recently used entry and counts it', () => {
  const evicted: Array<[string, number]> = [];
  const m = new LruMap<string, number>(3, { onEvict: (k, v) => evicted.push([k, v]) });
  m.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(m.get('a'), 1); // a is now the newest: b is the oldest
  m.set('d', 4);
  assert.deepEqual(evicted, [['b', 2]]);
  assert.equal(m.evictions, 1);
  assert.equal(m.size, 3);
  assert.equal(m.has('b'), false);
  assert.deepEqual([...m.keys()], ['d', 'a', 'c']);
});

test('peek and has do not count as use, set of an existing key does', () => {
  const m = new LruMap<number, string>(2);
  m.set(1, 'x').set(2, 'y');
  assert.equal(m.peek(1), 'x');
  assert.equal(m.has(1), true);
  m.set(3, 'z'); // 1 is still the oldest
  assert.deepEqual([...m.keys()], [3, 2]);
  m.set(2, 'Y');
  m.set(4, 'w'); // 3 is now the oldest
  assert.deepEqual([...m.entries()], [[4, 'w'], [2, 'Y']]);
  assert.equal(m.evictions, 2);
});

test('delete frees a slot without counting an eviction; clear empties', () => {
  let calls = 0;
  const m = new LruMap<string, number>(2, { onEvict: () => calls++ });
  m.set('a', 1).set('b', 2);
  assert.equal(m.delete('a'), true);
  assert.equal(m.delete('a'), false);
  m.set('c', 3);
  assert.equal(m.evictions, 0);
  assert.equal(calls, 0);
  assert.deepEqual([...m.keys()], ['c', 'b']);
  m.clear();
  assert.equal(m.size, 0);
  assert.equal(m.get('b'), undefined);
  m.set('e', 5).set('f', 6).set('g', 7);
  assert.deepEqual([...m.keys()], ['g', 'f']);
});

test('slots are stable, below capacity, and reused after eviction', () => {
  const m = new LruMap<number, null>(4);
  const slots = [10, 11, 12, 13].map((k) => m.insert(k, null));
  assert.deepEqual([...slots].sort(), [0, 1, 2, 3]);
  assert.equal(m.slotOf(10), slots[0]); // 10 becomes the newest, 11 the oldest
  assert.equal(m.slotOf(99), -1);
  const s = m.insert(14, null);
  assert.equal(s, slots[1]);
  assert.equal(m.has(11), false);
});

test('behaves like a reference LRU over a long random sequence', () => {
  const cap = 50;
  const m = new LruMap<number, number>(cap);
  const ref: number[] = []; // keys, oldest first
  const vals = new Map<number, number>();
  let refEvictions = 0;
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 20000; i++) {
    const k = Math.floor(rnd() * 120);
    const op = rnd();
    if (op < 0.5) {
      const got = m.get(k);
      const at = ref.indexOf(k);
      assert.equal(got, at >= 0 ? vals.get(k) : undefined);
      if (at >= 0) ref.push(...ref.splice(at, 1));
    } else if (op < 0.9) {
      m.set(k, i);
      const at = ref.indexOf(k);
      if (at >= 0) ref.splice(at, 1);
      else if (ref.length === cap) {
        vals.delete(ref.shift()!);
        refEvictions++;
      }
      ref.push(k);
      vals.set(k, i);
    } else {
      const at = ref.indexOf(k);
      assert.equal(m.delete(k), at >= 0);
      if (at >= 0) {
        ref.splice(at, 1);
        vals.delete(k);
      }
    }
  }
  assert.deepEqual([...m.keys()], [...ref].reverse());
  assert.equal(m.evictions, refEvictions);
});

test('LruOrder grows on demand and keeps order', () => {
  const o = new LruOrder(10_000, 2);
  for (let s = 0; s < 5000; s++) o.pushNewest(s);
  o.touch(0);
  assert.equal(o.newest, 0);
  assert.equal(o.oldest, 1);
  o.remove(1);
  assert.equal(o.oldest, 2);
});

test('LruOrder within an owner\'s records keeps order and writes only its two links', () => {
  const stride = 4;
  const records = new Int32Array(6 * stride).fill(7);
  const o = LruOrder.within(records, stride, 1, 6);
  for (let s = 0; s < 6; s++) o.pushNewest(s);
  o.touch(0);
  o.remove(3);
  const seen: number[] = [];
  for (let s = o.newest; s !== -1; s = o.older(s)) seen.push(s);
  assert.deepEqual(seen, [0, 5, 4, 2, 1]);
  assert.equal(o.oldest, 1);
  for (let s = 0; s < 6; s++) {
    assert.equal(records[s * stride], 7);
    assert.equal(records[s * stride + 3], 7);
  }
  assert.throws(() => LruOrder.within(records, stride, 3, 6), RangeError);
  assert.throws(() => LruOrder.within(records, stride, 1, 7), RangeError);
});

test('a bad capacity is refused with a coded error', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
    assert.throws(
      () => new LruMap(bad),
      (e: unknown) => e instanceof LruCapacityError && e.code === 'AI_ERR_LRU_CAPACITY' && e.message.includes(String(bad)),
    );
  }
});
