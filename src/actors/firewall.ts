// FirewallActor: one per node. Makes the node's packet filter match the BanRegistry: on
// every start (first start and every restart) it reconciles its rules to exactly the
// registry, then applies the registry's changes as they come, many per transaction.
// Thin: the rule syntax lives in the backends (src/firewall/).
//
// It enforces the guard itself, whatever wrote the ban (the responder, an operator, a value
// put straight into etcd): a ban of a protected address, of a net wider than allowed, or one
// that does not parse is set aside and reported, never applied. A ban the backend refuses is
// found by halving the failed transaction and set aside too, so one bad ban never blocks the
// others or crash-loops the actor; only when every ban fails alone is the backend broken (and
// the actor crashes, to be restarted).
//
// A backend whose kernel elements do not time out (XDP's maps: `expires` false) has its bans
// lifted here: the actor keeps the expiry of every ban it applied and one timer for the
// earliest, and removes what is due in one batch when it fires. The registry's own expiry
// event usually comes first; the timer is what holds when it does not (a registry that lost
// its watch, a ban applied by a reconcile).

import { failpoint } from '../node/failpoints.ts';
import type { Ban, BanEvent, BanRegistry } from '../respond/ban-registry.ts';
import type { FirewallBackend, FirewallEntry } from '../firewall/backend.ts';
import type { Clock, TimerHandle } from '../util/clock.ts';
import { wallClock } from '../util/clock.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';

/** What the firewall asks of every ban before applying it (respond/ban-guard.ts). */
export interface FirewallGuard {
  checkText(address: string, forced?: boolean): { text: string } | null;
}

export interface FirewallOptions {
  backend: FirewallBackend;
  registry: BanRegistry;
  /** Refuses protected, too wide and malformed bans; none: every ban is applied. */
  guard?: FirewallGuard;
  /** Once per ban set aside (refused by the guard or by the backend), with why. */
  onSetAside?: (address: string, why: string) => void;
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
  /** Bans of the registry not applied, by address, with why (bounded). */
  setAside: Map<string, string>;
  /** Bans the actor lifted itself at their expiry (backends without element timeouts). */
  expired: number;
}

/** How many set-aside bans are remembered (the oldest go first). */
const SET_ASIDE_KEEP = 10_000;

interface State {
  unwatch: () => void;
  /** Latest change per address since the last transaction: only the newest one matters. */
  pending: Map<string, BanEvent>;
  /** The timer for the earliest expiry the actor owes (backends without timeouts). */
  timer: { at: number; handle: TimerHandle } | null;
}

const FLUSH = 'flush';
const EXPIRE = 'expire';
/** setTimeout's longest delay: a later expiry is reached by re-arming. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** Sent when what the guard protects changed (a member joined): the kernel is made to match again. */
export const FIREWALL_RECONCILE = 'reconcile';

/** Seconds a ban has left, at least 1 (the kernel's timeouts are whole seconds); 0 if over. */
export function remainingS(ban: Ban, nowMs: number): number {
  const left = ban.expiresAt - nowMs;
  return left <= 0 ? 0 : Math.max(1, Math.ceil(left / 1000));
}

export function firewallSpec(options: FirewallOptions): WorkerSpec & { progress: FirewallProgress } {
  const { backend, registry } = options;
  const clock = options.clock ?? wallClock;
  const progress: FirewallProgress = { backend: backend.name, reconciles: 0, transactions: 0, added: 0, removed: 0, setAside: new Map(), expired: 0 };
  /** Expiry (clock ms) of every ban applied to a backend whose elements do not time out. */
  const owed = backend.expires === false ? new Map<string, number>() : null;

  const setAside = (address: string, why: string): void => {
    if (progress.setAside.get(address) === why) return;
    progress.setAside.delete(address);
    progress.setAside.set(address, why);
    if (progress.setAside.size > SET_ASIDE_KEEP) progress.setAside.delete(progress.setAside.keys().next().value!);
    options.onSetAside?.(address, why);
  };

  const toEntries = (bans: Iterable<Ban>): FirewallEntry[] => {
    const now = clock.now();
    const out: FirewallEntry[] = [];
    for (const b of bans) {
      const refused = options.guard?.checkText(b.address, b.forced === true);
      if (refused) {
        setAside(b.address, refused.text);
        continue;
      }
      // Allowed again (the allow-list lost the entry that covered it): no longer set aside.
      if (progress.setAside.size > 0) progress.setAside.delete(b.address);
      const timeoutS = remainingS(b, now);
      if (timeoutS > 0) {
        out.push({ address: b.address, timeoutS });
        owed?.set(b.address, b.expiresAt);
      }
    }
    return out;
  };

  /**
   * Applies what it can: on a failed transaction, each half is tried alone, down to single
   * bans, which are set aside. Returns what was applied. Rethrows when nothing could be
   * applied at all and there was more than one change (the backend itself is broken).
   */
  const applySafely = async (add: FirewallEntry[], remove: string[]): Promise<{ added: number; removed: number }> => {
    try {
      await backend.apply(add, remove);
      return { added: add.length, removed: remove.length };
    } catch (err) {
      const n = add.length + remove.length;
      if (n === 1) {
        // A removal the backend refuses leaves nothing to protect: only adds are set aside.
        if (add.length === 1) setAside(add[0].address, `the ${backend.name} backend refused it: ${(err as Error).message.split('\n')[0]}`);
        return { added: 0, removed: 0 };
      }
      const ha = Math.ceil(add.length / 2);
      const hr = Math.ceil(remove.length / 2);
      const a = await applySafely(add.slice(0, ha), remove.slice(0, hr));
      const b = await applySafely(add.slice(ha), remove.slice(hr));
      if (a.added + a.removed + b.added + b.removed === 0) throw err;
      return { added: a.added + b.added, removed: a.removed + b.removed };
    }
  };

  /** Makes the backend hold exactly `desired`; a refused ban is found with applySafely and left out. */
  const reconcileSafely = async (desired: FirewallEntry[]): Promise<{ added: number; removed: number }> => {
    try {
      return await backend.reconcile(desired);
    } catch (err) {
      if (desired.length === 0) throw err;
      await backend.setup();
      await applySafely(desired, []);
      return backend.reconcile(desired.filter((e) => !progress.setAside.has(e.address)));
    }
  };

  const reconcile = async (): Promise<void> => {
    owed?.clear();
    // The deliberately broken build of the chaos test: no reconcile (see failpoints.ts).
    const r = failpoint('firewall.skip-reconcile') ? { added: 0, removed: 0 } : await reconcileSafely(toEntries(await registry.list()));
    progress.reconciles++;
    progress.added += r.added;
    progress.removed += r.removed;
    options.onApplied?.({ kind: 'reconcile', added: r.added, removed: r.removed });
  };

  /** Arms the timer for the earliest expiry owed, unless one fires by then already. */
  const arm = (state: State, wake: () => void): void => {
    if (!owed || owed.size === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const at of owed.values()) if (at < first) first = at;
    if (state.timer && state.timer.at <= first) return;
    state.timer?.handle.cancel();
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, first - clock.now()));
    state.timer = { at: first, handle: clock.setTimer(wake, delay) };
  };

  /** Removes the bans whose time is up from a backend that would keep them for ever. */
  const expire = async (): Promise<void> => {
    if (!owed) return;
    const now = clock.now();
    const due: string[] = [];
    for (const [address, at] of owed) if (at <= now) due.push(address);
    if (due.length === 0) return;
    for (const a of due) owed.delete(a);
    const r = await applySafely([], due);
    progress.expired += r.removed;
    progress.removed += r.removed;
    options.onApplied?.({ kind: 'apply', added: 0, removed: r.removed });
  };

  const behavior = (): WorkerBehavior<State, typeof FLUSH | typeof FIREWALL_RECONCILE | typeof EXPIRE> => ({
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
        await reconcile();
      } catch (err) {
        unwatch();
        throw err;
      }
      const state: State = { unwatch, pending, timer: null };
      arm(state, () => ctx.send(ctx.self, EXPIRE));
      return state;
    },
    async handle(state, msg, ctx) {
      const wake = () => ctx.send(ctx.self, EXPIRE);
      if (msg === FIREWALL_RECONCILE) {
        state.pending.clear();
        await reconcile();
        arm(state, wake);
        return state;
      }
      if (msg === EXPIRE) {
        state.timer = null;
        await expire();
        arm(state, wake);
        return state;
      }
      if (state.pending.size === 0) return state;
      const events = [...state.pending.values()];
      state.pending.clear();
      const puts: Ban[] = [];
      const removes: string[] = [];
      for (const e of events) {
        if (e.type === 'put') puts.push(e.ban);
        else removes.push(e.address);
      }
      for (const a of removes) {
        progress.setAside.delete(a);
        owed?.delete(a);
      }
      const add = toEntries(puts);
      if (add.length + removes.length === 0) return state;
      const r = await applySafely(add, removes);
      progress.transactions++;
      progress.added += r.added;
      progress.removed += r.removed;
      options.onApplied?.({ kind: 'apply', added: r.added, removed: r.removed });
      arm(state, wake);
      return state;
    },
    terminate(state) {
      state.unwatch();
      state.timer?.handle.cancel();
    },
  });
  const stats = () => ({ reconciles: progress.reconciles, transactions: progress.transactions, added: progress.added, removed: progress.removed, setAside: progress.setAside.size, expired: progress.expired });
  return { type: 'worker', id: 'firewall', start: behavior, progress, stats, mailbox: { capacity: 16, overflow: 'drop-oldest' } };
}
