// Writers of the headers a frame is made of, in place into the caller's buffer (nothing
// allocated), each returning where what follows it starts: the warm-up's synthetic traffic
// (synthetic-traffic.ts) and the tests' hand-made frames (test/fixtures/net/frames.ts) both
// build on them. Big-endian, as on the wire; checksums are left zero (the decoder does not
// verify them). IPv4 addresses are 32-bit numbers, IPv6 ones 16 bytes, MACs 6.

export const ETHERNET_HEADER = 14;

export function put16(f: Uint8Array, o: number, v: number): void {
  f[o] = (v >>> 8) & 255;
  f[o + 1] = v & 255;
}

export function put32(f: Uint8Array, o: number, v: number): void {
  f[o] = (v >>> 24) & 255;
  f[o + 1] = (v >>> 16) & 255;
  f[o + 2] = (v >>> 8) & 255;
  f[o + 3] = v & 255;
}

export function writeEthernet(f: Uint8Array, at: number, etherType: number, dst: ArrayLike<number>, src: ArrayLike<number>): number {
  f.set(dst, at);
  f.set(src, at + 6);
  put16(f, at + 12, etherType);
  return at + ETHERNET_HEADER;
}

export interface Ipv4Fields {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** Header and payload, bytes. */
  totalLength: number;
  /** Flags and fragment offset: 0x4000 DF, 0x2000 MF, the low 13 bits the offset / 8. */
  fragWord: number;
  id: number;
  /** Header length in 4-byte words (5 without options; the options are the caller's to write). */
  ihl: number;
}

/** The 20 bytes of an IPv4 header without options; returns at + 20. */
export function writeIpv4(f: Uint8Array, at: number, h: Ipv4Fields): number {
  f[at] = 0x40 | h.ihl;
  f[at + 1] = 0;
  put16(f, at + 2, h.totalLength);
  put16(f, at + 4, h.id);
  put16(f, at + 6, h.fragWord);
  f[at + 8] = h.ttl;
  f[at + 9] = h.protocol;
  put16(f, at + 10, 0);
  put32(f, at + 12, h.src);
  put32(f, at + 16, h.dst);
  return at + 20;
}

export interface Ipv6Fields {
  src: ArrayLike<number>;
  dst: ArrayLike<number>;
  nextHeader: number;
  hopLimit: number;
  payloadLength: number;
}

/** The 40 bytes of an IPv6 header; returns at + 40. */
export function writeIpv6(f: Uint8Array, at: number, h: Ipv6Fields): number {
  put32(f, at, 0x60000000);
  put16(f, at + 4, h.payloadLength);
  f[at + 6] = h.nextHeader;
  f[at + 7] = h.hopLimit;
  f.set(h.src, at + 8);
  f.set(h.dst, at + 24);
  return at + 40;
}

export interface TcpFields {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** The flags byte, and NS as bit 8. */
  flags: number;
  window: number;
  /** Header length in 4-byte words (5 without options; the options are the caller's to write). */
  dataOffset: number;
}

/** The 20 bytes of a TCP header without options; returns at + 20. */
export function writeTcp(f: Uint8Array, at: number, h: TcpFields): number {
  put16(f, at, h.sport);
  put16(f, at + 2, h.dport);
  put32(f, at + 4, h.seq);
  put32(f, at + 8, h.ack);
  f[at + 12] = (h.dataOffset << 4) | ((h.flags >> 8) & 1);
  f[at + 13] = h.flags & 255;
  put16(f, at + 14, h.window);
  put32(f, at + 16, 0);
  return at + 20;
}

/** A UDP header (`length`: header and payload); returns at + 8. */
export function writeUdp(f: Uint8Array, at: number, sport: number, dport: number, length: number): number {
  put16(f, at, sport);
  put16(f, at + 2, dport);
  put16(f, at + 4, length);
  put16(f, at + 6, 0);
  return at + 8;
}

/** An ARP packet for IPv4 over Ethernet (op 1 request, 2 reply), the target's MAC zero; returns at + 28. */
export function writeArp(f: Uint8Array, at: number, op: number, senderMac: ArrayLike<number>, senderIp: number, targetIp: number): number {
  put16(f, at, 1);
  put16(f, at + 2, 0x0800);
  f[at + 4] = 6;
  f[at + 5] = 4;
  put16(f, at + 6, op);
  f.set(senderMac, at + 8);
  put32(f, at + 14, senderIp);
  f.fill(0, at + 18, at + 24);
  put32(f, at + 24, targetIp);
  return at + 28;
}
