// The evaluation's model numbers do not depend on the order the shards' work met
// (src/eval/capture-order.ts): the flow scores are recomputed in capture order from the packet
// scores, and the model trains on its rows sorted by capture time.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { AnomalyScorer } from '../src/detect/detector-shard.ts';
import { FlowScores } from '../src/detect/flow-scores.ts';
import type { ModelShelf } from '../src/detect/model-shelf.ts';
import { FLOW_CONTEXT_WIDTH } from '../src/detect/model/flow-threshold.ts';
import { CaptureOrderFlows, inCaptureOrder } from '../src/eval/capture-order.ts';
import { PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';

const ip = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;

function batchOf(rows: Array<{ src: string; dst: string; ts: number }>): PacketBatch {
  const b = new PacketBatch(Math.max(1, rows.length));
  for (const r of rows) {
    const i = b.length++;
    b.flags[i] = PacketFlags.IPV4 | PacketFlags.UDP;
    b.src4[i] = ip(r.src);
    b.dst4[i] = ip(r.dst);
    b.ts[i] = r.ts;
    b.ipVersion[i] = 4;
  }
  return b;
}

// A guesser and its server (two shards: keyed by source), and a benign pair beside them.
const rows = [
  ...Array.from({ length: 300 }, (_, k) => ({ src: '10.0.0.66', dst: '10.0.0.1', ts: k * 0.1, score: 5 })),
  ...Array.from({ length: 300 }, (_, k) => ({ src: '10.0.0.1', dst: '10.0.0.66', ts: k * 0.1 + 0.05, score: 1 + (k % 3) })),
  ...Array.from({ length: 50 }, (_, k) => ({ src: '10.0.0.7', dst: '10.0.0.1', ts: k * 0.3 + 0.01, score: 1 })),
];
const shardOf = (r: (typeof rows)[number]) => (r.src === '10.0.0.1' ? 1 : 0);
const TYPICAL = 1;

/** The rows' flow scores, by row, as CaptureOrderFlows gives them when the rows come in `order`. */
function captureOrderScores(order: number[]): number[] {
  const f = new CaptureOrderFlows();
  for (const k of order) f.add(batchOf([rows[k]!]), 0, rows[k]!.score);
  const s = f.scores(TYPICAL);
  const byRow: number[] = [];
  order.forEach((k, at) => (byRow[k] = s[at]!));
  return byRow;
}

test('flow scores in capture order: the same whichever shard came first, and each row poured alone in time order', () => {
  const ids = rows.map((_, k) => k);
  const shard0First = [...ids.filter((k) => shardOf(rows[k]!) === 0), ...ids.filter((k) => shardOf(rows[k]!) === 1)];
  const shard1First = [...ids.filter((k) => shardOf(rows[k]!) === 1), ...ids.filter((k) => shardOf(rows[k]!) === 0)];
  const a = captureOrderScores(shard0First);
  const b = captureOrderScores(shard1First);
  assert.deepEqual(a, b);
  // the definition: one FlowScores, every row alone, by capture time, with the batch's address hashes as keys
  const flows = FlowScores.forFlowFeatures();
  const ref: number[] = [];
  const probe = batchOf(rows);
  for (const k of [...ids].sort((x, y) => rows[x]!.ts - rows[y]!.ts)) ref[k] = Math.fround(flows.scoreRow(probe.srcHash(k), probe.dstHash(k), rows[k]!.ts, rows[k]!.score, 1, TYPICAL));
  assert.deepEqual(a, ref);
  // what the node's shards compute depends on that order: shard 0's batch poured whole before shard 1's, or after
  const asShards = (first: 0 | 1) => {
    const fs = FlowScores.forFlowFeatures();
    const out: number[] = [];
    for (const s of [first, 1 - first]) {
      const mine = ids.filter((k) => shardOf(rows[k]!) === s);
      const scores = new Float32Array(mine.length);
      fs.score(batchOf(mine.map((k) => rows[k]!)), mine.map((k) => rows[k]!.score), mine.length, scores, TYPICAL);
      mine.forEach((k, at) => (out[k] = scores[at]!));
    }
    return out;
  };
  assert.notDeepEqual(asShards(0), asShards(1));
});

test('the shelf trains on its rows by capture time, ties by source hash then arrival; rows without flow context as they came', async () => {
  const W = FLOW_CONTEXT_WIDTH;
  const got: Array<{ rows: number[]; ts: number[] }> = [];
  const shelf: ModelShelf = {
    backend: 'test',
    loadPromoted: async () => null,
    promote: async () => {},
    async train(r, count, context) {
      got.push({ rows: Array.from(r.subarray(0, count * 2)), ts: Array.from({ length: count }, (_, k) => context![k * W + 2]!) });
      return { version: 1, threshold: 1, typical: 1, scoreBatch: () => {} } as AnomalyScorer;
    },
  };
  const ordered = inCaptureOrder(shelf);
  assert.equal(ordered.backend, 'test');
  // rows of 2 features [id, id]; flow context [src hash, dst hash, ts, weight]
  const ctx = (xs: Array<[number, number, number]>) => Float64Array.from(xs.flatMap(([src, ts, w]) => [src, 9, ts, w]));
  const rowsOf = (n: number) => Float64Array.from({ length: n * 2 }, (_, j) => j >> 1);
  // row 0 at t=3; rows 1 and 2 at t=1 from sources 7 and 5; row 3 at t=1 from source 5 (after row 2); row 4 at t=2
  await ordered.train(rowsOf(5), 5, ctx([[1, 3, 1], [7, 1, 1], [5, 1, 1], [5, 1, 1], [1, 2, 1]]));
  assert.deepEqual(got[0]!.rows, [2, 2, 3, 3, 1, 1, 4, 4, 0, 0]);
  assert.deepEqual(got[0]!.ts, [1, 1, 1, 2, 3]);
  await ordered.train(rowsOf(3), 3, ctx([[1, 3, 1], [1, 0, 0], [1, 1, 1]]));
  assert.deepEqual(got[1]!.rows, [0, 0, 1, 1, 2, 2]);
});
