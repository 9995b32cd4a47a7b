// MembershipActor: keeps this node registered under its lease in the coordinator and
// renews it. A renewal that finds the lease gone throws, so the supervisor restarts the
// actor and it registers again: the node never believes it is a member when it is not.

import type { Coordinator } from './coordinator.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';

export interface NodeInfo {
  id: string;
  http: string;
  pid: number;
  startedAt: string;
}

interface State {
  lease: number;
  timer: NodeJS.Timeout;
  key: string;
}

export function nodeKey(cluster: string, nodeId: string): string {
  return `/autoimmune/${cluster}/nodes/${nodeId}`;
}

function load() {
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 1048576), uptimeS: Math.round(process.uptime()) };
}

export function membershipSpec(coordinator: Coordinator, cluster: string, info: NodeInfo, leaseTtlMs: number): WorkerSpec {
  const key = nodeKey(cluster, info.id);
  const behavior = (): WorkerBehavior<State, 'renew'> => ({
    kind: 'membership',
    async init(ctx) {
      const lease = await coordinator.grantLease(leaseTtlMs);
      await coordinator.put(key, JSON.stringify({ ...info, load: load() }), { lease });
      // Renew at a third of the TTL, so two renewals can be late before the lease lapses.
      const timer = setInterval(() => ctx.send(ctx.self, 'renew'), Math.max(500, Math.floor(leaseTtlMs / 3)));
      timer.unref();
      return { lease, timer, key };
    },
    async handle(state) {
      await coordinator.keepAlive(state.lease);
      await coordinator.put(key, JSON.stringify({ ...info, load: load() }), { lease: state.lease });
      return state;
    },
    async terminate(state, reason) {
      clearInterval(state.timer);
      // A graceful stop leaves the cluster at once instead of waiting for the lease to lapse.
      if (reason === 'shutdown' || reason === 'normal') await coordinator.revoke(state.lease).catch(() => {});
    },
  });
  return { type: 'worker', id: 'membership', shutdownMs: 2000, start: behavior, mailbox: { capacity: 4, overflow: 'drop-oldest' } };
}
