// Which packets could have been forged. A single packet and a half-open SYN can carry any
// source address; a completed handshake cannot: the client must acknowledge the server's
// SYN-ACK sequence number (RFC 9293 §3.5), which a sender forging the client's address never
// sees (RFC 6528 makes it unguessable). The verifier watches every TCP handshake on the
// captured link, before packets are split into shards by source (it sees both directions),
// and marks each packet:
// - ESTABLISHED: a segment of a connection whose client acknowledged the server's ISN + 1;
//   or, its SYN-ACK not captured (CLAIMED), whose server sent its first bytes at the number the
//   client acknowledged and acknowledged the client's SYN; or, its handshake not captured
//   (MIDSTREAM), whose one side acknowledged bytes the other sent;
// - SOURCE_SEEN: its source completed such a handshake within `sessionMemoryS` (as the client;
//   or as the server, by acknowledging the client's ISN + 1 in its SYN-ACK, which a forger of
//   the server's address cannot see either): it has had real sessions here;
// - HOP_MISMATCH: hop-count filtering (Jin, Wang and Shin, "Hop-count filtering: an effective
//   defense against spoofed DDoS traffic", CCS 2003): the hop count of a source is learnt from
//   its verified handshakes (initial TTL guessed as the smallest usual one, 30, 32, 60, 64, 128
//   or 255, at or above the observed TTL); a packet claiming that source, outside a verified
//   connection, whose hop count differs by more than `hopTolerance` is counted as forged.
// Bounded tables (least recently seen evicted), no allocation per IPv4 packet. It also runs
// the UDP exchange tracker (udp-exchanges.ts), which needs both directions as it does.

import { PacketFlags, type PacketBatch } from '../net/packet-batch.ts';
import { FlowTable, PROTECTED_SOCKETS, type AddressKey } from './flow-table.ts';
import { DEFAULT_UDP_EXCHANGES, UdpExchanges, type UdpExchangesConfig } from './udp-exchanges.ts';

export interface SessionVerifierConfig {
  /** How long a source that completed a handshake counts as having real sessions, seconds. */
  sessionMemoryS: number;
  /** Hops a packet may differ from its source's learnt hop count before it counts as forged. */
  hopTolerance: number;
  /** Handshakes tracked at once (pending and verified). */
  maxConnections: number;
  /** Sources remembered. */
  maxSources: number;
  /** The UDP exchange tracker's. */
  udpExchanges: UdpExchangesConfig;
}

/**
 * Defaults. sessionMemoryS: a day, as long as the responder remembers offences (fail2ban's
 * bantime.increment window), so a client seen yesterday is still known today. hopTolerance 2:
 * Jin et al. found most hop counts stable and route changes to move them by one or two;
 * forged packets from elsewhere rarely land within two hops of the real source.
 */
export const DEFAULT_SESSION_VERIFIER: SessionVerifierConfig = { sessionMemoryS: 86_400, hopTolerance: 2, maxConnections: 65_536, maxSources: 65_536, udpExchanges: DEFAULT_UDP_EXCHANGES };

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** The client's SYN seen: the server's SYN-ACK must acknowledge its seq + 1. */
const SYN_SENT = 1;
/** The server's SYN-ACK seen: the client must acknowledge its seq + 1. */
const PENDING = 2;
const VERIFIED = 3;
/**
 * A connection first seen mid-stream (its handshake before the capture began, or lost): the
 * first side seen sending bytes is keyed as its "server"; the other side must acknowledge
 * some of those bytes (expect to sent) for it to be verified.
 */
const MIDSTREAM = 4;
/**
 * The client's SYN seen, then its ACK, the SYN-ACK not (a sensor under load, a mirror port
 * dropping a burst, one leg of a bonded link): the client claims the server's ISN + 1 (its
 * ack, kept in `sent`, the latest claim). The server proves it is the server, and so that the
 * claim was right, by a segment with ACK at that number that acknowledges the client's SYN
 * (its seq is the client's ack, its ack between the client's ISN + 1 and a window past it):
 * both numbers, which only the two ends of the connection know (RFC 9293 §3.4; RFC 6528 makes
 * each unguessable to a third party). That segment stands for the SYN-ACK and the connection
 * is VERIFIED from it on (the client's first claim and the stand-in are both marked
 * SYNACK_LOST, the claim without ESTABLISHED), as Zeek still analyses a connection whose history has
 * no `h` and Suricata's stream engine (`async-oneside`) accepts a handshake whose SYN-ACK it
 * missed when the ACK completes it, but here only once the server's side confirms it. A bare
 * RST never confirms: a server refusing a forged ACK answers `<SEQ=SEG.ACK><CTL=RST>` (RFC 9293
 * §3.10.7.3), at the forged number, without ACK.
 */
const CLAIMED = 5;

const INITIAL_TTLS = [30, 32, 60, 64, 128, 255];

/**
 * A server segment stands for its missing SYN-ACK when it acknowledges the client's SYN and at
 * most this many of the client's bytes after it (the client's first request; a sensor that lost
 * the SYN-ACK may have lost more): a window's worth, Linux's initial receive window of 64 KB.
 */
const MAX_UNSEEN_CLIENT_BYTES = 65_536;

/**
 * How long after a stray segment (one with ACK of no connection) a host's bare RST refusing
 * it is taken as its answer (REFUSAL): a round trip and the host's stack, well under the 1 s
 * of TCP's first retransmission timeout (RFC 6298 §2) that bounds how late an answer can be.
 */
export const REFUSAL_WINDOW_S = 1;

/**
 * Stray segments remembered for their refusal, least recently seen evicted: at 100,000 stray
 * segments a second (an ACK flood from many ports) an entry lives 160 ms, a round trip's
 * margin over any path's; 16,384 entries of 40 bytes are 0.7 MB.
 */
const MAX_STRAYS = 16_384;

/** Hops a packet travelled, from its TTL and the usual initial TTLs. */
export function hopCount(ttl: number): number {
  for (const init of INITIAL_TTLS) if (ttl <= init) return init - ttl;
  return 0;
}

export interface SessionVerifierStats {
  handshakes: number;
  verified: number;
  hopMismatches: number;
  sources: number;
  connectionEvictions: number;
}

export class SessionVerifier {
  /** Connections keyed (server, client, server port, client port): the SYN-ACK's sender is the server. */
  private readonly conns: FlowTable;
  private readonly expect: Uint32Array;
  /** PENDING: the end of the server's bytes seen so far (its SYN-ACK's seq + 1, then each segment's end). */
  private readonly sent: Uint32Array;
  private readonly state: Uint8Array;
  /** CLAIMED: the TTL of the client's ACK, learnt for its source once the server confirms it. */
  private readonly clientTtl: Uint8Array;
  private readonly sources: FlowTable;
  private readonly seenAt: Float64Array;
  private readonly hops: Int16Array;
  private readonly memoryS: number;
  /** Stray segments keyed (host, client, host port, client port): the time of the latest, for the host's refusal. */
  private readonly strays: FlowTable;
  private readonly strayAt: Float64Array;
  /** Marks UDP datagrams answered, and answers (udp-exchanges.ts). */
  readonly udp: UdpExchanges;
  handshakes = 0;
  verified = 0;
  hopMismatches = 0;

  constructor(readonly config: SessionVerifierConfig = DEFAULT_SESSION_VERIFIER) {
    // Verified connections are kept over pending handshakes, which a SYN flood makes one per
    // forged packet (the share and its reason: PROTECTED_SOCKETS, flow-table.ts).
    this.conns = new FlowTable(config.maxConnections, { protectedShare: PROTECTED_SOCKETS });
    this.expect = new Uint32Array(config.maxConnections);
    this.sent = new Uint32Array(config.maxConnections);
    this.state = new Uint8Array(config.maxConnections);
    this.clientTtl = new Uint8Array(config.maxConnections);
    this.sources = new FlowTable(config.maxSources);
    this.seenAt = new Float64Array(config.maxSources);
    this.hops = new Int16Array(config.maxSources);
    this.memoryS = config.sessionMemoryS;
    this.strays = new FlowTable(MAX_STRAYS);
    this.strayAt = new Float64Array(MAX_STRAYS);
    this.udp = new UdpExchanges(config.udpExchanges);
  }

  /** Marks the batch's rows in place (flags). */
  mark(b: PacketBatch): void {
    const n = b.length;
    const flags = b.flags;
    for (let i = 0; i < n; i++) {
      let f = flags[i];
      if (f & PacketFlags.ARP && !(f & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED))) {
        // an ARP sweep's sender (source-rules.ts arp()) has had real sessions or not, as an IP
        // packet's; ARP has no hop count to check
        if (this.seen(b, i, b.flowKey(i, 'src'))) flags[i] = f | PacketFlags.SOURCE_SEEN;
        continue;
      }
      if ((f & (PacketFlags.IPV4 | PacketFlags.IPV6)) === 0) continue;
      if (f & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED)) {
        // a tiny TCP fragment is malformed, but a scan probe for the source rules: its source
        // is checked as any packet's (its IP header, hop count included, is whole)
        if (f & PacketFlags.TINY_FRAGMENT) flags[i] = this.source(b, i, f, b.flowKey(i, 'src'));
        continue;
      }
      const v6 = (f & PacketFlags.IPV6) !== 0;
      const src = b.flowKey(i, 'src');
      const ports = !(f & PacketFlags.FRAGMENT && b.fragOffset[i] !== 0);
      if (f & PacketFlags.TCP && ports) f = this.tcp(b, i, f, src, v6);
      f = this.source(b, i, f, src);
      // After the hop check: a datagram judged forged neither answers nor is answered (one
      // forged "answer" now and then would otherwise keep a flooder's datagrams answered).
      if (f & PacketFlags.UDP && ports && !(f & PacketFlags.HOP_MISMATCH)) f = this.udp.mark(b, i, f, src, b.flowKey(i, 'dst'));
      else if (f & (PacketFlags.ICMP | PacketFlags.ICMPV6) && ports && !(f & PacketFlags.HOP_MISMATCH)) {
        const type = b.icmpType[i];
        if (type === (v6 ? 128 : 8) || type === (v6 ? 129 : 0)) f = this.udp.markEcho(b, i, f, src, b.flowKey(i, 'dst'), type === (v6 ? 128 : 8));
      }
      flags[i] = f;
    }
  }

  stats(): SessionVerifierStats {
    return { handshakes: this.handshakes, verified: this.verified, hopMismatches: this.hopMismatches, sources: this.sources.size, connectionEvictions: this.conns.evictions };
  }

  private tcp(b: PacketBatch, i: number, f: number, src: AddressKey, v6: boolean): number {
    const tf = b.tcpFlags[i];
    const dst = b.flowKey(i, 'dst');
    const sport = b.srcPort[i];
    const dport = b.dstPort[i];
    if (tf & SYN) {
      if (!(tf & ACK)) {
        // A SYN: this side is the client; the server's SYN-ACK must acknowledge seq + 1.
        let s = this.conns.find(dst, src, dport, sport);
        if (s < 0) s = this.conns.insert(dst, src, dport, sport);
        else if (this.state[s] === VERIFIED) return f | PacketFlags.ESTABLISHED; // a retransmission
        this.state[s] = SYN_SENT;
        this.expect[s] = (b.tcpSeq[i] + 1) >>> 0;
        return f;
      }
      // A SYN-ACK: this side is the server; the client must acknowledge seq + 1.
      let s = this.conns.find(src, dst, sport, dport);
      if (s < 0) {
        s = this.conns.insert(src, dst, sport, dport);
        this.state[s] = 0;
      }
      if (this.state[s] === VERIFIED) return f | PacketFlags.ESTABLISHED;
      // It answers the client's SYN it could not have seen unless it is the real server.
      if ((this.state[s] === SYN_SENT || this.state[s] === CLAIMED) && b.tcpAck[i] === this.expect[s]) this.learn(src, b.ttl[i], b.ts[i]);
      this.state[s] = PENDING;
      this.expect[s] = (b.tcpSeq[i] + 1) >>> 0;
      this.sent[s] = this.expect[s];
      this.handshakes++;
      return f;
    }
    if (tf & RST) return tf & ACK ? f : this.refusal(b, i, f, src, dst, sport, dport);
    // From the client side: (server = dst).
    let s = this.conns.find(dst, src, dport, sport);
    if (s >= 0) {
      // the client acknowledges the server's ISN + 1, or bytes the server sent after it (its
      // ACK of the SYN-ACK missing from the capture: a sensor dropping packets under load, as
      // Zeek's "ACK above a content gap"); a forger never saw any of them
      // (mid-stream: at least one of the bytes seen, past the first's number)
      const a = b.tcpAck[i];
      const st = this.state[s];
      if (st === SYN_SENT || st === CLAIMED) {
        // its SYN seen, the SYN-ACK not: its ACK claims the server's numbers (CLAIMED), the
        // latest claim kept (it moves past server bytes the capture lost too)
        if (tf & ACK && (st === SYN_SENT || ((a - this.sent[s]) | 0) > 0)) {
          this.state[s] = CLAIMED;
          this.sent[s] = a;
          this.clientTtl[s] = b.ttl[i];
          if (st === SYN_SENT) return f | PacketFlags.SYNACK_LOST;
        }
        return f;
      }
      if (st === MIDSTREAM && !(tf & ACK && ((a - this.expect[s]) | 0) > 0 && ((this.sent[s] - a) | 0) >= 0)) {
        this.stray(src, dst, sport, dport, b.ts[i]);
        return f;
      }
      if ((st === PENDING || st === MIDSTREAM) && tf & ACK && ((a - this.expect[s]) | 0) >= 0 && ((this.sent[s] - a) | 0) >= 0) {
        this.verify(s, src, b.ttl[i], b.ts[i]);
      }
      return this.state[s] === VERIFIED ? f | PacketFlags.ESTABLISHED : f;
    }
    // From the server side of a connection.
    s = this.conns.find(src, dst, sport, dport);
    if (s >= 0) {
      const st = this.state[s];
      if (st === VERIFIED) return f | PacketFlags.ESTABLISHED;
      if (st === CLAIMED && tf & ACK && b.tcpSeq[i] === this.sent[s] && ((b.tcpAck[i] - this.expect[s]) >>> 0) < MAX_UNSEEN_CLIENT_BYTES) {
        // the server's first segment at the number its client claimed, acknowledging the
        // client's SYN: the lost SYN-ACK's stand-in (CLAIMED)
        this.handshakes++;
        this.verify(s, src, b.ttl[i], b.ts[i]);
        this.learn(dst, this.clientTtl[s], b.ts[i]);
        return f | PacketFlags.ESTABLISHED | PacketFlags.SYNACK_LOST;
      }
      if (st === PENDING || ((st === SYN_SENT || st === CLAIMED) && tf & ACK && ((b.tcpAck[i] - this.expect[s]) >>> 0) < MAX_UNSEEN_CLIENT_BYTES)) {
        // the server's bytes the client may acknowledge; a segment acknowledging the client's
        // SYN (its SYN-ACK missing from the capture) stands for the SYN-ACK from its own bytes on
        const end = (b.tcpSeq[i] + b.payloadLen[i] + (tf & FIN ? 1 : 0)) >>> 0;
        if (st !== PENDING) {
          this.state[s] = PENDING;
          this.expect[s] = b.tcpSeq[i];
          this.sent[s] = end;
        } else if (((end - this.sent[s]) | 0) > 0) this.sent[s] = end;
      } else if (st === MIDSTREAM) {
        const end = (b.tcpSeq[i] + b.payloadLen[i] + (tf & FIN ? 1 : 0)) >>> 0;
        if (((end - this.sent[s]) | 0) > 0) this.sent[s] = end;
        this.stray(src, dst, sport, dport, b.ts[i]);
      }
      return f;
    }
    if (tf & ACK) {
      // A segment with ACK of no connection seen: what its destination may refuse (refusal).
      this.stray(src, dst, sport, dport, b.ts[i]);
      // With bytes: a connection whose opening the capture did not see, perhaps; verified once
      // the other side acknowledges some of them (a forger of this side never sees that ACK,
      // and a real peer acknowledges only bytes it was sent: RFC 9293 §3.10.7.4)
      if (b.payloadLen[i] > 0) {
        s = this.conns.insert(src, dst, sport, dport);
        this.state[s] = MIDSTREAM;
        this.expect[s] = b.tcpSeq[i];
        this.sent[s] = (b.tcpSeq[i] + b.payloadLen[i] + (tf & FIN ? 1 : 0)) >>> 0;
      }
    }
    return f;
  }

  /** A segment with ACK of no connection verified (row's `src` to `dst`): remembered for `dst`'s refusal of it. */
  private stray(src: AddressKey, dst: AddressKey, sport: number, dport: number, ts: number): void {
    let k = this.strays.find(dst, src, dport, sport);
    if (k < 0) k = this.strays.insert(dst, src, dport, sport);
    this.strayAt[k] = ts;
  }

  /**
   * A bare RST from `src` (row i): REFUSAL when `dst` sent it a stray segment on the same ports
   * within REFUSAL_WINDOW_S. Its sequence number is that segment's ack (RFC 9293 §3.10.7.1), but
   * of the latest only when the next did not come first: a flood on one 4-tuple (hping3 -A -k)
   * sends its next segment within the round trip, so the 4-tuple's recent strays are what it
   * answers. (A forger can send the strays in the client's name: the alert is forgeable.)
   */
  private refusal(b: PacketBatch, i: number, f: number, src: AddressKey, dst: AddressKey, sport: number, dport: number): number {
    const k = this.strays.find(src, dst, sport, dport);
    if (k < 0 || b.ts[i] - this.strayAt[k] > REFUSAL_WINDOW_S) return f;
    return f | PacketFlags.REFUSAL;
  }

  /** Connection s is verified by segment i's sender `src` (its TTL learnt for it): protected from eviction by newcomers. */
  private verify(s: number, src: AddressKey, ttl: number, ts: number): void {
    this.state[s] = VERIFIED;
    this.conns.protect(s);
    this.verified++;
    this.learn(src, ttl, ts);
  }

  private learn(src: AddressKey, ttl: number, ts: number): void {
    let s = this.sources.find(src, 0, 0, 0);
    if (s < 0) s = this.sources.insert(src, 0, 0, 0);
    this.seenAt[s] = ts;
    this.hops[s] = hopCount(ttl);
  }

  /** `src` completed a handshake within `sessionMemoryS` of row i. */
  private seen(b: PacketBatch, i: number, src: AddressKey): boolean {
    const s = this.sources.find(src, 0, 0, 0);
    return s >= 0 && b.ts[i] - this.seenAt[s] <= this.memoryS;
  }

  private source(b: PacketBatch, i: number, f: number, src: AddressKey): number {
    const s = this.sources.find(src, 0, 0, 0);
    if (s < 0) return f;
    if (b.ts[i] - this.seenAt[s] > this.memoryS) return f;
    f |= PacketFlags.SOURCE_SEEN;
    if (f & PacketFlags.ESTABLISHED) return f;
    const d = hopCount(b.ttl[i]) - this.hops[s];
    if (d > this.config.hopTolerance || d < -this.config.hopTolerance) {
      this.hopMismatches++;
      f |= PacketFlags.HOP_MISMATCH;
    }
    return f;
  }
}
