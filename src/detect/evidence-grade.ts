// Grades an alert's evidence in the detector shard, which sees every packet of its sources:
// 'established' when the source sent segments of verified connections (session-verifier.ts)
// to the alert's target (any target for a horizontal scan) within the alert's window, so at
// least part of what was counted cannot have been forged (a connect scan, a brute force);
// 'forgeable' when it rests only on packets anyone could send in its name (single probes,
// half-open SYNs, SYN floods). It also says whether the source has had real sessions here at
// all. Forged packets whose hop count does not match the real source never reach the rules
// (HOP_MISMATCH), so a forger must also know the source's distance to be counted.

import type { Alert } from './alert.ts';
import { FlowTable, type AddressKey } from './flow-table.ts';
import { parseIpv4 } from '../net/address.ts';
import type { BoundedTable } from './table-report.ts';

/** The table key of an address as alerts write it (dotted quad, or canonical IPv6 text). */
function keyOf(text: string): AddressKey | null {
  if (text === '*' || text === '') return null;
  const v4 = parseIpv4(text);
  return v4 >= 0 ? v4 | 0 : text;
}

/** Stands for "any target" in the table (no address is 0.0.0.0 on the wire as a destination of ours). */
const ANY = 0;

/**
 * The alerts the responder spares (policy.ts): evidence anyone could forge against a source
 * that has had real sessions here. A rule that raised one must not go quiet on it (source-rules.ts).
 */
export function sparedAsForgeable(a: Pick<Alert, 'grade' | 'sourceSeen'>): boolean {
  return a.grade === 'forgeable' && a.sourceSeen === true;
}

export class EvidenceGrader {
  /** (source, target or ANY) → capture time of the last segment of a verified connection. */
  private readonly pairs: FlowTable;
  private readonly lastEstablished: Float64Array;
  /**
   * The last observeKeys' source, destination and four slots, while nothing else has read or
   * written the table since (`repeat`): a connection's segments come one after another, and
   * the same four lookups again would find the same slots and leave the same recency (the
   * same four keys touched in the same order), so a repeat writes the times into the slots.
   */
  private lastSrc: AddressKey = 0;
  private lastDst: AddressKey = 0;
  private readonly lastSlots = new Int32Array(4);
  private repeat = false;

  constructor(capacity = 65_536) {
    this.pairs = new FlowTable(capacity);
    this.lastEstablished = new Float64Array(capacity);
  }

  /** The bounded table, for the report (table-report.ts). */
  get table(): BoundedTable {
    return this.pairs;
  }

  /**
   * Notes a segment of a verified connection (src → dst at ts). The rules call it for each
   * ESTABLISHED row before they read it (source-rules.ts), so an alert they raise is graded on
   * the packets up to the one that made it, never on later ones of the same batch (a replay's
   * batch holds seconds of traffic: a client's real session after a burst forged in its name
   * must not make that burst's evidence established).
   */
  observeKeys(src: AddressKey, dst: AddressKey, ts: number): void {
    const slots = this.lastSlots;
    const at = this.lastEstablished;
    if (this.repeat && src === this.lastSrc && dst === this.lastDst) {
      at[slots[0]!] = at[slots[1]!] = at[slots[2]!] = at[slots[3]!] = ts;
      return;
    }
    // Both ends of a verified connection are real: a login alert names the client, raised
    // in the server's shard from the server's segments to it.
    slots[0] = this.note(src, dst, ts);
    slots[1] = this.note(src, ANY, ts);
    slots[2] = this.note(dst, src, ts);
    slots[3] = this.note(dst, ANY, ts);
    this.lastSrc = src;
    this.lastDst = dst;
    // a table of fewer than four entries may have evicted one of the four for the next
    this.repeat = this.pairs.capacity >= 4;
  }

  /**
   * Sets `grade` and `sourceSeen` of an alert; `sourceSeen`: the source's packet that made it
   * (or, for an alert made from other packets, a row of its batch from the source) was SOURCE_SEEN.
   */
  grade(a: Alert, sourceSeen: boolean): void {
    a.sourceSeen = sourceSeen;
    const src = keyOf(a.source);
    a.grade = a.blockable && src !== null && this.verifiedSince(src, keyOf(a.target) ?? ANY, a.firstTs) ? 'established' : 'forgeable';
  }

  /** Whether `source` sent (or received) segments of verified connections to `target` (0: any) at or after `ts`. */
  verifiedSince(source: AddressKey, target: AddressKey, ts: number): boolean {
    this.repeat = false; // the lookup below moves an entry's recency
    const s = this.pairs.find(source, target, 0, 0);
    return s >= 0 && this.lastEstablished[s] >= ts;
  }

  private note(src: AddressKey, dst: AddressKey, ts: number): number {
    let s = this.pairs.find(src, dst, 0, 0);
    if (s < 0) s = this.pairs.insert(src, dst, 0, 0);
    this.lastEstablished[s] = ts;
    return s;
  }
}
