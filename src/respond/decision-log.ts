// The last N things the responder decided, and the alerts it chose not to act on with the
// reason why ("why was this not blocked?" on the dashboard). A fixed ring: O(1) append, the
// oldest entry overwritten; counts since start by action and detector for /metrics.

import type { Alert } from '../detect/alert.ts';
import type { Decision } from './decision.ts';
import { Ring } from '../util/ring.ts';
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
  private readonly ring: Ring<DecisionLogEntry>;
  private readonly byAction: Record<LoggedAction, number> = { ban: 0, unban: 0, skipped: 0 };
  private readonly byDetector = new Map<string, Record<LoggedAction, number>>();
  private readonly bySkip = new Map<SkipReason, number>();

  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`decision log capacity must be a whole number >= 1, got ${capacity}`);
    this.ring = new Ring(capacity);
  }

  /** Entries held now (at most capacity). */
  get size(): number {
    return this.ring.size;
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
    return this.ring.recent(limit);
  }

  counts(): DecisionCounts {
    const byDetector: DecisionCounts['byDetector'] = {};
    for (const [d, c] of this.byDetector) byDetector[d] = { ...c };
    return { byAction: { ...this.byAction }, byDetector, bySkipReason: Object.fromEntries(this.bySkip) };
  }

  private push(entry: DecisionLogEntry, action: LoggedAction, detector: string): void {
    this.ring.push(entry);
    this.byAction[action]++;
    let d = this.byDetector.get(detector);
    if (!d) this.byDetector.set(detector, (d = { ban: 0, unban: 0, skipped: 0 }));
    d[action]++;
  }
}
