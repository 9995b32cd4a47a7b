// The whole node benchmark: every shared capture, looped at max speed, through a node as
// `autoimmune start` runs it — decode, shards, flow features, GeoIP, rules, the anomaly
// model in force, the responder, the dry-run firewall, the event store — in a process of its
// own, with the default shard count and again held to one shard (one core's worth); its peak
// RSS; and live capture on `lo` through that node at 100k and 200k packets/s (in a network
// namespace of its own, as root); and the drop rate of a banned source's traffic with the XDP
// backend against nftables, per core, from skbs and from XDP-redirected frames
// (drop-rate.ts). References in the same run: the packets suite's replay (decode → shards →
// features → GeoIP, no detection), tcpdump on the same generator, nftables for XDP.

import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.ts';
import { openGeoLookup } from '../src/geo/geo-lookup.ts';
import { replay } from '../src/node/replay.ts';
import { defaultShardCount } from '../src/net/shard-count.ts';
import { median, report } from './report.ts';
import { runJsonChild } from './child-json.ts';
import { benchNodeLive } from './node/live-lab.ts';
import { benchDropRate } from './node/drop-rate.ts';
import { trainBenchModel } from './node/train-model.ts';
import { nodeRunArgs } from './node/node-run-command.ts';
import { nodeEnv } from '../src/node/process-flags.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;
/** Passes over the shared captures per timed run (112,205 packets each). */
const PASSES = Number(process.env.AUTOIMMUNE_BENCH_NODE_PASSES ?? 3);
/** Packets in one pass over the shared captures. */
const PASS_PACKETS = 112_205;

export interface NodeRunResult {
  packets: number;
  confirmed: number;
  lost: number;
  elapsed_s: number;
  pps: number;
  rss_peak_run_mb: number;
  vm_hwm_mb: number;
  decisions: unknown;
  counters: Record<string, Record<string, number>>;
}

/** A node process on a copy of the model state dir; resolves with its JSON line. */
interface NodeRunShape {
  shards: number;
  /** pipeline.workers: each shard in a worker thread. */
  workers: boolean;
  /** Held to one CPU (taskset): one core's worth of the machine. */
  oneCore: boolean;
  /** Packets read (and not counted) before the timed passes (node-run --warmup): a warm node's rate. */
  warmup?: number;
}

function nodeProcess(state: string, shape: NodeRunShape, packets: number, files: string[]): Promise<NodeRunResult> {
  const args = [...nodeRunArgs(), '--state', state, '--shards', String(shape.shards), ...(shape.workers ? ['--workers'] : []), ...(shape.warmup ? ['--warmup', String(shape.warmup)] : []), '--packets', String(packets), ...files];
  const what = `node run (${shape.shards} shards${shape.workers ? ' in threads' : ''}${shape.oneCore ? ', one core' : ''})`;
  if (!shape.oneCore) return runJsonChild<NodeRunResult>(process.execPath, args, what, nodeEnv());
  const cpu = String(firstAllowedCpu());
  return runJsonChild<NodeRunResult>('taskset', ['-c', cpu, process.execPath, ...args], what, nodeEnv());
}

/** The first CPU this process may run on (from its affinity list). */
function firstAllowedCpu(): number {
  const m = /Cpus_allowed_list:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** A fresh state dir holding only the trained model (no bans, no store from another run). */
export function freshState(modelDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'autoimmune-bench-node-'));
  mkdirSync(join(dir, 'models'));
  cpSync(join(modelDir, 'models'), join(dir, 'models'), { recursive: true });
  return dir;
}

async function replayReference(files: string[]): Promise<number> {
  const geo = await openGeoLookup();
  const times: number[] = [];
  let packets = 0;
  for (let r = 0; r < 3; r++) {
    const s = await replay(files, { speed: 0, shards: 2, batchSize: 256, geo });
    times.push(s.elapsedS);
    packets = s.packets;
  }
  return Math.round(packets / median(times));
}

export async function run(): Promise<void> {
  const files = readdirSync(PCAP_DIR).filter((f) => /^D\d+.*\.pcap(ng)?$/.test(f)).sort().map((f) => join(PCAP_DIR, f));
  const benign = files.filter((f) => /_benign_/.test(f));
  const { config } = loadConfig();
  const modelDir = mkdtempSync(join(tmpdir(), 'autoimmune-bench-model-'));
  const states: string[] = [];
  try {
    const trained = await trainBenchModel(modelDir, benign, { ...config.model, epochs: 2 }, 10_000);
    const packets = PASSES * PASS_PACKETS;
    const cores = defaultShardCount();
    const runOne = async (shape: NodeRunShape) => {
      const s = freshState(modelDir);
      states.push(s);
      return nodeProcess(s, shape, packets + (shape.warmup ?? 0), files);
    };
    // As configured by default (shards as actors on the main thread), then with every shard
    // in a thread of its own; each also held to one core with one shard.
    const all = await runOne({ shards: cores, workers: false, oneCore: false });
    const one = await runOne({ shards: 1, workers: false, oneCore: true });
    const allW = await runOne({ shards: cores, workers: true, oneCore: false });
    const oneW = await runOne({ shards: 1, workers: true, oneCore: true });
    // The same two warm: one pass read first and not counted, then the passes above. Each
    // thread's isolate compiles the same code again (TurboFan on the V8 platform threads),
    // which a run of a few seconds counts and a node that runs for days does not.
    const allWarmActors = await runOne({ shards: cores, workers: false, oneCore: false, warmup: PASS_PACKETS });
    const allWarm = await runOne({ shards: cores, workers: true, oneCore: false, warmup: PASS_PACKETS });
    const oneWarm = await runOne({ shards: 1, workers: true, oneCore: true, warmup: PASS_PACKETS });
    const ref = await replayReference(files);
    const model = { model_version: 1, model_trained_rows: trained.rows, model_train_s: trained.trainS };
    report({
      name: 'node_pps',
      value: all.pps,
      unit: 'packets/s',
      shards: cores,
      packets: all.packets,
      confirmed: all.confirmed,
      lost: all.lost,
      elapsed_s: all.elapsed_s,
      replay_pps: ref,
      ratio_to_replay: Math.round((all.pps / ref) * 1000) / 1000,
      warm_pps: allWarmActors.pps,
      warm_ratio_to_replay: Math.round((allWarmActors.pps / ref) * 1000) / 1000,
      decisions: all.decisions,
      ...model,
      note: `every shared capture ×${PASSES} at max speed through the whole node (model in force, rules, responder, dry-run firewall, store), shards as actors (the default); warm_pps: the same counted after a first pass (JIT warm-up not counted); reference: the packets suite's replay (no detection) in the same run (goal ≥ 250,000 on 2 cores)`,
    });
    report({
      name: 'node_pps_workers',
      value: allW.pps,
      unit: 'packets/s',
      shards: cores,
      lost: allW.lost,
      ratio_to_replay: Math.round((allW.pps / ref) * 1000) / 1000,
      ratio_to_actors: Math.round((allW.pps / all.pps) * 1000) / 1000,
      warm_pps: allWarm.pps,
      warm_ratio_to_actors: Math.round((allWarm.pps / allWarmActors.pps) * 1000) / 1000,
      note: 'the same with pipeline.workers: every shard in a worker thread',
    });
    report({
      name: 'node_core_scaling',
      value: Math.round((allW.pps / oneW.pps) * 1000) / 1000,
      unit: 'ratio',
      pps_all_cores: allW.pps,
      pps_one_core: oneW.pps,
      actors_ratio: Math.round((all.pps / one.pps) * 1000) / 1000,
      actors_pps_one_core: one.pps,
      warm_ratio: Math.round((allWarm.pps / oneWarm.pps) * 1000) / 1000,
      warm_pps_all_cores: allWarm.pps,
      warm_pps_one_core: oneWarm.pps,
      cores,
      note: 'node_pps_workers on every core with one shard per core / one shard held to one core (taskset); actors_ratio: the same for actor shards; warm_*: the thread shards counted after a first pass (JIT warm-up not counted) (goal ≥ 1.6 from one core to two)',
    });
    report({
      name: 'rss_mb',
      value: all.vm_hwm_mb,
      unit: 'MB',
      during_run_mb: all.rss_peak_run_mb,
      one_shard_mb: one.vm_hwm_mb,
      workers_mb: allW.vm_hwm_mb,
      tables: {
        features: config.features,
        flows_per_shard: config.store.flows.maxFlows,
        geo_cache: config.geo.cacheSize,
        enrichers: all.counters.enricher,
        detectors: all.counters.detector,
      },
      note: 'peak resident set (VmHWM) of the node process over its whole life: start, model load, the run (goal < 300)',
    });
    if (process.getuid?.() === 0) {
      const liveState = freshState(modelDir);
      states.push(liveState);
      for (const r of await benchNodeLive(liveState, cores)) report(r);
      for (const r of await benchDropRate()) report(r);
    } else {
      process.stderr.write('bench node: not root, live capture and firewall drop rates skipped\n');
    }
  } finally {
    rmSync(modelDir, { recursive: true, force: true });
    for (const s of states) rmSync(s, { recursive: true, force: true });
  }
}
