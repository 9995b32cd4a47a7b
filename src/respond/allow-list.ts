// The nets the responder must never ban: loopback, the node's own addresses and what the
// configuration lists. Each entry says why it is there, so a refused ban can name what
// protected the address. Built from injected data (no os calls here): the node passes
// os.networkInterfaces(), tests pass what they like.

import { CidrMatcher, isHost, parseCidr, type Cidr } from './cidr.ts';

export interface AllowEntry {
  /** Canonical text of the protected address or net. */
  net: string;
  /** Why it is protected: "loopback", "this node's address on eth0", "configured". */
  why: string;
  /**
   * An operator may ban it with an explicit force flag (the network's infrastructure found on
   * the host: a gateway, resolver or NTP server can turn hostile). Never loopback, this node,
   * the cluster, etcd or the configured allow-list.
   */
  forceable?: boolean;
}

/** The shape of os.networkInterfaces(): per interface name, its addresses. */
export type InterfaceAddresses = Record<string, ReadonlyArray<{ address: string }> | undefined>;

export interface AllowListSources {
  /** The node's interfaces (os.networkInterfaces()): each address is protected as a host. */
  interfaces?: InterfaceAddresses;
  /** Configured addresses and CIDRs (throws BadAddressError on a bad one). */
  configured?: readonly string[];
  /** Anything else with its own reason, e.g. the cluster's other nodes. */
  extra?: readonly AllowEntry[];
}

export const LOOPBACK_NETS: readonly string[] = ['127.0.0.0/8', '::1'];

/** "127.0.0.0/8 (loopback)". */
export function describeAllowEntry(e: AllowEntry): string {
  return `${e.net} (${e.why})`;
}

export class AllowList {
  private matcher = new CidrMatcher<AllowEntry>();
  /** What the constructor protected, before any group: kept to rebuild when a group changes. */
  private readonly base: AllowEntry[];
  /** Entries that come and go (the cluster's members), by group name. */
  private readonly groups = new Map<string, readonly AllowEntry[]>();

  constructor(sources: AllowListSources = {}) {
    const add = (net: Cidr, why: string) => this.matcher.add(net, { net: net.text, why });
    for (const n of LOOPBACK_NETS) add(parseCidr(n), 'loopback');
    for (const [name, addrs] of Object.entries(sources.interfaces ?? {})) {
      for (const a of addrs ?? []) {
        const net = parseCidr(a.address.replace(/%.*$/, ''));
        // 127.0.0.1 on lo is already protected as loopback, which says more.
        if (this.matcher.match(net)?.value.why !== 'loopback') add(net, `this node's address on ${name}`);
      }
    }
    for (const c of sources.configured ?? []) add(parseCidr(c), 'configured');
    for (const e of sources.extra ?? []) add(parseCidr(e.net), e.why);
    this.base = this.entries();
  }

  /**
   * Replaces the entries of one group (e.g. "cluster-peers" as members join and leave). Rare,
   * so the matcher is rebuilt; entries that do not parse are skipped (they come from outside).
   */
  setGroup(group: string, entries: readonly AllowEntry[]): void {
    this.groups.set(group, entries);
    const m = new CidrMatcher<AllowEntry>();
    for (const e of this.base) m.add(e.net, e);
    for (const list of this.groups.values()) {
      for (const e of list) {
        try {
          const net = parseCidr(e.net);
          m.add(net, { net: net.text, why: e.why, ...(e.forceable ? { forceable: true } : {}) });
        } catch {
          // not an address: nothing to protect
        }
      }
    }
    this.matcher = m;
  }

  /**
   * The entry that forbids banning `address`, or null when it may be banned. For one host:
   * the most specific entry containing it. For a net: any entry it overlaps, since banning
   * 10.0.0.0/8 would also ban the protected 10.0.0.5. Throws BadAddressError on bad text.
   */
  allows(address: string | Cidr): AllowEntry | null {
    const c = typeof address === 'string' ? parseCidr(address) : address;
    const hit = isHost(c) ? this.matcher.match(c) : this.matcher.overlapping(c);
    return hit ? hit.value : null;
  }

  /** The protecting entry for an IPv4 address held as a uint32, without parsing (hot path). */
  allowsIpv4(addr: number): AllowEntry | null {
    return this.matcher.matchIpv4(addr)?.value ?? null;
  }

  /** Every entry, in the order added: loopback, own addresses, configured, extra. */
  entries(): AllowEntry[] {
    return this.matcher.entries().map((e) => e.value);
  }
}
