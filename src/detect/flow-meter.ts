// A per-flow meter in the manner of NetFlow/IPFIX: each direction of a 5-tuple is one flow,
// counted from its first packet until TCP FIN/RST from that side, the idle or the active
// timeout, eviction from a full table, or a flush; then it is emitted as a FlowRecord.
//
// Which rows are metered: IPv4 and IPv6 rows the decoder read whole (MALFORMED and
// UNSUPPORTED rows, ARP and other non-IP rows are skipped). Ports come from TCP and UDP
// headers; ICMP and ICMPv6 use sport 0 and dport type·256 + code, as NetFlow does; other
// protocols use 0/0. A fragment after the first carries no L4 header, so it is metered
// under ports 0/0 of its protocol (a flow of its own, as routers without reassembly do);
// the first fragment carries the header and counts with its 5-tuple.
//
// Time: decisions (idle, active) use the meter's clock, the newest capture time seen, so
// they never go backwards when a capture's timestamps do; a record's firstTs/lastTs are the
// earliest and latest packet times it holds, so its duration is never negative.
//
// Hot path: the key lookup is FlowTable's (no allocation for IPv4), per-flow state lives in
// typed arrays indexed by the table's slot, and an IPv4 address is formatted, and the
// source's GeoIP looked up (through the enricher's cached lookup), only when a flow is
// reported as a record of its own. Two recency lists over the open flows (by last packet, by
// start) make expire() stop at the first flow that has not timed out.
//
// A flow that ends as an unverified attempt (attempt-aggregates.ts: a few TCP packets, none
// verified, that never completed a handshake) is counted under its port: the destination's
// for an initiation (SYNs, probes), the replier's for an unanswered reply (a SYN-ACK or a
// reset: FlowRecord.servicePort). With `attempts` it is not reported on its own but summed
// into an aggregate per target, that port and time slot (past the target's first
// `portsPerTarget` ports in the slot, into its many-ports aggregate); so is a one-datagram UDP
// flow from an unverified source past that bound, or past its port's first `datagramsPerPort`
// such flows in the slot (AttemptAggregator.addDatagram).

import { AutoimmuneError } from '../errors.ts';
import type { BoundedTable } from './table-report.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import { AttemptAggregator, DEFAULT_MAX_PACKETS, type AttemptConfig } from './attempt-aggregates.ts';
import { PacketFlags } from '../net/packet-batch.ts';
import { LruOrder } from '../util/lru.ts';
import type { AddressLookup, EnrichedBatch } from './enrichment.ts';
import type { FlowEnd, FlowRecord } from './flow-record.ts';
import { FlowTable } from './flow-table.ts';
import { Ipv4Texts } from '../net/address.ts';
import { holeyObjects } from '../util/elements-kind.ts';

export interface FlowMeterConfig {
  /** A flow with no packet for this long ends ('idle'); default 15 s (NetFlow's inactive timeout). */
  idleTimeoutS?: number;
  /** A flow open this long is reported and restarted ('active'); default 120 s. */
  activeTimeoutS?: number;
  /** Flows tracked at once; past it the least recently seen ends ('evicted'); default 65,536. */
  maxFlows?: number;
  /** Unverified attempts summed per target, port and slot instead of reported one by one; absent or null: off. */
  attempts?: AttemptConfig | null;
  /** Without `attempts`, flows of more packets are never counted as unanswered replies (attemptPort); default 3. */
  attemptMaxPackets?: number;
}

const DEFAULT_IDLE_TIMEOUT_S = 15;
const DEFAULT_ACTIVE_TIMEOUT_S = 120;
const DEFAULT_MAX_FLOWS = 65_536;
// State is allocated up front for every slot (about 100 bytes each with the table's own):
// the bound keeps a typo from asking for gigabytes. Same bound as the flow-feature tables.
const MAX_FLOWS = 2 ** 26;

/** A flow record's numbers in FlowMeter.rec: capture times of its first and last packet, meter clock at its start and latest packet, counts. */
const FIRST_TS = 0;
const LAST_TS = 1;
const STARTED = 2;
const SEEN = 3;
const PACKETS = 4;
const BYTES = 5;
const ANOMALOUS = 6;
const SCORED = 7;
const REC = 8;

export class FlowMeterConfigError extends AutoimmuneError {
  readonly field: string;
  constructor(field: string, value: unknown, expected: string) {
    super(
      'AI_ERR_FLOW_METER_CONFIG',
      `flow meter: ${field} must be ${expected}, got ${shown(value)}: fix it in the configuration`,
    );
    this.field = field;
  }
}

// JSON spells NaN and Infinity as null; a number is shown as itself, anything else as JSON.
const shown = (v: unknown) => (typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v)));

function seconds(field: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new FlowMeterConfigError(field, v, 'a finite number of seconds above 0');
  }
  return v;
}

const METERED = PacketFlags.IPV4 | PacketFlags.IPV6;
const SKIPPED = PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED;
const PORTS = PacketFlags.TCP | PacketFlags.UDP;
const ICMP_ANY = PacketFlags.ICMP | PacketFlags.ICMPV6;
const TCP_FIN = 0x01;
const TCP_RST = 0x04;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;
const VERIFIED = PacketFlags.ESTABLISHED | PacketFlags.SOURCE_SEEN;
const NONE = -1;

export class FlowMeter {
  readonly idleTimeoutS: number;
  readonly activeTimeoutS: number;
  readonly maxFlows: number;

  /** Keys stay here after their flow ends (FlowTable has no delete): a later packet reopens the slot. */
  private readonly table: FlowTable;
  /** Open flows, least recently seen last: `seen` rises towards the newest. */
  private readonly byLast: LruOrder;
  /** Open flows in the order their record started: `started` rises towards the newest. */
  private readonly byStart: LruOrder;

  // Per slot: the key (IPv4 as int32; IPv6 as its text, kept from when the key entered the table) ...
  private readonly v6: Uint8Array;
  private readonly src4: Int32Array;
  private readonly dst4: Int32Array;
  private readonly src6: Array<string | undefined> = holeyObjects();
  private readonly dst6: Array<string | undefined> = holeyObjects();
  /** Records' IPv4 addresses as text: a host's one string, not a new one per record. */
  private readonly v4Texts = new Ipv4Texts();
  private readonly proto: Uint8Array;
  private readonly sport: Uint16Array;
  private readonly dport: Uint16Array;
  // ... and the open record.
  private readonly open: Uint8Array;
  /**
   * Per slot, its record's numbers side by side (FIRST_TS ... SCORED, 64 bytes): a packet reads
   * and writes most of them, and eight arrays were eight cache misses for a slot out of cache
   * (a flood's every packet is a new flow in the least recently used slot) where one record
   * is one or two. Float64: a record of a long, fast flow (large active timeout) can pass 2^32
   * bytes; STARTED and SEEN are the meter clock at its first and latest packet, what the
   * timeouts are measured on.
   */
  private readonly rec: Float64Array;
  private readonly tcpFlags: Uint16Array;
  /** 1 when a packet of the record was ESTABLISHED or SOURCE_SEEN. */
  private readonly verified: Uint8Array;
  /** Unverified attempts' aggregates, or null. */
  readonly attempts: AttemptAggregator | null;
  /** Flows of more packets are never attempts (the aggregator's, or its default when off). */
  private readonly attemptMaxPackets: number;
  /** The GeoIP lookup of the batches' enricher (one per shard), from the last batch observed. */
  private geo: AddressLookup<GeoInfo | undefined> | null = null;

  private now = -Infinity;
  private openCount = 0;
  private endedCount = 0;
  private evictedCount = 0;

  constructor(config: FlowMeterConfig = {}) {
    this.idleTimeoutS = seconds('idleTimeoutS', config.idleTimeoutS, DEFAULT_IDLE_TIMEOUT_S);
    this.activeTimeoutS = seconds('activeTimeoutS', config.activeTimeoutS, DEFAULT_ACTIVE_TIMEOUT_S);
    const m = config.maxFlows;
    if (m !== undefined && (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_FLOWS)) {
      throw new FlowMeterConfigError('maxFlows', m, 'an integer between 1 and 67,108,864');
    }
    const n = (this.maxFlows = m ?? DEFAULT_MAX_FLOWS);
    this.table = new FlowTable(n);
    this.byLast = new LruOrder(n);
    this.byStart = new LruOrder(n);
    this.proto = new Uint8Array(n);
    this.sport = new Uint16Array(n);
    this.dport = new Uint16Array(n);
    this.open = new Uint8Array(n);
    this.rec = new Float64Array(n * REC);
    this.tcpFlags = new Uint16Array(n);
    this.verified = new Uint8Array(n);
    this.v6 = new Uint8Array(n);
    this.src4 = new Int32Array(n);
    this.dst4 = new Int32Array(n);
    this.attempts = config.attempts ? new AttemptAggregator(config.attempts) : null;
    this.attemptMaxPackets = this.attempts?.maxPackets ?? config.attemptMaxPackets ?? DEFAULT_MAX_PACKETS;
  }

  /** The newest capture time seen (seconds), or -Infinity. */
  get clock(): number {
    return this.now;
  }

  /** Flows open now. */
  get size(): number {
    return this.openCount;
  }

  /** The bounded table, for the report (table-report.ts): open flows, at most maxFlows. */
  tables(): Record<string, BoundedTable> {
    return { flows: { size: this.openCount, capacity: this.maxFlows } };
  }

  /** Open flows; records emitted since creation, and how many of them for eviction. */
  stats(): { open: number; ended: number; evicted: number } {
    return { open: this.openCount, ended: this.endedCount, evicted: this.evictedCount };
  }

  /**
   * Meters every IPv4/IPv6 row of the batch (see the top of this file for which rows and
   * which key). `scores`: the model's score per row, or null when there is no model; a row
   * counts as anomalous when its score is above `threshold` (NaN never is). Records of the
   * flows that end are pushed to `out`.
   */
  observe(b: EnrichedBatch<GeoInfo | undefined>, scores: Float32Array | null, threshold: number, out: FlowRecord[]): void {
    const p = b.packets;
    const n = p.length;
    const { flags, ts, wirelen, protocol, srcPort, dstPort, icmpType, icmpCode, tcpFlags } = p;
    if (b.geo !== undefined) this.geo = b.geo;
    const idle = this.idleTimeoutS;
    const active = this.activeTimeoutS;
    let clock = this.now;
    for (let i = 0; i < n; i++) {
      const f = flags[i]!;
      if ((f & METERED) === 0 || (f & SKIPPED) !== 0) continue;
      const t = ts[i]!;
      if (t > clock) clock = t;
      const proto = protocol[i]!;
      let sport = 0;
      let dport = 0;
      if (f & PORTS) {
        sport = srcPort[i]!;
        dport = dstPort[i]!;
      } else if (f & ICMP_ANY) dport = icmpType[i]! * 256 + icmpCode[i]!;
      const src = p.flowKey(i, 'src');
      const dst = p.flowKey(i, 'dst');
      const x = (proto << 16) | sport;
      let s = this.table.find(src, dst, x, dport);
      if (s === NONE) {
        s = this.table.insert(src, dst, x, dport);
        // A full table handed over its least recently seen key's slot; that slot's state is
        // still the old flow's, so its record goes out before the slot is rebound.
        if (this.open[s]) this.end(s, 'evicted', out);
        if (typeof src === 'number') {
          this.v6[s] = 0;
          this.src4[s] = src;
          this.dst4[s] = dst as number;
          this.src6[s] = this.dst6[s] = undefined;
        } else {
          this.v6[s] = 1;
          this.src6[s] = src;
          this.dst6[s] = dst as string;
        }
        this.proto[s] = proto;
        this.sport[s] = sport;
        this.dport[s] = dport;
        this.start(s, t, clock);
      } else if (!this.open[s]) {
        this.start(s, t, clock);
      } else if (clock - this.rec[s * REC + SEEN]! > idle) {
        // expire() was not called in the gap: the old record ended long ago
        this.end(s, 'idle', out);
        this.start(s, t, clock);
      } else if (clock - this.rec[s * REC + STARTED]! >= active) {
        this.end(s, 'active', out);
        this.start(s, t, clock);
      } else {
        this.rec[s * REC + SEEN] = clock;
        this.byLast.touch(s);
        if (t < this.rec[s * REC + FIRST_TS]!) this.rec[s * REC + FIRST_TS] = t;
        if (t > this.rec[s * REC + LAST_TS]!) this.rec[s * REC + LAST_TS] = t;
      }
      this.rec[s * REC + PACKETS]!++;
      this.rec[s * REC + BYTES]! += wirelen[i]!;
      if (scores !== null) {
        this.rec[s * REC + SCORED]!++;
        if (scores[i]! > threshold) this.rec[s * REC + ANOMALOUS]!++;
      }
      if (f & VERIFIED) this.verified[s] = 1;
      if (f & PacketFlags.TCP) {
        const tf = tcpFlags[i]!;
        this.tcpFlags[s]! |= tf;
        if (tf & TCP_RST) this.end(s, 'rst', out);
        else if (tf & TCP_FIN) this.end(s, 'fin', out);
      }
    }
    this.now = clock;
  }

  /**
   * Ends the flows with no packet for more than the idle timeout before `nowTs`, then those
   * open for at least the active timeout (seconds, capture clock). Each list is walked from
   * its oldest end and stops at the first flow that stays, so a call that ends nothing costs
   * two comparisons.
   */
  expire(nowTs: number, out: FlowRecord[]): void {
    const idle = this.idleTimeoutS;
    const active = this.activeTimeoutS;
    for (let s = this.byLast.oldest; s !== NONE && nowTs - this.rec[s * REC + SEEN]! > idle; s = this.byLast.oldest) {
      this.end(s, 'idle', out);
    }
    for (let s = this.byStart.oldest; s !== NONE && nowTs - this.rec[s * REC + STARTED]! >= active; s = this.byStart.oldest) {
      this.end(s, 'active', out);
    }
    this.attempts?.close(nowTs, out);
  }

  /** Ends every open flow ('flush'), least recently seen first, and forgets every key. */
  flushAll(out: FlowRecord[]): void {
    for (let s = this.byLast.oldest; s !== NONE; s = this.byLast.oldest) this.end(s, 'flush', out);
    this.attempts?.flushAll(out);
    this.table.clear();
    this.src6.length = 0;
    this.dst6.length = 0;
  }

  private start(s: number, t: number, clock: number): void {
    this.open[s] = 1;
    this.rec[s * REC + FIRST_TS] = t;
    this.rec[s * REC + LAST_TS] = t;
    this.rec[s * REC + STARTED] = clock;
    this.rec[s * REC + SEEN] = clock;
    this.rec[s * REC + PACKETS] = 0;
    this.rec[s * REC + BYTES] = 0;
    this.rec[s * REC + ANOMALOUS] = 0;
    this.rec[s * REC + SCORED] = 0;
    this.tcpFlags[s] = 0;
    this.verified[s] = 0;
    this.byLast.pushNewest(s);
    this.byStart.pushNewest(s);
    this.openCount++;
  }

  private end(s: number, end: FlowEnd, out: FlowRecord[]): void {
    const v6 = this.v6[s] === 1;
    const a = this.attempts;
    const port = this.attemptPort(s);
    if (a !== null && port !== NONE) {
      a.add(v6 ? this.src6[s]! : this.src4[s]!, v6 ? this.dst6[s]! : this.dst4[s]!, this.proto[s]!, port & 0xffff, port > 0xffff, this.now,
        this.rec[s * REC + FIRST_TS]!, this.rec[s * REC + LAST_TS]!, this.rec[s * REC + PACKETS]!, this.rec[s * REC + BYTES]!, this.tcpFlags[s]!, this.rec[s * REC + ANOMALOUS]!, this.rec[s * REC + SCORED]!, out);
    } else if (
      a !== null && this.proto[s] === 17 && this.rec[s * REC + PACKETS] === 1 && this.verified[s] === 0 &&
      a.addDatagram(v6 ? this.src6[s]! : this.src4[s]!, v6 ? this.dst6[s]! : this.dst4[s]!, this.dport[s]!, this.now,
        this.rec[s * REC + FIRST_TS]!, this.rec[s * REC + LAST_TS]!, this.rec[s * REC + BYTES]!, this.rec[s * REC + ANOMALOUS]!, this.rec[s * REC + SCORED]!, out)
    ) {
      // a one-datagram UDP flow past its target's ports bound: counted in the many-ports row
    } else {
      const source = v6 ? this.src6[s]! : this.v4Texts.text(this.src4[s]!);
      const g = this.geo?.lookup(v6 ? source : this.src4[s]!);
      this.report(s, source, v6 ? this.dst6[s]! : this.v4Texts.text(this.dst4[s]!), g ?? null, end, port > 0xffff ? port & 0xffff : NONE, out);
    }
    this.open[s] = 0;
    this.byLast.remove(s);
    this.byStart.remove(s);
    this.openCount--;
    this.endedCount++;
    if (end === 'evicted') this.evictedCount++;
  }

  /**
   * NONE unless the flow is an unverified attempt (see attempt-aggregates.ts): TCP, a few
   * packets, none of them verified, that never got past the handshake. Then the port it is
   * counted under: an initiation's (no ACK at all: SYNs, probes) destination port; an
   * unanswered reply's (a SYN-ACK never acknowledged, a reset) source port, plus 0x10000: a
   * SYN-ACK or a reset with ACK answers what came to that port. A bare reset answers an ACK
   * from either side: it is counted under the lower of its ports (as Wireshark picks the
   * server of a TCP conversation), a reply when that is its source port.
   */
  private attemptPort(s: number): number {
    if (this.verified[s] !== 0 || this.proto[s] !== 6 || this.rec[s * REC + PACKETS]! > this.attemptMaxPackets) return NONE;
    const f = this.tcpFlags[s]!;
    const sport = this.sport[s]!;
    if ((f & TCP_SYN) !== 0) return (f & TCP_ACK) !== 0 ? 0x10000 | sport : this.dport[s]!;
    if ((f & TCP_RST) !== 0) return (f & TCP_ACK) !== 0 || sport < this.dport[s]! ? 0x10000 | sport : this.dport[s]!;
    return (f & TCP_ACK) === 0 ? this.dport[s]! : NONE;
  }

  /** `servicePort`: an unanswered reply's (attemptPort), else NONE. */
  private report(s: number, source: string, target: string, g: GeoInfo | null, end: FlowEnd, servicePort: number, out: FlowRecord[]): void {
    const r: FlowRecord = {
      source,
      target,
      protocol: this.proto[s]!,
      sport: this.sport[s]!,
      dport: this.dport[s]!,
      firstTs: this.rec[s * REC + FIRST_TS]!,
      lastTs: this.rec[s * REC + LAST_TS]!,
      packets: this.rec[s * REC + PACKETS]!,
      bytes: this.rec[s * REC + BYTES]!,
      tcpFlags: this.tcpFlags[s]!,
      anomalous: this.rec[s * REC + ANOMALOUS]!,
      scored: this.rec[s * REC + SCORED]!,
      country: g?.country ?? null,
      asn: g?.asn ?? null,
      end,
    };
    if (servicePort !== NONE) r.servicePort = servicePort;
    out.push(r);
  }
}
