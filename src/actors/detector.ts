// DetectorShard actor: one per enricher shard. Thin: hands each enriched batch to the pure
// DetectorShard and sends what comes out where it goes: alerts to the responder, the
// per-victim tally to the flood watch, rows and shadow reports to the trainer.

import { DetectorShard, type DetectorSettings, type ModelBoard } from '../detect/detector-shard.ts';
import type { EnrichedBatch } from '../detect/enrichment.ts';
import type { RulesConfig } from '../detect/rules/rules-config.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import type { MailboxOptions } from '../supervisors/mailbox.ts';

export interface DetectorOptions {
  shard: number;
  rules: RulesConfig;
  settings: DetectorSettings;
  board: ModelBoard;
  responder: string;
  floods: string;
  trainer: string | null;
  mailbox: MailboxOptions;
  /** Sees every batch with the current model's scores (evaluation, tests). */
  onScored?: (batch: EnrichedBatch<GeoInfo | undefined>, scores: Float32Array | null) => void;
}

export function detectorId(shard: number): string {
  return `detector-${shard}`;
}

export function detectorSpec(o: DetectorOptions): WorkerSpec {
  let current: DetectorShard | undefined;
  const behavior = (): WorkerBehavior<DetectorShard, EnrichedBatch<GeoInfo | undefined>> => ({
    kind: 'detector',
    init: () => (current = new DetectorShard(o.shard, o.rules, o.settings)),
    handle(d, batch, ctx) {
      const out = d.process(batch, o.board);
      o.onScored?.(batch, out.scores);
      // Alerts first: they are what the operator waits for.
      if (out.alerts.length > 0) ctx.send(o.responder, { alerts: out.alerts });
      if (out.tally) ctx.send(o.floods, out.tally);
      if (o.trainer) {
        if (out.sample) ctx.send(o.trainer, { sample: out.sample }, 0);
        if (out.shadow) ctx.send(o.trainer, { shadow: out.shadow });
      }
      return d;
    },
  });
  const stats = () => {
    const r = current?.rules.stats();
    return { packets: current?.packets ?? 0, scored: current?.scored ?? 0, anomalous: current?.gate.anomalous ?? 0, alerts: (r?.alerts ?? 0) + (current?.gate.alerts ?? 0) };
  };
  return { type: 'worker', id: detectorId(o.shard), start: behavior, stats, mailbox: o.mailbox };
}
