// The guard every ban passes, wherever it was written (the responder, an operator, a feed, a
// value put straight into etcd): it never covers a protected address (loopback, this node's
// addresses, the cluster's members and etcd endpoints, the allow-list, the network's
// infrastructure) and is never wider than the widest net the configuration allows. The
// responder asks it before deciding; the firewall asks it again before enforcing, so nothing
// that reaches the registry by another way can turn the firewall against its own.

import { describeAllowEntry, type AllowEntry, type AllowList } from './allow-list.ts';
import { overlaps, parseCidr, type Cidr } from './cidr.ts';
import { AllowListedError, BadAddressError, BanTooWideError } from './errors.ts';

/** The shortest prefix a ban may have, per family. */
export interface MinPrefix {
  v4: number;
  v6: number;
}

/**
 * Defaults: IPv4 /8 is the largest block ever held by one organisation (IANA's legacy class A
 * allocations), so nothing wider names a single culprit; IPv6 /19 is about the largest single
 * allocation a RIR has made to one network (e.g. 2003::/19), while 2000::/3 is all of the
 * global unicast space.
 */
export const DEFAULT_MIN_PREFIX: MinPrefix = { v4: 8, v6: 19 };

export type GuardRefusal =
  | { kind: 'protected'; entry: AllowEntry; text: string }
  | { kind: 'too-wide'; minPrefix: number; text: string }
  | { kind: 'malformed'; text: string };

export class BanGuard {
  constructor(
    readonly protectedSet: AllowList,
    readonly minPrefix: MinPrefix = DEFAULT_MIN_PREFIX,
  ) {}

  /** Why `net` must not be banned, or null when it may be; `forced`: an operator's forced ban (may cover forceable entries). */
  check(net: Cidr, forced = false): GuardRefusal | null {
    const entry = this.protectedSet.allows(net);
    if (entry && !(forced && entry.forceable && this.onlyForceable(net))) return { kind: 'protected', entry, text: `${net.text} is allow-listed by ${describeAllowEntry(entry)}` };
    const min = net.family === 4 ? this.minPrefix.v4 : this.minPrefix.v6;
    if (net.prefix < min) return { kind: 'too-wide', minPrefix: min, text: `${net.text} is wider than /${min}, the widest IPv${net.family} ban allowed (responder.minPrefix.v${net.family})` };
    return null;
  }

  /** The same for text from outside (a registry value): a malformed address is refused too. */
  checkText(address: string, forced = false): GuardRefusal | null {
    let net: Cidr;
    try {
      net = parseCidr(address);
    } catch (err) {
      if (!(err instanceof BadAddressError)) throw err;
      return { kind: 'malformed', text: err.message };
    }
    if (net.text !== address) return { kind: 'malformed', text: `${JSON.stringify(address)} is not in canonical form (${net.text})` };
    return this.check(net, forced);
  }

  /** Whether every protected entry `net` covers may be forced (a net over a gateway and loopback may not). */
  private onlyForceable(net: Cidr): boolean {
    return this.protectedSet.entries().every((e) => e.forceable === true || !overlaps(e.net, net));
  }

  /** Throws the error an operator should see (AllowListedError, BanTooWideError) when refused. */
  assertAllowed(net: Cidr, forced = false): void {
    const r = this.check(net, forced);
    if (!r) return;
    if (r.kind === 'protected') throw new AllowListedError(net.text, describeAllowEntry(r.entry), r.entry.forceable === true);
    if (r.kind === 'too-wide') throw new BanTooWideError(net.text, net.family, r.minPrefix);
  }
}
