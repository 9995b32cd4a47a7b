// The last N things the responder decided, and the alerts it chose not to act on with the
// reason why ("why was this not blocked?" on the dashboard). A fixed ring: O(1) append, the
// oldest entry overwritten; counts since start by action and detector for /metrics.

import type { Alert } from '../detect/alert.ts';
import type { Decision } from './decision.ts';
import { detectorOf, type PolicyOutcome, type SkipReason } from './policy.ts';

export type LoggedDecision = Decision & { kind: 'decision' };

export interface LoggedSkip {
  kind: 'skipped';
  skipped: SkipReason;
  detail: string;
  /** The alert's source as reported. */
  address: string;
  detector: string;
  score: number;
  /** Wall-clock ms of the outcome. */
  at: number;
  captureTs: number;
}

export type DecisionLogEntry = LoggedDecision | LoggedSkip;

export type LoggedAction = 'ban' | 'unban' | 'skipped';

export interface DecisionCounts {
  byAction: Record<LoggedAction, number>;
  /** Per detector (alert type, model or 'operator'), per action. */
  byDetector: Record<string, Record<LoggedAction, number>>;
  bySkipReason: Partial<Record<SkipReason, number>>;
}

export class DecisionLog {
  private readonly ring: Array<DecisionLogEntry | undefined>;
  /** Index the next entry goes to. */
  private next = 0;
  private filled = 0;
  private readonly byAction: Record<LoggedAction, number> = { ban: 0, unban: 0, skipped: 0 };
  private readonly byDetector = new Map<string, Record<LoggedAction, number>>();
  private readonly bySkip = new Map<SkipReason, number>();

  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`decision log capacity must be a whole number >= 1, got ${capacity}`);
    this.ring = new Array(capacity);
  }

  /** Entries held now (at most capacity). */
  get size(): number {
    return this.filled;
  }

  add(decision: Decision): void {
    this.push({ kind: 'decision', ...decision }, decision.action, decision.detector);
  }

  addSkipped(alert: Alert, skipped: SkipReason, detail: string, at: number): void {
    const detector = detectorOf(alert);
    this.push({ kind: 'skipped', skipped, detail, address: alert.source, detector, score: alert.score, at, captureTs: alert.ts }, 'skipped', detector);
    this.bySkip.set(skipped, (this.bySkip.get(skipped) ?? 0) + 1);
  }

  /** What the policy made of an alert; `at` (wall-clock ms) dates a skip, a decision has its own. */
  record(outcome: PolicyOutcome, alert: Alert, at: number): void {
    if ('decision' in outcome) this.add(outcome.decision);
    else this.addSkipped(alert, outcome.skipped, outcome.detail, at);
  }

  /** Up to `limit` entries, newest first. */
  recent(limit = this.capacity): DecisionLogEntry[] {
    const n = Math.min(Math.max(0, Math.floor(limit)), this.filled);
    const out = new Array<DecisionLogEntry>(n);
    for (let k = 0; k < n; k++) out[k] = this.ring[(this.next - 1 - k + this.capacity) % this.capacity]!;
    return out;
  }

  counts(): DecisionCounts {
    const byDetector: DecisionCounts['byDetector'] = {};
    for (const [d, c] of this.byDetector) byDetector[d] = { ...c };
    return { byAction: { ...this.byAction }, byDetector, bySkipReason: Object.fromEntries(this.bySkip) };
  }

  private push(entry: DecisionLogEntry, action: LoggedAction, detector: string): void {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    this.byAction[action]++;
    let d = this.byDetector.get(detector);
    if (!d) this.byDetector.set(detector, (d = { ban: 0, unban: 0, skipped: 0 }));
    d[action]++;
  }
}
