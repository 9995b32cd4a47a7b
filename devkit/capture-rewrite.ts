// A capture's frames written again as other tools and link layers write them, for tests: a
// snap length (tcpdump's old -s 68 / -s 96), Linux cooked v2 (`tcpdump -i any`), 802.1Q /
// QinQ tags, nanosecond pcap, and a router's two sides in one pcapng (each frame on
// interface 0 as it came in, and on interface 1 as it went out: TTL one less, other MACs).
// Reads an Ethernet capture with the project's reader; writes a temporary file.

import { writeFileSync } from 'node:fs';
import { CaptureFileReader } from '../src/net/pcap-file.ts';

export interface Frame {
  ts: number;
  data: Uint8Array;
  wirelen: number;
}

export function readFrames(path: string): Frame[] {
  const out: Frame[] = [];
  new CaptureFileReader(path).forEachFrameSync((buf, off, caplen, wirelen, ts, linkType) => {
    if (linkType !== 1) throw new Error(`${path}: link type ${linkType}, not Ethernet`);
    out.push({ ts, data: new Uint8Array(buf.subarray(off, off + caplen)), wirelen }); // a copy: the reader reuses its buffer
  });
  return out;
}

/** A classic pcap file (microseconds, or nanoseconds with `nano`). */
export function writePcap(path: string, frames: readonly Frame[], linkType = 1, snaplen = 262144, nano = false): void {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const b = Buffer.alloc(size);
  b.writeUInt32LE(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(snaplen, 16);
  b.writeUInt32LE(linkType, 20);
  let o = 24;
  const per = nano ? 1e9 : 1e6;
  for (const f of frames) {
    const s = Math.floor(f.ts);
    const frac = Math.min(per - 1, Math.round((f.ts - s) * per));
    b.writeUInt32LE(s, o);
    b.writeUInt32LE(frac, o + 4);
    b.writeUInt32LE(f.data.length, o + 8);
    b.writeUInt32LE(f.wirelen, o + 12);
    b.set(f.data, o + 16);
    o += 16 + f.data.length;
  }
  writeFileSync(path, b);
}

/** What tcpdump -s N keeps of each frame. */
export function snapped(frames: readonly Frame[], snaplen: number): Frame[] {
  return frames.map((f) => ({ ts: f.ts, data: f.data.slice(0, snaplen), wirelen: f.wirelen }));
}

/**
 * The frames a loaded sensor keeps when its kernel drops `rate` of them at random (a linear
 * congruential stream from `seed`, so a rewrite is the same every time).
 */
export function lossy(frames: readonly Frame[], rate: number, seed = 7): Frame[] {
  let s = seed >>> 0 || 1;
  return frames.filter(() => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 >= rate);
}

/** The frames of a capture begun `seconds` after this one (a sensor restarted, tcpdump started late, a rotated file). */
export function lateStart(frames: readonly Frame[], seconds: number): Frame[] {
  if (frames.length === 0) return [];
  const t0 = frames[0]!.ts + seconds;
  return frames.filter((f) => f.ts >= t0);
}

/** The frames without a TCP SYN-ACK (IPv4 or IPv6 over Ethernet, 802.1Q tags passed): every one a loaded sensor could lose. */
export function withoutSynAcks(frames: readonly Frame[]): Frame[] {
  return frames.filter((f) => {
    const d = f.data;
    let o = 12, type = (d[o]! << 8) | d[o + 1]!;
    while (type === 0x8100 || type === 0x88a8) {
      o += 4;
      type = (d[o]! << 8) | d[o + 1]!;
    }
    o += 2;
    let tcp = -1;
    if (type === 0x0800 && d[o + 9] === 6) tcp = o + (d[o]! & 15) * 4;
    else if (type === 0x86dd && d[o + 6] === 6) tcp = o + 40;
    return tcp < 0 || (d[tcp + 13]! & 0x12) !== 0x12;
  });
}

/** The MAC most frames come from or go to: the capturing host's. */
function hostMac(frames: readonly Frame[]): string {
  const n = new Map<string, number>();
  for (const f of frames) {
    for (const at of [0, 6]) {
      const m = Buffer.from(f.data.subarray(at, at + 6)).toString('hex');
      if (m !== 'ffffffffffff') n.set(m, (n.get(m) ?? 0) + 1);
    }
  }
  return [...n.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}

/**
 * LINUX_SLL2 (linktype 276) as `tcpdump -i any` writes it: the protocol, the interface index,
 * ARPHRD_ETHER, the packet type (0 to us, 1 broadcast, 2 multicast, 3 another host's,
 * 4 outgoing: the capturing host's own) and the sender's MAC, then the frame past Ethernet.
 */
export function cookedV2(frames: readonly Frame[], ifindex = 2): Frame[] {
  const host = hostMac(frames);
  return frames.map((f) => {
    const d = f.data;
    const src = Buffer.from(d.subarray(6, 12)).toString('hex');
    const dst = Buffer.from(d.subarray(0, 6)).toString('hex');
    const type = src === host ? 4 : dst === 'ffffffffffff' ? 1 : d[0]! & 1 ? 2 : dst === host ? 0 : 3;
    return cookedFrame(f, 2, ifindex, type);
  });
}

/** One frame as Linux cooked v1 (16-byte header: packet type, ARPHRD, address) or v2 (20 bytes, with the interface index). */
function cookedFrame(f: Frame, version: 1 | 2, ifindex: number, type: number): Frame {
  const d = f.data;
  const hl = version === 2 ? 20 : 16;
  const out = new Uint8Array(hl + d.length - 14);
  const v = new DataView(out.buffer);
  if (version === 2) {
    out[0] = d[12]!;
    out[1] = d[13]!;
    v.setUint32(4, ifindex);
    out[9] = 1; // ARPHRD_ETHER
    out[10] = type;
    out[11] = 6;
    out.set(d.subarray(6, 12), 12);
  } else {
    v.setUint16(0, type);
    v.setUint16(2, 1);
    v.setUint16(4, 6);
    out.set(d.subarray(6, 12), 6);
    out[14] = d[12]!;
    out[15] = d[13]!;
  }
  out.set(d.subarray(14), hl);
  return { ts: f.ts, data: out, wirelen: f.wirelen + hl - 14 };
}

/**
 * `tcpdump -i any` on a router: each IP frame seen coming in on interface 2 (packet type 0,
 * to us: it was sent to the router's MAC) and, 20 µs later, going out by interface 3 (type
 * 4, outgoing) with its TTL one less; Linux cooked v2, or v1 (no interface index: only the
 * packet type tells the two apart).
 */
export function cookedRouter(frames: readonly Frame[], version: 1 | 2): Frame[] {
  const out: Frame[] = [];
  for (const f of frames) {
    out.push(cookedFrame(f, version, 2, 0));
    const fwd = forwarded(f.data);
    if (fwd) out.push(cookedFrame({ ts: f.ts + 20e-6, data: fwd, wirelen: f.wirelen }, version, 3, 4));
  }
  return out;
}

/** Each frame tagged: [[0x88a8, 200], [0x8100, 100]] is QinQ, [[0x8100, 100]] 802.1Q. */
export function tagged(frames: readonly Frame[], tags: ReadonlyArray<readonly [number, number]>): Frame[] {
  return frames.map((f) => {
    const out = new Uint8Array(f.data.length + 4 * tags.length);
    out.set(f.data.subarray(0, 12), 0);
    let o = 12;
    for (const [tpid, vid] of tags) {
      out[o] = tpid >> 8;
      out[o + 1] = tpid & 255;
      out[o + 2] = vid >> 8;
      out[o + 3] = vid & 255;
      o += 4;
    }
    out.set(f.data.subarray(12), o);
    return { ts: f.ts, data: out, wirelen: f.wirelen + 4 * tags.length };
  });
}

function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const n = 12 + body.length + pad;
  const b = Buffer.alloc(n);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(n, 4);
  body.copy(b, 8);
  b.writeUInt32LE(n, n - 4);
  return b;
}

/** A router's copy of an IP frame: other MACs, the TTL or hop limit one less (IPv4 checksum fixed). */
function forwarded(d: Uint8Array): Uint8Array | null {
  const et = (d[12]! << 8) | d[13]!;
  if (et !== 0x0800 && et !== 0x86dd) return null;
  const out = d.slice();
  out.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  if (et === 0x86dd) {
    if (out[21]! > 1) out[21]!--;
    return out;
  }
  if (out[22]! > 1) {
    out[22]!--;
    const hl = (out[14]! & 15) * 4;
    out[24] = 0;
    out[25] = 0;
    let s = 0;
    for (let i = 14; i < 14 + hl; i += 2) s += (out[i]! << 8) | out[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    s = ~s & 0xffff;
    out[24] = s >> 8;
    out[25] = s & 255;
  }
  return out;
}

/** One pcapng section, two Ethernet interfaces: each IP frame seen on both, 20 µs apart. */
export function writeRouterPcapng(path: string, frames: readonly Frame[]): void {
  const parts: Buffer[] = [];
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const n = 28;
  const head = Buffer.alloc(n);
  head.writeUInt32LE(0x0a0d0d0a, 0);
  head.writeUInt32LE(n, 4);
  shb.copy(head, 8);
  head.writeUInt32LE(n, n - 4);
  parts.push(head);
  for (let k = 0; k < 2; k++) {
    const idb = Buffer.alloc(8);
    idb.writeUInt16LE(1, 0);
    idb.writeUInt32LE(262144, 4);
    parts.push(block(1, idb));
  }
  const epb = (iface: number, ts: number, data: Uint8Array, wirelen: number): Buffer => {
    const us = BigInt(Math.round(ts * 1e6));
    const b = Buffer.alloc(20 + data.length);
    b.writeUInt32LE(iface, 0);
    b.writeUInt32LE(Number(us >> 32n), 4);
    b.writeUInt32LE(Number(us & 0xffffffffn), 8);
    b.writeUInt32LE(data.length, 12);
    b.writeUInt32LE(wirelen, 16);
    b.set(data, 20);
    return block(6, b);
  };
  for (const f of frames) {
    parts.push(epb(0, f.ts, f.data, f.wirelen));
    const fwd = forwarded(f.data);
    if (fwd) parts.push(epb(1, f.ts + 20e-6, fwd, f.wirelen));
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** An IPv4 address's bytes as 2001:db8::a.b.c.d (RFC 3849's documentation prefix). */
export function v6Of(v4: ArrayLike<number>): Uint8Array {
  const a = new Uint8Array(16);
  a.set([0x20, 0x01, 0x0d, 0xb8], 0);
  a.set(Array.from(v4), 12);
  return a;
}

/** The same text for an IPv4 address text: 203.0.113.90 → 2001:db8::cb00:715a. */
export function v6TextOf(v4: string): string {
  const b = v4.split('.').map(Number);
  return `2001:db8::${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
}

/**
 * The capture over IPv6: each unfragmented IPv4 TCP or UDP frame's header replaced by an IPv6
 * one (addresses 2001:db8::a.b.c.d, the hop limit the TTL, the payload length the IPv4 one's
 * less its header, whatever the snap length kept); other frames (ARP, ICMP) left out.
 * Checksums are not fixed: nothing here reads them.
 */
export function asIpv6(frames: readonly Frame[]): Frame[] {
  const out: Frame[] = [];
  for (const f of frames) {
    const d = f.data;
    if (((d[12]! << 8) | d[13]!) !== 0x0800) continue;
    const hl = (d[14]! & 15) * 4;
    const proto = d[23]!;
    if ((proto !== 6 && proto !== 17) || (((d[20]! << 8) | d[21]!) & 0x3fff) !== 0) continue;
    const total = (d[16]! << 8) | d[17]!;
    const l4 = d.subarray(14 + hl);
    const o = new Uint8Array(14 + 40 + l4.length);
    o.set(d.subarray(0, 12), 0);
    o[12] = 0x86;
    o[13] = 0xdd;
    o[14] = 0x60;
    o[18] = (total - hl) >> 8;
    o[19] = (total - hl) & 255;
    o[20] = proto;
    o[21] = d[22]!;
    o.set(v6Of(d.subarray(26, 30)), 22);
    o.set(v6Of(d.subarray(30, 34)), 38);
    o.set(l4, 54);
    out.push({ ts: f.ts, data: o, wirelen: f.wirelen + 40 - hl });
  }
  return out;
}

/** The encapsulations a mirror session delivers frames in (decode.ts opens them). */
export type MirrorTunnel = 'vxlan' | 'geneve' | 'geneve-ip' | 'erspan1' | 'erspan2' | 'erspan3';

/**
 * Each Ethernet frame as a mirror session delivers it to a sensor: inside an outer Ethernet,
 * IPv4 (10.99.0.1 → 10.99.0.2, the mirror's source and the sensor; session k: 10.99.0.(1 + 2k),
 * VNI and ERSPAN session id k more) and VXLAN (UDP 4789, VNI 7), Geneve (UDP 6081, with one
 * 8-byte option; `geneve-ip` carries the IP packet without its Ethernet header, as AWS's Gateway Load Balancer does: other frames are left out) or GRE with ERSPAN type I, II or III
 * (III with the platform subheader). Checksums are not filled: nothing here reads them.
 */
export function mirrored(frames: readonly Frame[], tunnel: MirrorTunnel, session = 0): Frame[] {
  let seq = 0;
  const ip = (f: Frame) => f.data[12] === 0x08 && f.data[13] === 0x00 ? true : f.data[12] === 0x86 && f.data[13] === 0xdd;
  return (tunnel === 'geneve-ip' ? frames.filter(ip) : frames).map((f) => {
    const inner = tunnel === 'geneve-ip' ? f.data.subarray(14) : f.data;
    let head: number[];
    let proto = 17;
    if (tunnel === 'vxlan') head = [0x12, 0x34, 0x12, 0xb5, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 7 + session, 0];
    else if (tunnel === 'geneve' || tunnel === 'geneve-ip') {
      const type = tunnel === 'geneve' ? [0x65, 0x58] : f.data[12] === 0x86 ? [0x86, 0xdd] : [0x08, 0x00];
      head = [0x12, 0x34, 0x17, 0xc1, 0, 0, 0, 0, 0x02, 0, ...type, 0, 0, 7 + session, 0, 0x01, 0x02, 0x80, 0x01, 0, 0, 0, 9];
    } else {
      proto = 47;
      seq++;
      const s = [(seq >>> 24) & 255, (seq >>> 16) & 255, (seq >>> 8) & 255, seq & 255];
      if (tunnel === 'erspan1') head = [0x00, 0x00, 0x88, 0xbe];
      else if (tunnel === 'erspan2') head = [0x10, 0x00, 0x88, 0xbe, ...s, 0x10, 0x07, 0x00, 0x2a + session, 0, 0, 0, 3];
      else head = [0x10, 0x00, 0x22, 0xeb, ...s, 0x20, 0x07, 0x00, 0x2a + session, 0, 0, 0, 0, 0, 0, 0x80, 0x01, 1, 2, 3, 4, 5, 6, 7, 8];
    }
    const l4 = head.length + f.wirelen - (f.data.length - inner.length); // on the wire, whatever the snap length kept
    if (proto === 17) {
      head[4] = l4 >> 8;
      head[5] = l4 & 255;
    }
    const total = 20 + l4;
    const o = new Uint8Array(14 + total);
    o.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
    o.set([0x45, 0, total >> 8, total & 255, 0, 0, 0x40, 0, 64, proto, 0, 0, 10, 99, 0, 1 + 2 * session, 10, 99, 0, 2], 14);
    o.set(head, 34);
    o.set(inner, 34 + head.length);
    const added = o.length - f.data.length;
    return { ts: f.ts, data: o, wirelen: f.wirelen + added };
  });
}

/** The frames as a sensor gets them from two mirror sessions, one on each host of every conversation: each frame twice, the second copy `lateS` later from session 1. */
export function mirroredTwice(frames: readonly Frame[], tunnel: MirrorTunnel, lateS = 0.001): Frame[] {
  const a = mirrored(frames, tunnel, 0);
  const b = mirrored(frames, tunnel, 1).map((f) => ({ ...f, ts: f.ts + lateS }));
  return [...a, ...b].sort((x, y) => x.ts - y.ts);
}

/**
 * The link layers and shims other networks carry IP in (decode.ts reads them):
 *   mpls        a provider's core: Ethernet, one label (RFC 3032), the IP packet
 *   mpls2       an MPLS VPN's PE link: a transport label and a VPN label, the IP packet
 *   mpls-pw     an Ethernet pseudowire (RFC 4448): two labels, then the whole Ethernet frame
 *   mpls-pw-cw  the same with the control word (0000, 12 reserved bits, a sequence number)
 *   pppoe       a DSL or fibre router's WAN: Ethernet, PPPoE session (RFC 2516), PPP protocol
 *   ppp         link type 9: PPP without address and control (RFC 1661 §6.6 ACFC)
 *   ppp-hdlc    link type 50: PPP in HDLC-like framing, ff 03 first (RFC 1662 §3.1)
 *   chdlc       link type 104: Cisco HDLC, 0f 00 and the ethertype
 *   nflog       link type 239: `tcpdump -i nflog:5` on an iptables NFLOG rule: the family,
 *               version 0, group 5, then little-endian TLVs (x86): the packet header (type 1),
 *               the rule's prefix (10), the uid (11), the payload last (9: the IP packet), as
 *               the kernel's nfnetlink_log builds them
 */
export type Carrier = 'mpls' | 'mpls2' | 'mpls-pw' | 'mpls-pw-cw' | 'pppoe' | 'ppp' | 'ppp-hdlc' | 'chdlc' | 'nflog';

/** The link type of a capture written with `carried(frames, carrier)`. */
export function carrierLinkType(carrier: Carrier): number {
  return carrier === 'ppp' ? 9 : carrier === 'ppp-hdlc' ? 50 : carrier === 'chdlc' ? 104 : carrier === 'nflog' ? 239 : 1;
}

/**
 * Each Ethernet frame as `carrier` carries it (above). What carries IP alone (MPLS without a
 * pseudowire, PPPoE, PPP, Cisco HDLC) leaves the other frames (ARP) out. The outer Ethernet's
 * MACs are the provider's (02:00:00:00:00:0b → 02:00:00:00:00:0a); the labels' TTL 64.
 */
export function carried(frames: readonly Frame[], carrier: Carrier): Frame[] {
  const pw = carrier === 'mpls-pw' || carrier === 'mpls-pw-cw';
  const ipOnly = !pw;
  const label = (value: number, bottom: boolean) => [value >>> 12, (value >>> 4) & 255, ((value & 15) << 4) | (bottom ? 1 : 0), 64];
  const out: Frame[] = [];
  let seq = 0;
  for (const f of frames) {
    const et = (f.data[12]! << 8) | f.data[13]!;
    if (ipOnly && et !== 0x0800 && et !== 0x86dd) continue;
    const v6 = et === 0x86dd;
    const inner = pw ? f.data : f.data.subarray(14);
    const pppProto = v6 ? [0x00, 0x57] : [0x00, 0x21];
    let head: number[];
    if (carrier === 'mpls') head = [...eth(0x8847), ...label(16004, true)];
    else if (carrier === 'mpls2') head = [...eth(0x8847), ...label(24001, false), ...label(100032, true)];
    else if (carrier === 'mpls-pw') head = [...eth(0x8847), ...label(24001, false), ...label(100077, true)];
    else if (carrier === 'mpls-pw-cw') {
      seq = (seq % 65535) + 1; // RFC 4385 §4.1: 0 says "not sequenced"; 1 follows 65535
      head = [...eth(0x8847), ...label(24001, false), ...label(100077, true), 0, 0, seq >> 8, seq & 255];
    } else if (carrier === 'pppoe') {
      const len = 2 + f.wirelen - 14; // the PPP protocol and the IP packet, as on the wire
      head = [...eth(0x8864), 0x11, 0x00, 0x12, 0x34, len >> 8, len & 255, ...pppProto];
    } else if (carrier === 'ppp') head = pppProto;
    else if (carrier === 'ppp-hdlc') head = [0xff, 0x03, ...pppProto];
    else if (carrier === 'nflog') {
      const len = 4 + f.wirelen - 14; // the payload TLV: its header and the IP packet, as on the wire
      const prefix = [...Buffer.from('DROP '), 0, 0, 0]; // "DROP " and its NUL, padded to 8
      head = [v6 ? 10 : 2, 0, 0, 5, 8, 0, 1, 0, et >> 8, et & 255, 1, 0, 4 + 6, 0, 10, 0, ...prefix, 8, 0, 11, 0, 0, 0, 0x03, 0xe8, len & 255, len >> 8, 9, 0];
    } else head = [0x0f, 0x00, et >> 8, et & 255];
    const o = new Uint8Array(head.length + inner.length);
    o.set(head, 0);
    o.set(inner, head.length);
    out.push({ ts: f.ts, data: o, wirelen: f.wirelen + o.length - f.data.length });
  }
  return out;
}

/** A provider's Ethernet header with `type`. */
function eth(type: number): number[] {
  return [2, 0, 0, 0, 0, 0x0a, 2, 0, 0, 0, 0, 0x0b, type >> 8, type & 255];
}
