// The trainer's logic, apart from its actor: collect rows, train the first model when the
// grace period is over and put it in force, retrain periodically on recent benign rows,
// run each new candidate in shadow and promote or reject it on the detectors' reports.
// Training itself is injected (tfjs in the node, anything in tests).

import type { AnomalyScorer, ModelBoard } from './detector-shard.ts';
import type { BoundedTable } from './table-report.ts';
import { ShadowJudge, TrainingBuffer, type ShadowReport, type ShadowVerdict } from './training-buffer.ts';

export interface TrainerSettings {
  featureCount: number;
  graceRows: number;
  retrainRows: number;
  /** Fewest rows a retraining needs. */
  minRetrainRows: number;
  shadowRows: number;
  promoteMaxAlertRatio: number;
}

/**
 * Trains a model on rows and keeps it (saved with a version); returns it as a scorer.
 * `flowContext`: each row's flow (flow-threshold.ts), null when a row came without it.
 */
export type TrainFn = (rows: Float64Array, count: number, flowContext: Float64Array | null) => Promise<AnomalyScorer>;
/** Records that `version` is now the model in force (survives restarts). */
export type PromoteFn = (version: number) => Promise<void>;

/** The model's state as a plain object, for the API and the dashboard. */
export interface ModelState {
  /** grace: the first model is being learnt; training: it is being fitted; scoring: a model is in force. */
  phase: 'grace' | 'training' | 'scoring';
  grace: { rows: number; of: number; progress: number };
  current: { version: number; threshold: number } | null;
  /** Share of the rows scored since the start that were over the threshold. */
  alertRate: number | null;
  scoredRows: number;
  /** Rows from or to addresses the rules flagged are left out of training: how many addresses. */
  flaggedAddresses: number;
  candidate: { version: number; shadowRows: number; shadowRowsNeeded: number } | null;
  lastEvent: TrainerEvent | null;
}

export type TrainerEvent =
  | { kind: 'trained'; version: number; rows: number; role: 'current' | 'candidate'; ms: number }
  | { kind: 'verdict'; verdict: Exclude<ShadowVerdict, { verdict: 'pending' }> };

export class ModelTrainer {
  private readonly buffer: TrainingBuffer;
  private judge: ShadowJudge | null = null;
  private training = false;
  readonly history: TrainerEvent[] = [];

  constructor(
    readonly board: ModelBoard,
    readonly settings: TrainerSettings,
    private readonly train: TrainFn,
    private readonly promote: PromoteFn,
  ) {
    this.buffer = new TrainingBuffer(Math.max(settings.graceRows, settings.retrainRows), settings.featureCount);
  }

  /** The bounded tables, for the report (table-report.ts): the rows kept to train on (bound max(model.graceRows, model.retrainRows)). */
  tables(): Record<string, BoundedTable> {
    return { trainingRows: { size: this.buffer.count, capacity: this.buffer.capacity } };
  }

  get rows(): number {
    return this.buffer.count;
  }

  state(): ModelState {
    const b = this.board;
    const scored = b.scoredRows ?? 0;
    const graceRows = Math.min(this.buffer.total, this.settings.graceRows);
    return {
      phase: b.current ? 'scoring' : b.grace ? 'grace' : 'training',
      grace: { rows: b.current ? this.settings.graceRows : graceRows, of: this.settings.graceRows, progress: b.current ? 1 : Math.round((graceRows / this.settings.graceRows) * 1000) / 1000 },
      current: b.current ? { version: b.current.version, threshold: b.current.threshold } : null,
      alertRate: scored > 0 ? (b.anomalousRows ?? 0) / scored : null,
      scoredRows: scored,
      flaggedAddresses: b.flagged?.size ?? 0,
      candidate: b.candidate && this.judge ? { version: b.candidate.version, shadowRows: this.judge.rows, shadowRowsNeeded: this.settings.shadowRows } : null,
      lastEvent: this.history[this.history.length - 1] ?? null,
    };
  }

  /** Rows from a detector (with their flows, flow-threshold.ts). Returns true when they completed the grace period (train now). */
  addRows(rows: Float64Array, count: number, flowContext?: Float64Array): boolean {
    if (this.board.grace && this.buffer.total >= this.settings.graceRows) return false; // enough: training is under way
    this.buffer.add(rows, count, flowContext);
    if (!this.board.grace || this.buffer.total < this.settings.graceRows) return false;
    // Enough rows: the detectors stop sending every row (they would only queue up behind
    // the training), and the caller trains.
    this.board.grace = false;
    return !this.training;
  }

  /** Trains the first model (grace over) or a candidate (retraining). */
  async trainNow(): Promise<TrainerEvent | null> {
    if (this.training) return null;
    const first = this.board.current === null;
    const need = first ? 2 : this.settings.minRetrainRows;
    if (this.buffer.count < need) return null;
    this.training = true;
    try {
      const t0 = performance.now();
      const { rows, count, flowContext } = this.buffer.snapshot();
      const model = await this.train(rows, count, flowContext);
      const ms = Math.round(performance.now() - t0);
      let ev: TrainerEvent;
      if (first) {
        // Nothing to compare the first model with: it goes into force at once.
        await this.promote(model.version);
        this.board.current = model;
        this.buffer.clear();
        ev = { kind: 'trained', version: model.version, rows: count, role: 'current', ms };
      } else {
        this.board.candidate = model;
        this.judge = new ShadowJudge(model.version, this.board.current!.version, this.settings.shadowRows, this.settings.promoteMaxAlertRatio);
        ev = { kind: 'trained', version: model.version, rows: count, role: 'candidate', ms };
      }
      this.history.push(ev);
      return ev;
    } finally {
      this.training = false;
    }
  }

  /** A detector's shadow report; when enough rows are in, the candidate is promoted or dropped. */
  async onShadow(r: ShadowReport): Promise<TrainerEvent | null> {
    if (!this.judge || !this.board.candidate) return null;
    this.judge.record(r);
    const v = this.judge.verdict();
    if (v.verdict === 'pending') return null;
    const candidate = this.board.candidate;
    this.judge = null;
    this.board.candidate = null;
    if (v.verdict === 'promote') {
      await this.promote(candidate.version);
      this.board.current = candidate;
    }
    const ev: TrainerEvent = { kind: 'verdict', verdict: v };
    this.history.push(ev);
    return ev;
  }
}
