// IP addresses as text and as numbers, in one place: parse and format IPv4 (a uint32) and
// IPv6 (eight 16-bit groups, or 16 bytes). The decoder, the GeoIP classifier, the rules and
// the ban guard's CIDRs all read and write addresses through these.

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

/** Dotted quad of an IPv4 address held as a uint32. */
export function formatIPv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/**
 * The slots of a direct-mapped cache of address texts (Ipv4Texts, Ipv6Texts): `slots`
 * rounded up to a power of two (at most 2^24), each a key of `width` int32 words and a text.
 */
class TextSlots {
  protected readonly keys: Int32Array;
  protected readonly texts: Array<string | undefined>;
  /** 32 minus the slots' bits: a multiplicative hash's top bits pick the slot. */
  protected readonly shift: number;

  constructor(slots: number, width: number) {
    let bits = 1;
    while (1 << bits < slots && bits < 24) bits++;
    this.keys = new Int32Array(width << bits);
    this.texts = new Array<string | undefined>(1 << bits).fill(undefined);
    this.shift = 32 - bits;
  }
}

/**
 * The dotted quads of recently formatted IPv4 addresses (direct-mapped: an address's slot
 * holds the last one formatted there), for code that spells the same hosts over and over,
 * such as the flow meter (two addresses per flow record): one string per host instead of a
 * rope of joins per call, and the records that share a host share its string.
 */
export class Ipv4Texts extends TextSlots {
  constructor(slots = 4096) {
    super(slots, 1);
  }

  /** formatIPv4 of `addr` (a uint32, or the same bits as an int32). */
  text(addr: number): string {
    const key = addr | 0;
    const at = Math.imul(key, 0x9e3779b1) >>> this.shift;
    const hit = this.texts[at];
    if (hit !== undefined && this.keys[at] === key) return hit;
    const t = formatIPv4(key);
    this.keys[at] = key;
    this.texts[at] = t;
    return t;
  }
}

/**
 * Ipv4Texts for IPv6: the RFC 5952 texts of recently formatted 16-byte addresses
 * (direct-mapped by the address's four 32-bit words). Formatting one allocates several
 * arrays and strings, and a row's address is asked for by the flow features, the flow meter
 * and the rules in turn; a flow's packets repeat it.
 */
export class Ipv6Texts extends TextSlots {
  constructor(slots = 256) {
    super(slots, 4);
  }

  /**
   * formatIPv6 of the address at bytes[16·row], whose four words are words[4·row ..
   * 4·row + 3] (`words` a Uint32Array view of the same bytes, as a PacketBatch's address
   * columns are).
   */
  text(bytes: Uint8Array, words: Uint32Array, row: number): string {
    const o = row * 4;
    const w0 = words[o]! | 0;
    const w1 = words[o + 1]! | 0;
    const w2 = words[o + 2]! | 0;
    const w3 = words[o + 3]! | 0;
    const slot = Math.imul(w0 ^ w1 ^ w2 ^ w3, 0x9e3779b1) >>> this.shift;
    const at = slot * 4;
    const k = this.keys;
    const hit = this.texts[slot];
    if (hit !== undefined && k[at] === w0 && k[at + 1] === w1 && k[at + 2] === w2 && k[at + 3] === w3) return hit;
    const t = formatIPv6(bytes, row * 16);
    k[at] = w0;
    k[at + 1] = w1;
    k[at + 2] = w2;
    k[at + 3] = w3;
    this.texts[slot] = t;
    return t;
  }
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

/** RFC 5952 text of the 16-byte address at bytes[off] (v4-mapped shown as ::ffff:a.b.c.d). */
export function formatIPv6(bytes: Uint8Array, off: number): string {
  let mapped = true;
  for (let k = 0; k < 10; k++) if (bytes[off + k] !== 0) mapped = false;
  if (mapped && bytes[off + 10] === 0xff && bytes[off + 11] === 0xff) {
    return `::ffff:${bytes[off + 12]}.${bytes[off + 13]}.${bytes[off + 14]}.${bytes[off + 15]}`;
  }
  const groups = new Array<number>(8);
  for (let g = 0; g < 8; g++) groups[g] = (bytes[off + 2 * g] << 8) | bytes[off + 2 * g + 1];
  // Longest run of two or more zero groups becomes "::" (the first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let g = 0; g < 8; ) {
    if (groups[g] !== 0) { g++; continue; }
    let e = g;
    while (e < 8 && groups[e] === 0) e++;
    if (e - g > bestLen) { bestStart = g; bestLen = e - g; }
    g = e;
  }
  if (bestStart < 0) return groups.map((x) => x.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = groups.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}
