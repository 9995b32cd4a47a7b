// What one shard's bounded tables allocate, by where the arrays are (typed arrays reachable
// from the shard's detector and flow-feature extractor, each counted once), for the node's
// defaults and a number of shards: the bytes a table costs once a flood has written all of it.
// Arrays that grow as their table fills (the distinct sets' pool of bitmaps, the trainer's
// buffer) are counted at their first size. These are bytes allocated, not resident: zeroed
// pages cost nothing until written, so what a run holds is what it wrote (array-residency.ts
// says which, by allocation site). A buffer shared by two views is named by the first path
// that reaches it.
//   node --import tsx bench/node/table-bytes.ts [SHARDS]   (default 2)
import { loadConfig, rulesOf } from '../../src/config/load-config.ts';
import { DetectorShard } from '../../src/detect/detector-shard.ts';
import { FlowFeatureExtractor } from '../../src/detect/flow-features.ts';
import { FlowMeter } from '../../src/detect/flow-meter.ts';
import { flowMeterConfig } from '../../src/node/defence.ts';
import { shardFeatures, shardRuleLimits } from '../../src/node/pipeline.ts';

const shards = Number(process.argv[2] ?? 2);
const { config } = loadConfig(undefined, { pipeline: { shards } } as never);
const detector = new DetectorShard(0, rulesOf(config), {
  anomaly: { anomalousPackets: 20, windowS: 10, cooldownS: 300, blockable: false }, sampleEvery: 16, countryWeights: {}, modelBatchRows: 1,
  ruleLimits: shardRuleLimits(config.ruleTables, shards),
}, new FlowMeter(flowMeterConfig(config)));
const features = new FlowFeatureExtractor(shardFeatures(config.features, shards));

/** Bytes of typed arrays under each path (depth-first, each buffer once), summed by path. */
function walk(root: object, name: string, out: Map<string, number>, seen: Set<unknown>, depth = 0): void {
  if (seen.has(root) || depth > 6) return;
  seen.add(root);
  if (ArrayBuffer.isView(root)) {
    if (!seen.has(root.buffer)) {
      seen.add(root.buffer);
      out.set(name, (out.get(name) ?? 0) + root.buffer.byteLength);
    }
    return;
  }
  const values = root instanceof Map ? [...root.values()] : Array.isArray(root) ? root.slice(0, 64) : Object.values(root);
  const keys = root instanceof Map || Array.isArray(root) ? null : Object.keys(root);
  values.forEach((v, i) => {
    if (v && typeof v === 'object') walk(v, keys ? `${name}.${keys[i]}` : name, out, seen, depth + 1);
  });
}

const out = new Map<string, number>();
const seen = new Set<unknown>();
walk(features, 'features', out, seen);
walk(detector, 'detector', out, seen);
const tables = { ...features.tables(), ...detector.tables() };
const mb = (b: number) => Math.round(b / 104857.6) / 10;
console.log(`shards ${shards}; one shard's tables (entries bound):`);
for (const [n, t] of Object.entries(tables)) console.log(`  ${n.padEnd(16)} ${t.capacity}`);
console.log('typed arrays by path, MB (one shard), largest first:');
let total = 0;
for (const [p, b] of [...out].sort((x, y) => y[1] - x[1])) {
  total += b;
  if (b >= 65536) console.log(`  ${String(mb(b)).padStart(6)}  ${p}`);
}
console.log(`total ${mb(total)} MB a shard, ${mb(total * shards)} MB for ${shards} shards`);
