// The source-keyed rules of one detector shard. The shard sees every packet whose SOURCE
// hashes to it, so all of one source's packets (but usually not the replies to them) are
// here: the rules judge a source by what it sends.
//
//   vertical scan      distinct destination ports on one host (leaky, plus a fail2ban burst)
//   horizontal scan    distinct hosts on one destination port (leaky)
//   scan probe         packets no stack sends, scanner fingerprints, connect probes (leaky)
//   half-open SYNs     SYNs the source never completes (leaky; completions take units back)
//   unanswered UDP     datagrams to one host:port nothing answers (unanswered-udp.ts)
//   brute force        failed logins read from a SERVER's replies (login-rules.ts): that
//                      state is keyed by the client, the destination of the server's packets
//   HTTP probing       error answers (404, 403...) a plain-HTTP server sends one client
//                      (http-errors.ts): keyed by the client, as brute force
//   form logins        a client's own POSTs to web login paths (form-logins.ts), read from
//                      its request lines, keyed by (client, server)
//   HTTP flood, slow   a client's requests and request-carrying connections to one server,
//                      and its connections trickling a request (http-flood.ts)
//
// Alerts here name the source and are blockable. Along the way `scan` fills the shard's
// VictimTally with the per-host counts that only add up across shards (victim-tally.ts).
//
// Sockets are tracked from the client's SYN (or a UDP flow's first datagram) to its FIN/RST
// to tell retransmissions from new connections, completions, connect probes and connection
// lifetimes; a server's side of a connection from its SYN-ACK (or, the SYN-ACK not captured,
// from a verified reply that names its service: `midstream`) to its FIN/RST, in the same
// table under the server's own key, to read its login replies. Sockets of verified
// connections are kept over those a forged packet makes (PROTECTED_SOCKETS, flow-table.ts). Everything is bounded:
// address-keyed tables with LRU eviction (counted in stats()), per-key state in typed
// arrays, IPv4 keys as int32 numbers, so an IPv4 packet allocates nothing (IPv6 keys are the
// address texts; a tally allocates when it grows a row). Per entry, index included: socket
// ≈ 71 B (and ≈ 23 B of login session state, login-sessions.ts, 1 B of HTTP state,
// http-errors.ts, 21 B of HTTP request state, http-flood.ts), scan key ≈ 270 B (the distinct
// bitmap is 128 B; a vertical one 9 B more, its last empty attempt), source ≈ 200 B, login client ≈ 110 B, HTTP client ≈ 90 B, HTTP flood
// client ≈ 170 B, form-login pair ≈ 90 B (and a 64 KB filter), unanswered-UDP key ≈ 90 B;
// at the default limits (65536 sources and as many login, HTTP, HTTP flood and form-login
// clients, as many scan keys of each kind and unanswered-UDP keys, 262144 sockets) about 115 MB
// when every table is full, most of it allocated as they fill.

import type { Alert } from '../alert.ts';
import type { EvidenceGrader } from '../evidence-grade.ts';
import { FlowTable, PROTECTED_SOCKETS, type AddressKey } from '../flow-table.ts';
import { PAYLOAD_HEAD_BYTES, PacketFlags, type PacketBatch } from '../../net/packet-batch.ts';
import { checkCapacity } from '../../util/lru.ts';
import { hashText, mix32 } from './hash.ts';
import { HeldAlerts } from './held-alerts.ts';
import { FormLogins } from './form-logins.ts';
import { HttpErrors } from './http-errors.ts';
import { HttpFlood, WSCALE_UNKNOWN } from './http-flood.ts';
import { ConnectionFlood, ConnectionKind, ftpPassiveCommand } from './connection-flood.ts';
import { tlsClientHello } from './tls-record.ts';
import { HttpMethod, httpMethod } from './http-request.ts';
import { BucketTable, WindowCounter, riskScore } from './leaky-bucket.ts';
import { LoginRules } from './login-rules.ts';
import { DIALECT_SHIFT, httpFieldLine, midstreamService } from './midstream-service.ts';
import { Service } from './service-replies.ts';
import { PROBE_NAMES, ProbeKind, icmpProbeKind, tcpProbeKind } from './probe-signatures.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import { validateRulesConfig, type RulesConfig } from './rules-config.ts';
import { COOLING, CREDITED, FAST_OVER, SLOW_OVER, ScanKeys } from './scan-keys.ts';
import { FragmentVerdicts } from './fragment-verdicts.ts';
import { UnansweredUdp, snmpRequest } from './unanswered-udp.ts';
import { PairFlood } from './pair-flood.ts';
import { quicClientInitial, quicLongHeader } from './quic-initial.ts';
import { TRACEROUTE_PORTS, mayAnswer, oneWayReport, portTable } from './udp-port-roles.ts';
import { VictimTallyWriter, type VictimTally } from './victim-tally.ts';
import type { BoundedTable } from '../table-report.ts';
import { DEFAULT_RULE_TABLES } from './rule-tables.ts';

export interface SourceRulesLimits {
  /** Sources with half-open or probe state, and clients with login state, each (default 65536: config ruleTables, rule-tables.ts). */
  maxSources?: number;
  /** (source, host) keys of the vertical rule, and (source, port) keys of the horizontal rule, each (default maxSources). */
  maxScanKeys?: number;
  /** Sockets followed from their first packet to their end (default 4 × maxSources). */
  maxSockets?: number;
  /** Rows per victim tally (default 4096). */
  maxTallyRows?: number;
}

const SYN = 0x02, RST = 0x04, FIN = 0x01, ACK = 0x10;
// socket state bits (SERVER: a server's side, from its SYN-ACK)
const SYN_SENT = 1, ESTABLISHED = 2, DATA = 4, SERVER = 8, CLOSED = 16, UDP_FLOW = 32;
// a segment of no connection followed, remembered (with CLOSED) so its 4-tuple counts once
// toward its destination; a server's side may still be picked up on it mid-stream (below)
const STRAY = 1024;
/**
 * Verified segments of a stray socket read for what they are before it is given up (midstream):
 * a keep-alive HTTP connection picked up in a response's body reaches the next status line
 * within a few segments (an error page, a 401, a form's answer: a few kB), while a TLS stream
 * or a download would be looked at for every segment.
 */
const MIDSTREAM_TRIES = 16;
// what the socket's SYN counted, for its answer to take back: a hit of the vertical rule's
// burst (VHIT), a host of the horizontal rule's sweep (HCOUNTED)
const VHIT = 64, HCOUNTED = 128;
// the client's handshake was verified (session-verifier.ts): its own SYN-ACK answered
const VERIFIED = 256;
/** SNMP's agent port (RFC 3417 §3). */
const SNMP_PORT = 161;
/** Kerberos KDC (RFC 4120 §7.2.1: UDP and TCP port 88). */
const KERBEROS_PORT = 88;
// the host of the horizontal rule's sweep this socket counted was taken back (it answered)
const ANSWERED = 512;
// a client's socket its own SYN opened (serverNext holds its first byte's number), kept with
// what its connection did (KEPT_AT_CLOSE) once closed: its server may confirm it after the
// client closed (a SYN-ACK the capture lost, the server's FIN the stand-in: standIn)
const OPENED = 2048;
// the sweep's slow unit taken back by the client's ACK of a SYN-ACK the capture lost
// (unverified: its fast unit waits for the server's stand-in)
const SLOW_BACK = 4096;
// its first bytes a ClientHello on a connection not verified yet: counted when confirmed
const HELLO_HELD = 8192;
// the server's segment that stood in for a lost SYN-ACK (session-verifier.ts; the client's
// ACK claiming one carries SYNACK_LOST without ESTABLISHED)
const STANDIN = PacketFlags.SYNACK_LOST | PacketFlags.ESTABLISHED;
const KEPT_AT_CLOSE = OPENED | ESTABLISHED | DATA | VERIFIED | HCOUNTED | ANSWERED | SLOW_BACK | HELLO_HELD;
// port spaces within one distinct set (IP_PROTO: an IP protocol number, for nmap -sO)
const UDP_PORT = 0x10000, ICMP_ECHO = 0x20000, IP_PROTO = 0x40000, ARP_WHO_HAS = 0x80000, SCTP_PORT = 0x100000;
// HOP_MISMATCH: the packet claims a source whose hop count it does not have (the session
// verifier): forged, so not that source's behaviour.
const SKIP = PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED | PacketFlags.HOP_MISMATCH;
/** RFC 6298's initial retransmission timeout, seconds: a SYN resent sooner is not a retransmission. */
const SYN_RTO_S = 1;
// Neighbour discovery, router discovery and MLD: chatter on every IPv6 link, not floods.
const ICMPV6_LINK = new Uint8Array(256);
for (const t of [130, 131, 132, 133, 134, 135, 136, 137, 143, 151, 152, 153]) ICMPV6_LINK[t] = 1;

const TRACEROUTE = portTable(TRACEROUTE_PORTS);

/** The name of a value's space in the scan rules' distinct sets, for the evidence. */
function spaceName(port: number): string {
  return port & SCTP_PORT ? 'sctp' : port & IP_PROTO ? 'ip' : port & UDP_PORT ? 'udp' : 'tcp';
}

/** SCTP chunks that open an association (RFC 9260 §3.2): INIT, and COOKIE ECHO, its third step (nmap -sY, -sZ). */
const SCTP_INIT = 1, SCTP_COOKIE_ECHO = 10;

/**
 * The destination port of an SCTP packet whose first chunk opens an association, or -1. Read
 * from `head` (packet-batch.ts): ports at 0-3, the first chunk's type at 12.
 */
function sctpOpenerPort(batch: PacketBatch, i: number): number {
  if (batch.payloadLen[i] < 16) return -1;
  const h = batch.head;
  const o = i * PAYLOAD_HEAD_BYTES;
  const type = h[o + 12];
  return type === SCTP_INIT || type === SCTP_COOKIE_ECHO ? (h[o + 2] << 8) | h[o + 3] : -1;
}


/** Multicast or broadcast destinations are nobody's victim and nobody's scan target. */
function isGroupDestination(batch: PacketBatch, i: number, v6: boolean): boolean {
  if (v6) return batch.dst[i * 16] === 0xff;
  const d = batch.dst4[i];
  return d >>> 28 === 14 || d === 0xffffffff;
}

/**
 * A loopback destination (127.0.0.0/8, ::1: RFC 1122 §3.2.1.3, RFC 4291 §2.5.3), which never
 * crosses a wire: a packet to it whose source is the same address is a host talking to
 * itself on lo (the default capture interface), not a LAND packet.
 */
function isLoopback(batch: PacketBatch, i: number, v6: boolean): boolean {
  if (!v6) return batch.dst4[i] >>> 24 === 127;
  const o = i * 16;
  const d = batch.dst;
  for (let k = 0; k < 15; k++) if (d[o + k] !== 0) return false;
  return d[o + 15] === 1;
}

export class SourceRules {
  private readonly config: RulesConfig;
  private readonly writer: VictimTallyWriter;
  private readonly nmapWindows: Uint8Array;
  readonly login: LoginRules;
  readonly http: HttpErrors;
  readonly forms: FormLogins;
  readonly httpFlood: HttpFlood;
  readonly connFlood: ConnectionFlood;
  /** Whether a rule reads the client's request lines (HTTP flood, slow HTTP, form logins). */
  private readonly readsRequests: boolean;
  private readonly exemptUdp: Uint8Array;
  /** udpAmplification.reportPorts as a lookup (udp-port-roles.ts). */
  private readonly reportPorts: Uint8Array;

  // sockets: (src, dst, srcPort | UDP_PORT, dstPort)
  private readonly sockets: FlowTable;
  private readonly sockState: Uint16Array;
  private readonly sockStart: Float64Array;
  /** A server's side (SERVER): the sequence number past its furthest byte seen, from its SYN-ACK's on. */
  private readonly serverNext: Int32Array;
  /** A client's socket whose first request is held (HttpFlood.hold): what it asks (FormLogins.pathOf). */
  private readonly heldPath: Int16Array;

  // vertical: (src, dst, 0), distinct ports; its slow bucket: ports of the host whose
  // handshake the source never completed (scan-keys.ts; held alerts: see `vertical`)
  private readonly vScan: ScanKeys;
  private readonly vBurst: WindowCounter;
  /** Capture time of the source's last connect probe on the host (-Infinity: none). */
  private readonly vLastAbort: Float64Array;
  /** 1 when that probe was counted (it came within connectAbortRepeatS of the one before). */
  private readonly vAbortCounted: Uint8Array;
  /** 1 when that probe overlapped another empty attempt of the source on the host (see `emptyEnd`). */
  private readonly vAbortOverlap: Uint8Array;
  /** End of the source's last empty attempt on the host: a connect probe, or a handshake it reset unfinished (-Infinity: none). */
  private readonly vEmptyEnd: Float64Array;
  // horizontal: (src, 0, port space), distinct hosts; its slow bucket: hosts whose handshake
  // on the port the source never completed
  private readonly hScan: ScanKeys;

  // sources: (src, 0, 0, 0)
  private readonly sources: FlowTable;
  private readonly halfBuckets: BucketTable;
  private readonly halfSyns: Int32Array;
  private readonly halfDone: Int32Array;
  private readonly probeBuckets: BucketTable;
  private readonly probeKinds: Int32Array;
  private readonly probeCount: Int32Array;
  /** Spared probe alerts held (held-alerts.ts). */
  private readonly pHeld: HeldAlerts;
  private readonly unanswered: UnansweredUdp | null;
  private readonly icmpSourceFlood: PairFlood | null;
  private readonly snmpGuesses: UnansweredUdp | null;
  private readonly refusedFlood: PairFlood | null;
  private readonly rstSourceFlood: PairFlood | null;
  private readonly quicInitialFlood: PairFlood | null;
  /** Whether each source's last first fragment toward a host counted (UDP: as a possible answer, for the victim's flood; ICMP: in the source's ICMP flood); later fragments follow it. */
  private readonly fragments = new FragmentVerdicts();
  /** Whether each source's last first fragment toward a host was an echo request (its later fragments are credit for the answers' pieces). */
  private readonly echoFragments = new FragmentVerdicts();

  private packets = 0;
  /** Packets whose source was their destination (ownAddress). */
  private forgedOwnAddress = 0;
  private skipped = 0;
  private alerts = 0;
  private suppressed = 0;

  /**
   * `grader`: the shard's evidence grades (evidence-grade.ts), which has observed each batch
   * before it is scanned. With it, the rules grade their alerts as they raise them, and a
   * vertical scan's alert that the responder would spare (forgeable evidence, a source with
   * real sessions) does not silence the rule (see `vertical`).
   */
  constructor(config: RulesConfig, limits: SourceRulesLimits = {}, private readonly grader: EvidenceGrader | null = null) {
    this.config = validateRulesConfig(config);
    const maxSources = checkCapacity(limits.maxSources ?? DEFAULT_RULE_TABLES.maxSources);
    const maxScanKeys = checkCapacity(limits.maxScanKeys ?? maxSources);
    const maxSockets = checkCapacity(limits.maxSockets ?? 4 * maxSources);
    this.writer = new VictimTallyWriter(checkCapacity(limits.maxTallyRows ?? 4096));
    const c = this.config;
    const cool = c.cooldownS;
    this.nmapWindows = portTable(c.scanProbe.nmapSynWindows);
    this.exemptUdp = portTable(c.horizontalScan.exemptUdpPorts);
    this.reportPorts = portTable(c.udpAmplification.reportPorts);

    this.sockets = new FlowTable(maxSockets, { protectedShare: PROTECTED_SOCKETS });
    this.sockState = new Uint16Array(maxSockets);
    this.sockStart = new Float64Array(maxSockets);
    this.serverNext = new Int32Array(maxSockets);
    this.heldPath = new Int16Array(maxSockets);

    const v = c.verticalScan, h = c.horizontalScan;
    this.vScan = new ScanKeys(maxScanKeys, v, v.unansweredThreshold > 0 ? { threshold: v.unansweredThreshold, leakPerS: v.unansweredLeakPerS } : null, cool);
    this.vBurst = new WindowCounter(maxScanKeys, v.burstMaxretry, v.burstFindtimeS);
    this.vLastAbort = new Float64Array(maxScanKeys).fill(-Infinity);
    this.vAbortCounted = new Uint8Array(maxScanKeys);
    this.vAbortOverlap = new Uint8Array(maxScanKeys);
    this.vEmptyEnd = new Float64Array(maxScanKeys).fill(-Infinity);
    this.hScan = new ScanKeys(maxScanKeys, h, h.unansweredThreshold > 0 ? { threshold: h.unansweredThreshold, leakPerS: h.unansweredLeakPerS, credit: h.exchangeCredit } : null, cool);

    this.sources = new FlowTable(maxSources);
    this.login = new LoginRules(c, maxSources, maxSockets);
    this.http = new HttpErrors(c, maxSources, maxSockets);
    this.forms = new FormLogins(c, maxSources);
    this.httpFlood = new HttpFlood(c, maxSources, maxSockets);
    this.readsRequests = this.httpFlood.enabled || c.formLogin.enabled;
    this.connFlood = new ConnectionFlood(c, maxSources);
    this.halfBuckets = new BucketTable(maxSources, c.halfOpen.threshold, c.halfOpen.leakPerS, cool);
    this.halfSyns = new Int32Array(maxSources);
    this.halfDone = new Int32Array(maxSources);
    this.probeBuckets = new BucketTable(maxSources, c.scanProbe.threshold, c.scanProbe.leakPerS, cool);
    this.probeKinds = new Int32Array(maxSources);
    this.probeCount = new Int32Array(maxSources);
    this.pHeld = new HeldAlerts(maxSources, cool);
    this.unanswered = c.unansweredUdp.enabled ? new UnansweredUdp(c.unansweredUdp, maxScanKeys, cool, 'udp-flood', '', c.udpAmplification) : null;
    this.snmpGuesses = c.snmpGuessing.enabled ? new UnansweredUdp(c.snmpGuessing, maxScanKeys, cool, 'brute-force', 'snmp') : null;
    this.icmpSourceFlood = c.icmpSourceFlood.enabled ? new PairFlood('icmp-flood', 'packets', 'src', c.icmpSourceFlood, maxScanKeys, cool) : null;
    this.refusedFlood = c.refusedFlood.enabled ? new PairFlood('tcp-flood', 'refused', 'dst', c.refusedFlood, maxScanKeys, cool) : null;
    this.rstSourceFlood = c.rstSourceFlood.enabled ? new PairFlood('tcp-flood', 'resets', 'src', c.rstSourceFlood, maxScanKeys, cool) : null;
    this.quicInitialFlood = c.quicInitialFlood.enabled ? new PairFlood('connection-flood', 'quicInitials', 'src', c.quicInitialFlood, maxScanKeys, cool) : null;
  }

  /**
   * Run the rules over a batch: alerts are appended to `out`; with `tally`, the batch's
   * per-host counts are added to it (clear it between batches to send one per batch).
   */
  scan(batch: PacketBatch, out: Alert[], tally?: VictimTally): void {
    const n = batch.length;
    const t = tally ?? null;
    if (t) this.writer.attach(t);
    const { flags, fragOffset } = batch;
    this.packets += n;
    const g = this.grader;
    for (let i = 0; i < n; i++) {
      const f = flags[i];
      if (f & PacketFlags.ARP && !(f & SKIP)) {
        this.arp(batch, i, out);
        continue;
      }
      if (f & PacketFlags.TINY_FRAGMENT && this.config.scanProbe.enabled && !(f & PacketFlags.HOP_MISMATCH)) {
        // malformed for every other reader, a scan probe here (probe-signatures.ts)
        this.probe(batch, i, batch.flowKey(i, 'src'), ProbeKind.TINY_FRAGMENT, out);
        continue;
      }
      if (f & SKIP || (f & (PacketFlags.IPV4 | PacketFlags.IPV6)) === 0) {
        this.skipped++;
        continue;
      }
      const v6 = (f & PacketFlags.IPV6) !== 0;
      if (f & PacketFlags.FRAGMENT && fragOffset[i] !== 0) {
        // No transport header here: never read as ports. A piece of a large datagram, it
        // counts toward its destination's flood (UDP's, or ICMP's for a fragmented ping),
        // and a piece of an ICMP message toward its source's ICMP flood as its first piece
        // did (a flood of 8 kB pings is six packets a message: ping -s 8000 -f)
        if (!isGroupDestination(batch, i, v6)) {
          const p = batch.protocol[i];
          if (p === 1 || p === 58) {
            const src = batch.flowKey(i, 'src');
            if (t) {
              this.toward(batch, i, v6, t, 'icmp', batch.wirelen[i]);
              // a piece of an echo request: its answer comes back in as many pieces
              if (this.echoFragments.marked(batch, i)) this.echoOut(batch, i, src, v6, t);
            }
            if (this.icmpSourceFlood !== null && this.fragments.counts(batch, i)) {
              this.raise(out, this.icmpSourceFlood.count(batch, i, src, batch.flowKey(i, 'dst'), (f & PacketFlags.SOURCE_SEEN) !== 0));
            }
          } else if (t && this.fragments.counts(batch, i)) this.toward(batch, i, v6, t, 'udpResp', batch.wirelen[i]);
        }
        this.skipped++;
        continue;
      }
      const src = batch.flowKey(i, 'src');
      const dst = batch.flowKey(i, 'dst');
      if (src === dst && !isLoopback(batch, i, v6)) {
        this.ownAddress(batch, i, v6, t);
        continue;
      }
      // the grader notes each row before the rules read it (an alert is graded on what came before it)
      if (g && f & PacketFlags.ESTABLISHED) g.observeKeys(src, dst, batch.ts[i]);
      // (ts is read inside: a double passed to a call that is not inlined is boxed)
      if (f & PacketFlags.TCP) this.tcp(batch, i, src, dst, v6, out, t);
      else if (f & PacketFlags.UDP) this.udp(batch, i, src, dst, v6, out, t);
      else if (f & (PacketFlags.ICMP | PacketFlags.ICMPV6)) this.icmp(batch, i, src, dst, v6, out, t);
      else if (!isGroupDestination(batch, i, v6)) this.otherProtocol(batch, i, src, dst, v6, out, t);
    }
  }

  /** The source sent an echo request, or a piece of one: credit for the answers the icmp-flood victim rule will see coming back to it. */
  private echoOut(batch: PacketBatch, i: number, src: AddressKey, v6: boolean, t: VictimTally): void {
    const r = v6 ? this.writer.row6(src as string, batch.ts[i]) : this.writer.row4(batch.src4[i], batch.ts[i]);
    if (r >= 0) t.echoOut[r]++;
  }

  /** A packet of another IP protocol (GRE, ESP, SCTP... or a bare header of nmap -sO), not to a group. */
  private otherProtocol(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, v6: boolean, out: Alert[], t: VictimTally | null): void {
    if (t) {
      // toward its destination's IP flood; its sender's own such packets (a tunnel's way back) take theirs back
      this.toward(batch, i, v6, t, 'ipIn', 0);
      const r = v6 ? this.writer.row6(src as string, batch.ts[i]) : this.writer.row4(batch.src4[i], batch.ts[i]);
      if (r >= 0) {
        t.ipOut[r]++;
        this.writer.peer('ipDstSketch', r, v6 ? mix32(hashText(dst as string)) : mix32(dst as number));
      }
    }
    const c = this.config.verticalScan;
    if (!c.enabled) return;
    if (c.countIpProtocols) this.vertical(batch, i, src, dst, IP_PROTO | batch.protocol[i], out);
    // SCTP's ports, a space of their own, counted at the chunk that opens an association as
    // TCP's at a SYN: nmap -sY sends INITs, -sZ COOKIE ECHOs, port after port
    if (c.countSctp && batch.protocol[i] === 132) {
      const port = sctpOpenerPort(batch, i);
      if (port >= 0) this.vertical(batch, i, src, dst, SCTP_PORT | port, out);
    }
  }

  /** The bounded tables, for the report (table-report.ts). */
  tables(): Record<string, BoundedTable> {
    const t: Record<string, BoundedTable> = { sources: this.sources, ruleSockets: this.sockets, scanVertical: this.vScan.keys, scanHorizontal: this.hScan.keys, loginClients: this.login.clientTable, httpClients: this.http.clientTable, formClients: this.forms.clientTable, httpFloodClients: this.httpFlood.clientTable, connectionFloodClients: this.connFlood.clientTable };
    if (this.unanswered) t.unansweredUdp = this.unanswered.table;
    if (this.snmpGuesses) t.snmpGuesses = this.snmpGuesses.table;
    if (this.icmpSourceFlood) t.icmpSourceFlood = this.icmpSourceFlood.table;
    if (this.refusedFlood) t.refusedFlood = this.refusedFlood.table;
    if (this.rstSourceFlood) t.rstSourceFlood = this.rstSourceFlood.table;
    if (this.quicInitialFlood) t.quicInitialFlood = this.quicInitialFlood.table;
    return t;
  }

  stats(): Record<string, number> {
    return {
      packets: this.packets,
      skipped: this.skipped,
      forgedOwnAddress: this.forgedOwnAddress,
      alerts: this.alerts + this.login.alerts + this.http.alerts,
      suppressed: this.suppressed + this.login.suppressed + this.http.suppressed + this.forms.suppressed + this.httpFlood.suppressed + this.connFlood.suppressed + (this.unanswered?.suppressed ?? 0) + (this.snmpGuesses?.suppressed ?? 0) + (this.icmpSourceFlood?.suppressed ?? 0) + (this.refusedFlood?.suppressed ?? 0) + (this.rstSourceFlood?.suppressed ?? 0) + (this.quicInitialFlood?.suppressed ?? 0),
      loginClients: this.login.clientTable.size,
      loginClientEvictions: this.login.clientTable.evictions,
      httpClients: this.http.clientTable.size,
      httpClientEvictions: this.http.clientTable.evictions,
      formClients: this.forms.clientTable.size,
      formClientEvictions: this.forms.clientTable.evictions,
      httpFloodClients: this.httpFlood.clientTable.size,
      httpFloodClientEvictions: this.httpFlood.clientTable.evictions,
      connectionFloodClients: this.connFlood.clientTable.size,
      connectionFloodClientEvictions: this.connFlood.clientTable.evictions,
      sources: this.sources.size,
      sourceEvictions: this.sources.evictions,
      sockets: this.sockets.size,
      socketEvictions: this.sockets.evictions,
      verifiedSocketEvictions: this.sockets.protectedEvictions,
      verticalKeys: this.vScan.keys.size,
      verticalEvictions: this.vScan.keys.evictions,
      horizontalKeys: this.hScan.keys.size,
      horizontalEvictions: this.hScan.keys.evictions,
    };
  }

  // ---- per protocol ---------------------------------------------------------------

  private tcp(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, v6: boolean, out: Alert[], t: VictimTally | null): void {
    const ts = batch.ts[i];
    const tf = batch.tcpFlags[i];
    const sp = batch.srcPort[i];
    const dp = batch.dstPort[i];
    const c = this.config;
    const syn = tf & SYN, ack = tf & ACK, rst = tf & RST, fin = tf & FIN;
    const opening = syn && !ack && !rst && !fin;
    const kind = c.scanProbe.enabled
      ? tcpProbeKind(tf, batch.tcpWindow[i], batch.flags[i], batch.payloadLen[i], this.nmapWindows, c.scanProbe.osProbeMaxSynWindow, batch.tcpSeq[i])
      : ProbeKind.NONE;
    // a probing SYN counts once its socket shows it is not a retransmission (below)
    if (kind !== ProbeKind.NONE && !opening) this.probe(batch, i, src, kind, out);
    // (a SYN-ACK with RST or FIN is no stack's answer: a segment of no connection, below, as
    // a flood of every flag at once sends)
    if (syn && !(ack && (rst || fin))) {
      if (ack) {
        // a server's answer, or a reflection when nobody asked
        if (t) this.toward(batch, i, v6, t, 'synAck', 1);
        // follow the server's side to read its login replies (a retransmitted SYN-ACK changes nothing)
        let s = this.sockets.find(src, dst, sp, dp);
        if (s >= 0 && this.sockState[s] === SERVER) return;
        if (s < 0) s = this.sockets.insert(src, dst, sp, dp);
        this.sockState[s] = SERVER;
        this.sockStart[s] = ts;
        this.serverNext[s] = (batch.tcpSeq[i] + 1) | 0; // its first byte's number (a SYN takes one, RFC 9293 §3.4)
        this.login.open(s, batch.tcpAck[i]);
        this.http.open(s);
        return;
      }
      // Every SYN without ACK counts toward a flood of its destination, whatever rides with
      // it (ECE and CWR of an ECN setup, PSH, URG, FIN, RST) and however often it repeats.
      if (t) this.toward(batch, i, v6, t, 'syn', 1);
      if (rst || fin) return; // a probe, not a connection
      let s = this.sockets.find(src, dst, sp, dp);
      if (s >= 0 && this.sockState[s] & SYN_SENT) {
        // A stack resends a SYN after its retransmission timeout (1 s at first, RFC 6298):
        // nothing new. The same SYN again sooner is a flood reusing one socket.
        if (ts - this.sockStart[s] >= SYN_RTO_S || ts < this.sockStart[s]) return;
        this.sockStart[s] = ts;
        if (c.halfOpen.enabled) this.halfOpen(batch, i, src, 1, out);
        return;
      }
      if (s < 0) s = this.sockets.insert(src, dst, sp, dp);
      this.sockState[s] = SYN_SENT | OPENED;
      this.sockStart[s] = ts;
      this.serverNext[s] = (batch.tcpSeq[i] + 1) | 0; // its first byte's number, for a stand-in SYN-ACK (standIn)
      this.httpFlood.open(s, batch.flags[i] & PacketFlags.TCP_WSCALE ? batch.tcpWscale[i] : batch.headersCut(i) ? WSCALE_UNKNOWN : 0);
      if (kind !== ProbeKind.NONE) this.probe(batch, i, src, kind, out);
      if (!isGroupDestination(batch, i, v6)) this.sockState[s] |= this.opener(batch, i, src, dst, v6, dp, out);
      if (c.halfOpen.enabled) this.halfOpen(batch, i, src, 1, out);
      return;
    }
    // FIN, NULL, Xmas... without ACK reach ports as SYNs do
    if (!ack && !rst && !isGroupDestination(batch, i, v6)) this.opener(batch, i, src, dst, v6, dp, out);
    let s = this.sockets.find(src, dst, sp, dp);
    if ((batch.flags[i] & STANDIN) === STANDIN && (s < 0 || this.sockState[s] & CLOSED)) s = this.standIn(batch, i, src, dst, sp, dp, s, ts);
    // the client's first verified segment on a connection its ACK completed unverified (a
    // SYN-ACK the capture lost, confirmed since by the server's stand-in), closed already or not
    else if (s >= 0 && batch.flags[i] & PacketFlags.ESTABLISHED && (this.sockState[s] & (OPENED | ESTABLISHED | VERIFIED)) === (OPENED | ESTABLISHED)) this.confirmed(batch, i, s, src, dst, dp, ts, out);
    if (!syn && !rst && batch.payloadLen[i] > 0 && batch.flags[i] & PacketFlags.ESTABLISHED && (s < 0 || this.sockState[s] === (CLOSED | STRAY))) s = this.midstream(batch, i, src, dst, sp, dp, s, ts);
    // A bare RST of no connection followed: one the verifier saw refuse a stray segment with
    // ACK of its destination (RFC 9293 §3.10.7.1) is that destination's ACK flood from a real
    // address (pair-flood.ts); any other is the sender's own RST flood (hping3 -R), never its
    // destination's (which would get whoever receives it named).
    if (rst && !ack && (s < 0 || this.sockState[s] & CLOSED) && !isGroupDestination(batch, i, v6)) {
      if (batch.flags[i] & PacketFlags.REFUSAL) this.refused(batch, i, src, dst, out);
      else if (this.rstSourceFlood !== null) this.raise(out, this.rstSourceFlood.count(batch, i, src, dst, (batch.flags[i] & PacketFlags.SOURCE_SEEN) !== 0));
    }
    if (s < 0) {
      // A segment of no connection followed: an ACK or RST flood's forged packet, a scanner's
      // probe, or a connection that began before the node. Counted toward its destination
      // once per 4-tuple: the socket is remembered, closed, so its next segments are not.
      if (t && !isGroupDestination(batch, i, v6)) {
        this.toward(batch, i, v6, t, 'stray', 0);
        const k = this.sockets.insert(src, dst, sp, dp);
        this.sockState[k] = CLOSED | STRAY;
        this.serverNext[k] = 0; // its verified segments that named no service (midstream)
      }
      return;
    }
    let st = this.sockState[s];
    if (st === 0 || st & (CLOSED | UDP_FLOW)) return;
    // A segment of a verified connection (session-verifier.ts): its socket is kept over
    // those any forged packet makes, until it closes.
    const verified = batch.flags[i] & PacketFlags.ESTABLISHED;
    if (verified) this.sockets.protect(s);
    if (st === SERVER) {
      // a server's answers are read only on a verified connection: one forged in its name
      // (a SYN-ACK and three FTP 530s, twenty HTTP 401s to a client's address) must not make
      // failed logins or web misses of a client that has real sessions there
      if (batch.payloadLen[i] > 0 && verified && this.newBytes(s, batch, i)) {
        if (this.login.sessions.following(s)) this.login.segment(s, batch, i, dst, out);
        if (this.http.following(s)) this.http.segment(s, batch, i, dst, src, out);
      }
      if (rst || fin) {
        this.login.close(s, batch, i, dst, out);
        this.http.close(s);
        this.sockState[s] = CLOSED;
        this.sockets.unprotect(s);
      }
      return;
    }
    if (st & SYN_SENT && ack && !rst) {
      st = (st & ~SYN_SENT) | ESTABLISHED;
      if (c.halfOpen.enabled) this.halfOpen(batch, i, src, -1, out);
      if (verified) st |= VERIFIED;
      // a host that completes a verified handshake answered the sweep: Zeek's scan.zeek
      // counts failed attempts only, and a load balancer's or a monitor's connect checks
      // (HAProxy, kubelet, a blackbox exporter's tcp_connect) complete and close without a byte
      if (verified && st & HCOUNTED && c.horizontalScan.enabled) {
        this.answered(src, dp, ts, !(st & SLOW_BACK));
        st |= ANSWERED;
      } else if (st & HCOUNTED && batch.flags[i] & PacketFlags.SYNACK_LOST && c.horizontalScan.enabled) {
        // its ACK of a SYN-ACK the capture did not hold (session-verifier.ts): no
        // stack sends it unanswered (RFC 9293 §3.5), so the host is no attempt that never
        // completed, the slow bucket's measure (as the vertical rule's slow bucket takes its
        // unit back below); anyone can send it, so the fast bucket's unit stays until the
        // server's side confirms it (standIn). A forged ACK only lowers its address's count.
        this.hScan.takeBack(this.hScan.find(src, 0, dp), ts, false, true);
        st |= SLOW_BACK;
      }
      // an answered port is no part of a burst of probes (a monitor checking a host's ports),
      // nor of a slow scan's failed attempts (Zeek counts failed connections only)
      if (st & VHIT && c.verticalScan.enabled) {
        const v = this.vScan.find(src, dst, 0);
        if (v >= 0) {
          if (c.verticalScan.burstMaxretry > 0) this.vBurst.unhit(v);
          this.vScan.takeBack(v, ts, false);
        }
      }
      if (t) {
        this.toward(batch, i, v6, t, 'completions', 0);
        const r = v6 ? this.writer.row6(src as string, ts) : this.writer.row4(batch.src4[i], ts);
        if (r >= 0) t.completionsOut[r]++;
      }
    }
    if (batch.payloadLen[i] > 0) {
      // the client speaks on a connection it opened: a host of its sweep of that port answered
      if (st & HCOUNTED && !(st & ANSWERED) && st & ESTABLISHED && !(st & DATA) && c.horizontalScan.enabled) {
        this.answered(src, dp, ts, !(st & SLOW_BACK));
        st |= ANSWERED;
      }
      // its first bytes to a host it counted as new: a first contact that went through, set
      // against one failed attempt of its sweep (rules-config.ts horizontalScan.exchangeCredit)
      if (st & HCOUNTED && st & VERIFIED && !(st & DATA) && c.horizontalScan.enabled) this.hScan.earn(this.hScan.find(src, 0, dp), ts);
      // its requests, on connections it completed (what it sent itself): read once, by the
      // HTTP flood rule (http-flood.ts: new request lines, retransmissions passed over), whose
      // reading the form-login rule takes (form-logins.ts)
      if (verified && this.readsRequests) {
        const hf = this.httpFlood;
        let alert = hf.segment(s, batch, i, src, dst);
        if (alert) this.emit(out, alert, batch, i);
        alert = hf.requestMethod !== HttpMethod.NONE ? this.forms.request(batch, i, src, dst, !(st & DATA), hf.requestMethod) : null;
        if (alert) this.emit(out, alert, batch, i);
      } else if (!verified && st & OPENED && !(st & DATA)) {
        // its first bytes before the server's side confirmed the connection (a SYN-ACK the
        // capture lost: standIn): what the readers of requests count, held until then
        const held = this.readsRequests ? this.httpFlood.hold(s, batch, i) : HttpMethod.NONE;
        if (held !== HttpMethod.NONE) this.heldPath[s] = this.forms.pathOf(batch, i, held);
        if (this.connFlood.enabled && tlsClientHello(batch.head, i * PAYLOAD_HEAD_BYTES, batch.headBytes(i))) st |= HELLO_HELD;
      }
      // its first bytes a TLS ClientHello: a handshake it asks of the server; an FTP PASV or
      // EPSV: the empty connections it opens next are data (connection-flood.ts)
      if (verified && this.connFlood.enabled) {
        const o = i * PAYLOAD_HEAD_BYTES, n = batch.headBytes(i);
        if (!(st & DATA) && tlsClientHello(batch.head, o, n)) {
          const alert = this.connFlood.connection(batch, i, src, dst, ConnectionKind.TLS);
          if (alert) this.emit(out, alert, batch, i);
        } else if (ftpPassiveCommand(batch.head, o, n)) this.connFlood.passive(batch, i, src, dst);
      }
      st |= DATA;
    }
    // the window it reads the answers with, on verified connections only
    if (verified && ack && !rst && this.httpFlood.enabled) {
      const alert = this.httpFlood.window(s, batch, i, src, dst);
      if (alert) this.emit(out, alert, batch, i);
    }
    if (rst || fin) {
      const life = ts - this.sockStart[s];
      if (rst && st & ESTABLISHED && !(st & DATA)) {
        const verified = (st & VERIFIED) !== 0;
        if (c.scanProbe.enabled && c.scanProbe.connectAbort && life >= 0 && life <= c.scanProbe.connectAbortMaxS) this.connectAbort(batch, i, src, dst, ts, out, verified, this.sockStart[s]);
        // a held scan alert is raised again by the scan's own open port: a verified
        // handshake the client resets without a word (nmap -sT closes each connect() so)
        if (verified) {
          const v = this.vScan.heldSlot(src, dst, 0, ts);
          if (v >= 0) this.raiseHeld(batch, i, v, dp, out);
        }
        // and a held sweep of this port, by a host of it that answered (a connect sweep)
        if (verified && st & HCOUNTED) {
          const h = this.hScan.heldSlot(src, 0, dp, ts);
          if (h >= 0) this.raiseHeldSweep(batch, i, h, dp, out);
        }
      } else if (rst && st & SYN_SENT && !(st & DATA) && c.scanProbe.enabled && c.scanProbe.connectAbort && life >= 0 && life <= c.scanProbe.connectAbortMaxS) {
        // a handshake it resets unfinished (its socket closed before the SYN-ACK came: nmap's
        // discovery gives up on 443 once 80 answers): an empty attempt a connect probe may overlap
        this.emptyEnd(this.vSlot(src, dst), this.sockStart[s], ts);
      }
      // a connection it completed and closes without a word (connection-flood.ts)
      if (st & ESTABLISHED && !(st & DATA) && (verified || st & VERIFIED) && this.connFlood.enabled) {
        const alert = this.connFlood.connection(batch, i, src, dst, ConnectionKind.EMPTY);
        if (alert) this.emit(out, alert, batch, i);
      }
      st = CLOSED | (st & KEPT_AT_CLOSE);
      this.sockets.unprotect(s);
    }
    this.sockState[s] = st;
  }

  /**
   * A verified segment with payload (row i) of no socket, or of a stray one (`s`): a side of a
   * connection whose opening the capture did not hold (it began later, or lost the SYN-ACK),
   * picked up when the segment tells what it is. A server's reply that tells its service
   * (midstream-service.ts): followed from that reply's bytes on; a client's HTTP request line
   * (or, on HTTP's ports, a header field line: httpFieldLine):
   * its requests read from it on (the HTTP flood and form-login rules), its opening not
   * counted. The verifier saw the other side acknowledge this side's bytes, so a reply forged
   * in a server's name is never one. A stray socket whose first MIDSTREAM_TRIES verified
   * segments told nothing (a TLS stream, a download) is tried no more. Returns the socket.
   */
  private midstream(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, sp: number, dp: number, s: number, ts: number): number {
    const o = i * PAYLOAD_HEAD_BYTES, kept = batch.headBytes(i);
    const m = midstreamService(batch.head, o, batch.payloadLen[i], kept, sp);
    const svc = m & 0xff;
    if (svc !== Service.OTHER) {
      if (s < 0) s = this.sockets.insert(src, dst, sp, dp);
      this.sockState[s] = SERVER;
      this.sockStart[s] = ts;
      this.serverNext[s] = batch.tcpSeq[i] | 0;
      this.login.openMidstream(s, svc, m >>> DIALECT_SHIFT, batch, i);
      if (svc === Service.HTTP) this.http.open(s);
      else this.http.close(s);
      return s;
    }
    const method = this.readsRequests ? httpMethod(batch.head, o, kept) : HttpMethod.NONE;
    if ((method !== HttpMethod.NONE && method !== HttpMethod.CONNECT) || (method === HttpMethod.NONE && this.readsRequests && httpFieldLine(batch.head, o, kept, dp))) {
      if (s < 0) s = this.sockets.insert(src, dst, sp, dp);
      this.sockState[s] = ESTABLISHED | VERIFIED | DATA;
      this.sockStart[s] = ts;
      this.httpFlood.openMidstream(s, batch, i);
      return s;
    }
    if (s >= 0 && ++this.serverNext[s] >= MIDSTREAM_TRIES) this.sockState[s] = CLOSED;
    return s;
  }

  /**
   * Server segment i stood in for its connection's SYN-ACK, which the capture lost
   * (SYNACK_LOST with ESTABLISHED: session-verifier.ts saw it at the number its client acknowledged,
   * acknowledging the client's SYN): the server's side is followed from this, its first byte,
   * as from a SYN-ACK (greeting-first services included), its client's first byte's number
   * taken from the client's socket when this shard holds it (else unknown, 0, as for a
   * connection picked up mid-stream). The client's shard confirms its side at the client's
   * next segment, which the verifier marks ESTABLISHED from here (`confirmed`). Returns the
   * server's socket.
   */
  private standIn(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, sp: number, dp: number, s: number, ts: number): number {
    if (s < 0) s = this.sockets.insert(src, dst, sp, dp);
    const c = this.sockets.find(dst, src, dp, sp);
    const opened = c >= 0 && (this.sockState[c] & OPENED) !== 0;
    this.sockState[s] = SERVER;
    this.sockStart[s] = ts;
    this.serverNext[s] = batch.tcpSeq[i] | 0; // its first byte: this segment's (newBytes reads it)
    this.login.open(s, opened ? this.serverNext[c] : 0);
    this.http.open(s);
    return s;
  }

  /**
   * Client socket c (of `client` to `server`'s `port`), whose ACK completed its handshake
   * unverified, is verified at the client's segment i (the server's side confirmed it since:
   * standIn): its sweep's host answered, as a verified ACK's does (the fast bucket's unit out;
   * the slow one's too unless its ACK took it already: SLOW_BACK), and what it did before is
   * counted now, as on a verified connection: its first request (held by the HTTP flood
   * rule), its ClientHello (HELLO_HELD), or its close without a byte (connection-flood.ts).
   */
  private confirmed(batch: PacketBatch, i: number, c: number, client: AddressKey, server: AddressKey, port: number, ts: number, out: Alert[]): void {
    let st = this.sockState[c];
    if (st & VERIFIED) return;
    st |= VERIFIED;
    if (st & HCOUNTED && !(st & ANSWERED) && this.config.horizontalScan.enabled) {
      this.answered(client, port, ts, !(st & SLOW_BACK));
      st |= ANSWERED;
    }
    let alert = this.readsRequests ? this.httpFlood.confirm(c, batch, i, client, server) : null;
    if (alert) this.emit(out, alert, batch, i);
    alert = this.readsRequests && this.httpFlood.requestMethod !== HttpMethod.NONE ? this.forms.counted(this.heldPath[c], batch, i, client, server, true) : null;
    if (alert) this.emit(out, alert, batch, i);
    if (this.connFlood.enabled && (st & HELLO_HELD || (st & CLOSED && !(st & DATA)))) {
      alert = this.connFlood.connection(batch, i, client, server, st & HELLO_HELD ? ConnectionKind.TLS : ConnectionKind.EMPTY);
      if (alert) this.emit(out, alert, batch, i);
    }
    this.sockState[c] = st & ~HELLO_HELD;
  }

  /** Host `src` refused a stray segment of client `dst` (packet i, a bare RST): the client's per-source ACK flood. */
  private refused(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, out: Alert[]): void {
    if (this.refusedFlood === null) return;
    // the client's real sessions here, as far as this shard saw them (its connections with the host's side)
    const seen = this.grader !== null && this.grader.verifiedSince(dst, 0, -Infinity);
    this.raise(out, this.refusedFlood.count(batch, i, dst, src, seen));
  }

  private udp(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, v6: boolean, out: Alert[], t: VictimTally | null): void {
    const ts = batch.ts[i];
    const sp = batch.srcPort[i];
    const dp = batch.dstPort[i];
    const c = this.config;
    const group = isGroupDestination(batch, i, v6);
    const large = batch.payloadLen[i] >= c.udpAmplification.minPayload;
    if (this.unanswered && !group) {
      // graded by the rule itself: a datagram is forgeable evidence whatever else the source did
      this.raise(out, this.unanswered.datagram(batch, i, src, dst));
    }
    // SNMP community guessing: v1/v2c requests to an agent's port that it leaves unanswered
    // (once answered, the exchange's requests are UDP_ANSWERED, which empties the bucket)
    if (this.snmpGuesses && !group && dp === SNMP_PORT && snmpRequest(batch, i)) {
      this.raise(out, this.snmpGuesses.datagram(batch, i, src, dst));
    }
    // A QUIC client's Initial, which costs the server a key exchange (quic-initial.ts); never
    // a datagram that answers one of its destination's (the server's own Initials). Toward the
    // server's row, the Initial that opens an exchange, and what the client sends on an
    // exchange the server answered takes it back (the victim rule's QUIC flood: a forged
    // source never goes on, as a forged SYN never completes its handshake)
    if (!group && !(batch.flags[i] & PacketFlags.UDP_REPLY)) {
      const answered = (batch.flags[i] & PacketFlags.UDP_ANSWERED) !== 0;
      if (large && quicClientInitial(batch, i)) {
        if (t) this.toward(batch, i, v6, t, answered ? 'quicContinued' : 'quicInitial', 0);
        if (this.quicInitialFlood) this.raise(out, this.quicInitialFlood.count(batch, i, src, dst, (batch.flags[i] & PacketFlags.SOURCE_SEEN) !== 0));
      } else if (t && answered && quicLongHeader(batch, i)) this.toward(batch, i, v6, t, 'quicContinued', 0);
    }
    // A SIP server's status line (svcrack's guesses answered 403, svwar's 404s; the client is
    // the destination): the login rules' failures and challenges (login-rules.ts sipAnswer).
    // Only an answer to a SIP request (SIP_REPLY: its destination sent a SIP request line to
    // this port within the window, udp-exchanges.ts): the client is the destination, so an
    // unsolicited "SIP/2.0 403", or one forged in the name of a DNS server the client asked,
    // would blame whoever it is sent to.
    if (!group && batch.flags[i] & PacketFlags.SIP_REPLY && batch.head[i * PAYLOAD_HEAD_BYTES] === 0x53 && batch.payloadLen[i] >= PAYLOAD_HEAD_BYTES) this.login.sipAnswer(batch, i, dst, out);
    // A KDC's answer from port 88 to a client that sent it a datagram (UDP_REPLY): refused
    // logins and enumerated names (login-rules.ts kerberosAnswer); 0x7e a KRB-ERROR, 0x6b an AS-REP
    if (!group && sp === KERBEROS_PORT && batch.flags[i] & PacketFlags.UDP_REPLY && (batch.head[i * PAYLOAD_HEAD_BYTES] === 0x7e || batch.head[i * PAYLOAD_HEAD_BYTES] === 0x6b)) this.login.kerberosAnswer(batch, i, dst, out);
    if (t && sp !== dp) {
      // A large datagram toward a host may be an answer it never asked for (peers of
      // symmetric protocols, NTP 123↔123, IKE 500↔500, mDNS, are not reflections), unless it
      // comes from a sender's ephemeral port to a collector's port (udp-port-roles.ts: a
      // one-way report, syslog, NetFlow, SNMP traps, GELF, statsd; an amplifier answers
      // from its service's port); every datagram a host sends may solicit
      // answers from its peer.
      // A small one counts toward a UDP flood instead (hping3 --udp: empty datagrams), unless
      // it answers a datagram its destination sent (UDP_REPLY: solicited); a datagram that
      // answers one the source received is what cancels a flood (a server answering it).
      const reply = batch.flags[i] & PacketFlags.UDP_REPLY;
      const answer = large && !oneWayReport(sp, dp, c.udpAmplification.clientPortMin, this.reportPorts);
      if (!group && (large ? answer : !reply)) this.toward(batch, i, v6, t, large ? 'udpResp' : 'udpIn', batch.wirelen[i]);
      // a first fragment's later fragments carry no ports: they follow its verdict (a
      // report's are reports; an odd small first fragment's count, as they did; those to a
      // group never reach the verdict: later fragments to a group are passed over above)
      if (batch.flags[i] & PacketFlags.FRAGMENT) this.fragments.mark(batch, i, answer || !large);
      const r = v6 ? this.writer.row6(src as string, ts) : this.writer.row4(batch.src4[i], ts);
      if (r >= 0) {
        t.udpReqOut[r]++;
        if (reply) t.udpReplyOut[r]++;
        this.writer.peer('udpDstSketch', r, v6 ? mix32(hashText(dst as string)) : mix32(dst as number));
      }
    } else if (t && batch.flags[i] & PacketFlags.FRAGMENT) {
      // the same port at both ends: the first fragment is not counted (a symmetric peer's), its
      // later ones are, as they were before verdicts (a reflection forged from the
      // amplifier's own port, 11211→11211 or 53→53, still shows in its fragments)
      this.fragments.mark(batch, i, true);
    }
    // A new UDP flow from a client port is a connection opener; a server answering from a
    // privileged port never is (below), nor a large datagram (scanners' probes are small; a
    // reflector sending amplified answers to many ports of its victim is not scanning it).
    // Nor is a traceroute's probe (udp-port-roles.ts: TRACEROUTE_PORTS).
    // Nor is one from a sender whose openings are mostly answered (SOURCE_ANSWERED,
    // udp-exchanges.ts: a monitor polling live hosts; a sweep meets mostly silence).
    if (group || large || TRACEROUTE[dp] || batch.flags[i] & PacketFlags.SOURCE_ANSWERED) return;
    // From a privileged port (below 1024, RFC 6335 §6's System Ports): a service's answer to a
    // client's ephemeral port (a DNS server's, whether or not the capture saw the question) or
    // a symmetric peer's (NTP 123↔123, IKE 500↔500, syslog 514↔514, NetBIOS 137↔137) is no
    // opener, nor one that answers a datagram of its destination. One that answers nothing and
    // goes to another system port is a probe sent from a port a firewall lets in: nmap's
    // `--source-port 53` or `88` (its manual's "Firewall/IDS Evasion and Spoofing": DNS and
    // Kerberos answers are what naive rules pass), or a sweep of one port so (`-sU -p 161 -g
    // 53`). (A DHCP server's unicast offers and acks from 67 to the port 68 of hosts whose
    // requests were broadcast are unasked in the exchange table's eyes, but each carries
    // BOOTP's fixed 236 bytes and more, RFC 2131 §2: large, above.) The answer to a question
    // the capture did not see must look like one (udp-port-roles.ts mayAnswer: not empty;
    // from 53 a DNS header's bytes at least): nmap's empty probes from 53 to ports above 1023 answer nothing,
    // and a capture begun after its probes of the system ports holds only those. A symmetric
    // peer's datagram (an old BIND's query from 53 to 53) only has to carry something.
    if (sp < 1024 && (batch.flags[i] & PacketFlags.UDP_REPLY || (dp >= 1024 && mayAnswer(sp, batch.payloadLen[i])) || (sp === dp && batch.payloadLen[i] > 0))) return;
    const vertical = c.verticalScan.enabled && c.verticalScan.countUdp;
    const horizontal = c.horizontalScan.enabled && c.horizontalScan.countUdp && !this.exemptUdp[dp];
    if (!vertical && !horizontal) return;
    let s = this.sockets.find(src, dst, sp | UDP_PORT, dp);
    if (s >= 0) return;
    s = this.sockets.insert(src, dst, sp | UDP_PORT, dp);
    this.sockState[s] = UDP_FLOW;
    this.sockStart[s] = ts;
    if (vertical) this.vertical(batch, i, src, dst, dp | UDP_PORT, out);
    if (horizontal) this.horizontal(batch, i, src, dst, v6, dp | UDP_PORT, out);
  }

  private icmp(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, v6: boolean, out: Alert[], t: VictimTally | null): void {
    const type = batch.icmpType[i];
    const c = this.config;
    if (c.scanProbe.enabled && c.scanProbe.icmpProbes) {
      const kind = icmpProbeKind(v6, type, batch.icmpCode[i], batch.payloadLen[i]);
      if (kind !== ProbeKind.NONE) this.probe(batch, i, src, kind, out);
    }
    const group = isGroupDestination(batch, i, v6);
    if (t && !group && !(v6 && ICMPV6_LINK[type])) this.toward(batch, i, v6, t, 'icmp', batch.wirelen[i]);
    // an ICMP flood from the source: any message but an echo reply (a pinged host answering)
    // and the link's own (neighbour discovery, MLD); graded by the rule itself, forgeable
    const floods = !group && this.icmpSourceFlood !== null && type !== (v6 ? 129 : 0) && !(v6 && ICMPV6_LINK[type]);
    if (floods) this.raise(out, this.icmpSourceFlood!.count(batch, i, src, dst, (batch.flags[i] & PacketFlags.SOURCE_SEEN) !== 0));
    const echoRequest = type === (v6 ? 128 : 8);
    // its later fragments take this verdict (an echo reply's never count against the replier)
    if (batch.flags[i] & PacketFlags.FRAGMENT) {
      this.fragments.mark(batch, i, floods);
      this.echoFragments.mark(batch, i, echoRequest);
    }
    if (echoRequest) {
      if (t) this.echoOut(batch, i, src, v6, t);
      // (not from a sender whose echo requests and datagrams are mostly answered: a monitor)
      if (!group && c.horizontalScan.enabled && !(batch.flags[i] & PacketFlags.SOURCE_ANSWERED)) this.horizontal(batch, i, src, dst, v6, ICMP_ECHO, out);
    }
  }

  /**
   * A packet whose source is its own destination (the LAND attack, CVE-1999-0016: hping3
   * -a VICTIM VICTIM). A host talks to itself over loopback, never over a wire, so the source
   * is forged: the packet counts toward its destination's floods and nothing else (read as a
   * source's, a flood of them had the victim banned by its own half-open SYNs).
   */
  private ownAddress(batch: PacketBatch, i: number, v6: boolean, t: VictimTally | null): void {
    const n = ++this.forgedOwnAddress;
    if (!t || isGroupDestination(batch, i, v6)) return;
    const f = batch.flags[i];
    let column: 'syn' | 'stray' | 'udpIn' | 'icmp';
    if (f & PacketFlags.TCP) column = batch.tcpFlags[i] & SYN && !(batch.tcpFlags[i] & ACK) ? 'syn' : 'stray';
    else if (f & PacketFlags.UDP) column = 'udpIn';
    else if (f & (PacketFlags.ICMP | PacketFlags.ICMPV6)) column = 'icmp';
    else return;
    const w = this.writer;
    const ts = batch.ts[i];
    const r = v6 ? w.row6(batch.hostKey(i, 'dst') as string, ts) : w.row4(batch.dst4[i], ts);
    if (r < 0) return;
    t[column][r]++;
    if (column === 'icmp') t.icmpBytes[r] += batch.wirelen[i];
    // The forged source names no sender: each packet counts as one of its own, as a random-
    // source flood's do, so the victim rules' gate on distinct senders (one real sender is
    // the source rules' case, and these never reach them) lets a LAND flood through. The vote
    // for the top source names the address the packets carry: the victim's.
    if (v6) w.source(r, mix32(Math.imul(n, 0x9e3779b1)), 0, batch.hostKey(i, 'src') as string);
    else w.source(r, mix32(Math.imul(n, 0x9e3779b1)), batch.src4[i], '');
  }

  // ---- tally ------------------------------------------------------------------------

  /** Count packet i toward its destination's row (`bytes` also into the byte column where there is one). */
  private toward(batch: PacketBatch, i: number, v6: boolean, t: VictimTally, column: 'syn' | 'synAck' | 'completions' | 'stray' | 'udpResp' | 'udpIn' | 'icmp' | 'ipIn' | 'quicInitial' | 'quicContinued', bytes: number): void {
    const ts = batch.ts[i];
    const w = this.writer;
    const r = v6 ? w.row6(batch.hostKey(i, 'dst') as string, ts) : w.row4(batch.dst4[i], ts);
    if (r < 0) return;
    t[column][r]++;
    if (column === 'udpResp') t.udpRespBytes[r] += bytes;
    else if (column === 'icmp') t.icmpBytes[r] += bytes;
    if (column === 'completions' || column === 'quicContinued') return; // completions are not sources of a flood
    let h: number;
    if (v6) {
      const text = batch.hostKey(i, 'src') as string;
      h = mix32(hashText(text));
      w.source(r, h, 0, text);
    } else {
      const a = batch.src4[i] | 0;
      h = mix32(a);
      w.source(r, h, a, '');
    }
    if (column === 'udpResp') w.peer('udpSrcSketch', r, h);
    else if (column === 'ipIn') w.peer('ipSrcSketch', r, h);
  }

  // ---- rules ------------------------------------------------------------------------

  /** A connection opener (SYN, FIN/NULL/Xmas probe, new UDP flow) toward dst:dp. */
  /** A probe or connection opened to (dst, dp): the scan rules; returns what it counted (VHIT, HCOUNTED). */
  private opener(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, v6: boolean, dp: number, out: Alert[]): number {
    const v = this.config.verticalScan.enabled ? this.vertical(batch, i, src, dst, dp, out) : 0;
    return v | (this.config.horizontalScan.enabled ? this.horizontal(batch, i, src, dst, v6, dp, out) : 0);
  }

  /**
   * Counts a new port of (src, dst); VHIT when it was counted (a hit of the burst), else 0.
   *
   * The burst (5 new ports in 50 ms) fires on half-open SYNs: evidence anyone could forge.
   * When the source's verified connection to the host came earlier in the same scan (its
   * open port answered first), the alert's window is the bucket's episode, which counted
   * that port too, so the alert rests on it. When it still rests on forgeable evidence alone
   * and the source has had real sessions here, the responder spares it (policy.ts: a forger
   * must not get a real client banned); the rule then must not go quiet as a trip would make
   * it (the weakness found by test/forgery-netns.test.ts: the scanner was never banned). The
   * alert is *held*: the bucket is not emptied and keeps counting, no other spared alert of
   * the key is raised during the cooldown, and the key alerts again, once, when its evidence
   * is established: a later overflow over the episode, or, while the episode lasts, a
   * verified connection of the source to the host that it resets without sending a byte, as
   * a connect scan treats the open port it finds (`raiseHeld`). A real client's connection
   * carries data, so a burst forged in a client's name does not get the client banned when
   * it next connects (it would if any verified handshake raised the alert: 5 forged SYNs
   * and the client's next session within the episode's 25 s). So a key raises at most two alerts
   * per cooldown, and a forger gains nothing it could not get by sending 15 SYNs slowly,
   * which the bucket has always graded over its episode. (Suricata's `threshold` and Zeek's
   * notice suppression silence a signature per source after it fired; neither has a
   * responder that declines to act, which is what makes this alert's silence unwarranted.)
   */
  private vertical(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, port: number, out: Alert[]): number {
    const ts = batch.ts[i];
    const s = this.vSlot(src, dst);
    const k = this.vScan;
    // the slow bucket counts TCP ports only (an answer is a completed handshake)
    const tcp = port < UDP_PORT;
    const r = k.add(s, ts, port, tcp);
    if (r <= 0) {
      if (r === COOLING) this.suppressed++;
      return 0;
    }
    const cfg = this.config.verticalScan;
    const burst = this.vBurst.hit(s, ts);
    const over = (r & FAST_OVER) !== 0;
    const slowOver = (r & SLOW_OVER) !== 0 && !burst && !over;
    if (!burst && !over && !slowOver) return VHIT;
    const b = k.fast;
    let firstTs = slowOver ? k.slow!.firstTs(s) : over ? b.firstTs(s) : this.vBurst.windowStart(s);
    const g = this.grader;
    if (g && !over && !g.verifiedSince(src, dst, firstTs) && g.verifiedSince(src, dst, b.firstTs(s))) firstTs = b.firstTs(s);
    const spared = g !== null && batch.flags[i] & PacketFlags.SOURCE_SEEN && !g.verifiedSince(src, dst, firstTs);
    if (spared && k.held.holding(s, ts)) {
      // held already: counted, not raised again on the same kind of evidence
      this.suppressed++;
      this.vBurst.reset(s);
      k.capHeld(s, tcp);
      return VHIT;
    }
    const ports = k.count[s];
    let evidence: Record<string, number | string>;
    let score: number;
    if (slowOver) {
      const u = k.slow!;
      score = u.overflowScore(s, ts, firstTs);
      evidence = { ports, unanswered: u.levelOf(s), windowS: seconds(ts - firstTs), threshold: cfg.unansweredThreshold, leakPerS: cfg.unansweredLeakPerS, lastPort: port, proto: 'tcp' };
    } else if (over) {
      score = b.overflowScore(s, ts, firstTs);
      evidence = { ports, windowS: seconds(ts - firstTs), threshold: cfg.threshold, leakPerS: cfg.leakPerS, lastPort: port & 0xffff, proto: spaceName(port) };
    } else {
      const burstTs = this.vBurst.windowStart(s);
      score = riskScore(cfg.burstMaxretry, cfg.burstMaxretry, cfg.burstFindtimeS, ts - burstTs);
      evidence = { ports, burstPorts: cfg.burstMaxretry, windowS: seconds(ts - burstTs), findtimeS: cfg.burstFindtimeS, threshold: cfg.burstMaxretry, lastPort: port & 0xffff, proto: spaceName(port) };
    }
    this.vBurst.reset(s);
    const alert = ruleAlert('port-scan-vertical', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, evidence);
    this.emit(out, alert, batch, i);
    k.settle(alert, s, ts, score);
    return VHIT;
  }

  /**
   * The held key's source reset a verified, silent connection to the host (packet i, to port
   * dp) while the scan's episode lasts: the scan's alert again, over the episode, now
   * established. (Once the episode has leaked away, the connection is no part of it.)
   */
  private raiseHeld(batch: PacketBatch, i: number, s: number, dp: number, out: Alert[]): void {
    const ts = batch.ts[i];
    const k = this.vScan;
    // the held alert's episode, not one begun since (by this very connection, say)
    const lasts = k.heldEpisode(s, ts);
    if (lasts === 0) return;
    const firstTs = k.episodeStart(s, lasts);
    const cfg = this.config.verticalScan;
    this.vBurst.reset(s);
    this.emit(out, ruleAlert('port-scan-vertical', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), k.held.score(s), ts, firstTs, true, {
      ports: k.count[s], windowS: seconds(ts - firstTs), threshold: lasts & FAST_OVER ? cfg.burstMaxretry : cfg.unansweredThreshold, verifiedPort: dp, proto: 'tcp',
    }), batch, i);
    k.raised(s, ts);
  }

  /** The (source, host) slot of the vertical rule and the connect probes, made if absent. */
  private vSlot(src: AddressKey, dst: AddressKey): number {
    let s = this.vScan.find(src, dst, 0);
    if (s < 0) {
      s = this.vScan.insert(src, dst, 0);
      this.vBurst.reset(s);
      this.vLastAbort[s] = -Infinity;
      this.vAbortCounted[s] = 0;
      this.vAbortOverlap[s] = 0;
      this.vEmptyEnd[s] = -Infinity;
    }
    return s;
  }

  /**
   * An ARP request broadcast for another host (nmap's ARP ping, arp-scan, netdiscover): a
   * host of the sender's ARP sweep. Not an RFC 5227 probe (sender 0.0.0.0) nor an announcement (sender =
   * target). ARP has no handshake: the alert's grade is forgeable, as a SYN sweep's.
   */
  private arp(batch: PacketBatch, i: number, out: Alert[]): void {
    const c = this.config.horizontalScan;
    // broadcast only: a host revalidates the neighbours it already knows by unicast (Linux's
    // ucast_solicit probes), so a router refreshing hundreds of clients' entries asks each
    // one directly; what is new to a sender is asked of the whole link
    if (!c.enabled || !c.countArp || batch.arpOp[i] !== 1 || !(batch.flags[i] & PacketFlags.ARP_BROADCAST)) return;
    const sender = batch.src4[i];
    if (sender === 0 || sender === batch.dst4[i]) return;
    this.horizontal(batch, i, batch.flowKey(i, 'src'), batch.flowKey(i, 'dst'), false, ARP_WHO_HAS, out);
  }

  /** Counts a new host of (src, port); HCOUNTED when it was counted, else 0. */
  private horizontal(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, v6: boolean, port: number, out: Alert[]): number {
    const ts = batch.ts[i];
    const k = this.hScan;
    const s = k.slot(src, 0, port);
    // the slow bucket counts TCP ports only (a UDP or ICMP peer's answer is not tracked)
    const tcp = port < UDP_PORT;
    const r = k.add(s, ts, v6 ? hashText(dst as string) : (dst as number), tcp);
    if (r <= 0) {
      if (r === COOLING) this.suppressed++;
      return 0;
    }
    // an attempt that spent credit put no unit in the slow bucket: none to take back
    const counted = r & CREDITED ? HCOUNTED | SLOW_BACK : HCOUNTED;
    if (!(r & (FAST_OVER | SLOW_OVER))) return counted;
    const cfg = this.config.horizontalScan;
    // held (see held-alerts.ts): counted, raised again only by a connection of the sweep
    // (raiseHeldSweep). Its grade looks at verified segments to ANY host since the episode
    // began, so a later overflow must not raise it: a client framed by a forged sweep of its
    // web port would be banned by its own next page.
    if (k.held.holding(s, ts)) {
      this.suppressed++;
      k.capHeld(s, tcp);
      return counted;
    }
    let alert: Alert;
    let score: number;
    if (r & SLOW_OVER) {
      // that many hosts never completed a handshake on the port
      const u = k.slow!;
      const firstTs = u.firstTs(s);
      score = u.overflowScore(s, ts, firstTs);
      alert = ruleAlert('port-scan-horizontal', batch.formatAddress(i, 'src'), '*', score, ts, firstTs, true, {
        hosts: k.count[s], unanswered: u.levelOf(s), port: port & 0xffff, proto: 'tcp', windowS: seconds(ts - firstTs), threshold: cfg.unansweredThreshold, leakPerS: cfg.unansweredLeakPerS,
      });
    } else {
      const b = k.fast;
      const firstTs = b.firstTs(s);
      score = b.overflowScore(s, ts, firstTs);
      const proto = port === ICMP_ECHO ? 'icmp-echo' : port === ARP_WHO_HAS ? 'arp' : port & UDP_PORT ? 'udp' : 'tcp';
      alert = ruleAlert('port-scan-horizontal', batch.formatAddress(i, 'src'), '*', score, ts, firstTs, true, {
        hosts: k.count[s], port: port & 0xffff, proto, windowS: seconds(ts - firstTs), threshold: cfg.threshold, leakPerS: cfg.leakPerS,
      });
    }
    this.emit(out, alert, batch, i);
    k.settle(alert, s, ts, score);
    return counted;
  }

  /**
   * The held sweep's source reset a verified, silent connection on the swept port (packet i)
   * while the sweep's episode lasts: the sweep's alert again, now established.
   */
  private raiseHeldSweep(batch: PacketBatch, i: number, s: number, dp: number, out: Alert[]): void {
    const ts = batch.ts[i];
    const k = this.hScan;
    const lasts = k.heldEpisode(s, ts);
    if (lasts === 0) return;
    const firstTs = k.episodeStart(s, lasts);
    this.emit(out, ruleAlert('port-scan-horizontal', batch.formatAddress(i, 'src'), '*', k.held.score(s), ts, firstTs, true, {
      hosts: k.count[s], port: dp, proto: 'tcp', windowS: seconds(ts - firstTs), verifiedHost: batch.formatAddress(i, 'dst'),
    }), batch, i);
    k.raised(s, ts);
  }

  /**
   * A connect probe: a handshake reset with no data. Two on one host within
   * connectAbortRepeatS count (both) when either overlapped another empty attempt of the
   * source on the host (`emptyEnd`; with connectAbortOverlap false, whether or not): a
   * scanner keeps its probes in flight at once (nmap's discovery connects to 80 and 443
   * together, its connect and version scans run in parallel), while a health checker opens
   * one check at a time, spread over its interval, each closed within a round trip, however
   * many ports of the host it checks and however often (rules-config.ts). Each probe counts
   * once: one within connectAbortRepeatS of a probe counted already adds itself only (three
   * in a row are three, not two pairs).
   */
  private connectAbort(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey, ts: number, out: Alert[], verified: boolean, start: number): void {
    const v = this.vSlot(src, dst);
    const overlap = this.emptyEnd(v, start, ts);
    const last = this.vLastAbort[v];
    const lastCounted = this.vAbortCounted[v] === 1;
    const lastOverlap = this.vAbortOverlap[v] === 1;
    this.vLastAbort[v] = ts;
    this.vAbortOverlap[v] = overlap ? 1 : 0;
    const gap = ts - last;
    const repeat = gap >= 0 && gap <= this.config.scanProbe.connectAbortRepeatS && (overlap || lastOverlap || !this.config.scanProbe.connectAbortOverlap);
    this.vAbortCounted[v] = repeat ? 1 : 0;
    if (!repeat) return;
    if (lastCounted) this.probe(batch, i, src, ProbeKind.CONNECT_ABORT, out, 1, ts, verified);
    else this.probe(batch, i, src, ProbeKind.CONNECT_ABORT, out, 2, last, verified);
  }

  /**
   * An empty attempt of the source on host slot v ended at `ts` (its SYN at `start`): a
   * connect probe, or a handshake it reset unfinished. Whether it overlapped the one before
   * (which ended last, so they overlap when this one began before that one ended); when that
   * one was the host's last connect probe, the probe is marked as overlapping too (the
   * attempt it overlapped may end after it: nmap's abandoned 443 is reset after its 80 probe).
   */
  private emptyEnd(v: number, start: number, ts: number): boolean {
    const prevEnd = this.vEmptyEnd[v];
    const overlap = start <= prevEnd;
    if (overlap && prevEnd === this.vLastAbort[v]) this.vAbortOverlap[v] = 1;
    this.vEmptyEnd[v] = ts;
    return overlap;
  }

  /**
   * The source completed a handshake on TCP port dp: one host of its sweep of that port
   * answered, and is taken back out of both buckets (as Zeek counts failed attempts only).
   */
  private answered(src: AddressKey, dp: number, ts: number, slow = true): void {
    const s = this.hScan.find(src, 0, dp);
    if (s >= 0) this.hScan.takeBack(s, ts, true, slow);
  }

  /**
   * `units` probes, the first of them at `startTs`; `verified`: a connect probe on a verified
   * connection, the one kind of probe that raises a held alert again (held-alerts.ts).
   */
  private probe(batch: PacketBatch, i: number, src: AddressKey, kind: number, out: Alert[], units = 1, startTs = batch.ts[i], verified = false): void {
    const ts = batch.ts[i];
    const s = this.sourceSlot(src);
    const b = this.probeBuckets;
    if (b.cooling(s, ts)) {
      this.suppressed++;
      return;
    }
    if (b.leakTo(s, ts) === 0) {
      this.probeKinds[s] = 0;
      this.probeCount[s] = 0;
    }
    this.probeKinds[s] |= 1 << kind;
    this.probeCount[s] += units;
    if (!b.pour(s, ts, units, startTs)) return;
    const cfg = this.config.scanProbe;
    if (!verified && this.pHeld.holding(s, ts)) {
      this.suppressed++;
      b.cap(s, cfg.threshold);
      return;
    }
    const firstTs = b.firstTs(s);
    const score = b.overflowScore(s, ts, firstTs);
    const kinds: string[] = [];
    for (let k = 1; k < PROBE_NAMES.length; k++) if (this.probeKinds[s] & (1 << k)) kinds.push(PROBE_NAMES[k]);
    const alert = ruleAlert('scan-probe', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, {
      probes: this.probeCount[s], kinds: kinds.join(','), last: PROBE_NAMES[kind], windowS: seconds(ts - firstTs), threshold: cfg.threshold, leakPerS: cfg.leakPerS,
    });
    this.emit(out, alert, batch, i);
    this.pHeld.settle(alert, b, s, ts, score);
  }

  /**
   * Whether server segment i of socket s carries a byte not seen before, moving the socket's
   * furthest byte on. One whose bytes were all seen is a retransmission (the server's TCP
   * resending what the client did not acknowledge within its RTO, RFC 6298; or a capture that
   * saw it twice): the answer readers read each byte once, as Zeek's reassembly hands its
   * analyzers, so a resent FTP 530, SSH failure or HTTP 404 is not a second one. Sequence
   * numbers compare modulo 2^32 (RFC 9293 §3.4); a segment past a gap (one the capture lost)
   * is read.
   */
  private newBytes(s: number, batch: PacketBatch, i: number): boolean {
    const end = (batch.tcpSeq[i] + batch.payloadLen[i]) | 0;
    if (((end - this.serverNext[s]) | 0) <= 0) return false;
    this.serverNext[s] = end;
    return true;
  }

  private halfOpen(batch: PacketBatch, i: number, src: AddressKey, units: number, out: Alert[]): void {
    const ts = batch.ts[i];
    const s = this.sourceSlot(src);
    const b = this.halfBuckets;
    if (b.cooling(s, ts)) {
      if (units > 0) this.suppressed++;
      return;
    }
    if (b.leakTo(s, ts) === 0) {
      if (units < 0) return; // nothing outstanding to complete
      this.halfSyns[s] = 0;
      this.halfDone[s] = 0;
    }
    if (units > 0) this.halfSyns[s]++;
    else this.halfDone[s]++;
    if (!b.pour(s, ts, units)) return;
    const cfg = this.config.halfOpen;
    const firstTs = b.firstTs(s);
    const level = b.levelOf(s);
    const score = b.overflowScore(s, ts, firstTs);
    b.trip(s, ts);
    this.emit(out, ruleAlert('syn-flood', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, {
      halfOpen: level, syns: this.halfSyns[s], completed: this.halfDone[s], windowS: seconds(ts - firstTs), threshold: cfg.threshold, leakPerS: cfg.leakPerS,
    }), batch, i);
  }

  private sourceSlot(src: AddressKey): number {
    let s = this.sources.find(src, 0, 0, 0);
    if (s < 0) {
      s = this.sources.insert(src, 0, 0, 0);
      this.halfBuckets.reset(s);
      this.probeBuckets.reset(s);
      this.pHeld.release(s);
      this.probeKinds[s] = 0;
      this.probeCount[s] = 0;
      this.halfSyns[s] = 0;
      this.halfDone[s] = 0;
    }
    return s;
  }

  /** Raises an alert made from packet i, whose source is the alert's: graded here when there is a grader. */
  private emit(out: Alert[], alert: Alert, batch: PacketBatch, i: number): void {
    if (this.grader) this.grader.grade(alert, (batch.flags[i] & PacketFlags.SOURCE_SEEN) !== 0);
    this.raise(out, alert);
  }

  /** An alert its rule graded itself (the per-source floods and guessing over UDP and ICMP: forgeable), if any. */
  private raise(out: Alert[], alert: Alert | null): void {
    if (alert === null) return;
    this.alerts++;
    out.push(alert);
  }
}
