// Addresses and CIDRs as the response side speaks them: parsed strictly, normalised to one
// canonical text (so "1.2.3.4", "1.2.3.4/32" and "::ffff:1.2.3.4" are one ban, one registry
// key, one firewall element), and matched fast against lists of nets.
//
// Choices:
// - Host bits in a CIDR are refused, not masked: "10.0.0.5/8" is either a typo for the host
//   or for the whole /8, and guessing the wider one could block a network by accident.
// - An IPv4-mapped IPv6 address (::ffff:a.b.c.d, prefix >= 96) is the IPv4 address: that is
//   what the firewall sees on the wire.
// - A zone index (fe80::1%eth0) is refused: it means nothing to a ban.
// - Text output: dotted quad for IPv4, RFC 5952 for IPv6, "/prefix" only for nets wider
//   than one host.
// node's net.BlockList is not used: it can neither list its rules nor normalise text, and
// the allow-list must say which entry matched.

import { BadAddressError } from './errors.ts';
import { formatIPv4, formatIPv6, parseIpv4, parseIpv6 } from '../net/address.ts';

export interface Cidr {
  readonly family: 4 | 6;
  /** Prefix length: 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
  /** Network address with host bits zero, as big-endian uint32 words: one for IPv4, four for IPv6. */
  readonly words: readonly number[];
  /** Canonical text: the address alone for one host (/32, /128), else address/prefix. */
  readonly text: string;
}

/** The mask of the top `bits` bits of a 32-bit word (bits clamped to 0..32). */
function wordMask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Whether words a and b agree on their first `prefix` bits. */
function samePrefix(a: readonly number[], b: readonly number[], prefix: number): boolean {
  for (let i = 0; i < a.length && prefix > 32 * i; i++) {
    if (((a[i] ^ b[i]) & wordMask(prefix - 32 * i)) !== 0) return false;
  }
  return true;
}

function widthOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function format(family: 4 | 6, words: readonly number[], prefix: number): string {
  let addr: string;
  if (family === 4) addr = formatIPv4(words[0] >>> 0);
  else {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 4; i++) view.setUint32(4 * i, words[i]);
    addr = formatIPv6(bytes, 0);
  }
  return prefix === widthOf(family) ? addr : `${addr}/${prefix}`;
}

/** Why `addr` (the part before any '/') is not an address: for the error message. */
function diagnose(addr: string): string {
  if (addr === '') return 'there is no address before the "/"';
  const odd = /[^0-9a-fA-F.:]/.exec(addr);
  if (odd) {
    if (odd[0] === '%') return 'a zone index (%...) has no meaning for a ban: leave it out';
    return `it contains ${JSON.stringify(odd[0])}, which has no place in an address`;
  }
  if (!addr.includes(':')) {
    const parts = addr.split('.');
    if (parts.length !== 4) return `an IPv4 address has 4 numbers separated by dots, this has ${parts.length}`;
    for (const p of parts) {
      if (!/^[0-9]+$/.test(p)) return p === '' ? 'one of its 4 numbers is empty' : `${JSON.stringify(p)} is not a decimal number`;
      if (p.length > 1 && p[0] === '0') return `${p} has a leading zero (octal or decimal? write it without)`;
      if (Number(p) > 255) return `${p} is over 255`;
    }
  }
  if (addr.indexOf('::') !== addr.lastIndexOf('::')) return '"::" may stand only once in an IPv6 address';
  return 'it is not IPv6 either (8 groups of 1-4 hex digits separated by ":", "::" once for a run of zero groups)';
}

const v6groups = new Uint16Array(8);

/**
 * Parses an IPv4/IPv6 address or CIDR into its canonical form. Surrounding whitespace is
 * ignored. Throws BadAddressError (AI_ERR_BAD_ADDRESS) naming the value and the problem.
 */
export function parseCidr(input: string): Cidr {
  if (typeof input !== 'string') throw new BadAddressError(input, `expected text, got a ${typeof input}`);
  const text = input.trim();
  if (text === '') throw new BadAddressError(input, 'it is empty');
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);

  let family: 4 | 6;
  let words: number[];
  const v4 = parseIpv4(addr);
  if (v4 >= 0) {
    family = 4;
    words = [v4];
  } else if (addr.includes(':') && !addr.includes('%') && parseIpv6(addr, v6groups)) {
    family = 6;
    const g = v6groups;
    words = [((g[0] << 16) | g[1]) >>> 0, ((g[2] << 16) | g[3]) >>> 0, ((g[4] << 16) | g[5]) >>> 0, ((g[6] << 16) | g[7]) >>> 0];
  } else {
    throw new BadAddressError(input, diagnose(addr));
  }

  let prefix = widthOf(family);
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p)) {
      throw new BadAddressError(input, p === '' ? 'there is no prefix length after the "/"' : `prefix ${JSON.stringify(p)} is not a number of bits`);
    }
    prefix = Number(p);
    if (prefix > widthOf(family)) throw new BadAddressError(input, `prefix /${prefix} is over ${widthOf(family)}, the longest for IPv${family}`);
  }

  // ::ffff:a.b.c.d is the IPv4 host a.b.c.d (RFC 4291 2.5.5.2).
  if (family === 6 && prefix >= 96 && words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    family = 4;
    words = [words[3]];
    prefix -= 96;
  }

  const net = words.map((w, i) => (w & wordMask(prefix - 32 * i)) >>> 0);
  if (!samePrefix(net, words, widthOf(family))) {
    const host = format(family, words, widthOf(family));
    const whole = format(family, net, prefix);
    throw new BadAddressError(input, `host bits are set after /${prefix}: write ${whole} for the whole net, or ${host} for the one host`);
  }
  return { family, prefix, words: net, text: format(family, net, prefix) };
}

/** Canonical text of an address or CIDR (throws BadAddressError). */
export function normalizeAddress(input: string): string {
  return parseCidr(input).text;
}

/** Whether the Cidr is one host (/32 for IPv4, /128 for IPv6). */
export function isHost(c: Cidr): boolean {
  return c.prefix === widthOf(c.family);
}

function asCidr(x: Cidr | string): Cidr {
  return typeof x === 'string' ? parseCidr(x) : x;
}

/** Whether `net` contains `inner` (an address, or a whole net). Different families never match. */
export function contains(net: Cidr | string, inner: Cidr | string): boolean {
  const n = asCidr(net);
  const x = asCidr(inner);
  return n.family === x.family && x.prefix >= n.prefix && samePrefix(n.words, x.words, n.prefix);
}

/** Whether two nets share any address (CIDRs either nest or are disjoint). */
export function overlaps(a: Cidr | string, b: Cidr | string): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  return contains(x, y) || contains(y, x);
}

/**
 * The key of an IPv4 address's /p net: its top p bits as a number below 2^p, which V8 keeps
 * as a small integer (no heap number to hash) for all but the longest prefixes.
 */
function v4Key(addr: number, p: number): number {
  return p === 0 ? 0 : addr >>> (32 - p);
}

export interface CidrMatch<T> {
  net: Cidr;
  value: T;
}

/**
 * A list of nets, each with a value, matched by longest prefix. IPv4 keeps one Map per prefix
 * length keyed by the net's top bits, so a lookup costs one probe per distinct prefix length
 * and allocates nothing; IPv6 (rarer, shorter lists) is a scan of 4×uint32 words, longest
 * prefix first. The first value added for a net wins.
 */
export class CidrMatcher<T> {
  /** Per prefix length p: the nets of that length by v4Key. */
  private readonly v4ByPrefix: Array<Map<number, CidrMatch<T>> | undefined> = new Array(33);
  /** Distinct IPv4 prefix lengths present, longest first. */
  private v4Prefixes: number[] = [];
  /** IPv6 entries, longest prefix first. */
  private v6: CidrMatch<T>[] = [];
  private readonly all: CidrMatch<T>[] = [];

  add(net: Cidr | string, value: T): void {
    const c = asCidr(net);
    if (this.all.some((m) => m.net.family === c.family && m.net.prefix === c.prefix && samePrefix(m.net.words, c.words, c.prefix))) return;
    const entry = { net: c, value };
    this.all.push(entry);
    if (c.family === 4) {
      let m = this.v4ByPrefix[c.prefix];
      if (!m) {
        m = this.v4ByPrefix[c.prefix] = new Map();
        this.v4Prefixes = [...this.v4Prefixes, c.prefix].sort((a, b) => b - a);
      }
      m.set(v4Key(c.words[0], c.prefix), entry);
    } else {
      this.v6 = [...this.v6, entry].sort((a, b) => b.net.prefix - a.net.prefix);
    }
  }

  get size(): number {
    return this.all.length;
  }

  /** Every entry, in the order added. */
  entries(): readonly CidrMatch<T>[] {
    return this.all;
  }

  /** The most specific entry containing the IPv4 address held as a uint32 (the hot path). */
  matchIpv4(addr: number): CidrMatch<T> | undefined {
    const prefixes = this.v4Prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i];
      const hit = this.v4ByPrefix[p]!.get(v4Key(addr, p));
      if (hit) return hit;
    }
    return undefined;
  }

  /** The most specific entry that contains `x` (an address or a whole net). */
  match(x: Cidr | string): CidrMatch<T> | undefined {
    const c = asCidr(x);
    if (c.family === 4) {
      for (const p of this.v4Prefixes) {
        if (p > c.prefix) continue;
        const hit = this.v4ByPrefix[p]!.get(v4Key(c.words[0], p));
        if (hit) return hit;
      }
      return undefined;
    }
    for (const e of this.v6) if (e.net.prefix <= c.prefix && samePrefix(e.net.words, c.words, e.net.prefix)) return e;
    return undefined;
  }

  /**
   * An entry sharing any address with `x`: the most specific one containing it, else the
   * first one added that lies inside it (for refusing a ban wider than a protected host).
   */
  overlapping(x: Cidr | string): CidrMatch<T> | undefined {
    const c = asCidr(x);
    return this.match(c) ?? this.all.find((e) => contains(c, e.net));
  }
}
