// A detector shard on a recorded capture: the login alert it raises in the server's shard
// names the client, carries the client's GeoIP (looked up by the enricher for the server's
// SYN-ACK) and its flow-feature vector.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DetectorShard } from '../src/detect/detector-shard.ts';
import { Enrichment } from '../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../src/detect/flow-features.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import type { GeoInfo } from '../src/geo/geo-lookup.ts';
import { PacketBatch } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { shardRuleLimits } from '../src/node/pipeline.ts';
import { DEFAULT_RULE_TABLES } from '../src/detect/rules/rule-tables.ts';

const FILE = new URL('./fixtures/captures/recorded_brute_hydra-ftp.pcap', import.meta.url).pathname;
const ATTACKER = 0xc6336402; // 198.51.100.2

test('a login alert made in the server\'s shard carries the client\'s GeoIP and flow features', () => {
  // a stand-in GeoIP source: the attacker is in "XA", every other address in "XB"
  const geo = {
    lookup: (a: number | string): GeoInfo => ({ addressClass: 'public', country: a === ATTACKER ? 'XA' : 'XB', city: null, latitude: 1, longitude: 2, asn: 64500, asnOrg: 'AS-TEST' }),
  };
  const enrich = new Enrichment(0, new FlowFeatureExtractor(), geo);
  const shard = new DetectorShard(0, DEFAULT_RULES, { anomaly: { anomalousPackets: 20, windowS: 10, cooldownS: 300, blockable: false }, sampleEvery: 16, countryWeights: {}, modelBatchRows: 1 });
  const board = { current: null, candidate: null, grace: false };
  const alerts: Alert[] = [];
  // the session verifier marks the batch before the split, as on the node's capture side (a
  // server's answers are read on verified connections only)
  const verifier = new SessionVerifier();
  readCaptureSync(FILE, (b) => {
    verifier.mark(b);
    // only the server's packets, as the server's shard sees them
    const mine = new PacketBatch(b.capacity);
    for (let i = 0; i < b.length; i++) if (b.src4[i] === 0xc6336401) mine.appendRow(b, i);
    if (mine.length) alerts.push(...shard.process(enrich.enrich(mine), board).alerts);
  });
  const a = alerts.find((x) => x.type === 'brute-force');
  assert.ok(a, `no login alert: ${JSON.stringify(alerts)}`);
  assert.equal(a.source, '198.51.100.2');
  assert.equal(a.geo?.country, 'XA');
  assert.equal(a.geo?.asn, 64500);
  assert.equal(a.features?.length, new FlowFeatureExtractor().featureCount);
});

test('a shard holds its share of the node\'s rule tables: a spoofed flood of 37,623 sources overflows one of two shards\' tables, not a lone shard\'s', () => {
  const flood = new URL('../../shared/data/pcap/D12_flood_pkt.TCP.synflood.spoofed.pcap', import.meta.url).pathname;
  const settings = { anomaly: { anomalousPackets: 20, windowS: 10, cooldownS: 300, blockable: false }, sampleEvery: 16, countryWeights: {}, modelBatchRows: 1 };
  const board = { current: null, candidate: null, grace: false };
  const run = (shards: number) => {
    const shard = new DetectorShard(0, DEFAULT_RULES, { ...settings, ruleLimits: shardRuleLimits(DEFAULT_RULE_TABLES, shards) });
    const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
    readCaptureSync(flood, (b) => void shard.process(enrich.enrich(b), board));
    return shard.rules.stats();
  };
  const lone = run(1);
  const half = run(2);
  assert.ok(lone.sources > 32_768 && lone.sourceEvictions === 0, `one shard holds every source: ${JSON.stringify(lone)}`);
  assert.ok(half.sources <= 32_768 && half.sourceEvictions > 0, `one of two shards holds half as many: ${JSON.stringify(half)}`);
});
