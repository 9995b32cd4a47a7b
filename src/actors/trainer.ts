// TrainerActor: the node's singleton neural trainer. Thin over ModelTrainer: rows and
// shadow reports come from the detector shards; a timer asks for a retraining every
// retrainIntervalS. Training runs inside the handler, so rows that arrive meanwhile wait in
// the mailbox (and the oldest are dropped if it fills: a sample can lose rows, not bias).

import type { ModelTrainer, TrainerEvent } from '../detect/model-trainer.ts';
import type { ShadowReport, TrainingSample } from '../detect/training-buffer.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import { TRAINER_ID } from './tree-layout.ts';
import { tableCounters } from '../detect/table-report.ts';

export type TrainerMessage = { sample: TrainingSample } | { shadow: ShadowReport } | { retrain: true } | { trainNow: true };

interface State {
  timer: NodeJS.Timeout | null;
}

export function trainerSpec(trainer: ModelTrainer, retrainIntervalS: number, onEvent?: (e: TrainerEvent) => void): WorkerSpec {
  const report = (e: TrainerEvent | null) => {
    if (e) onEvent?.(e);
  };
  const behavior = (): WorkerBehavior<State, TrainerMessage> => ({
    kind: 'trainer',
    init(ctx) {
      let timer: NodeJS.Timeout | null = null;
      if (retrainIntervalS > 0) {
        timer = setInterval(() => ctx.send(ctx.self, { retrain: true }), retrainIntervalS * 1000);
        timer.unref();
      }
      // Restarted after the grace rows were in but before the first model was: train now.
      if (trainer.board.current === null && !trainer.board.grace) ctx.send(ctx.self, { trainNow: true });
      return { timer };
    },
    async handle(state, msg) {
      if ('sample' in msg) {
        if (trainer.addRows(msg.sample.rows, msg.sample.count, msg.sample.flowContext)) report(await trainer.trainNow());
      } else if ('shadow' in msg) {
        report(await trainer.onShadow(msg.shadow));
      } else if (!trainer.board.grace || 'trainNow' in msg) {
        report(await trainer.trainNow());
      }
      return state;
    },
    terminate(state) {
      if (state.timer) clearInterval(state.timer);
    },
  });
  // The tree snapshot's numbers; the whole state, as a plain object, is trainer.state().
  const stats = () => {
    const st = trainer.state();
    return tableCounters(trainer.tables(), {
      rows: trainer.rows,
      version: st.current?.version ?? 0,
      candidate: st.candidate?.version ?? 0,
      grace: trainer.board.grace ? 1 : 0,
      graceProgress: st.grace.progress,
      threshold: st.current?.threshold ?? 0,
      alertRate: st.alertRate ?? 0,
      shadowRows: st.candidate?.shadowRows ?? 0,
      flagged: st.flaggedAddresses,
    });
  };
  return { type: 'worker', id: TRAINER_ID, start: behavior, stats, shutdownMs: 30_000, mailbox: { capacity: 1024, overflow: 'drop-oldest' } };
}
