// A QUIC client's first Initial: the datagram that opens a QUIC connection (HTTP/3, DNS over
// QUIC, SMB over QUIC), on any port. Each one makes the server do a TLS key exchange and
// answer with up to three times the bytes it received before the client's address is
// validated (RFC 9000 §8.1): a flood of them is to QUIC what a TLS handshake flood is to TCP
// (connection-flood.ts), and from one real address it was seen by no rule before session 15
// (the server answers every datagram, so the unanswered-UDP flood never counts them).
//
// Read from the datagram's first bytes (RFC 9000 §17.2, RFC 8999 §5.1):
//   byte 0        long header form (0x80) and the fixed bit (0x40), then the packet type:
//                 Initial is 0b00 in version 1 (RFC 9000 §17.2.2) and its drafts
//                 (0xff0000xx), 0b01 in version 2 (RFC 9369 §3.2);
//   bytes 1-4     the version;
//   byte 5        the Destination Connection ID's length: a client's first Initial carries
//                 an unpredictable one of at least 8 bytes (RFC 9000 §7.2), at most 20 in
//                 version 1 (§17.2). A server's Initial carries the client's own source
//                 connection ID instead, which browsers leave empty (Chrome's is 0 bytes).
// and its size: a client MUST pad every datagram carrying an Initial to 1200 bytes of UDP
// payload, and a server MUST discard a smaller one (RFC 9000 §14.1), so a smaller "Initial"
// costs the server nothing and is no opening.
// The caller counts only datagrams that answer nothing of their destination's (not UDP_REPLY:
// udp-exchanges.ts), so never the server's Initials. A client sends about two a connection:
// its ClientHello, and its acknowledgment of the server's Initial when that is not coalesced
// with its Handshake (whose DCID is then the server's own, 8 bytes and more from most
// servers), and one more on each probe timeout before the server answers (RFC 9002 §6.2:
// about 1 s, doubling).

import { PAYLOAD_HEAD_BYTES, type PacketBatch } from '../../net/packet-batch.ts';

/** RFC 9000 §14.1: the smallest UDP payload a datagram carrying a client's Initial may have. */
export const QUIC_MIN_INITIAL_DATAGRAM = 1200;
/** RFC 9000 §7.2: a client's first Destination Connection ID has at least 8 bytes; §17.2: at most 20. */
const MIN_CLIENT_DCID = 8;
const MAX_DCID = 20;
const QUIC_V1 = 0x00000001;
/** RFC 9369 §3.1. */
const QUIC_V2 = 0x6b3343cf;

/** Row i's QUIC version if its payload begins a long header of version 1, 2 or a draft of 1 (0 if not). */
function longHeaderVersion(batch: PacketBatch, i: number): number {
  if (batch.headBytes(i) < 6) return 0;
  const h = batch.head;
  const o = i * PAYLOAD_HEAD_BYTES;
  if ((h[o]! & 0xc0) !== 0xc0) return 0;
  const version = ((h[o + 1]! << 24) | (h[o + 2]! << 16) | (h[o + 3]! << 8) | h[o + 4]!) >>> 0;
  return version === QUIC_V1 || version === QUIC_V2 || version >>> 8 === 0xff0000 ? version : 0;
}

/** Whether datagram i of the batch begins a QUIC long-header packet (version 1, 2 or a draft of 1). */
export function quicLongHeader(batch: PacketBatch, i: number): boolean {
  return longHeaderVersion(batch, i) !== 0;
}

/** Whether datagram i of the batch begins a QUIC client's first Initial (above). */
export function quicClientInitial(batch: PacketBatch, i: number): boolean {
  if (batch.payloadLen[i] < QUIC_MIN_INITIAL_DATAGRAM) return false;
  const version = longHeaderVersion(batch, i);
  if (version === 0) return false;
  const o = i * PAYLOAD_HEAD_BYTES;
  const type = (batch.head[o]! >> 4) & 3;
  if (type !== (version === QUIC_V2 ? 1 : 0)) return false;
  const dcid = batch.head[o + 5]!;
  return dcid >= MIN_CLIENT_DCID && dcid <= MAX_DCID;
}
