// The packet path's warm-up: before a node (or a shard thread) takes traffic, made-up
// packets of every kind (net/synthetic-traffic.ts) go through throwaway instances of what the
// traffic will meet — the decoder, the session verifier, the shard router, the enrichment
// (flow features), the detector shard (rules, the model in force, the flow meter) and what
// keeps the ended flows — so V8 compiles the hot code (TurboFan, once per isolate) before the
// first real packet rather than while it waits, and every hot function has met IPv6 rows,
// fragments and scans before it is optimised. Suricata preallocates its flow memory at start
// (`flow.prealloc`) for the same reason: cost at start instead of on the packet path.
//
// Nothing is shared with the real path but the settings, the model (scoring is pure: its log
// memo changes no score) and the GeoIP lookup (the made-up addresses are private or reserved:
// tagged, never looked up in the files): the tables and the board are the warm-up's own, and
// what comes out (alerts, samples, flows) is dropped. Built from the same objects as the real
// shard, so the optimised code fits the real one's shapes (a warm-up with smaller copies of
// the settings and GeoIP off was thrown back by the real traffic: "wrong map" deoptimisations).

import { PacketBatch } from '../net/packet-batch.ts';
import { ShardRouter } from '../net/shard-router.ts';
import { SyntheticTraffic } from '../net/synthetic-traffic.ts';
import { DetectorShard, newModelBoard, type AnomalyScorer, type DetectorSettings } from './detector-shard.ts';
import { Enrichment, type AddressLookup } from './enrichment.ts';
import { FlowFeatureExtractor, type FlowFeatureConfig } from './flow-features.ts';
import { FlowMeter, type FlowMeterConfig } from './flow-meter.ts';
import type { RulesConfig } from './rules/rules-config.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import { DEFAULT_SESSION_VERIFIER, SessionVerifier } from './session-verifier.ts';

const BATCH = 256;
/**
 * Entries of each of the warm-up's tables: small, so the pages it writes (its keys hash all
 * over a table) cost little memory, yet filled, so eviction runs too. The settings objects
 * are copied with these bounds and keep their shape (a copy of another shape would fit the
 * optimised code to it, and the real shard's would be thrown back).
 */
const WARM_TABLE = 2048;

/** What a shard runs (its enricher and detector), to warm: the objects the real shard is built from. */
export interface WarmShard {
  features: FlowFeatureConfig;
  rules: RulesConfig;
  settings: DetectorSettings;
  /** The flow meter's settings; null: the node meters no flows. */
  flows: FlowMeterConfig | null;
  /** The shard's GeoIP lookup (the synthetic addresses are private or reserved: tagged, not looked up); null: off. */
  geo: AddressLookup<GeoInfo | undefined> | null;
  /** The model in force (its scoring warms too); null: none yet. */
  model: AnomalyScorer | null;
  flowScoring: boolean;
  /** The node is in its grace period (every row goes to the trainer). */
  grace: boolean;
}

export interface WarmUpOptions {
  /** Packets to make; 0: no warm-up. */
  packets: number;
  /** What the capture side runs on this thread: decoding, the session verifier, the router into `shards`; absent: decoding alone. */
  capture?: { shards: number } | null;
  /** The shard to warm on this thread (actor shards, or a shard's thread); absent: none. */
  shard?: WarmShard | null;
}

export interface WarmUpReport {
  packets: number;
  ms: number;
}

/** Runs the warm-up on this thread; returns what it made and how long it took. */
export function warmUp(o: WarmUpOptions): WarmUpReport {
  const started = performance.now();
  if (!(o.packets > 0)) return { packets: 0, ms: 0 };
  const traffic = new SyntheticTraffic();
  const batch = new PacketBatch(BATCH);
  const verifier = o.capture ? new SessionVerifier({ ...DEFAULT_SESSION_VERIFIER, maxConnections: WARM_TABLE, maxSources: WARM_TABLE, udpExchanges: { ...DEFAULT_SESSION_VERIFIER.udpExchanges, maxExchanges: WARM_TABLE } }) : null;
  const shard = o.shard ? warmShard(o.shard) : null;
  const router = o.capture ? new ShardRouter(o.capture.shards, BATCH, (s, b) => (shard && s === 0 ? shard(b) : b.release())) : null;
  while (traffic.made < o.packets) {
    traffic.fill(batch);
    verifier?.mark(batch);
    if (router) {
      router.route(batch);
      router.flush();
    } else if (shard) shard(batch);
  }
  return { packets: traffic.made, ms: performance.now() - started };
}

/**
 * A throwaway shard built as the real one is, from the same settings objects (code optimised
 * for objects of another shape would be thrown back by the real ones), with small tables:
 * takes a batch, enriches and detects it, drops what comes out, releases it.
 */
function warmShard(s: WarmShard): (b: PacketBatch) => void {
  const enrichment = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor({ ...s.features, maxHosts: WARM_TABLE, maxPairs: WARM_TABLE, maxSockets: WARM_TABLE }), s.geo);
  const detector = new DetectorShard(0, s.rules, s.settings, s.flows ? new FlowMeter({ ...s.flows, maxFlows: WARM_TABLE }) : null, { maxSources: WARM_TABLE });
  const board = newModelBoard(s.model, s.grace, s.flowScoring, WARM_TABLE);
  return (b) => {
    // Scored at once (no rows wait for the model), then released: the batch is refilled next.
    const out = detector.process(enrichment.enrich(b), board);
    const last = detector.waiting > 0 ? detector.flush(board) : null;
    for (const x of out.scored) x.batch.release?.();
    if (last) for (const x of last.scored) x.batch.release?.();
    detector.takeFlows();
  };
}
