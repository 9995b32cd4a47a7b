// The automatic-ban rate limit. One node: a token bucket (at most `bans` at once, refilled at
// bans/perS per second). A cluster: a sliding window over the automatic bans the whole cluster
// made (seen through the ban registry's watch), so a burst of alerts spread over every node
// cannot ban more than one node alone could. Operator bans and feeds are never counted.

import type { BanEvent } from './ban-registry.ts';

export interface BanBudget {
  /** Takes one ban (`key`: address|at of the ban about to be made): 0 when taken, else the ms until one is free. */
  take(now: number, key: string): number;
  /** Whole bans that could be made now. */
  available(now: number): number;
}

export interface RateLimit {
  bans: number;
  perS: number;
}

export class TokenBucket implements BanBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.bans;
    this.refilledAt = now;
  }

  take(now: number, _key?: string): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    const { bans, perS } = this.limit;
    return ((1 - this.tokens) * perS * 1000) / bans;
  }

  available(now: number): number {
    this.refill(now);
    return Math.floor(this.tokens);
  }

  private refill(now: number): void {
    const { bans, perS } = this.limit;
    // max(0, ...): a wall clock stepped back must not drain the bucket.
    this.tokens = Math.min(bans, this.tokens + (Math.max(0, now - this.refilledAt) * bans) / (perS * 1000));
    this.refilledAt = now;
  }
}

/** Whether a ban was made by the automatic response (not an operator, not a feed). */
export function isAutomatic(detector: string): boolean {
  return detector !== 'operator' && !detector.startsWith('feed:');
}

/**
 * At most `bans` automatic bans in any `perS` window, counted over the whole cluster: the bans
 * this node takes, and every automatic ban another node's registry write shows (the same ban
 * seen twice, taken here and then watched, counts once).
 */
export class ClusterBanBudget implements BanBudget {
  /** Ban times in the window, oldest first, with their keys for de-duplication. */
  private readonly times: number[] = [];
  private readonly keys = new Set<string>();
  private readonly keyAt = new Map<number, string[]>();

  constructor(private readonly limit: RateLimit) {}

  /** Feeds a registry event: every automatic ban put anywhere in the cluster. */
  observe(event: BanEvent, now: number): void {
    if (event.type !== 'put' || !isAutomatic(event.ban.detector)) return;
    this.count(`${event.ban.address}|${event.ban.at}`, event.ban.at, now);
  }

  take(now: number, key: string): number {
    this.expire(now);
    if (this.times.length >= this.limit.bans) return Math.max(1, this.times[0] + this.limit.perS * 1000 - now);
    this.count(key, now, now);
    return 0;
  }

  available(now: number): number {
    this.expire(now);
    return Math.max(0, this.limit.bans - this.times.length);
  }

  private count(key: string, at: number, now: number): void {
    if (this.keys.has(key) || at <= now - this.limit.perS * 1000) return;
    this.expire(now);
    this.keys.add(key);
    // Insert in time order (bans arrive nearly in order: search from the end).
    let i = this.times.length;
    while (i > 0 && this.times[i - 1] > at) i--;
    this.times.splice(i, 0, at);
    const list = this.keyAt.get(at);
    if (list) list.push(key);
    else this.keyAt.set(at, [key]);
  }

  private expire(now: number): void {
    const horizon = now - this.limit.perS * 1000;
    while (this.times.length > 0 && this.times[0] <= horizon) {
      const at = this.times.shift()!;
      const list = this.keyAt.get(at);
      if (list) {
        for (const k of list) this.keys.delete(k);
        this.keyAt.delete(at);
      }
    }
  }
}
