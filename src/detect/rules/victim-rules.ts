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
// Carpet bombing (`carpetBombing`): the same rules, with their numbers, run again over the
// sum of every host of a /24 (IPv6: /48), for the floods of forged or reflected sources
// (not ICMP's nor other protocols', whose senders are real). A flood spread thin over a
// prefix passes every host's bucket; the prefix's fills. Besides the sources, the prefix's
// alert waits for `minHosts` of its hosts flooded with what they never asked for: each
// received more than it answered, and sent nothing the rule credits (a request, an answer,
// a completed handshake) in the last ASKED_S to 2 × ASKED_S (sketches of both, so the
// order in which the shards' tallies come does not matter); so a flood at one host is its
// own alert, and a LAN whose workstations' searches drew many answers is none. The alert names the prefix
// ("10.20.1.0/24") as target. Up to `maxPrefixes` prefixes (LRU, 4096 by default: 3.7 MB
// more than the hosts' level alone, measured on the heap).
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
import { hashText, mix32 } from './hash.ts';
import type { BoundedTable } from '../table-report.ts';
import { DEFAULT_RULE_TABLES } from './rule-tables.ts';
import { BucketTable, riskScore } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import { validateRulesConfig, type BucketConfig, type RulesConfig } from './rules-config.ts';
import { SKETCH_WORDS, estimateSources, sketchAdd, type TallyCount, type VictimTally } from './victim-tally.ts';
import { formatIPv4, formatIPv6, parseIpv6 } from '../../net/address.ts';
import { DEFAULT_UDP_EXCHANGES } from '../udp-exchanges.ts';

/**
 * Seconds a host's own requests (or answers, or completed handshakes) keep what comes back to
 * it asked for, when a prefix counts its flooded hosts: the UDP exchange tracker's window
 * (udp-exchanges.ts: an application keeps an exchange alive at least every 15 s, RFC 8085 §3.5).
 */
const ASKED_S = DEFAULT_UDP_EXCHANGES.answeredS;

/**
 * Entries of the cache of IPv6 hosts' prefixes (direct-mapped, by the host's hash): a prefix's
 * text is parsed and formatted once a host, not once a row. 1024 strings, some 100 kB at most.
 */
const PREFIX6_CACHE = 1024;

export interface VictimRulesLimits {
  /** Victims with state (default 65536: config ruleTables.maxVictims, rule-tables.ts). */
  maxVictims?: number;
  /** Prefixes with state, for carpet bombing (default 4096: config ruleTables.maxPrefixes). */
  maxPrefixes?: number;
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
  /** Also summed over prefixes (carpet bombing): the floods of forged or reflected sources. */
  carpet: boolean;
}

/**
 * The state of one kind of victim, a host or a prefix (carpet bombing): per slot of its table,
 * each rule's bucket and episode counts, the source sketches and the vote for the top source;
 * for prefixes also, per rule, a sketch of the hosts that received more than they answered.
 */
class FloodLevel {
  readonly table: FlowTable;
  readonly buckets: BucketTable[];
  readonly epIn: Float64Array[];
  readonly epOut: Float64Array[];
  readonly epBytes: Float64Array[];
  readonly sketch: Int32Array;
  readonly udpSrc: Int32Array;
  readonly udpDst: Int32Array;
  readonly ipSrc: Int32Array;
  readonly ipDst: Int32Array;
  /** Prefixes only, per rule, SKETCH_WORDS a slot: the hosts that received more than they answered, in the episode. */
  readonly hosts: Int32Array[] | null;
  /**
   * Prefixes only, per rule: the hosts that sent what the rule credits (a request, an answer,
   * a completed handshake) in the current ASKED_S period and in the one before it.
   */
  readonly asked: Int32Array[] | null;
  readonly askedBefore: Int32Array[] | null;
  /** Prefixes only: when the slot's current ASKED_S period began. */
  readonly askedSince: Float64Array | null;
  readonly top4: Float64Array;
  readonly top6: string[] = [];
  readonly topCount: Float64Array;
  /** The indices of the rules this level runs: all for hosts, the carpet's for prefixes. */
  readonly ruleIdx: Int32Array;

  constructor(max: number, rules: readonly FloodRule[], cooldownS: number, withHosts: boolean) {
    this.table = new FlowTable(max);
    this.ruleIdx = Int32Array.from(rules.flatMap((r, k) => (withHosts && !r.carpet ? [] : [k])));
    // a prefix keeps buckets of the carpet's rules only (an empty table stands for the others)
    this.buckets = rules.map((r) => new BucketTable(withHosts && !r.carpet ? 1 : max, r.config.threshold, r.config.leakPerS, cooldownS));
    this.epIn = rules.map(() => new Float64Array(max));
    this.epOut = rules.map(() => new Float64Array(max));
    this.epBytes = rules.map(() => new Float64Array(max));
    this.sketch = new Int32Array(max * SKETCH_WORDS);
    this.udpSrc = new Int32Array(max * SKETCH_WORDS);
    this.udpDst = new Int32Array(max * SKETCH_WORDS);
    this.ipSrc = new Int32Array(max * SKETCH_WORDS);
    this.ipDst = new Int32Array(max * SKETCH_WORDS);
    const sketches = (): Int32Array[] | null => (withHosts ? rules.map((r) => new Int32Array(r.carpet ? max * SKETCH_WORDS : 0)) : null);
    this.hosts = sketches();
    this.asked = sketches();
    this.askedBefore = sketches();
    this.askedSince = withHosts ? new Float64Array(max) : null;
    this.top4 = new Float64Array(max);
    this.topCount = new Float64Array(max);
  }
}

export class VictimRules {
  private readonly config: RulesConfig;
  private readonly rules: FloodRule[];
  private readonly hostLevel: FloodLevel;
  /** Carpet bombing: the same rules over the sum of each prefix's hosts (null: off). */
  private readonly prefixLevel: FloodLevel | null;
  private readonly v4Mask: number;
  private readonly groups6 = new Uint16Array(8);
  private readonly bytes6 = new Uint8Array(16);
  private readonly cache6Host: string[] = new Array<string>(PREFIX6_CACHE).fill('');
  private readonly cache6Prefix: (string | null)[] = new Array<string | null>(PREFIX6_CACHE).fill(null);
  private readonly scratch = new Int32Array(SKETCH_WORDS);
  private readonly scratch2 = new Int32Array(SKETCH_WORDS);
  /**
   * Per rule, the current tally's in, out and byte columns, looked up once a tally (add) rather
   * than by name for every row, level and rule.
   */
  private readonly inCols: number[][];
  private readonly outCols: (number[] | null)[];
  private readonly bytesCols: (number[] | null)[];
  private tallies = 0;
  private rows = 0;
  private droppedRows = 0;
  private alerts = 0;
  private prefixAlerts = 0;
  private gated = 0;

  constructor(config: RulesConfig, limits: VictimRulesLimits = {}) {
    this.config = validateRulesConfig(config);
    const max = checkCapacity(limits.maxVictims ?? DEFAULT_RULE_TABLES.maxVictims);
    const c = this.config;
    const rule = (type: AlertType, cfg: FloodRule['config'], inCol: TallyCount, outCol: TallyCount | null, bytesCol: TallyCount | null, inName: string, outName: string, carpet = true): FloodRule => ({
      type, config: cfg, inCol, outCol, bytesCol, inName, outName, carpet,
    });
    // Carpet bombing is made of floods from forged or reflected sources (NETSCOUT's reports
    // name DNS, CLDAP, NTP and SSDP reflection, SYN-ACK reflection, spoofed SYN and UDP): the
    // rules gated on many sources. ICMP and other-protocol floods come from real sources
    // (minSources 1), and one real source across a prefix is a sweep, the scan rules' case;
    // summing them would add every monitor that pings each host of a subnet.
    this.rules = [
      rule('syn-flood', c.synFlood, 'syn', 'completions', null, 'syns', 'completed'),
      rule('udp-amplification', c.udpAmplification, 'udpResp', 'udpReqOut', 'udpRespBytes', 'responses', 'requests'),
      rule('udp-flood', c.udpFlood, 'udpIn', 'udpReplyOut', null, 'datagrams', 'answered'),
      rule('tcp-reflection', c.tcpReflection, 'synAck', 'completionsOut', null, 'synAcks', 'completedOut'),
      rule('tcp-flood', c.tcpFlood, 'stray', null, null, 'segments', ''),
      rule('icmp-flood', c.icmpFlood, 'icmp', 'echoOut', 'icmpBytes', 'packets', 'echoRequestsOut', false),
      rule('ip-flood', c.ipFlood, 'ipIn', 'ipOut', null, 'packets', 'sent', false),
      rule('udp-flood', c.quicFlood, 'quicInitial', 'quicContinued', null, 'quicInitials', 'continued'),
    ].filter((r) => r.config.enabled);
    const cb = c.carpetBombing;
    this.hostLevel = new FloodLevel(max, this.rules, c.cooldownS, false);
    this.prefixLevel = cb.enabled ? new FloodLevel(checkCapacity(limits.maxPrefixes ?? DEFAULT_RULE_TABLES.maxPrefixes), this.rules, c.cooldownS, true) : null;
    this.v4Mask = cb.prefixV4 === 0 ? 0 : (~0 << (32 - cb.prefixV4)) | 0;
    this.inCols = this.rules.map(() => []);
    this.outCols = this.rules.map(() => null);
    this.bytesCols = this.rules.map(() => null);
  }

  /** Add one shard's tally; alerts are appended to `out`. The tally is only read. */
  add(tally: VictimTally, out: Alert[]): void {
    this.tallies++;
    this.droppedRows += tally.dropped;
    for (let k = 0; k < this.rules.length; k++) {
      const rule = this.rules[k]!;
      this.inCols[k] = tally[rule.inCol];
      this.outCols[k] = rule.outCol ? tally[rule.outCol] : null;
      this.bytesCols[k] = rule.bytesCol ? tally[rule.bytesCol] : null;
    }
    for (let r = 0; r < tally.rows; r++) {
      this.rows++;
      const v6 = tally.v6[r];
      const v4 = tally.v4[r] | 0;
      this.addRow(this.hostLevel, tally, r, v6 === '' ? v4 : v6, 0, out);
      if (this.prefixLevel === null) continue;
      if (v6 === '') this.addRow(this.prefixLevel, tally, r, v4 & this.v4Mask, mix32(v4), out);
      else {
        const host = mix32(hashText(v6));
        const prefix = this.cachedPrefix6(v6, host);
        if (prefix !== null) this.addRow(this.prefixLevel, tally, r, prefix, host, out);
      }
    }
  }

  /** The bounded tables, for the report (table-report.ts): the victims with state (bound maxVictims), and the carpet-bombed prefixes (bound maxPrefixes) when that rule is on. */
  tables(): Record<string, BoundedTable> {
    const t: Record<string, BoundedTable> = { floodVictims: this.hostLevel.table };
    if (this.prefixLevel !== null) t.floodPrefixes = this.prefixLevel.table;
    return t;
  }

  stats(): Record<string, number> {
    return {
      tallies: this.tallies,
      rows: this.rows,
      droppedRows: this.droppedRows,
      victims: this.hostLevel.table.size,
      victimEvictions: this.hostLevel.table.evictions,
      prefixes: this.prefixLevel?.table.size ?? 0,
      prefixEvictions: this.prefixLevel?.table.evictions ?? 0,
      alerts: this.alerts,
      prefixAlerts: this.prefixAlerts,
      gatedBySources: this.gated,
    };
  }

  /** One tally row into a level's slot of `key`; `host` (prefix level): the row's host hash, for the hosts sketches. */
  private addRow(lv: FloodLevel, tally: VictimTally, r: number, key: AddressKey, host: number, out: Alert[]): void {
    const ts = tally.lastTs[r];
    let s = lv.table.find(key, 0, 0, 0);
    const fresh = s < 0;
    if (fresh) s = lv.table.insert(key, 0, 0, 0);
    // The source sketch and the top source span the current episode: start them afresh
    // when no bucket of this victim holds anything.
    let busy = false;
    const idx = lv.ruleIdx;
    for (let i = 0; i < idx.length; i++) {
      const b = lv.buckets[idx[i]!]!;
      if (fresh) b.reset(s);
      else if (b.leakTo(s, ts) !== 0) busy = true;
    }
    if (lv.askedSince !== null) this.rotateAsked(lv, s, ts, fresh);
    if (!busy) this.clearSources(lv, s);
    this.mergeSources(lv, tally, r, s);
    for (let i = 0; i < idx.length; i++) this.pour(lv, idx[i]!, tally, r, s, ts, key, host, out);
  }

  /** Prefix slot s at ts: a new ASKED_S period when the current one is over (the one before forgotten). */
  private rotateAsked(lv: FloodLevel, s: number, ts: number, fresh: boolean): void {
    const since = lv.askedSince!;
    const from = s * SKETCH_WORDS, to = (s + 1) * SKETCH_WORDS;
    if (fresh || ts - since[s] >= 2 * ASKED_S) {
      for (const a of lv.asked!) a.fill(0, from, to);
      for (const a of lv.askedBefore!) a.fill(0, from, to);
      since[s] = ts;
    } else if (ts - since[s] >= ASKED_S) {
      for (let k = 0; k < lv.asked!.length; k++) {
        const cur = lv.asked![k]!, before = lv.askedBefore![k]!;
        if (cur.length === 0) continue;
        before.set(cur.subarray(from, to), from);
        cur.fill(0, from, to);
      }
      since[s] += ASKED_S;
    }
  }

  private pour(lv: FloodLevel, k: number, tally: VictimTally, r: number, s: number, ts: number, key: AddressKey, host: number, out: Alert[]): void {
    const rule = this.rules[k]!;
    const pin = this.inCols[k]![r]!;
    const outCol = this.outCols[k] ?? null;
    const pout = outCol !== null ? outCol[r]! : 0;
    if (pin === 0 && pout === 0) return;
    const b = lv.buckets[k]!;
    if (b.cooling(s, ts)) return;
    const epIn = lv.epIn[k]!, epOut = lv.epOut[k]!, epBytes = lv.epBytes[k]!;
    const hosts = lv.hosts?.[k] ?? null;
    if (b.levelOf(s) <= 0) {
      epIn[s] = 0;
      epOut[s] = 0;
      epBytes[s] = 0;
      if (hosts !== null) hosts.fill(0, s * SKETCH_WORDS, (s + 1) * SKETCH_WORDS);
    }
    epIn[s] += pin;
    epOut[s] += pout;
    const bytesCol = this.bytesCols[k] ?? null;
    if (bytesCol !== null) epBytes[s] += bytesCol[r]!;
    // The prefix's hosts that received more than they answered, and those that asked (sent
    // what the rule credits): in whichever order the shards' tallies bring them.
    if (hosts !== null) {
      if (pin > pout) sketchAdd(hosts, s, host);
      if (pout > 0) sketchAdd(lv.asked![k]!, s, host);
    }
    // Requests and their answers come from different shards, in either order: requests
    // seen first are credit, up to one threshold's worth.
    if (!b.pour(s, ts, pin - pout, tally.firstTs[r], -rule.config.threshold)) return;
    const cfg = rule.config;
    const sources = rule.inCol === 'udpResp' ? this.unsolicited(lv.udpSrc, lv.udpDst, s) : rule.inCol === 'ipIn' ? this.unsolicited(lv.ipSrc, lv.ipDst, s) : estimateSources(lv.sketch, s * SKETCH_WORDS);
    const spread = hosts === null ? 0 : this.unasked(lv, k, s);
    // one or a few sources: the source rules' case; a prefix's flood on a few of its hosts:
    // the host level's. Hold at the threshold until more come.
    if (sources < cfg.minSources || (hosts !== null && spread < this.config.carpetBombing.minHosts)) {
      b.cap(s, cfg.threshold);
      this.gated++;
      return;
    }
    const firstTs = b.firstTs(s);
    const windowS = Math.max(ts - firstTs, 0);
    const level = b.levelOf(s);
    const evidence: Record<string, number | string> = {
      [rule.inName]: epIn[s],
      level,
      sources,
      windowS: seconds(windowS),
      pps: Math.round(epIn[s] / Math.max(windowS, 1e-3)),
      threshold: cfg.threshold,
      leakPerS: cfg.leakPerS,
      minSources: cfg.minSources,
    };
    if (rule.outCol) evidence[rule.outName] = epOut[s];
    if (rule.bytesCol) evidence.bytes = epBytes[s];
    let target = typeof key === 'number' ? formatIPv4(key >>> 0) : key;
    if (hosts !== null) {
      evidence.hosts = spread;
      evidence.minHosts = this.config.carpetBombing.minHosts;
      target = typeof key === 'number' ? `${target}/${this.config.carpetBombing.prefixV4}` : target;
      this.prefixAlerts++;
    }
    const score = riskScore(level, cfg.threshold, cfg.threshold / cfg.leakPerS, windowS);
    b.trip(s, ts);
    this.alerts++;
    out.push(ruleAlert(rule.type, this.topSource(lv, s), target, score, ts, firstTs, false, evidence));
  }

  /** prefix6 of the host whose text is `text` and hash `host`, through the cache. */
  private cachedPrefix6(text: string, host: number): string | null {
    const i = host & (PREFIX6_CACHE - 1);
    if (this.cache6Host[i] !== text) {
      this.cache6Host[i] = text;
      this.cache6Prefix[i] = this.prefix6(text);
    }
    return this.cache6Prefix[i] ?? null;
  }

  /** The prefix of an IPv6 host (its RFC 5952 text) as text, "2001:db8:1::/48"; null if the text does not parse. */
  private prefix6(text: string): string | null {
    const g = this.groups6;
    if (!parseIpv6(text, g)) return null;
    const len = this.config.carpetBombing.prefixV6;
    const b = this.bytes6;
    for (let i = 0; i < 8; i++) {
      const keep = Math.max(0, Math.min(16, len - i * 16));
      const v = keep === 0 ? 0 : g[i]! & ((0xffff << (16 - keep)) & 0xffff);
      b[i * 2] = v >>> 8;
      b[i * 2 + 1] = v & 0xff;
    }
    return `${formatIPv6(b, 0)}/${len}`;
  }

  private clearSources(lv: FloodLevel, s: number): void {
    const from = s * SKETCH_WORDS, to = (s + 1) * SKETCH_WORDS;
    lv.sketch.fill(0, from, to);
    lv.udpSrc.fill(0, from, to);
    lv.udpDst.fill(0, from, to);
    if (lv.hosts === null) {
      // a prefix merges no IP flood's sketches (mergeSources): they stay empty
      lv.ipSrc.fill(0, from, to);
      lv.ipDst.fill(0, from, to);
    }
    lv.top4[s] = 0;
    lv.top6[s] = '';
    lv.topCount[s] = 0;
  }

  /** OR the row's sketch in, and a weighted Boyer–Moore vote for the top source. */
  private mergeSources(lv: FloodLevel, tally: VictimTally, r: number, s: number): void {
    for (let k = 0; k < SKETCH_WORDS; k++) {
      const a = s * SKETCH_WORDS + k, b = r * SKETCH_WORDS + k;
      lv.sketch[a] |= tally.srcSketch[b];
      lv.udpSrc[a] |= tally.udpSrcSketch[b];
      lv.udpDst[a] |= tally.udpDstSketch[b];
      if (lv.hosts !== null) continue; // a prefix sums no IP flood (not a carpet's)
      lv.ipSrc[a] |= tally.ipSrcSketch[b];
      lv.ipDst[a] |= tally.ipDstSketch[b];
    }
    const n = tally.topCount[r];
    const a4 = tally.topSrc4[r];
    const a6 = tally.topSrc6[r];
    if (a4 === 0 && a6 === '') return; // no source counted toward this host
    if (lv.top4[s] === a4 && lv.top6[s] === a6) lv.topCount[s] += n;
    else if (lv.topCount[s] > n || (lv.topCount[s] === n && this.hasTop(lv, s))) lv.topCount[s] -= n;
    else {
      lv.top4[s] = a4;
      lv.top6[s] = a6;
      lv.topCount[s] = n - lv.topCount[s];
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

  /**
   * Estimated hosts of prefix s flooded with what they never asked for: those that received
   * more than they answered in the episode and sent nothing the rule k credits in this ASKED_S
   * period or the one before (a workstation whose one M-SEARCH to a group drew a hundred SSDP
   * answers asked for them; a carpet's addresses did not): |hosts ∪ asked| − |asked|.
   */
  private unasked(lv: FloodLevel, k: number, s: number): number {
    const h = lv.hosts![k]!, a = lv.asked![k]!, b = lv.askedBefore![k]!;
    const u = this.scratch, v = this.scratch2;
    for (let w = 0; w < SKETCH_WORDS; w++) {
      const i = s * SKETCH_WORDS + w;
      v[w] = a[i]! | b[i]!;
      u[w] = v[w]! | h[i]!;
    }
    return Math.max(0, estimateSources(u) - estimateSources(v));
  }

  private hasTop(lv: FloodLevel, s: number): boolean {
    return lv.top4[s] !== 0 || lv.top6[s] !== '';
  }

  private topSource(lv: FloodLevel, s: number): string {
    const a6 = lv.top6[s];
    if (a6) return a6;
    return formatIPv4(lv.top4[s]);
  }
}
