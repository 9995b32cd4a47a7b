// "Has this key seen this value before?" for CrowdSec's distinct buckets, per table slot,
// in a fixed 1024-bit bitmap (128 bytes) instead of a Set per key: nothing allocated per
// packet, memory known up front. A hash collision makes a new value look already seen, so
// counts can only come out low, never high: about 5% low at 100 distinct values, 12% at
// 256 (the expected number of set bits is m·(1 − e^(−n/m)), m = 1024). That is why
// distinct thresholds are capped at MAX_DISTINCT_THRESHOLD (rules-config.ts).
//
// The bitmap is allocated for every slot at once (`capacity` × 128 bytes: 4 MB for a
// shard's 32,768 scan keys with 2 shards): zeroed memory costs only the pages written, and
// slots are used in the order their table hands them out, so the pages written are those of
// the slots used, as when it grew. Grown by doubling instead, each outgrown copy stayed allocated, dead in V8's
// old generation, until a full collection: about 8 MB allocated for each set over the node
// benchmark's run, to end at 4 MB (README, "Where the memory goes, round 7").

import { mix32 } from './hash.ts';

const WORDS = 32;

export class DistinctSet {
  private readonly bits: Int32Array;

  constructor(readonly capacity: number) {
    this.bits = new Int32Array(Math.max(1, capacity) * WORDS);
  }

  clear(slot: number): void {
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
}

