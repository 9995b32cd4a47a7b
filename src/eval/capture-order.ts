// The evaluation's model numbers in capture order, so that they are a property of the model,
// the configuration and the captures, not of how one run happened to be scheduled.
//
// Two things on the node depend on the order the detector shards' work meets, which the
// event loop decides (a host pair's two directions are two shards; each shard's own rows stay
// in capture order):
//   - the training rows: the trainer holds them in the order the shards' samples reached it,
//     and the density model holds the last tenth out for its thresholds (density-model.ts), so
//     another interleaving is another split and another model;
//   - the flow scores: every shard pours its packet scores into one FlowScores (flow-scores.ts)
//     as it scores a batch, and reads each packet's flows after its whole batch is in.
// Neither changes what a node detects in a way the report shows, but the ROC AUC moved with
// both: 0.9164-0.9175 over runs of one build on the shared evaluation, and on a small
// capture from 0.991 to 0.996 with the replay's batch size or high-water mark (README,
// "Evaluation results").
//
// So the evaluation trains on its rows sorted by capture time (inCaptureOrder), and scores
// flows from the detectors' packet scores, each row poured alone in capture-time order, as
// flow-threshold.ts does when it fits the flow threshold on the training rows (the same kind of
// flow score the threshold is fitted on, with the same keys: the batch's address hashes).
// Rows with equal capture times are taken by source hash, then in the order they came: the
// rows of one source come from one shard, in capture order, so the order is every run's.

import type { ModelShelf } from '../detect/model-shelf.ts';
import { FlowScores } from '../detect/flow-scores.ts';
import { FLOW_CONTEXT_WIDTH } from '../detect/model/flow-threshold.ts';
import { PacketFlags, type PacketBatch } from '../net/packet-batch.ts';

/** Row indices 0..n−1 by capture time, then source hash (NaN: none, first), then index. */
function captureOrder(n: number, ts: (k: number) => number, src: (k: number) => number): Uint32Array {
  const key = (k: number) => (Number.isNaN(src(k)) ? -1 : src(k));
  return Uint32Array.from({ length: n }, (_, k) => k).sort((a, b) => ts(a) - ts(b) || key(a) - key(b) || a - b);
}

/**
 * The shelf, training on its rows in capture order (by their flow context: capture time and
 * source hash). Rows without flow context (weight 0) are trained on as they came: their
 * capture time is not known.
 */
export function inCaptureOrder<S extends ModelShelf>(shelf: S): S {
  const train: ModelShelf['train'] = (rows, count, flowContext) => {
    const W = FLOW_CONTEXT_WIDTH;
    if (!flowContext || flowContext.length < count * W) return shelf.train(rows, count, flowContext);
    for (let k = 0; k < count; k++) if (!(flowContext[k * W + 3]! > 0)) return shelf.train(rows, count, flowContext);
    const fc = rows.length / count;
    const order = captureOrder(count, (k) => flowContext[k * W + 2]!, (k) => flowContext[k * W]!);
    const sortedRows = new Float64Array(count * fc);
    const sortedContext = new Float64Array(count * W);
    order.forEach((k, at) => {
      sortedRows.set(rows.subarray(k * fc, (k + 1) * fc), at * fc);
      sortedContext.set(flowContext.subarray(k * W, (k + 1) * W), at * W);
    });
    return shelf.train(sortedRows, count, sortedContext);
  };
  return Object.assign(Object.create(shelf) as S, { train });
}

/** The scored rows' flow scores, recomputed in capture order from their packet scores. */
export class CaptureOrderFlows {
  private ts = new Float64Array(1024);
  private src = new Float64Array(1024);
  private dst = new Float64Array(1024);
  private packet = new Float32Array(1024);
  count = 0;

  /** Row i of `batch`, which the model scored `packetScore`. */
  add(batch: PacketBatch, i: number, packetScore: number): void {
    if (this.count === this.ts.length) this.grow();
    const k = this.count++;
    const ip = (batch.flags[i]! & (PacketFlags.IPV4 | PacketFlags.IPV6)) !== 0;
    this.ts[k] = batch.ts[i]!;
    this.src[k] = ip ? batch.srcHash(i) : NaN;
    this.dst[k] = ip ? batch.dstHash(i) : NaN;
    this.packet[k] = packetScore;
  }

  /** Each row's flow score, in the order the rows were added; `typical`: the model's typical benign score (a new flow's prior). */
  scores(typical: number): Float32Array {
    const { ts, src, dst, packet } = this;
    const flows = FlowScores.forFlowFeatures();
    const out = new Float32Array(this.count);
    for (const k of captureOrder(this.count, (j) => ts[j]!, (j) => src[j]!)) out[k] = flows.scoreRow(src[k]!, dst[k]!, ts[k]!, packet[k]!, 1, typical);
    return out;
  }

  private grow(): void {
    const n = this.ts.length * 2;
    const ts = new Float64Array(n), src = new Float64Array(n), dst = new Float64Array(n), packet = new Float32Array(n);
    ts.set(this.ts);
    src.set(this.src);
    dst.set(this.dst);
    packet.set(this.packet);
    Object.assign(this, { ts, src, dst, packet });
  }
}
