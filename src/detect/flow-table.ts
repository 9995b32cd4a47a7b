// A bounded key→slot index for flow state kept in parallel typed arrays.
//
// A key is two addresses and two small integers: (a, b, x, y). An address is a uint32
// (IPv4) or a string (IPv6). A JS Map cannot take such a composite key without building
// a string or a boxed number per packet, so this is a chained hash over typed arrays:
// lookups allocate nothing. Past `capacity` entries the least recently used one is
// evicted and its slot handed to the newcomer; the owner resets the slot's state.
//
// Protected entries (a segmented LRU, with `protectedShare`): an owner whose newcomers may be
// anyone's forgery (a flood's packets each make an entry) marks the entries it has reason to
// keep (`protect`: a verified connection); a newcomer then evicts the least recently used
// unprotected entry, and a protected one only when none is left. Protected entries are at
// most `protectedShare` of the table (past it the least recently used goes back among the
// others), so newcomers always have the rest to live in until they prove themselves.

import { LruOrder, checkCapacity } from '../util/lru.ts';
import { fnv1a, mix32 } from '../util/hash.ts';
import { holeyObjects } from '../util/elements-kind.ts';

export type AddressKey = number | string;

const NONE = -1;
const STR_A = 1;
const STR_B = 2;


/** An address's 32-bit hash (also the attempt aggregates' HyperLogLog hash). */
export function hashAddress(a: AddressKey): number {
  if (typeof a === 'number') return mix32(a | 0);
  // FNV-1a over UTF-16 code units; strings here are short IPv6 texts
  return mix32(fnv1a(a) ^ 0x5bd1e995);
}

// One record of 8 int32s per entry (32 bytes: two to a cache line), so a lookup that finds
// its key in the first entry of the chain reads the bucket and one line of the record,
// and the recency links it rewrites are on that line too (with the key in six parallel
// arrays and the links in two more, a lookup missed the cache 6-8 times).
const TAG = 0; // the key's hash (low 30 bits) and its kind (bits 30, 31: STR_A, STR_B)
const NUM_A = 1;
const NUM_B = 2;
const KEY_X = 3;
const KEY_Y = 4;
const CHAIN = 5;
const LINKS = 6; // LruOrder's previous and next slot
const STRIDE = 8;
const HASH_BITS = 0x3fffffff;
const KIND_SHIFT = 30;
/** Buckets of a new table (4 KiB: one page), before it grows. */
const INITIAL_BUCKETS = 1024;

/**
 * Share of the socket table that verified connections may hold, protected from eviction by
 * newcomers (below). Anyone can make a socket entry with one forged packet (a SYN
 * flood's half-open sockets, an ACK flood's closed ones), and under plain LRU a flood pushed
 * out the connections being followed (an SSH session's login state, a connect probe's
 * handshake). Suricata's flow engine, short of memory, likewise drops new and closed flows
 * before established ones (the TCP emergency timeouts of its suricata.yaml: new 5 s, closed
 * 10 s, established 100 s).
 * Three quarters, as a segmented LRU keeps about 80 % protected: the last quarter is where
 * newcomers live until their handshake is verified (65,536 of the node's 262,144 sockets:
 * 0.65 s of a flood of 100k new 4-tuples a second, hundreds of round trips).
 */
export const PROTECTED_SOCKETS = 0.75;

export interface FlowTableOptions {
  /** At most this share of the entries may be protected (0 < share < 1); absent: no protection. */
  protectedShare?: number;
}

export class FlowTable {
  readonly capacity: number;
  /** Unprotected entries (all of them without protection), least recently used first out. */
  private readonly order: LruOrder;
  /** Protected entries; 1 in `guard` for a slot in this list (null: no protection). */
  private readonly kept: LruOrder | null = null;
  private readonly guard: Uint8Array | null = null;
  private readonly maxKept: number = 0;
  private keptCount = 0;
  private keptEvicted = 0;
  private buckets: Int32Array;
  private mask: number;
  /** The bucket count at capacity (at most half full); the table starts with fewer and doubles them as it fills. */
  private readonly maxBuckets: number;
  private readonly records: Int32Array;
  // The IPv6 texts, sparse: written only for slots that hold one (an IPv4-only table
  // never grows these arrays, and a lookup reads them only when the slot's kind says so).
  private readonly strA: Array<string | undefined> = holeyObjects();
  private readonly strB: Array<string | undefined> = holeyObjects();
  private used = 0;
  private evicted = 0;

  constructor(capacity: number, options: FlowTableOptions = {}) {
    this.capacity = checkCapacity(capacity);
    // at most half full, so chains stay about one entry long; the bucket index must stay
    // within the tag's hash bits
    let nb = 16;
    while (nb < capacity * 2 && nb <= HASH_BITS) nb *= 2;
    this.maxBuckets = nb;
    // Buckets hold slot + 1 (0: empty). They start few and double as entries come (grow()):
    // a lookup's first read is its key's bucket, at a random place in the array, so buckets
    // sized for the capacity spread a table of a few thousand live entries over megabytes,
    // a cache miss (and often a TLB miss) each; sized for the entries, they stay in cache.
    this.buckets = new Int32Array(Math.min(nb, INITIAL_BUCKETS));
    this.mask = this.buckets.length - 1;
    // Full size at once, like the record stores (see flow-features.ts): pages are mapped as
    // they are first used, and the hot path never copies.
    this.records = new Int32Array(capacity * STRIDE);
    this.order = LruOrder.within(this.records, STRIDE, LINKS, capacity);
    const share = options.protectedShare;
    if (share !== undefined) {
      if (!(share > 0 && share < 1)) throw new RangeError(`FlowTable: protectedShare must be between 0 and 1, got ${share}`);
      // a slot is in one of the two lists, so both keep their links in the same record
      this.kept = LruOrder.within(this.records, STRIDE, LINKS, capacity);
      this.guard = new Uint8Array(capacity);
      this.maxKept = Math.max(1, Math.floor(capacity * share));
    }
  }

  /** Protected entries now. */
  get protectedSize(): number {
    return this.keptCount;
  }

  /** Protected entries pushed out (no unprotected one was left), since creation. */
  get protectedEvictions(): number {
    return this.keptEvicted;
  }

  /** Keep the slot's entry over unprotected ones (a table made with `protectedShare`; else nothing). */
  protect(s: number): void {
    const g = this.guard;
    if (g === null || g[s] === 1) return;
    this.order.remove(s);
    this.kept!.pushNewest(s);
    g[s] = 1;
    if (++this.keptCount > this.maxKept) {
      const d = this.kept!.oldest;
      this.kept!.remove(d);
      g[d] = 0;
      this.keptCount--;
      this.order.pushNewest(d);
    }
  }

  /** The slot's entry is one like the others again (its connection closed). */
  unprotect(s: number): void {
    const g = this.guard;
    if (g === null || g[s] === 0) return;
    this.kept!.remove(s);
    g[s] = 0;
    this.keptCount--;
    this.order.pushNewest(s);
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
    // the tag the key would have: its hash bits and its kind
    const tag = (h & HASH_BITS) | (typeof a === 'number' ? 0 : STR_A << KIND_SHIFT) | (typeof b === 'number' ? 0 : STR_B << KIND_SHIFT);
    const r = this.records;
    let s = this.buckets[h & this.mask]! - 1;
    while (s !== NONE) {
      const at = s * STRIDE;
      if (r[at + TAG] === tag && r[at + KEY_X] === (x | 0) && r[at + KEY_Y] === (y | 0) && this.sameAddresses(s, at, a, b)) {
        if (this.guard !== null && this.guard[s] === 1) this.kept!.touch(s);
        else this.order.touch(s);
        return s;
      }
      s = r[at + CHAIN]!;
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
      if ((this.used + 1) * 2 > this.buckets.length && this.buckets.length < this.maxBuckets) this.grow();
      s = this.used++;
    } else {
      s = this.order.oldest;
      if (s !== NONE) this.order.remove(s);
      else {
        // every entry is protected
        s = this.kept!.oldest;
        this.kept!.remove(s);
        this.guard![s] = 0;
        this.keptCount--;
        this.keptEvicted++;
      }
      this.unlink(s);
      this.evicted++;
    }
    const r = this.records;
    const at = s * STRIDE;
    const was = r[at + TAG]! >>> KIND_SHIFT;
    let kind = 0;
    if (typeof a === 'number') {
      r[at + NUM_A] = a;
      if (was & STR_A) this.strA[s] = undefined;
    } else {
      r[at + NUM_A] = 0;
      this.strA[s] = a;
      kind = STR_A;
    }
    if (typeof b === 'number') {
      r[at + NUM_B] = b;
      if (was & STR_B) this.strB[s] = undefined;
    } else {
      r[at + NUM_B] = 0;
      this.strB[s] = b;
      kind |= STR_B;
    }
    r[at + TAG] = (h & HASH_BITS) | (kind << KIND_SHIFT);
    r[at + KEY_X] = x;
    r[at + KEY_Y] = y;
    const bucket = h & this.mask;
    r[at + CHAIN] = this.buckets[bucket]! - 1;
    this.buckets[bucket] = s + 1;
    this.order.pushNewest(s);
    return s;
  }

  clear(): void {
    this.buckets.fill(0);
    this.order.clear();
    this.kept?.clear();
    this.guard?.fill(0);
    this.keptCount = 0;
    this.strA.length = 0;
    this.strB.length = 0;
    this.records.fill(0, 0, this.used * STRIDE);
    this.used = 0;
  }

  /**
   * Twice the buckets, every live entry (slots 0..used-1) linked again by its tag's hash
   * bits: no key is hashed again. Happens log2(capacity / 512) times over a table's life.
   */
  private grow(): void {
    const nb = this.buckets.length * 2;
    const buckets = new Int32Array(nb);
    const mask = nb - 1;
    const r = this.records;
    for (let s = 0; s < this.used; s++) {
      const at = s * STRIDE;
      const bucket = r[at + TAG]! & mask;
      r[at + CHAIN] = buckets[bucket]! - 1;
      buckets[bucket] = s + 1;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /** The addresses match, the kinds being equal (the tags were). */
  private sameAddresses(s: number, at: number, a: AddressKey, b: AddressKey): boolean {
    const r = this.records;
    if (typeof a === 'number') {
      if (r[at + NUM_A] !== (a | 0)) return false;
    } else if (this.strA[s] !== a) return false;
    if (typeof b === 'number') return r[at + NUM_B] === (b | 0);
    return this.strB[s] === b;
  }

  private unlink(s: number): void {
    const r = this.records;
    const bucket = r[s * STRIDE + TAG]! & this.mask;
    let cur = this.buckets[bucket]! - 1;
    if (cur === s) {
      this.buckets[bucket] = r[s * STRIDE + CHAIN]! + 1;
      return;
    }
    while (cur !== NONE) {
      const next = r[cur * STRIDE + CHAIN]!;
      if (next === s) {
        r[cur * STRIDE + CHAIN] = r[s * STRIDE + CHAIN]!;
        return;
      }
      cur = next;
    }
  }
}
