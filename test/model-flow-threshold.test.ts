// The anomaly alert threshold under per-flow scoring is fitted on flow scores, the kind of
// score the detectors compare with it (src/detect/model/flow-threshold.ts): on synthetic
// flows (a sample weighted by its rate gives the threshold the whole traffic gives), through
// a model's file and the scorer the detectors get, and on the reference merge, where the
// per-packet threshold was never reached by any flow score and the flow-fitted one alerts on
// the scanner.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { evaluate } from '../src/eval/harness.ts';
import { readLabels } from '../src/eval/labels.ts';
import { asScorer } from '../src/detect/model-shelf.ts';
import { modelFromJSON, type AnomalyModel } from '../src/detect/model/anomaly-model.ts';
import { DensityModel } from '../src/detect/model/density-model.ts';
import { FLOW_CONTEXT_WIDTH, fitFlowThreshold } from '../src/detect/model/flow-threshold.ts';
import { fitThreshold } from '../src/detect/model/threshold.ts';
import { TrainingBuffer } from '../src/detect/training-buffer.ts';
import { testConfig } from '../devkit/node-config.ts';
import { uniform } from '../devkit/prng.ts';

const W = FLOW_CONTEXT_WIDTH;
/** 200 packets a second: 40,000 rows span 200 s, flows short beside the prior's memory (145 s), as a 20,000-row grace period at 100 packets a second is. */
const STEP_S = 0.005;
const P = new URL('../../shared/data/pcap/', import.meta.url).pathname;

/**
 * A stand-in model whose score of a row is its one feature, with its held-out rows and a
 * packet threshold fitted on them as a model's would be (the unit here is fitFlowThreshold).
 */
function identityModel(rows: Float64Array, count: number, holdoutRows: number): AnomalyModel {
  return {
    version: 0,
    featureCount: 1,
    backend: 'js',
    threshold: fitThreshold(rows.subarray(count - holdoutRows, count), 0.999),
    training: { rows: count, holdoutRows },
    flowThreshold: null,
    scoreBatch: (f, n, _fc, out) => {
      for (let i = 0; i < n; i++) out[i] = f[i]!;
    },
    toJSON: () => ({}),
    dispose: () => {},
  };
}

/** 200 flows (client → one of 5 servers), each with its own score level, one packet every STEP_S. */
function traffic(n: number, seed: number): { scores: Float64Array; context: Float64Array } {
  const r = uniform(seed);
  const level = Array.from({ length: 200 }, () => Math.exp(0.6 * (r() + r() + r() - 1.5)));
  const scores = new Float64Array(n);
  const context = new Float64Array(n * W);
  for (let i = 0; i < n; i++) {
    const f = Math.floor(r() * 200);
    scores[i] = level[f]! * Math.exp(0.5 * (r() - 0.5));
    context.set([1000 + f, f % 5, i * STEP_S, 1], i * W);
  }
  return { scores, context };
}

/** Every k-th row, each standing for k (as the detectors sample after the grace period), or for `weight`. */
function sample(t: { scores: Float64Array; context: Float64Array }, k: number, weight = k) {
  const n = Math.floor(t.scores.length / k);
  const scores = new Float64Array(n);
  const context = new Float64Array(n * W);
  for (let j = 0; j < n; j++) {
    scores[j] = t.scores[j * k + k - 1]!;
    context.set(t.context.subarray((j * k + k - 1) * W, (j * k + k) * W), j * W);
    context[j * W + 3] = weight;
  }
  return { scores, context };
}

test('a flow threshold sits where flow means reach, not single packets; a 1-in-k sample weighted by k gives the whole traffic\'s', () => {
  const all = traffic(40_000, 7);
  const full = fitFlowThreshold(identityModel(all.scores, 40_000, 4000), all.scores, 40_000, 1, all.context)!;
  const packet = identityModel(all.scores, 40_000, 4000).threshold;
  assert.ok(full.threshold < packet.threshold, `flow means spread less than packets: ${full.threshold} vs ${packet.threshold}`);
  const k = 8;
  const weighted = sample(all, k);
  const unweighted = sample(all, k, 1);
  const n = weighted.scores.length;
  const w = fitFlowThreshold(identityModel(weighted.scores, n, n / 10), weighted.scores, n, 1, weighted.context)!;
  const u = fitFlowThreshold(identityModel(unweighted.scores, n, n / 10), unweighted.scores, n, 1, unweighted.context)!;
  assert.ok(Math.abs(w.threshold - full.threshold) < Math.abs(u.threshold - full.threshold), `weighted ${w.threshold}, unweighted ${u.threshold}, whole ${full.threshold}`);
  assert.ok(u.threshold < full.threshold, 'unweighted, each flow looks shorter and nearer its prior');
});

test('rows without their flows give no flow threshold; rows without addresses keep their own score', () => {
  const t = traffic(2000, 3);
  const none = new Float64Array(2000 * W); // weight 0: not known
  assert.equal(fitFlowThreshold(identityModel(t.scores, 2000, 200), t.scores, 2000, 1, none), null);
  const noAddresses = Float64Array.from(t.context);
  for (let i = 0; i < 2000; i++) noAddresses[i * W] = NaN;
  const th = fitFlowThreshold(identityModel(t.scores, 2000, 200), t.scores, 2000, 1, noAddresses)!;
  assert.equal(th.threshold, fitThreshold(Float32Array.from(t.scores.subarray(1800)), 0.999).threshold, 'no flows: the packet scores themselves (as the model gives them, float32)');
});

test('the flow threshold is kept in the model file, and the detectors compare flow scores with it (per packet: the packet threshold)', () => {
  const r = uniform(11);
  const rows = new Float64Array(3000 * 4).map(() => 10 * r());
  const context = new Float64Array(3000 * W);
  for (let i = 0; i < 3000; i++) context.set([i % 40, 100 + (i % 3), i, 1], i * W);
  const model = DensityModel.fit(rows, 3000, 4);
  model.flowThreshold = fitFlowThreshold(model, rows, 3000, 4, context);
  assert.ok(model.flowThreshold && model.flowThreshold.threshold !== model.threshold.threshold);
  const again = modelFromJSON(JSON.parse(JSON.stringify(model.toJSON())), { featureCount: 4 });
  assert.deepEqual(again.flowThreshold, model.flowThreshold);
  const perFlow = asScorer(1, again, true);
  assert.equal(perFlow.threshold, model.flowThreshold.threshold);
  assert.equal(perFlow.packetThreshold, model.threshold.threshold);
  assert.equal(asScorer(1, again, false).threshold, model.threshold.threshold);
  // A model from before (no flow threshold) keeps its packet threshold either way.
  const old = modelFromJSON({ ...JSON.parse(JSON.stringify(model.toJSON())), flowThreshold: undefined }, { featureCount: 4 });
  assert.equal(old.flowThreshold, null);
  assert.equal(asScorer(1, old, true).threshold, model.threshold.threshold);
  assert.throws(() => modelFromJSON({ ...JSON.parse(JSON.stringify(model.toJSON())), flowThreshold: { threshold: 'x' } }), /flowThreshold\.threshold is not a finite number/);
});

test('the training buffer keeps each row\'s flow beside it, through the ring\'s wrap', () => {
  const b = new TrainingBuffer(3, 2);
  for (let i = 0; i < 5; i++) b.add(Float64Array.of(i, i), 1, Float64Array.of(10 + i, 20 + i, i, 1));
  b.add(Float64Array.of(9, 9), 1); // no flow: weight 0
  const s = b.snapshot();
  assert.deepEqual(Array.from(s.rows), [3, 3, 4, 4, 9, 9]);
  assert.deepEqual(Array.from(s.flowContext), [13, 23, 3, 1, 14, 24, 4, 1, 0, 0, 0, 0]);
});

test('reference merge (D01+D02 benign, D09 scan): the anomaly threshold in force is fitted on flow scores, and the scanner\'s flows pass it', async () => {
  const r = await evaluate({
    benign: [`${P}D01_benign_example.pcap`, `${P}D02_benign_tls2.pcap`],
    attack: [`${P}D09_scan_TCP_CONNECT_SCAN.pcap`],
    labels: readLabels(`${P}labels.tsv`),
    config: testConfig({ model: { enabled: true } }),
  });
  assert.ok(r.model, 'the model ran');
  // Fitted on per-packet scores (as before), this threshold was passed by no attack packet's flow score.
  assert.ok(r.model.atThreshold.truePositiveRate! > 0.5, JSON.stringify(r.model.atThreshold));
  assert.ok(r.anomalyAlerts.attackers.includes('192.168.1.10'), JSON.stringify(r.anomalyAlerts));
});
