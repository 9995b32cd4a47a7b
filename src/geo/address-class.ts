// Special-purpose address ranges (RFC 6890 and its successors): such addresses are tagged
// with their class and never looked up in a GeoIP database, where they mean nothing.

import { parseIpv4, parseIpv6 } from '../net/address.ts';
export type AddressClass =
  | 'public'
  | 'private' // RFC 1918, IPv6 ULA fc00::/7 and deprecated site-local fec0::/10
  | 'loopback'
  | 'link-local'
  | 'cgnat' // shared address space 100.64.0.0/10 (RFC 6598)
  | 'multicast'
  | 'broadcast' // 255.255.255.255
  | 'documentation' // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
  | 'benchmarking' // 198.18.0.0/15, 2001:2::/48
  | 'unspecified' // 0.0.0.0/8, ::
  | 'reserved' // 240/4, IETF protocol assignments, unassigned IPv6 space
  | 'invalid'; // not an address

/** Class of an IPv4 address given as a uint32 (int32 spellings are accepted too). */
export function classifyIpv4(address: number): AddressClass {
  const a = address >>> 0;
  const o1 = a >>> 24;
  if (o1 >= 224) return o1 < 240 ? 'multicast' : a === 0xffffffff ? 'broadcast' : 'reserved';
  switch (o1) {
    case 0:
      return 'unspecified';
    case 10:
      return 'private';
    case 100:
      return a >>> 22 === 0x191 ? 'cgnat' : 'public'; // 100.64/10
    case 127:
      return 'loopback';
    case 169:
      return a >>> 16 === 0xa9fe ? 'link-local' : 'public';
    case 172:
      return a >>> 20 === 0xac1 ? 'private' : 'public'; // 172.16/12
    case 192: {
      const s24 = a >>> 8;
      if (s24 === 0xc00000) return 'reserved'; // 192.0.0/24, IETF protocol assignments
      if (s24 === 0xc00002) return 'documentation'; // 192.0.2/24
      if (s24 === 0xc05863) return 'reserved'; // 192.88.99/24, deprecated 6to4 relays
      return a >>> 16 === 0xc0a8 ? 'private' : 'public'; // 192.168/16
    }
    case 198:
      if (a >>> 17 === 0x6309) return 'benchmarking'; // 198.18/15
      return a >>> 8 === 0xc63364 ? 'documentation' : 'public'; // 198.51.100/24
    case 203:
      return a >>> 8 === 0xcb0071 ? 'documentation' : 'public'; // 203.0.113/24
    default:
      return 'public';
  }
}



const scratch = new Uint16Array(8);

/**
 * What to do with IPv6 text: an AddressClass ('public' means: look the IPv6 address up),
 * or a uint32 when the address embeds an IPv4 address that stands for it (v4-mapped
 * ::ffff:a.b.c.d and NAT64 64:ff9b::a.b.c.d), which is then classified and looked up as
 * IPv4.
 */
export function resolveIpv6(text: string): AddressClass | number {
  const g = scratch;
  if (!parseIpv6(text, g)) return 'invalid';
  const g0 = g[0];
  if (g0 === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0) {
    if (g[5] === 0xffff) return ((g[6] << 16) | g[7]) >>> 0;
    if (g[5] === 0 && g[6] === 0) {
      if (g[7] === 0) return 'unspecified';
      if (g[7] === 1) return 'loopback';
    }
    return 'reserved'; // deprecated IPv4-compatible and the rest of ::/8
  }
  if (g0 === 0x64 && g[1] === 0xff9b) {
    if (g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0) return ((g[6] << 16) | g[7]) >>> 0;
    if (g[2] === 1) return 'private'; // 64:ff9b:1::/48, local-use NAT64
  }
  if (g0 < 0x100) return 'reserved';
  if ((g0 & 0xe000) !== 0x2000) {
    // outside global unicast 2000::/3
    if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
    if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
    if ((g0 & 0xffc0) === 0xfec0) return 'private'; // site-local, deprecated
    if ((g0 & 0xff00) === 0xff00) return 'multicast';
    return 'reserved'; // includes 100::/64 discard-only
  }
  if (g0 === 0x2001) {
    if (g[1] === 0x0db8) return 'documentation';
    if (g[1] === 0x0002 && g[2] === 0) return 'benchmarking';
  }
  if (g0 === 0x3fff && g[1] >>> 12 === 0) return 'documentation'; // 3fff::/20
  return 'public';
}

/** Class of an address: a uint32 IPv4, or IPv4/IPv6 text. */
export function classifyAddress(address: number | string): AddressClass {
  if (typeof address === 'number') {
    return Number.isInteger(address) && address >= -(2 ** 31) && address < 2 ** 32 ? classifyIpv4(address) : 'invalid';
  }
  const v4 = parseIpv4(address);
  if (v4 >= 0) return classifyIpv4(v4);
  const r = resolveIpv6(address);
  return typeof r === 'number' ? classifyIpv4(r) : r;
}
