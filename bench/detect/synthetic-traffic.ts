// A live-like packet source for the decision-latency benchmark: packets made in memory at a
// steady rate, each stamped with the wall-clock time it was made (its capture time), so
// capture-to-decision latency is decision time minus packet timestamp on one clock.
//
// Benign part: clients in 10.0.0.0/16 talking to 10.0.1.1:443 (ACK/PSH both ways).
// Attack part (once `attacking` is set): each attacker from 100.64.0.0/10 sends SYNs to
// `portsPerAttacker` ports of 10.0.1.1 back to back, then the next one starts: a vertical
// scan the rules must catch and ban, so every attacker makes one decision to time.

import { DecodeStats } from '../../src/net/decode-stats.ts';
import { PacketBatch, PacketFlags } from '../../src/net/packet-batch.ts';
import type { PacketSource, SourceStats } from '../../src/net/packet-source.ts';

const SERVER = (10 << 24) | (0 << 16) | (1 << 8) | 1;
const nowMs = () => performance.timeOrigin + performance.now();

export class SyntheticTraffic implements PacketSource {
  readonly name = 'synthetic';
  readonly decodeStats = new DecodeStats();
  attacking = false;
  /** Share of packets that are attack SYNs while attacking. */
  attackShare = 0.1;
  portsPerAttacker = 8;
  private sent = 0;
  private start = 0;
  private attackerSeq = 0;
  private attackerPort = 0;
  private closed = false;
  attackers = 0;

  constructor(
    readonly pps: number,
    readonly maxBatch = 256,
  ) {}

  stats(): SourceStats {
    return { packets: this.sent, kernelDrops: 0, interfaceDrops: 0 };
  }

  async next(): Promise<PacketBatch | null> {
    if (this.start === 0) this.start = performance.now();
    for (;;) {
      if (this.closed) return null;
      const due = Math.floor(((performance.now() - this.start) * this.pps) / 1000) - this.sent;
      if (due > 0) return this.make(Math.min(due, this.maxBatch));
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  private make(n: number): PacketBatch {
    const b = new PacketBatch(n);
    const ts = nowMs() / 1000;
    for (let i = 0; i < n; i++) {
      const k = this.sent + i;
      if (this.attacking && (k % Math.round(1 / this.attackShare)) === 0) {
        // Attackers from 100.64.0.0/10 (shared address space), a new one each time.
        const a = this.attackerSeq;
        this.row(b, ts, (((100 << 24) | (64 << 16)) + 1 + (a % 4_000_000)) >>> 0, SERVER, 40_000 + (a % 20_000), 1 + this.attackerPort * 7, 0x02, 60);
        if (++this.attackerPort >= this.portsPerAttacker) {
          this.attackerPort = 0;
          this.attackerSeq++;
          this.attackers++;
        }
      } else {
        const client = ((10 << 24) | (k % 5000)) >>> 0;
        const port = 30_000 + (k % 5000);
        const up = (k & 1) === 0;
        if (up) this.row(b, ts, client, SERVER, port, 443, 0x18, 120);
        else this.row(b, ts, SERVER, client, 443, port, 0x18, 1400);
      }
    }
    this.sent += n;
    return b;
  }

  private row(b: PacketBatch, ts: number, src: number, dst: number, sport: number, dport: number, tcpFlags: number, wirelen: number): void {
    const j = b.length++;
    b.ts[j] = ts;
    b.flags[j] = PacketFlags.ETHERNET | PacketFlags.IPV4 | PacketFlags.TCP;
    b.src4[j] = src;
    b.dst4[j] = dst;
    b.srcPort[j] = sport;
    b.dstPort[j] = dport;
    b.tcpFlags[j] = tcpFlags;
    b.tcpWindow[j] = 64_240;
    b.protocol[j] = 6;
    b.ipVersion[j] = 4;
    b.ttl[j] = 64;
    b.wirelen[j] = wirelen;
    b.caplen[j] = Math.min(wirelen, 60);
    b.ipLen[j] = 40;
    b.linkType[j] = 1;
    b.etherType[j] = 0x0800;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
