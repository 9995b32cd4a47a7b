// "Events like this one": SimilarIndex (usearch HNSW) at 100k and 1M stored vectors.
// Run directly (`node --import tsx bench/store-similar.ts [--vectors N] [--queries Q]`) it
// prints one JSON line per result; a suite imports benchSimilar().
//
// Vectors: the per-packet flow features of every shared capture (labels.tsv, each replayed
// alone, about 112k packets), and synthetic ones drawn around them: a real vector chosen
// uniformly, each feature multiplied by exp(0.1·g), g standard normal (10% log-normal
// jitter: keeps signs and zeros, moves every magnitude). Queries are further draws, not
// stored. Reference: an exact scan (usearch exactSearch, one thread, the same metric) over
// the same vectors as the index holds them (SimilarIndex.toIndexSpace); recall@10 is the
// share of the exact ten the index returns.

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import usearch from 'usearch';
import { Enrichment } from '../src/detect/enrichment.ts';
import { FlowFeatureExtractor, featureCount } from '../src/detect/flow-features.ts';
import { FileSource } from '../src/net/file-source.ts';
import { SimilarIndex } from '../src/store/similar-index.ts';
import { lcg } from './packets/features.ts';
import { median, percentile, report, type Result } from './report.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const F = featureCount();
const K = 10;
const NOISE = 0.1;
const ADD_BATCH = 10_000;

export type SimilarBenchResult = Result;

/** Per-packet feature rows of every capture in labels.tsv, each file replayed alone. */
async function realRows(): Promise<{ rows: Float64Array; count: number }> {
  const files = readFileSync(join(PCAP_DIR, 'labels.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0])
    .filter((f): f is string => !!f);
  const chunks: Float64Array[] = [];
  for (const file of files) {
    const source = new FileSource([join(PCAP_DIR, file)]);
    const enrichment = new Enrichment(0, new FlowFeatureExtractor(), null);
    for (let b = await source.next(); b; b = await source.next()) chunks.push(enrichment.enrich(b).features.slice(0, b.length * F));
  }
  const rows = new Float64Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    rows.set(c, at);
    at += c.length;
  }
  return { rows, count: rows.length / F };
}

/** `count` synthetic rows around the real ones (see the header). */
function synthetic(real: { rows: Float64Array; count: number }, count: number, seed: number): Float64Array {
  const rnd = lcg(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out = new Float64Array(count * F);
  for (let r = 0; r < count; r++) {
    const from = Math.floor(rnd() * real.count) * F;
    for (let j = 0; j < F; j++) out[r * F + j] = real.rows[from + j] * Math.exp(NOISE * gauss());
  }
  return out;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

export async function benchSimilar(sizes = [100_000, 1_000_000], queryCount = 1000, exactLimit = 200): Promise<SimilarBenchResult[]> {
  // the exact reference checks the first answers: there are only queryCount of them
  const exactCount = Math.min(exactLimit, queryCount);
  const real = await realRows();
  const results: SimilarBenchResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ai-similar-bench-'));
  try {
    for (const n of sizes) {
      const data = synthetic(real, n, 1000 + n);
      const queries = synthetic(real, queryCount, 7);
      const index = new SimilarIndex({ dimensions: F });
      const row = (rows: Float64Array, i: number) => rows.subarray(i * F, (i + 1) * F);

      const t0 = performance.now();
      for (let from = 0; from < n; from += ADD_BATCH) {
        const to = Math.min(n, from + ADD_BATCH);
        const ids: number[] = [];
        const vs: Float64Array[] = [];
        for (let i = from; i < to; i++) {
          ids.push(i + 1);
          vs.push(row(data, i));
        }
        index.addMany(ids, vs);
      }
      const buildS = (performance.now() - t0) / 1000;

      for (let i = 0; i < 50; i++) index.search(row(queries, i), K); // warm-up
      const times: number[] = [];
      const answers: number[][] = [];
      for (let i = 0; i < queryCount; i++) {
        const t = performance.now();
        const hits = index.search(row(queries, i), K);
        times.push(performance.now() - t);
        if (i < exactCount) answers.push(hits.map((h) => h.id));
      }

      // the exact reference over the same normalised vectors
      const space = new Float32Array(n * F);
      for (let i = 0; i < n; i++) index.toIndexSpace(row(data, i), space.subarray(i * F, (i + 1) * F));
      const exactTimes: number[] = [];
      let found = 0;
      for (let i = 0; i < exactCount; i++) {
        const q = index.toIndexSpace(row(queries, i));
        const t = performance.now();
        const m = usearch.exactSearch(space, q, F, K, usearch.MetricKind.L2sq, 1) as InstanceType<typeof usearch.Matches>;
        exactTimes.push(performance.now() - t);
        const truth = new Set(Array.from(m.keys, (k) => Number(k) + 1));
        for (const id of answers[i]) if (truth.has(id)) found++;
      }

      const path = join(dir, `similar-${n}.usearch`);
      const s0 = performance.now();
      index.save(path);
      const saveS = (performance.now() - s0) / 1000;
      const l0 = performance.now();
      const loaded = SimilarIndex.load(path);
      const loadS = (performance.now() - l0) / 1000;
      if (loaded.size !== n) throw new Error(`reloaded index holds ${loaded.size} vectors, ${n} saved`);
      const fileMb = statSync(path).size / 2 ** 20;
      rmSync(path);

      const common = { vectors: n, dimensions: F, k: K, metric: index.metric, real_vectors: real.count, noise: `x·exp(${NOISE}·N(0,1))` };
      const p95 = percentile(times, 95);
      results.push(
        { name: 'build_vectors_per_s', value: Math.round(n / buildS), unit: 'vectors/s', ...common, batch: ADD_BATCH, build_s: round(buildS, 2) },
        { name: 'similar_p50_ms', value: round(median(times)), unit: 'ms', ...common, queries: queryCount },
        { name: 'similar_p95_ms', value: round(p95), unit: 'ms', ...common, queries: queryCount, goal: '< 10', max_ms: round(Math.max(...times)) },
        { name: 'exact_p95_ms', value: round(percentile(exactTimes, 95)), unit: 'ms', ...common, queries: exactCount, exact_p50_ms: round(median(exactTimes)), note: 'usearch exactSearch, 1 thread' },
        { name: 'similar_recall_at_10', value: round(found / (exactCount * K), 4), unit: 'ratio', ...common, queries: exactCount },
        { name: 'similar_index_file_mb', value: round(fileMb, 1), unit: 'MB', ...common, save_s: round(saveS, 2), load_s: round(loadS, 2), rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20) },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function argValue(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const v = Number(process.argv[at + 1]);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} takes a positive integer, got ${JSON.stringify(process.argv[at + 1])}`);
  return v;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = argValue('--vectors');
  const q = argValue('--queries');
  void benchSimilar(n ? [n] : undefined, q).then((results) => {
    for (const r of results) report(r);
  });
}
