// "Has this key seen this value before?" for CrowdSec's distinct buckets, per table slot,
// in a fixed 1024-bit bitmap (128 bytes) instead of a Set per key: nothing allocated per
// packet, memory known up front. A hash collision makes a new value look already seen, so
// counts can only come out low, never high: about 5% low at 100 distinct values, 12% at
// 256 (the expected number of set bits is m·(1 − e^(−n/m)), m = 1024). That is why
// distinct thresholds are capped at MAX_DISTINCT_THRESHOLD (rules-config.ts).

import { mix32 } from './hash.ts';

const WORDS = 32;

export class DistinctSet {
  private bits: Int32Array;

  constructor(
    readonly capacity: number,
    initialSize = Math.min(capacity, 1024),
  ) {
    this.bits = new Int32Array(Math.max(1, Math.min(initialSize, capacity)) * WORDS);
  }

  clear(slot: number): void {
    if ((slot + 1) * WORDS > this.bits.length) this.grow(slot + 1);
    this.bits.fill(0, slot * WORDS, (slot + 1) * WORDS);
  }

  /** Add `value` (an int32: a port, an IPv4 address, a string hash) to the slot's set; true if it was new. */
  add(slot: number, value: number): boolean {
    const h = mix32(value | 0) >>> 22; // the top 10 bits
    const w = slot * WORDS + (h >>> 5);
    const bit = 1 << (h & 31);
    const word = this.bits[w];
    if (word & bit) return false;
    this.bits[w] = word | bit;
    return true;
  }

  private grow(min: number): void {
    const n = Math.min(this.capacity, Math.max(min, this.bits.length / WORDS * 2));
    const bits = new Int32Array(n * WORDS);
    bits.set(this.bits);
    this.bits = bits;
  }
}

