import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FlowFeatureConfigError } from '../src/detect/errors.ts';
import { FlowFeatureExtractor } from '../src/detect/flow-features.ts';
import { FlowTable } from '../src/detect/flow-table.ts';

test('FlowTable finds what it inserted, keeps IPv4 and IPv6 keys apart', () => {
  const t = new FlowTable(100);
  const a = t.insert(0xc0a80001, 0x0a000001, 80, 6);
  const b = t.insert('2001:db8::1', '2001:db8::2', 80, 6);
  const c = t.insert(1, 0, 0, 0);
  assert.deepEqual([a, b, c], [0, 1, 2]);
  assert.equal(t.find(0xc0a80001, 0x0a000001, 80, 6), a);
  assert.equal(t.find(0xc0a80001 | 0, 0x0a000001, 80, 6), a, 'uint32 and int32 spellings are one key');
  assert.equal(t.find('2001:db8::1', '2001:db8::2', 80, 6), b);
  assert.equal(t.find('1', 0, 0, 0), -1, 'the text "1" is not the number 1');
  assert.equal(t.find(1, 0, 0, 0), c);
  assert.equal(t.find(0xc0a80001, 0x0a000001, 80, 17), -1);
  assert.equal(t.find(0xc0a80001, 0x0a000001, 81, 6), -1);
  assert.equal(t.find(0x0a000001, 0xc0a80001, 80, 6), -1, 'order matters to the table');
  assert.equal(t.size, 3);
});

test('FlowTable evicts the least recently found or inserted entry and reuses its slot', () => {
  const t = new FlowTable(3);
  for (let k = 0; k < 3; k++) t.insert(k, 0, 0, 0);
  t.find(0, 0, 0, 0); // 1 is now the oldest
  const s = t.insert(3, 0, 0, 0);
  assert.equal(s, 1);
  assert.equal(t.evictions, 1);
  assert.equal(t.find(1, 0, 0, 0), -1);
  for (const k of [0, 2, 3]) assert.notEqual(t.find(k, 0, 0, 0), -1, `key ${k} survives`);
  assert.equal(t.size, 3);
});

test('FlowTable with protected entries: newcomers evict unprotected ones first; the protected share is bounded', () => {
  const t = new FlowTable(8, { protectedShare: 0.5 });
  for (let k = 0; k < 8; k++) t.insert(k, 0, 0, 0);
  t.protect(t.find(0, 0, 0, 0)); // the oldest
  t.protect(t.find(1, 0, 0, 0));
  assert.equal(t.protectedSize, 2);
  // a flood of newcomers: 0 and 1 stay, the rest churn
  for (let k = 100; k < 1000; k++) t.insert(k, 0, 0, 0);
  assert.ok(t.find(0, 0, 0, 0) >= 0 && t.find(1, 0, 0, 0) >= 0);
  assert.equal(t.protectedEvictions, 0);
  assert.equal(t.size, 8);
  // at most half protected: past it the least recently used protected entry (0: found
  // before 1 above) goes back among the others, and is evicted as they are
  for (const k of [997, 998, 999]) t.protect(t.find(k, 0, 0, 0));
  assert.equal(t.protectedSize, 4);
  for (let k = 2000; k < 2005; k++) t.insert(k, 0, 0, 0);
  assert.equal(t.find(0, 0, 0, 0), -1, 'the protected entry pushed back among the others was evicted');
  for (const k of [1, 997, 998, 999]) assert.ok(t.find(k, 0, 0, 0) >= 0, `protected ${k} stays`);
  // unprotected again (its connection closed), it is one like the others
  t.unprotect(t.find(1, 0, 0, 0));
  for (let k = 3000; k < 3008; k++) t.insert(k, 0, 0, 0);
  assert.equal(t.find(1, 0, 0, 0), -1);
  assert.equal(t.protectedSize, 3);
  // every entry protected (a table of one kept entry): the oldest protected goes
  const full = new FlowTable(2, { protectedShare: 0.5 });
  full.protect(full.insert(1, 0, 0, 0));
  full.insert(2, 0, 0, 0);
  full.insert(3, 0, 0, 0);
  assert.ok(full.find(1, 0, 0, 0) >= 0 && full.find(2, 0, 0, 0) === -1);
  assert.throws(() => new FlowTable(4, { protectedShare: 1 }), RangeError);
});

test('FlowTable stays consistent through heavy churn with colliding buckets', () => {
  const cap = 64;
  const t = new FlowTable(cap);
  const live = new Map<number, number>(); // key → slot
  const order: number[] = [];
  let seed = 99;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 50_000; i++) {
    const k = Math.floor(rnd() * 200);
    const s = t.find(k, k ^ 1, k & 7, 0);
    if (live.has(k)) {
      assert.equal(s, live.get(k));
      order.splice(order.indexOf(k), 1);
    } else {
      assert.equal(s, -1);
      const ns = t.insert(k, k ^ 1, k & 7, 0);
      if (live.size === cap) live.delete(order.shift()!);
      live.set(k, ns);
    }
    order.push(k);
  }
  assert.equal(t.size, cap);
  assert.equal(new Set(live.values()).size, cap, 'every live key has its own slot');
});

test('FlowTable keeps every entry while its buckets grow with it, then evicts as a reference LRU does', () => {
  // 5,000 entries: the buckets double from 1,024 to 16,384 while the table fills (grow())
  const cap = 5000;
  const t = new FlowTable(cap, { protectedShare: 0.5 });
  const key = (k: number): [number | string, number | string, number, number] =>
    k % 5 === 0 ? [`2001:db8::${k.toString(16)}`, 7, k & 0xffff, 6] : [k * 2654435761, (k * 40503) | 0, k & 1023, 17];
  const live = new Map<number, number>();
  const order: number[] = [];
  for (let k = 0; k < cap; k++) {
    assert.equal(t.find(...key(k)), -1);
    const s = t.insert(...key(k));
    live.set(k, s);
    order.push(k);
    // a key inserted before each doubling is still found after it
    if ((k & (k - 1)) === 0) for (const [j, slot] of live) assert.equal(t.find(...key(j)), slot, `key ${j} after ${k + 1} entries`);
  }
  assert.equal(new Set(live.values()).size, cap, 'every key has its own slot');
  // refinding touched every key; the order is now 0..cap-1 again, oldest first
  order.length = 0;
  for (let k = 0; k < cap; k++) {
    assert.equal(t.find(...key(k)), live.get(k));
    order.push(k);
  }
  let seed = 5;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 30_000; i++) {
    const k = Math.floor(rnd() * 8000);
    const s = t.find(...key(k));
    if (live.has(k)) {
      assert.equal(s, live.get(k));
      order.splice(order.indexOf(k), 1);
    } else {
      assert.equal(s, -1);
      const ns = t.insert(...key(k));
      const gone = order.shift()!;
      assert.equal(ns, live.get(gone), `the least recently used key's slot goes to the newcomer`);
      live.delete(gone);
      live.set(k, ns);
    }
    order.push(k);
  }
  for (const [k, slot] of live) assert.equal(t.find(...key(k)), slot);
  assert.equal(t.size, cap);
});

test('FlowTable reuses slots across IPv4 and IPv6 keys: an evicted address text never matches a number, nor the reverse', () => {
  const cap = 16;
  const t = new FlowTable(cap);
  const live = new Map<number, number>();
  const order: number[] = [];
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  // key k: its first address a number when k is even, text when odd; its second the other way
  // round every third key, so a slot goes from text to number and back in both places
  const a = (k: number) => (k % 2 === 0 ? k : `2001:db8::${k.toString(16)}`);
  const b = (k: number) => (k % 3 === 0 ? `2001:db8::${k.toString(16)}` : 0);
  for (let i = 0; i < 20_000; i++) {
    const k = Math.floor(rnd() * 60);
    const s = t.find(a(k), b(k), 0, 0);
    if (live.has(k)) {
      assert.equal(s, live.get(k));
      order.splice(order.indexOf(k), 1);
    } else {
      assert.equal(s, -1, `key ${k} is not in the table`);
      // the same address spelt the other way is a different key
      if (typeof a(k) === 'number') assert.equal(t.find(String(k), b(k), 0, 0), -1);
      const ns = t.insert(a(k), b(k), 0, 0);
      if (live.size === cap) live.delete(order.shift()!);
      live.set(k, ns);
    }
    order.push(k);
  }
  for (const [k, slot] of live) assert.equal(t.find(a(k), b(k), 0, 0), slot);
});

test('past the configured limits the least recently seen entries are evicted and counted', () => {
  const fx = new FlowFeatureExtractor({ maxHosts: 2, maxPairs: 2, maxSockets: 3 });
  const out = new Float64Array(fx.featureCount);
  const H0 = 3 * 2; // λ = 1 block of the host group: w is the packet count over a short time
  fx.update(0, 1, 9, 1000, 80, 6, 100, out, 0);
  fx.update(0, 2, 9, 1000, 80, 6, 100, out, 0);
  fx.update(0, 1, 9, 1000, 80, 6, 100, out, 0); // host 1 seen again: host 2 is the oldest
  assert.equal(out[H0], 2);
  fx.update(0, 3, 9, 1000, 80, 6, 100, out, 0); // evicts host 2 and pair 2↔9; the sockets still fit
  let st = fx.stats();
  assert.deepEqual(st.hosts, { entries: 2, capacity: 2, evictions: 1 });
  assert.deepEqual(st.pairs, { entries: 2, capacity: 2, evictions: 1 });
  assert.deepEqual(st.sockets, { entries: 3, capacity: 3, evictions: 0 });
  fx.update(0, 1, 9, 1000, 80, 6, 100, out, 0);
  assert.equal(out[H0], 3, 'host 1 kept its history');
  fx.update(0, 2, 9, 1000, 80, 6, 100, out, 0); // host 2 starts over
  assert.equal(out[H0], 1);
  st = fx.stats();
  assert.equal(st.hosts.evictions, 2);
  assert.equal(st.pairs.evictions, 2);
  assert.equal(st.sockets.evictions, 0);
  assert.equal(st.sockets.entries, 3);
});

test('eviction matches a reference LRU on a random stream (host, pair and socket tables)', async () => {
  // the reference replays the same packets with plain Maps in recency order
  const caps = { hosts: 7, pairs: 11, sockets: 13 };
  const fx = new FlowFeatureExtractor({ maxHosts: caps.hosts, maxPairs: caps.pairs, maxSockets: caps.sockets });
  const ref = { hosts: new Map<string, true>(), pairs: new Map<string, true>(), sockets: new Map<string, true>() };
  const refEvictions = { hosts: 0, pairs: 0, sockets: 0 };
  const see = (table: keyof typeof ref, key: string) => {
    const m = ref[table];
    if (m.has(key)) m.delete(key);
    else if (m.size === caps[table]) {
      m.delete(m.keys().next().value!);
      refEvictions[table]++;
    }
    m.set(key, true);
  };
  const out = new Float64Array(fx.featureCount);
  let seed = 3;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const hostW = new Map<string, number>(); // packets seen per host since its entry was created
  for (let n = 0; n < 20_000; n++) {
    const src = Math.floor(rnd() * 12);
    const dst = Math.floor(rnd() * 12);
    const sp = 1000 + Math.floor(rnd() * 3);
    const dp = 80;
    const hostKey = `${src}`;
    if (!ref.hosts.has(hostKey)) hostW.set(hostKey, 0);
    see('hosts', hostKey);
    see('pairs', [src, dst].sort((x, y) => x - y).join('|'));
    const [a, b] = [`${src}:${sp}`, `${dst}:${dp}`].sort();
    see('sockets', `${a}|${b}`);
    hostW.set(hostKey, hostW.get(hostKey)! + 1);
    fx.update(n * 1e-9, src, dst, sp, dp, 6, 100, out, 0);
    // λ = 0.01 over nanoseconds: the weight is the packet count since (re)creation
    assert.ok(Math.abs(out[12] - hostW.get(hostKey)!) < 1e-6, `packet ${n}: host ${src} weight ${out[12]}, expected ${hostW.get(hostKey)}`);
  }
  const st = fx.stats();
  assert.equal(st.hosts.evictions, refEvictions.hosts);
  assert.equal(st.pairs.evictions, refEvictions.pairs);
  assert.equal(st.sockets.evictions, refEvictions.sockets);
  assert.ok(refEvictions.pairs > 1000 && refEvictions.sockets > 1000, JSON.stringify(refEvictions));
});

test('bad configuration is refused with a coded error naming the field', () => {
  const cases: Array<[object, string]> = [
    [{ maxPairs: 0 }, 'maxPairs'],
    [{ maxHosts: 1.5 }, 'maxHosts'],
    [{ maxSockets: '10' }, 'maxSockets'],
    [{ lambdas: [] }, 'lambdas'],
    [{ lambdas: [1, -0.1] }, 'lambdas'],
    [{ lambdas: [Number.NaN] }, 'lambdas'],
  ];
  for (const [config, field] of cases) {
    assert.throws(
      () => new FlowFeatureExtractor(config),
      (e: unknown) =>
        e instanceof FlowFeatureConfigError && e.code === 'AI_ERR_FEATURES_CONFIG' && e.field === field && e.message.includes(field),
    );
  }
});
