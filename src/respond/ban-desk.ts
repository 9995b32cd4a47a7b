// The node's response desk: where alerts become decisions (through the policy) and
// decisions become bans (in the registry), and where operators block and unblock. It keeps
// a view of the bans in force (from the registry's watch) so the policy can tell a new
// offence from an alert about an address already banned, and the recent alerts and
// decisions for the dashboard and the CLI. It lives beside the actor tree, not in an actor:
// a responder crash must not lose the decision log or the offence memory.

import type { Ban, BanRegistry } from './ban-registry.ts';
import { MalformedBanError } from './ban-record.ts';
import type { Alert } from '../detect/alert.ts';
import { wallClock, type Clock, type TimerHandle } from '../util/clock.ts';
import { Ring } from '../util/ring.ts';
import type { Decision } from './decision.ts';
import { DecisionLog, type DecisionLogEntry } from './decision-log.ts';
import type { PolicyOutcome, ResponderPolicy } from './policy.ts';

export function banOf(d: Decision): Ban {
  return { address: d.address, ttl: d.ttl, expiresAt: d.at + d.ttl * 1000, reason: d.reason, detector: d.detector, score: d.score, at: d.at, offence: d.offence ?? 1, ...(d.forced ? { forced: true } : {}) };
}

export interface BanDeskOptions {
  clock?: Clock;
  decisionLog?: number;
  alertLog?: number;
  /** Bans the rate limit holds back at most (the oldest is dropped beyond; default 4096). */
  deferMax?: number;
}

/** A ban the rate limit held back: its alert's record, and when it was first refused (the desk's clock, ms). */
interface Held {
  record: AlertRecord;
  since: number;
}

/** What became of the bans the rate limit held back since the start. */
export interface DeferredCounts {
  /** Waiting now. */
  waiting: number;
  /** Made once a token freed. */
  made: number;
  /** Judged again and not made (banned meanwhile, allow-listed since). */
  settled: number;
  /** Dropped after rateLimit.deferS. */
  expired: number;
  /** Dropped to keep deferMax (the oldest). */
  dropped: number;
}

type Listener<T> = (x: T) => void;

/** An alert as the desk received it: its number on this node (1 for the first since start), when, and what the policy made of it. */
export interface AlertRecord {
  id: number;
  /** Wall-clock ms the desk received it. */
  at: number;
  alert: Alert;
  /** The decision it led to, or why none (null while the policy is still at it). */
  outcome: PolicyOutcome | null;
}

/** An operator's ban, with the ban of the same address it replaced (re-blocking), if one was in force. */
export type ManualBan = Decision & { replaced?: Ban };

export class BanDesk {
  readonly log: DecisionLog;
  private readonly recentAlerts: Ring<AlertRecord>;
  private readonly active = new Map<string, Ban>();
  private readonly clock: Clock;
  private unwatch: (() => void) | undefined;
  private readonly decisionListeners: Array<Listener<Decision>> = [];
  private readonly alertListeners: Array<Listener<Alert>> = [];
  /**
   * Bans the rate limit refused, by source, oldest first: made as tokens free (a limit that
   * delays, not one that forgets: a distributed scan's 50 sources are all banned, 30 at once
   * and the rest over the next minute, even once they stop). A newer alert of a waiting
   * source takes its place in the line.
   */
  private readonly held = new Map<string, Held>();
  private readonly deferMax: number;
  private heldTimer: TimerHandle | undefined;
  private heldAt = Infinity;
  private closed = false;
  private readonly deferCounts = { made: 0, settled: 0, expired: 0, dropped: 0 };
  /** The desk's turns, one at a time: the detectors' alerts and the held bans' release. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly registry: BanRegistry,
    readonly policy: ResponderPolicy,
    options: BanDeskOptions = {},
  ) {
    this.clock = options.clock ?? wallClock;
    this.log = new DecisionLog(options.decisionLog ?? 1000);
    this.recentAlerts = new Ring(options.alertLog ?? 10_000);
    this.deferMax = options.deferMax ?? 4096;
  }

  /** Starts following the registry (watch first, then list, so no change falls between). */
  async start(): Promise<void> {
    this.unwatch = this.registry.watch((e) => {
      if (e.type === 'put') this.active.set(e.ban.address, e.ban);
      else this.active.delete(e.address);
    });
    for (const b of await this.registry.list()) if (!this.active.has(b.address)) this.active.set(b.address, b);
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.heldTimer?.cancel();
    this.heldTimer = undefined;
    this.closed = true;
  }

  /** Resolves when the desk's turns so far (alerts judged, held bans released) are done. */
  settled(): Promise<void> {
    return this.turn.then(() => {});
  }

  /** The bans the rate limit held back: waiting, and what became of the others. */
  deferred(): DeferredCounts {
    return { waiting: this.held.size, ...this.deferCounts };
  }

  onDecision(fn: Listener<Decision>): void {
    this.decisionListeners.push(fn);
  }

  onAlert(fn: Listener<Alert>): void {
    this.alertListeners.push(fn);
  }

  /**
   * Alerts from the detectors: each goes through the policy, in order; the bans they make are
   * written to the registry together (one write with their offences, one flush), then
   * announced in the order decided. Each is seen by the policy at once, so a later alert of
   * the same turn about the same address is judged against it.
   */
  handleAlerts(alerts: readonly Alert[]): Promise<Decision[]> {
    return this.serial(() => this.judge(alerts));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn, fn);
    this.turn = next.catch(() => {});
    return next;
  }

  private async judge(alerts: readonly Alert[]): Promise<Decision[]> {
    const made: Decision[] = [];
    /** The desk's view before this turn of each address it bans (restored if the registry refuses the ban). */
    const prior = new Map<string, Ban | undefined>();
    for (const alert of alerts) {
      alert.seenAt ??= this.clock.now();
      const record: AlertRecord = { id: this.recentAlerts.total + 1, at: alert.seenAt, alert, outcome: null };
      this.recentAlerts.push(record);
      for (const fn of this.alertListeners) fn(alert);
      const outcome = this.policy.onAlert(alert, this.active.get(alert.source));
      record.outcome = outcome;
      this.log.record(outcome, alert, this.clock.now());
      if ('skipped' in outcome && outcome.skipped === 'rate-limited') this.hold(record, outcome.retryInMs ?? this.policy.banIntervalMs);
      if ('decision' in outcome) {
        // seen at once by the next alert, before the registry's watch reports it
        const address = outcome.decision.address;
        if (!prior.has(address)) prior.set(address, this.active.get(address));
        this.active.set(address, banOf(outcome.decision));
        made.push(outcome.decision);
      }
    }
    if (made.length > 0) await this.apply(made, prior);
    return made;
  }

  /** Keeps a refused ban's alert until a token frees (not when rateLimit.deferS is 0). */
  private hold(record: AlertRecord, retryInMs: number): void {
    if (this.policy.deferMs <= 0) return;
    const key = record.alert.source;
    const waiting = this.held.get(key);
    if (waiting) waiting.record = record;
    else {
      if (this.held.size >= this.deferMax) {
        const oldest = this.held.keys().next().value!;
        this.held.delete(oldest);
        this.deferCounts.dropped++;
      }
      this.held.set(key, { record, since: this.clock.now() });
    }
    this.wakeIn(retryInMs);
  }

  private wakeIn(ms: number): void {
    if (this.closed) return;
    const at = this.clock.now() + ms;
    if (this.heldTimer && this.heldAt <= at) return;
    this.heldTimer?.cancel();
    this.heldAt = at;
    this.heldTimer = this.clock.setTimer(() => {
      this.heldTimer = undefined;
      this.heldAt = Infinity;
      // a turn whose write fails (the registry down) is not made again: its bans were judged,
      // as a detector turn's are; the next wake goes on with those still waiting
      this.serial(() => this.release()).catch(() => this.wakeIn(this.policy.banIntervalMs));
    }, Math.max(0, ms));
  }

  /**
   * The held bans, oldest first, judged again while tokens are free (each takes one, as it
   * would have): made, or settled otherwise (banned meanwhile, allow-listed since); those
   * waiting longer than rateLimit.deferS are dropped. The decision says how long it waited,
   * and its capture time is the alert's plus that wait.
   */
  private async release(): Promise<Decision[]> {
    const now = this.clock.now();
    const made: Decision[] = [];
    const prior = new Map<string, Ban | undefined>();
    for (const [key, h] of this.held) {
      if (now - h.since > this.policy.deferMs) {
        this.held.delete(key);
        this.deferCounts.expired++;
        continue;
      }
      if (this.policy.bansAvailable() < 1) break;
      const alert = h.record.alert;
      const outcome = this.policy.onAlert(alert, this.active.get(alert.source), true);
      // another node of the cluster took the token: it stays first in line
      if ('skipped' in outcome && outcome.skipped === 'rate-limited') break;
      this.held.delete(key);
      if ('skipped' in outcome) {
        h.record.outcome = outcome;
        this.log.record(outcome, alert, now);
        this.deferCounts.settled++;
        continue;
      }
      const waitedS = (now - h.since) / 1000;
      const c = outcome.decision.captureTs;
      const d: Decision = { ...outcome.decision, reason: `${outcome.decision.reason} (held ${Math.round(waitedS)} s by the rate limit)`, ...(c !== undefined ? { captureTs: c + waitedS } : {}) };
      const done: PolicyOutcome = { decision: d };
      h.record.outcome = done;
      this.log.record(done, alert, now);
      if (!prior.has(d.address)) prior.set(d.address, this.active.get(d.address));
      this.active.set(d.address, banOf(d));
      made.push(d);
      this.deferCounts.made++;
    }
    if (this.held.size > 0) this.wakeIn(this.policy.banIntervalMs);
    if (made.length > 0) await this.apply(made, prior);
    return made;
  }

  /** An operator's ban (validated by the policy: address, allow-list, TTL range). */
  async block(address: string, ttlS?: number, reason?: string, options: { force?: boolean } = {}): Promise<ManualBan> {
    const d = this.policy.manualBlock(address, ttlS, reason, options);
    const before = this.active.get(d.address);
    this.active.set(d.address, banOf(d));
    await this.apply([d], new Map([[d.address, before]]));
    return before && before.expiresAt > d.at ? { ...d, replaced: before } : d;
  }

  /** Lifts a ban; `reason` says why when it is not an operator's plain unblock (an address allowed at run time). */
  async unblock(address: string, reason?: string): Promise<{ decision: Decision; existed: boolean }> {
    const lifted = this.policy.manualUnblock(address);
    const decision = reason ? { ...lifted, reason } : lifted;
    const existed = await this.registry.remove(decision.address);
    await this.policy.offences.flush();
    this.active.delete(decision.address);
    if (existed) {
      this.log.add(decision);
      for (const fn of this.decisionListeners) fn(decision);
    }
    return { decision, existed };
  }

  bans(): Promise<Ban[]> {
    return this.registry.list();
  }

  decisions(limit: number): DecisionLogEntry[] {
    return this.log.recent(limit);
  }

  alerts(limit: number): Alert[] {
    return this.recentAlerts.recent(limit).map((r) => r.alert);
  }

  /** The newest `limit` alerts with their numbers and outcomes, newest first. */
  alertRecords(limit: number): AlertRecord[] {
    return this.recentAlerts.recent(limit);
  }

  /** Alert number `id`, while the desk still holds it (the newest alertLog alerts). */
  alertRecord(id: number): AlertRecord | undefined {
    return this.recentAlerts.at(id);
  }

  /** The ban in force on `address` (canonical text) as the desk sees it. */
  activeBan(address: string): Ban | undefined {
    const b = this.active.get(address);
    return b && b.expiresAt > this.clock.now() ? b : undefined;
  }

  get alertsHeld(): number {
    return this.recentAlerts.capacity;
  }

  get alertsSeen(): number {
    return this.recentAlerts.total;
  }

  /**
   * The bans decided written to the registry in one write, with the
   * offences they count, one flush, then the decisions announced in order. Of an address
   * banned twice (an extension), the registry gets the last ban.
   */
  private async apply(made: readonly Decision[], prior: ReadonlyMap<string, Ban | undefined>): Promise<void> {
    const bans = new Map(made.map((d) => [d.address, banOf(d)]));
    // An operator's ban is acknowledged only once a power cut cannot undo it; an automatic
    // one is enforced without waiting for the disk's fsync (a registry on disk still keeps it
    // across a crash of the process; the attacker's next packets would decide it again).
    const sync = made.some((d) => d.detector === 'operator');
    let refused: MalformedBanError | undefined;
    try {
      if (bans.size === 1) await this.registry.put(bans.values().next().value!, { sync });
      else await this.registry.putMany([...bans.values()], { sync });
    } catch (err) {
      // A ban the registry would not store (etcd-values.ts's banProblem): the others of the turn
      // were written and are announced; the desk forgets the refused ones, then reports them.
      if (!(err instanceof MalformedBanError)) throw err;
      refused = err;
      for (const address of err.addresses()) {
        const was = prior.get(address);
        if (was) this.active.set(address, was);
        else this.active.delete(address);
      }
    }
    // The offences they count as are durable too before the bans are acknowledged.
    await this.policy.offences.flush();
    const out = refused ? new Set(refused.addresses()) : undefined;
    for (const d of made) {
      if (out?.has(d.address)) continue;
      if (d.detector === 'operator') this.log.add(d);
      for (const fn of this.decisionListeners) fn(d);
    }
    if (refused) throw refused;
  }
}
