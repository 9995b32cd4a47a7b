// DetectorShard actor: one per enricher shard. Thin: hands each enriched batch to the pure
// DetectorShard and sends what comes out where it goes: alerts to the responder, the
// per-victim tally to the flood watch, rows and shadow reports to the trainer.

import { DetectorShard, type DetectorOutput, type DetectorSettings, type ModelBoard } from '../detect/detector-shard.ts';
import type { EnrichedBatch } from '../detect/enrichment.ts';
import type { RulesConfig } from '../detect/rules/rules-config.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import type { MailboxOptions } from '../supervisors/mailbox.ts';
import { PRIORITY } from '../supervisors/priorities.ts';

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
  /** Sees every batch with the current model's scores (evaluation, tests). */
  onScored?: (batch: EnrichedBatch<GeoInfo | undefined>, scores: Float32Array | null) => void;
}

interface State {
  d: DetectorShard;
  timer: NodeJS.Timeout | null;
  incarnation: number;
}

export function detectorId(shard: number): string {
  return `detector-${shard}`;
}

export function detectorSpec(o: DetectorOptions): WorkerSpec {
  let current: DetectorShard | undefined;
  const behavior = (): WorkerBehavior<State, EnrichedBatch<GeoInfo | undefined> | { flush: number }> => ({
    kind: 'detector',
    init: (ctx) => ({ d: (current = new DetectorShard(o.shard, o.rules, o.settings)), timer: null, incarnation: ctx.incarnation }),
    handle(state, msg, ctx) {
      const { d } = state;
      let out: DetectorOutput;
      if ('flush' in msg) {
        if (msg.flush !== state.incarnation) return state; // a tick of an earlier incarnation
        state.timer = null;
        out = d.flush(o.board);
      } else {
        out = d.process(msg, o.board);
      }
      // Rows wait for the model at most modelWaitMs, then are scored whatever their number.
      if (d.waiting > 0 && !state.timer) {
        state.timer = setTimeout(() => ctx.send(ctx.self, { flush: state.incarnation }), o.modelWaitMs);
      } else if (d.waiting === 0 && state.timer) {
        clearTimeout(state.timer);
        state.timer = null;
      }
      for (const s of out.scored) o.onScored?.(s.batch, s.scores);
      // Alerts first: they are what the operator waits for.
      if (out.alerts.length > 0) ctx.send(o.responder, { alerts: out.alerts }, PRIORITY.alerts);
      if (out.tally) ctx.send(o.floods, out.tally, PRIORITY.tally);
      if (o.trainer) {
        if (out.sample) ctx.send(o.trainer, { sample: out.sample }, PRIORITY.sample);
        if (out.shadow) ctx.send(o.trainer, { shadow: out.shadow }, PRIORITY.tally);
      }
      return state;
    },
    terminate(state) {
      if (state.timer) clearTimeout(state.timer);
    },
  });
  const stats = () => {
    const r = current?.rules.stats();
    return { packets: current?.packets ?? 0, scored: current?.scored ?? 0, anomalous: current?.gate.anomalous ?? 0, alerts: (r?.alerts ?? 0) + (current?.gate.alerts ?? 0) };
  };
  return { type: 'worker', id: detectorId(o.shard), start: behavior, stats, mailbox: o.mailbox };
}
