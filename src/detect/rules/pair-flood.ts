// Per-source floods whose every packet could carry a forged source, counted per (source,
// host) into a leaky bucket, alerted with forgeable evidence:
//   ICMP messages   ICMP and ICMPv6 one source sends to one host but echo replies and the
//                   link's own (ping -f, hping3 --icmp --flood from a real address,
//                   BlackNurse's port unreachables), counted in the source's shard as they
//                   are sent; the host answers pings, so unanswered-udp.ts's test does not
//                   apply.
//   refused strays  segments with ACK of no connection that one host refuses with a bare
//                   RST (RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST> answers a segment with
//                   ACK that belongs to no connection) to one client: an ACK flood from a real
//                   address (hping3 -A --flood, -SA, PSH+ACK floods). Counted in the HOST's
//                   shard, which sees its RSTs (the client's packets are in another shard);
//                   the alert names the client.
// The victim rules' icmp-flood and tcp-flood name the host and ban nobody; these name the
// source. Its address can be forged (the smurf attack's trick; an ACK flood in a client's name
// draws the RSTs to it), so the alert is graded `forgeable` whatever else the source did here,
// as the per-source UDP flood's (unanswered-udp.ts): the responder spares a source with real
// sessions here, bans one never seen for `responder.forgeableBanTtlS` without escalation, and
// never the protected set.

import type { Alert, AlertType } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import type { PacketBatch } from '../../net/packet-batch.ts';
import { BucketTable } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import type { BucketConfig } from './rules-config.ts';

export class PairFlood {
  /** (source, host, 0, 0) */
  private readonly keys: FlowTable;
  private readonly buckets: BucketTable;
  suppressed = 0;

  /** `unit`: the evidence's name for what is counted; `sourceColumn`: the row's address the alert names as its source. */
  constructor(
    private readonly type: AlertType,
    private readonly unit: string,
    private readonly sourceColumn: 'src' | 'dst',
    private readonly config: BucketConfig,
    capacity: number,
    cooldownS: number,
  ) {
    this.keys = new FlowTable(capacity);
    this.buckets = new BucketTable(capacity, config.threshold, config.leakPerS, cooldownS);
  }

  /** The bounded table, for the report. */
  get table(): FlowTable {
    return this.keys;
  }

  /**
   * Row i of the batch counts for (source, host), the flood's source and its target (a unicast
   * host); `sourceSeen`: the source had real sessions here. An alert when it overflows, else null.
   */
  count(batch: PacketBatch, i: number, source: AddressKey, host: AddressKey, sourceSeen: boolean): Alert | null {
    const ts = batch.ts[i];
    const b = this.buckets;
    let s = this.keys.find(source, host, 0, 0);
    if (s < 0) {
      s = this.keys.insert(source, host, 0, 0);
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
    const units = b.episodeUnits(s);
    const hostColumn = this.sourceColumn === 'src' ? 'dst' : 'src';
    const alert = ruleAlert(this.type, batch.formatAddress(i, this.sourceColumn), batch.formatAddress(i, hostColumn), b.overflowScore(s, ts, firstTs), ts, firstTs, true, {
      [this.unit]: units,
      windowS: seconds(windowS),
      pps: Math.round(units / Math.max(windowS, 1e-3)),
      threshold: cfg.threshold,
      leakPerS: cfg.leakPerS,
    });
    // nothing in these packets proves their source (see above)
    alert.grade = 'forgeable';
    alert.sourceSeen = sourceSeen;
    b.trip(s, ts);
    return alert;
  }
}
