// Bucket math for the rule detectors, over typed arrays indexed by a table slot (no objects
// per key, nothing allocated per pour). Pure: time is the capture time the caller passes.
//
// BucketTable — CrowdSec's leaky bucket. A bucket fills by the units poured into it and
//   leaks one whole unit every 1/leakPerS seconds, the leak clock starting at the first
//   pour into an empty bucket (CrowdSec's leak ticker), so N pours within one leak
//   interval always reach N. It overflows when its level reaches the threshold. An
//   overflowed key then stays quiet for the cooldown: `trip` empties the bucket and marks
//   the time, and `cooling` says whether that key is still inside it. Pours may be
//   negative (a completed handshake takes back a SYN). The level stays at or above a floor
//   the caller gives: 0 by default; below 0 it is credit (requests seen before their
//   answers, from another shard's tally), which leaks back towards 0 like a level does.
// WindowCounter — fail2ban's maxretry within findtime, exact, over a ring of the last
//   maxretry event times per slot.
// riskScore — how far past the threshold an overflow is, as a score in [0, 1].

/**
 * Capture time may step backwards: out-of-order packets by fractions of a second (D15), or
 * a whole other file replayed after this one. Within this many seconds a bucket just does
 * not leak; beyond it the key's state belongs to another timeline and starts afresh.
 */
export const CLOCK_STEP_S = 60;

export class BucketTable {
  // Per slot, every slot allocated at once: a slot's state is all zeros until it is used
  // (an untripped bucket's `until` is 0), so zeroed memory costs only the pages of the
  // slots used, and nothing is copied or left dead in V8's old generation as when the arrays
  // grew by doubling (the copies' fill wrote every page of the larger array).
  private readonly level: Float64Array;
  private readonly nextLeak: Float64Array;
  private readonly first: Float64Array;
  private readonly last: Float64Array;
  /** When the cooldown of the last trip ends (its capture time + cooldownS); 0: never tripped. */
  private readonly until: Float64Array;
  /** Units poured (positive pours only) since the slot's current episode began: an alert's count. */
  private readonly units: Float64Array;

  constructor(
    readonly capacity: number,
    readonly threshold: number,
    readonly leakPerS: number,
    readonly cooldownS: number,
  ) {
    const n = Math.max(1, capacity);
    this.level = new Float64Array(n);
    this.nextLeak = new Float64Array(n);
    this.first = new Float64Array(n);
    this.last = new Float64Array(n);
    this.until = new Float64Array(n);
    this.units = new Float64Array(n);
  }

  /** Forget the slot (a new key took it). */
  reset(slot: number): void {
    this.level[slot] = 0;
    this.nextLeak[slot] = 0;
    this.first[slot] = 0;
    this.last[slot] = 0;
    this.until[slot] = 0;
    this.units[slot] = 0;
  }

  /** True while the key is in its cooldown after an alert (pours are then ignored). */
  cooling(slot: number, ts: number): boolean {
    const u = this.until[slot];
    if (u === 0 || ts >= u) return false;
    if (ts < u - this.cooldownS - CLOCK_STEP_S) {
      this.reset(slot);
      return false;
    }
    return true;
  }

  /**
   * Leak the bucket up to `ts` and return its level. 0 (or less) means empty: the next
   * pour starts a new episode (callers clear their per-episode state, such as distinct
   * values, then).
   */
  leakTo(slot: number, ts: number): number {
    let level = this.level[slot];
    const last = this.last[slot];
    if (ts < last - CLOCK_STEP_S) {
      this.reset(slot);
      return 0;
    }
    if (ts > last) this.last[slot] = ts;
    if (level !== 0 && ts >= this.nextLeak[slot]) {
      const n = Math.floor((ts - this.nextLeak[slot]) * this.leakPerS) + 1;
      if (level > 0) level = level > n ? level - n : 0;
      else level = -level > n ? level + n : 0;
      this.level[slot] = level;
      this.nextLeak[slot] += n / this.leakPerS;
    }
    return level;
  }

  /**
   * Pour `units` at `ts` (call leakTo first); true when the bucket reaches its threshold.
   * `startTs` is when the poured events began, if earlier (a tally spans a batch);
   * `floor` (≤ 0) is how much credit the level may hold.
   */
  pour(slot: number, ts: number, units: number, startTs = ts, floor = 0): boolean {
    const before = this.level[slot];
    let level = before + units;
    if (level < floor) level = floor;
    if (before <= 0 && level > 0) {
      // a new episode: the leak clock starts now
      this.first[slot] = startTs;
      this.nextLeak[slot] = ts + 1 / this.leakPerS;
      this.units[slot] = 0;
    } else if (before === 0 && level < 0) {
      this.nextLeak[slot] = ts + 1 / this.leakPerS;
    } else if (level > 0 && startTs < this.first[slot]) {
      this.first[slot] = startTs; // packets out of order: the episode began earlier
    }
    if (ts > this.last[slot]) this.last[slot] = ts;
    this.level[slot] = level;
    if (units > 0) this.units[slot] += units;
    return level >= this.threshold;
  }

  /** leakTo + pour. */
  add(slot: number, ts: number, units: number): boolean {
    this.leakTo(slot, ts);
    return this.pour(slot, ts, units);
  }

  /** Cap the level (a gated overflow waits at the threshold instead of growing without bound). */
  cap(slot: number, max: number): void {
    if (this.level[slot] > max) this.level[slot] = max;
  }

  /** The bucket overflowed and its alert was made: empty it and start the cooldown. */
  trip(slot: number, ts: number): void {
    this.level[slot] = 0;
    this.until[slot] = ts + this.cooldownS;
    this.units[slot] = 0;
  }

  /** Units poured since the slot's current episode began (the bucket last filled from empty); read it before `trip`. */
  episodeUnits(slot: number): number {
    return this.units[slot];
  }

  levelOf(slot: number): number {
    return this.level[slot];
  }

  /** Capture time of the first pour of the current episode. */
  firstTs(slot: number): number {
    return this.first[slot];
  }

  /** riskScore of the slot's level, over its drain time, for an episode from `firstTs` to `ts`. */
  overflowScore(slot: number, ts: number, firstTs: number): number {
    return riskScore(this.level[slot], this.threshold, this.threshold / this.leakPerS, ts - firstTs);
  }

}

/**
 * fail2ban's test: `maxretry` events within `findtimeS`, per slot. A slot's ring of event
 * times counts only its `filled` entries (the others are not events: the ring's oldest is
 * one once maxretry events have come), so a slot never used is all zeros and every slot is
 * allocated at once, costing only the pages of the slots used (see BucketTable).
 */
export class WindowCounter {
  private readonly times: Float64Array;
  private readonly heads: Int32Array;
  /** Events in the slot's ring, at most maxretry: the entries before its head. */
  private readonly filled: Int32Array;

  constructor(
    readonly capacity: number,
    readonly maxretry: number,
    readonly findtimeS: number,
  ) {
    const n = Math.max(1, capacity);
    this.times = new Float64Array(n * Math.max(1, maxretry));
    this.heads = new Int32Array(n);
    this.filled = new Int32Array(n);
  }

  reset(slot: number): void {
    this.heads[slot] = 0;
    this.filled[slot] = 0;
  }

  /** Record an event; true when it is the maxretry-th within findtimeS. */
  hit(slot: number, ts: number): boolean {
    const m = this.maxretry;
    if (m <= 0) return false;
    const base = slot * m;
    const h = this.heads[slot];
    this.times[base + h] = ts;
    const next = h + 1 === m ? 0 : h + 1;
    this.heads[slot] = next;
    const f = this.filled[slot];
    if (f < m) {
      this.filled[slot] = f + 1;
      if (f + 1 < m) return false;
    }
    // the ring now holds the last m events; its oldest is the next one to be overwritten
    const oldest = this.times[base + next];
    return ts - oldest <= this.findtimeS && ts >= oldest - CLOCK_STEP_S;
  }

  /** Forget the latest event (one of them turned out not to count). */
  unhit(slot: number): void {
    const m = this.maxretry;
    if (m <= 0) return;
    const h = this.heads[slot];
    this.heads[slot] = h === 0 ? m - 1 : h - 1;
    if (this.filled[slot] > 0) this.filled[slot]--;
  }

  /** Capture time of the first of the last maxretry events (after a hit that returned true). */
  windowStart(slot: number): number {
    const m = this.maxretry;
    return this.times[slot * m + this.heads[slot]];
  }
}

/**
 * Risk of an overflow in [0, 1]. `excess` says how far past the threshold it is: the
 * amount over the threshold (level / threshold, ≥ 1) times how much faster than tolerated
 * it came (the bucket tolerates `threshold` units over `toleratedS` seconds — its drain
 * time threshold/leakPerS, or fail2ban's findtime — and they came in `windowS`):
 *
 *   excess = (level / threshold) · max(1, toleratedS / windowS)
 *   score  = 1 − 0.5 / (1 + ln(excess))
 *
 * so an overflow exactly at the threshold and the tolerated rate scores 0.5, e times past
 * it 0.75, 100 times 0.9, 10⁴ times 0.95: the logarithm keeps very fast attacks apart
 * instead of pinning them all at 1.
 */
export function riskScore(level: number, threshold: number, toleratedS: number, windowS: number): number {
  const over = threshold > 0 ? Math.max(1, level / threshold) : 1;
  const speed = Math.max(1, toleratedS / Math.max(windowS, 1e-3));
  const excess = over * speed;
  const score = 1 - 0.5 / (1 + Math.log(excess));
  return Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000;
}
