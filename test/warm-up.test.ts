// The packet path's warm-up (src/detect/warm-up.ts): its made-up traffic decodes into every
// row kind the path meets, and running it through throwaway shards before a capture changes
// nothing the capture decides: the same alerts, scores, flows and verifier marks as the same
// capture before the warm-up (it has tables and a board of its own: what it could leave
// behind is state outside them).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DetectorShard, newModelBoard, type DetectorSettings, type ModelBoard } from '../src/detect/detector-shard.ts';
import { Enrichment } from '../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../src/detect/flow-features.ts';
import { FlowMeter, type FlowMeterConfig } from '../src/detect/flow-meter.ts';
import { asScorer } from '../src/detect/model-shelf.ts';
import { DensityModel } from '../src/detect/model/density-model.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { warmUp } from '../src/detect/warm-up.ts';
import { classifyAddress } from '../src/geo/address-class.ts';
import type { GeoInfo } from '../src/geo/geo-lookup.ts';
import { PAYLOAD_HEAD_BYTES, PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { SyntheticTraffic } from '../src/net/synthetic-traffic.ts';

const FILES = ['recorded_brute_hydra-ssh-2222.pcap', 'recorded_scan_nmap-sA.pcap', 'recorded_flood_hping3-rst-rand-source.pcap'].map((f) => new URL(`./fixtures/captures/${f}`, import.meta.url).pathname);
const SETTINGS: DetectorSettings = { anomaly: { anomalousPackets: 20, windowS: 10, cooldownS: 300, blockable: true }, sampleEvery: 16, countryWeights: {}, modelBatchRows: 1 };
const FLOWS: FlowMeterConfig = { attempts: { slotS: 60, maxPackets: 3, portsPerTarget: 256, udp: true, datagramsPerPort: 64 } };

test('the made-up traffic decodes into every row kind, none malformed', () => {
  const traffic = new SyntheticTraffic();
  const batch = new PacketBatch(256);
  const seen = new Map<string, number>();
  const kinds: Array<[string, number]> = [['ipv4', PacketFlags.IPV4], ['ipv6', PacketFlags.IPV6], ['tcp', PacketFlags.TCP], ['udp', PacketFlags.UDP], ['icmp', PacketFlags.ICMP], ['fragment', PacketFlags.FRAGMENT], ['arp', PacketFlags.ARP], ['mss', PacketFlags.TCP_MSS], ['wscale', PacketFlags.TCP_WSCALE], ['sack', PacketFlags.TCP_SACK_PERMITTED], ['timestamps', PacketFlags.TCP_TIMESTAMPS], ['df', PacketFlags.DONT_FRAGMENT], ['ip-options', PacketFlags.IP_OPTIONS]];
  let synAcks = 0;
  let heads = 0;
  let xmas = 0;
  let firstTs = NaN;
  let lastTs = NaN;
  for (let k = 0; k < 8; k++) {
    traffic.fill(batch);
    if (k === 0) firstTs = batch.ts[0]!;
    lastTs = batch.ts[batch.length - 1]!;
    assert.equal(batch.length, 256);
    for (let i = 0; i < batch.length; i++) {
      const f = batch.flags[i]!;
      assert.equal(f & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED), 0, `row ${i} of batch ${k}: status ${batch.status[i]}`);
      for (const [name, bit] of kinds) if (f & bit) seen.set(name, (seen.get(name) ?? 0) + 1);
      if ((batch.tcpFlags[i]! & 0x12) === 0x12) synAcks++;
      if ((batch.tcpFlags[i]! & 0x29) === 0x29) xmas++; // FIN, PSH, URG
      if (batch.head[i * PAYLOAD_HEAD_BYTES] === 0x53) heads++; // 'S' of an SSH banner
      // every address private or reserved, so the node's GeoIP lookup never caches one
      if (f & (PacketFlags.IPV4 | PacketFlags.IPV6)) for (const side of ['src', 'dst'] as const) assert.notEqual(classifyAddress(batch.formatAddress(i, side)), 'public', `row ${i}: ${batch.formatAddress(i, side)}`);
    }
  }
  for (const [name] of kinds) assert.ok((seen.get(name) ?? 0) > 0, `no ${name} rows in ${[...seen]}`);
  assert.ok(synAcks > 0 && heads > 0 && xmas > 0);
  // The clock jumps past the flow meter's idle timeout (15 s) now and then: 2,048 packets span a minute or more.
  assert.ok(lastTs - firstTs > 45, `${lastTs - firstTs} s`);
  assert.equal(traffic.made, 8 * 256);
  // Handshakes complete: the session verifier finds established connections in it.
  const verifier = new SessionVerifier();
  const again = new SyntheticTraffic();
  for (let k = 0; k < 8; k++) {
    again.fill(batch);
    verifier.mark(batch);
  }
  assert.ok(verifier.verified > 0, 'verified handshakes');
});

/** The captures through a verifier, an enricher and a detector with a flow meter, as a node's shard runs them. */
function run(board: ModelBoard) {
  const verifier = new SessionVerifier();
  const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
  const shard = new DetectorShard(0, DEFAULT_RULES, SETTINGS, new FlowMeter(FLOWS));
  const alerts: string[] = [];
  const marks: number[] = [];
  let scoreSum = 0;
  for (const file of FILES) {
    readCaptureSync(file, (b) => {
      verifier.mark(b);
      for (let i = 0; i < b.length; i++) marks.push(b.flags[i]!);
      const out = shard.process(enrich.enrich(b), board);
      for (const a of out.alerts) alerts.push(JSON.stringify(a));
      for (const s of out.scored) for (const x of s.scores ?? []) scoreSum += x;
    });
  }
  shard.flushFlows();
  const flows = shard.takeFlows().map((f) => JSON.stringify(f));
  return { alerts, marks, scoreSum, flows, scored: shard.scored };
}

test('a warm-up changes nothing a capture decides: the same alerts, scores, flows and marks after it as before, and the shared board untouched', () => {
  // A model fitted on the captures' own features.
  const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
  const parts: number[] = [];
  let fc = 0;
  for (const file of FILES) {
    readCaptureSync(file, (b) => {
      const e = enrich.enrich(b);
      fc = e.featureCount;
      parts.push(...e.features.subarray(0, b.length * fc));
    });
  }
  const model = asScorer(1, DensityModel.fit(Float64Array.from(parts), parts.length / fc, fc), true);
  const before = run(newModelBoard(model, false, true));
  assert.ok(before.alerts.length > 0 && before.flows.length > 0 && before.scored > 0, 'the captures make alerts, flows and scores');

  // The warm-up builds its own tables and board; what it could leave behind is state outside
  // them (module-level caches, the model's memo): the same captures after it must come out
  // the same.
  const report = warmUp({ packets: 20_000, capture: { shards: 2 }, shard: { features: {}, rules: DEFAULT_RULES, settings: SETTINGS, flows: FLOWS, geo: null, model, flowScoring: true, grace: false } });
  assert.ok(report.packets >= 20_000, `made ${report.packets}`);
  assert.deepEqual(warmUp({ packets: 0 }), { packets: 0, ms: 0 });

  const after = run(newModelBoard(model, false, true));
  assert.deepEqual(after.alerts, before.alerts);
  assert.deepEqual(after.flows, before.flows);
  assert.deepEqual(after.marks, before.marks);
  assert.equal(after.scoreSum, before.scoreSum);
});
