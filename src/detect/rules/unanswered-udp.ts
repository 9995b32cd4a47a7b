// The per-source UDP flood: datagrams one source sends to one host:port that nothing answers
// (hping3 --udp -p 53 --flood). Request/response protocols are answered (DNS, NTP, QUIC, a
// VPN, RTP with its RTCP), which the UDP exchange tracker marks before the split
// (udp-exchanges.ts: UDP_ANSWERED on the source's datagrams, UDP_REPLY on answers); what is
// neither is poured into a leaky bucket keyed by (source, host, port). An answer empties it:
// the first datagrams of an exchange go out before its first answer comes back.
//
// The same test with a lower threshold reads SNMP community guessing (onesixtyone, hydra snmp,
// Metasploit's snmp_login): an agent drops a v1/v2c request whose community it does not know
// without a word (RFC 1157 §4.1, RFC 3584 §4.1), so a guesser's requests to one agent go
// unanswered until it hits a community the agent knows, whose answer empties the bucket
// (`snmpRequest` tells such a request; source-rules.ts keeps the second table).
//
// A flood tool spraying large datagrams over random ports (LOIC's and booters' UDP floods,
// hping3 --udp -d 1400 with ++ ports) puts one in each port's bucket: large datagrams
// (`spray.minPayload` bytes of payload and more, the amplification rule's size) from a
// sender's ephemeral port (`spray.clientPortMin` and up, no known amplifier's:
// udp-port-roles.ts `ephemeralSender`) are counted per (source, host) over every port
// instead, key port 0. A reflector's answers come from its service's port (DNS 53, memcached
// 11211, SSDP 1900, RDP 3389...) and stay per port: an abused open resolver or memcached is not
// named (its answers to the victim's random ports would fill a per-host bucket), and a
// one-way stream to one port counts as before.
//
// A datagram's source address can be forged, and nothing in UDP proves it (no handshake). So
// the alert is graded `forgeable` whatever else the source did here (a verified TCP session
// of the source with the host proves the source exists, not that it sent these datagrams):
// the responder spares a source with real sessions here, bans one never seen for
// `responder.forgeableBanTtlS` without escalation, and never bans the protected set (the
// gateways, resolvers, NTP servers, the cluster; see policy.ts).

import type { Alert, AlertType } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { PAYLOAD_HEAD_BYTES, PacketFlags, type PacketBatch } from '../../net/packet-batch.ts';
import { BucketTable } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import type { BucketConfig } from './rules-config.ts';
import { ephemeralSender } from './udp-port-roles.ts';

const EXCHANGE = PacketFlags.UDP_ANSWERED | PacketFlags.UDP_REPLY;

export class UnansweredUdp {
  /** (source, host, port, 0) */
  private readonly keys: FlowTable;
  private readonly buckets: BucketTable;
  suppressed = 0;

  /** `type` and `service`: what its alerts say (the UDP flood's, or SNMP guessing's: 'brute-force', 'snmp'). */
  constructor(
    private readonly config: BucketConfig,
    capacity: number,
    cooldownS: number,
    private readonly type: AlertType = 'udp-flood',
    private readonly service = '',
    /** Large datagrams from a sender's ephemeral port count over every port of their host (null: never). */
    private readonly spray: { minPayload: number; clientPortMin: number } | null = null,
  ) {
    this.keys = new FlowTable(capacity);
    this.buckets = new BucketTable(capacity, config.threshold, config.leakPerS, cooldownS);
  }

  /** The bounded table, for the report. */
  get table(): FlowTable {
    return this.keys;
  }

  /** Datagram i of the batch (src → dst, a unicast host, not a later fragment): an alert when it overflows the key's bucket, else null. */
  datagram(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey): Alert | null {
    const f = batch.flags[i];
    const ts = batch.ts[i];
    const spray = this.spray !== null && batch.payloadLen[i] >= this.spray.minPayload && ephemeralSender(batch.srcPort[i], this.spray.clientPortMin);
    const port = spray ? 0 : batch.dstPort[i];
    const b = this.buckets;
    let s = this.keys.find(src, dst, port, 0);
    if (f & EXCHANGE) {
      // answered, or an answer: the exchange's datagrams so far were its opening
      if (s >= 0 && !b.cooling(s, ts) && b.leakTo(s, ts) > 0) b.cap(s, 0);
      return null;
    }
    if (s < 0) {
      s = this.keys.insert(src, dst, port, 0);
      b.reset(s);
    }
    if (b.cooling(s, ts)) {
      this.suppressed++;
      return null;
    }
    b.leakTo(s, ts);
    if (!b.pour(s, ts, 1)) return null;
    const cfg = this.config;
    const firstTs = b.firstTs(s);
    const windowS = ts - firstTs;
    const level = b.levelOf(s);
    // the episode's datagrams (an answer capped the level, so the next pour began a new episode)
    const datagrams = b.episodeUnits(s);
    const score = b.overflowScore(s, ts, firstTs);
    const alert = ruleAlert(this.type, batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, {
      ...(this.service ? { service: this.service } : {}),
      datagrams,
      unanswered: level,
      port,
      ...(spray ? { ports: 'any' } : {}),
      windowS: seconds(windowS),
      pps: Math.round(datagrams / Math.max(windowS, 1e-3)),
      threshold: cfg.threshold,
      leakPerS: cfg.leakPerS,
    });
    // UDP carries no proof of its source (see above)
    alert.grade = 'forgeable';
    alert.sourceSeen = (f & PacketFlags.SOURCE_SEEN) !== 0;
    b.trip(s, ts);
    return alert;
  }
}

/** BER tags of an SNMP message (RFC 1157 §4, RFC 3416 §3): SEQUENCE, INTEGER, OCTET STRING. */
const BER_SEQUENCE = 0x30, BER_INTEGER = 0x02, BER_OCTETS = 0x04;

/**
 * Whether datagram i's payload begins an SNMP v1 or v2c message (RFC 1157 §4, RFC 1901): a
 * SEQUENCE (short or long length), then version 0 or 1 as a one-byte INTEGER, then the
 * community, an OCTET STRING. v3 (version 3) carries a user, and an agent answers a wrong
 * one with a Report (RFC 3414 §3.2): not a silent refusal.
 */
export function snmpRequest(batch: PacketBatch, i: number): boolean {
  const h = batch.head;
  const o = i * PAYLOAD_HEAD_BYTES;
  if (batch.payloadLen[i] < 8 || h[o] !== BER_SEQUENCE) return false;
  const l = h[o + 1]!;
  const at = o + 2 + (l < 0x80 ? 0 : l === 0x81 ? 1 : l === 0x82 ? 2 : 99);
  if (at + 5 > o + PAYLOAD_HEAD_BYTES) return false;
  return h[at] === BER_INTEGER && h[at + 1] === 1 && h[at + 2]! <= 1 && h[at + 3] === BER_OCTETS;
}
