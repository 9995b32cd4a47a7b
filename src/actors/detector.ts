// DetectorShard actor: one per enricher shard. Thin: hands each enriched batch to the pure
// DetectorShard and sends what comes out where it goes: alerts to the responder, the
// per-victim tally to the flood watch, rows and shadow reports to the trainer, and the flow
// summaries it ends to the node's store (in batches, and every second).

import { DetectorShard, type DetectorOutput, type DetectorSettings, type ModelBoard } from '../detect/detector-shard.ts';
import type { EnrichedBatch } from '../detect/enrichment.ts';
import { FlowMeter, type FlowMeterConfig } from '../detect/flow-meter.ts';
import type { RulesConfig } from '../detect/rules/rules-config.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import type { WorkerBehavior, WorkerContext, WorkerSpec } from '../supervisors/child-spec.ts';
import type { MailboxOptions } from '../supervisors/mailbox.ts';
import { PRIORITY } from '../supervisors/priorities.ts';
import { detectorId } from './tree-layout.ts';
import { tableCounters } from '../detect/table-report.ts';

export interface DetectorOptions {
  shard: number;
  rules: RulesConfig;
  settings: DetectorSettings;
  board: ModelBoard;
  responder: string;
  floods: string;
  trainer: string | null;
  mailbox: MailboxOptions;
  /** Longest time rows wait for the model to score them with others. */
  modelWaitMs: number;
  /** Where the shard's flow summaries go (the node's store actor), and the meter's settings; null: not metered. */
  flows?: { to: string; meter: FlowMeterConfig } | null;
  /** Sees every batch with the current model's scores (evaluation, tests); the batch is reused afterwards, so copy what you keep. */
  onScored?: (batch: EnrichedBatch<GeoInfo | undefined>, scores: Float32Array | null, packetScores: Float32Array | null) => void;
}

interface State {
  d: DetectorShard;
  timer: NodeJS.Timeout | null;
  /** Ends idle flows and sends the ended ones, every FLOW_TICK_MS. */
  flowTimer: NodeJS.Timeout | null;
  /** Wall clock of the last batch (how long the link has been quiet). */
  lastBatchAt: number;
  incarnation: number;
}

const FLOW_TICK_MS = 1000;
/** Flow summaries sent at once, without waiting for the tick, past this many. */
const FLOW_BATCH = 512;

export function detectorSpec(o: DetectorOptions): WorkerSpec {
  let current: DetectorShard | undefined;
  const sendFlows = (d: DetectorShard, ctx: WorkerContext) => {
    const flows = d.takeFlows();
    // Below alerts: a full store mailbox sheds flows before the alerts the operator waits for.
    if (flows.length > 0 && o.flows) ctx.send(o.flows.to, { flows }, PRIORITY.packets);
  };
  const behavior = (): WorkerBehavior<State, EnrichedBatch<GeoInfo | undefined> | { flush: number } | { flowTick: number }> => ({
    kind: 'detector',
    init: (ctx) => ({
      d: (current = new DetectorShard(o.shard, o.rules, o.settings, o.flows ? new FlowMeter(o.flows.meter) : null)),
      timer: null,
      flowTimer: o.flows ? setInterval(() => ctx.send(ctx.self, { flowTick: ctx.incarnation }), FLOW_TICK_MS) : null,
      lastBatchAt: Date.now(),
      incarnation: ctx.incarnation,
    }),
    handle(state, msg, ctx) {
      const { d } = state;
      let out: DetectorOutput;
      if ('flowTick' in msg) {
        if (msg.flowTick !== state.incarnation) return state;
        d.expireFlows((Date.now() - state.lastBatchAt) / 1000);
        sendFlows(d, ctx);
        return state;
      }
      if ('flush' in msg) {
        if (msg.flush !== state.incarnation) return state; // a tick of an earlier incarnation
        state.timer = null;
        out = d.flush(o.board);
      } else {
        state.lastBatchAt = Date.now();
        out = d.process(msg, o.board);
      }
      // Rows wait for the model at most modelWaitMs, then are scored whatever their number.
      if (d.waiting > 0 && !state.timer) {
        state.timer = setTimeout(() => ctx.send(ctx.self, { flush: state.incarnation }), o.modelWaitMs);
      } else if (d.waiting === 0 && state.timer) {
        clearTimeout(state.timer);
        state.timer = null;
      }
      // Done with these batches (onScored reads them now, and copies what it keeps): their
      // packet and feature buffers go back to be refilled (EnrichedBatch.release).
      for (const s of out.scored) {
        o.onScored?.(s.batch, s.scores, s.packetScores);
        s.batch.release?.();
      }
      // Alerts first: they are what the operator waits for.
      if (out.alerts.length > 0) ctx.send(o.responder, { alerts: out.alerts }, PRIORITY.alerts);
      if (out.tally) ctx.send(o.floods, out.tally, PRIORITY.tally);
      if (o.trainer) {
        if (out.sample) ctx.send(o.trainer, { sample: out.sample }, PRIORITY.sample);
        if (out.shadow) ctx.send(o.trainer, { shadow: out.shadow }, PRIORITY.tally);
      }
      if (d.endedFlows >= FLOW_BATCH) sendFlows(d, ctx);
      return state;
    },
    terminate(state, _reason, ctx) {
      if (state.timer) clearTimeout(state.timer);
      if (state.flowTimer) clearInterval(state.flowTimer);
      // Open flows are reported as they are ('flush'): a restart or a stop loses none.
      state.d.flushFlows();
      sendFlows(state.d, ctx);
    },
  });
  const stats = () => {
    const r = current?.rules.stats();
    const f = current?.meter?.stats();
    return {
      packets: current?.packets ?? 0, scored: current?.scored ?? 0, late: current?.late ?? 0, anomalous: current?.gate.anomalous ?? 0, alerts: (r?.alerts ?? 0) + (current?.gate.alerts ?? 0),
      ...(f ? { flowsOpen: f.open, flowsEnded: f.ended } : {}),
      // victim tallies made, and reused once the flood watch gave them back (victim-tally-pool.ts)
      ...(current?.tallies ? { talliesMade: current.tallies.made, talliesReused: current.tallies.reused } : {}),
      ...(current ? tableCounters(current.tables()) : {}),
    };
  };
  return { type: 'worker', id: detectorId(o.shard), start: behavior, stats, mailbox: o.mailbox };
}
