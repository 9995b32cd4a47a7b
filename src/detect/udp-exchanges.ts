// Which UDP datagrams belong to a two-way exchange. A datagram's answer comes from its
// destination, whose packets go to another detector shard (shards are keyed by source), so
// the shard that judges a source never sees whether that source is being answered. This
// tracker runs where both directions are seen, before the split (with the session verifier,
// on each capture), and marks each UDP datagram S:ps → D:pd:
// - UDP_ANSWERED: D sent UDP from pd to S within `answeredS` in answer to S (S's datagrams to
//   D:pd are answered: a DNS client's queries, a QUIC or VPN upload's ACKs, symmetric RTP;
//   RTCP on the RTP port + 1 is not an answer to the RTP port);
// - UDP_REPLY: it answers: D sent UDP to S:ps within `answeredS`; and SIP_REPLY too when
//   one of D's datagrams to S:ps since that exchange opened was a SIP request line (RFC 3261
//   §7.1): a SIP server's status line answers a SIP client, not a host that asked the same
//   server's port something else (a DNS query, whose answer anyone may forge as "SIP/2.0 403").
//   The answer's row also gets, in its `tcpAck` column (a UDP row has none), the payload
//   length of the last datagram D sent to S:ps (the request it answers: a KDC's refusal is
//   counted by its AS-REQ's length, login-rules.ts kerberosAnswer).
// - SOURCE_ANSWERED: it opens an exchange (none with D:pd, or one idle past the window) and
//   most of S's recent openings were answered (at least MIN_OPENINGS, half or more answered):
//   a monitor polling live hosts, whose first round would otherwise read as a sweep (shards
//   see no answers). ICMP echo is tracked the same way (markEcho), the pair's "port" ECHO,
//   and an echo request to a host that answered the pair within the window carries it too.
// One entry per (sender, receiver, receiver's port): "S sends to D:pd", with when it last
// sent, when it was last answered and whether it sent a SIP request (an answer makes none); one per sender with its
// openings and those answered, both halved when the openings reach HALVE_AT (recent ones weigh most). Per datagram: one lookup of the
// reverse entry and one lookup (or insert) of its own; no allocation for IPv4 (IPv6 keys are the address texts
// the caller already has). Answered entries are kept over others (a flood of forged sources
// makes one entry per datagram and must not push the live exchanges out).

import { PAYLOAD_HEAD_BYTES, PacketFlags, type PacketBatch } from '../net/packet-batch.ts';
import { FlowTable, PROTECTED_SOCKETS, type AddressKey } from './flow-table.ts';
import { fnv1a, mix32 } from '../util/hash.ts';
import { sipRequest } from './rules/http-request.ts';

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

/** The pseudo-port of an ICMP echo exchange (above every UDP port). */
const ECHO = 0x10000;
/** Openings a sender makes before its answered share says anything (a sweep's first hosts may all be up). */
const MIN_OPENINGS = 8;
/** Openings at which a sender's counts are halved. */
const HALVE_AT = 64;
/**
 * Senders with counts: a direct-mapped table (a sender's slot is its hash; another sender
 * hashing there takes it over), one hash and one compare an opening, nothing to evict: a
 * flood from forged sources opens an exchange every datagram. Except a holder whose openings
 * are answered, half or more, and who opened one within the window: a forged source hashing there
 * (one datagram between a monitor's polls, or a random-source flood's) would zero its counts
 * and have its polls counted as a sweep again.
 */
const SENDER_SLOTS = 1 << 14;

export class UdpExchanges {
  private readonly table: FlowTable;
  private readonly sentAt: Float64Array;
  private readonly answeredAt: Float64Array;
  /** 1 while the entry's latest opening (a new or renewed exchange) waits for its first answer. */
  private readonly pending: Uint8Array;
  /** 1 when the entry's sender sent a SIP request line since its latest opening. */
  private readonly sip: Uint8Array;
  /** The payload length of the entry's sender's last datagram (what an answer answers). */
  private readonly asked: Uint16Array;
  private readonly windowS: number;
  /** Per sender slot: its address (IPv4 as a number, else NaN and the IPv6 text), exchanges it opened, and of them those answered. */
  private readonly key4 = new Float64Array(SENDER_SLOTS).fill(Number.NaN);
  private readonly key6: string[] = new Array<string>(SENDER_SLOTS).fill('');
  private readonly opened = new Float32Array(SENDER_SLOTS);
  private readonly answered = new Float32Array(SENDER_SLOTS);
  /** Per sender slot: when its sender last opened an exchange. */
  private readonly lastOpen = new Float64Array(SENDER_SLOTS);

  constructor(config: UdpExchangesConfig = DEFAULT_UDP_EXCHANGES) {
    this.table = new FlowTable(config.maxExchanges, { protectedShare: PROTECTED_SOCKETS });
    this.sentAt = new Float64Array(config.maxExchanges);
    this.answeredAt = new Float64Array(config.maxExchanges);
    this.pending = new Uint8Array(config.maxExchanges);
    this.sip = new Uint8Array(config.maxExchanges);
    this.asked = new Uint16Array(config.maxExchanges);
    this.windowS = config.answeredS;
  }

  get evictions(): number {
    return this.table.evictions;
  }

  /** Row i of `b`, a UDP datagram with ports (not a later fragment), from `src`: its flags with UDP_ANSWERED / UDP_REPLY / SIP_REPLY; an answer's `tcpAck` set to its request's length. */
  mark(b: PacketBatch, i: number, f: number, src: AddressKey, dst: AddressKey): number {
    const ts = b.ts[i];
    const sp = b.srcPort[i];
    const dp = b.dstPort[i];
    const t = this.table;
    const w = this.windowS;
    const r = t.find(dst, src, sp, 0);
    const reply = r >= 0 && ts - this.sentAt[r] <= w;
    if (reply) {
      f |= this.sip[r] ? PacketFlags.UDP_REPLY | PacketFlags.SIP_REPLY : PacketFlags.UDP_REPLY;
      b.tcpAck[i] = this.asked[r];
      this.answer(r, dst, ts);
    }
    let s = t.find(src, dst, dp, 0);
    if (s < 0) {
      // An answer needs no entry of its own: its sender's datagrams are answers already (a
      // server's answers to a client's ever new ports would each make one).
      if (reply) return f;
      s = t.insert(src, dst, dp, 0);
      this.answeredAt[s] = -Infinity;
      this.sip[s] = 0;
      f |= this.opening(s, src, ts);
    } else if (ts - this.answeredAt[s] <= w) f |= PacketFlags.UDP_ANSWERED;
    else if (ts - this.sentAt[s] > w) {
      this.sip[s] = 0;
      f |= this.opening(s, src, ts);
    }
    if (sipRequest(b.head, i * PAYLOAD_HEAD_BYTES, b.headBytes(i))) this.sip[s] = 1;
    this.asked[s] = b.payloadLen[i];
    this.sentAt[s] = ts;
    return f;
  }

  /** Row i of `b`, an ICMP echo request (`request`) or reply from `src` to `dst`: its flags with SOURCE_ANSWERED. */
  markEcho(b: PacketBatch, i: number, f: number, src: AddressKey, dst: AddressKey, request: boolean): number {
    const ts = b.ts[i];
    const t = this.table;
    if (!request) {
      const r = t.find(dst, src, ECHO, 0);
      if (r >= 0 && ts - this.sentAt[r] <= this.windowS) this.answer(r, dst, ts);
      return f;
    }
    let s = t.find(src, dst, ECHO, 0);
    if (s < 0) {
      s = t.insert(src, dst, ECHO, 0);
      this.answeredAt[s] = -Infinity;
      f |= this.opening(s, src, ts);
    } else if (ts - this.sentAt[s] > this.windowS) f |= this.opening(s, src, ts);
    // A ping of a host that answered the source's last pings within the window: a monitor's
    // next round (SmokePing, fping -l, a Zabbix icmpping item every few seconds), no new host
    // probed. Without it only each round's openings carried the mark, and a monitor pinging
    // 100 live hosts more often than every windowS had its second round read as a sweep.
    else if (ts - this.answeredAt[s] <= this.windowS) f |= PacketFlags.SOURCE_ANSWERED;
    this.sentAt[s] = ts;
    return f;
  }

  /** Exchange r (opened by `sender`) is answered at ts; the first answer of an opening counts for its sender. */
  private answer(r: number, sender: AddressKey, ts: number): void {
    // Every answer (a no-op when kept already): an answered exchange the protected share
    // once pushed back is kept again.
    this.table.protect(r);
    if (this.pending[r]) {
      this.pending[r] = 0;
      const k = this.senderSlot(sender, false);
      if (k >= 0 && this.answered[k] < this.opened[k]) this.answered[k]++;
    }
    this.answeredAt[r] = ts;
  }

  /** `sender` opens exchange s: SOURCE_ANSWERED when most of its recent openings were answered. */
  private opening(s: number, sender: AddressKey, ts: number): number {
    this.pending[s] = 1;
    const k = this.senderSlot(sender, ts);
    if (k < 0) return 0;
    this.lastOpen[k] = ts;
    const o = this.opened[k];
    const mostly = o >= MIN_OPENINGS && this.answered[k] * 2 >= o;
    if (o + 1 >= HALVE_AT) {
      this.opened[k] = (o + 1) / 2;
      this.answered[k] /= 2;
    } else this.opened[k] = o + 1;
    return mostly ? PacketFlags.SOURCE_ANSWERED : 0;
  }

  /**
   * The sender's slot; -1 when it has none and `take` (an opening's time) is false, or when its
   * slot's holder is kept (above). With `take`, a slot it takes over, counts zeroed.
   */
  private senderSlot(sender: AddressKey, take: number | false): number {
    let k: number;
    if (typeof sender === 'number') {
      k = mix32(sender) & (SENDER_SLOTS - 1);
      if (this.key4[k] === sender) return k;
      if (take === false || this.kept(k, take)) return -1;
      this.key4[k] = sender;
      this.key6[k] = '';
    } else {
      k = mix32(fnv1a(sender)) & (SENDER_SLOTS - 1);
      if (this.key6[k] === sender) return k;
      if (take === false || this.kept(k, take)) return -1;
      this.key4[k] = Number.NaN;
      this.key6[k] = sender;
    }
    this.opened[k] = 0;
    this.answered[k] = 0;
    return k;
  }

  /** Slot k's holder has been answered, at least half the time, and opened an exchange within the window at ts. */
  private kept(k: number, ts: number): boolean {
    const a = this.answered[k];
    return a > 0 && a * 2 >= this.opened[k] && ts - this.lastOpen[k] <= this.windowS;
  }
}
