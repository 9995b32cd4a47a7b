// What a UDP datagram's two ports say about which end sent it: a client's socket, or a
// service's. The udp-amplification victim rule counts a large datagram as an answer its
// destination may never have asked for; a reflected answer comes FROM the port the abused
// service listens on (DNS 53, NTP 123, SNMP 161, CLDAP 389, SSDP 1900, WS-Discovery 3702,
// memcached 11211, chargen 19...) TO whatever source port the forged request carried. A
// one-way sender (syslog, NetFlow/IPFIX/sFlow export, SNMP traps, GELF, statsd) sends FROM
// its own socket, an ephemeral port its stack picked, TO the port the collector listens on.
//
// Ephemeral ports: RFC 6335 §6 leaves 49152-65535 (Dynamic Ports) unassigned, for stacks
// to pick from (Windows since Vista, macOS); Linux picks from 32768-60999
// (net.ipv4.ip_local_port_range). So a datagram from a port at or above `clientPortMin`
// (32768 by default) to a collector's port (`reportPorts`: syslog, SNMP traps, flow export,
// GELF, statsd) comes from a sender's socket and is no amplifier's answer, unless its source
// port is one a known amplifier listens on up there (HIGH_AMPLIFIER_PORTS). Every other
// datagram stays counted, as before: from a high port to any other port (a peer's answer,
// BitTorrent's and Kad's from random high ports, or an amplifier not on the list answering
// a forged port) and from a low port.

/**
 * Amplifying services that listen at or above 32768, each seen abused for reflection:
 * Plex Media Server's GDM/SSDP responder (32410, 32414; NETSCOUT ASERT, February 2021),
 * Jenkins' auto-discovery (33848; CVE-2020-2100), Dahua DVRs' DHDiscover (37810; NETSCOUT
 * 2019, Shadowserver's open-DVR scan), Crestron's CIP discovery (41794; NETSCOUT 2019) and
 * BACnet/IP (47808, 0xBAC0; Shadowserver's accessible-BACnet report names its amplification,
 * and StopDDoS's packet-captures hold a BACnet reflection).
 */
export const HIGH_AMPLIFIER_PORTS: readonly number[] = [32410, 32414, 33848, 37810, 41794, 47808];

/**
 * The destination ports of traceroute's UDP probes. Van Jacobson's traceroute (Linux's, the
 * BSDs') starts at 33434, IANA's "traceroute" port, and adds one a probe: 3 a hop over at most
 * 30 hops by default, up to 16 in flight at once (Linux traceroute -N); iputils' tracepath
 * starts at 44444 and sweeps the same way. Each probe is sent to draw an ICMP time exceeded
 * from a router on the path, and the last ones a port unreachable from the host, so a trace
 * to one host is a burst of new UDP ports on it that finds no service: not a scan.
 */
export const TRACEROUTE_PORTS: readonly number[] = [
  ...Array.from({ length: 101 }, (_, k) => 33434 + k),
  ...Array.from({ length: 101 }, (_, k) => 44444 + k),
];

/** A lookup of 16-bit values, 1 at each (`reportPorts` for oneWayReport, the sweep rule's exempt UDP ports, nmap's SYN windows). */
export function portTable(ports: readonly number[]): Uint8Array {
  const t = new Uint8Array(65536);
  for (const p of ports) t[p] = 1;
  return t;
}

const highAmplifier = portTable(HIGH_AMPLIFIER_PORTS);

/** Whether `sp` is a sender's ephemeral port (at or above `clientPortMin`) and no known amplifier's (HIGH_AMPLIFIER_PORTS). */
export function ephemeralSender(sp: number, clientPortMin: number): boolean {
  return sp >= clientPortMin && highAmplifier[sp] === 0;
}

/**
 * True when a datagram from source port `sp` to destination port `dp` comes from a sender's
 * ephemeral socket (sp >= clientPortMin) to a collector's port (reportPorts[dp], a
 * portTable), and `sp` is no known amplifier's port: a one-way report, never a
 * reflected answer.
 */
export function oneWayReport(sp: number, dp: number, clientPortMin: number, reportPorts: Uint8Array): boolean {
  return reportPorts[dp] === 1 && ephemeralSender(sp, clientPortMin);
}

/** DNS's port (RFC 1035 §4.2.1), and its message header's length (§4.1.1: ID, flags, four counts). */
const DNS_PORT = 53, DNS_HEADER_BYTES = 12;

/**
 * Whether a datagram of `len` bytes from a system port (`sp`, below 1024) could be its
 * service's answer to a question the capture did not see. Not an empty one: every UDP service
 * answers with a message, and an empty datagram is what nmap -sU sends to every port it has
 * no payload for (its manual: "for most ports the packet will be empty"), from port 53 too
 * with `-g 53` (the manual's "Firewall/IDS Evasion": a source port that naive rules pass as
 * DNS). From 53, no fewer bytes than a DNS message's 12-byte header (RFC 1035 §4.1.1). The
 * port's claim is checked by the datagram, not trusted.
 */
export function mayAnswer(sp: number, len: number): boolean {
  return sp === DNS_PORT ? len >= DNS_HEADER_BYTES : len > 0;
}
