// The density model's scoring (DensityModel.scoreBatch) on the rows the node scores: every
// shared capture through the flow features (one extractor, batches of 256, as a shard enriches
// them), scored 1024 rows a call by a copy of a trained model that has scored nothing yet, CPU
// time (process.cpuUsage: the machine is shared), the median of RUNS.
// With --against DIR (another checkout, e.g. the commit before), the same rows are scored by
// DIR's DensityModel too, each run alternating the two, and the ratio is printed; the scores
// must be the same to the bit, or it throws.
//   node --import tsx bench/detect/density-score.ts --model STATE/models/kitnet-v000001.json [--against DIR]

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Enrichment } from '../../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../../src/detect/flow-features.ts';
import { DensityModel, type DensityJSON } from '../../src/detect/model/density-model.ts';
import { PacketBatch } from '../../src/net/packet-batch.ts';
import { readCaptureSync } from '../../src/net/pcap-file.ts';
import { median, report } from '../report.ts';

const PCAP = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const RUNS = 9;
const SCORE_BATCH = 1024;

interface Scorer {
  fromJSON(json: DensityJSON): { scoreBatch(f: Float64Array, rows: number, fc: number, out: Float32Array): void };
}

/** Every shared capture's rows, as the flow features give them (row-major). */
function rows(): { all: Float64Array; count: number; fc: number } {
  const fx = new FlowFeatureExtractor();
  const enrichment = new Enrichment(0, fx, null);
  const fc = fx.featureCount;
  const parts: Float64Array[] = [];
  for (const f of readdirSync(PCAP).filter((n) => /^D\d+.*\.pcap(ng)?$/.test(n)).sort()) {
    readCaptureSync(PCAP + f, (b) => {
      const packets = new PacketBatch(b.capacity, b.buffer.slice(0));
      packets.length = b.length;
      for (let at = 0; at < packets.length; at += 256) {
        const part = new PacketBatch(256);
        for (let i = at; i < Math.min(packets.length, at + 256); i++) part.appendRow(packets, i);
        const e = enrichment.enrich(part, true);
        parts.push(e.features.slice(0, part.length * fc));
      }
    });
  }
  const count = parts.reduce((n, p) => n + p.length / fc, 0);
  const all = new Float64Array(count * fc);
  let o = 0;
  for (const p of parts) (all.set(p, o), (o += p.length));
  return { all, count, fc };
}

/** CPU ms of one pass over the rows by a fresh copy of the model, and its scores. */
function pass(m: Scorer, json: DensityJSON, all: Float64Array, count: number, fc: number): { ms: number; out: Float32Array } {
  const model = m.fromJSON(json);
  const out = new Float32Array(count);
  const t0 = process.cpuUsage();
  for (let i = 0; i < count; i += SCORE_BATCH) {
    const n = Math.min(SCORE_BATCH, count - i);
    model.scoreBatch(all.subarray(i * fc, (i + n) * fc), n, fc, out.subarray(i, i + n));
  }
  const d = process.cpuUsage(t0);
  return { ms: (d.user + d.system) / 1000, out };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const at = (flag: string) => (argv.indexOf(flag) >= 0 ? argv[argv.indexOf(flag) + 1] : undefined);
  const modelPath = at('--model');
  if (!modelPath) throw new Error('usage: density-score.ts --model FILE [--against DIR]');
  const json = JSON.parse(readFileSync(modelPath, 'utf8')) as DensityJSON;
  const against = at('--against');
  const other = against ? ((await import(join(against, 'src/detect/model/density-model.ts'))) as { DensityModel: Scorer }).DensityModel : null;
  const { all, count, fc } = rows();
  if (fc !== json.featureCount) throw new Error(`the model takes ${json.featureCount} features, the extractor gives ${fc}`);
  let zeros = 0;
  for (let i = 0; i < all.length; i++) if (all[i] === 0) zeros++;
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    const a = pass(DensityModel, json, all, count, fc);
    if (r > 0) mine.push(a.ms); // the first: the JIT's warm-up
    if (other) {
      const b = pass(other, json, all, count, fc);
      if (r > 0) theirs.push(b.ms);
      for (let i = 0; i < count; i++) if (!Object.is(a.out[i], b.out[i])) throw new Error(`row ${i}: ${a.out[i]} here, ${b.out[i]} in ${against}`);
    }
  }
  const ms = median(mine);
  report({
    name: 'density_score_rows_per_s',
    value: Math.round(count / (ms / 1000)),
    unit: 'rows/s',
    rows: count,
    features: fc,
    zero_share: Math.round((zeros / all.length) * 1000) / 1000,
    cpu_ms: Math.round(ms * 10) / 10,
    ...(other ? { against, against_cpu_ms: Math.round(median(theirs) * 10) / 10, cpu_ratio: Math.round((ms / median(theirs)) * 1000) / 1000, runs: RUNS, same_scores: true } : {}),
    note: 'DensityModel.scoreBatch, CPU time, a fresh copy of the model a run, 1024 rows a call; cpu_ratio: this checkout / --against, alternated in one process',
  });
}

await main();
