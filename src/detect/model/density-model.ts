// The default anomaly model: how unlikely each of a packet's flow features is under the
// distribution of that feature in benign traffic, summed over features: a histogram-based
// outlier score (HBOS, Goldstein and Dengel 2012), fitted in one pass over the grace
// period's rows, with no training loop.
//
//   - Each feature is taken as sign(x)·ln(1 + |x|): sizes, rates and variances span many
//     orders of magnitude, and on that scale a packet ten times smaller than any benign one
//     is as far out as one ten times larger.
//   - Its benign range is cut into equal bins at several resolutions (10, 20, 40, 80 bins:
//     coarse ones generalise, fine ones separate); a value's surprise at a resolution is
//     −ln of its bin's share of the benign rows (an empty bin counts half a row).
//   - Outside the benign range the surprise is that of an empty bin plus the distance out in
//     bins, capped at one range: a value far outside costs a bounded amount, so traffic from
//     a network the grace period never saw scores high but finite, never the 1e9 a min–max
//     normaliser with nothing to divide by gives (Kitsune-py's).
//   - The score is the mean surprise per feature and resolution (nats).
//
// Measured against the KitNET autoencoders on the shared captures (eval's reference merge:
// D01+D02 benign, D09+D17 attacks, the first two thirds of the benign packets as grace): per
// packet ROC AUC 0.93 against KitNET's 0.80, and, scored per flow (flow-scores.ts), 0.999
// against 0.73 (README, "Evaluation results"). The threshold is fitted on the scores of the
// last rows, held out, as KitNET's is (threshold.ts).

import { ModelFeatureCountError, ModelFormatError, ModelTrainingError } from './errors.ts';
import { decodeFloats, encodeFloats, isFiniteNumber, isNumberArray, isObject, readScoreThreshold } from './model-format.ts';
import { fitThreshold, type ScoreThreshold } from './threshold.ts';

export const DENSITY_FORMAT = 'autoimmune-density';
export const DENSITY_FORMAT_VERSION = 1;

export interface DensityTrainingOptions {
  /** Bin counts, one histogram per feature each. */
  resolutions: number[];
  /** Quantile of the held-out benign scores where the threshold sits. */
  thresholdQuantile: number;
  /** This fraction of the rows, the last ones, is held out for the threshold. */
  holdoutFraction: number;
}

export const DENSITY_DEFAULTS: Readonly<DensityTrainingOptions> = Object.freeze({
  resolutions: [10, 20, 40, 80],
  thresholdQuantile: 0.999,
  holdoutFraction: 0.1,
});

/** Fewer rows than this cannot give histograms and a threshold. */
export const MIN_DENSITY_ROWS = 20;

export interface DensityTrainingSummary {
  rows: number;
  trainRows: number;
  holdoutRows: number;
  resolutions: number[];
  seconds: number;
}

export interface DensityJSON {
  format: typeof DENSITY_FORMAT;
  formatVersion: number;
  version: number;
  createdAt: string;
  featureCount: number;
  backend: string;
  training: DensityTrainingSummary;
  /** Per feature, the benign range in the log domain. */
  lo: number[];
  hi: number[];
  /** Per resolution, base64 float32 bin counts, feature-major (feature f's bins at f·bins). */
  counts: string[];
  threshold: ScoreThreshold;
  /** Fitted on per-flow scores (flow-threshold.ts); absent when trained without flow context. */
  flowThreshold?: ScoreThreshold;
}

function validResolutions(res: unknown): res is number[] {
  if (!Array.isArray(res) || res.length === 0 || !res.every((b) => Number.isInteger(b) && (b as number) >= 1 && (b as number) <= 4096)) return false;
  const fine = Math.max(...(res as number[]));
  return (res as number[]).every((b) => fine % b === 0);
}

/** The log domain the histograms live in (the same expression is inlined in scoreBatch). */
const signedLog = (x: number) => (x < 0 ? -Math.log1p(-x) : Math.log1p(x));

export class DensityModel {
  version: number;
  readonly createdAt: string;
  readonly featureCount: number;
  readonly backend = 'js';
  readonly training: DensityTrainingSummary;
  readonly threshold: ScoreThreshold;
  /** The threshold on per-flow scores (flow-threshold.ts), or null. */
  flowThreshold: ScoreThreshold | null;
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  private readonly counts: Float32Array[];
  /**
   * Per feature, `fine` (the largest resolution) entries: the summed surprise over every
   * resolution of the values in that fine bin (each coarser bin is a whole number of fine
   * ones), so an in-range value costs one lookup.
   */
  private readonly table: Float32Array;
  private readonly fine: number;
  /** Fine bins per log unit, per feature. */
  private readonly finePer: Float64Array;
  /** Bins per log unit of feature f at resolution r, at f·R + r (for values out of range). */
  private readonly perUnit: Float64Array;
  private readonly binsOf: Int32Array;
  /** Surprise of an empty bin: ln(2·rows). */
  private readonly empty: number;
  /** Per feature, the last value scoreBatch took the log of and that log (NaN: none yet). */
  private readonly lastX: Float64Array;
  private readonly lastV: Float64Array;
  /** Per feature, the surprise of lastX when it is in the benign range (one table entry), else NaN. */
  private readonly lastSurprise: Float64Array;
  /** Per feature, the surprise of 0 when 0 is in the benign range, else NaN. */
  private readonly zeroSurprise: Float64Array;
  /** The last row of scoreBatch's last call (NaN: none yet) and its score. */
  private readonly lastRow: Float64Array;
  private lastRowScore = 0;

  private constructor(p: { version: number; createdAt: string; featureCount: number; training: DensityTrainingSummary; lo: Float64Array; hi: Float64Array; counts: Float32Array[]; threshold: ScoreThreshold; flowThreshold?: ScoreThreshold | null }) {
    this.version = p.version;
    this.createdAt = p.createdAt;
    this.featureCount = p.featureCount;
    this.training = p.training;
    this.lo = p.lo;
    this.hi = p.hi;
    this.counts = p.counts;
    this.threshold = p.threshold;
    this.flowThreshold = p.flowThreshold ?? null;
    const rows = p.training.trainRows;
    this.empty = Math.log(2 * rows);
    const F = p.featureCount;
    const res = p.training.resolutions;
    const R = res.length;
    this.binsOf = Int32Array.from(res);
    this.lastX = new Float64Array(F).fill(Number.NaN);
    this.lastV = new Float64Array(F);
    const fine = (this.fine = Math.max(...res));
    this.table = new Float32Array(F * fine);
    this.finePer = new Float64Array(F);
    this.perUnit = new Float64Array(F * R);
    for (let f = 0; f < F; f++) {
      // a feature constant in training: one log unit (a factor e) counts as its range
      const range = p.hi[f]! - p.lo[f]! || 1;
      this.finePer[f] = fine / range;
      for (let r = 0; r < R; r++) {
        const bins = res[r]!;
        const c = p.counts[r]!;
        this.perUnit[f * R + r] = bins / range;
        const per = fine / bins;
        for (let b = 0; b < fine; b++) this.table[f * fine + b]! += -Math.log(Math.max(c[f * bins + Math.floor(b / per)]!, 0.5) / rows);
      }
    }
    this.lastSurprise = new Float64Array(F).fill(Number.NaN);
    this.lastRow = new Float64Array(F).fill(Number.NaN);
    this.zeroSurprise = new Float64Array(F).fill(Number.NaN);
    for (let f = 0; f < F; f++) {
      const l = p.lo[f]!;
      if (l > 0 || p.hi[f]! < 0) continue;
      // the bin scoreBatch computes for v = 0
      let b = ((0 - l) * this.finePer[f]!) | 0;
      if (b >= fine) b = fine - 1;
      this.zeroSurprise[f] = this.table[f * fine + b]!;
    }
  }

  get resolutions(): readonly number[] {
    return this.training.resolutions;
  }

  /** Scores `rows` rows of a row-major matrix into out[0..rows). Synchronous, allocation-free. */
  scoreBatch(features: ArrayLike<number>, rows: number, featureCount: number, out: Float32Array): void {
    if (featureCount !== this.featureCount) throw new ModelFeatureCountError(`v${this.version}`, featureCount, this.featureCount);
    if (features.length < rows * featureCount) throw new RangeError(`scoreBatch: ${rows} rows need ${rows * featureCount} values, got ${features.length}`);
    if (out.length < rows) throw new RangeError(`scoreBatch: out holds ${out.length} scores, ${rows} needed`);
    const F = featureCount;
    const R = this.binsOf.length;
    const norm = 1 / (F * R);
    const { lo, hi, empty, table, binsOf, perUnit, finePer } = this;
    const fine = this.fine;
    const { lastX, lastV, lastSurprise, zeroSurprise } = this;
    const { lastRow } = this;
    for (let i = 0; i < rows; i++) {
      const base = i * F;
      // a row equal to the one before it has its score: packets of a spoofed flood each open
      // a new host, pair and socket, so their rows are all the same (two fifths of the shared
      // captures' rows); another row differs from the one before in its first value (the
      // source's packet weight) nearly always, so the test costs one comparison
      let k = 0;
      if (i > 0) {
        const prev = base - F;
        while (k < F && features[base + k] === features[prev + k]) k++;
        if (k === F) {
          out[i] = out[i - 1]!;
          continue;
        }
      } else {
        while (k < F && features[k] === lastRow[k]) k++;
        if (k === F) {
          out[0] = this.lastRowScore;
          continue;
        }
      }
      let sum = 0;
      for (let f = 0; f < F; f++) {
        const x = features[base + f]!;
        // log1p (about 7 ns) is a third of the cost: a third of the values are 0 (log1p(±0) is
        // ±0) and a fifth repeat the feature's last logged value (a flow's size stays put), so
        // those skip it; in the benign range either adds its one table entry, kept per feature
        // (the same single addition as below, so the sum is the same to the bit). Binning without
        // the log was tried (README, session 16): its branches and cache misses cost as much
        let v: number;
        if (x === 0) {
          const z = zeroSurprise[f]!;
          if (z === z) {
            sum += z;
            continue;
          }
          v = x;
        } else if (x === lastX[f]) {
          const z = lastSurprise[f]!;
          if (z === z) {
            sum += z;
            continue;
          }
          v = lastV[f]!;
        } else {
          v = x < 0 ? -Math.log1p(-x) : Math.log1p(x);
          lastX[f] = x;
          lastV[f] = v;
          lastSurprise[f] = Number.NaN;
        }
        const l = lo[f]!;
        const h = hi[f]!;
        const fr = f * R;
        if (v < l || v > h) {
          const d = v < l ? l - v : v - h;
          for (let r = 0; r < R; r++) {
            const bins = binsOf[r]!;
            const dist = d * perUnit[fr + r]!;
            sum += empty + (dist < bins ? dist : bins);
          }
        } else {
          // every resolution divides the finest, so one fine bin holds the sum over all of them
          let b = ((v - l) * finePer[f]!) | 0;
          if (b >= fine) b = fine - 1;
          const surprise = table[f * fine + b]!;
          sum += surprise;
          lastSurprise[f] = surprise; // (never x = 0 here: a zero in range took zeroSurprise)
        }
      }
      out[i] = sum * norm;
    }
    if (rows > 0) {
      const last = (rows - 1) * F;
      for (let f = 0; f < F; f++) lastRow[f] = features[last + f]!;
      this.lastRowScore = out[rows - 1]!;
    }
  }

  scores(features: ArrayLike<number>, rows: number): Float32Array {
    const out = new Float32Array(rows);
    this.scoreBatch(features, rows, this.featureCount, out);
    return out;
  }

  /** Nothing to free: kept for the model interface. */
  dispose(): void {}

  toJSON(): DensityJSON {
    return {
      format: DENSITY_FORMAT,
      formatVersion: DENSITY_FORMAT_VERSION,
      version: this.version,
      createdAt: this.createdAt,
      featureCount: this.featureCount,
      backend: this.backend,
      training: { ...this.training, resolutions: [...this.training.resolutions] },
      lo: Array.from(this.lo),
      hi: Array.from(this.hi),
      counts: this.counts.map(encodeFloats),
      threshold: { ...this.threshold },
      ...(this.flowThreshold ? { flowThreshold: { ...this.flowThreshold } } : {}),
    };
  }

  /** Fits a model on rows taken to be benign (row-major, featureCount wide). */
  static fit(rows: Float64Array | Float32Array, rowCount: number, featureCount: number, options: Partial<DensityTrainingOptions> = {}): DensityModel {
    const o: DensityTrainingOptions = { ...DENSITY_DEFAULTS, ...options };
    if (!validResolutions(o.resolutions)) {
      throw new ModelTrainingError(`density model: resolutions must be bin counts from 1 to 4096 that each divide the largest, got ${JSON.stringify(o.resolutions)}`);
    }
    if (!(o.thresholdQuantile > 0 && o.thresholdQuantile < 1)) throw new ModelTrainingError(`density model: thresholdQuantile must be in (0, 1), got ${o.thresholdQuantile}`);
    if (!(o.holdoutFraction >= 0 && o.holdoutFraction <= 0.5)) throw new ModelTrainingError(`density model: holdoutFraction must be in [0, 0.5], got ${o.holdoutFraction}`);
    if (rowCount < MIN_DENSITY_ROWS) throw new ModelTrainingError(`density model: needs at least ${MIN_DENSITY_ROWS} rows, got ${rowCount}: lengthen the grace period`);
    if (rows.length < rowCount * featureCount) throw new ModelTrainingError(`density model: ${rowCount} rows of ${featureCount} need ${rowCount * featureCount} values, got ${rows.length}`);
    const t0 = performance.now();
    const F = featureCount;
    const holdoutRows = Math.floor(rowCount * o.holdoutFraction);
    const trainRows = rowCount - holdoutRows;
    const lo = new Float64Array(F).fill(Infinity);
    const hi = new Float64Array(F).fill(-Infinity);
    for (let i = 0; i < trainRows; i++) {
      for (let f = 0; f < F; f++) {
        const v = signedLog(rows[i * F + f]!);
        if (v < lo[f]!) lo[f] = v;
        if (v > hi[f]!) hi[f] = v;
      }
    }
    const counts = o.resolutions.map((bins) => new Float32Array(F * bins));
    for (let i = 0; i < trainRows; i++) {
      for (let f = 0; f < F; f++) {
        const v = signedLog(rows[i * F + f]!);
        const w = hi[f]! - lo[f]!;
        for (let r = 0; r < counts.length; r++) {
          const bins = o.resolutions[r]!;
          const b = w > 0 ? Math.min(bins - 1, Math.floor(((v - lo[f]!) / w) * bins)) : 0;
          counts[r]![f * bins + b]!++;
        }
      }
    }
    const training: DensityTrainingSummary = { rows: rowCount, trainRows, holdoutRows, resolutions: [...o.resolutions], seconds: 0 };
    const provisional = { threshold: 0, quantile: o.thresholdQuantile, logMean: 0, logStd: 0, empirical: 0, samples: 0 };
    const unfitted = new DensityModel({ version: 0, createdAt: new Date().toISOString(), featureCount: F, training, lo, hi, counts, threshold: provisional });
    // the threshold: on the held-out rows, or on the training rows when too few are held out
    const from = holdoutRows >= 2 ? trainRows : 0;
    const n = holdoutRows >= 2 ? holdoutRows : trainRows;
    const scores = new Float32Array(n);
    unfitted.scoreBatch(rows.subarray(from * F, (from + n) * F), n, F, scores);
    training.seconds = (performance.now() - t0) / 1000;
    return new DensityModel({ version: 0, createdAt: unfitted.createdAt, featureCount: F, training, lo, hi, counts, threshold: fitThreshold(scores, o.thresholdQuantile) });
  }

  /** From parsed JSON; `file` names it in errors; with `featureCount`, another count is refused. */
  static fromJSON(value: unknown, options: { file?: string; featureCount?: number } = {}): DensityModel {
    const file = options.file ?? '(JSON)';
    const fail = (problem: string): never => {
      throw new ModelFormatError(file, problem);
    };
    if (!isObject(value)) return fail('is not a JSON object');
    if (value.format !== DENSITY_FORMAT) return fail(`has format ${JSON.stringify(value.format)}, expected ${JSON.stringify(DENSITY_FORMAT)}`);
    if (value.formatVersion !== DENSITY_FORMAT_VERSION) return fail(`has format version ${JSON.stringify(value.formatVersion)}; this build reads version ${DENSITY_FORMAT_VERSION}: retrain the model with this build`);
    const F = value.featureCount;
    if (typeof F !== 'number' || !Number.isInteger(F) || F < 1) return fail(`featureCount ${JSON.stringify(F)} is not a positive integer`);
    if (options.featureCount !== undefined && F !== options.featureCount) throw new ModelFeatureCountError(file, options.featureCount, F);
    const version = value.version;
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return fail(`version ${JSON.stringify(version)} is not a non-negative integer`);
    if (typeof value.createdAt !== 'string' || Number.isNaN(Date.parse(value.createdAt))) return fail(`createdAt ${JSON.stringify(value.createdAt)} is not a date`);
    if (!isNumberArray(value.lo, F) || !isNumberArray(value.hi, F)) return fail(`lo and hi must be ${F} numbers each`);
    const t = value.training;
    if (!isObject(t) || !isFiniteNumber(t.rows) || !isFiniteNumber(t.trainRows) || !(t.trainRows >= 1) || !isFiniteNumber(t.holdoutRows) || !isFiniteNumber(t.seconds)) return fail('training summary is missing or incomplete');
    const res = t.resolutions;
    if (!validResolutions(res)) return fail('training.resolutions must be bin counts that each divide the largest');
    if (!Array.isArray(value.counts) || value.counts.length !== res.length) return fail(`counts must hold one histogram set per resolution (${res.length})`);
    const counts = value.counts.map((s: unknown, r: number) => {
      let a: Float32Array;
      try {
        if (typeof s !== 'string') throw new TypeError('not a string');
        a = decodeFloats(s);
      } catch (err) {
        return fail(`counts[${r}] is not base64 float32: ${(err as Error).message}`);
      }
      if (a.length !== F * (res[r] as number)) fail(`counts[${r}] has ${a.length} values, expected ${F * (res[r] as number)}`);
      if (!a.every((x) => Number.isFinite(x) && x >= 0)) fail(`counts[${r}] holds a negative or non-finite count`);
      return a;
    });
    const threshold = readScoreThreshold(value.threshold, 'threshold', fail);
    const flowThreshold = value.flowThreshold === undefined || value.flowThreshold === null ? null : readScoreThreshold(value.flowThreshold, 'flowThreshold', fail);
    return new DensityModel({
      version,
      createdAt: value.createdAt,
      featureCount: F,
      training: { rows: t.rows, trainRows: t.trainRows, holdoutRows: t.holdoutRows, resolutions: res as number[], seconds: t.seconds },
      lo: Float64Array.from(value.lo),
      hi: Float64Array.from(value.hi),
      counts,
      threshold,
      flowThreshold,
    });
  }
}
