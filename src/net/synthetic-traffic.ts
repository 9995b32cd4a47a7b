// Made-up traffic of every kind the packet path meets, as Ethernet frames decoded into a
// batch (the real decoder): TCP connections with their handshakes, banners and ends (IPv4
// and IPv6), a SYN scan and its replies, a spoofed SYN flood, DNS and one-datagram UDP,
// ICMP echo and unreachables, IPv4 fragments, ARP. Deterministic; every address private
// or reserved. It allocates a little per packet, which is fine at start, its only use. For the warm-up (detect/warm-up.ts), which runs it through throwaway shards
// before a node takes traffic: every hot function then meets every row kind before it is
// optimised, and is not thrown back when the first IPv6 row or fragment arrives.

import { decodeFrame } from './decode.ts';
import { DecodeStats } from './decode-stats.ts';
import { LinkType } from './link-types.ts';
import type { PacketBatch } from './packet-batch.ts';
import { ETHERNET_HEADER as ETH, put16, put32, writeArp, writeEthernet, writeIpv4, writeIpv6, writeTcp, writeUdp } from './frame-writer.ts';

const SYN = 0x02, RST = 0x04, FIN = 0x01, ACK = 0x10, PSH = 0x08;
const DST_MAC = [0, 0, 0, 0, 0, 1];
const SRC_MAC = [0, 0, 0, 0, 0, 2];
const NO_MAC = [0, 0, 0, 0, 0, 0];
/** Episodes in a cycle (see `episode`): each makes a few to a few dozen packets. */
const EPISODES = 10;

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
      const len = this.write(spec);
      this.ts += 0.00002;
      decodeFrame(batch, i, this.frame, 0, len, len, LinkType.ETHERNET, this.ts, this.stats);
      batch.length = i + 1;
      this.made++;
    }
  }

  // A spec: [kind, ...fields]; kinds: 4 TCP/IPv4, 6 TCP/IPv6, 17 UDP/IPv4, 18 UDP/IPv6, 1 ICMP, 44 a fragment, 8 ARP.
  private episode(k: number): void {
    const q = this.queue;
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
        // A SYN scan: closed ports answer RST-ACK, one SYN-ACK, then the scanner's RST.
        const scanner = (198 << 24) | (18 << 16) | (a << 8) | b;
        for (let p = 0; p < 24; p++) {
          const port = 1 + ((k + p * 37) % 1024);
          q.push([4, scanner, server, 40000, port, isn, 0, SYN, 0, 50]);
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
        q.push([8, client, server]);
        break;
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
        const tcpLen = syn ? 24 : 20;
        const plen = tcpLen + (payload?.length ?? 0);
        const o = s[0] === 4 ? this.ipv4(s[1]!, s[2]!, 6, plen, s[9]!, 0, false) : this.ipv6(s[1]!, s[2]!, 6, plen, s[9]!);
        writeTcp(f, o, { sport: s[3]!, dport: s[4]!, seq: s[5]!, ack: s[6]!, flags: s[7]!, window: 64240, dataOffset: tcpLen / 4 });
        if (syn) {
          // MSS 1460
          f[o + 20] = 2;
          f[o + 21] = 4;
          put16(f, o + 22, 1460);
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
  private ipv4(src: number, dst: number, protocol: number, plen: number, ttl: number, fragUnits: number, more: boolean): number {
    return writeIpv4(this.frame, ETH, { src, dst, protocol, ttl, totalLength: 20 + plen, fragWord: (more ? 0x2000 : 0) | fragUnits, id: 0, ihl: 5 });
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
