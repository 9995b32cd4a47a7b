// What the responder's policy is tuned by: plain JSON, so it sits in the configuration file
// as it is. Escalation follows fail2ban's bantime.increment: a repeat offender's ban grows by
// a factor per offence, up to a cap, for as long as its offences are remembered.

import { ConfigError } from '../errors.ts';
import { DEFAULT_MIN_PREFIX, type MinPrefix } from './ban-guard.ts';

export interface ResponderConfig {
  /** Alerts scoring below this are recorded, not acted on. In [0, 1]; a rule alert at its threshold scores 0.5. */
  minScore: number;
  /** Ban length of a first offence, seconds. */
  banTtlS: number;
  escalation: {
    /** ttl = banTtlS × factor^(offence − 1); 1 turns escalation off. */
    factor: number;
    /** Cap on an escalated ban, seconds. */
    maxTtlS: number;
    /** An address's offences are forgotten this long after its last ban ends, seconds. */
    memoryS: number;
  };
  /**
   * Token bucket on automatic bans: at most `bans` at once, refilled at bans/perS per second.
   * Operator bans are not limited. A ban the bucket refuses waits (ban-desk.ts) and is made
   * when a token frees, unless `deferS` seconds passed first (0: refused bans are dropped).
   */
  rateLimit: { bans: number; perS: number; deferS?: number };
  /** Addresses and CIDRs never to ban (loopback and the node's own addresses are always added). */
  allow: string[];
  /** Bounds and default of an operator's ban length, seconds. */
  manualTtl: { minS: number; maxS: number; defaultS: number };
  /** The shortest prefix a ban may have (the widest net), per family: enforced by the firewall too. */
  minPrefix: MinPrefix;
  /**
   * Ban length, seconds, when the evidence could have been forged (single packets, half-open
   * SYNs) and the source has never had a real session here; such bans never escalate. A source
   * that has had real sessions is never banned on forgeable evidence alone.
   */
  forgeableBanTtlS: number;
}

export const DEFAULT_RESPONDER: ResponderConfig = {
  minScore: 0.5,
  banTtlS: 600, // fail2ban's default bantime
  escalation: { factor: 2, maxTtlS: 7 * 86_400, memoryS: 86_400 },
  // deferS: a ban the limit holds back is still made within fail2ban's default findtime (600 s),
  // the window over which its jail would still count the offence; after that it is dropped
  rateLimit: { bans: 30, perS: 60, deferS: 600 },
  allow: [],
  // The floor stays well above etcd's minimum lease TTL (about 2 s).
  manualTtl: { minS: 10, maxS: 30 * 86_400, defaultS: 3_600 },
  // Reasons in ban-guard.ts: nothing wider names a single culprit.
  minPrefix: DEFAULT_MIN_PREFIX,
  // Two minutes: long enough to cut a scan short (nmap's default SYN scan of 1,000 ports takes
  // seconds to a minute) and to be renewed while the scanner persists; short enough that
  // someone forging an unseen address must keep forging to keep it banned, and that an
  // innocent newcomer so framed is back within two minutes.
  forgeableBanTtlS: 120,
};

/**
 * Checks what a schema cannot say on its own (ranges that depend on each other). Throws
 * ConfigError naming the field, the value and what it must be.
 */
export function checkResponderConfig(c: ResponderConfig): void {
  const need = (ok: boolean, field: string, value: unknown, what: string) => {
    if (!ok) throw new ConfigError(`responder: ${field} must be ${what}, got ${JSON.stringify(value)}`);
  };
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  need(Number.isFinite(c.minScore) && c.minScore >= 0 && c.minScore <= 1, 'minScore', c.minScore, 'a number from 0 to 1');
  need(positive(c.banTtlS), 'banTtlS', c.banTtlS, 'a positive number of seconds');
  need(Number.isFinite(c.escalation.factor) && c.escalation.factor >= 1, 'escalation.factor', c.escalation.factor, 'a number >= 1');
  need(positive(c.escalation.maxTtlS) && c.escalation.maxTtlS >= c.banTtlS, 'escalation.maxTtlS', c.escalation.maxTtlS, `at least banTtlS (${c.banTtlS})`);
  need(Number.isFinite(c.escalation.memoryS) && c.escalation.memoryS >= 0, 'escalation.memoryS', c.escalation.memoryS, 'a number of seconds >= 0');
  need(Number.isInteger(c.rateLimit.bans) && c.rateLimit.bans >= 1, 'rateLimit.bans', c.rateLimit.bans, 'a whole number >= 1');
  need(positive(c.rateLimit.perS), 'rateLimit.perS', c.rateLimit.perS, 'a positive number of seconds');
  const deferS = c.rateLimit.deferS ?? 0;
  need(Number.isFinite(deferS) && deferS >= 0 && deferS <= 86_400, 'rateLimit.deferS', c.rateLimit.deferS, 'a number of seconds from 0 (refused bans are dropped) to 86400');
  const m = c.manualTtl;
  need(Number.isInteger(m.minS) && m.minS >= 1, 'manualTtl.minS', m.minS, 'a whole number of seconds >= 1');
  need(Number.isInteger(m.maxS) && m.maxS >= m.minS, 'manualTtl.maxS', m.maxS, `a whole number of seconds >= manualTtl.minS (${m.minS})`);
  need(Number.isInteger(m.defaultS) && m.defaultS >= m.minS && m.defaultS <= m.maxS, 'manualTtl.defaultS', m.defaultS, `a whole number of seconds from ${m.minS} to ${m.maxS}`);
  need(Number.isInteger(c.minPrefix.v4) && c.minPrefix.v4 >= 0 && c.minPrefix.v4 <= 32, 'minPrefix.v4', c.minPrefix.v4, 'a whole number of bits from 0 to 32');
  need(Number.isInteger(c.minPrefix.v6) && c.minPrefix.v6 >= 0 && c.minPrefix.v6 <= 128, 'minPrefix.v6', c.minPrefix.v6, 'a whole number of bits from 0 to 128');
  need(Number.isFinite(c.forgeableBanTtlS) && c.forgeableBanTtlS >= 10, 'forgeableBanTtlS', c.forgeableBanTtlS, 'a number of seconds >= 10');
  need(Array.isArray(c.allow) && c.allow.every((a) => typeof a === 'string'), 'allow', c.allow, 'a list of addresses or CIDRs');
}
