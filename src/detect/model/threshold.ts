// The alert threshold on anomaly scores, fitted on scores of benign rows the model was not
// trained on. Kitsune's authors fit a log-normal to the benign RMSEs (the logs are close to
// normal) and read tail probabilities off it; here the threshold is the log-normal's
// `quantile` point, exp(μ + σ·Φ⁻¹(q)). A parametric tail is steadier than the empirical
// 0.999 quantile of a few thousand rows (which is the 2nd-largest of them); the empirical
// quantile is kept beside it for reference and for the logs.

export interface ScoreThreshold {
  /** The score above which a row is anomalous: the log-normal fit's quantile. */
  threshold: number;
  quantile: number;
  /** Mean and standard deviation of ln(score) over the benign scores. */
  logMean: number;
  logStd: number;
  /** The empirical quantile of the same scores. */
  empirical: number;
  /** How many scores it was fitted on. */
  samples: number;
}

// Scores of exactly 0 (a perfect reconstruction) would make ln −∞.
const SCORE_FLOOR = 1e-12;

export function fitThreshold(scores: ArrayLike<number>, quantile: number): ScoreThreshold {
  const n = scores.length;
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`threshold: quantile must be in (0, 1), got ${quantile}`);
  if (n < 2) throw new RangeError(`threshold: needs at least 2 benign scores to fit, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.log(Math.max(SCORE_FLOOR, scores[i]!));
  const logMean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (Math.log(Math.max(SCORE_FLOOR, scores[i]!)) - logMean) ** 2;
  const logStd = Math.sqrt(ss / (n - 1));
  const sorted = Float64Array.from(scores).sort();
  const empirical = sorted[Math.min(n - 1, Math.max(0, Math.ceil(quantile * n) - 1))]!;
  return { threshold: Math.exp(logMean + logStd * normalQuantile(quantile)), quantile, logMean, logStd, empirical, samples: n };
}

/** A typical benign score: the fit's median, exp(μ) (per-flow scoring's prior, flow-scores.ts). */
export function typicalScore(t: ScoreThreshold): number {
  return Math.exp(t.logMean);
}

/** Tail probability of `score` under the fitted log-normal: P(benign score ≥ score). */
export function benignTailProbability(t: ScoreThreshold, score: number): number {
  if (t.logStd === 0) return score > Math.exp(t.logMean) ? 0 : 1;
  return 0.5 * erfc((Math.log(Math.max(SCORE_FLOOR, score)) - t.logMean) / (t.logStd * Math.SQRT2));
}

/**
 * Φ⁻¹(p), the standard normal quantile: Acklam's rational approximation (relative error
 * below 1.2e-9, far below what a threshold needs).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

/** Complementary error function (Numerical Recipes' erfcc, fractional error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
