// The text the XDP backend writes to and reads from xdp-filter's BPF maps (through bpftool),
// pure so it can be checked without root.
//
// xdp-filter (Debian's xdp-tools) keeps its address filters in two per-CPU hash maps pinned
// at <bpffs>/xdp-filter/filter_ipv4 (4-byte keys) and filter_ipv6 (16-byte keys), each value
// a 64-bit word: flag bits (src = 1, dst = 2, tcp = 4, udp = 8) below COUNTER_SHIFT, and the
// number of packets the rule matched above it (per CPU). A packet whose source is in the map
// with the src flag is dropped at the driver (XDP_DROP). Exact addresses only: no prefixes,
// and no timeouts.

import { FirewallStateError } from './errors.ts';
import { parseCidr, type Cidr } from '../respond/cidr.ts';

export const XDP_FLAG_SRC = 1;
/** xdp-filter's hit counter sits above its flag bits (common_kern_user.h). */
export const XDP_COUNTER_SHIFT = 6;

/** The key bytes of a single address, as bpftool takes them (decimal, space-separated). */
export function keyOf(cidr: Cidr): string {
  if (cidr.family === 4) {
    if (cidr.prefix !== 32) throw new RangeError(`${cidr.text} is a net: xdp-filter matches single addresses only`);
    return cidr.text.split('.').join(' ');
  }
  if (cidr.prefix !== 128) throw new RangeError(`${cidr.text} is a net: xdp-filter matches single addresses only`);
  return ipv6Bytes(cidr.text).join(' ');
}

/** The 16 bytes of canonical IPv6 text. */
function ipv6Bytes(text: string): number[] {
  const halves = text.split('::');
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const head = parse(halves[0]!);
  const tail = halves.length > 1 ? parse(halves[1]!) : [];
  const groups = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

/** One value word with only the src flag (and a zero hit counter), little-endian as the kernel stores it. */
export const SRC_VALUE = `${XDP_FLAG_SRC} 0 0 0 0 0 0 0`;

/** bpftool batch lines: deletes first (each of a key known present), then updates. */
export function batchScript(maps: { 4: string; 6: string }, add: readonly Cidr[], remove: readonly Cidr[]): string {
  const lines: string[] = [];
  for (const c of remove) lines.push(`map delete pinned ${maps[c.family]} key ${keyOf(c)}`);
  for (const c of add) lines.push(`map update pinned ${maps[c.family]} key ${keyOf(c)} value ${SRC_VALUE}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export interface XdpMapEntry {
  address: string;
  /** Packets the entry dropped, summed over CPUs. */
  hits: number;
  /** The entry's flag bits (src, dst, tcp, udp). */
  flags: number;
}

/** Parses `bpftool -j map dump` of filter_ipv4 or filter_ipv6 into canonical addresses. */
export function parseMapDump(json: string, family: 4 | 6): XdpMapEntry[] {
  let rows: unknown;
  try {
    rows = JSON.parse(json);
  } catch (err) {
    throw new FirewallStateError(`bpftool's dump of the IPv${family} filter map is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(rows)) throw new FirewallStateError(`bpftool's dump of the IPv${family} filter map is not a list`);
  const out: XdpMapEntry[] = [];
  for (const r of rows as Array<{ key?: unknown; values?: unknown }>) {
    const key = Array.isArray(r.key) ? r.key.map((h) => Number(h)) : [];
    if (key.length !== (family === 4 ? 4 : 16) || key.some((b) => !(b >= 0 && b <= 255))) throw new FirewallStateError(`the IPv${family} filter map holds a key of ${key.length} bytes: ${JSON.stringify(r.key)}`);
    const text =
      family === 4
        ? key.join('.')
        : Array.from({ length: 8 }, (_, g) => ((key[2 * g]! << 8) | key[2 * g + 1]!).toString(16)).join(':');
    let hits = 0;
    let flags = 0;
    for (const v of Array.isArray(r.values) ? (r.values as Array<{ value?: unknown }>) : []) {
      const bytes = Array.isArray(v.value) ? v.value.map((h) => Number(h)) : [];
      // little-endian u64; the counter stays far below 2^53 in practice
      let word = 0;
      for (let k = bytes.length - 1; k >= 0; k--) word = word * 256 + bytes[k]!;
      flags |= word % (1 << XDP_COUNTER_SHIFT);
      hits += Math.floor(word / (1 << XDP_COUNTER_SHIFT));
    }
    out.push({ address: parseCidr(text).text, hits, flags });
  }
  return out;
}
