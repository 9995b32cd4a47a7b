// The KitNET anomaly model: training time and batched scoring throughput, on flow features
// of the synthetic packet stream (bench/packets/features.ts), so the rows have the real
// features' ranges and correlations.
// - model_train_s: trainKitNet on 20,000 rows with the default options.
// - model_rows_per_s: KitNetModel.scoreBatch at a batch of SCORE_BATCH rows (median of 5
//   passes over 200,000 rows); the other batch sizes are in `by_batch`.
// - model_group_chain_ratio: the same scoring done the other way, one gather + autoencoder
//   op chain per group (the reference the block-diagonal layer was chosen against), as
//   model rows/s over chain rows/s, in the same run.
// - model_backend: which TensorFlow.js backend ran (value 1; the name in `backend`).
// - density_fit_s, density_rows_per_s: the same for the density model (the default kind),
//   and density_over_kitnet_rows_ratio, its scoring rows/s over KitNET's in the same run.
// Run directly (`node --import tsx bench/detect/model.ts`) it prints one JSON line per
// result; a suite imports benchModel().

import { pathToFileURL } from 'node:url';
import type { Tensor2D } from '@tensorflow/tfjs';
import { FlowFeatureExtractor } from '../../src/detect/flow-features.ts';
import { disposeLayerTensors, layerRmse, layerTensors } from '../../src/detect/model/autoencoder-layer.ts';
import type { AutoencoderLayer } from '../../src/detect/model/autoencoder-layer.ts';
import { DensityModel } from '../../src/detect/model/density-model.ts';
import { KITNET_DEFAULTS, trainKitNet } from '../../src/detect/model/kitnet.ts';
import type { KitNetModel } from '../../src/detect/model/kitnet.ts';
import { NORMALISED_LIMIT } from '../../src/detect/model/normaliser.ts';
import { initTensorflow } from '../../src/detect/model/tf-backend.ts';
import type { Tf } from '../../src/detect/model/tf-backend.ts';
import { syntheticStream } from '../packets/features.ts';
import type { Result } from '../report.ts';

const TRAIN_ROWS = 20_000;
const SCORE_ROWS = 200_000;
const SCORE_BATCH = 1024;
const BATCHES = [256, 1024, 4096, 16_384];

/** Flow features of the first `count` packets of the synthetic stream, row-major. */
function featureRows(count: number): Float64Array {
  const st = syntheticStream(count);
  const fx = new FlowFeatureExtractor();
  const rows = new Float64Array(count * fx.featureCount);
  for (let n = 0; n < count; n++) {
    fx.update(st.ts[n]!, st.src[n]!, st.dst[n]!, st.srcPort[n]!, st.dstPort[n]!, st.proto[n]!, st.size[n]!, rows, n * fx.featureCount);
  }
  return rows;
}

/** Median rows/s of `passes` passes over all rows, `batch` rows per call. */
function rowsPerSecond(score: (rows: Float64Array, n: number, out: Float32Array) => void, rows: Float64Array, count: number, F: number, batch: number, passes = 5): number {
  const out = new Float32Array(batch);
  const pass = () => {
    const t0 = process.hrtime.bigint();
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      score(rows.subarray(start * F, (start + n) * F), n, out);
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  pass(); // warm-up
  const times: number[] = [];
  for (let p = 0; p < passes; p++) times.push(pass());
  times.sort((a, b) => a - b);
  return Math.round(count / times[Math.floor(passes / 2)]!);
}

/** The reference scorer: each ensemble group as its own op chain (gather, encode, decode, RMSE). */
function groupChainScorer(tf: Tf, model: KitNetModel): { score: (rows: Float64Array, n: number, out: Float32Array) => void; dispose: () => void } {
  const layer: AutoencoderLayer = model.ensemble;
  const F = model.featureCount;
  const scale = tf.tensor1d(Float32Array.from(layer.normaliser.scale));
  const offset = tf.tensor1d(Float32Array.from(layer.normaliser.offset()));
  const groups = layer.groups.map((g) => ({
    index: tf.tensor1d(Int32Array.from(g.features), 'int32'),
    w: tf.tensor2d(g.weights, [g.features.length, g.hidden]),
    wT: tf.tidy(() => tf.transpose(tf.tensor2d(g.weights, [g.features.length, g.hidden]))),
    hb: tf.tensor1d(g.hiddenBias),
    vb: tf.tensor1d(g.visibleBias),
  }));
  const output = layerTensors(tf, model.output);
  let input = new Float32Array(0);
  return {
    score(rows, n, out) {
      if (input.length < n * F) input = new Float32Array(n * F);
      input.set(rows.subarray(0, n * F));
      const r = tf.tidy(() => {
        const xn = tf.clipByValue(tf.add(tf.mul(tf.tensor2d(input.subarray(0, n * F), [n, F]), scale), offset), -NORMALISED_LIMIT, NORMALISED_LIMIT);
        const errors = groups.map((g) => {
          const xg = tf.gather(xn, g.index, 1) as Tensor2D;
          const h = tf.fused.matMul({ a: xg, b: g.w, bias: g.hb, activation: 'sigmoid' });
          const z = tf.fused.matMul({ a: h, b: g.wT, bias: g.vb, activation: 'sigmoid' });
          return tf.sqrt(tf.mean(tf.squaredDifference(z, xg), 1, true));
        });
        return layerRmse(tf, output, tf.concat(errors, 1) as Tensor2D);
      });
      out.set(r.dataSync() as Float32Array);
      r.dispose();
    },
    dispose() {
      for (const x of [scale, offset, ...groups.flatMap((g) => [g.index, g.w, g.wT, g.hb, g.vb])]) x.dispose();
      disposeLayerTensors(output);
    },
  };
}

export async function benchModel(): Promise<Result[]> {
  const { tf, backend, simd, fallbackReason } = await initTensorflow();
  const all = featureRows(TRAIN_ROWS + SCORE_ROWS);
  const F = all.length / (TRAIN_ROWS + SCORE_ROWS);
  const t0 = performance.now();
  const model = await trainKitNet(all.subarray(0, TRAIN_ROWS * F), TRAIN_ROWS, F, {});
  const trainS = (performance.now() - t0) / 1000;
  const rows = all.subarray(TRAIN_ROWS * F);
  const score = (r: Float64Array, n: number, out: Float32Array) => model.scoreBatch(r, n, F, out);
  const byBatch: Record<string, number> = {};
  for (const b of BATCHES) byBatch[b] = rowsPerSecond(score, rows, SCORE_ROWS, F, b);
  const chain = groupChainScorer(tf, model);
  // the two scorers agree (the block-diagonal zeros are exact), up to float32 summation order
  const a = new Float32Array(1024);
  const c = new Float32Array(1024);
  model.scoreBatch(rows, 1024, F, a);
  chain.score(rows, 1024, c);
  let maxRel = 0;
  for (let i = 0; i < 1024; i++) maxRel = Math.max(maxRel, Math.abs(a[i]! - c[i]!) / Math.max(1e-6, Math.abs(a[i]!)));
  const chainRate = rowsPerSecond(chain.score, rows, SCORE_ROWS, F, SCORE_BATCH);
  chain.dispose();
  model.dispose();
  const groups = model.groups.length;
  const d0 = performance.now();
  const density = DensityModel.fit(all.subarray(0, TRAIN_ROWS * F), TRAIN_ROWS, F);
  const fitS = (performance.now() - d0) / 1000;
  const densityRate = rowsPerSecond((r, n, out) => density.scoreBatch(r, n, F, out), rows, SCORE_ROWS, F, SCORE_BATCH);
  return [
    { name: 'model_backend', value: 1, unit: 'backend', backend, simd, ...(fallbackReason ? { fallback: fallbackReason } : {}) },
    { name: 'model_train_s', value: Math.round(trainS * 100) / 100, unit: 's', rows: TRAIN_ROWS, groups, epochs: KITNET_DEFAULTS.epochs, batch: KITNET_DEFAULTS.batchSize },
    { name: 'model_rows_per_s', value: byBatch[SCORE_BATCH]!, unit: 'rows/s', batch: SCORE_BATCH, by_batch: byBatch, features: F, groups, note: 'KitNetModel.scoreBatch, block-diagonal ensemble, one thread' },
    { name: 'density_fit_s', value: Math.round(fitS * 1000) / 1000, unit: 's', rows: TRAIN_ROWS, resolutions: density.resolutions },
    { name: 'density_rows_per_s', value: densityRate, unit: 'rows/s', batch: SCORE_BATCH, features: F, note: 'DensityModel.scoreBatch, one thread, no TensorFlow.js' },
    { name: 'density_over_kitnet_rows_ratio', value: Math.round((densityRate / byBatch[SCORE_BATCH]!) * 100) / 100, unit: 'ratio', note: 'same rows, same run' },
    { name: 'model_group_chain_ratio', value: Math.round((byBatch[SCORE_BATCH]! / chainRate) * 100) / 100, unit: 'ratio', chain_rows_per_s: chainRate, batch: SCORE_BATCH, max_rel_diff: maxRel, note: 'block-diagonal rows/s over one op chain per group' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void benchModel().then((results) => {
    for (const r of results) console.log(JSON.stringify(r));
  });
}
