// The responder's policy, pure: given an alert (and the ban in force on its source, if any)
// decide to ban, or say why not. Escalates repeat offenders, never touches allow-listed
// nets, rate-limits automatic bans with a token bucket, and checks operators' bans. Time
// comes from the injected clock (wall-clock ms in the node, as Decision.at is), so tests run
// it on a ManualClock.

import type { Ban } from './ban-registry.ts';
import type { Alert } from '../detect/alert.ts';
import { sparedAsForgeable } from '../detect/evidence-grade.ts';
import type { Clock } from '../util/clock.ts';
import type { AllowList } from './allow-list.ts';
import { TokenBucket, type BanBudget } from './ban-budget.ts';
import { BanGuard } from './ban-guard.ts';
import { parseCidr, type Cidr } from './cidr.ts';
import type { Decision } from './decision.ts';
import { BadAddressError, BadTtlError } from './errors.ts';
import { MemoryOffenceBook, type OffenceBook } from './offence-book.ts';
import { checkResponderConfig, type ResponderConfig } from './responder-config.ts';
import { readable } from '../util/round.ts';

export const SKIP_REASONS = ['below-min-score', 'not-blockable', 'allow-listed', 'forgeable-evidence', 'already-banned', 'rate-limited'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** retryInMs: with 'rate-limited', when the next automatic ban can be made. */
export type PolicyOutcome = { decision: Decision } | { skipped: SkipReason; detail: string; retryInMs?: number };

export interface ResponderStats {
  alerts: number;
  /** Automatic bans decided (new offences and extensions of shorter bans). */
  bans: number;
  manualBans: number;
  manualUnbans: number;
  skipped: Record<SkipReason, number>;
  /** Addresses whose offences are remembered now. */
  remembered: number;
  /** Automatic bans that could be made right now (whole tokens in the bucket). */
  bansAvailable: number;
}

/** Where the policy keeps what must outlive it: offences and the ban budget (default: memory, one node). */
export interface PolicyState {
  offences?: OffenceBook;
  budget?: BanBudget;
}

/** Seconds for a message: whole when whole, else one decimal. */
function secs(s: number): string {
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

/** A few of an alert's evidence fields, for the reason of a ban. */
function evidenceSummary(e: Alert['evidence']): string {
  return Object.entries(e)
    .slice(0, 6)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? readable(v) : v}`)
    .join(', ');
}

/** Who asks for a ban in a Decision: the rule (alert type), or the model. */
export function detectorOf(alert: Alert): string {
  return alert.detector === 'rules' ? alert.type : alert.detector;
}

export class ResponderPolicy {
  /** Every ban this policy decides or checks passes it; the firewall asks it again. */
  readonly guard: BanGuard;
  readonly offences: OffenceBook;
  private readonly budget: BanBudget;
  private sweepAt = 1024;
  private readonly counts = { alerts: 0, bans: 0, manualBans: 0, manualUnbans: 0 };
  private readonly skips = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;

  constructor(
    private readonly config: ResponderConfig,
    allowList: AllowList,
    private readonly clock: Clock,
    state: PolicyState = {},
  ) {
    checkResponderConfig(config);
    this.guard = new BanGuard(allowList, config.minPrefix);
    this.offences = state.offences ?? new MemoryOffenceBook();
    this.budget = state.budget ?? new TokenBucket(config.rateLimit, clock.now());
  }

  /** Ban length of the n-th offence (1 for the first): base × factor^(n−1), capped, whole seconds. */
  ttlFor(offence: number): number {
    const { banTtlS, escalation } = this.config;
    return Math.min(escalation.maxTtlS, Math.round(banTtlS * escalation.factor ** (Math.max(1, offence) - 1)));
  }

  /** Offences of `address` (canonical text) remembered now. */
  offencesOf(address: string): number {
    const rec = this.offences.get(address);
    if (!rec) return 0;
    if (rec.forgetAt > this.clock.now()) return rec.offences;
    this.offences.delete(address);
    return 0;
  }

  /** An alert judged; `reconsidered`: one judged before and held back by the rate limit (ban-desk.ts), not counted as an alert again. */
  onAlert(alert: Alert, activeBan?: Ban, reconsidered = false): PolicyOutcome {
    if (!reconsidered) this.counts.alerts++;
    const { minScore } = this.config;
    if (alert.score === Infinity) {
      // A detector's bug (a division by zero): no ban could be stored with it (ban-record.ts).
      return this.skip('not-blockable', `${alert.type} from ${alert.source} scored ${alert.score}, not a finite number: recorded, not acted on`);
    }
    if (!(alert.score >= minScore)) {
      return this.skip('below-min-score', `${alert.type} from ${alert.source} scored ${readable(alert.score)}, below the minimum ${minScore}: recorded, not acted on`);
    }
    if (!alert.blockable) {
      return this.skip(
        'not-blockable',
        `${alert.type} against ${alert.target}: its sources are spoofed or abused reflectors (${alert.source} is only the busiest), so banning them would not help; left to upstream mitigation`,
      );
    }
    let net: Cidr;
    try {
      net = parseCidr(alert.source);
    } catch (err) {
      if (!(err instanceof BadAddressError)) throw err;
      return this.skip('not-blockable', `${alert.type}: the source is not an address to ban (${err.message})`);
    }
    const address = net.text;
    const refusal = this.guard.check(net);
    if (refusal) return this.skip(refusal.kind === 'protected' ? 'allow-listed' : 'not-blockable', `${refusal.text}: never banned`);

    const now = this.clock.now();
    const level = this.offencesOf(address);
    const what = `${alert.type} from ${address} scored ${readable(alert.score)} (>= ${minScore}; ${evidenceSummary(alert.evidence)})`;
    let offence: number;
    let reason: string;
    // Evidence anyone could forge (single packets, half-open SYNs: see session-verifier.ts)
    // never bans an address that has had real sessions here; an address never seen in one may
    // be banned, briefly and without escalation, so a forger cannot make it grow.
    const forgeable = alert.grade === 'forgeable';
    if (sparedAsForgeable(alert)) {
      return this.skip('forgeable-evidence', `${what}: this rests on packets anyone could forge (single packets or half-open SYNs) and ${address} has had real sessions here, so it is not banned on such evidence`);
    }
    if (forgeable) {
      if (activeBan && activeBan.expiresAt > now) {
        return this.skip('already-banned', `${address} is already banned (${secs((activeBan.expiresAt - now) / 1000)} s left of ${activeBan.ttl} s, by ${activeBan.detector}); alerts during a ban are the same offence`);
      }
      const wait = this.budget.take(now, `${address}|${now}`);
      if (wait > 0) return this.rateLimited(address, alert, wait);
      const ttl = Math.min(this.config.forgeableBanTtlS, this.ttlFor(1));
      this.counts.bans++;
      reason = `${what}: evidence anyone could forge, from an address never seen in a real session here: banned ${ttl} s, no escalation`;
      return { decision: { address, action: 'ban', ttl, reason, detector: detectorOf(alert), score: alert.score, at: now, captureTs: alert.ts, offence: Math.max(1, level), evidence: 'forgeable' } };
    }
    if (activeBan && activeBan.expiresAt > now) {
      // The capture still sees the packets the firewall drops, so alerts keep coming during a
      // ban: they are the offence already punished, not new ones (else every ban would
      // escalate itself to the cap). Only a ban shorter than the offence warrants (an
      // operator's brief one, or one from an older configuration) is brought up to it.
      offence = Math.max(level, activeBan.offence, 1);
      const warranted = this.ttlFor(offence);
      const leftS = (activeBan.expiresAt - now) / 1000;
      if (activeBan.ttl >= warranted || leftS >= warranted) {
        return this.skip(
          'already-banned',
          `${address} is already banned (${secs(leftS)} s left of ${activeBan.ttl} s, offence ${activeBan.offence}, by ${activeBan.detector}), ` +
            `at least the ${warranted} s offence ${offence} warrants; alerts during a ban are the same offence`,
        );
      }
      reason = `${what}: the ban in force (${secs(leftS)} s left of ${activeBan.ttl} s) is shorter than the ${warranted} s offence ${offence} warrants; extended`;
    } else {
      offence = level + 1;
      reason = `${what}: ${this.escalationText(offence)}`;
    }

    const wait = this.budget.take(now, `${address}|${now}`);
    if (wait > 0) return this.rateLimited(address, alert, wait);
    const ttl = this.ttlFor(offence);
    this.remember(address, offence, now + ttl * 1000);
    this.counts.bans++;
    return { decision: { address, action: 'ban', ttl, reason, detector: detectorOf(alert), score: alert.score, at: now, captureTs: alert.ts, offence, ...(alert.grade ? { evidence: alert.grade } : {}) } };
  }

  private rateLimited(address: string, alert: Alert, waitMs: number): PolicyOutcome {
    const { bans, perS } = this.config.rateLimit;
    const deferS = this.config.rateLimit.deferS ?? 0;
    const then = deferS > 0 ? `; it waits (up to ${deferS} s) and is made then` : '';
    const out = this.skip('rate-limited', `would ban ${address} for ${alert.type}, but automatic bans are limited to ${bans} per ${perS} s and none is free; the next frees in ${secs(Math.ceil(waitMs / 100) / 10)} s${then}`);
    return { ...out, retryInMs: waitMs };
  }

  /**
   * An operator's ban: not rate-limited, but never of an allow-listed address and only for a
   * TTL within manualTtl. Counts as an offence (so the detector escalates on top of it).
   * Throws BadAddressError, AllowListedError, BadTtlError.
   */
  manualBlock(address: string, ttlS?: number, reason?: string, options: { force?: boolean } = {}): Decision {
    const { net, ttl } = this.checkManualBlock(address, ttlS, options);
    const now = this.clock.now();
    const offence = this.offencesOf(net.text) + 1;
    this.remember(net.text, offence, now + ttl * 1000);
    this.counts.manualBans++;
    const why = reason?.trim() || 'banned by an operator';
    const forced = options.force === true && this.guard.check(net) !== null;
    return { address: net.text, action: 'ban', ttl, reason: why, detector: 'operator', score: 1, at: now, offence, evidence: 'operator', ...(forced ? { forced: true } : {}) };
  }

  /**
   * What manualBlock would refuse, without doing anything: the normalised address and TTL, or
   * the same errors (bad address, allow-listed, TTL out of range). For a dry run.
   */
  checkManualBlock(address: string, ttlS?: number, options: { force?: boolean } = {}): { net: ReturnType<typeof parseCidr>; ttl: number } {
    const net = parseCidr(address);
    this.guard.assertAllowed(net, options.force === true);
    const { minS, maxS, defaultS } = this.config.manualTtl;
    const ttl = ttlS ?? defaultS;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < minS || ttl > maxS) throw new BadTtlError(ttlS, minS, maxS);
    return { net, ttl };
  }

  /**
   * An operator lifts a ban. Its offences are forgotten too: lifting a ban says it was a
   * mistake, which should not make the next one longer. Whether a ban existed is the
   * registry's to say. Throws BadAddressError.
   */
  manualUnblock(address: string): Decision {
    const net = parseCidr(address);
    const had = this.offencesOf(net.text);
    this.offences.delete(net.text);
    this.counts.manualUnbans++;
    const reason = had > 0 ? `lifted by an operator; ${had} remembered offence${had === 1 ? '' : 's'} forgotten` : 'lifted by an operator (no offences remembered)';
    return { address: net.text, action: 'unban', ttl: 0, reason, detector: 'operator', score: 1, at: this.clock.now() };
  }

  /** Automatic bans that could be made right now (whole tokens in the bucket). */
  bansAvailable(): number {
    return this.budget.available(this.clock.now());
  }

  /** Milliseconds the bucket takes to free one more automatic ban (its refill rate). */
  get banIntervalMs(): number {
    const { bans, perS } = this.config.rateLimit;
    return (perS * 1000) / bans;
  }

  /** How long a ban the rate limit refused may wait to be made, ms (0: it is dropped). */
  get deferMs(): number {
    return (this.config.rateLimit.deferS ?? 0) * 1000;
  }

  stats(): ResponderStats {
    return { ...this.counts, skipped: { ...this.skips }, remembered: this.offences.size, bansAvailable: this.bansAvailable() };
  }

  private skip(skipped: SkipReason, detail: string): PolicyOutcome {
    this.skips[skipped]++;
    return { skipped, detail };
  }

  private escalationText(offence: number): string {
    const { banTtlS, escalation } = this.config;
    const ttl = this.ttlFor(offence);
    if (offence === 1) return `first offence, banned ${ttl} s`;
    const raw = banTtlS * escalation.factor ** (offence - 1);
    const formula = `${banTtlS} s × ${escalation.factor}^${offence - 1}`;
    return `offence ${offence} within ${escalation.memoryS} s of the last ban, banned ${formula}${raw > escalation.maxTtlS ? ` capped at ${ttl}` : ` = ${ttl}`} s`;
  }

  private remember(address: string, offences: number, banEndsAt: number): void {
    this.offences.set(address, { offences, forgetAt: banEndsAt + this.config.escalation.memoryS * 1000 });
    if (this.offences.size >= this.sweepAt) {
      // Amortised O(1): sweep the forgotten ones only when the book has doubled.
      this.offences.sweep(this.clock.now());
      this.sweepAt = Math.max(1024, 2 * this.offences.size);
    }
  }
}
