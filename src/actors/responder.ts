// ResponderActor: alerts in, decisions out. Thin: the desk (src/respond/ban-desk.ts) runs
// the policy and writes bans to the registry; this actor serialises alerts from every
// detector shard, so two shards cannot race to ban one address twice.

import type { Alert } from '../detect/alert.ts';
import type { BanDesk } from '../respond/ban-desk.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import { RESPONDER_ID } from './tree-layout.ts';

export interface AlertsMessage {
  alerts: Alert[];
}

export function responderSpec(desk: BanDesk): WorkerSpec {
  const behavior = (): WorkerBehavior<BanDesk, AlertsMessage> => ({
    kind: 'responder',
    init: () => desk,
    async handle(d, msg) {
      await d.handleAlerts(msg.alerts);
      return d;
    },
  });
  const stats = () => {
    const s = desk.policy.stats();
    const held = desk.deferred();
    return { alerts: s.alerts, bans: s.bans, skipped: Object.values(s.skipped).reduce((a, b) => a + b, 0), heldBack: held.waiting, madeLate: held.made };
  };
  // Alerts are few and each matters: a deep mailbox, and under a flood of them the oldest go first.
  return { type: 'worker', id: RESPONDER_ID, start: behavior, stats, mailbox: { capacity: 10_000, overflow: 'drop-oldest' } };
}
