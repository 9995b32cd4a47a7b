// FlowTable against a plain model of what it promises (a key's slot, least recently used
// eviction, the protected segment), over long random sequences whose keys come back, collide
// and are evicted all the time: whatever the layout (chains, an evicted entry unlinked from
// its bucket, the buckets doubling; session 18 tried open addressing), no key is lost and
// none found that is not there, and slots are handed out as the model hands them.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FlowTable, type AddressKey } from '../src/detect/flow-table.ts';

/** The same promises, with a Map and arrays (O(n) a step). */
class ModelTable {
  private readonly slots = new Map<string, number>();
  private readonly keyOf: string[] = [];
  /** Oldest first. */
  private readonly order: number[] = [];
  private readonly kept: number[] = [];
  private readonly guard: boolean[] = [];
  private readonly maxKept: number;
  evictions = 0;
  constructor(
    readonly capacity: number,
    private readonly share?: number,
  ) {
    this.maxKept = share === undefined ? 0 : Math.max(1, Math.floor(capacity * share));
  }
  find(k: string): number {
    const s = this.slots.get(k);
    if (s === undefined) return -1;
    const list = this.guard[s] ? this.kept : this.order;
    list.splice(list.indexOf(s), 1);
    list.push(s);
    return s;
  }
  insert(k: string): number {
    let s: number;
    if (this.keyOf.length < this.capacity) s = this.keyOf.length;
    else {
      s = this.order.length > 0 ? this.order.shift()! : this.kept.shift()!;
      this.guard[s] = false;
      this.slots.delete(this.keyOf[s]!);
      this.evictions++;
    }
    this.keyOf[s] = k;
    this.slots.set(k, s);
    this.order.push(s);
    return s;
  }
  protect(s: number): void {
    if (this.share === undefined || this.guard[s]) return;
    this.order.splice(this.order.indexOf(s), 1);
    this.kept.push(s);
    this.guard[s] = true;
    if (this.kept.length > this.maxKept) {
      const d = this.kept.shift()!;
      this.guard[d] = false;
      this.order.push(d);
    }
  }
  unprotect(s: number): void {
    if (!this.guard[s]) return;
    this.kept.splice(this.kept.indexOf(s), 1);
    this.guard[s] = false;
    this.order.push(s);
  }
  get size(): number {
    return this.keyOf.length;
  }
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function run(capacity: number, share: number | undefined, keys: number, steps: number, seed: number): void {
  const t = new FlowTable(capacity, share === undefined ? {} : { protectedShare: share });
  const m = new ModelTable(capacity, share);
  const rnd = random(seed);
  for (let step = 0; step < steps; step++) {
    // keys: a number pair, or IPv6 texts now and then, with ports and protocol
    const k = Math.floor(rnd() * keys);
    const a: AddressKey = k % 7 === 3 ? `2001:db8::${(k >>> 3).toString(16)}` : (k * 2654435761) | 0;
    const b: AddressKey = k % 5 === 1 ? '2001:db8::1' : k & 3;
    const x = k % 3;
    const y = 6;
    const name = `${typeof a}:${a}|${typeof b}:${b}|${x}|${y}`;
    const what = rnd();
    const s = t.find(a, b, x, y);
    assert.equal(s, m.find(name), `step ${step}: find ${name}`);
    if (s < 0) assert.equal(t.insert(a, b, x, y), m.insert(name), `step ${step}: insert ${name}`);
    else if (what < 0.1) {
      t.protect(s);
      m.protect(s);
    } else if (what < 0.15) {
      t.unprotect(s);
      m.unprotect(s);
    }
  }
  assert.equal(t.size, m.size);
  assert.equal(t.evictions, m.evictions);
}

test('FlowTable finds, inserts and evicts as the model does, full and churning', () => {
  // twice as many keys as room: half the lookups miss, every insert evicts
  for (let seed = 1; seed <= 4; seed++) run(64, undefined, 128, 20_000, seed);
});

test('FlowTable as the model with protected entries', () => {
  for (let seed = 1; seed <= 4; seed++) run(48, 0.75, 100, 20_000, seed);
});

test('FlowTable as the model while its buckets double (past 1,024 of them) and after', () => {
  run(3000, undefined, 4500, 60_000, 7);
  run(3000, 0.75, 4500, 60_000, 8);
});

test('FlowTable.clear forgets every key and hands out slots from 0 again', () => {
  const t = new FlowTable(40);
  for (let k = 0; k < 100; k++) if (t.find(k, 1, 2, 3) < 0) t.insert(k, 1, 2, 3);
  t.clear();
  assert.equal(t.size, 0);
  for (let k = 0; k < 100; k++) assert.equal(t.find(k, 1, 2, 3), -1, `key ${k} forgotten`);
  assert.equal(t.insert(5, 1, 2, 3), 0);
  assert.equal(t.find(5, 1, 2, 3), 0);
});
