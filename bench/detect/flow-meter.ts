// The flow meter's cost per packet (src/detect/flow-meter.ts), on shared captures, against the
// flow-feature enrichment of the same batches in the same run (the work every packet already
// pays on the detector's way). Two mixes: the benign and brute-force captures (long flows),
// and a spoofed SYN flood (every packet a new flow: the meter's worst case).
// `node --import tsx bench/detect/flow-meter.ts` or, with the detect suite, `npm run bench -- detect`.

import { fileURLToPath } from 'node:url';
import { Enrichment, type EnrichedBatch } from '../../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../../src/detect/flow-features.ts';
import { FlowMeter } from '../../src/detect/flow-meter.ts';
import type { FlowRecord } from '../../src/detect/flow-record.ts';
import type { GeoInfo } from '../../src/geo/geo-lookup.ts';
import { PacketBatch } from '../../src/net/packet-batch.ts';
import { readCaptureSync } from '../../src/net/pcap-file.ts';
import { median, report, type Result } from '../report.ts';

const PCAP = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const MIXES: Record<string, string[]> = {
  'benign+brute': ['D01_benign_example.pcap', 'D02_benign_tls2.pcap', 'D17_brute_hydra-8_tasks.pcap'],
  'syn-flood (a new flow per packet)': ['D12_flood_pkt.TCP.synflood.spoofed.pcap'],
};
const RUNS = 7;

function load(files: string[]): EnrichedBatch<GeoInfo | undefined>[] {
  const out: EnrichedBatch<GeoInfo | undefined>[] = [];
  for (const f of files) {
    readCaptureSync(PCAP + f, (b) => {
      const packets = new PacketBatch(b.capacity, b.buffer.slice(0));
      packets.length = b.length;
      out.push({ shard: 0, packets, features: new Float64Array(0), featureCount: 0, geo: null });
    });
  }
  return out;
}

/** Packets per second of `fn` over all batches: the median of RUNS runs after a warm-up, each on a state made untimed. */
function rate<S>(packets: number, fresh: () => S, fn: (state: S) => void): number {
  fn(fresh());
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const state = fresh();
    const t0 = performance.now();
    fn(state);
    runs.push(packets / ((performance.now() - t0) / 1000));
  }
  return Math.round(median(runs));
}

export function benchFlowMeter(): Result[] {
  const results: Result[] = [];
  for (const [mix, files] of Object.entries(MIXES)) {
    const batches = load(files);
    const packets = batches.reduce((n, b) => n + b.packets.length, 0);
    const scores = batches.map((b) => new Float32Array(b.packets.length).fill(0.3));
    let records = 0;
    // A fresh meter (and extractor) per run, made outside the timing: a shard meeting this traffic for the first time.
    const meterPps = rate(packets, () => new FlowMeter(), (meter) => {
      const out: FlowRecord[] = [];
      for (let k = 0; k < batches.length; k++) {
        meter.observe(batches[k]!, scores[k]!, 0.5, out);
        meter.expire(meter.clock, out);
      }
      meter.flushAll(out);
      records = out.length;
    });
    const featuresPps = rate(packets, () => new Enrichment(0, new FlowFeatureExtractor(), null), (e) => {
      for (const b of batches) e.enrich(b.packets, true);
    });
    results.push({
      name: 'flow_meter_packets_per_s', value: meterPps, unit: 'packets/s', mix, files, packets, flow_records: records,
      reference: featuresPps, reference_of: 'flow-feature enrichment (FlowFeatureExtractor) of the same batches, this run', ratio: Math.round((meterPps / featuresPps) * 100) / 100,
      note: 'observe + expire per batch, with model scores; a fresh meter per run (its allocation untimed)',
    });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) for (const r of benchFlowMeter()) report(r);
