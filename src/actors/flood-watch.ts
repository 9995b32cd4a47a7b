// FloodWatch: the one place per node where the detector shards' per-victim tallies meet, so
// a flood of spoofed sources (spread over every shard by their source hash) is counted
// whole. Thin over VictimRules; its alerts name the victim and go to the responder.

import type { Alert } from '../detect/alert.ts';
import type { RulesConfig } from '../detect/rules/rules-config.ts';
import type { VictimTally } from '../detect/rules/victim-tally.ts';
import { VictimRules, type VictimRulesLimits } from '../detect/rules/victim-rules.ts';
import { returnVictimTally } from '../detect/rules/victim-tally-pool.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import { PRIORITY } from '../supervisors/priorities.ts';
import { FLOOD_WATCH_ID } from './tree-layout.ts';
import { tableCounters } from '../detect/table-report.ts';

export function floodWatchSpec(rules: RulesConfig, responder: string, limits: VictimRulesLimits = {}): WorkerSpec {
  let current: VictimRules | undefined;
  const behavior = (): WorkerBehavior<VictimRules, VictimTally> => ({
    kind: 'flood-watch',
    init: () => (current = new VictimRules(rules, limits)),
    handle(v, tally, ctx) {
      const alerts: Alert[] = [];
      v.add(tally, alerts);
      if (alerts.length > 0) ctx.send(responder, { alerts }, PRIORITY.alerts);
      // Read, and nothing of it kept: back to the shard's pool (victim-tally-pool.ts). Last,
      // so a handler that throws never gives back a tally it was reading.
      returnVictimTally(tally);
      return v;
    },
  });
  // Tallies are small and one per batch; under overload the oldest matter least.
  return { type: 'worker', id: FLOOD_WATCH_ID, start: behavior, stats: () => (current ? tableCounters(current.tables(), current.stats()) : {}), mailbox: { capacity: 4096, overflow: 'drop-oldest' } };
}
