// A/B micro-benchmark of a node's per-packet work past decode, on the shared captures: the
// capture side's session verifier, then two shards as the node splits them by source hash,
// each enriching its part (flow features) and running its detector shard (rules, evidence,
// the model in force, per-flow scores shared by the shards, anomaly gate, flow meter) as the
// node does with the density model (a batch scored as it comes). The model is the promoted one
// of a state dir. CPU ns per packet of each stage (process CPU time: the machine is shared),
// medians of 9 passes after 3 warm-up passes; every pass is the captures' packets again with
// their clocks moved on past the last pass, into the same tables. Nothing of the actors, the
// store or the copy filter. Each checkout given runs in this process with its own classes and
// tables, the checkouts alternating pass by pass (the order turned each pass), so a load that
// comes and goes on the machine falls on all of them:
//   node --import tsx bench/detect/packet-path.mts STATE_DIR CHECKOUT [CHECKOUT...]
// One JSON line a checkout: {"mark":…, "enrich":…, "detect":…, "model":…, "detect_minus_model":…,
// "total":…} ("detect" includes "model"; "total" is mark + enrich + detect) and what its passes
// decided (alerts, a digest of the per-flow scores: equal between checkouts when no verdict
// changed); then, with two or more, each stage's median over the passes of the ratio of a
// checkout's CPU to the first's in the same round.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternateLanes, captureBatches, cpuNs, shiftedCopies, type Lane } from './shard-pass.ts';

const state = process.argv[2];
const roots = process.argv.slice(3).map((r) => resolve(r));
if (!state || roots.length === 0) throw new Error('usage: packet-path.mts STATE_DIR CHECKOUT [CHECKOUT...]');
const PCAP = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const SHARDS = 2;
const BATCH = 256;
const STAGES = ['mark', 'enrich', 'detect', 'model', 'detect_minus_model', 'total'];

/** One checkout's node path: its classes, the captures decoded by its reader, its tables. */
async function lane(root: string): Promise<{ pass(n: number): number[]; result(): Record<string, unknown> }> {
  const { PacketBatch } = await import(`${root}/src/net/packet-batch.ts`);
  const { readCaptureSync } = await import(`${root}/src/net/pcap-file.ts`);
  const { SessionVerifier, DEFAULT_SESSION_VERIFIER } = await import(`${root}/src/detect/session-verifier.ts`);
  const { Enrichment } = await import(`${root}/src/detect/enrichment.ts`);
  const { FlowFeatureExtractor } = await import(`${root}/src/detect/flow-features.ts`);
  const { DetectorShard, newModelBoard } = await import(`${root}/src/detect/detector-shard.ts`);
  const { FlowMeter } = await import(`${root}/src/detect/flow-meter.ts`);
  const { loadConfig, rulesOf } = await import(`${root}/src/config/load-config.ts`);
  const { openModelShelf } = await import(`${root}/src/detect/model-shelf.ts`);
  const { shardRuleLimits, shardFeatures } = await import(`${root}/src/node/pipeline.ts`);
  const { flowMeterConfig } = await import(`${root}/src/node/defence.ts`);
  const { config } = loadConfig(undefined, { pipeline: { shards: SHARDS } });

  // the captures' decoded packets, in 256-row batches as the capture hands them on
  const { batches, packets, span } = captureBatches(PCAP, readCaptureSync, PacketBatch, BATCH);

  const scorer = await (await openModelShelf(state, config.model)).loadPromoted();
  if (!scorer) throw new Error(`${state} has no promoted model`);
  let modelNs = 0;
  const timed = {
    ...scorer,
    scoreBatch(f: Float64Array, rows: number, fc: number, out: Float32Array) {
      const a = cpuNs();
      scorer.scoreBatch(f, rows, fc, out);
      modelNs += cpuNs() - a;
    },
  };
  const board = newModelBoard(timed, false, config.model.flowScoring);
  const rules = rulesOf(config);
  const settings = {
    anomaly: { anomalousPackets: config.model.anomalousPackets, windowS: config.model.windowS, cooldownS: rules.cooldownS, blockable: config.model.ban },
    sampleEvery: config.model.sampleEvery,
    countryWeights: config.model.countryWeights,
    modelBatchRows: 1, // the density model's (defence.ts)
    ruleLimits: shardRuleLimits(SHARDS),
  };
  const verifier = new SessionVerifier(DEFAULT_SESSION_VERIFIER);
  const shards = Array.from({ length: SHARDS }, (_, k) => ({
    enrichment: new Enrichment(k, new FlowFeatureExtractor(shardFeatures(config.features, SHARDS)), null),
    detector: new DetectorShard(k, rules, settings, new FlowMeter(flowMeterConfig(config))),
    part: new PacketBatch(BATCH),
  }));

  let alerts = 0;
  let digest = 0;
  const runs: number[][] = [];
  return {
    pass(n: number): number[] {
      let mark = 0;
      let enrich = 0;
      let detect = 0;
      modelNs = 0;
      const copies = shiftedCopies(batches, PacketBatch, span * n);
      for (const b of copies) {
        let a = cpuNs();
        verifier.mark(b);
        mark += cpuNs() - a;
        for (const s of shards) s.part.length = 0;
        for (let i = 0; i < b.length; i++) shards[b.srcHash(i) % SHARDS]!.part.appendRow(b, i);
        for (const s of shards) {
          if (s.part.length === 0) continue;
          a = cpuNs();
          const e = s.enrichment.enrich(s.part, true);
          const c = cpuNs();
          const out = s.detector.process(e, board);
          detect += cpuNs() - c;
          enrich += c - a;
          alerts += out.alerts.length;
          for (const x of out.scored) if (x.scores) for (let i = 0; i < x.scores.length; i++) digest = (digest + x.scores[i]! * (i + 1)) % 1e9;
          s.detector.takeFlows();
        }
      }
      const r = [mark, enrich, detect, modelNs, detect - modelNs, mark + enrich + detect].map((v) => v / packets);
      runs.push(r);
      return r;
    },
    result() {
      const out: Record<string, unknown> = { root, packets };
      STAGES.forEach((k, j) => (out[k] = med(runs.slice(WARM).map((r) => r[j]!))));
      return { ...out, alerts, digest: Math.round(digest) };
    },
  };
}

const WARM = +(process.env.PP_WARM ?? 3);
const RUNS = +(process.env.PP_RUNS ?? 9);
function med(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10;
}

const lanes: Lane[] = [];
for (const r of roots) lanes.push(await lane(r));
alternateLanes(lanes, STAGES, WARM, RUNS);
