// Puts a node's defence together from its configuration: the allow-list and policy, the
// desk that turns alerts into bans, the model board and trainer, and the detection and
// response subtrees. Used by the node, by the evaluation and by the benchmarks, so they run
// the same thing.

import { shardsInThreads } from '../net/shard-count.ts';
import { networkInterfaces } from 'node:os';
import type { BanRegistry } from '../respond/ban-registry.ts';
import { responderOf, rulesOf } from '../config/load-config.ts';
import type { Config } from '../config/schema.ts';
import { buildDetection, type Detection, type DetectionOptions } from './detection.ts';
import type { FlowMeterConfig } from '../detect/flow-meter.ts';
import { newModelBoard, type AnomalyScorer, type ModelBoard } from '../detect/detector-shard.ts';
import type { ModelShelf } from '../detect/model-shelf.ts';
import { ModelTrainer } from '../detect/model-trainer.ts';
import type { FirewallBackend } from '../firewall/backend.ts';
import { AllowList, type AllowListSources } from '../respond/allow-list.ts';
import { BanDesk } from '../respond/ban-desk.ts';
import { ResponderPolicy, type PolicyState } from '../respond/policy.ts';
import { wallClock, type Clock } from '../util/clock.ts';
import { FLOODS_PATH, RESPONDER_PATH, STORE_PATH, TRAINER_PATH } from '../actors/tree-layout.ts';
import { shareOf } from '../net/shard-count.ts';
import { shardWorkerSpec } from '../actors/shard-worker.ts';
import type { EnricherProgress } from '../actors/enricher.ts';
import { geoConfigOf } from '../geo/from-config.ts';
import { shardFeatures, shardRuleLimits } from './pipeline.ts';
import type { WorkerSpec } from '../supervisors/child-spec.ts';
import type { WarmShard } from '../detect/warm-up.ts';


/** The callbacks and the placement flag are the detection's own (passed through). */
export interface DefenceOptions extends Pick<DetectionOptions, 'onScored' | 'onTrainerEvent' | 'onFirewallApplied' | 'onFirewallSetAside' | 'placed'> {
  config: Config;
  registry: BanRegistry;
  firewall: FirewallBackend;
  /** Null: rules only (model.enabled false, or no model side in this run). */
  models: ModelShelf | null;
  featureCount: number;
  /** The node's own addresses, never banned (default: os.networkInterfaces()). */
  interfaces?: AllowListSources['interfaces'];
  /** Where offences and the ban budget live (default: memory, one node). */
  policyState?: PolicyState;
  /** The responder's time (default: the wall clock; the evaluation's: the captures', eval/capture-clock.ts). */
  clock?: Clock;
}

export interface Defence {
  desk: BanDesk;
  /** What is never banned; groups (infrastructure, cluster members) are set as they are found. */
  protectedSet: AllowList;
  board: ModelBoard;
  trainer: ModelTrainer | null;
  detection: Detection;
  /**
   * The shard actor that runs shard k's enricher and detector in a thread: at each shard's
   * path with pipeline.workers, and wherever a cluster places a 'shard-thread'.
   */
  workerShard: (shard: number, warm?: boolean) => WorkerSpec & { progress: EnricherProgress };
  /** A shard as this node runs it (its share of the tables, rules, model in force), for the warm-up (detect/warm-up.ts). */
  warmShard: (geo: WarmShard['geo']) => WarmShard;
  close(): void;
}

/** store.flows.maxFlows bounds the node: each detector shard meters its share. */
export function flowMeterConfig(config: Config): FlowMeterConfig {
  const f = config.store.flows;
  const a = f.attempts;
  return {
    idleTimeoutS: f.idleTimeoutS, activeTimeoutS: f.activeTimeoutS, maxFlows: shareOf(f.maxFlows, config.pipeline.shards),
    attempts: a.aggregate ? { slotS: a.slotS, maxPackets: a.maxPackets, portsPerTarget: a.portsPerTarget, udp: a.udp, datagramsPerPort: a.datagramsPerPort } : null,
    attemptMaxPackets: a.maxPackets,
  };
}

export async function assembleDefence(o: DefenceOptions): Promise<Defence> {
  const { config } = o;
  const rules = rulesOf(config);
  const allow = new AllowList({ interfaces: o.interfaces ?? networkInterfaces(), configured: responderOf(config).allow });
  const clock = o.clock ?? wallClock;
  const policy = new ResponderPolicy(responderOf(config), allow, clock, o.policyState ?? {});
  const desk = new BanDesk(o.registry, policy, { clock });
  await desk.start();
  const m = config.model;
  const useModel = m.enabled && o.models !== null;
  const current = useModel ? await o.models!.loadPromoted() : null;
  const board = newModelBoard(current, useModel && current === null, m.flowScoring);
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
        (rows, count, flowContext) => o.models!.train(rows, count, flowContext),
        (v) => o.models!.promote(v),
      )
    : null;
  const settings = {
    anomaly: { anomalousPackets: m.anomalousPackets, windowS: m.windowS, cooldownS: rules.cooldownS, blockable: m.ban },
    sampleEvery: m.sampleEvery,
    countryWeights: m.countryWeights,
    // KitNET's every call has a fixed cost (tfjs), so rows wait to be scored together; the
    // density model has none, and scoring each batch as it comes keeps the flow means of
    // the shards in step (a pair's two directions reach two shards).
    modelBatchRows: m.kind === 'kitnet' ? m.scoreBatchRows : 1,
    ruleLimits: shardRuleLimits(config.ruleTables, config.pipeline.shards),
  };
  const flows = config.store.enabled && config.store.flows.enabled ? { to: STORE_PATH, meter: flowMeterConfig(config) } : null;
  const workers = shardsInThreads(config.pipeline.workers);
  const detection = buildDetection({
    workers,
    shards: config.pipeline.shards,
    rules,
    victimLimits: { maxVictims: config.ruleTables.maxVictims, maxPrefixes: config.ruleTables.maxPrefixes },
    settings,
    modelWaitMs: m.scoreWaitMs,
    board,
    trainer,
    retrainIntervalS: m.retrainIntervalS,
    desk,
    registry: o.registry,
    firewall: o.firewall,
    detectorMailbox: config.pipeline.shardMailbox,
    // Flow summaries go to the node's own store actor, wherever placement runs the shard.
    flows,
    ...(o.onScored ? { onScored: o.onScored } : {}),
    ...(o.onTrainerEvent ? { onTrainerEvent: o.onTrainerEvent } : {}),
    ...(o.onFirewallApplied ? { onFirewallApplied: o.onFirewallApplied } : {}),
    ...(o.onFirewallSetAside ? { onFirewallSetAside: o.onFirewallSetAside } : {}),
    placed: o.placed ?? false,
  });
  const models = o.models;
  // `warm`: the thread warms up before it is ready (pipeline.warmUpPackets); off for a cluster's placements, which a failover waits for.
  const workerShard = (shard: number, warm = true) =>
    shardWorkerSpec({
      thread: { shard, features: shardFeatures(config.features, config.pipeline.shards), geo: geoConfigOf(config.geo), rules, settings, flows: flows?.meter ?? null, modelWaitMs: m.scoreWaitMs, flowScoring: m.flowScoring },
      board,
      modelText: async (version) => {
        if (!models?.exportModel) throw new Error(`model v${version} cannot be handed to the shard threads: the model shelf cannot export it`);
        return models.exportModel(version);
      },
      responder: RESPONDER_PATH,
      floods: FLOODS_PATH,
      trainer: trainer ? TRAINER_PATH : null,
      flowsTo: flows?.to ?? null,
      mailbox: config.pipeline.shardMailbox,
      warmUpPackets: warm ? config.pipeline.warmUpPackets : 0,
    });
  const warmShard = (geo: WarmShard['geo']): WarmShard => ({ features: shardFeatures(config.features, config.pipeline.shards), rules, settings, flows: flows?.meter ?? null, geo, model: board.current, flowScoring: m.flowScoring, grace: board.grace });
  return { desk, protectedSet: allow, board, trainer, detection, workerShard, warmShard, close: () => desk.close() };
}
