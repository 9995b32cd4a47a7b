// Which UDP datagrams belong to a two-way exchange. A datagram's answer comes from its
// destination, whose packets go to another detector shard (shards are keyed by source), so
// the shard that judges a source never sees whether that source is being answered. This
// tracker runs where both directions are seen, before the split (with the session verifier,
// on each capture), and marks each UDP datagram S:ps → D:pd:
// - UDP_ANSWERED: D sent UDP from pd to S within `answeredS` in answer to S (S's datagrams to
//   D:pd are answered: a DNS client's queries, a QUIC or VPN upload's ACKs, symmetric RTP;
//   RTCP on the RTP port + 1 is not an answer to the RTP port);
// - UDP_REPLY: it answers: D sent UDP to S:ps within `answeredS`.
// One entry per (sender, receiver, receiver's port): "S sends to D:pd", with when it last
// sent and when it was last answered (an answer makes none). Per datagram: one lookup of the
// reverse entry and one lookup (or insert) of its own; no allocation for IPv4 (IPv6 keys are the address texts
// the caller already has). Answered entries are kept over others (a flood of forged sources
// makes one entry per datagram and must not push the live exchanges out).

import { PacketFlags, type PacketBatch } from '../net/packet-batch.ts';
import { FlowTable, PROTECTED_SOCKETS, type AddressKey } from './flow-table.ts';

export interface UdpExchangesConfig {
  /** Seconds an answer keeps an exchange answered (and a datagram sent keeps its replies solicited). */
  answeredS: number;
  /** Exchanges tracked at once (sender, receiver, receiver's port). */
  maxExchanges: number;
}

/**
 * answeredS 30: an application keeping a UDP exchange alive sends a keep-alive at most every
 * 15 s (RFC 8085 §3.5) and NATs keep an idle mapping at least 2 min (RFC 4787 REQ-5); RTCP
 * reports come at most 7.5 s apart (RFC 3550 §6.2: 5 s minimum, randomised up to 1.5 times)
 * and an RTP sender without them must stop after three intervals (RFC 8083 §4.2). So a
 * live exchange is answered within 30 s; a flooded port that answers nothing never is.
 * maxExchanges: as the verifier's connections (65,536; about 64 B each).
 */
export const DEFAULT_UDP_EXCHANGES: UdpExchangesConfig = { answeredS: 30, maxExchanges: 65_536 };

export class UdpExchanges {
  private readonly table: FlowTable;
  private readonly sentAt: Float64Array;
  private readonly answeredAt: Float64Array;
  private readonly windowS: number;

  constructor(config: UdpExchangesConfig = DEFAULT_UDP_EXCHANGES) {
    this.table = new FlowTable(config.maxExchanges, { protectedShare: PROTECTED_SOCKETS });
    this.sentAt = new Float64Array(config.maxExchanges);
    this.answeredAt = new Float64Array(config.maxExchanges);
    this.windowS = config.answeredS;
  }

  get evictions(): number {
    return this.table.evictions;
  }

  /** Row i of `b`, a UDP datagram with ports (not a later fragment), from `src`: its flags with UDP_ANSWERED / UDP_REPLY. */
  mark(b: PacketBatch, i: number, f: number, src: AddressKey, dst: AddressKey): number {
    const ts = b.ts[i];
    const sp = b.srcPort[i];
    const dp = b.dstPort[i];
    const t = this.table;
    const w = this.windowS;
    const r = t.find(dst, src, sp, 0);
    const reply = r >= 0 && ts - this.sentAt[r] <= w;
    if (reply) {
      f |= PacketFlags.UDP_REPLY;
      // Every answer (a no-op when kept already): an answered exchange the protected share
      // once pushed back is kept again.
      t.protect(r);
      this.answeredAt[r] = ts;
    }
    let s = t.find(src, dst, dp, 0);
    if (s < 0) {
      // An answer needs no entry of its own: its sender's datagrams are answers already (a
      // server's answers to a client's ever new ports would each make one).
      if (reply) return f;
      s = t.insert(src, dst, dp, 0);
      this.answeredAt[s] = -Infinity;
    } else if (ts - this.answeredAt[s] <= w) f |= PacketFlags.UDP_ANSWERED;
    this.sentAt[s] = ts;
    return f;
  }
}
