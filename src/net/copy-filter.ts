// A packet seen twice in one capture, once on each side of a router (or, for a sensor fed by
// mirror sessions, once from each mirrored host's session: decode.ts tunnelSide is the side
// then, and the TTL equal or one less as below): `tcpdump -i any` on a
// router (Linux cooked, SLL or SLL2), or a pcapng holding two interfaces, sees every
// forwarded packet arrive on one interface and leave by another, 10 µs to a few ms later,
// its TTL (hop limit) one less and its link header new (RFC 1812 §5.3.1; a bridge keeps
// the TTL). Counted twice, every rate doubles and every failed login is two: on the
// crafted classes so rewritten the rules banned 13 benign hosts (SYN and UDP floods at half
// their rate, a user's two typos read as four) and missed SSH and VNC guessers (a reply's
// copy is no answer the login reader expects). Wireshark's `editcap -D` drops such copies
// by a digest of each frame over a window of frames; this does the same over the decoded
// row, less what a router changes.
//
// A row is a copy when a row with the same addresses, protocol, ports, TCP sequence,
// acknowledgment, flags and window, IP and payload lengths and first 16 payload bytes was
// seen within COPY_WINDOW_S on the other side of the capture, with a TTL equal or one more.
// The side is what the capture says of where a packet was seen: a pcapng interface, SLL2's
// interface index, SLL's direction (outgoing or not: the two copies of a forwarded packet
// are one of each). A retransmission or a repeated datagram on the same side is never a
// copy, so a classic pcap of one interface loses nothing.
//
// A direct-mapped table of the last rows by digest (4,096 slots: at 100,000 packets a second
// a copy 10 ms late meets 1,000 rows in between, and a slot taken meanwhile lets a copy
// through, counted again, never drops a packet); nothing allocated per packet.

import { tunnelSide } from './decode.ts';
import type { PacketBatch } from './packet-batch.ts';
import { PAYLOAD_HEAD_WORDS, PacketFlags } from './packet-batch.ts';

const SLOTS = 4096;
/**
 * How late a copy may come. A router forwards in tens of µs to a few ms when queues fill;
 * TCP retransmits after 200 ms at the earliest (RFC 6298 §2.4's 1 s, Linux's TCP_RTO_MIN
 * 200 ms), so a resent segment never falls within it, on either side.
 */
export const COPY_WINDOW_S = 0.05;

const IP = PacketFlags.IPV4 | PacketFlags.IPV6;
const DROP = PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED;

/** Whether a capture can hold a packet twice, once each side: Linux cooked (`-i any`: SLL 113, SLL2 276) or more than one interface (pcapng). One interface of another link type never does. */
export function twoSided(linkType: number, interfaces: number): boolean {
  return linkType === 113 || linkType === 276 || interfaces > 1;
}

/** The side of the capture a frame was seen on (see above): pcapng's interface, SLL2's index, SLL's direction. */
export function captureSide(buf: Uint8Array, off: number, caplen: number, linkType: number, iface: number): number {
  if (linkType === 276 && caplen >= 20) return ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) ^ (iface << 16);
  if (linkType === 113 && caplen >= 2) return (((buf[off]! << 8) | buf[off + 1]!) === 4 ? 1 : 0) ^ (iface << 16);
  return iface;
}

export class CopyFilter {
  private readonly digest = new Int32Array(SLOTS);
  private readonly seen = new Float64Array(SLOTS).fill(-Infinity);
  private readonly side = new Int32Array(SLOTS);
  private readonly ttl = new Uint8Array(SLOTS);
  /** Copies found (rows the caller dropped). */
  copies = 0;

  /**
   * Whether the frame decodeFrame just wrote into row i (buf[off], `caplen` bytes of
   * `linkType`, on interface `iface` of the capture's `interfaces`) is a copy, where one can
   * be: it came through a mirror session (decode.ts tunnelSide, the side), or the capture has
   * two sides (twoSided, captureSide). A capture of neither kind is never looked at.
   */
  seenTwice(b: PacketBatch, i: number, buf: Uint8Array, off: number, caplen: number, linkType: number, iface: number, interfaces: number): boolean {
    const mirror = tunnelSide();
    if (mirror !== 0) return this.isCopy(b, i, mirror);
    return twoSided(linkType, interfaces) && this.isCopy(b, i, captureSide(buf, off, caplen, linkType, iface));
  }

  /** Whether row i of `batch`, seen on `side`, is a copy of a row seen on another side; otherwise it is remembered. */
  isCopy(b: PacketBatch, i: number, side: number): boolean {
    const f = b.flags[i];
    if (!(f & IP) || f & DROP) return false;
    const r = i << 2;
    const sw = b.srcWords, dw = b.dstWords, hw = b.headWords;
    let h = Math.imul(sw[r] ^ sw[r + 1] ^ sw[r + 2] ^ sw[r + 3], 0x9e3779b1);
    h = Math.imul(h ^ dw[r] ^ (dw[r + 1] << 1) ^ dw[r + 2] ^ (dw[r + 3] << 3), 0x85ebca6b);
    h = Math.imul(h ^ ((b.srcPort[i] << 16) | b.dstPort[i]), 0xc2b2ae35);
    h = Math.imul(h ^ b.tcpSeq[i], 0x27d4eb2f);
    h = Math.imul(h ^ b.tcpAck[i] ^ (b.tcpFlags[i] << 16) ^ b.protocol[i], 0x165667b1);
    h = Math.imul(h ^ b.ipLen[i] ^ (b.payloadLen[i] << 16) ^ b.tcpWindow[i], 0x9e3779b1);
    const hr = i * PAYLOAD_HEAD_WORDS; // the first 16 payload bytes are digest enough
    h = Math.imul(h ^ hw[hr] ^ (hw[hr + 1] << 7) ^ (hw[hr + 2] << 13) ^ (hw[hr + 3] << 19), 0x85ebca6b);
    h ^= h >>> 15;
    const s = h & (SLOTS - 1);
    const ts = b.ts[i];
    const ttl = b.ttl[i];
    if (this.digest[s] === h && this.side[s] !== side) {
      const dt = ts - this.seen[s]!;
      const hop = this.ttl[s]! - ttl;
      if (dt >= 0 && dt <= COPY_WINDOW_S && (hop === 0 || hop === 1)) {
        this.copies++;
        this.seen[s] = -Infinity; // one copy a packet: a third sighting is a packet again
        return true;
      }
    }
    this.digest[s] = h;
    this.seen[s] = ts;
    this.side[s] = side;
    this.ttl[s] = ttl;
    return false;
  }

  /** Forget every row (a new read of a file). */
  clear(): void {
    this.seen.fill(-Infinity);
    this.copies = 0;
  }
}
