// Trains one autoencoder layer (see autoencoder-layer.ts) on normalised rows.
//
// Kitsune trains online, one row at a time, by plain SGD (learning rate 0.1) on the
// cross-entropy of each autoencoder. Here training is mini-batch, which is what makes tfjs
// worth having: shuffled batches, several epochs, Adam. Adam's per-weight step sizes make the
// result insensitive to the loss's scale, which a batch size change would otherwise shift,
// and it reaches in a few epochs what SGD on batches needs many more for. The loss is
// Kitsune's: the summed cross-entropy of each input against its sigmoid reconstruction
// (inputs are min–max scaled into [0, 1] on these same rows), averaged over the batch.
// All autoencoders of the layer train at once in the block-diagonal form; the mask keeps
// each one's weights to its own group, so their gradients are independent, as if trained
// apart. Initial weights as in Kitsune's dA: uniform in ±1/visible, biases 0, from a
// seeded generator; shuffling uses the same generator, so training is deterministic.

import type { Scalar, Tensor2D } from '@tensorflow/tfjs';
import { blockMatrices, groupsFromBlocks } from './autoencoder-layer.ts';
import type { AutoencoderGroup } from './autoencoder-layer.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { Tf } from './tf-backend.ts';
import { MinMaxNormaliser } from './normaliser.ts';

export interface LayerTrainingOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

// Hand the event loop back this often, so a trainer actor stays responsive.
const STEPS_PER_YIELD = 16;

export async function trainLayer(
  tf: Tf,
  shape: readonly { features: number[]; hidden: number }[],
  data: Float32Array,
  rows: number,
  width: number,
  options: LayerTrainingOptions,
  random: SeededRandom,
): Promise<AutoencoderGroup[]> {
  const init = shape.map((g) => {
    const a = 1 / g.features.length;
    const weights = new Float32Array(g.features.length * g.hidden);
    for (let i = 0; i < weights.length; i++) weights[i] = random.uniform(-a, a);
    return { ...g, weights, hiddenBias: new Float32Array(g.hidden), visibleBias: new Float32Array(g.features.length) };
  });
  // Only the block shapes matter here; the normaliser is a placeholder of the right width.
  const block = blockMatrices({ normaliser: new MinMaxNormaliser(new Float64Array(width), new Float64Array(width)), groups: init });
  const H = block.totalHidden;
  const W = tf.variable(tf.tensor2d(block.weights, [width, H]));
  const hb = tf.variable(tf.tensor1d(block.hiddenBias));
  const vb = tf.variable(tf.tensor1d(block.visibleBias));
  const mask = tf.tensor2d(block.mask, [width, H]);
  const optimizer = tf.train.adam(options.learningRate);
  const loss = (x: Tensor2D): Scalar => {
    const Wm = tf.mul(W, mask);
    const h = tf.sigmoid(tf.add(tf.matMul(x, Wm), hb));
    const logits = tf.add(tf.matMul(h, Wm, false, true), vb);
    // cross-entropy with logits, in the stable form max(l, 0) − l·x + ln(1 + e^−|l|)
    const ce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.div(tf.sum(ce), x.shape[0]);
  };
  try {
    const order = new Uint32Array(rows).map((_, i) => i);
    const batchSize = Math.max(1, Math.min(options.batchSize, rows));
    const batch = new Float32Array(batchSize * width);
    let steps = 0;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      random.shuffle(order);
      for (let start = 0; start < rows; start += batchSize) {
        const n = Math.min(batchSize, rows - start);
        for (let i = 0; i < n; i++) batch.set(data.subarray(order[start + i]! * width, (order[start + i]! + 1) * width), i * width);
        tf.tidy(() => {
          const x = tf.tensor2d(batch.subarray(0, n * width), [n, width]);
          optimizer.minimize(() => loss(x), false, [W, hb, vb]);
        });
        if (++steps % STEPS_PER_YIELD === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    // Off-block weights get no gradient through the mask and start at 0, so W is still block-diagonal.
    return groupsFromBlocks(shape, W.dataSync() as Float32Array, hb.dataSync() as Float32Array, vb.dataSync() as Float32Array);
  } finally {
    W.dispose();
    hb.dispose();
    vb.dispose();
    mask.dispose();
    optimizer.dispose();
  }
}
