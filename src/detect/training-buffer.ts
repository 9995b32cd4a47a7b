// The rows the trainer learns from: during the grace period every row the detectors see,
// afterwards a sample of the rows the model scored benign. A ring of the most recent
// `capacity` rows in one Float32Array (the model trains in float32: the same tensors as
// from float64 rows), grown by doubling as rows arrive, so memory is what is held, at most
// capacity × features × 4 bytes (50,000 rows of 100 features: 20 MB).

export class TrainingBuffer {
  private data: Float32Array;
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
  }

  /** Adds `rows` rows of `rowsData` (row-major, featureCount wide); the oldest go first. */
  add(rowsData: Float64Array, rows: number): void {
    const fc = this.featureCount;
    if (rowsData.length < rows * fc) throw new RangeError(`training rows: ${rows} rows need ${rows * fc} values, got ${rowsData.length}`);
    const want = Math.min(this.capacity, this.count + rows);
    if (want * fc > this.data.length) {
      const grown = new Float32Array(Math.min(this.capacity, Math.max(want, (2 * this.data.length) / fc)) * fc);
      grown.set(this.data);
      this.data = grown;
    }
    for (let r = 0; r < rows; r++) {
      this.data.set(rowsData.subarray(r * fc, (r + 1) * fc), this.next * fc);
      this.next = (this.next + 1) % this.capacity;
    }
    this.count = Math.min(this.capacity, this.count + rows);
    this.total += rows;
  }

  /** The rows held, oldest first, as one new array. */
  snapshot(): { rows: Float64Array; count: number } {
    const fc = this.featureCount;
    const out = new Float64Array(this.count * fc);
    const start = this.count < this.capacity ? 0 : this.next;
    for (let r = 0; r < this.count; r++) {
      const from = ((start + r) % this.capacity) * fc;
      out.set(this.data.subarray(from, from + fc), r * fc);
    }
    return { rows: out, count: this.count };
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
