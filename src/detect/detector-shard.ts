// What a detector shard does with an enriched batch: the source-keyed rules, the per-victim
// tally for the flood rules (summed across shards elsewhere), the anomaly model's scores and
// the alerts they make, rows for the trainer, and, when a candidate model is in shadow, both
// models' scores side by side. Pure: the actor sends the results where they go.

import { addressKey, alertGeo, describeAlert } from './describe-alert.ts';
import { EvidenceGrader } from './evidence-grade.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import type { Alert } from './alert.ts';
import { AnomalyGate, type AnomalyGateConfig } from './anomaly-gate.ts';
import type { EnrichedBatch } from './enrichment.ts';
import { FlaggedAddresses } from './flagged-addresses.ts';
import type { FlowMeter } from './flow-meter.ts';
import { FlowScores } from './flow-scores.ts';
import type { FlowRecord } from './flow-record.ts';
import { SourceRules, type SourceRulesLimits } from './rules/source-rules.ts';
import type { RulesConfig } from './rules/rules-config.ts';
import { newVictimTally, type VictimTally } from './rules/victim-tally.ts';
import { VictimTallyPool } from './rules/victim-tally-pool.ts';
import type { ShadowReport, TrainingSample } from './training-buffer.ts';
import { FLOW_CONTEXT_WIDTH } from './model/flow-threshold.ts';
import { PacketFlags } from '../net/packet-batch.ts';
import { FlowTable } from './flow-table.ts';
import type { BoundedTable } from './table-report.ts';

/** A model as the detectors use it. */
export interface AnomalyScorer {
  readonly version: number;
  /** What the detectors' scores are compared with: fitted on flow scores when they score per flow (flow-threshold.ts). */
  readonly threshold: number;
  /** The threshold on single packets' scores (absent: `threshold` is it): the shadow comparison's. */
  readonly packetThreshold?: number;
  /** A typical benign score (the median of the scores the threshold was fitted on). */
  readonly typical: number;
  scoreBatch(features: Float64Array, rows: number, featureCount: number, out: Float32Array): void;
}

/** The models in force on this node: read by every shard at every batch. */
export interface ModelBoard {
  current: AnomalyScorer | null;
  candidate: AnomalyScorer | null;
  /** True while the first model is being learnt: every row goes to the trainer. */
  grace: boolean;
  /** Addresses the rules flagged: rows from or to them are never sent to the trainer. */
  flagged?: FlaggedAddresses;
  /** Per-flow scoring, shared by the node's shards (null or absent: per packet). */
  flowScores?: FlowScores | null;
  /** Rows the shards scored with the model in force, and how many of them were anomalous. */
  scoredRows?: number;
  anomalousRows?: number;
}

/**
 * A board with nothing flagged and no rows scored. Every board is made here (the node's, a
 * shard thread's, the warm-up's), so all have one shape: code the warm-up optimised for one
 * is not thrown back by the next (detect/warm-up.ts).
 */
export function newModelBoard(current: AnomalyScorer | null, grace: boolean, flowScoring: boolean, flowScoreEntries?: number): ModelBoard {
  return { current, candidate: null, grace, flagged: new FlaggedAddresses(), flowScores: flowScoring ? FlowScores.forFlowFeatures(undefined, flowScoreEntries) : null, scoredRows: 0, anomalousRows: 0 };
}

export interface DetectorSettings {
  anomaly: AnomalyGateConfig;
  /** After the grace period, one benign-scored row in this many goes to the trainer. */
  sampleEvery: number;
  /** Multiplies the anomaly score of sources in these countries; empty: off. */
  countryWeights: Record<string, number>;
  /** Rows gathered before the model scores them in one call. */
  modelBatchRows: number;
  /** This shard's bounds of the rule tables (its share of the node's: shards own disjoint sources); default: SourceRules' own. */
  ruleLimits?: SourceRulesLimits;
}

export interface DetectorOutput {
  alerts: Alert[];
  /**
   * Per-victim counts of this batch, or null when it had none. From the shard's tally pool
   * when it has one: the reader gives it back with returnVictimTally() once read
   * (victim-tally-pool.ts); one not given back is left to the collector.
   */
  tally: VictimTally | null;
  /**
   * Batches done with, each with the model's score per row (per flow when flow scoring is
   * on) and the per-packet scores it came from (null: no model yet). The scores are views of
   * the shard's scratch, valid until its next process or flush: copy what you keep.
   */
  scored: Array<{ batch: EnrichedBatch<GeoInfo | undefined>; scores: Float32Array | null; packetScores: Float32Array | null }>;
  /** Rows for the trainer, with their flows, or null. */
  sample: TrainingSample | null;
  shadow: ShadowReport | null;
}

/** Clients whose GeoIP a shard keeps for login alerts. */
const CLIENT_GEO = 4096;

export class DetectorShard {
  readonly rules: SourceRules;
  private readonly grader: EvidenceGrader;
  readonly gate: AnomalyGate;
  private readonly weighted: boolean;
  private sampleCursor = 0;
  private pending: EnrichedBatch<GeoInfo | undefined>[] = [];
  private pendingRows = 0;
  packets = 0;
  scored = 0;
  /** Packets of late batches (EnrichedBatch.late): ruled and metered, not scored. */
  late = 0;
  /**
   * Clients that servers in this shard accepted (login alerts name them, and get their GeoIP
   * when one does), the most recent CLIENT_GEO: a table of addresses, no allocation per IPv4 SYN-ACK.
   */
  private readonly clients = new FlowTable(CLIENT_GEO);
  /** Flow summaries ended and not taken yet (takeFlows). */
  private flows: FlowRecord[] = [];
  // Scratch reused by every flush (the scores a DetectorOutput carries are read before the
  // next call and copied by whoever keeps them): batches' features joined for one scoring
  // call, the per-packet and the per-flow scores.
  private joined = new Float64Array(0);
  private packetScores = new Float32Array(0);
  private flowScores = new Float32Array(0);

  constructor(
    readonly shard: number,
    rules: RulesConfig,
    readonly settings: DetectorSettings,
    /** Meters flows over the scored batches (null: no flow summaries). */
    readonly meter: FlowMeter | null = null,
    /** The rule tables' bounds when not `settings.ruleLimits` (the warm-up's small tables, with the node's settings object). */
    ruleLimits = settings.ruleLimits,
    /**
     * Where each batch's tally comes from; null: a new one a batch. A worker thread's shard
     * has none: its tallies reach the main thread as structured clones, which copy whole
     * columns, so a reused tally's left-over entries would cross too.
     */
    readonly tallies: VictimTallyPool | null = new VictimTallyPool(),
  ) {
    this.grader = new EvidenceGrader();
    this.rules = new SourceRules(rules, ruleLimits, this.grader);
    this.gate = new AnomalyGate(settings.anomaly);
    this.weighted = Object.keys(settings.countryWeights).length > 0;
  }

  /** The shard's bounded tables (rules, evidence, clients, flow meter), for the report (table-report.ts). */
  tables(): Record<string, BoundedTable> {
    return { ...this.rules.tables(), evidence: this.grader.table, loginGeoClients: this.clients, ...(this.meter ? this.meter.tables() : {}) };
  }

  /**
   * Rules at once (they decide bans: latency matters); the model over batches gathered to
   * `modelBatchRows` rows, since each scoring call has a fixed cost that a live capture's
   * small batches (a few rows per millisecond) would pay hundreds of times a second. The
   * caller flushes what is pending after at most `modelWaitMs` (see the detector actor).
   * A late batch (EnrichedBatch.late) meets the rules and the flow meter, not the model.
   */
  process(b: EnrichedBatch<GeoInfo | undefined>, board: ModelBoard): DetectorOutput {
    const n = b.packets.length;
    this.packets += n;
    const alerts: Alert[] = [];
    const tally = this.tallies ? this.tallies.take() : newVictimTally();
    // the rules note each row in the grader before they read it (grades see no later packet)
    this.rules.scan(b.packets, alerts, tally);
    this.rememberClients(b);
    // Rule alerts name a source; one of its rows says where it is and what its flow looked like.
    for (const a of alerts) {
      describeAlert(a, b, this.grader);
      if (!a.geo && b.geo && this.isClient(a.source)) {
        const g = b.geo.lookup(addressKey(a.source));
        if (g) a.geo = alertGeo(g);
      }
    }
    if (tally.rows === 0) this.tallies?.give(tally);
    const out: DetectorOutput = { alerts, tally: tally.rows > 0 ? tally : null, scored: [], sample: null, shadow: null };
    if (b.late) {
      // The node is behind its capture: the rules (above) decide the bans, and the model and
      // the trainer's rows wait for batches taken in time. The flow meter still counts the
      // packets (about 0.3-0.9 us a packet: bench/detect/flow-meter.ts), so the flows, packets
      // and bytes the store reports stay true under load; those packets count as not scored.
      // Batches taken in time and still waiting for the model go first, so the meter sees
      // every packet in order (a late FIN must not end a flow its earlier packets then reopen).
      this.late += n;
      if (this.pending.length > 0) this.flushInto(out, board);
      out.scored.push({ batch: b, scores: null, packetScores: null });
    } else if (board.current) {
      this.pending.push(b);
      this.pendingRows += n;
      if (this.pendingRows >= this.settings.modelBatchRows) this.flushInto(out, board);
    } else {
      out.scored.push({ batch: b, scores: null, packetScores: null });
      if (board.grace) out.sample = this.unflagged(b, board.flagged);
    }
    this.meterScored(out, board);
    return out;
  }

  /** Notes the destinations of servers' SYN-ACKs (the clients they accept). */
  private rememberClients(b: EnrichedBatch<GeoInfo | undefined>): void {
    if (!b.geo) return;
    const p = b.packets;
    const { flags, tcpFlags } = p;
    for (let i = 0; i < p.length; i++) {
      if (!(flags[i]! & PacketFlags.TCP) || (tcpFlags[i]! & 0x17) !== 0x12) continue;
      const client = p.flowKey(i, 'dst');
      if (this.clients.find(client, 0, 0, 0) < 0) this.clients.insert(client, 0, 0, 0);
    }
  }

  private isClient(address: string): boolean {
    const k = addressKey(address);
    return this.clients.find(typeof k === 'number' ? k | 0 : k, 0, 0, 0) >= 0;
  }

  /** Flows are metered once a batch is scored, so each knows how many of its packets the model found anomalous. */
  private meterScored(out: DetectorOutput, board: ModelBoard): void {
    const meter = this.meter;
    if (!meter || out.scored.length === 0) return;
    const threshold = board.current?.threshold ?? Infinity;
    for (const s of out.scored) meter.observe(s.batch, s.scores, threshold, this.flows);
    meter.expire(meter.clock, this.flows);
  }

  /** Flow summaries ended since the last call. */
  takeFlows(): FlowRecord[] {
    const f = this.flows;
    if (f.length > 0) this.flows = [];
    return f;
  }

  /** How many flow summaries wait to be taken. */
  get endedFlows(): number {
    return this.flows.length;
  }

  /**
   * Ends flows idle by the capture clock advanced by `quietS` (seconds without a packet, by
   * the wall clock): a quiet link still ends its flows.
   */
  expireFlows(quietS: number): void {
    this.meter?.expire(this.meter.clock + Math.max(0, quietS), this.flows);
  }

  /** Ends every open flow (the shard stops). */
  flushFlows(): void {
    this.meter?.flushAll(this.flows);
  }

  /** Rows waiting for the model. */
  get waiting(): number {
    return this.pendingRows;
  }

  /** Scores whatever is pending now. */
  flush(board: ModelBoard): DetectorOutput {
    const out: DetectorOutput = { alerts: [], tally: null, scored: [], sample: null, shadow: null };
    this.flushInto(out, board);
    this.meterScored(out, board);
    return out;
  }

  private flushInto(out: DetectorOutput, board: ModelBoard): void {
    const batches = this.pending;
    const rows = this.pendingRows;
    this.pending = [];
    this.pendingRows = 0;
    const model = board.current;
    if (rows === 0 || !model) {
      for (const b of batches) out.scored.push({ batch: b, scores: null, packetScores: null });
      return;
    }
    const fc = batches[0]!.featureCount;
    let features: Float64Array;
    if (batches.length === 1) features = batches[0]!.features;
    else {
      if (this.joined.length < rows * fc) this.joined = new Float64Array(rows * fc);
      features = this.joined;
      let at = 0;
      for (const b of batches) {
        features.set(b.features.subarray(0, b.packets.length * fc), at * fc);
        at += b.packets.length;
      }
    }
    if (this.packetScores.length < rows) {
      this.packetScores = new Float32Array(rows);
      this.flowScores = new Float32Array(rows);
    }
    const scores = this.packetScores.subarray(0, rows);
    model.scoreBatch(features, rows, fc, scores);
    this.scored += rows;
    const candidate = board.candidate && board.candidate.version !== model.version ? board.candidate : null;
    if (candidate) out.shadow = this.shadow(features, fc, scores, model, candidate);
    let at = 0;
    const samples: TrainingSample[] = [];
    const flows = board.flowScores ?? null;
    const perFlow = flows ? this.flowScores.subarray(0, rows) : scores;
    let anomalous = 0;
    for (const b of batches) {
      const n = b.packets.length;
      const packet = scores.subarray(at, at + n);
      const mine = perFlow.subarray(at, at + n);
      at += n;
      flows?.score(b.packets, packet, n, mine, model.typical);
      const weight = this.weighted ? this.weights(b) : null;
      const before = out.alerts.length;
      this.gate.observe(b.packets, mine, model.threshold, weight, model.version, out.alerts);
      for (let k = before; k < out.alerts.length; k++) describeAlert(out.alerts[k]!, b, this.grader);
      for (let i = 0; i < n; i++) if (mine[i]! > model.threshold) anomalous++;
      const s = this.sampleBenign(b, mine, model.threshold, board.flagged);
      if (s) samples.push(s);
      out.scored.push({ batch: b, scores: mine, packetScores: packet });
    }
    board.scoredRows = (board.scoredRows ?? 0) + rows;
    board.anomalousRows = (board.anomalousRows ?? 0) + anomalous;
    if (samples.length === 1) out.sample = samples[0]!;
    else if (samples.length > 1) {
      const count = samples.reduce((a, x) => a + x.count, 0);
      const all = new Float64Array(count * fc);
      const flowContext = new Float64Array(count * FLOW_CONTEXT_WIDTH);
      let k = 0;
      for (const x of samples) {
        all.set(x.rows, k * fc);
        flowContext.set(x.flowContext!, k * FLOW_CONTEXT_WIDTH);
        k += x.count;
      }
      out.sample = { rows: all, count, flowContext };
    }
  }

  private weights(b: EnrichedBatch<GeoInfo | undefined>): Float32Array {
    const w = new Float32Array(b.packets.length).fill(1);
    const table = this.settings.countryWeights;
    const geo = b.geo;
    if (!geo) return w;
    for (let i = 0; i < w.length; i++) {
      // Only with countryWeights set: a lookup per packet (cached; a spoofed source misses).
      const c = geo.lookup(b.packets.hostKey(i, 'src'))?.country;
      if (c && table[c] !== undefined) w[i] = table[c]!;
    }
    return w;
  }

  /** The batch's rows for the trainer in the grace period: all but those from or to a flagged address, each standing for itself. */
  private unflagged(b: EnrichedBatch<GeoInfo | undefined>, flagged: FlaggedAddresses | undefined): DetectorOutput['sample'] {
    const n = b.packets.length;
    const fc = b.featureCount;
    const rows = new Float64Array(n * fc);
    const flowContext = new Float64Array(n * FLOW_CONTEXT_WIDTH);
    const check = flagged !== undefined && flagged.size > 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (check && isFlagged(b, i, flagged)) continue;
      rows.set(b.features.subarray(i * fc, (i + 1) * fc), count * fc);
      writeFlow(b, i, 1, flowContext, count);
      count++;
    }
    if (count === 0) return null;
    return count === n ? { rows, count, flowContext } : { rows: rows.slice(0, count * fc), count, flowContext: flowContext.slice(0, count * FLOW_CONTEXT_WIDTH) };
  }

  /** After the grace period: one benign-scored row in `sampleEvery` (never a flagged one), each standing for that many. */
  private sampleBenign(b: EnrichedBatch<GeoInfo | undefined>, scores: Float32Array, threshold: number, flagged: FlaggedAddresses | undefined): DetectorOutput['sample'] {
    const every = this.settings.sampleEvery;
    const fc = b.featureCount;
    let picked: number[] | null = null;
    for (let i = 0; i < scores.length; i++) {
      if (++this.sampleCursor < every) continue;
      if (!(scores[i]! <= threshold)) continue; // wait for the next benign row
      if (flagged && flagged.size > 0 && isFlagged(b, i, flagged)) continue; // nor one the rules flagged
      this.sampleCursor = 0;
      (picked ??= []).push(i);
    }
    if (!picked) return null;
    const rows = new Float64Array(picked.length * fc);
    const flowContext = new Float64Array(picked.length * FLOW_CONTEXT_WIDTH);
    for (let k = 0; k < picked.length; k++) {
      rows.set(b.features.subarray(picked[k]! * fc, (picked[k]! + 1) * fc), k * fc);
      writeFlow(b, picked[k]!, every, flowContext, k);
    }
    return { rows, count: picked.length, flowContext };
  }

  private shadow(features: Float64Array, featureCount: number, scores: Float32Array, current: AnomalyScorer, candidate: AnomalyScorer): ShadowReport {
    const n = scores.length;
    const theirs = new Float32Array(n);
    // featureCount given, not derived: a single batch's feature buffer may be longer than its rows.
    candidate.scoreBatch(features, n, featureCount, theirs);
    const r: ShadowReport = { candidate: candidate.version, current: current.version, rows: n, currentAlerts: 0, candidateAlerts: 0, currentScoreSum: 0, candidateScoreSum: 0 };
    // Per-packet scores, against each model's per-packet threshold.
    const mine = current.packetThreshold ?? current.threshold;
    const its = candidate.packetThreshold ?? candidate.threshold;
    for (let i = 0; i < n; i++) {
      if (scores[i]! > mine) r.currentAlerts++;
      if (theirs[i]! > its) r.candidateAlerts++;
      r.currentScoreSum += scores[i]!;
      r.candidateScoreSum += theirs[i]!;
    }
    return r;
  }
}

/** Row i's flow for the trainer (flow-threshold.ts): address hashes (NaN: none), capture time, weight. */
function writeFlow(b: EnrichedBatch<GeoInfo | undefined>, i: number, weight: number, out: Float64Array, at: number): void {
  const p = b.packets;
  const ip = (p.flags[i]! & (PacketFlags.IPV4 | PacketFlags.IPV6)) !== 0;
  const o = at * FLOW_CONTEXT_WIDTH;
  out[o] = ip ? p.srcHash(i) : NaN;
  out[o + 1] = ip ? p.dstHash(i) : NaN;
  out[o + 2] = p.ts[i]!;
  out[o + 3] = weight;
}

function isFlagged(b: EnrichedBatch<GeoInfo | undefined>, i: number, flagged: FlaggedAddresses): boolean {
  return flagged.has(b.packets.hostKey(i, 'src')) || flagged.has(b.packets.hostKey(i, 'dst'));
}
