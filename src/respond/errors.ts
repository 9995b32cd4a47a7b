// Errors of the response side: what an operator (CLI, dashboard, API) or a configuration can
// get wrong about an address, the allow-list or a ban length. The API maps the codes to
// HTTP statuses (ui/bans-api.ts), so the codes are stable.

import { AutoimmuneError } from '../errors.ts';

/** A bad value as the user typed it: text quoted, numbers as they are (NaN, Infinity too). */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

const EXAMPLES = 'an IPv4 or IPv6 address or CIDR, e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::1 or 2001:db8::/32';

/** Text that is not an IPv4/IPv6 address or CIDR (or a CIDR with host bits set). */
export class BadAddressError extends AutoimmuneError {
  readonly value: unknown;
  constructor(value: unknown, problem: string) {
    super('AI_ERR_BAD_ADDRESS', `bad address ${show(value)}: ${problem}; expected ${EXAMPLES}`, { statusCode: 400 });
    this.value = value;
  }
}

/** A ban that would cover an allow-listed address: refused, with the entry that protects it. */
export class AllowListedError extends AutoimmuneError {
  readonly address: string;
  /** The allow-list entry, e.g. "127.0.0.0/8 (loopback)". */
  readonly protectedBy: string;
  constructor(address: string, protectedBy: string, forceable = false) {
    super(
      'AI_ERR_ALLOW_LISTED',
      forceable
        ? `refusing to ban ${address}: it is protected as ${protectedBy}, part of this network's infrastructure; if it really is hostile, ban it with force (--force, or "force": true)`
        : `refusing to ban ${address}: it is allow-listed by ${protectedBy}; ban a narrower address outside it, or change the allow-list (autoimmune allow remove, or responder.allow in the configuration)`,
      { statusCode: 403 },
    );
    this.address = address;
    this.protectedBy = protectedBy;
  }
}

/** A ban length outside what the configuration allows for manual bans. */
export class BadTtlError extends AutoimmuneError {
  readonly value: unknown;
  readonly minS: number;
  readonly maxS: number;
  constructor(value: unknown, minS: number, maxS: number) {
    super('AI_ERR_BAD_TTL', `bad ban TTL ${show(value)}: expected a whole number of seconds from ${minS} to ${maxS}`, { statusCode: 400 });
    this.value = value;
    this.minS = minS;
    this.maxS = maxS;
  }
}

/** A ban of a net wider than the widest the configuration allows (responder.minPrefix). */
export class BanTooWideError extends AutoimmuneError {
  readonly address: string;
  readonly minPrefix: number;
  constructor(address: string, family: 4 | 6, minPrefix: number) {
    super(
      'AI_ERR_BAN_TOO_WIDE',
      `refusing to ban ${address}: it is wider than /${minPrefix}, the widest IPv${family} ban allowed (responder.minPrefix.v${family}); ban narrower nets`,
      { statusCode: 400 },
    );
    this.address = address;
    this.minPrefix = minPrefix;
  }
}
