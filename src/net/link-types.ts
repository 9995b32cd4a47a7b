// LINKTYPE_* values as they appear in .pcap headers and pcapng interface blocks
// (https://www.tcpdump.org/linktypes.html).
export const LinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** PPP (RFC 1661), with or without the HDLC-like address and control bytes ff 03. */
  PPP: 9,
  /** DLT_RAW on most platforms when written by old libpcaps. */
  RAW_12: 12,
  /** DLT_RAW on OpenBSD. */
  RAW_14: 14,
  /** PPP in HDLC-like framing (RFC 1662), or Cisco HDLC framing (first byte 0x0f or 0x8f). */
  PPP_HDLC: 50,
  RAW: 101,
  /** Cisco HDLC: address, control, then an ethertype. */
  C_HDLC: 104,
  /** OpenBSD loopback: address family in network byte order. */
  LOOP: 108,
  LINUX_SLL: 113,
  /** Linux netfilter's NFLOG (`tcpdump -i nflog:N`): a header, then TLVs; type 9 is the IP packet. */
  NFLOG: 239,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LinkType.NULL:
    case LinkType.ETHERNET:
    case LinkType.PPP:
    case LinkType.PPP_HDLC:
    case LinkType.C_HDLC:
    case LinkType.NFLOG:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.RAW:
    case LinkType.LOOP:
    case LinkType.LINUX_SLL:
    case LinkType.IPV4:
    case LinkType.IPV6:
    case LinkType.LINUX_SLL2:
      return true;
    default:
      return false;
  }
}
