// The rows the trainer learns from: during the grace period every row the detectors see,
// afterwards a sample of the rows the model scored benign. A ring of the most recent
// `capacity` rows in one Float32Array (the model trains in float32: the same tensors as
// from float64 rows), grown by doubling as rows arrive, so memory is what is held, at most
// capacity × features × 4 bytes (50,000 rows of 100 features: 20 MB). Beside each row, its
// flow (flow-threshold.ts: four float64, 32 bytes), for the per-flow threshold.

import { FLOW_CONTEXT_WIDTH } from './model/flow-threshold.ts';

/** Rows for the trainer (row-major), each with its flow (FLOW_CONTEXT_WIDTH numbers; absent: not known). */
export interface TrainingSample {
  rows: Float64Array;
  count: number;
  flowContext?: Float64Array;
}

export class TrainingBuffer {
  private data: Float32Array;
  private context: Float64Array;
  private next = 0;
  /** Rows held now (at most capacity). */
  count = 0;
  /** Rows ever added. */
  total = 0;

  constructor(
    readonly capacity: number,
    readonly featureCount: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`training buffer capacity must be a positive integer, got ${capacity}`);
    this.data = new Float32Array(Math.min(capacity, 1024) * featureCount);
    this.context = new Float64Array(Math.min(capacity, 1024) * FLOW_CONTEXT_WIDTH);
  }

  /**
   * Adds `rows` rows of `rowsData` (row-major, featureCount wide) and their flows (absent:
   * not known, weight 0); the oldest go first.
   */
  add(rowsData: Float64Array, rows: number, flowContext?: Float64Array): void {
    const fc = this.featureCount;
    const W = FLOW_CONTEXT_WIDTH;
    if (rowsData.length < rows * fc) throw new RangeError(`training rows: ${rows} rows need ${rows * fc} values, got ${rowsData.length}`);
    if (flowContext && flowContext.length < rows * W) throw new RangeError(`training rows: ${rows} rows need ${rows * W} flow values, got ${flowContext.length}`);
    const want = Math.min(this.capacity, this.count + rows);
    if (want * fc > this.data.length) {
      const held = Math.min(this.capacity, Math.max(want, (2 * this.data.length) / fc));
      const grown = new Float32Array(held * fc);
      grown.set(this.data);
      this.data = grown;
      const context = new Float64Array(held * W);
      context.set(this.context);
      this.context = context;
    }
    for (let r = 0; r < rows; r++) {
      this.data.set(rowsData.subarray(r * fc, (r + 1) * fc), this.next * fc);
      if (flowContext) this.context.set(flowContext.subarray(r * W, (r + 1) * W), this.next * W);
      else this.context.fill(0, this.next * W, (this.next + 1) * W);
      this.next = (this.next + 1) % this.capacity;
    }
    this.count = Math.min(this.capacity, this.count + rows);
    this.total += rows;
  }

  /** The rows held and their flows, oldest first, as new arrays. */
  snapshot(): { rows: Float64Array; count: number; flowContext: Float64Array } {
    const fc = this.featureCount;
    const W = FLOW_CONTEXT_WIDTH;
    const out = new Float64Array(this.count * fc);
    const flowContext = new Float64Array(this.count * W);
    const start = this.count < this.capacity ? 0 : this.next;
    for (let r = 0; r < this.count; r++) {
      const slot = (start + r) % this.capacity;
      out.set(this.data.subarray(slot * fc, (slot + 1) * fc), r * fc);
      flowContext.set(this.context.subarray(slot * W, (slot + 1) * W), r * W);
    }
    return { rows: out, count: this.count, flowContext };
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}

/** A detector's report of a candidate model run in shadow beside the current one. */
export interface ShadowReport {
  candidate: number;
  current: number;
  rows: number;
  /** Rows each model scored over its own threshold. */
  currentAlerts: number;
  candidateAlerts: number;
  currentScoreSum: number;
  candidateScoreSum: number;
}

export type ShadowVerdict = { verdict: 'pending'; rows: number } | { verdict: 'promote' | 'reject'; reason: string; current: ShadowSide; candidate: ShadowSide };

export interface ShadowSide {
  version: number;
  rows: number;
  alertRate: number;
  meanScore: number;
}

/**
 * Sums the shadow reports of every detector for one candidate and decides. A candidate is
 * trained on recent traffic the current model called benign, so on the same traffic it
 * should raise no more alerts than the current model: it is promoted when its alert rate is
 * at most `maxAlertRatio` times the current one's (plus one alert per 10,000 rows, so two
 * near-silent models are not judged on noise), else rejected.
 */
export class ShadowJudge {
  private sums: ShadowReport;

  constructor(
    readonly candidate: number,
    readonly current: number,
    readonly minRows: number,
    readonly maxAlertRatio: number,
  ) {
    this.sums = { candidate, current, rows: 0, currentAlerts: 0, candidateAlerts: 0, currentScoreSum: 0, candidateScoreSum: 0 };
  }

  /** Rows scored in shadow so far. */
  get rows(): number {
    return this.sums.rows;
  }

  record(r: ShadowReport): void {
    if (r.candidate !== this.candidate || r.current !== this.current) return; // a report about another pair
    this.sums.rows += r.rows;
    this.sums.currentAlerts += r.currentAlerts;
    this.sums.candidateAlerts += r.candidateAlerts;
    this.sums.currentScoreSum += r.currentScoreSum;
    this.sums.candidateScoreSum += r.candidateScoreSum;
  }

  verdict(): ShadowVerdict {
    const s = this.sums;
    if (s.rows < this.minRows) return { verdict: 'pending', rows: s.rows };
    const current: ShadowSide = { version: s.current, rows: s.rows, alertRate: s.currentAlerts / s.rows, meanScore: s.currentScoreSum / s.rows };
    const candidate: ShadowSide = { version: s.candidate, rows: s.rows, alertRate: s.candidateAlerts / s.rows, meanScore: s.candidateScoreSum / s.rows };
    const limit = current.alertRate * this.maxAlertRatio + 1e-4;
    const ok = candidate.alertRate <= limit;
    const reason = `${ok ? 'promoted' : 'rejected'}: over ${s.rows} rows in shadow, candidate v${s.candidate} flagged ${(candidate.alertRate * 100).toFixed(3)}% and v${s.current} ${(current.alertRate * 100).toFixed(3)}% (limit ${(limit * 100).toFixed(3)}%)`;
    return { verdict: ok ? 'promote' : 'reject', reason, current, candidate };
  }
}
