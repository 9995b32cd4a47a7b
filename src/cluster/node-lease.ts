// This node's membership lease: join (grant a lease, write the node's key under it), renew
// at a quarter of the TTL (so a renewal stuck on a dead etcd member until its deadline still
// leaves attempts before the fence), and fence. The lease can lapse in etcd while this process still
// believes it is a member (a partition, a stalled event loop, a dead etcd leader), and the
// cluster then gives this node's actors to others; so the node stops them itself once its
// last confirmed renewal is nearly a TTL old, before any other node could own them, and
// rejoins with a new lease when etcd answers again.
//
// Why the bound holds: etcd expires a lease TTL after it *received* the last keep-alive,
// which is after we *sent* it; fencing at sentAt + TTL − margin (monotonic clock) is earlier
// than any expiry etcd can apply, by at least the margin left for stopping the actors.

import { EventEmitter } from 'node:events';
import type { Coordinator } from './coordinator.ts';

export type LeaseState = 'joining' | 'held' | 'fenced' | 'stopped';

export interface NodeLeaseOptions {
  coordinator: Coordinator;
  key: string;
  ttlMs: number;
  /** The node's registration, written at join and refreshed at each renewal (load changes). */
  value: () => string;
  now?: () => number;
}

export class NodeLease extends EventEmitter<{ state: [LeaseState, string]; error: [unknown] }> {
  state: LeaseState = 'joining';
  lease: number | undefined;
  joins = 0;
  fences = 0;
  /** Monotonic time before which etcd cannot have expired the lease. */
  private validUntil = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  readonly marginMs: number;

  constructor(private readonly o: NodeLeaseOptions) {
    super();
    this.now = o.now ?? (() => performance.now());
    // Room to stop the node's actors before the earliest possible expiry.
    this.marginMs = Math.min(1500, Math.floor(o.ttlMs / 4));
  }

  start(): void {
    void this.join();
  }

  private setState(s: LeaseState, why: string): void {
    if (this.state === s || this.state === 'stopped') return;
    this.state = s;
    this.emit('state', s, why);
  }

  private async join(): Promise<void> {
    for (let delay = 200; this.state !== 'stopped'; delay = Math.min(delay * 2, 3000)) {
      const sentAt = this.now();
      try {
        const lease = await this.o.coordinator.grantLease(this.o.ttlMs);
        if ((this.state as LeaseState) === 'stopped') {
          await this.o.coordinator.revoke(lease).catch(() => {});
          return;
        }
        await this.o.coordinator.put(this.o.key, this.o.value(), { lease });
        this.lease = lease;
        this.joins++;
        this.confirmed(sentAt);
        this.renewTimer = setInterval(() => void this.renew(), Math.max(300, Math.floor(this.o.ttlMs / 4)));
        this.renewTimer.unref();
        this.setState('held', `lease ${lease} granted (TTL ${this.o.ttlMs} ms)`);
        return;
      } catch (err) {
        this.emit('error', err);
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private confirmed(sentAt: number): void {
    this.validUntil = sentAt + this.o.ttlMs - this.marginMs;
    clearTimeout(this.fenceTimer);
    this.fenceTimer = setTimeout(() => this.checkFence(), Math.max(0, this.validUntil - this.now()) + 1);
    this.fenceTimer.unref();
  }

  private checkFence(): void {
    if (this.state !== 'held') return;
    const left = this.validUntil - this.now();
    if (left > 0) {
      this.fenceTimer = setTimeout(() => this.checkFence(), left + 1);
      this.fenceTimer.unref();
      return;
    }
    this.fence('no lease renewal confirmed for a TTL less the safety margin: the lease may have lapsed');
  }

  private fence(why: string): void {
    if (this.state !== 'held') return;
    clearInterval(this.renewTimer);
    clearTimeout(this.fenceTimer);
    this.fences++;
    this.lease = undefined;
    this.setState('fenced', why);
    this.setState('joining', 'rejoining with a new lease');
    void this.join();
  }

  private renewing = false;
  private async renew(): Promise<void> {
    if (this.renewing || this.state !== 'held' || this.lease === undefined) return;
    this.renewing = true;
    const lease = this.lease;
    const sentAt = this.now();
    try {
      await this.o.coordinator.keepAlive(lease);
      if (this.lease !== lease || this.state !== 'held') return;
      this.confirmed(sentAt);
      await this.o.coordinator.put(this.o.key, this.o.value(), { lease });
    } catch (err) {
      if ((err as { code?: string }).code === 'AI_ERR_LEASE_EXPIRED') this.fence(`lease ${lease} expired in the coordinator`);
      else this.emit('error', err);
    } finally {
      this.renewing = false;
    }
  }

  /**
   * Stops renewing without revoking: what a process that died or hung leaves behind (the
   * lease lapses in the coordinator after its TTL). For tests and the chaos monkey.
   */
  abandon(): void {
    this.state = 'stopped';
    clearInterval(this.renewTimer);
    clearTimeout(this.fenceTimer);
  }

  /** Leaves the cluster: revokes the lease so the others need not wait for it to lapse. */
  async stop(): Promise<void> {
    const lease = this.lease;
    this.state = 'stopped';
    clearInterval(this.renewTimer);
    clearTimeout(this.fenceTimer);
    if (lease !== undefined) await this.o.coordinator.revoke(lease).catch(() => {});
    this.lease = undefined;
  }
}
