// Scan probes recognisable from one packet's headers: flag combinations no ordinary TCP/IP
// stack sends, and the fixed fingerprints of scanner-built packets. The ideas are those of
// the Emerging Threats / GPL SCAN rules for Suricata and Snort (names and sids cited per
// case); the batch has no payload bytes, so only header tests are possible here.
// A connect probe (a handshake completed and reset with no data) needs the socket's
// history and is recognised in source-rules.ts; its kind is listed here with the others.

import { PacketFlags } from '../../net/packet-batch.ts';

export const ProbeKind = {
  NONE: 0,
  /** No flag at all. GPL SCAN NULL (sid 2100623: flags:0; ack:0). */
  NULL: 1,
  /** FIN without ACK (nmap -sF). GPL SCAN FIN (sid 2100621: flags:F,12). */
  FIN: 2,
  /** FIN+PSH+URG without ACK (nmap -sX, OS probe T7). GPL SCAN nmap XMAS (sid 2101228: flags:FPU,12). */
  XMAS: 3,
  /** SYN+FIN, with or without more (OS probe T3 is SYN+FIN+PSH+URG). GPL SCAN SYN FIN (sid 2100624), GPL SCAN nmap fingerprint attempt (sid 2100629: flags:SFPU). */
  SYN_FIN: 4,
  /** SYN+RST: opening and refusing at once; no stack sends it. */
  SYN_RST: 5,
  /** Another combination without ACK that is neither a SYN nor a RST (PSH or URG alone...). */
  NO_ACK: 6,
  /**
   * nmap's raw SYN (-sS, also its host discovery -PS): window 1024/2048/3072/4096, no
   * payload, DF clear (ET SCAN NMAP -sS window 1024, sid 2009582: fragbits:!D; dsize:0;
   * flags:S,12; ack:0; window:1024, and its 2048/3072/4096 siblings), and, narrower than ET,
   * the MSS option alone, as nmap builds it: real stacks also offer SACK, timestamps or
   * window scaling.
   */
  NMAP_SYN: 7,
  /**
   * A SYN offering a window no real stack offers (nmap OS detection SEQ/ECN probes use
   * windows 1, 3, 4, 16, 63). Not window 0: that is what SYN flood tools send (D12), from
   * spoofed addresses that must not be blamed; floods are the victim rules' business.
   */
  OS_PROBE_SYN: 8,
  /** Handshake completed, then reset by the client with no data (nmap -sT, nmap's unprivileged host discovery): Zeek's RSTO with no originator bytes. */
  CONNECT_ABORT: 9,
  /** Echo request with no payload (nmap -PE host discovery). GPL ICMP PING NMAP (sid 2100469: dsize:0; itype:8). */
  ICMP_EMPTY_ECHO: 10,
  /** Echo request with a non-zero code (nmap OS detection IE probe uses code 9). */
  ICMP_ECHO_CODE: 11,
  /** Timestamp, information or address-mask request (nmap -PP / -PM; obsolete everywhere else). */
  ICMP_OLD_REQUEST: 12,
  /**
   * nmap's raw probes with ACK set: the ACK (-sA), window (-sW) and Maimon (FIN+ACK, -sM)
   * scans and the ACK host discovery (-PA). nmap puts its probe number in the ACK field
   * and leaves the sequence number 0 (scan_engine_raw.cc: `if (flags & TH_ACK) ack =
   * seq32_encode(...)`, and build_tcp only randomises the sequence of a SYN), sends no
   * options and leaves DF clear. ET SCAN NMAP -sA (sids 2000537, 2000538) matches the same
   * probe by its window. A real stack's segments carry a sequence number from a random
   * ISN (RFC 6528), and the common stacks set DF on TCP for path MTU discovery (RFC
   * 1191): a pure ACK at sequence 0, with no options and DF clear, is a hand-built packet.
   */
  NMAP_ACK: 13,
  /**
   * A first fragment of TCP too short to hold the TCP header (PacketFlags.TINY_FRAGMENT): RFC
   * 1858's tiny fragment attack, nmap -f and --mtu. Snort's frag3 and Suricata's defrag raise
   * a decoder event on it; firewalls drop it (RFC 3128).
   */
  TINY_FRAGMENT: 14,
} as const;

export const PROBE_NAMES = [
  'none', 'null', 'fin', 'xmas', 'syn-fin', 'syn-rst', 'no-ack', 'nmap-syn', 'os-probe-syn', 'connect-abort',
  'icmp-empty-echo', 'icmp-echo-code', 'icmp-old-request', 'nmap-ack', 'tiny-fragment',
] as const;

const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;
const OPTION_FLAGS = PacketFlags.TCP_MSS | PacketFlags.TCP_WSCALE | PacketFlags.TCP_SACK_PERMITTED | PacketFlags.TCP_TIMESTAMPS;

/**
 * The probe kind of a TCP packet, or NONE. `nmapWindows` is a 65536-entry lookup (1 where
 * the window is one of nmap's), built once from the configuration.
 */
export function tcpProbeKind(
  tcpFlags: number,
  window: number,
  rowFlags: number,
  payloadLen: number,
  nmapWindows: Uint8Array,
  osProbeMaxSynWindow: number,
  seq: number,
): number {
  const f = tcpFlags & 0x3f; // ECE/CWR/AE are ECN negotiation, not part of these tests
  if (f === 0) return ProbeKind.NULL;
  if ((f & (SYN | FIN)) === (SYN | FIN)) return ProbeKind.SYN_FIN;
  if ((f & (SYN | RST)) === (SYN | RST)) return ProbeKind.SYN_RST;
  if (f & ACK) {
    if (
      seq === 0 &&
      (f & (SYN | RST)) === 0 &&
      payloadLen === 0 &&
      (rowFlags & (PacketFlags.DONT_FRAGMENT | OPTION_FLAGS)) === 0
    ) return ProbeKind.NMAP_ACK;
    return ProbeKind.NONE;
  }
  if (f === SYN) {
    if (window !== 0 && window <= osProbeMaxSynWindow) return ProbeKind.OS_PROBE_SYN;
    if (
      nmapWindows[window] === 1 &&
      payloadLen === 0 &&
      (rowFlags & PacketFlags.DONT_FRAGMENT) === 0 &&
      (rowFlags & OPTION_FLAGS) === PacketFlags.TCP_MSS
    ) return ProbeKind.NMAP_SYN;
    return ProbeKind.NONE;
  }
  if (f === RST) return ProbeKind.NONE;
  if ((f & (FIN | PSH | URG)) === (FIN | PSH | URG)) return ProbeKind.XMAS;
  if (f & FIN) return ProbeKind.FIN;
  return ProbeKind.NO_ACK;
}

/** The probe kind of an ICMP/ICMPv6 packet, or NONE. */
export function icmpProbeKind(v6: boolean, type: number, code: number, payloadLen: number): number {
  if (type === (v6 ? 128 : 8)) {
    if (code !== 0) return ProbeKind.ICMP_ECHO_CODE;
    if (payloadLen === 0) return ProbeKind.ICMP_EMPTY_ECHO;
    return ProbeKind.NONE;
  }
  if (!v6 && (type === 13 || type === 15 || type === 17)) return ProbeKind.ICMP_OLD_REQUEST;
  return ProbeKind.NONE;
}
