// The BanRegistry in memory, for a node without etcd. Expiry runs on the injected clock
// (wall-clock ms, as Ban.expiresAt is): one timer, for the earliest expiry, over a min-heap
// of expiries, so a thousand bans cost one timer and O(log n) per change.

import { AutoimmuneError } from '../errors.ts';
import { wallClock, type Clock, type TimerHandle } from '../util/clock.ts';
import type { Ban, BanEvent, BanRegistry, PutOptions } from './ban-registry.ts';
import { putWellFormed } from './ban-record.ts';

export class BanRegistryClosedError extends AutoimmuneError {
  constructor(what: string) {
    super('AI_ERR_REGISTRY_CLOSED', `cannot ${what}: the ban registry is closed (the node is stopping)`);
  }
}

/** setTimeout's longest delay; a later expiry is reached by re-arming. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Due {
  at: number;
  /** Order of puts, so bans expiring in the same ms leave in the order they came. */
  seq: number;
  address: string;
}

function before(a: Due, b: Due): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class MemoryBanRegistry implements BanRegistry {
  private readonly bans = new Map<string, Ban & { seq: number }>();
  /** Min-heap of expiries. Replaced or removed bans leave stale entries, skipped when popped. */
  private heap: Due[] = [];
  private seq = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private readonly listeners = new Set<(event: BanEvent) => void>();
  private closed = false;

  constructor(private readonly clock: Clock = wallClock) {}

  async put(ban: Ban): Promise<void> {
    await this.putChecked([ban]);
  }

  async putMany(bans: readonly Ban[], _options?: PutOptions): Promise<void> {
    await this.putChecked(bans);
  }

  /** A malformed ban is refused (MalformedBanError, after the others are in): see putWellFormed. */
  private putChecked(bans: readonly Ban[]): Promise<void> {
    return putWellFormed(bans, (good) => {
      for (const ban of good) this.putOne(ban);
    });
  }

  async removeMany(addresses: readonly string[]): Promise<number> {
    let n = 0;
    for (const a of addresses) if (await this.remove(a)) n++;
    return n;
  }

  private putOne(ban: Ban): void {
    if (this.closed) throw new BanRegistryClosedError(`ban ${ban.address}`);
    if (ban.expiresAt <= this.clock.now()) {
      // Over before it began: it replaces whatever was there by nothing.
      if (this.bans.delete(ban.address)) this.emit({ type: 'delete', address: ban.address, expired: true });
      return;
    }
    const seq = this.seq++;
    this.bans.set(ban.address, { ...ban, seq });
    this.push({ at: ban.expiresAt, seq, address: ban.address });
    this.arm();
    this.emit({ type: 'put', ban: { ...ban } });
  }

  async remove(address: string): Promise<boolean> {
    if (this.closed) throw new BanRegistryClosedError(`unban ${address}`);
    const ban = this.bans.get(address);
    if (!ban) return false;
    this.bans.delete(address);
    // A ban whose time is up but whose timer has not run yet is expiring, not lifted.
    this.emit({ type: 'delete', address, expired: ban.expiresAt <= this.clock.now() });
    this.compact();
    return true;
  }

  async list(): Promise<Ban[]> {
    const now = this.clock.now();
    const out: Ban[] = [];
    for (const { seq: _, ...ban } of this.bans.values()) if (ban.expiresAt > now) out.push(ban);
    return out;
  }

  watch(listener: (event: BanEvent) => void): () => void {
    // A wrapper per call, so watching twice with one function gives two subscriptions.
    const l = (ev: BanEvent) => listener(ev);
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Expires what is due, in expiry order, then re-arms for the next. */
  private expireDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let firstError: unknown;
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const due = this.pop();
      const ban = this.bans.get(due.address);
      if (!ban || ban.seq !== due.seq) continue; // replaced or removed since
      this.bans.delete(due.address);
      try {
        this.emit({ type: 'delete', address: due.address, expired: true });
      } catch (err) {
        firstError ??= err;
      }
    }
    this.arm();
    if (firstError !== undefined) throw firstError;
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.heap[0];
    if (!next) {
      this.timer?.cancel();
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && this.timerAt <= next.at) return;
    this.timer?.cancel();
    // Clamp: a ban of more than 24.8 days would otherwise overflow setTimeout and fire at
    // once; the early wake-up finds nothing due and re-arms.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.at - this.clock.now()));
    this.timerAt = next.at;
    this.timer = this.clock.setTimer(() => this.expireDue(), delay);
  }

  /** Delivers to every listener even if one throws; rethrows the first error afterwards. */
  private emit(event: BanEvent): void {
    let firstError: unknown;
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  /** Drops stale heap entries once they outnumber the live ones, so puts that replace stay bounded. */
  private compact(): void {
    if (this.heap.length <= 64 || this.heap.length <= 2 * this.bans.size) return;
    const live: Due[] = [];
    for (const d of this.heap) if (this.bans.get(d.address)?.seq === d.seq) live.push(d);
    live.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    this.heap = live; // a sorted array is a valid min-heap
    this.arm();
  }

  private push(d: Due): void {
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
    this.compact();
  }

  private pop(): Due {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
