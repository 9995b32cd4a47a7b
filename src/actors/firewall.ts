// FirewallActor: one per node. Makes the node's packet filter match the BanRegistry: on
// every start (first start and every restart) it reconciles its rules to exactly the
// registry, then applies the registry's changes as they come, many per transaction.
// Thin: the rule syntax lives in the backends (src/firewall/).

import { failpoint } from '../failpoints.ts';
import type { Ban, BanEvent, BanRegistry } from '../cluster/ban-registry.ts';
import type { FirewallBackend, FirewallEntry } from '../firewall/backend.ts';
import type { Clock } from '../supervisors/clock.ts';
import { wallClock } from '../supervisors/clock.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';

export interface FirewallOptions {
  backend: FirewallBackend;
  registry: BanRegistry;
  /** Wall-clock time (ms since the epoch), as ban expiries are. */
  clock?: Clock;
  /** After each reconcile or batch (tests, the dashboard). */
  onApplied?: (what: { kind: 'reconcile' | 'apply'; added: number; removed: number }) => void;
}

export interface FirewallProgress {
  backend: string;
  reconciles: number;
  transactions: number;
  added: number;
  removed: number;
}

interface State {
  unwatch: () => void;
  /** Latest change per address since the last transaction: only the newest one matters. */
  pending: Map<string, BanEvent>;
}

const FLUSH = 'flush';

/** Seconds a ban has left, at least 1 (the kernel's timeouts are whole seconds); 0 if over. */
export function remainingS(ban: Ban, nowMs: number): number {
  const left = ban.expiresAt - nowMs;
  return left <= 0 ? 0 : Math.max(1, Math.ceil(left / 1000));
}

export function firewallSpec(options: FirewallOptions): WorkerSpec & { progress: FirewallProgress } {
  const { backend, registry } = options;
  const clock = options.clock ?? wallClock;
  const progress: FirewallProgress = { backend: backend.name, reconciles: 0, transactions: 0, added: 0, removed: 0 };

  const toEntries = (bans: Iterable<Ban>): FirewallEntry[] => {
    const now = clock.now();
    const out: FirewallEntry[] = [];
    for (const b of bans) {
      const timeoutS = remainingS(b, now);
      if (timeoutS > 0) out.push({ address: b.address, timeoutS });
    }
    return out;
  };

  const behavior = (): WorkerBehavior<State, typeof FLUSH> => ({
    kind: 'firewall',
    async init(ctx) {
      const pending = new Map<string, BanEvent>();
      // Watch before listing, so a change made while we list is not missed: it is applied
      // after the reconcile (applying it twice is harmless, missing it is not).
      const unwatch = registry.watch((event) => {
        const address = event.type === 'put' ? event.ban.address : event.address;
        const first = pending.size === 0;
        pending.set(address, event);
        if (first) ctx.send(ctx.self, FLUSH);
      });
      try {
        await backend.setup();
        // The deliberately broken build of the chaos test: no reconcile (see failpoints.ts).
        const r = failpoint('firewall.skip-reconcile') ? { added: 0, removed: 0 } : await backend.reconcile(toEntries(await registry.list()));
        progress.reconciles++;
        progress.added += r.added;
        progress.removed += r.removed;
        options.onApplied?.({ kind: 'reconcile', added: r.added, removed: r.removed });
      } catch (err) {
        unwatch();
        throw err;
      }
      return { unwatch, pending };
    },
    async handle(state) {
      if (state.pending.size === 0) return state;
      const events = [...state.pending.values()];
      state.pending.clear();
      const puts: Ban[] = [];
      const removes: string[] = [];
      for (const e of events) {
        if (e.type === 'put') puts.push(e.ban);
        else removes.push(e.address);
      }
      const add = toEntries(puts);
      await backend.apply(add, removes);
      progress.transactions++;
      progress.added += add.length;
      progress.removed += removes.length;
      options.onApplied?.({ kind: 'apply', added: add.length, removed: removes.length });
      return state;
    },
    terminate(state) {
      state.unwatch();
    },
  });
  const stats = () => ({ reconciles: progress.reconciles, transactions: progress.transactions, added: progress.added, removed: progress.removed });
  return { type: 'worker', id: 'firewall', start: behavior, progress, stats, mailbox: { capacity: 16, overflow: 'drop-oldest' } };
}
