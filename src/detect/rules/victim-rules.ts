// The victim-keyed rules: one instance adds up the VictimTallies of every detector shard,
// because a flood of spoofed sources or abused reflectors lands in all of them.
//
//   SYN flood       SYNs toward a victim            less the handshakes completed toward it
//   UDP amplification  large datagrams (and later IP fragments) from any port but a sender's to a collector's   less the datagrams the victim sent
//   UDP flood       small datagrams toward a victim (not answers to its own)  less the datagrams it sent in answer
//   TCP reflection  SYN-ACKs toward a victim        less the handshakes it completed as a client
//   TCP flood       segments without SYN of no connection followed (ACK, RST floods): the first of each 4-tuple
//   ICMP flood      ICMP toward a victim            less the echo requests it sent
//   IP flood        other IP protocols (GRE, ESP, raw IP) toward a victim   less those it sent
//   QUIC flood      QUIC clients' first Initials toward a victim   less its clients' long-header datagrams answering it (quic-initial.ts)
//
// Each is a leaky bucket per victim fed with that balance (so solicited traffic, however
// heavy, cancels out) and gated on the number of distinct sources: one source is for the
// source rules, which can block it. For UDP the sources counted are the UNSOLICITED ones:
// those the victim never sent a datagram to (a bitmap of its peers, from its own shard), so
// a host receiving much from many peers it talks to (a BitTorrent or QUIC client, a
// resolver) is no victim, whatever ports they use. Alerts name the victim as target, the top source for
// the record, and are not blockable. State is bounded by `maxVictims` (LRU, evictions
// counted in stats()): about 350 B per victim, 23 MB at the default 65536.
//
// Requests and their answers are counted by different shards and their tallies arrive in
// any order, so the balance may go below 0 (credit, at most one threshold) and later
// answers use it up. One race remains: answers reported before the requests of the same
// batch count as unsolicited until those arrive; it takes a threshold's worth of answers
// (500 by default) within ONE batch to trip on it, i.e. about 500,000 solicited answers
// per second toward one host with the ~1 ms batches of the packet path.

import type { Alert, AlertType } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { checkCapacity } from '../../util/lru.ts';
import type { BoundedTable } from '../table-report.ts';
import { BucketTable, riskScore } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import { validateRulesConfig, type BucketConfig, type RulesConfig } from './rules-config.ts';
import { SKETCH_WORDS, estimateSources, type TallyCount, type VictimTally } from './victim-tally.ts';
import { formatIPv4 } from '../../net/address.ts';

export interface VictimRulesLimits {
  /** Victims with state (default 65536). */
  maxVictims?: number;
}

interface FloodRule {
  type: AlertType;
  config: BucketConfig & { enabled: boolean; minSources: number };
  /** What pours in, what takes out (if anything), and an optional byte column for the evidence. */
  inCol: TallyCount;
  outCol: TallyCount | null;
  bytesCol: TallyCount | null;
  /** Names of the in and out counts in the evidence. */
  inName: string;
  outName: string;
  buckets: BucketTable;
  epIn: Float64Array;
  epOut: Float64Array;
  epBytes: Float64Array;
}

export class VictimRules {
  private readonly config: RulesConfig;
  private readonly victims: FlowTable;
  private readonly rules: FloodRule[];
  private readonly sketch: Int32Array;
  private readonly udpSrc: Int32Array;
  private readonly udpDst: Int32Array;
  private readonly ipSrc: Int32Array;
  private readonly ipDst: Int32Array;
  private readonly scratch = new Int32Array(SKETCH_WORDS);
  private readonly top4: Float64Array;
  private readonly top6: string[];
  private readonly topCount: Float64Array;
  private tallies = 0;
  private rows = 0;
  private droppedRows = 0;
  private alerts = 0;
  private gated = 0;

  constructor(config: RulesConfig, limits: VictimRulesLimits = {}) {
    this.config = validateRulesConfig(config);
    const max = checkCapacity(limits.maxVictims ?? 65536);
    this.victims = new FlowTable(max);
    this.sketch = new Int32Array(max * SKETCH_WORDS);
    this.udpSrc = new Int32Array(max * SKETCH_WORDS);
    this.udpDst = new Int32Array(max * SKETCH_WORDS);
    this.ipSrc = new Int32Array(max * SKETCH_WORDS);
    this.ipDst = new Int32Array(max * SKETCH_WORDS);
    this.top4 = new Float64Array(max);
    this.top6 = [];
    this.topCount = new Float64Array(max);
    const c = this.config;
    const rule = (type: AlertType, cfg: FloodRule['config'], inCol: TallyCount, outCol: TallyCount | null, bytesCol: TallyCount | null, inName: string, outName: string): FloodRule => ({
      type, config: cfg, inCol, outCol, bytesCol, inName, outName,
      buckets: new BucketTable(max, cfg.threshold, cfg.leakPerS, c.cooldownS),
      epIn: new Float64Array(max), epOut: new Float64Array(max), epBytes: new Float64Array(max),
    });
    this.rules = [
      rule('syn-flood', c.synFlood, 'syn', 'completions', null, 'syns', 'completed'),
      rule('udp-amplification', c.udpAmplification, 'udpResp', 'udpReqOut', 'udpRespBytes', 'responses', 'requests'),
      rule('udp-flood', c.udpFlood, 'udpIn', 'udpReplyOut', null, 'datagrams', 'answered'),
      rule('tcp-reflection', c.tcpReflection, 'synAck', 'completionsOut', null, 'synAcks', 'completedOut'),
      rule('tcp-flood', c.tcpFlood, 'stray', null, null, 'segments', ''),
      rule('icmp-flood', c.icmpFlood, 'icmp', 'echoOut', 'icmpBytes', 'packets', 'echoRequestsOut'),
      rule('ip-flood', c.ipFlood, 'ipIn', 'ipOut', null, 'packets', 'sent'),
      rule('udp-flood', c.quicFlood, 'quicInitial', 'quicContinued', null, 'quicInitials', 'continued'),
    ].filter((r) => r.config.enabled);
  }

  /** Add one shard's tally; alerts are appended to `out`. The tally is only read. */
  add(tally: VictimTally, out: Alert[]): void {
    this.tallies++;
    this.droppedRows += tally.dropped;
    for (let r = 0; r < tally.rows; r++) {
      this.rows++;
      const v6 = tally.v6[r];
      const key: AddressKey = v6 === '' ? tally.v4[r] | 0 : v6;
      const ts = tally.lastTs[r];
      let s = this.victims.find(key, 0, 0, 0);
      const fresh = s < 0;
      if (fresh) s = this.victims.insert(key, 0, 0, 0);
      // The source sketch and the top source span the current episode: start them afresh
      // when no bucket of this victim holds anything.
      let busy = false;
      for (const rule of this.rules) {
        if (fresh) rule.buckets.reset(s);
        else if (rule.buckets.leakTo(s, ts) !== 0) busy = true;
      }
      if (!busy) this.clearSources(s);
      this.mergeSources(tally, r, s);
      for (const rule of this.rules) this.pour(rule, tally, r, s, ts, key, out);
    }
  }

  /** The bounded tables, for the report (table-report.ts): the victims with state (bound maxVictims). */
  tables(): Record<string, BoundedTable> {
    return { floodVictims: this.victims };
  }

  stats(): Record<string, number> {
    return {
      tallies: this.tallies,
      rows: this.rows,
      droppedRows: this.droppedRows,
      victims: this.victims.size,
      victimEvictions: this.victims.evictions,
      alerts: this.alerts,
      gatedBySources: this.gated,
    };
  }

  private pour(rule: FloodRule, tally: VictimTally, r: number, s: number, ts: number, key: AddressKey, out: Alert[]): void {
    const pin = tally[rule.inCol][r];
    const pout = rule.outCol ? tally[rule.outCol][r] : 0;
    if (pin === 0 && pout === 0) return;
    const b = rule.buckets;
    if (b.cooling(s, ts)) return;
    if (b.levelOf(s) <= 0) {
      rule.epIn[s] = 0;
      rule.epOut[s] = 0;
      rule.epBytes[s] = 0;
    }
    rule.epIn[s] += pin;
    rule.epOut[s] += pout;
    if (rule.bytesCol) rule.epBytes[s] += tally[rule.bytesCol][r];
    // Requests and their answers come from different shards, in either order: requests
    // seen first are credit, up to one threshold's worth.
    if (!b.pour(s, ts, pin - pout, tally.firstTs[r], -rule.config.threshold)) return;
    const cfg = rule.config;
    const sources = rule.inCol === 'udpResp' ? this.unsolicited(this.udpSrc, this.udpDst, s) : rule.inCol === 'ipIn' ? this.unsolicited(this.ipSrc, this.ipDst, s) : estimateSources(this.sketch, s * SKETCH_WORDS);
    if (sources < cfg.minSources) {
      // one or a few sources: the source rules' case; hold at the threshold until more come
      b.cap(s, cfg.threshold);
      this.gated++;
      return;
    }
    const firstTs = b.firstTs(s);
    const windowS = Math.max(ts - firstTs, 0);
    const level = b.levelOf(s);
    const evidence: Record<string, number | string> = {
      [rule.inName]: rule.epIn[s],
      level,
      sources,
      windowS: seconds(windowS),
      pps: Math.round(rule.epIn[s] / Math.max(windowS, 1e-3)),
      threshold: cfg.threshold,
      leakPerS: cfg.leakPerS,
      minSources: cfg.minSources,
    };
    if (rule.outCol) evidence[rule.outName] = rule.epOut[s];
    if (rule.bytesCol) evidence.bytes = rule.epBytes[s];
    const score = riskScore(level, cfg.threshold, cfg.threshold / cfg.leakPerS, windowS);
    b.trip(s, ts);
    this.alerts++;
    out.push(ruleAlert(rule.type, this.topSource(s), typeof key === 'number' ? formatIPv4(key >>> 0) : key, score, ts, firstTs, false, evidence));
  }

  private clearSources(s: number): void {
    this.sketch.fill(0, s * SKETCH_WORDS, (s + 1) * SKETCH_WORDS);
    this.udpSrc.fill(0, s * SKETCH_WORDS, (s + 1) * SKETCH_WORDS);
    this.udpDst.fill(0, s * SKETCH_WORDS, (s + 1) * SKETCH_WORDS);
    this.ipSrc.fill(0, s * SKETCH_WORDS, (s + 1) * SKETCH_WORDS);
    this.ipDst.fill(0, s * SKETCH_WORDS, (s + 1) * SKETCH_WORDS);
    this.top4[s] = 0;
    this.top6[s] = '';
    this.topCount[s] = 0;
  }

  /** OR the row's sketch in, and a weighted Boyer–Moore vote for the top source. */
  private mergeSources(tally: VictimTally, r: number, s: number): void {
    for (let k = 0; k < SKETCH_WORDS; k++) {
      const a = s * SKETCH_WORDS + k, b = r * SKETCH_WORDS + k;
      this.sketch[a] |= tally.srcSketch[b];
      this.udpSrc[a] |= tally.udpSrcSketch[b];
      this.udpDst[a] |= tally.udpDstSketch[b];
      this.ipSrc[a] |= tally.ipSrcSketch[b];
      this.ipDst[a] |= tally.ipDstSketch[b];
    }
    const n = tally.topCount[r];
    const a4 = tally.topSrc4[r];
    const a6 = tally.topSrc6[r];
    if (a4 === 0 && a6 === '') return; // no source counted toward this host
    if (this.top4[s] === a4 && this.top6[s] === a6) this.topCount[s] += n;
    else if (this.topCount[s] > n || (this.topCount[s] === n && this.hasTop(s))) this.topCount[s] -= n;
    else {
      this.top4[s] = a4;
      this.top6[s] = a6;
      this.topCount[s] = n - this.topCount[s];
    }
  }

  /**
   * Estimated sources toward victim s that it never sent to: |sources ∪ peers| − |peers|, of
   * large UDP (udpSrc, udpDst) or of the other IP protocols (ipSrc, ipDst).
   */
  private unsolicited(sources: Int32Array, peers: Int32Array, s: number): number {
    const u = this.scratch;
    for (let k = 0; k < SKETCH_WORDS; k++) u[k] = sources[s * SKETCH_WORDS + k] | peers[s * SKETCH_WORDS + k];
    return Math.max(0, estimateSources(u) - estimateSources(peers, s * SKETCH_WORDS));
  }

  private hasTop(s: number): boolean {
    return this.top4[s] !== 0 || this.top6[s] !== '';
  }

  private topSource(s: number): string {
    const a6 = this.top6[s];
    if (a6) return a6;
    return formatIPv4(this.top4[s]);
  }
}
