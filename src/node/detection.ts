// Detection and response of one node as two supervision subtrees:
//   response (one_for_one): firewall, responder
//   detection (one_for_one): floods, trainer, detectors (one_for_one): detector-0 … N-1
// The response side starts first, so an alert always has a responder to go to and a ban a
// firewall to apply it; the pipeline (built elsewhere) starts after both and sends each
// enricher shard's batches to the detector shard of the same number.

import { detectorSpec } from '../actors/detector.ts';
import type { FlowMeterConfig } from '../detect/flow-meter.ts';
import { firewallSpec, type FirewallProgress } from '../actors/firewall.ts';
import { floodWatchSpec } from '../actors/flood-watch.ts';
import { responderSpec } from '../actors/responder.ts';
import { trainerSpec } from '../actors/trainer.ts';
import type { BanRegistry } from '../respond/ban-registry.ts';
import type { DetectorSettings, ModelBoard } from '../detect/detector-shard.ts';
import type { EnrichedBatch } from '../detect/enrichment.ts';
import type { ModelTrainer, TrainerEvent } from '../detect/model-trainer.ts';
import type { RulesConfig } from '../detect/rules/rules-config.ts';
import type { VictimRulesLimits } from '../detect/rules/victim-rules.ts';
import type { FirewallBackend } from '../firewall/backend.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import type { BanDesk } from '../respond/ban-desk.ts';
import type { SupervisorSpec, WorkerSpec } from '../supervisors/child-spec.ts';
import type { MailboxOptions } from '../supervisors/mailbox.ts';
import { FLOODS_PATH, FLOOD_WATCH_ID, RESPONDER_ID, RESPONDER_PATH, TRAINER_ID, TRAINER_PATH, detectorId } from '../actors/tree-layout.ts';

export interface DetectionOptions {
  shards: number;
  rules: RulesConfig;
  /** The flood watch's bounds (config ruleTables.maxVictims, maxPrefixes); default: rule-tables.ts. */
  victimLimits?: VictimRulesLimits;
  settings: DetectorSettings;
  board: ModelBoard;
  /** Null: no model (rules only). */
  trainer: ModelTrainer | null;
  retrainIntervalS: number;
  desk: BanDesk;
  registry: BanRegistry;
  firewall: FirewallBackend;
  detectorMailbox: MailboxOptions;
  /** Longest time rows wait to be scored by the model with others. */
  modelWaitMs: number;
  onScored?: (batch: EnrichedBatch<GeoInfo | undefined>, scores: Float32Array | null, packetScores: Float32Array | null) => void;
  /** Flow summaries: where each detector shard sends the flows it ends, and the meter's settings. */
  flows?: { to: string; meter: FlowMeterConfig } | null;
  onTrainerEvent?: (e: TrainerEvent) => void;
  onFirewallApplied?: (what: { kind: 'reconcile' | 'apply'; added: number; removed: number }) => void;
  /** A ban of the registry the firewall would not apply (protected, too wide, refused by the backend). */
  onFirewallSetAside?: (address: string, why: string) => void;
  /** In a cluster: the detectors, the flood watch and the trainer are started where placement says. */
  placed?: boolean;
  /** pipeline.workers: each shard's detector runs in its thread (actors/shard-worker.ts), not as an actor here. */
  workers?: boolean;
}

export interface Detection {
  response: SupervisorSpec;
  detection: SupervisorSpec;
  firewall: FirewallProgress;
  /** Specs of the actors the cluster places (left out of `detection` when `placed`). */
  detectorSpec(shard: number): WorkerSpec;
  floodsSpec(): WorkerSpec;
  trainerSpec(): WorkerSpec | null;
}

export function buildDetection(o: DetectionOptions): Detection {
  const fw = firewallSpec({
    backend: o.firewall,
    registry: o.registry,
    guard: o.desk.policy.guard,
    ...(o.onFirewallApplied ? { onApplied: o.onFirewallApplied } : {}),
    ...(o.onFirewallSetAside ? { onSetAside: o.onFirewallSetAside } : {}),
  });
  const oneDetector = (shard: number) =>
    detectorSpec({
      shard,
      rules: o.rules,
      settings: o.settings,
      board: o.board,
      responder: RESPONDER_PATH,
      floods: FLOODS_PATH,
      trainer: o.trainer ? TRAINER_PATH : null,
      mailbox: o.detectorMailbox,
      modelWaitMs: o.modelWaitMs,
      ...(o.onScored ? { onScored: o.onScored } : {}),
      flows: o.flows ?? null,
    });
  const floods = () => floodWatchSpec(o.rules, RESPONDER_PATH, o.victimLimits);
  const trainer = () => (o.trainer ? trainerSpec(o.trainer, o.retrainIntervalS, o.onTrainerEvent) : null);
  const detectors = o.placed || o.workers ? [] : Array.from({ length: o.shards }, (_, shard) => oneDetector(shard));
  const singletons = o.placed ? [] : [floods(), ...(o.trainer ? [trainer()!] : [])];
  return {
    response: { type: 'supervisor', id: 'response', kind: 'response', strategy: 'one_for_one', children: [fw, responderSpec(o.desk)] },
    detection: {
      type: 'supervisor',
      id: 'detection',
      kind: 'detection',
      strategy: 'one_for_one',
      children: [...singletons, { type: 'supervisor', id: 'detectors', kind: 'shards', strategy: 'one_for_one', children: detectors }],
    },
    firewall: fw.progress,
    detectorSpec: oneDetector,
    floodsSpec: floods,
    trainerSpec: trainer,
  };
}
