// A bounded key→slot index for flow state kept in parallel typed arrays.
//
// A key is two addresses and two small integers: (a, b, x, y). An address is a uint32
// (IPv4) or a string (IPv6). A JS Map cannot take such a composite key without building
// a string or a boxed number per packet, so this is a chained hash over typed arrays:
// lookups allocate nothing. Past `capacity` entries the least recently used one is
// evicted and its slot handed to the newcomer; the owner resets the slot's state.

import { LruOrder, checkCapacity } from '../util/lru.ts';
import { fnv1a, mix32 } from '../util/hash.ts';

export type AddressKey = number | string;

const NONE = -1;
// Buckets and chain links hold slot + 1, so 0 is "none": a table's arrays need no fill at
// construction, and a bucket page costs memory only once a key lands in it.
const STR_A = 1;
const STR_B = 2;


/** An address's 32-bit hash (also the attempt aggregates' HyperLogLog hash). */
export function hashAddress(a: AddressKey): number {
  if (typeof a === 'number') return mix32(a | 0);
  // FNV-1a over UTF-16 code units; strings here are short IPv6 texts
  return mix32(fnv1a(a) ^ 0x5bd1e995);
}

export class FlowTable {
  readonly capacity: number;
  private readonly order: LruOrder;
  private readonly buckets: Int32Array;
  private readonly mask: number;
  private chain: Int32Array;
  private hashes: Int32Array;
  private numA: Int32Array;
  private numB: Int32Array;
  private keyX: Int32Array;
  private keyY: Int32Array;
  /** Per slot: bit STR_A set when its first address is a string (IPv6), STR_B the second. */
  private kinds: Uint8Array;
  // The IPv6 texts, sparse: written only for slots that hold one (an IPv4-only table
  // never grows these arrays, and a lookup reads them only when the slot's kind says so).
  private readonly strA: Array<string | undefined> = [];
  private readonly strB: Array<string | undefined> = [];
  private used = 0;
  private evicted = 0;

  constructor(capacity: number) {
    this.capacity = checkCapacity(capacity);
    // Full size at once, like the other columns (pages are mapped as they are first used).
    this.order = new LruOrder(capacity, capacity);
    // at most half full, so chains stay about one entry long
    let nb = 16;
    while (nb < capacity * 2) nb *= 2;
    this.buckets = new Int32Array(nb);
    this.mask = nb - 1;
    // Full size at once, like the record stores (see flow-features.ts): no copy on the hot path.
    const n = capacity;
    this.chain = new Int32Array(n);
    this.hashes = new Int32Array(n);
    this.numA = new Int32Array(n);
    this.numB = new Int32Array(n);
    this.keyX = new Int32Array(n);
    this.keyY = new Int32Array(n);
    this.kinds = new Uint8Array(n);
  }

  /** Live entries; their slots are exactly 0..size-1 (entries are only ever replaced). */
  get size(): number {
    return this.used;
  }

  /** Entries pushed out to make room, since creation. */
  get evictions(): number {
    return this.evicted;
  }

  static hash(a: AddressKey, b: AddressKey, x: number, y: number): number {
    let h = hashAddress(a);
    h = mix32(h ^ Math.imul(hashAddress(b), 0x9e3779b1));
    h = mix32(h ^ Math.imul(x | 0, 0x27d4eb2f) ^ Math.imul(y | 0, 0x165667b1));
    return h;
  }

  /** The slot of the key (marking it used), or -1. */
  find(a: AddressKey, b: AddressKey, x: number, y: number): number {
    const h = FlowTable.hash(a, b, x, y);
    let s = this.buckets[h & this.mask] - 1;
    while (s !== NONE) {
      if (this.hashes[s] === h && this.keyX[s] === x && this.keyY[s] === y && this.sameAddresses(s, a, b)) {
        this.order.touch(s);
        return s;
      }
      s = this.chain[s] - 1;
    }
    return NONE;
  }

  /**
   * Add an absent key and return its slot: a fresh one while below capacity, else the
   * least recently used entry's (evicted). The caller must reset the slot's state.
   */
  insert(a: AddressKey, b: AddressKey, x: number, y: number): number {
    const h = FlowTable.hash(a, b, x, y);
    let s: number;
    if (this.used < this.capacity) {
      s = this.used++;
      if (s >= this.chain.length) this.grow(s + 1);
    } else {
      s = this.order.oldest;
      this.unlink(s);
      this.order.remove(s);
      this.evicted++;
    }
    this.hashes[s] = h;
    this.keyX[s] = x;
    this.keyY[s] = y;
    const was = this.kinds[s];
    let kind = 0;
    if (typeof a === 'number') {
      this.numA[s] = a;
      if (was & STR_A) this.strA[s] = undefined;
    } else {
      this.numA[s] = 0;
      this.strA[s] = a;
      kind = STR_A;
    }
    if (typeof b === 'number') {
      this.numB[s] = b;
      if (was & STR_B) this.strB[s] = undefined;
    } else {
      this.numB[s] = 0;
      this.strB[s] = b;
      kind |= STR_B;
    }
    this.kinds[s] = kind;
    const bucket = h & this.mask;
    this.chain[s] = this.buckets[bucket];
    this.buckets[bucket] = s + 1;
    this.order.pushNewest(s);
    return s;
  }

  clear(): void {
    this.buckets.fill(0);
    this.order.clear();
    this.strA.length = 0;
    this.strB.length = 0;
    this.kinds.fill(0);
    this.used = 0;
  }

  private sameAddresses(s: number, a: AddressKey, b: AddressKey): boolean {
    const kind = this.kinds[s];
    if (typeof a === 'number') {
      if (kind & STR_A || this.numA[s] !== (a | 0)) return false;
    } else if (!(kind & STR_A) || this.strA[s] !== a) return false;
    if (typeof b === 'number') return (kind & STR_B) === 0 && this.numB[s] === (b | 0);
    return (kind & STR_B) !== 0 && this.strB[s] === b;
  }

  private unlink(s: number): void {
    const bucket = this.hashes[s] & this.mask;
    let cur = this.buckets[bucket] - 1;
    if (cur === s) {
      this.buckets[bucket] = this.chain[s];
      return;
    }
    while (cur !== NONE) {
      const next = this.chain[cur] - 1;
      if (next === s) {
        this.chain[cur] = this.chain[s];
        return;
      }
      cur = next;
    }
  }

  private grow(min: number): void {
    const n = Math.min(this.capacity, Math.max(min, this.chain.length * 2));
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.chain = grow(this.chain);
    this.hashes = grow(this.hashes);
    this.numA = grow(this.numA);
    this.numB = grow(this.numB);
    this.keyX = grow(this.keyX);
    this.keyY = grow(this.keyY);
    const kinds = new Uint8Array(n);
    kinds.set(this.kinds);
    this.kinds = kinds;
  }
}
