// One layer of KitNET: a set of small autoencoders, each over its own group of the layer's
// inputs, with tied weights (decoder = encoderᵀ) and sigmoid units, as in Kitsune's dA.
// The ensemble is one such layer over the 100 features (groups from the feature mapper);
// the output autoencoder is a layer with a single group over the ensemble's RMSEs.
//
// In tensors the whole layer is one block-diagonal matrix W (inputs × all hidden units,
// zero outside each group's block), so a batch runs through every autoencoder in a handful
// of ops instead of a chain of ops per group. The zeros cost FLOPs (~10× a per-group chain's
// multiply-adds at 100 features in groups of ≤10) but XNNPACK's matmul is fast and per-op
// overhead is not: measured on wasm (SIMD, one thread) at 1,024 rows per batch, 534k rows/s
// block-diagonal against 220k rows/s with one gather + autoencoder chain per group
// (bench/detect/model.ts reports the ratio in every run). The zeros
// are exact, so both give the same numbers up to float32 rounding.

import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import { MinMaxNormaliser, NORMALISED_LIMIT } from './normaliser.ts';
import type { Tf } from './tf-backend.ts';

export interface AutoencoderGroup {
  /** Indices of the layer inputs this autoencoder reconstructs. */
  features: number[];
  hidden: number;
  /** features.length × hidden, row-major; the decoder uses its transpose. */
  weights: Float32Array;
  hiddenBias: Float32Array;
  /** One per feature of the group, in `features` order. */
  visibleBias: Float32Array;
}

export interface AutoencoderLayer {
  /** Min–max scaling of the layer's inputs; its size is the layer's width. */
  normaliser: MinMaxNormaliser;
  groups: AutoencoderGroup[];
}

/** Kitsune's hidden layer size: three quarters of the visible one, rounded up. */
export function hiddenSize(visible: number): number {
  return Math.ceil(0.75 * visible);
}

export interface LayerTensors {
  scale: Tensor1D;
  offset: Tensor1D;
  /** width × totalHidden, block-diagonal by group. */
  weights: Tensor2D;
  /** Its transpose, for the decoder: tfjs-backend-wasm 4.22's fused matMul gives wrong
   *  results with transposeB and a bias together (seen here; plain matMul is right). */
  decoder: Tensor2D;
  hiddenBias: Tensor1D;
  visibleBias: Tensor1D;
  /** width × groups: 1/size where a feature belongs to a group, so (err²)·G = per-group mean. */
  groupMean: Tensor2D;
}

/** Where each group's hidden units start in the layer's hidden vector, and the total. */
export function hiddenOffsets(groups: readonly { hidden: number }[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const g of groups) {
    offsets.push(total);
    total += g.hidden;
  }
  return { offsets, total };
}

/** The block-diagonal matrices of a layer as flat arrays (for tensors and for the training mask). */
export function blockMatrices(layer: AutoencoderLayer): { weights: Float32Array; mask: Float32Array; hiddenBias: Float32Array; visibleBias: Float32Array; groupMean: Float32Array; totalHidden: number } {
  const width = layer.normaliser.size;
  const { offsets, total } = hiddenOffsets(layer.groups);
  const k = layer.groups.length;
  const weights = new Float32Array(width * total);
  const mask = new Float32Array(width * total);
  const hiddenBias = new Float32Array(total);
  const visibleBias = new Float32Array(width);
  const groupMean = new Float32Array(width * k);
  layer.groups.forEach((g, gi) => {
    const h0 = offsets[gi]!;
    hiddenBias.set(g.hiddenBias, h0);
    g.features.forEach((f, i) => {
      visibleBias[f] = g.visibleBias[i]!;
      groupMean[f * k + gi] = 1 / g.features.length;
      for (let j = 0; j < g.hidden; j++) {
        weights[f * total + h0 + j] = g.weights[i * g.hidden + j]!;
        mask[f * total + h0 + j] = 1;
      }
    });
  });
  return { weights, mask, hiddenBias, visibleBias, groupMean, totalHidden: total };
}

/** Splits block-diagonal parameters back into per-group arrays (the inverse of blockMatrices). */
export function groupsFromBlocks(groups: readonly { features: number[]; hidden: number }[], weights: Float32Array, hiddenBias: Float32Array, visibleBias: Float32Array): AutoencoderGroup[] {
  const { offsets, total } = hiddenOffsets(groups);
  return groups.map((g, gi) => {
    const h0 = offsets[gi]!;
    const w = new Float32Array(g.features.length * g.hidden);
    g.features.forEach((f, i) => {
      for (let j = 0; j < g.hidden; j++) w[i * g.hidden + j] = weights[f * total + h0 + j]!;
    });
    return {
      features: [...g.features],
      hidden: g.hidden,
      weights: w,
      hiddenBias: hiddenBias.slice(h0, h0 + g.hidden),
      visibleBias: Float32Array.from(g.features, (f) => visibleBias[f]!),
    };
  });
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

export function layerTensors(tf: Tf, layer: AutoencoderLayer): LayerTensors {
  const width = layer.normaliser.size;
  const b = blockMatrices(layer);
  return {
    scale: tf.tensor1d(Float32Array.from(layer.normaliser.scale)),
    offset: tf.tensor1d(Float32Array.from(layer.normaliser.offset())),
    weights: tf.tensor2d(b.weights, [width, b.totalHidden]),
    decoder: tf.tensor2d(transpose(b.weights, width, b.totalHidden), [b.totalHidden, width]),
    hiddenBias: tf.tensor1d(b.hiddenBias),
    visibleBias: tf.tensor1d(b.visibleBias),
    groupMean: tf.tensor2d(b.groupMean, [width, layer.groups.length]),
  };
}

export function disposeLayerTensors(t: LayerTensors): void {
  for (const x of [t.scale, t.offset, t.weights, t.decoder, t.hiddenBias, t.visibleBias, t.groupMean]) x.dispose();
}

/** Min–max scaling in tensors, bounded like MinMaxNormaliser.apply. */
export function normaliseTensor(tf: Tf, t: LayerTensors, x: Tensor2D): Tensor2D {
  return tf.clipByValue(tf.add(tf.mul(x, t.scale), t.offset), -NORMALISED_LIMIT, NORMALISED_LIMIT) as Tensor2D;
}

/** Per-group reconstruction RMSE of raw layer inputs: [rows, width] → [rows, groups]. Call inside tf.tidy. */
export function layerRmse(tf: Tf, t: LayerTensors, x: Tensor2D): Tensor2D {
  const xn = normaliseTensor(tf, t, x);
  const h = tf.fused.matMul({ a: xn, b: t.weights, bias: t.hiddenBias, activation: 'sigmoid' });
  const z = tf.fused.matMul({ a: h, b: t.decoder, bias: t.visibleBias, activation: 'sigmoid' });
  return tf.sqrt(tf.matMul(tf.squaredDifference(z, xn), t.groupMean)) as Tensor2D;
}
