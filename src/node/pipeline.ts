// The packet path of one node as a supervision subtree:
//   pipeline (rest_for_one)
//   ├── enrichers (one_for_one): enricher-0 … enricher-N-1
//   └── capture actors, one per interface or replay
// Consumers start before producers and a restart of the shards restarts the captures that
// feed them (rest_for_one), so a capture never routes into a shard that is not there.

import { DEFAULT_SESSION_VERIFIER, SessionVerifier, type SessionVerifierConfig } from '../detect/session-verifier.ts';
import { captureSpec, captureTally, type CaptureProgress, type CaptureTally } from '../actors/capture.ts';
import { enricherSpec, type EnricherProgress } from '../actors/enricher.ts';
import type { AddressLookup, EnrichedBatch } from '../detect/enrichment.ts';
import type { FlowFeatureConfig } from '../detect/flow-features.ts';
import type { PacketSource } from '../net/packet-source.ts';
import type { SupervisorSpec, WorkerSpec } from '../supervisors/child-spec.ts';
import type { MailboxOptions } from '../supervisors/mailbox.ts';
import type { RestartType } from '../supervisors/restart-policy.ts';
import { PIPELINE_PATH, enricherId, enricherPath } from '../actors/tree-layout.ts';
import { shareOf } from '../net/shard-count.ts';
import type { SourceRulesLimits } from '../detect/rules/source-rules.ts';
import type { RuleTablesConfig } from '../detect/rules/rule-tables.ts';

export interface PipelineSource {
  id: string;
  open: (skip: number) => PacketSource | Promise<PacketSource>;
  restart: RestartType;
  onEnd?: (p: CaptureProgress) => void;
  /**
   * Batches waiting at a shard before this source holds back (default: the pipeline's
   * highWater). Live captures wait little (capture.queueBatches): what the node cannot take
   * stays in the kernel ring, dropped and counted there, instead of queueing behind every
   * decision.
   */
  highWater?: number;
  /** Live captures: the age (ms) past which a shard finds a batch late and runs the rules on it alone (capture.lateMs); absent: never. */
  lateMs?: number;
}

export interface PipelineOptions<G> {
  sources: PipelineSource[];
  shards: number;
  batchSize: number;
  /** Batches waiting at a shard before captures hold back. */
  highWater: number;
  /** Table bounds for the whole node: each shard gets its share (shareOf). */
  features: FlowFeatureConfig;
  geo: AddressLookup<G> | null;
  shardMailbox: MailboxOptions;
  next?: (shard: number) => string | undefined;
  onEnriched?: (batch: EnrichedBatch<G>) => void;
  /** In a cluster: enrichers and captures are started where placement says. */
  placed?: boolean;
  /** The session verifier's settings (which packets could be forged); default: its defaults. */
  sessions?: SessionVerifierConfig;
  /** Instead of the enricher actor at each shard's path (pipeline.workers: a shard in a worker thread). */
  shardSpec?: (shard: number) => WorkerSpec & { progress: EnricherProgress };
}

/** One shard's share of the node's feature-table bounds. */
export function shardFeatures(f: FlowFeatureConfig, shards: number): FlowFeatureConfig {
  return {
    ...f,
    ...(f.maxHosts !== undefined ? { maxHosts: shareOf(f.maxHosts, shards) } : {}),
    ...(f.maxPairs !== undefined ? { maxPairs: shareOf(f.maxPairs, shards) } : {}),
    ...(f.maxSockets !== undefined ? { maxSockets: shareOf(f.maxSockets, shards) } : {}),
  };
}

/**
 * One shard's share of the node's rule-table bounds (config `ruleTables`: sources, scan keys,
 * sockets): shards own disjoint sources, so the node's rule memory does not grow with the
 * shard count (about 115 MB when every table is full at the defaults, whatever the count: source-rules.ts).
 */
export function shardRuleLimits(tables: Pick<RuleTablesConfig, 'maxSources' | 'maxScanKeys' | 'maxSockets'>, shards: number): SourceRulesLimits {
  return { maxSources: shareOf(tables.maxSources, shards), maxScanKeys: shareOf(tables.maxScanKeys, shards), maxSockets: shareOf(tables.maxSockets, shards) };
}

export interface Pipeline {
  spec: SupervisorSpec;
  /** Specs of the actors the cluster places (left out of `spec` when `placed`): the enricher actor of a shard placed as a pair. */
  enricherSpec(shard: number): WorkerSpec;
  captureSpec(id: string): WorkerSpec | undefined;
  captures: Map<string, CaptureProgress>;
  enrichers: EnricherProgress[];
  shardPaths: string[];
  /** The session verifier of a capture source (made on first use; one source continuing another can share it). */
  verifier(id: string): SessionVerifier;
}

export function buildPipeline<G>(o: PipelineOptions<G>): Pipeline {
  const features = shardFeatures(o.features, o.shards);
  const oneEnricher = (shard: number) => enricherSpec({ shard, features, geo: o.geo, mailbox: o.shardMailbox, next: o.next?.(shard), onEnriched: o.onEnriched });
  const shardSpecs = o.placed ? [] : Array.from({ length: o.shards }, (_, shard) => o.shardSpec?.(shard) ?? oneEnricher(shard));
  const shardPaths = Array.from({ length: o.shards }, (_, s) => enricherPath(s));
  const captures = new Map<string, CaptureProgress>();
  // One verifier per capture source, kept across its restarts and placements on this node.
  const verifiers = new Map<string, SessionVerifier>();
  const verifierOf = (id: string) => {
    let v = verifiers.get(id);
    if (!v) verifiers.set(id, (v = new SessionVerifier(o.sessions ?? DEFAULT_SESSION_VERIFIER)));
    return v;
  };
  // And its counters, so a capture placed here again resumes where it was (captureTally).
  const tallies = new Map<string, CaptureTally>();
  const oneCapture = (src: PipelineSource) => {
    let tally = tallies.get(src.id);
    if (!tally) tallies.set(src.id, (tally = captureTally()));
    const spec = captureSpec({ id: src.id, open: src.open, shards: shardPaths, batchSize: o.batchSize, highWater: src.highWater ?? o.highWater, restart: src.restart, onEnd: src.onEnd, verifier: verifierOf(src.id), tally, ...(src.lateMs ? { lateMs: src.lateMs } : {}) });
    captures.set(src.id, spec.progress);
    return spec;
  };
  const captureSpecs = o.placed ? [] : o.sources.map(oneCapture);
  return {
    spec: {
      type: 'supervisor',
      id: 'pipeline',
      kind: 'pipeline',
      strategy: 'rest_for_one',
      children: [{ type: 'supervisor', id: 'enrichers', kind: 'shards', strategy: 'one_for_one', children: shardSpecs }, ...captureSpecs],
    },
    captures,
    enrichers: shardSpecs.map((s) => s.progress),
    shardPaths,
    verifier: verifierOf,
    enricherSpec: oneEnricher,
    captureSpec: (id) => {
      const src = o.sources.find((s) => s.id === id);
      return src ? oneCapture(src) : undefined;
    },
  };
}
