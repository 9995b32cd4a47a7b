// A columnar batch of decoded packets. Every column is a typed-array view over ONE
// ArrayBuffer, allocated when the batch is built and reused for every fill, so the hot
// path creates no per-packet objects and the whole state is `buffer` + `length`
// (serialise those two; rebuild with `new PacketBatch(capacity, buffer)`).

import { AutoimmuneError } from '../errors.ts';
import { mix32 } from '../util/hash.ts';
import { Ipv6Texts, formatIPv4, formatIPv6 } from './address.ts';
import type { BatchPool } from './batch-pool.ts';

/** Bits of the `flags` column. A row may carry several. */
export const PacketFlags = {
  ETHERNET: 1 << 0,
  VLAN: 1 << 1,
  /** Two or more VLAN tags (802.1ad / QinQ). */
  QINQ: 1 << 2,
  ARP: 1 << 3,
  IPV4: 1 << 4,
  IPV6: 1 << 5,
  /** IPv4 header longer than 20 bytes. */
  IP_OPTIONS: 1 << 6,
  /** IPv6 extension headers were walked. */
  IPV6_EXT: 1 << 7,
  /** Part of a fragmented datagram; `fragOffset` > 0 means no L4 header in this packet. */
  FRAGMENT: 1 << 8,
  MORE_FRAGMENTS: 1 << 9,
  DONT_FRAGMENT: 1 << 10,
  TCP: 1 << 11,
  UDP: 1 << 12,
  ICMP: 1 << 13,
  ICMPV6: 1 << 14,
  TCP_MSS: 1 << 15,
  TCP_WSCALE: 1 << 16,
  TCP_SACK_PERMITTED: 1 << 17,
  TCP_TIMESTAMPS: 1 << 18,
  /** Linux cooked capture (SLL or SLL2). */
  COOKED: 1 << 19,
  /** caplen < wirelen: the capture's snap length cut the packet (not an error). */
  SNAPPED: 1 << 20,
  /** Truncated or inconsistent headers; `status` says why. Consumers skip these rows. */
  MALFORMED: 1 << 21,
  /** Well-formed but not decoded (unknown link type, non-IP ethertype...); see `status`. */
  UNSUPPORTED: 1 << 22,
  /**
   * Set by the session verifier (src/detect/session-verifier.ts), not the decoder: a TCP
   * segment of a connection whose client acknowledged the server's SYN-ACK sequence number,
   * which a sender forging the client's address cannot see. Evidence that cannot be forged.
   */
  ESTABLISHED: 1 << 23,
  /** Set by the session verifier: the source has completed such a handshake recently (it has had real sessions). */
  SOURCE_SEEN: 1 << 24,
  /** Set by the session verifier: the IP TTL gives a hop count other than the one learnt from the source's real sessions (forged). */
  HOP_MISMATCH: 1 << 25,
  /**
   * Set by the UDP exchange tracker (src/detect/udp-exchanges.ts): a UDP datagram whose
   * destination sent UDP from the datagram's destination port back to its source within the
   * tracker's window: the source's datagrams to that port are being answered (DNS, QUIC, RTP).
   */
  UDP_ANSWERED: 1 << 26,
  /**
   * UDP_ANSWERED's bit on a TCP row (only UDP rows carry that one): set by the session
   * verifier on a bare RST (no ACK) sent on the ports of a segment with ACK of no connection
   * that its destination sent to it within `REFUSAL_WINDOW_S`: a host refusing a stray
   * segment, `<SEQ=SEG.ACK><CTL=RST>` (RFC 9293 §3.10.7.1). A bare RST that refuses nothing
   * seen (one sent TO a host to get it named as a flooder: hping3 -R at it) does not carry it.
   */
  REFUSAL: 1 << 26,
  /** Set by the UDP exchange tracker: a UDP datagram to a port its destination sent UDP from to this source within the window: an answer. */
  UDP_REPLY: 1 << 27,
  /**
   * UDP_REPLY's bit on a TCP row (only UDP rows carry that one): set by the session verifier
   * on a handshake whose SYN it saw and whose SYN-ACK it did not (the capture lost it;
   * session-verifier.ts, CLAIMED): on the client's ACK that completes it (not ESTABLISHED:
   * anyone may send it), and with ESTABLISHED on the server's segment that verified it, which
   * stands for the SYN-ACK (the server's stream begins at its sequence number).
   */
  SYNACK_LOST: 1 << 27,
  /**
   * An ARP frame sent to every host of the link: an Ethernet destination of
   * ff:ff:ff:ff:ff:ff, or a Linux cooked capture's packet type broadcast (1) or multicast (2)
   * (outgoing, 4, says nothing of the destination). A host asks the whole link for a neighbour it does not know yet;
   * Linux revalidates one it knows by unicast (its neighbour table's ucast_solicit probes).
   */
  ARP_BROADCAST: 1 << 28,
  /**
   * A first IP fragment of TCP too short to hold the 20-byte TCP header (the row is
   * MALFORMED for every other reader): the tiny fragment of RFC 1858 §3.1, which no real path
   * makes (RFC 791: every link carries 68 bytes whole, so an IPv4 first fragment holds at
   * least 48 bytes of TCP after a plain header; RFC 7112: an IPv6 first fragment holds the
   * whole header chain) and nmap -f and --mtu send to slip flags past filters.
   */
  TINY_FRAGMENT: 1 << 29,
  /**
   * Set by the UDP exchange tracker (src/detect/udp-exchanges.ts) on a UDP datagram or ICMP
   * echo request that opens an exchange (or renews one idle past its window) when most of its
   * sender's recent such openings were answered: a monitor polling live hosts. A sweep of a
   * network meets mostly silence (absent hosts, closed ports answering with ICMP errors).
   */
  SOURCE_ANSWERED: 1 << 30,
  /**
   * Set by the UDP exchange tracker with UDP_REPLY: the datagram answers an exchange whose
   * client sent a SIP request line to this port (since the exchange opened): only such a
   * "SIP/2.0 403" is a SIP server's answer to that client. The last bit: read it with `&`,
   * never compare the flags with `<` or `>` (as an int32 it is negative).
   */
  SIP_REPLY: 1 << 31,
} as const;

export type AddressSide = 'src' | 'dst';

/**
 * Payload bytes kept per row (the `head` column): 72, so a server's answer whose outcome sits
 * past the first bytes is read. Active Directory's LDAP BindResponse writes 4-byte BER lengths
 * and puts its resultCode at byte 17 (RFC 4511 §4.2.2; 21 with a 4-byte messageID). Kerberos'
 * KRB-ERROR (RFC 4120 §5.9.1) puts its error-code's value at byte
 *     [APPLICATION 30] tag and length   2-4   (7e LL, 7e 81 LL, 7e 82 LL LL: DER, under 64 KB)
 *   + SEQUENCE tag and length           2-4
 *   + pvno [0] INTEGER 5                5     (a0 03 02 01 05)
 *   + msg-type [1] INTEGER 30           5
 *   + ctime [2] KerberosTime            0|19  (a2 11 18 0f YYYYMMDDHHMMSSZ: MIT's KDC sets it to
 *                                              the AS-REQ's nonce, so it is there; Windows omits it)
 *   + cusec [3]                         0     (MIT sets 0, which DER leaves out)
 *   + stime [4] KerberosTime            19
 *   + susec [5] Microseconds            5-7   (a5 LL 02 LL 1-3 bytes: up to 999999)
 *   + error-code [6] tag, lengths, INT  4     (a6 03 02 01)
 * = 48 at most without ctime, 67 with it, plus 4 over TCP (the record mark, §7.2.2): 71, so
 * its one byte (codes below 128) is byte 71 at the latest, the last of 72 bytes. 64 would
 * miss MIT's answers with 2-byte lengths or over TCP; 56 every MIT answer. The bytes past
 * 32 cost the decoder its copy (README, "The packet path", measured against 32).
 * A multiple of 8, so the columns after it stay aligned (`headWords`).
 */
export const PAYLOAD_HEAD_BYTES = 72;
/** `head` as 32-bit words per row (`headWords`). */
export const PAYLOAD_HEAD_WORDS = PAYLOAD_HEAD_BYTES >>> 2;

// Column layout: [name, bytes per row], largest alignment first so every view is aligned
// (src/dst are also read as 32-bit words) whatever the capacity.
const LAYOUT = [
  ['ts', 8], ['src', 16], ['dst', 16], ['head', PAYLOAD_HEAD_BYTES],
  ['caplen', 4], ['wirelen', 4], ['flags', 4], ['ipLen', 4], ['payloadLen', 4], ['src4', 4], ['dst4', 4], ['tcpSeq', 4], ['tcpAck', 4],
  ['linkType', 2], ['iface', 2], ['etherType', 2], ['vlanId', 2], ['innerVlanId', 2], ['fragOffset', 2],
  ['srcPort', 2], ['dstPort', 2], ['tcpFlags', 2], ['tcpWindow', 2], ['tcpMss', 2], ['arpOp', 2],
  ['status', 1], ['ipVersion', 1], ['protocol', 1], ['ttl', 1], ['tcpWscale', 1], ['icmpType', 1], ['icmpCode', 1],
] as const;

/** Names of the per-row columns, in buffer order (for serialisers and copy helpers). */
export const PACKET_COLUMNS: readonly string[] = LAYOUT.map(([name]) => name);

/** Bytes one row occupies in the batch buffer. */
export const PACKET_ROW_BYTES = LAYOUT.reduce((sum, [, size]) => sum + size, 0);

export class PacketBatchSizeError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_PACKET_BATCH_SIZE', message, { statusCode: 400 });
  }
}

// The first 12 bytes of an IPv4-mapped IPv6 address, folded into the hash state once so an
// IPv4 row and the same address seen as ::ffff:a.b.c.d in an IPv6 row hash the same.
const HASH_SEED = 0x811c9dc5;
const V4_MAPPED_STATE = mixWord(mixWord(mixWord(HASH_SEED, 0), 0), 0x0000ffff);

function mixWord(h: number, w: number): number {
  return Math.imul((h ^ w) >>> 0, 0x01000193) ^ (w >>> 15);
}

function finish(h: number): number {
  // murmur3 fmix32: spreads the bits so `hash % shards` is balanced for nearby addresses.
  return mix32(h) >>> 0;
}

/** Hash of an IPv4 address given as a uint32; equals hashAddress16 of its v4-mapped form. */
export function hashIPv4(addr: number): number {
  return finish(mixWord(V4_MAPPED_STATE, addr >>> 0));
}

/** Hash of a 16-byte address at bytes[off]. Stable across processes and runs (no seed). */
export function hashAddress16(bytes: Uint8Array, off: number): number {
  let h = HASH_SEED;
  for (let k = 0; k < 16; k += 4) {
    const w = ((bytes[off + k] << 24) | (bytes[off + k + 1] << 16) | (bytes[off + k + 2] << 8) | bytes[off + k + 3]) >>> 0;
    h = mixWord(h, w);
  }
  return finish(h);
}


// Recent IPv6 texts (per thread): the flow features, the flow meter and the rules each ask
// for the same row's address.
const v6Texts = new Ipv6Texts(256);

export class PacketBatch {
  readonly capacity: number;
  /** The single buffer behind every column: with `length`, the whole state of the batch. */
  readonly buffer: ArrayBuffer;
  /** Rows in use, 0..capacity. Rows past `length` hold stale data from earlier fills. */
  length = 0;
  /** The pool this batch goes back to on release() (src/net/batch-pool.ts), or null. */
  pool: BatchPool | null = null;
  /** True while it waits in its pool (a second release is ignored). */
  pooled = false;
  /**
   * Live captures only (set by their shard router): the age in ms past which the shard that
   * takes this batch finds it late (`isLate`) and runs the rules on it alone. 0: never late
   * (replays, whose timestamps are the file's; batches from another node).
   */
  lateAfterMs = 0;

  /** Capture time, seconds since the epoch (float64: sub-microsecond precision is lost). */
  readonly ts: Float64Array;
  readonly caplen: Uint32Array;
  readonly wirelen: Uint32Array;
  /** PacketFlags bits. */
  readonly flags: Uint32Array;
  /** IP total length: IPv4 header field, or 40 + IPv6 payload length. */
  readonly ipLen: Uint32Array;
  /** Bytes after the L4 header (per the IP/UDP length fields, not what was captured). */
  readonly payloadLen: Uint32Array;
  /** IPv4 (or ARP) addresses as numbers; 0 for IPv6 rows. */
  readonly src4: Uint32Array;
  readonly dst4: Uint32Array;
  /** TCP sequence and acknowledgement numbers (0 when not TCP). */
  readonly tcpSeq: Uint32Array;
  /** On a UDP row the exchange tracker marks UDP_REPLY: the payload length of the datagram it answers (src/detect/udp-exchanges.ts). */
  readonly tcpAck: Uint32Array;
  /** LINKTYPE_* of the frame (1 Ethernet, 113 SLL, ...). */
  readonly linkType: Uint16Array;
  /** Interface index within the capture (pcapng interface id, 0 for .pcap). */
  readonly iface: Uint16Array;
  /** Ethertype after any VLAN tags (0 when the link type has none). */
  readonly etherType: Uint16Array;
  /** Outer VLAN id, and the inner one for QinQ. */
  readonly vlanId: Uint16Array;
  readonly innerVlanId: Uint16Array;
  /** Fragment offset in bytes. */
  readonly fragOffset: Uint16Array;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  /** TCP flag bits: FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 AE/NS 0x100. */
  readonly tcpFlags: Uint16Array;
  readonly tcpWindow: Uint16Array;
  /** MSS option value (valid when TCP_MSS is set). */
  readonly tcpMss: Uint16Array;
  /** ARP operation (1 request, 2 reply). */
  readonly arpOp: Uint16Array;
  /** DecodeStatus code: 0 ok, else the reason the decoder stopped (see decode-stats.ts). */
  readonly status: Uint8Array;
  /** 4, 6, or 0 for non-IP rows. */
  readonly ipVersion: Uint8Array;
  /** L4 protocol number after IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...). */
  readonly protocol: Uint8Array;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: Uint8Array;
  /** Window scale shift (valid when TCP_WSCALE is set). */
  readonly tcpWscale: Uint8Array;
  readonly icmpType: Uint8Array;
  readonly icmpCode: Uint8Array;
  /** 16 bytes per row: IPv6 as is, IPv4/ARP as ::ffff:a.b.c.d, zeros when there is none. */
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /**
   * The first PAYLOAD_HEAD_BYTES bytes of the TCP or UDP payload as captured, zero-filled
   * past what the packet carries: enough to tell an SSH banner, an FTP/SMTP reply code, a
   * POP3 +OK/-ERR, an IMAP tagged reply, an SSH binary packet header or an LDAP
   * BindResponse's code apart (src/detect/rules/service-replies.ts), and nothing more. For SCTP (RFC 9260, no other
   * column of its own) the common header and the first chunk's type, flags and length
   * (`sctpChunk` in src/detect/rules/source-rules.ts); all zero for other rows.
   */
  readonly head: Uint8Array;
  /**
   * The same bytes as `src`/`dst` seen as 4 host-order words per row: an alias for fast
   * copies and stores, not extra state (do not serialise it separately).
   */
  readonly srcWords: Uint32Array;
  readonly dstWords: Uint32Array;
  /** `head` as PAYLOAD_HEAD_WORDS words per row: an alias for copies. */
  readonly headWords: Uint32Array;

  constructor(capacity: number, buffer?: ArrayBuffer) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
      throw new PacketBatchSizeError(`PacketBatch capacity ${capacity} is invalid: use an integer from 1 to 1048576`);
    }
    const bytes = capacity * PACKET_ROW_BYTES;
    if (buffer !== undefined && buffer.byteLength < bytes) {
      throw new PacketBatchSizeError(
        `PacketBatch buffer has ${buffer.byteLength} bytes but capacity ${capacity} needs ${bytes}: pass the buffer of a batch built with the same capacity`,
      );
    }
    this.capacity = capacity;
    this.buffer = buffer ?? new ArrayBuffer(bytes);
    let at = 0;
    const view = <T>(ctor: new (b: ArrayBuffer, o: number, n: number) => T, size: number, per = 1): T => {
      const v = new ctor(this.buffer, at, capacity * per);
      at += capacity * size;
      return v;
    };
    // Same order as LAYOUT.
    this.ts = view(Float64Array, 8);
    this.src = view(Uint8Array, 16, 16);
    this.dst = view(Uint8Array, 16, 16);
    this.head = view(Uint8Array, PAYLOAD_HEAD_BYTES, PAYLOAD_HEAD_BYTES);
    this.caplen = view(Uint32Array, 4);
    this.wirelen = view(Uint32Array, 4);
    this.flags = view(Uint32Array, 4);
    this.ipLen = view(Uint32Array, 4);
    this.payloadLen = view(Uint32Array, 4);
    this.src4 = view(Uint32Array, 4);
    this.dst4 = view(Uint32Array, 4);
    this.tcpSeq = view(Uint32Array, 4);
    this.tcpAck = view(Uint32Array, 4);
    this.linkType = view(Uint16Array, 2);
    this.iface = view(Uint16Array, 2);
    this.etherType = view(Uint16Array, 2);
    this.vlanId = view(Uint16Array, 2);
    this.innerVlanId = view(Uint16Array, 2);
    this.fragOffset = view(Uint16Array, 2);
    this.srcPort = view(Uint16Array, 2);
    this.dstPort = view(Uint16Array, 2);
    this.tcpFlags = view(Uint16Array, 2);
    this.tcpWindow = view(Uint16Array, 2);
    this.tcpMss = view(Uint16Array, 2);
    this.arpOp = view(Uint16Array, 2);
    this.status = view(Uint8Array, 1);
    this.ipVersion = view(Uint8Array, 1);
    this.protocol = view(Uint8Array, 1);
    this.ttl = view(Uint8Array, 1);
    this.tcpWscale = view(Uint8Array, 1);
    this.icmpType = view(Uint8Array, 1);
    this.icmpCode = view(Uint8Array, 1);
    this.srcWords = new Uint32Array(this.buffer, this.src.byteOffset, capacity * 4);
    this.dstWords = new Uint32Array(this.buffer, this.dst.byteOffset, capacity * 4);
    this.headWords = new Uint32Array(this.buffer, this.head.byteOffset, capacity * PAYLOAD_HEAD_WORDS);
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  /** True when the batch's first (oldest) row was captured more than `lateAfterMs` before `nowMs` (epoch ms): the node is behind its capture. */
  isLate(nowMs: number): boolean {
    return this.lateAfterMs > 0 && this.length > 0 && nowMs - this.ts[0]! * 1000 > this.lateAfterMs;
  }

  /** Empty the batch for reuse (the columns keep their old bytes; rows are rewritten whole). */
  clear(): void {
    this.length = 0;
  }

  /**
   * The last consumer is done with this batch: it goes back to its pool, if it came from one,
   * to be refilled. Nothing may read it afterwards. A no-op for a batch without a pool.
   */
  release(): void {
    this.pool?.give(this);
  }

  /** True when the row carries an IPv6 address pair (else IPv4/ARP numbers, or none). */
  isIPv6(i: number): boolean {
    return (this.flags[i] & PacketFlags.IPV6) !== 0;
  }

  /**
   * How many of row i's `head` bytes the capture holds: min(payloadLen, PAYLOAD_HEAD_BYTES),
   * less what the snap length cut (tcpdump's old -s 68 keeps 2 payload bytes of a TCP
   * segment with timestamps; its zero fill is no byte the peer sent). The cut bytes are the
   * frame's last (wirelen - caplen, on a row the decoder marked SNAPPED), so a padded
   * frame's trailer counts against the payload: a bound on the safe side. Readers take it
   * as their `avail`, so a cut reply is unread, never read as zeros.
   */
  headBytes(i: number): number {
    const len = this.payloadLen[i];
    const n = len < PAYLOAD_HEAD_BYTES ? len : PAYLOAD_HEAD_BYTES;
    if (!(this.flags[i] & PacketFlags.SNAPPED)) return n;
    const cut = this.wirelen[i] - this.caplen[i];
    const kept = len - cut;
    return kept >= n ? n : kept > 0 ? kept : 0;
  }

  /**
   * Whether the snap length cut into row i's headers, not only its payload: a SYN's options
   * at -s 68 (MSS, SACK, timestamps and window scale fill 74 bytes past Ethernet and IPv4),
   * so an option the decoder did not see may have been sent (its flag unset says nothing).
   */
  headersCut(i: number): boolean {
    return (this.flags[i] & PacketFlags.SNAPPED) !== 0 && this.wirelen[i] - this.caplen[i] > this.payloadLen[i];
  }

  /** Address as text, for display and logs only (allocates). '' when the row has none. */
  formatAddress(i: number, side: AddressSide): string {
    const f = this.flags[i];
    if (f & PacketFlags.IPV6) return formatIPv6(side === 'src' ? this.src : this.dst, i * 16);
    if (f & (PacketFlags.IPV4 | PacketFlags.ARP)) {
      const a = side === 'src' ? this.src4[i] : this.dst4[i];
      // A malformed row may have stopped before the addresses were read.
      if (a !== 0 || this.ipVersion[i] === 4 || this.arpOp[i] !== 0) return formatIPv4(a);
    }
    return '';
  }

  /** Shard-routing hash of the source address: a uint32, cheap, no allocation. */
  srcHash(i: number): number {
    return this.flags[i] & PacketFlags.IPV6 ? hashAddress16(this.src, i * 16) : hashIPv4(this.src4[i]);
  }

  dstHash(i: number): number {
    return this.flags[i] & PacketFlags.IPV6 ? hashAddress16(this.dst, i * 16) : hashIPv4(this.dst4[i]);
  }

  /**
   * A Map key for the host: the uint32 for IPv4/ARP rows (0 when there is no address),
   * the RFC 5952 string for IPv6. Allocates only for IPv6 rows.
   */
  hostKey(i: number, side: AddressSide): number | string {
    if (this.flags[i] & PacketFlags.IPV6) return this.ipv6Text(i, side);
    return side === 'src' ? this.src4[i] : this.dst4[i];
  }

  /**
   * hostKey with IPv4 as an int32 (the flow tables' key: a uint32 above 2^31 is a heap
   * number, boxed on every call that is not inlined). Allocates only for IPv6 rows.
   */
  flowKey(i: number, side: AddressSide): number | string {
    if (this.flags[i] & PacketFlags.IPV6) return this.ipv6Text(i, side);
    return (side === 'src' ? this.src4[i] : this.dst4[i]) | 0;
  }

  /** Row i's IPv6 address as RFC 5952 text, from a small cache of recent ones (a flow's packets repeat it). */
  private ipv6Text(i: number, side: AddressSide): string {
    return side === 'src' ? v6Texts.text(this.src, this.srcWords, i) : v6Texts.text(this.dst, this.dstWords, i);
  }

  /**
   * Append row `i` of `from` to this batch (for routing rows to per-shard batches).
   * Returns the new row index, or -1 when this batch is full.
   */
  appendRow(from: PacketBatch, i: number): number {
    if (this.length >= this.capacity) return -1;
    const j = this.length++;
    this.ts[j] = from.ts[i];
    this.caplen[j] = from.caplen[i];
    this.wirelen[j] = from.wirelen[i];
    this.flags[j] = from.flags[i];
    this.ipLen[j] = from.ipLen[i];
    this.payloadLen[j] = from.payloadLen[i];
    this.src4[j] = from.src4[i];
    this.dst4[j] = from.dst4[i];
    this.tcpSeq[j] = from.tcpSeq[i];
    this.tcpAck[j] = from.tcpAck[i];
    this.linkType[j] = from.linkType[i];
    this.iface[j] = from.iface[i];
    this.etherType[j] = from.etherType[i];
    this.vlanId[j] = from.vlanId[i];
    this.innerVlanId[j] = from.innerVlanId[i];
    this.fragOffset[j] = from.fragOffset[i];
    this.srcPort[j] = from.srcPort[i];
    this.dstPort[j] = from.dstPort[i];
    this.tcpFlags[j] = from.tcpFlags[i];
    this.tcpWindow[j] = from.tcpWindow[i];
    this.tcpMss[j] = from.tcpMss[i];
    this.arpOp[j] = from.arpOp[i];
    this.status[j] = from.status[i];
    this.ipVersion[j] = from.ipVersion[i];
    this.protocol[j] = from.protocol[i];
    this.ttl[j] = from.ttl[i];
    this.tcpWscale[j] = from.tcpWscale[i];
    this.icmpType[j] = from.icmpType[i];
    this.icmpCode[j] = from.icmpCode[i];
    const a = i * 4;
    const b = j * 4;
    for (let k = 0; k < 4; k++) {
      this.srcWords[b + k] = from.srcWords[a + k];
      this.dstWords[b + k] = from.dstWords[a + k];
    }
    const ha = i * PAYLOAD_HEAD_WORDS;
    const hb = j * PAYLOAD_HEAD_WORDS;
    for (let k = 0; k < PAYLOAD_HEAD_WORDS; k++) this.headWords[hb + k] = from.headWords[ha + k];
    return j;
  }
}
