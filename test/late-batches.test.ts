// Rules ahead of everything when the node is behind its live capture: a batch its shard takes
// late (PacketBatch.isLate, stamped by a live capture's router) goes through the rules and the
// flow meter only — no flow features, no model score — and is counted; the rules' alerts are
// those of the same packets taken in time, and the flow records hold the same packets and bytes. Replays (no lateness bound) are never late, however
// old their timestamps. The recorded capture's timestamps are years old, so a bound of 1 ms
// makes every batch late with no clock involved in the outcome.

import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DetectorShard, type ModelBoard } from '../src/detect/detector-shard.ts';
import { Enrichment } from '../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../src/detect/flow-features.ts';
import { FlowMeter } from '../src/detect/flow-meter.ts';
import type { FlowRecord } from '../src/detect/flow-record.ts';
import { asScorer } from '../src/detect/model-shelf.ts';
import { DensityModel } from '../src/detect/model/density-model.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import type { GeoInfo } from '../src/geo/geo-lookup.ts';
import { PacketBatch } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { ShardRouter } from '../src/net/shard-router.ts';
import { FileSource } from '../src/net/file-source.ts';
import { startNode } from '../src/node/node.ts';
import type { CaptureProgress } from '../src/actors/capture.ts';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';
import { findNode } from '../devkit/tree.ts';

const FILE = new URL('./fixtures/captures/recorded_brute_hydra-ftp.pcap', import.meta.url).pathname;
const SETTINGS = { anomaly: { anomalousPackets: 20, windowS: 10, cooldownS: 300, blockable: false }, sampleEvery: 16, countryWeights: {}, modelBatchRows: 1 };

/** A density model fitted on the capture's own features (a real model in force). */
function fittedModel(): ModelBoard {
  const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
  const parts: Float64Array[] = [];
  let rows = 0;
  let fc = 0;
  readCaptureSync(FILE, (b) => {
    const e = enrich.enrich(b);
    fc = e.featureCount;
    parts.push(e.features.slice(0, b.length * fc));
    rows += b.length;
  });
  const all = new Float64Array(rows * fc);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return { current: asScorer(1, DensityModel.fit(all, rows, fc), false), candidate: null, grace: false };
}

/** The capture through a one-shard router stamped with `lateAfterMs`, an enricher and a detector with a flow meter, as the shard's actors do. */
function run(board: ModelBoard, lateAfterMs: number) {
  const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
  const shard = new DetectorShard(0, DEFAULT_RULES, SETTINGS, new FlowMeter({}));
  const alerts: Alert[] = [];
  let packets = 0;
  let lateBatches = 0;
  const router = new ShardRouter(
    1,
    64,
    (_s, batch: PacketBatch) => {
      const late = batch.isLate(Date.now());
      if (late) lateBatches++;
      packets += batch.length;
      const out = shard.process(enrich.enrich(batch, false, late), board);
      alerts.push(...out.alerts);
      for (const s of out.scored) s.batch.release?.();
    },
    lateAfterMs,
  );
  // the session verifier marks each batch before the router, as on the node's capture side
  const verifier = new SessionVerifier();
  readCaptureSync(FILE, (b) => {
    verifier.mark(b);
    router.route(b);
    router.flush();
  });
  shard.flushFlows();
  const flows: FlowRecord[] = shard.takeFlows();
  return { shard, enrich, alerts, packets, lateBatches, flows };
}

test('a batch taken late is ruled and metered, not scored: the same rule alerts and flows, no features, no model score, every packet counted as late', () => {
  const board = fittedModel();
  const inTime = run(board, 0);
  const late = run(board, 1);

  assert.ok(inTime.packets > 100, `the capture has packets: ${inTime.packets}`);
  assert.equal(late.packets, inTime.packets);

  // In time (a replay: no bound, however old the packets): the model scores every packet and the meter records the flows.
  assert.equal(inTime.lateBatches, 0);
  assert.equal(inTime.shard.late, 0);
  assert.equal(inTime.shard.scored, inTime.packets);
  assert.ok(inTime.flows.length > 0, 'flow records in time');
  assert.ok(inTime.enrich.features.stats().hosts.entries > 0, 'flow statistics in time');

  // Late: the rules saw every packet and raised the same alerts; nothing else ran.
  assert.ok(late.lateBatches > 0);
  assert.equal(late.shard.late, late.packets, 'every packet counted as late');
  assert.equal(late.enrich.late, late.packets);
  assert.equal(late.shard.packets, late.packets, 'the rules saw every packet');
  assert.equal(late.shard.scored, 0, 'no model score');
  // The flow meter counted every late packet: the same flows, packets and bytes, none scored.
  const totals = (flows: FlowRecord[]) => flows.map((f) => `${f.source}:${f.sport}>${f.target}:${f.dport}/${f.protocol} ${f.packets} ${f.bytes} ${f.end}`).sort();
  assert.deepEqual(totals(late.flows), totals(inTime.flows), 'the same flow records late as in time');
  assert.equal(late.flows.reduce((n, f) => n + f.scored, 0), 0, 'no late packet counted as scored');
  assert.ok(inTime.flows.reduce((n, f) => n + f.scored, 0) > 0, 'packets scored in time');
  assert.equal(late.enrich.features.stats().hosts.entries, 0, 'flow statistics untouched');
  const ruled = (alerts: Alert[]) => alerts.filter((a) => a.type !== 'anomaly').map((a) => `${a.type} ${a.source}`);
  assert.ok(ruled(inTime.alerts).includes('brute-force 198.51.100.2'), `the rules' login alert in time: ${JSON.stringify(ruled(inTime.alerts))}`);
  assert.deepEqual(ruled(late.alerts), ruled(inTime.alerts), 'the same rule alerts late as in time');
  assert.equal(late.alerts.filter((a) => a.type === 'anomaly').length, 0, 'no model alert late');
  for (const a of late.alerts) assert.equal(a.features, undefined, 'a late alert carries no feature vector');
});

test('late batches between batches waiting for the model: the meter sees every packet in order, the same flows as in time', () => {
  const board = fittedModel();
  const meter = (lateEvery: number) => {
    const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
    // Batches wait for the model until 10,000 rows: without ordering, a late batch would be metered ahead of them.
    const shard = new DetectorShard(0, DEFAULT_RULES, { ...SETTINGS, modelBatchRows: 10_000 }, new FlowMeter({}));
    let i = 0;
    const router = new ShardRouter(1, 64, (_s, batch: PacketBatch) => {
      const late = lateEvery > 0 && i++ % lateEvery === lateEvery - 1;
      const out = shard.process(enrich.enrich(batch, false, late), board);
      for (const s of out.scored) s.batch.release?.();
    }, 0);
    readCaptureSync(FILE, (b) => {
      router.route(b);
      router.flush();
    });
    shard.flush(board); // what still waits for the model, as the detector actor does after modelWaitMs
    shard.flushFlows();
    return { shard, flows: shard.takeFlows() };
  };
  const inTime = meter(0);
  const mixed = meter(2);
  assert.ok(mixed.shard.late > 0 && mixed.shard.late < mixed.shard.packets, `some batches late: ${mixed.shard.late} of ${mixed.shard.packets}`);
  const totals = (flows: FlowRecord[]) => flows.map((f) => `${f.source}:${f.sport}>${f.target}:${f.dport}/${f.protocol} ${f.packets} ${f.bytes} ${f.end}`).sort();
  assert.deepEqual(totals(mixed.flows), totals(inTime.flows));
});

test('a batch is late only with a bound, past it, and with rows', () => {
  const b = new PacketBatch(4);
  b.length = 1;
  b.ts[0] = 1000; // 1,000 s after the epoch
  assert.equal(b.isLate(1_000_000 + 50), false, 'no bound: never late (replays)');
  b.lateAfterMs = 10;
  assert.equal(b.isLate(1_000_000 + 10), false, 'at the bound: in time');
  assert.equal(b.isLate(1_000_000 + 11), true, 'past it: late');
  b.length = 0;
  assert.equal(b.isLate(1_000_000 + 11), false, 'an empty batch is never late');
});

// The whole node, with shards as actors and in worker threads: a source stamped as a live
// capture is (capture.lateMs; here 1 ms against a capture recorded years ago, so every
// batch is late) still bans its scanner, and its packets are counted late and metered, not scored.
describe('a node whose shards take every batch late', () => {
  const SCAN = new URL('../../shared/data/pcap/D09_scan_TCP_CONNECT_SCAN.pcap', import.meta.url).pathname;
  const find = (t: TreeSnapshot, kind: string): TreeSnapshot[] => {
    const out: TreeSnapshot[] = [];
    findNode(t, (n) => (n.kind === kind && out.push(n), false));
    return out;
  };
  for (const workers of [false, true]) {
    test(workers ? 'shards in worker threads' : 'shards as actors', async () => {
      let progress: CaptureProgress | undefined;
      const node = await startNode(testConfig({ pipeline: { shards: 2, workers }, capture: { interfaces: [] }, store: { backend: 'memory' }, responder: { rateLimit: { bans: 1000, perS: 1 } } }), {
        onRootGaveUp: () => {},
        notice: () => {},
        sources: [{ id: 'as-live', restart: 'transient', lateMs: 1, open: (skip) => new FileSource([SCAN], { skip, batchSize: 64 }), onEnd: (p) => (progress = p) }],
      });
      try {
        await waitFor(() => progress !== undefined && progress.confirmed + progress.lost >= progress.delivered, 'every packet handled', 60_000);
        await waitFor(async () => (await node.registry.list()).some((b) => b.address === '192.168.1.10'), 'the scanner is banned by the rules');
        // A shard thread's counters reach the tree at most every 250 ms (and each second while they move).
        const shardsNow = () => find(node.system.snapshot().tree, workers ? 'shard-thread' : 'detector');
        const sumNow = (k: string) => shardsNow().reduce((a, s) => a + (s.stats?.[k] ?? 0), 0);
        await waitFor(() => sumNow('packets') === progress!.delivered, 'the shards\' counters report every packet');
        const shards = shardsNow();
        assert.equal(shards.length, 2);
        const sum = (k: string) => shards.reduce((a, s) => a + (s.stats?.[k] ?? 0), 0);
        assert.equal(sum('late'), progress!.delivered, 'every packet counted late');
        assert.equal(sum('packets'), progress!.delivered, 'and seen by the rules');
        assert.equal(sum('scored'), 0, 'no packet scored');
        assert.ok(sum('flowsEnded') + sum('flowsOpen') > 0, 'the flow meter saw the late packets');
      } finally {
        await node.stop();
      }
    });
  }
});
