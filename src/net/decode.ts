// Decode one captured frame into one row of a PacketBatch.
//
// Hot path rules: read bytes by index (no subarray/DataView/object per packet), keep
// every field in a local and write each column exactly once at the end, and never throw:
// whatever the bytes, the row gets a status and the stats get one count.
import { DecodeStatus as S, FIRST_MALFORMED_STATUS } from './decode-stats.ts';
import type { DecodeStats } from './decode-stats.ts';
import { PacketFlags as F, PAYLOAD_HEAD_BYTES, PAYLOAD_HEAD_WORDS } from './packet-batch.ts';
import type { PacketBatch } from './packet-batch.ts';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const MAX_VLAN_TAGS = 8;
const MAX_IPV6_EXT = 16;

// Captures from other networks' link layers: IP is read under them, as Zeek and Suricata read it.
//   MPLS, 0x8847 unicast, 0x8848 multicast (RFC 3032 §2.1, RFC 5332): a provider's core, an
//     MPLS VPN's PE links. The label stack is walked to its bottom-of-stack bit; what follows
//     is not named (RFC 3032 §2.2), so it is guessed as Suricata does (decode-mpls.c): the
//     explicit nulls say it (label 0 IPv4, label 2 IPv6), else the first nibble, 4 IPv4,
//     6 IPv6, 1 a pseudowire's associated channel (RFC 4385 §3: not data); anything else an
//     Ethernet pseudowire (RFC 4448), with its control word (RFC 4448 §3: 0000 and 12
//     reserved bits, a sequence number) when the first 16 bits are 0 and the frame after it
//     has a known ethertype (a frame to 00:00:5e:00:01:xx, VRRP's MAC, begins with 0000
//     too). A pseudowire whose destination MAC begins with 4 or 6 reads as IP (RFC 8469: why
//     the control word is recommended); Suricata takes every 0 nibble for a control word and
//     reads no pseudowire without one, so a frame to 02:... (locally administered) is read 4
//     bytes off there. The nibbles: draft-ietf-mpls-1stnibble's registry.
//   PPPoE session, 0x8864 (RFC 2516 §5.5, §7): a DSL or fibre router's WAN; version and type
//     1, code 0, then the PPP protocol. Discovery, 0x8863, is not IP: counted as such.
//   PPP protocols (RFC 1661 §2): 0x0021 IPv4, 0x0057 IPv6 (RFC 5072), 0x0281/0x0283 MPLS
//     (RFC 3032 §4.2); a one-byte protocol when compressed (PFC, RFC 1661 §6.5: odd).
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_PPPOE_DISCOVERY = 0x8863;
const ETH_PPPOE_SESSION = 0x8864;
/** Label stacks and PPPoE sessions one frame may be read under (an Ethernet pseudowire's frame carrying PPPoE to a BNG: 2). */
const MAX_ENCAPSULATIONS = 4;
/** Bits of `carriedBy`: what the frame decodeFrame is decoding was read under. */
const UNDER_MPLS = 1, UNDER_PPPOE = 2;
let carriedBy = 0;

// Traffic mirrored to a sensor inside a tunnel (a cloud's mirror session, a switch's remote
// SPAN): the frame that was mirrored is decoded, not the tunnel that carried it, as Zeek and
// Suricata decode these encapsulations. Without it a sensor sees one UDP or GRE stream from
// the mirror's source (whose volume reads as a flood from it) and none of the traffic.
//   VXLAN, UDP 4789 (RFC 7348 §5, IANA): AWS VPC Traffic Mirroring, Azure virtual network TAP
//   Geneve, UDP 6081 (RFC 8926 §3.4): AWS Gateway Load Balancer, OVN; Ethernet or IP inside
//   ERSPAN in GRE (RFC 2784/2890; types I and II 0x88BE, III 0x22EB: draft-foschiano-erspan):
//   Cisco's and Arista's remote SPAN, Linux erspan links
// GRE carrying Ethernet (0x6558) or IP is left as GRE: that is a host's own tunnel, or a
// flood's shape (Mirai's greeth and greip), which the flood rules read from the outside.
// A tunnel inside a tunnel is opened once more at most; a frame whose inner frame does not
// decode whole is kept as the outer datagram it arrived as.
const VXLAN_PORT = 4789;
const GENEVE_PORT = 6081;
const GRE = 47;
const GRE_ERSPAN_II = 0x88be;
const GRE_ERSPAN_III = 0x22eb;
const ETH_TEB = 0x6558;
const MAX_TUNNEL_DEPTH = 2;
const LINK_ETHERNET = 1, LINK_IPV4 = 228, LINK_IPV6 = 229;
/** The tunnel id (VNI, ERSPAN session) udpTunnel or greErspan last found. */
let tunnelId = 0;
/** The mirror session the last decodeFrame's row came through (0: none): see tunnelSide(). */
let lastSide = 0;

/**
 * Which mirror session the frame decodeFrame last decoded came through: its outer source
 * address and tunnel id (VNI, ERSPAN session) mixed, never 0; 0 when it came in no tunnel.
 * A packet between two mirrored hosts arrives twice, once from each host's session (AWS's
 * documentation warns of it): copy-filter.ts takes this as the side of the capture it was
 * seen on. Read it right after decodeFrame (the decoder is synchronous).
 */
export function tunnelSide(): number {
  return lastSide;
}

// Address family values seen in BSD/Linux loopback headers (DLT_NULL / DLT_LOOP).
const AF_INET = 2;
const AF_INET6_LINUX = 10;
const AF_INET6_NETBSD = 24;
const AF_INET6_FREEBSD = 28;
const AF_INET6_DARWIN = 30;

const S_OK = S.ok;

// Word stores into the address columns must put bytes in network order whatever the host.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Bytes 00 00 ff ff (the v4-mapped marker) as a host-order word. */
const MAPPED_WORD = LITTLE_ENDIAN ? 0xffff0000 : 0x0000ffff;

function bswap(x: number): number {
  return ((x & 255) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** Four bytes at buf[o] as a host-order word (so storing it writes them in the same order). */
function word(buf: Uint8Array, o: number): number {
  return LITTLE_ENDIAN
    ? buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)
    : (buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
}
const S_UNSUPPORTED_END = FIRST_MALFORMED_STATUS;

/**
 * Decode the frame buf[off, off+caplen) into row `i` of `batch` and count its status in
 * `stats`. `wirelen` is the length on the wire (>= caplen unless the writer lied).
 * Returns the status code (0 = ok; see DECODE_STATUS_NAMES). Never throws.
 * Does not touch `batch.length` or `batch.iface`: the caller owns those.
 */
export function decodeFrame(
  batch: PacketBatch,
  i: number,
  buf: Uint8Array,
  off: number,
  caplen: number,
  wirelen: number,
  linkType: number,
  ts: number,
  stats: DecodeStats,
): number {
  let status: number;
  lastSide = 0;
  carriedBy = 0;
  try {
    status = decodeRow(batch, i, buf, off, caplen, wirelen, linkType, ts, 0);
  } catch {
    // Safety net for decoder bugs: the packet is counted, never lost, never thrown.
    status = S.internal_error;
    batch.status[i] = status;
    batch.flags[i] = F.MALFORMED;
  }
  stats.counts[status]++;
  // a row decoded from inside a mirror tunnel holds the inner frame's lengths
  if (batch.caplen[i] !== caplen) stats.tunnelled++;
  if (carriedBy !== 0) {
    if (carriedBy & UNDER_MPLS) stats.mpls++;
    if (carriedBy & UNDER_PPPOE) stats.pppoe++;
  }
  return status;
}

/** Where the mirrored frame starts inside a VXLAN or Geneve payload at buf[pay] (`len` bytes), and its link type packed as offset · 1024 + link; 0 when it is none. */
function udpTunnel(buf: Uint8Array, pay: number, len: number, port: number): number {
  if (port === VXLAN_PORT) {
    // flags (the I flag set: the VNI is valid), 24 reserved bits, the VNI, 8 reserved bits
    if (len < 8 + 14 || (buf[pay] & 0x08) === 0) return 0;
    tunnelId = (buf[pay + 4] << 16) | (buf[pay + 5] << 8) | buf[pay + 6];
    return (pay + 8) * 1024 + LINK_ETHERNET;
  }
  // Geneve: version 0, option length in 4-byte words, protocol type
  if (len < 8 || buf[pay] >> 6 !== 0) return 0;
  const hl = 8 + ((buf[pay] & 0x3f) << 2);
  const type = (buf[pay + 2] << 8) | buf[pay + 3];
  const link = type === ETH_TEB ? LINK_ETHERNET : type === ETH_IPV4 ? LINK_IPV4 : type === ETH_IPV6 ? LINK_IPV6 : 0;
  if (link === 0 || len < hl + (link === LINK_ETHERNET ? 14 : 20)) return 0;
  tunnelId = (buf[pay + 4] << 16) | (buf[pay + 5] << 8) | buf[pay + 6];
  return (pay + hl) * 1024 + link;
}

/** Where the mirrored Ethernet frame starts inside GRE carrying ERSPAN at buf[q] (`len` bytes), packed as udpTunnel's; 0 when it is none. */
function greErspan(buf: Uint8Array, q: number, len: number): number {
  if (len < 4) return 0;
  const f = buf[q];
  // version 0, no routing (R: RFC 1701's, obsolete)
  if ((buf[q + 1] & 7) !== 0 || (f & 0x40) !== 0) return 0;
  const type = (buf[q + 2] << 8) | buf[q + 3];
  if (type !== GRE_ERSPAN_II && type !== GRE_ERSPAN_III) return 0;
  const seq = (f & 0x10) !== 0;
  let h = 4 + (f & 0x80 ? 4 : 0) + (f & 0x20 ? 4 : 0) + (seq ? 4 : 0);
  tunnelId = 0;
  if (type === GRE_ERSPAN_II) {
    // type I has no sequence number and no ERSPAN header; type II's is 8 bytes, version 1
    if (seq) {
      if (len < h + 8 || buf[q + h] >> 4 !== 1) return 0;
      tunnelId = ((buf[q + h + 2] & 3) << 8) | buf[q + h + 3]; // the session id
      h += 8;
    }
  } else {
    // type III: 12 bytes, version 2, and 8 more when its O flag says a platform subheader follows
    if (len < h + 12 || buf[q + h] >> 4 !== 2) return 0;
    tunnelId = ((buf[q + h + 2] & 3) << 8) | buf[q + h + 3];
    h += (buf[q + h + 11] & 1) !== 0 ? 20 : 12;
  }
  if (len < h + 14) return 0;
  return (q + h) * 1024 + LINK_ETHERNET;
}

/** The tunnel's outer source address as a word: the IPv4 address, or the IPv6 one's four words folded. */
function outerSource(buf: Uint8Array, addrKind: number, src4: number, a6: number): number {
  return addrKind === 4 ? src4 : word(buf, a6) ^ word(buf, a6 + 4) ^ word(buf, a6 + 8) ^ word(buf, a6 + 12);
}

/**
 * Decodes the tunnel's inner frame (`t`: its offset and link type, packed) into row i, over
 * whatever the outer decode would write. Not S_OK: the caller goes on with the outer
 * datagram and writes every column again.
 */
function decodeInner(b: PacketBatch, i: number, buf: Uint8Array, t: number, end: number, wireEnd: number, ts: number, depth: number, outer: number): number {
  const q = Math.floor(t / 1024);
  const side = Math.imul(outer ^ tunnelId, 0x9e3779b1) | 1;
  const under = carriedBy;
  const status = decodeRow(b, i, buf, q, end - q, wireEnd - q, t % 1024, ts, depth + 1);
  // the outermost tunnel names the session (an inner one's side was set first, and is replaced)
  if (status === S_OK) lastSide = side;
  else carriedBy = under; // the datagram is kept as it came: what the inner frame was under is not its
  return status;
}

/** The ethertype a PPP protocol number carries (RFC 1661 §2; above), 0 when none we read. */
function pppEtherType(proto: number): number {
  return proto === 0x0021 ? ETH_IPV4 : proto === 0x0057 ? ETH_IPV6 : proto === 0x0281 ? ETH_MPLS : proto === 0x0283 ? ETH_MPLS_MC : 0;
}

/**
 * The PPP protocol field at buf[p] (2 bytes, or 1 compressed: odd) as the ethertype it
 * carries · 4 + its length; 0 when the frame ends first.
 */
function pppProtocol(buf: Uint8Array, p: number, end: number): number {
  if (end - p < 1) return 0;
  const first = buf[p];
  if ((first & 1) !== 0) return pppEtherType(first) * 4 + 1;
  if (end - p < 2) return 0;
  return pppEtherType((first << 8) | buf[p + 1]) * 4 + 2;
}

/** An ethertype an Ethernet pseudowire's frame is expected to carry: IP, ARP, VLAN tags, MPLS, PPPoE. */
function knownEtherType(t: number): boolean {
  return t === ETH_IPV4 || t === ETH_IPV6 || t === ETH_ARP || t === 0x8100 || t === 0x88a8 || t === 0x9100 || t === 0x9200 ||
    t === ETH_MPLS || t === ETH_MPLS_MC || t === ETH_PPPOE_SESSION || t === ETH_PPPOE_DISCOVERY;
}

function decodeRow(
  b: PacketBatch,
  i: number,
  buf: Uint8Array,
  off: number,
  caplen: number,
  wirelen: number,
  linkType: number,
  ts: number,
  depth = 0,
): number {
  // Bounds every read below: a frame past the buffer end is read as truncated.
  if (!(off >= 0)) off = 0;
  let end = off + (caplen > 0 ? caplen : 0);
  if (end > buf.length) end = buf.length;
  if (end < off) end = off;
  const wireEnd = off + (wirelen > caplen ? wirelen : caplen);

  let status = S_OK;
  let flags = 0;
  let etherType = 0;
  let vlanId = 0;
  let innerVlanId = 0;
  let ipVersion = 0;
  let protocol = 0;
  let ttl = 0;
  let ipLen = 0;
  let fragOffset = 0;
  let payloadLen = 0;
  let srcPort = 0;
  let dstPort = 0;
  let tcpFlags = 0;
  let tcpWindow = 0;
  let tcpSeq = 0;
  let tcpAck = 0;
  let tcpMss = 0;
  let tcpWscale = 0;
  let icmpType = 0;
  let icmpCode = 0;
  let arpOp = 0;
  let src4 = 0;
  let dst4 = 0;
  // 0: no address, 4: src4/dst4, 6: 16 bytes at buf[a6]/buf[a6 + 16].
  let addrKind = 0;
  let a6 = 0;
  // Where the TCP/UDP payload starts in buf (0: none), for the `head` column.
  let pay = 0;

  if (wirelen > caplen) flags |= F.SNAPPED;

  decode: {
    let p = off;
    // where the Ethernet header whose destination an ARP frame was sent to begins (-1: none):
    // the frame's own, or the one an MPLS pseudowire carries
    let eth = linkType === 1 ? off : -1;

    // ---- link layer: find the ethertype and where L3 starts
    switch (linkType) {
      case 1: // Ethernet
        flags |= F.ETHERNET;
        if (end - p < 14) { status = S.truncated_ethernet; break decode; }
        etherType = (buf[p + 12] << 8) | buf[p + 13];
        p += 14;
        break;
      case 113: // Linux cooked v1: protocol is the last 2 of 16 bytes
        flags |= F.COOKED;
        if (end - p < 16) { status = S.truncated_sll; break decode; }
        etherType = (buf[p + 14] << 8) | buf[p + 15];
        p += 16;
        break;
      case 276: // Linux cooked v2: protocol is the first 2 of 20 bytes
        flags |= F.COOKED;
        if (end - p < 20) { status = S.truncated_sll2; break decode; }
        etherType = (buf[p] << 8) | buf[p + 1];
        p += 20;
        break;
      case 0: // BSD loopback, family in the writer's byte order
      case 108: { // OpenBSD loopback, family big-endian
        if (end - p < 4) { status = S.truncated_null; break decode; }
        let fam = ((buf[p + 3] << 24) | (buf[p + 2] << 16) | (buf[p + 1] << 8) | buf[p]) >>> 0;
        // A small family number in the high half means it was written big-endian.
        if (linkType === 108 || (fam & 0xffff0000) !== 0) {
          fam = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
        }
        p += 4;
        if (fam === AF_INET) etherType = ETH_IPV4;
        else if (fam === AF_INET6_LINUX || fam === AF_INET6_NETBSD || fam === AF_INET6_FREEBSD || fam === AF_INET6_DARWIN) etherType = ETH_IPV6;
        else { status = S.unsupported_family; break decode; }
        break;
      }
      case 101: // raw IP: the version nibble says which
      case 12:
      case 14: {
        if (end - p < 1) { status = S.truncated_ipv4; break decode; }
        const v = buf[p] >> 4;
        if (v === 4) etherType = ETH_IPV4;
        else if (v === 6) etherType = ETH_IPV6;
        else { status = S.bad_ip_version; break decode; }
        break;
      }
      case 9: // PPP (RFC 1661), after the HDLC-like address and control (ff 03) when present (RFC 1662 §3.1)
      case 50: // PPP in HDLC-like framing (RFC 1662), or Cisco HDLC when its first byte says so (tcpdump's link types)
      case 104: { // Cisco HDLC: address 0x0f unicast or 0x8f broadcast, control 0, an ethertype
        if (end - p < 2) { status = linkType === 104 ? S.truncated_hdlc : S.truncated_ppp; break decode; }
        const a = buf[p];
        if (linkType !== 9 && (a === 0x0f || a === 0x8f)) {
          if (end - p < 4) { status = S.truncated_hdlc; break decode; }
          etherType = (buf[p + 2] << 8) | buf[p + 3];
          p += 4;
          break;
        }
        if (linkType === 104) { status = end - p < 4 ? S.truncated_hdlc : S.bad_hdlc_address; break decode; }
        if (a === 0xff && buf[p + 1] === 0x03) p += 2;
        const pp = pppProtocol(buf, p, end);
        if (pp === 0) { status = S.truncated_ppp; break decode; }
        etherType = pp >> 2;
        if (etherType === 0) { status = S.unsupported_ppp_protocol; break decode; }
        p += pp & 3;
        break;
      }
      case 239: { // NFLOG (`tcpdump -i nflog:N`; tcpdump's LINKTYPE_NFLOG, Zeek's NFLog analyzer)
        // family, version 0, resource id; then TLVs (length with its header, type), each padded
        // to 4 bytes, in the writer's byte order: little-endian from x86, told apart as the
        // loopback family is (the NFULA_ types are small; the top 2 bits are netlink's flags).
        // NFULA_PAYLOAD (9) is the IP packet.
        if (end - p < 4) { status = S.truncated_nflog; break decode; }
        const fam = buf[p];
        let q = p + 4;
        for (;;) {
          if (end - q < 4) { status = S.truncated_nflog; break decode; }
          let tl = buf[q] | (buf[q + 1] << 8);
          let tt = (buf[q + 2] | (buf[q + 3] << 8)) & 0x3fff;
          if (tt > 0xff) {
            tl = (buf[q] << 8) | buf[q + 1];
            tt = ((buf[q + 2] << 8) | buf[q + 3]) & 0x3fff;
          }
          if (tl < 4) { status = S.bad_nflog_tlv; break decode; }
          if (tt === 9) break;
          q += (tl + 3) & ~3;
        }
        p = q + 4;
        if (fam === AF_INET) etherType = ETH_IPV4;
        else if (fam === AF_INET6_LINUX) etherType = ETH_IPV6;
        else { status = S.unsupported_family; break decode; }
        break;
      }
      case 228:
        etherType = ETH_IPV4;
        break;
      case 229:
        etherType = ETH_IPV6;
        break;
      default:
        status = S.unknown_linktype;
        break decode;
    }

    // ---- between the link and IP: 802.1Q / 802.1ad / old QinQ tags, MPLS label stacks,
    // PPPoE sessions (above); an Ethernet pseudowire's frame brings its own tags
    if (etherType !== ETH_IPV4 && etherType !== ETH_IPV6) {
      let tags = 0;
      for (let layers = 0; ; layers++) {
        while (etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100 || etherType === 0x9200) {
          if (end - p < 4) { status = S.truncated_vlan; break decode; }
          if (tags === MAX_VLAN_TAGS) { status = S.too_many_vlan_tags; break decode; }
          const tci = ((buf[p] << 8) | buf[p + 1]) & 0x0fff;
          if (tags === 0) vlanId = tci;
          else if (tags === 1) innerVlanId = tci;
          tags++;
          etherType = (buf[p + 2] << 8) | buf[p + 3];
          p += 4;
        }
        if (etherType !== ETH_MPLS && etherType !== ETH_MPLS_MC && etherType !== ETH_PPPOE_SESSION) break;
        if (layers === MAX_ENCAPSULATIONS) { status = S.too_many_encapsulations; break decode; }
        if (etherType === ETH_PPPOE_SESSION) {
          // version 1, type 1, code 0 (session data), session id, length, PPP protocol
          carriedBy |= UNDER_PPPOE;
          if (end - p < 6) { status = S.truncated_pppoe; break decode; }
          if (buf[p] !== 0x11 || buf[p + 1] !== 0) { status = S.bad_pppoe_header; break decode; }
          const pp = pppProtocol(buf, p + 6, end);
          if (pp === 0) { status = S.truncated_pppoe; break decode; }
          etherType = pp >> 2;
          if (etherType === 0) { status = S.unsupported_ppp_protocol; break decode; }
          p += 6 + (pp & 3);
          continue;
        }
        // the label stack, to the entry with the bottom-of-stack bit
        carriedBy |= UNDER_MPLS;
        let label: number;
        do {
          if (end - p < 4) { status = S.truncated_mpls; break decode; }
          label = (buf[p] << 12) | (buf[p + 1] << 4) | (buf[p + 2] >> 4);
          p += 4;
        } while ((buf[p - 2] & 1) === 0);
        if (end - p < 1) { status = S.truncated_mpls; break decode; }
        const nibble = buf[p] >> 4;
        if (label === 0 || (label !== 2 && nibble === 4)) { etherType = ETH_IPV4; break; }
        if (label === 2 || nibble === 6) { etherType = ETH_IPV6; break; }
        if (nibble === 1) { status = S.unsupported_mpls_payload; break decode; }
        // an Ethernet pseudowire: its control word if there is one, the frame, its tags
        if (end - p >= 4 + 14 && buf[p] === 0 && buf[p + 1] === 0 && knownEtherType((buf[p + 16] << 8) | buf[p + 17])) p += 4;
        if (end - p < 14) { status = S.truncated_mpls; break decode; }
        eth = p;
        etherType = (buf[p + 12] << 8) | buf[p + 13];
        p += 14;
      }
      if (tags > 0) flags |= tags > 1 ? F.VLAN | F.QINQ : F.VLAN;
    }

    // ---- L3
    let l4 = 0; // offset of the L4 header
    let l4Len = 0; // L4 bytes per the IP length fields
    let fragmented = false;
    if (etherType === ETH_IPV4) {
      flags |= F.IPV4;
      ipVersion = 4;
      const avail = end - p;
      if (avail < 20) { status = S.truncated_ipv4; break decode; }
      const vihl = buf[p];
      if (vihl >> 4 !== 4) { status = S.bad_ipv4_version; break decode; }
      ttl = buf[p + 8];
      protocol = buf[p + 9];
      src4 = ((buf[p + 12] << 24) | (buf[p + 13] << 16) | (buf[p + 14] << 8) | buf[p + 15]) >>> 0;
      dst4 = ((buf[p + 16] << 24) | (buf[p + 17] << 16) | (buf[p + 18] << 8) | buf[p + 19]) >>> 0;
      addrKind = 4;
      const hl = (vihl & 15) << 2;
      if (hl < 20) { status = S.bad_ipv4_header_length; break decode; }
      if (hl > 20) flags |= F.IP_OPTIONS;
      const wireAvail = wireEnd - p;
      let total = (buf[p + 2] << 8) | buf[p + 3];
      // 0 is what a capture taken before TCP segmentation offload shows: use the wire length.
      if (total === 0) total = wireAvail > 65535 ? 65535 : wireAvail;
      ipLen = total;
      if (hl > total) { status = S.bad_ipv4_header_length; break decode; }
      if (total > wireAvail) { status = S.bad_ipv4_total_length; break decode; }
      if (hl > avail) { status = S.truncated_ipv4; break decode; }
      const fo = (buf[p + 6] << 8) | buf[p + 7];
      if (fo & 0x4000) flags |= F.DONT_FRAGMENT;
      fragOffset = (fo & 0x1fff) << 3;
      l4 = p + hl;
      l4Len = total - hl;
      if (fragOffset !== 0 || (fo & 0x2000) !== 0) {
        fragmented = true;
        flags |= fo & 0x2000 ? F.FRAGMENT | F.MORE_FRAGMENTS : F.FRAGMENT;
        // A reassembled datagram past 65535 bytes is the "ping of death" shape.
        if (fragOffset + l4Len > 65535) { status = S.bad_ipv4_fragment; break decode; }
        if (fragOffset !== 0) { payloadLen = l4Len; break decode; }
      }
    } else if (etherType === ETH_IPV6) {
      flags |= F.IPV6;
      ipVersion = 6;
      if (end - p < 40) { status = S.truncated_ipv6; break decode; }
      if (buf[p] >> 4 !== 6) { status = S.bad_ipv6_version; break decode; }
      let plen = (buf[p + 4] << 8) | buf[p + 5];
      let nh = buf[p + 6];
      ttl = buf[p + 7];
      a6 = p + 8;
      addrKind = 6;
      const wireAvail = wireEnd - p - 40;
      // 0 with data behind it: a jumbogram or a pre-offload capture; trust the wire length.
      if (plen === 0 && wireAvail > 0) plen = wireAvail;
      ipLen = 40 + plen;
      if (plen > wireAvail) { status = S.bad_ipv6_payload_length; break decode; }
      let q = p + 40;
      const ipEnd = q + plen;
      for (let n = 0; ; n++) {
        let hlen: number;
        if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140) {
          // hop-by-hop, routing, destination options, mobility, HIP, shim6: (len + 1) * 8
          if (q + 2 > ipEnd) { status = S.bad_ipv6_ext_length; break decode; }
          if (q + 2 > end) { status = S.truncated_ipv6_ext; break decode; }
          hlen = (buf[q + 1] + 1) << 3;
        } else if (nh === 51) {
          // AH: (len + 2) * 4
          if (q + 2 > ipEnd) { status = S.bad_ipv6_ext_length; break decode; }
          if (q + 2 > end) { status = S.truncated_ipv6_ext; break decode; }
          hlen = (buf[q + 1] + 2) << 2;
        } else if (nh === 44) {
          if (q + 8 > ipEnd) { status = S.bad_ipv6_ext_length; break decode; }
          if (q + 8 > end) { status = S.truncated_ipv6_ext; break decode; }
          hlen = 8;
          const fo = (buf[q + 2] << 8) | buf[q + 3];
          fragOffset = fo & 0xfff8;
          fragmented = true;
          flags |= fo & 1 ? F.FRAGMENT | F.MORE_FRAGMENTS : F.FRAGMENT;
        } else {
          break;
        }
        if (n === MAX_IPV6_EXT) { status = S.too_many_ipv6_ext; break decode; }
        flags |= F.IPV6_EXT;
        if (q + hlen > ipEnd) { status = S.bad_ipv6_ext_length; break decode; }
        nh = buf[q];
        q += hlen;
        if (fragOffset !== 0) {
          // Later fragment: what follows is payload, not an L4 header.
          protocol = nh;
          payloadLen = ipEnd - q;
          break decode;
        }
      }
      protocol = nh;
      l4 = q;
      l4Len = ipEnd - q;
    } else if (etherType === ETH_ARP) {
      flags |= F.ARP;
      if (end - p < 8) { status = S.truncated_arp; break decode; }
      const hlen = buf[p + 4];
      const plen = buf[p + 5];
      arpOp = (buf[p + 6] << 8) | buf[p + 7];
      if (eth >= 0) {
        if ((buf[eth] & buf[eth + 1] & buf[eth + 2] & buf[eth + 3] & buf[eth + 4] & buf[eth + 5]) === 0xff) flags |= F.ARP_BROADCAST;
      } else {
        // cooked: SLL's packet type is its first 2 bytes, SLL2's its 11th. Broadcast (1) or
        // multicast (2); not outgoing (4), which says nothing of the destination: the capturing
        // host's own unicast revalidations, and a guest's forwarded out of a bridge, are type 4
        // (a guest's broadcasts show as 1 on the interface they came in by; the host's own
        // address is never banned).
        const type = linkType === 113 ? (buf[off] << 8) | buf[off + 1] : linkType === 276 ? buf[off + 10] : 0;
        if (type === 1 || type === 2) flags |= F.ARP_BROADCAST;
      }
      if (((buf[p + 2] << 8) | buf[p + 3]) !== ETH_IPV4 || plen !== 4) { status = S.unsupported_arp; break decode; }
      if (end - p < 16 + 2 * hlen) { status = S.truncated_arp; break decode; }
      const sp = p + 8 + hlen;
      const tp = sp + 4 + hlen;
      src4 = ((buf[sp] << 24) | (buf[sp + 1] << 16) | (buf[sp + 2] << 8) | buf[sp + 3]) >>> 0;
      dst4 = ((buf[tp] << 24) | (buf[tp + 1] << 16) | (buf[tp + 2] << 8) | buf[tp + 3]) >>> 0;
      addrKind = 4;
      break decode;
    } else {
      status = etherType === ETH_PPPOE_DISCOVERY ? S.pppoe_discovery : S.unsupported_ethertype;
      break decode;
    }

    // ---- L4 (first fragment or unfragmented)
    let cap = end - l4; // L4 bytes actually captured
    if (cap > l4Len) cap = l4Len;
    switch (protocol) {
      case 6: {
        flags |= F.TCP;
        if (l4Len < 20) {
          if (fragmented) flags |= F.TINY_FRAGMENT; // a first fragment (later ones broke off above)
          status = S.bad_tcp_header_length;
          break decode;
        }
        if (cap < 20) { status = S.truncated_tcp; break decode; }
        srcPort = (buf[l4] << 8) | buf[l4 + 1];
        dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
        const doff = (buf[l4 + 12] >> 4) << 2;
        tcpFlags = ((buf[l4 + 12] & 1) << 8) | buf[l4 + 13];
        tcpSeq = ((buf[l4 + 4] << 24) | (buf[l4 + 5] << 16) | (buf[l4 + 6] << 8) | buf[l4 + 7]) >>> 0;
        tcpAck = ((buf[l4 + 8] << 24) | (buf[l4 + 9] << 16) | (buf[l4 + 10] << 8) | buf[l4 + 11]) >>> 0;
        tcpWindow = (buf[l4 + 14] << 8) | buf[l4 + 15];
        if (doff < 20 || doff > l4Len) { status = S.bad_tcp_header_length; break decode; }
        payloadLen = l4Len - doff;
        pay = l4 + doff;
        if (doff > 20) {
          // Options the snap length cut off (tcpdump -s 96 behind a long IP header) are
          // unknown, not wrong: those captured whole are read, the header's fixed part stands.
          if (cap < doff && !(flags & F.SNAPPED)) { status = S.truncated_tcp; break decode; }
          let o = l4 + 20;
          const oe = l4 + doff;
          const ce = cap < doff ? l4 + cap : oe;
          while (o < ce) {
            const kind = buf[o];
            if (kind === 0) break; // end of option list
            if (kind === 1) { o++; continue; } // NOP
            if (o + 1 >= ce) { if (ce < oe) break; status = S.bad_tcp_options; break decode; }
            const len = buf[o + 1];
            if (len < 2 || o + len > oe) { status = S.bad_tcp_options; break decode; }
            if (o + len > ce) break; // cut by the snap length
            if (kind === 2) {
              if (len !== 4) { status = S.bad_tcp_options; break decode; }
              tcpMss = (buf[o + 2] << 8) | buf[o + 3];
              flags |= F.TCP_MSS;
            } else if (kind === 3) {
              if (len !== 3) { status = S.bad_tcp_options; break decode; }
              tcpWscale = buf[o + 2];
              flags |= F.TCP_WSCALE;
            } else if (kind === 4) {
              if (len !== 2) { status = S.bad_tcp_options; break decode; }
              flags |= F.TCP_SACK_PERMITTED;
            } else if (kind === 8) {
              if (len !== 10) { status = S.bad_tcp_options; break decode; }
              flags |= F.TCP_TIMESTAMPS;
            }
            o += len;
          }
        }
        break;
      }
      case 17: {
        flags |= F.UDP;
        if (l4Len < 8) { status = S.bad_udp_length; break decode; }
        if (cap < 8) { status = S.truncated_udp; break decode; }
        srcPort = (buf[l4] << 8) | buf[l4 + 1];
        dstPort = (buf[l4 + 2] << 8) | buf[l4 + 3];
        const ulen = (buf[l4 + 4] << 8) | buf[l4 + 5];
        if (fragmented) {
          // The UDP length covers the whole datagram; this fragment holds only part of it.
          payloadLen = l4Len - 8;
        } else if (ulen === 0 && ipVersion === 6 && l4Len > 65535) {
          payloadLen = l4Len - 8; // jumbogram: RFC 2675 sets the UDP length to 0
        } else {
          if (ulen < 8 || ulen > l4Len) { status = S.bad_udp_length; break decode; }
          payloadLen = ulen - 8;
        }
        pay = l4 + 8;
        if ((dstPort === VXLAN_PORT || dstPort === GENEVE_PORT) && !fragmented && depth < MAX_TUNNEL_DEPTH) {
          const t = udpTunnel(buf, pay, cap - 8, dstPort);
          if (t !== 0 && decodeInner(b, i, buf, t, end, wireEnd, ts, depth, outerSource(buf, addrKind, src4, a6)) === S_OK) return S_OK;
        }
        break;
      }
      case 1:
      case 58: {
        // ICMP and ICMPv6 share their first 8 bytes: type, code, checksum, rest of header.
        const v6 = protocol === 58;
        flags |= v6 ? F.ICMPV6 : F.ICMP;
        if (l4Len < 8) { status = v6 ? S.bad_icmpv6_length : S.bad_icmp_length; break decode; }
        if (cap < 4) { status = v6 ? S.truncated_icmpv6 : S.truncated_icmp; break decode; }
        icmpType = buf[l4];
        icmpCode = buf[l4 + 1];
        payloadLen = l4Len - 8;
        break;
      }
      case 132:
        // SCTP (RFC 9260): no columns of its own; its 12-byte common header (ports,
        // verification tag, checksum) and the first chunk's header go to `head`
        payloadLen = l4Len;
        pay = l4;
        break;
      default:
        // GRE, ESP, tunnels...: the IP fields are all we keep.
        payloadLen = l4Len;
        if (protocol === GRE && !fragmented && depth < MAX_TUNNEL_DEPTH) {
          const t = greErspan(buf, l4, cap);
          if (t !== 0 && decodeInner(b, i, buf, t, end, wireEnd, ts, depth, outerSource(buf, addrKind, src4, a6)) === S_OK) return S_OK;
        }
    }
  }

  if (status !== S_OK) flags |= status < S_UNSUPPORTED_END ? F.UNSUPPORTED : F.MALFORMED;

  b.ts[i] = ts;
  b.caplen[i] = caplen;
  b.wirelen[i] = wirelen;
  b.linkType[i] = linkType;
  b.status[i] = status;
  b.flags[i] = flags;
  b.etherType[i] = etherType;
  b.vlanId[i] = vlanId;
  b.innerVlanId[i] = innerVlanId;
  b.ipVersion[i] = ipVersion;
  b.protocol[i] = protocol;
  b.ttl[i] = ttl;
  b.ipLen[i] = ipLen;
  b.fragOffset[i] = fragOffset;
  b.payloadLen[i] = payloadLen;
  b.srcPort[i] = srcPort;
  b.dstPort[i] = dstPort;
  b.tcpFlags[i] = tcpFlags;
  b.tcpSeq[i] = tcpSeq;
  b.tcpAck[i] = tcpAck;
  b.tcpWindow[i] = tcpWindow;
  b.tcpMss[i] = tcpMss;
  b.tcpWscale[i] = tcpWscale;
  b.icmpType[i] = icmpType;
  b.icmpCode[i] = icmpCode;
  b.arpOp[i] = arpOp;
  b.src4[i] = src4;
  b.dst4[i] = dst4;
  // The first payload bytes as captured, zero-filled.
  const hw = b.headWords;
  const hr = i * PAYLOAD_HEAD_WORDS;
  for (let k = 0; k < PAYLOAD_HEAD_WORDS; k++) hw[hr + k] = 0;
  if (pay > 0 && payloadLen > 0) {
    let m = end - pay;
    if (m > payloadLen) m = payloadLen;
    if (m > PAYLOAD_HEAD_BYTES) m = PAYLOAD_HEAD_BYTES;
    const h = b.head;
    const ho = i * PAYLOAD_HEAD_BYTES;
    for (let k = 0; k < m; k++) h[ho + k] = buf[pay + k];
  }
  // Addresses go in as 32-bit words (4 stores per address instead of 16).
  const r = i << 2;
  const sw = b.srcWords;
  const dw = b.dstWords;
  if (addrKind === 6) {
    sw[r] = word(buf, a6);
    sw[r + 1] = word(buf, a6 + 4);
    sw[r + 2] = word(buf, a6 + 8);
    sw[r + 3] = word(buf, a6 + 12);
    dw[r] = word(buf, a6 + 16);
    dw[r + 1] = word(buf, a6 + 20);
    dw[r + 2] = word(buf, a6 + 24);
    dw[r + 3] = word(buf, a6 + 28);
  } else {
    const m = addrKind === 4 ? MAPPED_WORD : 0;
    sw[r] = 0;
    sw[r + 1] = 0;
    sw[r + 2] = m;
    sw[r + 3] = LITTLE_ENDIAN ? bswap(src4) : src4;
    dw[r] = 0;
    dw[r + 1] = 0;
    dw[r + 2] = m;
    dw[r + 3] = LITTLE_ENDIAN ? bswap(dst4) : dst4;
  }
  return status;
}
