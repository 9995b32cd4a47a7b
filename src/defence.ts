// Puts a node's defence together from its configuration: the allow-list and policy, the
// desk that turns alerts into bans, the model board and trainer, and the detection and
// response subtrees. Used by the node, by the evaluation and by the benchmarks, so they run
// the same thing.

import { networkInterfaces } from 'node:os';
import { STORE_PATH } from './actors/store.ts';
import type { BanRegistry } from './cluster/ban-registry.ts';
import { responderOf, rulesOf } from './config/load-config.ts';
import type { Config } from './config/schema.ts';
import { buildDetection, type Detection } from './detection.ts';
import { DEFAULT_LAMBDAS } from './detect/damped-stats.ts';
import { FlaggedAddresses } from './detect/flagged-addresses.ts';
import { FlowScores } from './detect/flow-scores.ts';
import type { FlowMeterConfig } from './detect/flow-meter.ts';
import type { AnomalyScorer, ModelBoard } from './detect/detector-shard.ts';
import type { EnrichedBatch } from './detect/enrichment.ts';
import { ModelTrainer, type TrainerEvent } from './detect/model-trainer.ts';
import type { FirewallBackend } from './firewall/backend.ts';
import type { GeoInfo } from './geo/geo-lookup.ts';
import { AllowList, type AllowListSources } from './respond/allow-list.ts';
import { BanDesk } from './respond/ban-desk.ts';
import { ResponderPolicy } from './respond/policy.ts';
import { wallClock } from './supervisors/clock.ts';

/** Where models are trained, kept and put in force (src/detect/model-shelf.ts). */
export interface ModelShelf {
  readonly backend: string;
  /** The model in force from an earlier run, or null. */
  loadPromoted(): Promise<AnomalyScorer | null>;
  /** Trains on the rows and saves the model under a new version. */
  train(rows: Float64Array, count: number): Promise<AnomalyScorer>;
  promote(version: number): Promise<void>;
  /** The model of that version as text, to hand to other nodes (cluster). */
  exportModel?(version: number): Promise<string>;
  /** A model another node promoted: kept and promoted here too. */
  importModel?(text: string, origin: string): Promise<AnomalyScorer>;
}

export interface DefenceOptions {
  config: Config;
  registry: BanRegistry;
  firewall: FirewallBackend;
  /** Null: rules only (model.enabled false, or no model side in this run). */
  models: ModelShelf | null;
  featureCount: number;
  /** The node's own addresses, never banned (default: os.networkInterfaces()). */
  interfaces?: AllowListSources['interfaces'];
  onScored?: (batch: EnrichedBatch<GeoInfo | undefined>, scores: Float32Array | null, packetScores: Float32Array | null) => void;
  onTrainerEvent?: (e: TrainerEvent) => void;
  onFirewallApplied?: (what: { kind: 'reconcile' | 'apply'; added: number; removed: number }) => void;
  /** In a cluster: detectors, flood watch and trainer are placed by the cluster, not started here. */
  placed?: boolean;
}

export interface Defence {
  desk: BanDesk;
  board: ModelBoard;
  trainer: ModelTrainer | null;
  detection: Detection;
  close(): void;
}

function flowMeterConfig(config: Config): FlowMeterConfig {
  const f = config.store.flows;
  return { idleTimeoutS: f.idleTimeoutS, activeTimeoutS: f.activeTimeoutS, maxFlows: f.maxFlows };
}

export async function assembleDefence(o: DefenceOptions): Promise<Defence> {
  const { config } = o;
  const rules = rulesOf(config);
  const allow = new AllowList({ interfaces: o.interfaces ?? networkInterfaces(), configured: responderOf(config).allow });
  const policy = new ResponderPolicy(responderOf(config), allow, wallClock);
  const desk = new BanDesk(o.registry, policy);
  await desk.start();
  const m = config.model;
  const useModel = m.enabled && o.models !== null;
  const current = useModel ? await o.models!.loadPromoted() : null;
  const board: ModelBoard = {
    current,
    candidate: null,
    grace: useModel && current === null,
    flagged: new FlaggedAddresses(),
    // the slowest decay of the flow features: a flow is judged over the span they cover
    flowScores: m.flowScoring ? FlowScores.forLambda(Math.min(...DEFAULT_LAMBDAS)) : null,
    scoredRows: 0,
    anomalousRows: 0,
  };
  // What the rules flag is never learnt as normal: the source of a blockable rule alert, the
  // victim of a flood (the traffic toward it is the flood).
  desk.onAlert((a) => {
    if (a.detector !== 'rules') return;
    board.flagged!.add(a.blockable ? a.source : a.target);
  });
  const trainer = useModel
    ? new ModelTrainer(
        board,
        { featureCount: o.featureCount, graceRows: m.graceRows, retrainRows: m.retrainRows, minRetrainRows: Math.min(m.retrainRows, 1000), shadowRows: m.shadowRows, promoteMaxAlertRatio: m.promoteMaxAlertRatio },
        (rows, count) => o.models!.train(rows, count),
        (v) => o.models!.promote(v),
      )
    : null;
  const detection = buildDetection({
    shards: config.pipeline.shards,
    rules,
    settings: {
      anomaly: { anomalousPackets: m.anomalousPackets, windowS: m.windowS, cooldownS: rules.cooldownS, blockable: m.ban },
      sampleEvery: m.sampleEvery,
      countryWeights: m.countryWeights,
      // KitNET's every call has a fixed cost (tfjs), so rows wait to be scored together; the
      // density model has none, and scoring each batch as it comes keeps the flow means of
      // the shards in step (a pair's two directions reach two shards).
      modelBatchRows: m.kind === 'kitnet' ? m.scoreBatchRows : 1,
    },
    modelWaitMs: m.scoreWaitMs,
    board,
    trainer,
    retrainIntervalS: m.retrainIntervalS,
    desk,
    registry: o.registry,
    firewall: o.firewall,
    detectorMailbox: config.pipeline.shardMailbox,
    // Flow summaries go to the node's own store actor, wherever placement runs the shard.
    flows: config.store.enabled && config.store.flows.enabled ? { to: STORE_PATH, meter: flowMeterConfig(config) } : null,
    ...(o.onScored ? { onScored: o.onScored } : {}),
    ...(o.onTrainerEvent ? { onTrainerEvent: o.onTrainerEvent } : {}),
    ...(o.onFirewallApplied ? { onFirewallApplied: o.onFirewallApplied } : {}),
    placed: o.placed ?? false,
  });
  return { desk, board, trainer, detection, close: () => desk.close() };
}
