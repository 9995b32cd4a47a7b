// "Has this key seen this value before?" for CrowdSec's distinct buckets, per table slot:
// the set of the values' 10-bit hashes (a 1024-bit bitmap's worth) instead of a Set per key:
// nothing allocated per packet, memory bounded up front. A hash collision makes a new value
// look already seen, so counts can only come out low, never high: about 5% low at 100
// distinct values, 12% at 256 (the expected number of distinct hashes is m·(1 − e^(−n/m)),
// m = 1024). That is why distinct thresholds are capped at MAX_DISTINCT_THRESHOLD
// (rules-config.ts).
//
// Most keys see one value: a client's (source, host) key its one service port, its
// (source, port) key its one server. After every shared capture, 3 passes through a node's
// 2 shards, 77,324 of 77,333 scan keys held one distinct value and 4 more than two (sampled
// every 50 batches of the run: at most 2 of a set's keys at once). So a slot keeps its first
// two hashes inline, in one int32, and only a slot that sees a third distinct value takes a
// 128-byte bitmap from a pool, given back when the slot is cleared. The answers are those of
// one bitmap per slot (the same hashes, the same collisions); the memory written is 4 bytes
// a slot used instead of 128 (4 MB a set once a shard's 32,768 scan keys have all been used,
// as a long-running node's are), plus 128 bytes a key past two values at once. The pool
// grows by chunks of CHUNK bitmaps, never copied (an outgrown copy stays dead in V8's old
// generation until a full collection: README, "Where the memory goes, round 7"), up to one
// bitmap a slot: the bound is the old one.

import { mix32 } from './hash.ts';

const WORDS = 32;
/** Bitmaps a pool chunk holds: 128 KiB, one mapping of its own (glibc's mmap threshold). */
const CHUNK = 1024;
const CHUNK_SHIFT = 10;
const HASH = 0x3ff;
/** Top two bits of a slot's word: how many hashes it holds inline (0-2), or POOLED. */
const N_SHIFT = 30;
/** The slot's values are in pool bitmap (word & INDEX). */
const POOLED = 3;
const INDEX = 0x3fffffff;
const NONE = -1;

export class DistinctSet {
  /** Per slot: two 10-bit hashes (bits 0-9, 10-19) and their count (bits 30-31), or POOLED and a bitmap's index. */
  private readonly slots: Int32Array;
  private readonly chunks: Int32Array[] = [];
  /** Bitmaps handed out of the chunks so far (freed ones included). */
  private made = 0;
  /** A freed bitmap, whose first word holds the next freed one (NONE: none left). */
  private freeHead = NONE;
  /** Bitmaps in use. */
  pooled = 0;

  constructor(readonly capacity: number) {
    this.slots = new Int32Array(Math.max(1, capacity));
  }

  clear(slot: number): void {
    const w = this.slots[slot]!;
    if (w >>> N_SHIFT === POOLED) this.release(w & INDEX);
    this.slots[slot] = 0;
  }

  /** Add `value` (an int32: a port, an IPv4 address, a string hash) to the slot's set; true if it was new. */
  add(slot: number, value: number): boolean {
    const h = mix32(value | 0) >>> 22; // the top 10 bits
    const w = this.slots[slot]!;
    const n = w >>> N_SHIFT;
    if (n === POOLED) return this.addBit(w & INDEX, h);
    if (n > 0 && (w & HASH) === h) return false;
    if (n > 1 && ((w >>> 10) & HASH) === h) return false;
    if (n < 2) {
      this.slots[slot] = ((n + 1) << N_SHIFT) | (w & 0xfffff) | (h << (10 * n));
      return true;
    }
    // a third distinct value: the slot's hashes move to a bitmap
    const p = this.take();
    this.addBit(p, w & HASH);
    this.addBit(p, (w >>> 10) & HASH);
    this.addBit(p, h);
    this.slots[slot] = (POOLED << N_SHIFT) | p;
    return true;
  }

  /** Sets hash h in bitmap p; true if it was not set. */
  private addBit(p: number, h: number): boolean {
    const bits = this.chunks[p >>> CHUNK_SHIFT]!;
    const i = (p & (CHUNK - 1)) * WORDS + (h >>> 5);
    const bit = 1 << (h & 31);
    const word = bits[i]!;
    if (word & bit) return false;
    bits[i] = word | bit;
    return true;
  }

  /** An empty bitmap: a freed one, else the next of the chunks (a new chunk when they are used up). */
  private take(): number {
    this.pooled++;
    let p = this.freeHead;
    if (p !== NONE) {
      const bits = this.chunks[p >>> CHUNK_SHIFT]!;
      const at = (p & (CHUNK - 1)) * WORDS;
      this.freeHead = bits[at]!;
      bits.fill(0, at, at + WORDS);
      return p;
    }
    p = this.made++;
    if (p >>> CHUNK_SHIFT === this.chunks.length) this.chunks.push(new Int32Array(Math.min(CHUNK, this.capacity) * WORDS));
    return p;
  }

  private release(p: number): void {
    this.pooled--;
    this.chunks[p >>> CHUNK_SHIFT]![(p & (CHUNK - 1)) * WORDS] = this.freeHead;
    this.freeHead = p;
  }
}
