// The alert threshold for per-flow scoring, fitted on the kind of score it is compared with.
// With model.flowScoring the detectors compare each packet's FLOW score (flow-scores.ts: the
// damped means of its host pair's and its destination's packet scores) with the threshold. A
// threshold fitted on single packets' scores sits where one benign packet in a thousand
// reaches, which a flow's mean, averaging many packets, almost never does: on the reference
// merge no attack packet's flow score passed it, and the model raised no alert at all. So the
// training rows are scored by the new model and run, in capture order, through a FlowScores
// of their own, and the threshold is the log-normal fit (threshold.ts), at the same quantile,
// of the flow scores of the rows held out — the same last tenth the packet threshold is fitted
// on. The rows before them only give the flows their history, as a live node's flows have
// one (without it every held-out flow sits near its prior, and the fit is too tight: on the
// reference merge 7.6 % of the held-out benign packets passed it, against none with it).
//
// The rows come with their flow context (FLOW_CONTEXT_WIDTH numbers each, written by the
// detector shards): source and destination keys (the batch's address hashes), capture time,
// and how many rows the row stands for — 1 in the grace period, where every row is sent, and
// model.sampleEvery when retraining, where one benign row in that many is: weighting each
// sampled row by it keeps a flow's mean what the whole flow would give (Horvitz–Thompson).

import { FlowScores } from '../flow-scores.ts';
import type { AnomalyModel } from './anomaly-model.ts';
import { fitThreshold, typicalScore, type ScoreThreshold } from './threshold.ts';

/** Numbers per training row: source key, destination key (NaN: no addresses), capture time, weight. */
export const FLOW_CONTEXT_WIDTH = 4;

/**
 * The threshold on the flow scores of the rows the model held out (the last
 * `model.training.holdoutRows`, or all when it held out fewer than 2), every row poured in
 * capture order; null when a row has no flow context.
 */
export function fitFlowThreshold(
  model: AnomalyModel,
  rows: Float64Array | Float32Array,
  count: number,
  featureCount: number,
  context: Float64Array,
): ScoreThreshold | null {
  const W = FLOW_CONTEXT_WIDTH;
  const held = model.training.holdoutRows;
  const from = held >= 2 ? count - held : 0;
  const n = count - from;
  if (n < 2 || context.length < count * W) return null;
  for (let i = 0; i < count; i++) if (!(context[i * W + 3]! > 0)) return null; // no context for this row
  const packet = new Float32Array(count);
  model.scoreBatch(rows.subarray(0, count * featureCount), count, featureCount, packet);
  // In capture order: rows from several shards (or nodes) reach the trainer interleaved.
  const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => context[a * W + 2]! - context[b * W + 2]! || a - b);
  const flows = FlowScores.forFlowFeatures();
  const typical = typicalScore(model.threshold);
  const scores = new Float32Array(n);
  for (const k of order) {
    const c = k * W;
    const s = flows.scoreRow(context[c]!, context[c + 1]!, context[c + 2]!, packet[k]!, context[c + 3]!, typical);
    if (k >= from) scores[k - from] = s;
  }
  return fitThreshold(scores, model.threshold.quantile);
}
