// A/B micro-benchmark of three per-flow stages of the detector shard's packet path alone, on
// the shared captures, where packet-path.mts's whole stages are too coarse to tell a few
// percent on a shared machine: the per-flow scores (FlowScores.score over every batch as the
// node scores it, one instance for both shards), the evidence grader's notes of verified
// segments (EvidenceGrader.observeKeys for every ESTABLISHED row, one grader a shard, rows
// split by source hash as the node routes them) and the flow meter (FlowMeter.observe and
// expire over each shard's rows, the node's configuration; records read and dropped); the
// rows marked by the checkout's session verifier, untimed. The per-packet scores are a fixed function of the row, so every checkout pours
// the same. Checkouts alternate pass by pass (order turned each pass) in one process:
//   node --import tsx bench/detect/flow-scores-path.mts CHECKOUT [CHECKOUT...]
// One JSON line a checkout: CPU ns a packet of each stage (medians of 15 passes after 3),
// a digest of the flow scores, the grades read back and the flow records (equal when nothing
// changed),
// and each stage's median ratio to the first checkout's in the same pass.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternateLanes, captureBatches, cpuNs, shiftedCopies, type Lane } from './shard-pass.ts';

const roots = process.argv.slice(2).map((r) => resolve(r));
if (roots.length === 0) throw new Error('usage: flow-scores-path.mts CHECKOUT [CHECKOUT...]');
const PCAP = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const BATCH = 256;
const WARM = 3;
const RUNS = 15;
const STAGES = ['flowScores', 'grader', 'meter'];

async function lane(root: string): Promise<{ pass(n: number): number[]; result(): Record<string, unknown> }> {
  const { PacketBatch, PacketFlags } = await import(`${root}/src/net/packet-batch.ts`);
  const { readCaptureSync } = await import(`${root}/src/net/pcap-file.ts`);
  const { SessionVerifier, DEFAULT_SESSION_VERIFIER } = await import(`${root}/src/detect/session-verifier.ts`);
  const { FlowScores } = await import(`${root}/src/detect/flow-scores.ts`);
  const { EvidenceGrader } = await import(`${root}/src/detect/evidence-grade.ts`);
  const { FlowMeter } = await import(`${root}/src/detect/flow-meter.ts`);
  const { loadConfig } = await import(`${root}/src/config/load-config.ts`);
  const { flowMeterConfig } = await import(`${root}/src/node/defence.ts`);
  const { config } = loadConfig(undefined, { pipeline: { shards: 2 } });
  const { batches, packets, span } = captureBatches(PCAP, readCaptureSync, PacketBatch, BATCH);
  const verifier = new SessionVerifier(DEFAULT_SESSION_VERIFIER);
  const flows = FlowScores.forFlowFeatures();
  const graders = [new EvidenceGrader(), new EvidenceGrader()];
  const meters = [new FlowMeter(flowMeterConfig(config)), new FlowMeter(flowMeterConfig(config))];
  const parts = [new PacketBatch(BATCH), new PacketBatch(BATCH)];
  const partScores = [new Float32Array(BATCH), new Float32Array(BATCH)];
  const ended: any[] = [];
  const packet = new Float32Array(BATCH);
  const out = new Float32Array(BATCH);
  let digest = 0;
  const runs: number[][] = [];
  return {
    pass(n: number): number[] {
      const copies = shiftedCopies(batches, PacketBatch, span * n);
      let scoreNs = 0;
      let gradeNs = 0;
      let meterNs = 0;
      for (const b of copies) {
        verifier.mark(b);
        for (let i = 0; i < b.length; i++) packet[i] = 1 + (b.srcHash(i) % 1000) / 250;
        let a = cpuNs();
        flows.score(b, packet, b.length, out, 1.5);
        scoreNs += cpuNs() - a;
        for (let i = 0; i < b.length; i++) digest = (digest + out[i]! * (i + 1)) % 1e9;
        a = cpuNs();
        for (let i = 0; i < b.length; i++) {
          if (!(b.flags[i] & PacketFlags.ESTABLISHED)) continue;
          graders[b.srcHash(i) & 1]!.observeKeys(b.flowKey(i, 'src'), b.flowKey(i, 'dst'), b.ts[i]);
        }
        gradeNs += cpuNs() - a;
        parts[0]!.length = 0;
        parts[1]!.length = 0;
        for (let i = 0; i < b.length; i++) {
          const k = b.srcHash(i) & 1;
          partScores[k]![parts[k]!.length] = out[i]!;
          parts[k]!.appendRow(b, i);
        }
        for (let k = 0; k < 2; k++) {
          if (parts[k]!.length === 0) continue;
          const m = meters[k]!;
          a = cpuNs();
          m.observe({ packets: parts[k], geo: undefined }, partScores[k]!.subarray(0, parts[k]!.length), 3, ended);
          m.expire(m.clock, ended);
          meterNs += cpuNs() - a;
          for (const r of ended) digest = (digest + r.packets * 7 + r.bytes + r.anomalous * 13) % 1e9;
          ended.length = 0;
        }
      }
      // the grades read back: a sample of sources against their destinations and any
      const last = copies.at(-1)!;
      for (let i = 0; i < last.length; i += 7) {
        const g = graders[last.srcHash(i) & 1]!;
        if (g.verifiedSince(last.flowKey(i, 'src'), last.flowKey(i, 'dst'), last.ts[i] - 30)) digest = (digest + i) % 1e9;
        if (g.verifiedSince(last.flowKey(i, 'src'), 0, last.ts[i] - 30)) digest = (digest + 3 * i) % 1e9;
      }
      const r = [scoreNs / packets, gradeNs / packets, meterNs / packets];
      runs.push(r);
      return r;
    },
    result() {
      const o: Record<string, unknown> = { root, packets };
      STAGES.forEach((k, j) => (o[k] = med(runs.slice(WARM).map((r) => r[j]!))));
      return { ...o, digest: Math.round(digest) };
    },
  };
}

function med(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 1000) / 1000;
}

const lanes: Lane[] = [];
for (const r of roots) lanes.push(await lane(r));
alternateLanes(lanes, STAGES, WARM, RUNS);
