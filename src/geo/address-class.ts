// Special-purpose address ranges (RFC 6890 and its successors): such addresses are tagged
// with their class and never looked up in a GeoIP database, where they mean nothing.

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

/** Parse dotted-quad IPv4 text to a uint32, or -1 if it is not one. */
export function parseIpv4(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // no leading zeros (octal ambiguity)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

export function formatIpv4(address: number): string {
  const a = address >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/**
 * Parse IPv6 text into eight 16-bit groups. Accepts `::` compression, a trailing dotted
 * IPv4 part and a `%zone` suffix (ignored). Returns false if the text is not IPv6.
 */
export function parseIpv6(text: string, groups: Uint16Array): boolean {
  let end = text.indexOf('%');
  if (end < 0) end = text.length;
  if (end < 2 || end > 45) return false;
  let count = 0; // groups written before '::', then after it
  let gapAt = -1; // group index where '::' stands
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gapAt = 0;
    i = 2;
    if (i === end) {
      groups.fill(0);
      return true;
    }
  }
  while (i < end) {
    // one group: 1-4 hex digits, or a dotted IPv4 tail
    let v = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const c = text.charCodeAt(j);
      let h: number;
      if (c >= 48 && c <= 57) h = c - 48;
      else if (c >= 97 && c <= 102) h = c - 87;
      else if (c >= 65 && c <= 70) h = c - 55;
      else break;
      if (++digits > 4) return false;
      v = (v << 4) | h;
    }
    if (j < end && text.charCodeAt(j) === 46) {
      if (count > 6) return false;
      const v4 = parseIpv4(text.slice(i, end));
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || count >= 8) return false;
    groups[count++] = v;
    i = j;
    if (i === end) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gapAt >= 0) return false; // a second '::'
      gapAt = count;
      i++;
      if (i === end) break;
    } else if (i === end) return false; // a trailing single ':'
  }
  if (gapAt < 0) return count === 8;
  if (count > 7) return false; // '::' must stand for at least one group
  // move the groups after '::' to the end and zero the gap
  const tail = count - gapAt;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k];
  for (let k = gapAt; k < 8 - tail; k++) groups[k] = 0;
  return true;
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
