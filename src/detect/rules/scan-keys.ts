// The keys of one scan rule (source-rules.ts): the vertical rule's (source, host), counting
// distinct ports, and the horizontal rule's (source, port), counting distinct hosts. Per key,
// the episode's distinct values and how many, and two leaky buckets fed by every new value:
// the fast one (the rule's threshold and leak) and, when configured, the slow one of TCP
// attempts never completed (Zeek's failed connections over minutes: nmap -T1, a sweep at one
// host a second), from which a completed handshake takes its unit back. An overflow of
// either raises the rule's alert; one the responder will spare is held (held-alerts.ts) and
// raised again once by the scan's own established evidence. Both buckets are one key's, so
// they trip together and the held alert's episode is looked for in either. Typed arrays over
// the table's slots: nothing is allocated per packet.

import type { Alert } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { DistinctSet } from './distinct-set.ts';
import { HeldAlerts } from './held-alerts.ts';
import { BucketTable } from './leaky-bucket.ts';

/** `add`: the key is cooling after its alert (the value is not counted: suppressed). */
export const COOLING = -1;
/** `add`: the value was new in the episode and counted. */
export const COUNTED = 1;
/** `add`: the fast bucket reached its threshold (and `heldEpisode`: the episode lasts in it). */
export const FAST_OVER = 2;
/** `add`: the slow bucket reached its threshold (and `heldEpisode`: the episode lasts in it). */
export const SLOW_OVER = 4;
/** `add`: the attempt filled the slow bucket and spent a unit of the key's credit, which took its unit back out (nothing left to take back). */
export const CREDITED = 8;

export class ScanKeys {
  readonly keys: FlowTable;
  readonly fast: BucketTable;
  /** Unanswered TCP attempts (null when the rule has no slow bucket). */
  readonly slow: BucketTable | null;
  readonly held: HeldAlerts;
  private readonly distinct: DistinctSet;
  /** Distinct values of the key's episode. */
  readonly count: Int32Array;
  /** Exchanges with new hosts not yet set against failed attempts (`earn`), up to `creditCap`; null when off. */
  private readonly credit: Uint8Array | null;
  private readonly creditCap: number;

  constructor(
    capacity: number,
    fast: { threshold: number; leakPerS: number },
    slow: { threshold: number; leakPerS: number; credit?: number } | null,
    cooldownS: number,
  ) {
    this.creditCap = Math.min(255, slow?.credit ?? 0);
    this.credit = this.creditCap > 0 ? new Uint8Array(capacity) : null;
    this.keys = new FlowTable(capacity);
    this.fast = new BucketTable(capacity, fast.threshold, fast.leakPerS, cooldownS);
    this.slow = slow ? new BucketTable(capacity, slow.threshold, slow.leakPerS, cooldownS) : null;
    this.held = new HeldAlerts(capacity, cooldownS);
    this.distinct = new DistinctSet(capacity);
    this.count = new Int32Array(capacity);
  }

  /** The key's slot, -1 when absent. */
  find(a: AddressKey, b: AddressKey, x: number): number {
    return this.keys.find(a, b, x, 0);
  }

  /** A new key's slot (the least recently used key's, when full), its state empty. */
  insert(a: AddressKey, b: AddressKey, x: number): number {
    const s = this.keys.insert(a, b, x, 0);
    this.fast.reset(s);
    this.slow?.reset(s);
    this.distinct.clear(s);
    this.count[s] = 0;
    if (this.credit !== null) this.credit[s] = 0;
    this.held.release(s);
    return s;
  }

  /** The key's slot, made if absent. */
  slot(a: AddressKey, b: AddressKey, x: number): number {
    const s = this.keys.find(a, b, x, 0);
    return s >= 0 ? s : this.insert(a, b, x);
  }

  /**
   * Counts `value` (an int32) for the key at `ts`: COOLING, 0 when the episode has seen it,
   * else COUNTED with FAST_OVER and SLOW_OVER for the buckets that reached their threshold.
   * `tcp`: an attempt the slow bucket counts (an answer to it is a completed handshake; a
   * UDP or ICMP peer's answer is not tracked).
   *
   * Every new value is poured into both buckets, whether or not the other overflows. Each
   * bucket is its own measure of the episode and is read after the overflow: the fast one's
   * level scores its own overflow and is capped while the alert is held, its episode is where
   * a held alert is looked for when raised again, and a completed handshake takes a unit back
   * out of it (`takeBack`). A fast bucket skipped when the slow one overflowed (as the
   * horizontal rule did) missed a unit for every host of a held sweep, so a sweep that sped up
   * while held never reached its threshold, and an answered host took back a unit it never
   * added. (When the alert is not held both buckets trip, and the skipped unit never mattered.)
   */
  add(s: number, ts: number, value: number, tcp: boolean): number {
    const fast = this.fast, slow = this.slow;
    if (fast.cooling(s, ts) || (tcp && slow !== null && slow.cooling(s, ts))) return COOLING;
    // the values seen stay while either bucket holds something: the slow one spans minutes
    const fastLevel = fast.leakTo(s, ts);
    const slowLevel = slow !== null ? slow.leakTo(s, ts) : 0;
    if (fastLevel === 0 && slowLevel === 0) {
      this.distinct.clear(s);
      this.count[s] = 0;
    }
    if (!this.distinct.add(s, value)) return 0;
    this.count[s]++;
    let r = COUNTED;
    if (fast.pour(s, ts, 1)) r |= FAST_OVER;
    if (tcp && slow !== null && slow.pour(s, ts, 1)) {
      // the slow bucket full: a unit of banked credit takes this attempt's unit back out
      const credit = this.credit;
      if (credit !== null && credit[s]! > 0) {
        credit[s]!--;
        slow.pour(s, ts, -1);
        r |= CREDITED;
      } else r |= SLOW_OVER;
    }
    return r;
  }

  /**
   * The key holds its alert and overflowed again: counted, not raised; the levels wait at
   * the thresholds, so the episode ends as a tripped one would have restarted.
   */
  capHeld(s: number, tcp: boolean): void {
    this.fast.cap(s, this.fast.threshold);
    if (tcp) this.slow?.cap(s, this.slow.threshold);
  }

  /** After the rule raised `alert` for the key: held (held-alerts.ts), or both buckets tripped. */
  settle(alert: Alert, s: number, ts: number, score: number): void {
    if (this.held.settle(alert, this.fast, s, ts, score)) this.slow?.trip(s, ts);
  }

  /** The slot of the key when it holds an alert at `ts`, else -1. */
  heldSlot(a: AddressKey, b: AddressKey, x: number, ts: number): number {
    if (ts >= this.held.until) return -1;
    const s = this.keys.find(a, b, x, 0);
    return s >= 0 && this.held.holding(s, ts) ? s : -1;
  }

  /**
   * The buckets (FAST_OVER, SLOW_OVER) in which the held alert's episode still lasts, 0 in
   * neither: a slow scan's (one port every 15 s) has leaked out of the fast one long ago.
   */
  heldEpisode(s: number, ts: number): number {
    const held = this.held;
    let r = 0;
    if (held.episodeLasts(this.fast, s, ts)) r |= FAST_OVER;
    if (this.slow !== null && held.episodeLasts(this.slow, s, ts)) r |= SLOW_OVER;
    return r;
  }

  /** When the episode began, over the buckets `heldEpisode` named. */
  episodeStart(s: number, buckets: number): number {
    const fast = buckets & FAST_OVER ? this.fast.firstTs(s) : Infinity;
    const slow = buckets & SLOW_OVER && this.slow !== null ? this.slow.firstTs(s) : Infinity;
    return Math.min(fast, slow);
  }

  /** The held alert was raised again: both buckets trip and the key holds nothing. */
  raised(s: number, ts: number): void {
    this.fast.trip(s, ts);
    this.slow?.trip(s, ts);
    this.held.release(s);
  }

  /**
   * The source exchanged data with a host the key counted as new (a first contact that went
   * through): the threshold random walk's step back (Jung et al., IEEE S&P 2004, as Bro's
   * trw.bro ran it), one failed attempt's unit out of the slow bucket, or when it holds none
   * (its own unit already taken back at the handshake), one unit of credit banked up to the
   * cap, which the attempt that would fill the bucket spends instead. A key not found takes nothing.
   */
  earn(s: number, ts: number): void {
    const credit = this.credit, slow = this.slow;
    if (s < 0 || credit === null || slow === null || slow.cooling(s, ts)) return;
    if (slow.leakTo(s, ts) > 0) slow.pour(s, ts, -1);
    else if (credit[s]! < this.creditCap) credit[s]!++;
  }

  /**
   * The source completed a handshake the key counted as a TCP attempt: its unit out of the
   * slow bucket (failed attempts only, as Zeek counts) when `slow`, and out of the fast one
   * when `fast` (a unit the slow one gave back already, SLOW_BACK in source-rules.ts, is not
   * taken twice). A key not found (s < 0) takes nothing.
   */
  takeBack(s: number, ts: number, fast: boolean, slow = true): void {
    if (s < 0) return;
    if (fast) takeOne(this.fast, s, ts);
    if (slow && this.slow !== null) takeOne(this.slow, s, ts);
  }
}

function takeOne(b: BucketTable, s: number, ts: number): void {
  if (!b.cooling(s, ts) && b.leakTo(s, ts) > 0) b.pour(s, ts, -1);
}
