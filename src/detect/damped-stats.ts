// Damped incremental statistics: the incStat / incStat_cov of Kitsune's AfterImage
// (Mirsky et al., NDSS 2018), as kernels over records in flat Float32Arrays so that
// millions of streams cost no objects and an update allocates nothing.
//
// A 1D stream at decay rate λ keeps (w, mean, var): decayed weight, mean and variance.
// Before each insert at time t, w is multiplied by f = 2^(−λ·(t − t_last)) when t > t_last
// (out-of-order packets neither decay nor move t_last; the caller keeps t_last and passes f);
// decay moves neither the mean nor the variance. Then, with d = v − mean (the weighted
// update of Welford's algorithm, West 1979):
//   w' = w·f + 1;  mean' = mean + d/w';  var' = (w'−1)/w' · (var + d²/w');  std = √var'.
// This is Kitsune's (w, LS, SS) with LS = w·mean and SS = w·(var + mean²): the same
// statistics in exact arithmetic. Kept this way the variance is never the difference of two
// large sums and nothing depends on a weight's magnitude, so the records are stored in
// Float32 (half the memory of Float64) and lose only Float32's 6e-8 relative rounding of each
// value; SS/w − mean² from Float32 sums would be noise for any stream whose spread is small
// against its mean, and a Float32 weight underflows to 0 after 30 s idle at λ = 5.
// An idle stream keeps its mean and variance as its weight decays (Kitsune's LS/w and SS/w
// do the same until the weight underflows, which a Float64 weight does after 215 s idle at
// λ = 5); an empty stream (never inserted into) is mean 0, variance 0.
// A two-way record holds two such streams (directions 0 and 1) and their covariance
// state (CF3, w3, r0, r1): a decayed sum of residual products. When direction d receives v,
// both streams and CF3, w3 decay by f, v is inserted into d, then with r = v − mean_d:
//   CF3 += r · r_(1−d);  w3 += 1;  r_d = r;  and
//   magnitude = √(mean_d² + mean_o²), radius = √(var_d² + var_o²),
//   covariance ≈ CF3/w3, correlation = covariance / (std_d · std_o), or 0 when that is 0.
// As in Kitsune-py the stored residual r_(1−d) is not decayed (Kitsune-py decays the
// residual it is about to overwrite, a no-op); keeping that keeps values comparable.
// Unlike Kitsune-py, a variance below 1e-10·mean² is taken as 0: a constant stream (e.g. a
// run of 60-byte ACKs) then reads as std 0 and its correlation with an idle peer as 0, not
// as ±large from rounding (Float32 rounding of the stored mean leaves about 1e-15·mean²).

/** Kitsune's decay rates λ (per second): half-lives of 0.2 s, 0.33 s, 1 s, 10 s, 100 s. */
export const DEFAULT_LAMBDAS: readonly number[] = Object.freeze([5, 3, 1, 0.1, 0.01]);

/** Kitsune starts weights just above zero so that an empty stream reads as mean 0, not 0/0. */
export const INITIAL_WEIGHT = 1e-20;

/** Offsets inside a 1D stream record [w, mean, var]. */
export const W = 0;
export const MEAN = 1;
export const VAR = 2;
export const STREAM_WIDTH = 3;

/** A two-way record: [stream 0 (3), stream 1 (3), CF3, w3, r0, r1]. */
export const CF3 = 2 * STREAM_WIDTH;
export const W3 = CF3 + 1;
export const RES0 = CF3 + 2;
export const TWO_WAY_WIDTH = CF3 + 4;

/** Values written per λ by update1D and updateTwoWay. */
export const OUT_1D = 3;
export const OUT_2D = 7;

/** −λ·ln 2, the constant for decayFactor. */
export function decayConstant(lambda: number): number {
  return -lambda * Math.LN2;
}

/** 2^(−λ·Δt) for Δt > 0, else 1 (no decay). Takes decayConstant(λ): exp is cheaper than pow. */
export function decayFactor(negLambdaLn2: number, dt: number): number {
  return dt > 0 ? Math.exp(negLambdaLn2 * dt) : 1;
}

/** Weight offsets in a two-way record (both streams' and the covariance's). */
export const TWO_WAY_WEIGHTS: readonly number[] = Object.freeze([W, STREAM_WIDTH + W, W3]);

/**
 * Reset `blocks` consecutive records of `width` values from `at` at once: zero them, then
 * set the weights at `weights` (offsets inside a record) to INITIAL_WEIGHT: empty streams
 * (w = INITIAL_WEIGHT, mean = var = 0) and covariance state (CF3 = 0, w3 = INITIAL_WEIGHT,
 * r0 = r1 = 0). One fill is cheaper than a write per value when the records are cold (a new
 * flow's, in a table larger than the cache).
 */
export function resetRecords(s: Float32Array, at: number, blocks: number, width: number, weights: Int32Array): void {
  s.fill(0, at, at + blocks * width);
  for (let b = 0, o = at; b < blocks; b++, o += width) {
    for (let k = 0; k < weights.length; k++) s[o + weights[k]!] = INITIAL_WEIGHT;
  }
}

const VARIANCE_NOISE = 1e-10;

/** The variance, or 0 when it is below 1e-10·mean² (a constant stream's rounding). */
export function varianceOf(variance: number, mean: number): number {
  return variance > VARIANCE_NOISE * mean * mean ? variance : 0;
}

/**
 * Decay a 1D stream by f = factors[k], insert v, and write [w, mean, std] to out[o..o+2].
 * The factor is read here, as updateTwoWay does: a double argument to a call V8 does not
 * inline is boxed.
 */
export function update1D(s: Float32Array, at: number, factors: Float64Array, k: number, v: number, out: Float64Array, o: number): void {
  const f = factors[k]!;
  const w = s[at + W]! * f + 1;
  const m0 = s[at + MEAN]!;
  const d = v - m0;
  const mean = m0 + d / w;
  const variance = ((w - 1) / w) * (s[at + VAR]! + (d * d) / w);
  s[at + W] = w;
  s[at + MEAN] = mean;
  s[at + VAR] = variance;
  out[o] = w;
  out[o + 1] = mean;
  out[o + 2] = Math.sqrt(varianceOf(variance, mean));
}

/**
 * Direction d (0 or 1) of a two-way record receives v: decay everything by f =
 * factors[k], insert, update the covariance, and write [w, mean, std, magnitude, radius,
 * cov, pcc] to out[o..o+6] (the 1D values are direction d's). The factor is read here, not
 * passed: the function is too large for V8 to inline, and a double argument to a call is
 * boxed, a 16-byte heap number per call (10 a packet).
 */
export function updateTwoWay(
  s: Float32Array,
  at: number,
  factors: Float64Array,
  k: number,
  d: number,
  v: number,
  out: Float64Array,
  o: number,
): void {
  const f = factors[k]!;
  const own = at + d * STREAM_WIDTH;
  const other = at + (1 - d) * STREAM_WIDTH;
  const wd = s[own + W]! * f + 1;
  const m0 = s[own + MEAN]!;
  const dv = v - m0;
  const md = m0 + dv / wd;
  const vard = ((wd - 1) / wd) * (s[own + VAR]! + (dv * dv) / wd);
  s[own + W] = wd;
  s[own + MEAN] = md;
  s[own + VAR] = vard;
  const vd = varianceOf(vard, md);
  s[other + W] = s[other + W]! * f;
  // the other direction keeps its mean and variance (0 and 0 if it never sent)
  const mo = s[other + MEAN]!;
  const vo = varianceOf(s[other + VAR]!, mo);

  const r = v - md;
  const cf3 = s[at + CF3] * f + r * s[at + RES0 + 1 - d];
  const w3 = s[at + W3] * f + 1;
  s[at + CF3] = cf3;
  s[at + W3] = w3;
  s[at + RES0 + d] = r;

  const sd = Math.sqrt(vd);
  const cov = cf3 / w3;
  const ss = sd * Math.sqrt(vo);
  out[o] = wd;
  out[o + 1] = md;
  out[o + 2] = sd;
  out[o + 3] = Math.sqrt(md * md + mo * mo);
  out[o + 4] = Math.sqrt(vd * vd + vo * vo);
  out[o + 5] = cov;
  out[o + 6] = ss !== 0 ? cov / ss : 0;
}
