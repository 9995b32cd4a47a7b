// The per-source ping flood: ICMP (and ICMPv6) echo requests one source sends to one host
// (ping -f, hping3 --icmp --flood from a real address). The host answers each, so the
// unanswered-UDP test does not apply; what a source sends is counted as it is sent, into a
// leaky bucket keyed by (source, host). The victim rules' icmp-flood names the host and bans
// nobody; this names the source.
//
// An echo request's source address can be forged (the smurf attack's very trick), so the
// alert is graded `forgeable` whatever else the source did here, as the per-source UDP flood's
// (unanswered-udp.ts): the responder spares a source with real sessions here, bans one never
// seen for `responder.forgeableBanTtlS` without escalation, and never the protected set.

import type { Alert } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { PacketFlags, type PacketBatch } from '../../net/packet-batch.ts';
import { BucketTable } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import type { RulesConfig } from './rules-config.ts';

export class EchoFlood {
  /** (source, host, 0, 0) */
  private readonly keys: FlowTable;
  private readonly buckets: BucketTable;
  suppressed = 0;

  constructor(private readonly config: RulesConfig['echoFlood'], capacity: number, cooldownS: number) {
    this.keys = new FlowTable(capacity);
    this.buckets = new BucketTable(capacity, config.threshold, config.leakPerS, cooldownS);
  }

  /** The bounded table, for the report. */
  get table(): FlowTable {
    return this.keys;
  }

  /** Echo request i of the batch (src → dst, a unicast host): an alert when it overflows the pair's bucket, else null. */
  request(batch: PacketBatch, i: number, src: AddressKey, dst: AddressKey): Alert | null {
    const ts = batch.ts[i];
    const b = this.buckets;
    let s = this.keys.find(src, dst, 0, 0);
    if (s < 0) {
      s = this.keys.insert(src, dst, 0, 0);
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
    const requests = b.episodeUnits(s);
    const alert = ruleAlert('icmp-flood', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), b.overflowScore(s, ts, firstTs), ts, firstTs, true, {
      requests,
      windowS: seconds(windowS),
      pps: Math.round(requests / Math.max(windowS, 1e-3)),
      threshold: cfg.threshold,
      leakPerS: cfg.leakPerS,
    });
    // nothing in ICMP proves its source (see above)
    alert.grade = 'forgeable';
    alert.sourceSeen = (batch.flags[i] & PacketFlags.SOURCE_SEEN) !== 0;
    b.trip(s, ts);
    return alert;
  }
}
