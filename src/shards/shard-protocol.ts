// The messages between a shard actor on the main thread (actors/shard-worker.ts) and its
// worker thread (shard-thread.ts), which runs that shard's enricher and detector: flow
// features, GeoIP, the rules, the anomaly model and the flow meter. Packet batches cross as
// their one ArrayBuffer, transferred (not copied); what comes back is what a detector shard
// sends on: alerts, the per-victim tally, rows for the trainer, a shadow report, flows.

import type { Alert } from '../detect/alert.ts';
import type { DetectorSettings } from '../detect/detector-shard.ts';
import type { FlowFeatureConfig } from '../detect/flow-features.ts';
import type { FlowMeterConfig } from '../detect/flow-meter.ts';
import type { RulesConfig } from '../detect/rules/rules-config.ts';
import type { VictimTally } from '../detect/rules/victim-tally.ts';
import type { ShadowReport, TrainingSample } from '../detect/training-buffer.ts';
import type { GeoConfig } from '../geo/geo-lookup.ts';
import type { FlowColumns } from './flow-columns.ts';

/** What the thread needs to build its shard (structured-cloned into it as workerData). */
export interface ShardThreadData {
  shard: number;
  features: FlowFeatureConfig;
  /** GeoIP databases to open in the thread (read by pages: each thread holds its own pages); null: off. */
  geo: GeoConfig | null;
  rules: RulesConfig;
  settings: DetectorSettings;
  /** Flow meter settings, null: no flow summaries. */
  flows: FlowMeterConfig | null;
  /** Longest time rows wait for the model to score them with others. */
  modelWaitMs: number;
  /** The grace period is on at start (every row goes to the trainer). */
  grace: boolean;
  /**
   * Per-flow scoring (model.flowScoring). A thread's flow means see only its own shard's
   * sources: a pair's reply direction and a flood's other sources are in other threads.
   */
  flowScoring: boolean;
  /** The model in force when the thread starts (so it warms and scores with it from the first batch); null: none. */
  current: ModelSlot;
  /** Made-up packets the thread runs through throwaway copies of its shard before it is ready (detect/warm-up.ts); 0: none. */
  warmUpPackets: number;
}

/** A model in force, as text (model-shelf's export), with its version; null: none. */
export type ModelSlot = { version: number; text: string } | null;

export type ToThread =
  /** `late`: the shard's actor took it late (PacketBatch.isLate): rules only. */
  | { t: 'batch'; id: number; buffer: ArrayBuffer; capacity: number; length: number; late: boolean }
  /** Only what changed is present. */
  | { t: 'board'; grace?: boolean; current?: ModelSlot; candidate?: ModelSlot; flagged?: Array<number | string> }
  | { t: 'stop' };

/**
 * What a detector shard sends on after a batch, a model flush or a flow tick; the flows it
 * ended as columns (flow-columns.ts: one transferred buffer, not an object per flow), null:
 * none.
 */
export interface ShardOutput {
  alerts: Alert[];
  tally: VictimTally | null;
  sample: TrainingSample | null;
  shadow: ShadowReport | null;
  flows: FlowColumns | null;
}

/** The shard's counters, for the tree (as the enricher and detector actors show them). */
export interface ShardStats {
  packets: number;
  scored: number;
  /** Packets of late batches: ruled, not scored, no flow records. */
  late: number;
  anomalous: number;
  alerts: number;
  hosts: number;
  pairs: number;
  sockets: number;
  evictions: number;
  flowsOpen: number;
  flowsEnded: number;
  /** The shard's bounded tables, as table-report.ts's counters (entries and bound each). */
  tables: Record<string, number>;
}

export type FromThread =
  /** `warmedMs`: how long the warm-up took (0: none). */
  | { t: 'ready'; warmedMs: number }
  /**
   * `buffers`: the packet buffers of the batches the thread is done with (transferred back,
   * for the router's pool to refill); a batch waiting for the model comes back later.
   * `stats`: present on the first batch's reply and then at most every STATS_MS of shard-thread.ts (counting
   * the tables on every batch was 3 % of a thread's time).
   */
  | { t: 'done'; id: number; out: ShardOutput; stats?: ShardStats; buffers: ArrayBuffer[] }
  /** Output not caused by a batch: the model-wait flush, a flow tick (with the stats, at most every STATS_MS). */
  | { t: 'out'; out: ShardOutput; stats?: ShardStats; buffers?: ArrayBuffer[] }
  | { t: 'stopped'; out: ShardOutput; stats: ShardStats }
  | { t: 'failed'; message: string; stack?: string };
