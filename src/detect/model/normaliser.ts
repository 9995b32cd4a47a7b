// Min–max scaling per feature, fitted on the training rows: x' = (x − min) · scale.
// Values outside the training range pass through (a value ten ranges above the maximum
// gives 11, as in Kitsune): how far a packet leaves the benign range is the signal. They are
// only bounded at ±NORMALISED_LIMIT, so that float32 squares and sums stay finite and one
// wild feature cannot turn a score into Infinity.
// A feature constant in training has no range; its scale is 1 / max(1, |value|), so a
// change as large as its own value counts like a full range (Kitsune divides by 1e-16,
// which makes any float jitter in such a feature an alarm).

export const NORMALISED_LIMIT = 1e4;

export interface NormaliserJSON {
  min: number[];
  max: number[];
}

export class MinMaxNormaliser {
  readonly scale: Float64Array;

  constructor(
    readonly min: Float64Array,
    readonly max: Float64Array,
  ) {
    if (min.length !== max.length) throw new RangeError(`normaliser: ${min.length} minima but ${max.length} maxima`);
    this.scale = new Float64Array(min.length);
    for (let i = 0; i < min.length; i++) {
      const range = max[i]! - min[i]!;
      this.scale[i] = range > 0 ? 1 / range : 1 / Math.max(1, Math.abs(min[i]!));
    }
  }

  get size(): number {
    return this.min.length;
  }

  /** Fits columns of a row-major matrix (`width` columns, the first `rowCount` rows). */
  static fit(rows: ArrayLike<number>, rowCount: number, width: number): MinMaxNormaliser {
    if (rowCount < 1) throw new RangeError('normaliser: needs at least one row to fit');
    const min = new Float64Array(width).fill(Infinity);
    const max = new Float64Array(width).fill(-Infinity);
    for (let r = 0; r < rowCount; r++) {
      const base = r * width;
      for (let i = 0; i < width; i++) {
        const v = rows[base + i]!;
        if (v < min[i]!) min[i] = v;
        if (v > max[i]!) max[i] = v;
      }
    }
    return new MinMaxNormaliser(min, max);
  }

  /** Scales one value of feature i. */
  apply(i: number, x: number): number {
    const v = (x - this.min[i]!) * this.scale[i]!;
    return v > NORMALISED_LIMIT ? NORMALISED_LIMIT : v < -NORMALISED_LIMIT ? -NORMALISED_LIMIT : v;
  }

  /** −min·scale per feature: with `scale`, x' = x·scale + offset (one multiply-add per value). */
  offset(): Float64Array {
    const o = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) o[i] = -this.min[i]! * this.scale[i]!;
    return o;
  }

  toJSON(): NormaliserJSON {
    return { min: Array.from(this.min), max: Array.from(this.max) };
  }

  static fromJSON(json: NormaliserJSON): MinMaxNormaliser {
    return new MinMaxNormaliser(Float64Array.from(json.min), Float64Array.from(json.max));
  }
}
