// Alerts a rule holds instead of going quiet on them (source-rules.ts). A scan rule's alert
// that rests on forgeable evidence (half-open SYNs, raw probes) against a source that has had
// real sessions here is spared by the responder (policy.ts: a forger must not get a real
// client banned). If the rule then tripped its bucket as usual, its cooldown would hide the
// same source's real scan right after (a connect scan's open ports, a connect sweep, nmap
// -sV's connect probes). So the key is *held*: its bucket is not emptied, it keeps counting,
// no other spared alert is raised for it during the cooldown, and the rule raises it once
// more when the scan shows established evidence of its own: a verified connection the source
// resets without sending a byte, as a connect scan treats every open port it finds (a real
// client's connection carries data, so SYNs forged in its name do not get it banned when it
// next connects). Per key: the capture time of the held alert (0: none; zero pages cost
// nothing until written) and its score, for the alert raised again.

import { sparedAsForgeable } from '../evidence-grade.ts';
import type { Alert } from '../alert.ts';
import type { BucketTable } from './leaky-bucket.ts';

export class HeldAlerts {
  private readonly at: Float64Array;
  private readonly scores: Float32Array;
  /** Capture time until which some key may be held (keys are looked up only before it). */
  until = -Infinity;

  constructor(capacity: number, private readonly cooldownS: number) {
    this.at = new Float64Array(capacity);
    this.scores = new Float32Array(capacity);
  }

  /** Whether the key holds a spared alert (within the cooldown after it). */
  holding(slot: number, ts: number): boolean {
    const h = this.at[slot];
    return h !== 0 && ts >= h && ts - h < this.cooldownS;
  }

  /** Capture time of the held alert. */
  heldAt(slot: number): number {
    return this.at[slot];
  }

  /** Score of the held alert. */
  score(slot: number): number {
    return this.scores[slot];
  }

  /** Forget the key's held alert (raised again, or a new key took the slot). */
  release(slot: number): void {
    this.at[slot] = 0;
  }

  /**
   * After the rule raised `alert` for the key: hold it when the responder will spare it,
   * else trip the bucket (empty it, start the cooldown). True when tripped.
   */
  settle(alert: Alert, bucket: BucketTable, slot: number, ts: number, score: number): boolean {
    if (sparedAsForgeable(alert)) {
      this.at[slot] = ts;
      this.scores[slot] = score;
      if (ts + this.cooldownS > this.until) this.until = ts + this.cooldownS;
      return false;
    }
    bucket.trip(slot, ts);
    this.at[slot] = 0;
    return true;
  }

  /**
   * Whether the held key's episode in `bucket` is still the held alert's (not cooling, not
   * leaked away, not begun since): a connection is evidence of that scan only while it lasts.
   */
  episodeLasts(bucket: BucketTable, slot: number, ts: number): boolean {
    return !bucket.cooling(slot, ts) && bucket.leakTo(slot, ts) > 0 && bucket.firstTs(slot) <= this.at[slot];
  }
}
