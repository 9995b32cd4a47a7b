// Made-up traffic of every kind the packet path meets, as Ethernet frames decoded into a
// batch (the real decoder): TCP connections with their handshakes, banners and ends (IPv4
// and IPv6, Don't Fragment set as hosts send it), an nmap SYN scan (its window, no DF) and its
// replies, stealth scans (XMAS, NULL, FIN, ACK), replies to connections never seen (backscatter),
// a spoofed SYN flood, DNS and one-datagram UDP, ICMP echo and unreachables, IPv4 fragments and
// options, ARP. Its clock jumps now and then (`GAP_EVERY`), so flows go idle and end, buckets
// leak and time slots roll over, as in a capture of minutes. Deterministic; every address private
// or reserved. It allocates a little per packet, which is fine at start, its only use. For the warm-up (detect/warm-up.ts), which runs it through throwaway shards
// before a node takes traffic: every hot function then meets every row kind before it is
// optimised, and is not thrown back when the first IPv6 row or fragment arrives.

import { decodeFrame } from './decode.ts';
import { DecodeStats } from './decode-stats.ts';
import { LinkType } from './link-types.ts';
import type { PacketBatch } from './packet-batch.ts';
import { ETHERNET_HEADER as ETH, put16, put32, writeArp, writeEthernet, writeIpv4, writeIpv6, writeTcp, writeUdp } from './frame-writer.ts';
import * as P from './synthetic-payloads.ts';

const SYN = 0x02, RST = 0x04, FIN = 0x01, ACK = 0x10, PSH = 0x08, URG = 0x20;
const DST_MAC = [0, 0, 0, 0, 0, 1];
const SRC_MAC = [0, 0, 0, 0, 0, 2];
const NO_MAC = [0, 0, 0, 0, 0, 0];
/** ARP requests go to every host; LLDP to its nearest-bridge group (IEEE 802.1AB). */
const BROADCAST_MAC = [255, 255, 255, 255, 255, 255];
const LLDP_MAC = [0x01, 0x80, 0xc2, 0, 0, 0x0e];
/** Episodes in a cycle (see `episode`): each makes a few to a few dozen packets. */
const EPISODES = 15;
/** Every this many episodes the clock jumps `GAP_S` (about every 500 packets). */
const GAP_EVERY = 32;
/** Longer than the flow meter's idle timeout (15 s by default): what was open before the jump ends idle. */
const GAP_S = 16;
/** A spec that makes no packet: the clock jumps by its second field (seconds). */
const JUMP = 0;
/** TCP windows: a host's, and nmap's SYN scan's (one of scanProbe.nmapSynWindows). */
const WINDOW = 64240, NMAP_WINDOW = 1024;

/** Server banners and requests the rules read in a payload's head (a spec names one by its place here, from 1). */
const HEADS: Uint8Array[] = ['SSH-2.0-OpenSSH_9.6', '220 mail ESMTP', 'HTTP/1.1 200 OK', 'GET / HTTP/1.1'].map((s) => new TextEncoder().encode(s));
/** A spec's number for `payload` (added to HEADS once). */
function head(payload: Uint8Array): number {
  const at = HEADS.indexOf(payload);
  return at >= 0 ? at + 1 : HEADS.push(payload);
}
/** A login service's exchange: who speaks (0 the server, 1 the client) and what, in turn; refused, and accepted the other time. */
const LOGINS: Array<{ port: number; refused: Array<[0 | 1, Uint8Array]>; accepted: Array<[0 | 1, Uint8Array]> }> = [
  { port: 22, refused: [[0, P.SSH_CLIENT_BANNER], [1, P.SSH_CLIENT_BANNER], [0, P.SSH_KEXINIT], [1, P.SSH_KEXINIT], [1, P.SSH_ENCRYPTED], [0, P.SSH_ENCRYPTED], [1, P.SSH_ENCRYPTED], [0, P.SSH_ENCRYPTED]], accepted: [[0, P.SSH_CLIENT_BANNER], [1, P.SSH_CLIENT_BANNER], [0, P.SSH_KEXINIT], [1, P.SSH_KEXINIT], [1, P.SSH_ENCRYPTED], [0, P.SSH_ENCRYPTED], [1, P.SSH_ENCRYPTED], [0, P.SSH_ENCRYPTED], [1, P.SSH_ENCRYPTED], [0, P.SSH_ENCRYPTED], [1, P.SSH_ENCRYPTED], [0, P.SSH_ENCRYPTED], [0, P.SSH_ENCRYPTED]] },
  { port: 21, refused: [[0, P.FTP[0]!], [1, P.FTP[1]!], [0, P.FTP[2]!], [1, P.FTP[3]!], [0, P.FTP[4]!]], accepted: [[0, P.FTP[0]!], [1, P.FTP[1]!], [0, P.FTP[2]!], [1, P.FTP[3]!], [0, P.FTP[5]!]] },
  { port: 25, refused: [[0, P.SMTP[0]!], [1, P.SMTP[1]!], [0, P.SMTP[2]!], [1, P.SMTP[3]!], [0, P.SMTP[4]!]], accepted: [[0, P.SMTP[0]!], [1, P.SMTP[1]!], [0, P.SMTP[2]!], [1, P.SMTP[3]!], [0, P.SMTP[5]!]] },
  { port: 110, refused: [[0, P.POP3[0]!], [1, P.POP3[1]!], [0, P.POP3[2]!], [1, P.POP3[3]!], [0, P.POP3[4]!]], accepted: [[0, P.POP3[0]!], [1, P.POP3[1]!], [0, P.POP3[2]!], [1, P.POP3[3]!], [0, P.POP3[5]!]] },
  { port: 3306, refused: [[0, P.MYSQL[0]!], [1, P.MYSQL[1]!], [0, P.MYSQL[2]!]], accepted: [[0, P.MYSQL[0]!], [1, P.MYSQL[1]!]] },
  { port: 80, refused: [[1, P.HTTP_POST_LOGIN], [0, P.HTTP_STATUSES[3]!]], accepted: [[1, P.HTTP_POST_LOGIN], [0, P.HTTP_STATUSES[1]!]] },
];
/** Payload lengths of the heads a real packet carries more of (a head alone otherwise). */
const LENGTHS = new Map<Uint8Array, number>([[P.TLS_CLIENT_HELLO, 517], [P.TLS_SERVER_HELLO, 1400], [P.TLS_APPLICATION_DATA, 1200], [P.MYSQL[0]!, 78], [P.SSH_KEXINIT, 1400], [P.SSH_ENCRYPTED, 52]]);
/** The frame's size: Ethernet's 1,514 bytes. */
const FRAME = 1514;

export class SyntheticTraffic {
  /** One frame at a time is written here, then decoded into the batch (a Buffer, as captures and files hand the decoder). */
  private readonly frame: Uint8Array = Buffer.alloc(FRAME);
  private readonly stats = new DecodeStats();
  /** The IPv6 addresses of the packet being written: the IPv4 numbers under 2001:db8::/64. */
  private readonly src6 = v6Scratch();
  private readonly dst6 = v6Scratch();
  /** Packets queued by the current episode, as frame specs (written lazily, in order). */
  private readonly queue: number[][] = [];
  private episodeNo = 0;
  /** Capture time of the next packet, seconds (the epoch of a plausible capture). */
  private ts = 1_700_000_000;

  /** Packets made so far. */
  made = 0;

  /** Fills `batch` (length = capacity) with the next packets. */
  fill(batch: PacketBatch): void {
    batch.clear();
    const n = batch.capacity;
    for (let i = 0; i < n; i++) {
      if (this.queue.length === 0) this.episode(this.episodeNo++);
      const spec = this.queue.shift()!;
      if (spec[0] === JUMP) {
        this.ts += spec[1]!;
        i--;
        continue;
      }
      const len = this.write(spec);
      this.ts += 0.00002;
      decodeFrame(batch, i, this.frame, 0, len, len, LinkType.ETHERNET, this.ts, this.stats);
      batch.length = i + 1;
      this.made++;
    }
  }

  // A spec: [kind, ...fields]; kinds: 4 TCP/IPv4, 6 TCP/IPv6, 17 UDP/IPv4, 18 UDP/IPv6, 1 ICMP,
  // 44 a fragment, 8 ARP, 0 (JUMP) the clock jumps. TCP: [v, src, dst, sport, dport, seq, ack,
  // flags, head (0: no payload, else HEADS[head - 1]), ttl, window?, no DF?, payload length?
  // (the head's length if absent)]. UDP: [v, src, dst, sport, dport, payload length, ttl,
  // head?]. ICMPv6 (58): [58, src, dst, type, code, hop limit].
  private episode(k: number): void {
    const q = this.queue;
    if (k % GAP_EVERY === GAP_EVERY - 1) q.push([JUMP, GAP_S]);
    const a = (k >>> 4) & 255;
    const b = k & 15;
    const client = (10 << 24) | (a << 16) | (b << 8) | ((k * 7) & 255);
    const server = (192 << 24) | (0 << 16) | (2 << 8) | (k % 8);
    const sport = 32768 + (k % 28000);
    const dport = [22, 80, 443, 25][k % 4]!;
    const isn = (k * 2654435761) >>> 0;
    const sisn = (isn ^ 0x5bd1e995) >>> 0;
    switch (k % EPISODES) {
      case 0:
      case 1:
      case 2:
      case 3: {
        const v = k % EPISODES === 3 ? 6 : 4;
        const head = k % 4;
        q.push([v, client, server, sport, dport, isn, 0, SYN, 0, 64]);
        q.push([v, server, client, dport, sport, sisn, isn + 1, SYN | ACK, 0, 56]);
        q.push([v, client, server, sport, dport, isn + 1, sisn + 1, ACK, 0, 64]);
        q.push([v, server, client, dport, sport, sisn + 1, isn + 1, PSH | ACK, 1 + (head & 1 ? 0 : 1), 56]);
        q.push([v, client, server, sport, dport, isn + 1, sisn + 40, PSH | ACK, 4, 64]);
        q.push([v, client, server, sport, dport, isn + 60, sisn + 40, FIN | ACK, 0, 64]);
        q.push([v, server, client, dport, sport, sisn + 40, isn + 61, FIN | ACK, 0, 56]);
        q.push([v, client, server, sport, dport, isn + 61, sisn + 41, ACK, 0, 64]);
        break;
      }
      case 4: {
        // A SYN scan: closed ports answer RST-ACK, one SYN-ACK, then the scanner's RST. A few
        // scanners come back episode after episode (across the clock's jumps: their buckets leak).
        const scanner = (198 << 24) | (18 << 16) | (k % 7);
        for (let p = 0; p < 24; p++) {
          const port = 1 + ((k + p * 37) % 1024);
          q.push([4, scanner, server, 40000, port, isn, 0, SYN, 0, 50, NMAP_WINDOW, 1]);
          if (p === 5) {
            q.push([4, server, scanner, port, 40000, sisn, isn + 1, SYN | ACK, 0, 56]);
            q.push([4, scanner, server, 40000, port, isn + 1, 0, RST, 0, 50]);
          } else q.push([4, server, scanner, port, 40000, 0, isn + 1, RST | ACK, 0, 56]);
        }
        break;
      }
      case 5:
        q.push([17, client, server, sport, 53, 40, 64]);
        q.push([17, server, client, 53, sport, 120, 56]);
        if (k % 64 === 5) {
          // the same flow again after its idle timeout, in the same batch
          q.push([JUMP, GAP_S]);
          q.push([17, client, server, sport, 53, 40, 64]);
        }
        q.push([17, client, server, sport, 1024 + (k % 60000), 8, 64]);
        q.push([18, client, server, sport, 123, 48, 64]);
        break;
      case 6:
        q.push([1, client, server, 8, 0, 64]);
        q.push([1, server, client, 0, 0, 56]);
        q.push([1, server, client, 3, 3, 56]);
        break;
      case 7:
        q.push([44, client, server, sport, 5353, 0, 64]);
        q.push([44, client, server, sport, 5353, 185, 64]);
        q.push([8, server, server ^ 1]);
        if ((k >>> 4) % 4 === 0) {
          q.push([88]);
          q.push([45, client, server, 64]);
        }
        // IPv4 with options (a router alert): IGMP-like, to a multicast group
        q.push([24, client, 0xe00000fb, 64]);
        break;
      case 8: {
        // Stealth scans (XMAS, NULL, FIN, an ACK scan's bare ACK) and the closed ports' RSTs,
        // then replies to connections this side never saw: a SYN-ACK and RSTs (backscatter).
        const scanner = (198 << 24) | (19 << 16) | (k % 5);
        const probes = [FIN | PSH | URG, 0, FIN, ACK];
        for (let p = 0; p < 8; p++) {
          const port = 1 + ((k * 13 + p * 101) % 1024);
          const f = probes[p & 3]!;
          q.push([4, scanner, server, 50000 + (k & 255), port, f === ACK ? 0 : isn + p, 0, f, 0, 45, NMAP_WINDOW, 1]);
          q.push([4, server, scanner, port, 50000 + (k & 255), f === ACK ? 0 : 0, isn + p + 1, f === ACK ? RST : RST | ACK, 0, 56]);
        }
        q.push([v4or6(k), server, client, dport, sport, sisn, isn + 1, SYN | ACK, 0, 56]);
        q.push([4, server, client, dport, sport + 1, sisn, 0, RST, 0, 56]);
        q.push([4, client, server, sport + 2, dport, isn, 0, RST | ACK, 0, 64]);
        break;
      }
      case 11:
        this.web(k, client, server, sport, isn, sisn);
        break;
      case 12:
        this.login(k, client, server, sport, isn, sisn);
        break;
      case 13:
        this.services(k, client, server, sport);
        this.reflected(k, client, server);
        break;
      case 14: {
        // Segments of connections opened before the capture began (a capture started
        // mid-flow, as most do): data both ways, no handshake seen, IPv6 every other time.
        const v = k & 1 ? 6 : 4;
        const port = [443, 22][(k >>> 1) & 1]!;
        const data = head(port === 443 ? P.TLS_APPLICATION_DATA : P.SSH_ENCRYPTED);
        for (let p = 0; p < 4; p++) {
          q.push([v, client, server, sport, port, isn + p * 100, sisn + p * 900, PSH | ACK, data, 64, WINDOW, 0, 100]);
          q.push([v, server, client, port, sport, sisn + p * 900, isn + p * 100 + 100, PSH | ACK, data, 56, WINDOW, 0, 900]);
          q.push([v, client, server, sport, port, isn + p * 100 + 100, sisn + p * 900 + 900, ACK, 0, 64, WINDOW]);
        }
        break;
      }
      default:
        // A spoofed SYN flood: a new source a packet, within 198.18.0.0/15 (RFC 2544's
        // benchmarking block: reserved, so the node's GeoIP lookup tags it, never caches it).
        for (let p = 0; p < 16; p++) {
          const forged = (0xc6120000 | ((((k * 16 + p) * 2246822519) >>> 0) & 0x1ffff)) >>> 0;
          q.push([4, forged, server, 1024 + ((k * 16 + p) % 60000), 80, (forged * 3) >>> 0, 0, SYN, 0, 30 + (p % 200)]);
        }
    }
  }

  /**
   * A connection, its handshake, then `lines` (who speaks: 0 the server, 1 the client; what:
   * a head), each acknowledged, then both ends close.
   */
  private connection(v: number, client: number, server: number, sport: number, dport: number, isn: number, sisn: number, lines: ReadonlyArray<readonly [number, Uint8Array]>): void {
    const q = this.queue;
    q.push([v, client, server, sport, dport, isn, 0, SYN, 0, 64]);
    q.push([v, server, client, dport, sport, sisn, isn + 1, SYN | ACK, 0, 56]);
    let c = isn + 1, sv = sisn + 1;
    q.push([v, client, server, sport, dport, c, sv, ACK, 0, 64, WINDOW]);
    for (const [who, payload] of lines) {
      const len = LENGTHS.get(payload) ?? payload.length;
      if (who === 1) {
        q.push([v, client, server, sport, dport, c, sv, PSH | ACK, head(payload), 64, WINDOW, 0, len]);
        c += len;
        q.push([v, server, client, dport, sport, sv, c, ACK, 0, 56, WINDOW]);
      } else {
        q.push([v, server, client, dport, sport, sv, c, PSH | ACK, head(payload), 56, WINDOW, 0, len]);
        sv += len;
        q.push([v, client, server, sport, dport, c, sv, ACK, 0, 64, WINDOW]);
      }
    }
    q.push([v, client, server, sport, dport, c, sv, FIN | ACK, 0, 64, WINDOW]);
    q.push([v, server, client, dport, sport, sv, c + 1, FIN | ACK, 0, 56, WINDOW]);
    q.push([v, client, server, sport, dport, c + 1, sv + 1, ACK, 0, 64, WINDOW]);
  }

  /** A browser's visit: HTTPS (a TLS handshake, then records both ways), and every other time HTTP with one of its status lines. */
  private web(k: number, client: number, server: number, sport: number, isn: number, sisn: number): void {
    const v = v4or6(k);
    this.connection(v, client, server, sport, 443, isn, sisn, [[1, P.TLS_CLIENT_HELLO], [0, P.TLS_SERVER_HELLO], [0, P.TLS_APPLICATION_DATA], [1, P.TLS_APPLICATION_DATA], [0, P.TLS_APPLICATION_DATA], [0, P.TLS_APPLICATION_DATA]]);
    if (k & 1) this.connection(v, client, server, sport + 1, 80, isn + 7, sisn + 7, [[1, P.HTTP_GET], [0, P.HTTP_STATUSES[(k >>> 1) % P.HTTP_STATUSES.length]!]]);
  }

  /** A login to one of the services the login rules follow (SSH, FTP, SMTP, POP3, MySQL, a web form), refused or not. */
  private login(k: number, client: number, server: number, sport: number, isn: number, sisn: number): void {
    const l = LOGINS[(k >>> 1) % LOGINS.length]!;
    const v = k % 4 === 1 ? 6 : 4;
    this.connection(v, client, server, sport, l.port, isn, sisn, (k >>> 4) % 3 === 0 ? l.accepted : l.refused);
    // A port check (a monitor's, nmap -sT's): connected, then reset at once.
    const q = this.queue;
    q.push([v, client, server, sport + 1, l.port, isn, 0, SYN, 0, 64]);
    q.push([v, server, client, l.port, sport + 1, sisn, isn + 1, SYN | ACK, 0, 56]);
    if (k & 2) q.push([v, client, server, sport + 1, l.port, isn, 0, SYN, 0, 64]); // its SYN again, the SYN-ACK late
    q.push([v, client, server, sport + 1, l.port, isn + 1, sisn + 1, ACK, 0, 64, WINDOW]);
    q.push([v, client, server, sport + 1, l.port, isn + 1, sisn + 1, RST | ACK, 0, 64, WINDOW]);
  }

  /**
   * Answers nobody here asked for, from reflectors abused against a client (DNS, NTP, SSDP,
   * memcached), and a SYN in the client's name with another hop count than its own packets
   * carry (spoofed).
   */
  private reflected(k: number, client: number, server: number): void {
    const q = this.queue;
    const r = (k >>> 1) % P.REFLECTED.length;
    for (let p = 0; p < 8; p++) {
      const reflector = (203 << 24) | (0 << 16) | (113 << 8) | ((k * 8 + p) & 255);
      q.push([17, reflector, client, P.REFLECTED_PORTS[r]!, 1024 + ((k * 977 + p * 131) % 64000), 400 + p * 60, 50 + (p & 7), head(P.REFLECTED[r]!)]);
    }
    q.push([4, client, server, 40000 + (k & 4095), 80, k * 3, 0, SYN, 0, 113]);
  }

  /** UDP services and their answers (DNS, NTP, a QUIC connection's Initials, SIP), ICMPv6's echo and neighbour discovery, and a port unreachable. */
  private services(k: number, client: number, server: number, sport: number): void {
    const q = this.queue;
    const v = k & 1 ? 18 : 17;
    q.push([v, client, server, sport, 53, P.DNS_QUERY.length, 64, head(P.DNS_QUERY)]);
    q.push([v, server, client, 53, sport, P.DNS_ANSWER.length + 16, 56, head(P.DNS_ANSWER)]);
    q.push([17, client, server, 123, 123, 48, 64, head(P.NTP_CLIENT)]);
    q.push([17, server, client, 123, 123, 48, 56, head(P.NTP_SERVER)]);
    q.push([v, client, server, sport + 1, 443, 1200, 64, head(P.QUIC_CLIENT_INITIAL)]);
    q.push([v, server, client, 443, sport + 1, 1200, 56, head(P.QUIC_SERVER_INITIAL)]);
    q.push([v, client, server, sport + 1, 443, 1200, 64, head(P.QUIC_CLIENT_INITIAL)]);
    q.push([17, client, server, 5060, 5060, 180, 64, head(P.SIP[0]!)]);
    q.push([17, server, client, 5060, 5060, 320, 56, head(P.SIP[1]!)]);
    q.push([58, client, server, 128, 0, 64]); // echo request
    q.push([58, server, client, 129, 0, 56]); // echo reply
    q.push([58, client, server, 135, 0, 255]); // neighbour solicitation
    q.push([17, client, server, sport + 2, 33434 + (k % 30), 32, 1]); // a traceroute's probe
    q.push([1, server, client, 3, 3, 56]);
  }

  /** Writes the frame `spec` describes; returns its length. */
  private write(s: number[]): number {
    const f = this.frame;
    f.fill(0, 0, 192);
    const v6 = s[0] === 6 || s[0] === 18 || s[0] === 58;
    writeEthernet(f, 0, v6 ? 0x86dd : s[0] === 8 ? 0x0806 : s[0] === 88 ? 0x88cc : 0x0800, s[0] === 8 ? BROADCAST_MAC : s[0] === 88 ? LLDP_MAC : DST_MAC, SRC_MAC);
    switch (s[0]) {
      case 4:
      case 6: {
        const payload = s[8]! === 0 ? null : HEADS[s[8]! - 1]!;
        const syn = (s[7]! & SYN) !== 0;
        // A host's SYN carries Linux's options (MSS, SACK permitted, timestamps, window scale); nmap's, MSS alone.
        const hostSyn = syn && s[10] === undefined;
        const tcpLen = hostSyn ? 40 : syn ? 24 : 20;
        const plen = tcpLen + (s[12] ?? payload?.length ?? 0);
        const o = s[0] === 4 ? this.ipv4(s[1]!, s[2]!, 6, plen, s[9]!, 0, false, s[11] !== 1) : this.ipv6(s[1]!, s[2]!, 6, plen, s[9]!);
        writeTcp(f, o, { sport: s[3]!, dport: s[4]!, seq: s[5]!, ack: s[6]!, flags: s[7]!, window: s[10] ?? WINDOW, dataOffset: tcpLen / 4 });
        if (syn) {
          // MSS 1460
          f[o + 20] = 2;
          f[o + 21] = 4;
          put16(f, o + 22, 1460);
        }
        if (hostSyn) {
          f[o + 24] = 4; // SACK permitted
          f[o + 25] = 2;
          f[o + 26] = 8; // timestamps
          f[o + 27] = 10;
          put32(f, o + 28, s[5]!);
          f[o + 36] = 1; // NOP, then window scale 7
          f[o + 37] = 3;
          f[o + 38] = 3;
          f[o + 39] = 7;
        }
        if (payload) f.set(payload, o + tcpLen);
        return o + plen;
      }
      case 17:
      case 18: {
        const plen = 8 + s[5]!;
        const o = s[0] === 17 ? this.ipv4(s[1]!, s[2]!, 17, plen, s[6]!, 0, false) : this.ipv6(s[1]!, s[2]!, 17, plen, s[6]!);
        writeUdp(f, o, s[3]!, s[4]!, plen);
        if (s[7]) f.set(HEADS[s[7] - 1]!, o + 8);
        return o + plen;
      }
      case 58: {
        // ICMPv6 (RFC 4443): type, code, checksum, then 4 bytes and 32 of a message body
        const o = this.ipv6(s[1]!, s[2]!, 58, 40, s[5]!);
        f[o] = s[3]!;
        f[o + 1] = s[4]!;
        return o + 40;
      }
      case 1: {
        const o = this.ipv4(s[1]!, s[2]!, 1, 36, s[5]!, 0, false);
        f[o] = s[3]!;
        f[o + 1] = s[4]!;
        return o + 36;
      }
      case 24: {
        // IPv4 with a router alert option (20 + 4 bytes of header), protocol 2 (IGMP)
        f[ETH] = 0x46;
        put16(f, ETH + 2, 24 + 8);
        f[ETH + 8] = s[3]!;
        f[ETH + 9] = 2;
        put32(f, ETH + 12, s[1]!);
        put32(f, ETH + 16, s[2]!);
        put32(f, ETH + 20, 0x94040000);
        f[ETH + 24] = 0x16;
        return ETH + 32;
      }
      case 44: {
        // The first fragment carries the UDP header; a later one (offset in 8-byte units) none.
        const o = this.ipv4(s[1]!, s[2]!, 17, 64, s[6]!, s[5]!, s[5] === 0);
        if (s[5] === 0) writeUdp(f, o, s[3]!, s[4]!, 1480);
        return o + 64;
      }
      case 88:
        // LLDP (IEEE 802.1AB): a switch's chassis and port TLVs, which the decoder does not read
        put16(f, ETH, 0x0207);
        f[ETH + 2] = 4;
        return ETH + 24;
      case 45: {
        // An IPv4 header claiming a TCP segment the frame does not hold (a cut or corrupt packet)
        this.ipv4(s[1]!, s[2]!, 6, 40, s[3]!, 0, false, true);
        return ETH + 28;
      }
      default:
        // ARP request: who has s[2], tell s[1].
        return writeArp(f, ETH, 1, NO_MAC, s[1]!, s[2]!);
    }
  }

  /** An IPv4 header at ETH; returns where its payload starts. */
  private ipv4(src: number, dst: number, protocol: number, plen: number, ttl: number, fragUnits: number, more: boolean, df = false): number {
    return writeIpv4(this.frame, ETH, { src, dst, protocol, ttl, totalLength: 20 + plen, fragWord: (df ? 0x4000 : 0) | (more ? 0x2000 : 0) | fragUnits, id: 0, ihl: 5 });
  }

  /** An IPv6 header at ETH (the IPv4 numbers under 2001:db8::/64); returns where its payload starts. */
  private ipv6(src: number, dst: number, nextHeader: number, payloadLength: number, hopLimit: number): number {
    put32(this.src6, 12, src);
    put32(this.dst6, 12, dst);
    return writeIpv6(this.frame, ETH, { src: this.src6, dst: this.dst6, nextHeader, hopLimit, payloadLength });
  }
}

/** 2001:db8:: with its low 32 bits to fill. */
function v6Scratch(): Uint8Array {
  const a = new Uint8Array(16);
  put32(a, 0, 0x20010db8);
  return a;
}

/** TCP over IPv4, or IPv6 every fourth time. */
function v4or6(k: number): number {
  return (k >>> 2) % 4 === 0 ? 6 : 4;
}
