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

const SYN = 0x02, RST = 0x04, FIN = 0x01, ACK = 0x10, PSH = 0x08, URG = 0x20;
const DST_MAC = [0, 0, 0, 0, 0, 1];
const SRC_MAC = [0, 0, 0, 0, 0, 2];
const NO_MAC = [0, 0, 0, 0, 0, 0];
/** Episodes in a cycle (see `episode`): each makes a few to a few dozen packets. */
const EPISODES = 11;
/** Every this many episodes the clock jumps `GAP_S` (about every 500 packets). */
const GAP_EVERY = 32;
/** Longer than the flow meter's idle timeout (15 s by default): what was open before the jump ends idle. */
const GAP_S = 16;
/** A spec that makes no packet: the clock jumps by its second field (seconds). */
const JUMP = 0;
/** TCP windows: a host's, and nmap's SYN scan's (one of scanProbe.nmapSynWindows). */
const WINDOW = 64240, NMAP_WINDOW = 1024;

/** Server banners and requests the rules read in a payload's head. */
const HEADS = ['SSH-2.0-OpenSSH_9.6', '220 mail ESMTP', 'HTTP/1.1 200 OK', 'GET / HTTP/1.1'].map((s) => new TextEncoder().encode(s));

export class SyntheticTraffic {
  /** One frame at a time is written here, then decoded into the batch (a Buffer, as captures and files hand the decoder). */
  private readonly frame: Uint8Array = Buffer.alloc(256);
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
  // flags, head (0: no payload), ttl, window?, no DF?].
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
      default:
        // A spoofed SYN flood: a new source a packet, within 198.18.0.0/15 (RFC 2544's
        // benchmarking block: reserved, so the node's GeoIP lookup tags it, never caches it).
        for (let p = 0; p < 16; p++) {
          const forged = (0xc6120000 | ((((k * 16 + p) * 2246822519) >>> 0) & 0x1ffff)) >>> 0;
          q.push([4, forged, server, 1024 + ((k * 16 + p) % 60000), 80, (forged * 3) >>> 0, 0, SYN, 0, 30 + (p % 200)]);
        }
    }
  }

  /** Writes the frame `spec` describes; returns its length. */
  private write(s: number[]): number {
    const f = this.frame;
    f.fill(0, 0, 128);
    const v6 = s[0] === 6 || s[0] === 18;
    writeEthernet(f, 0, v6 ? 0x86dd : s[0] === 8 ? 0x0806 : 0x0800, DST_MAC, SRC_MAC);
    switch (s[0]) {
      case 4:
      case 6: {
        const payload = s[8]! === 0 ? null : HEADS[(s[8]! - 1) % HEADS.length]!;
        const syn = (s[7]! & SYN) !== 0;
        // A host's SYN carries Linux's options (MSS, SACK permitted, timestamps, window scale); nmap's, MSS alone.
        const hostSyn = syn && s[10] === undefined;
        const tcpLen = hostSyn ? 40 : syn ? 24 : 20;
        const plen = tcpLen + (payload?.length ?? 0);
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
        return o + plen;
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
