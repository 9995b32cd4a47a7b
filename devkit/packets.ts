// Hand-built packets for the rule and evidence tests, written straight into PacketBatch rows
// (no decoding): every column the rules and the session verifier read.

import { PAYLOAD_HEAD_BYTES, PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;
export const LINUX_OPTS = PacketFlags.TCP_MSS | PacketFlags.TCP_SACK_PERMITTED | PacketFlags.TCP_TIMESTAMPS | PacketFlags.TCP_WSCALE;

export interface Pkt {
  ts: number;
  src: string;
  dst: string;
  proto?: 'tcp' | 'udp' | 'icmp';
  sp?: number;
  dp?: number;
  flags?: number;
  win?: number;
  /** PacketFlags option bits (default: a Linux SYN's options on SYNs, none otherwise). */
  opts?: number;
  df?: boolean;
  payload?: number;
  wirelen?: number;
  icmpType?: number;
  icmpCode?: number;
  /** The first payload bytes (text or bytes), for the `head` column. */
  head?: string | number[];
  /**
   * TCP sequence number (default: where this direction of the connection's bytes go on, as a
   * real sender's do: 0 at its first segment, advanced by each segment's payload and by SYN and
   * FIN; a given one moves it on too, never back) and acknowledgment number (default 0), for the session
   * verifier and the readers that pass over a retransmission (a segment whose bytes were seen).
   */
  seq?: number;
  ack?: number;
  /** IP TTL (default 64). */
  ttl?: number;
  /** Marked as the session verifier marks a segment of a verified connection (PacketFlags.ESTABLISHED). */
  verified?: boolean;
  /**
   * A piece of a fragmented datagram: 0 for the first fragment (which carries the ports),
   * the offset in bytes for a later one (no transport header: ports 0).
   */
  fragment?: number;
}

/** An IPv4 address text as its uint32. */
export function v4(text: string): number {
  return text.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;
}

function v6bytes(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 255]);
}

/** Per direction of a TCP connection (src sp dst dp), the sequence number its next segment takes by default. */
const nextSeq = new Map<string, number>();

function seqOf(p: Pkt, tcpFlags: number): number {
  const key = `${p.src} ${p.sp ?? 40000} ${p.dst} ${p.dp ?? 80}`;
  const was = nextSeq.get(key);
  const seq = p.seq ?? was ?? 0;
  const end = (seq + (p.payload ?? 0) + (tcpFlags & SYN ? 1 : 0) + (tcpFlags & FIN ? 1 : 0)) >>> 0;
  // a resent segment (a given number behind the furthest) does not move it back
  if (was === undefined || ((end - was) | 0) > 0) nextSeq.set(key, end);
  return seq;
}

/** One batch holding the packets in order. */
export function batchOf(pkts: Pkt[]): PacketBatch {
  const b = new PacketBatch(Math.max(1, pkts.length));
  for (const p of pkts) {
    const i = b.length++;
    const six = p.src.includes(':');
    const proto = p.proto ?? 'tcp';
    let f = six ? PacketFlags.IPV6 : PacketFlags.IPV4;
    f |= proto === 'tcp' ? PacketFlags.TCP : proto === 'udp' ? PacketFlags.UDP : six ? PacketFlags.ICMPV6 : PacketFlags.ICMP;
    const tcpFlags = p.flags ?? SYN;
    if (proto === 'tcp') f |= p.opts ?? (tcpFlags & SYN ? LINUX_OPTS : 0);
    if (p.df ?? true) f |= PacketFlags.DONT_FRAGMENT;
    if (p.verified) f |= PacketFlags.ESTABLISHED;
    const later = p.fragment !== undefined && p.fragment > 0;
    if (p.fragment !== undefined) f = (f & ~PacketFlags.DONT_FRAGMENT) | PacketFlags.FRAGMENT | (later ? 0 : PacketFlags.MORE_FRAGMENTS);
    if (later) f &= ~(PacketFlags.TCP | PacketFlags.UDP | PacketFlags.ICMP | PacketFlags.ICMPV6);
    b.ts[i] = p.ts;
    b.flags[i] = f;
    b.ipVersion[i] = six ? 6 : 4;
    b.protocol[i] = proto === 'tcp' ? 6 : proto === 'udp' ? 17 : six ? 58 : 1;
    if (six) {
      b.src.set(v6bytes(p.src), i * 16);
      b.dst.set(v6bytes(p.dst), i * 16);
      b.src4[i] = 0;
      b.dst4[i] = 0;
    } else {
      b.src4[i] = v4(p.src);
      b.dst4[i] = v4(p.dst);
      b.src.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...p.src.split('.').map(Number)], i * 16);
      b.dst.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...p.dst.split('.').map(Number)], i * 16);
    }
    b.srcPort[i] = later ? 0 : p.sp ?? 40000;
    b.dstPort[i] = later ? 0 : p.dp ?? 80;
    b.tcpFlags[i] = proto === 'tcp' ? tcpFlags : 0;
    b.tcpWindow[i] = p.win ?? 64240;
    b.tcpSeq[i] = proto === 'tcp' && !later ? seqOf(p, tcpFlags) : (p.seq ?? 0);
    b.tcpAck[i] = p.ack ?? 0;
    b.ttl[i] = p.ttl ?? 64;
    b.tcpMss[i] = 1460;
    b.payloadLen[i] = p.payload ?? 0;
    b.wirelen[i] = p.wirelen ?? 60 + (p.payload ?? 0);
    b.icmpType[i] = p.icmpType ?? 0;
    b.icmpCode[i] = p.icmpCode ?? 0;
    b.fragOffset[i] = p.fragment ?? 0;
    b.status[i] = 0;
    const head = typeof p.head === 'string' ? [...Buffer.from(p.head, 'latin1')] : (p.head ?? []);
    b.head.fill(0, i * PAYLOAD_HEAD_BYTES, (i + 1) * PAYLOAD_HEAD_BYTES);
    b.head.set(head.slice(0, PAYLOAD_HEAD_BYTES), i * PAYLOAD_HEAD_BYTES);
  }
  return b;
}

/**
 * The packets with their TCP sequence numbers written out as batchOf numbers them (the test's
 * own first), and each one `resend` picks sent again `after` s later with the same bytes, as a
 * TCP resends what was not acknowledged within its RTO (1 s at first, RFC 6298 §2). In time order.
 */
export function withResent(pkts: Pkt[], resend: (p: Pkt) => boolean, after = 1.2): Pkt[] {
  const next = new Map<string, number>();
  const out: Pkt[] = [];
  for (const p of pkts) {
    if ((p.proto ?? 'tcp') !== 'tcp') {
      out.push(p);
      continue;
    }
    const key = `${p.src} ${p.sp ?? 40000} ${p.dst} ${p.dp ?? 80}`;
    const flags = p.flags ?? SYN;
    const seq = p.seq ?? next.get(key) ?? 0;
    next.set(key, (seq + (p.payload ?? 0) + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0);
    out.push({ ...p, seq });
    if (resend(p)) out.push({ ...p, seq, ts: p.ts + after });
  }
  return out.sort((a, b) => a.ts - b.ts);
}
