// Unverified connection attempts as aggregates, not one record each. A spoofed SYN flood makes
// one flow per packet, each from a forged address that says nothing of its own; stored a row
// each, it lets an attacker spend the sensor's CPU and disk (Suricata bounds flows with
// flow.memcap and an emergency mode for this reason; Zeek's conn.log fills with S0 lines).
//
// A flow the meter ends is an *attempt* (FlowMeter.attemptPort) when it is TCP, has at most
// `maxPackets` packets, none of them part of a verified connection or from a source that had
// one (session-verifier.ts: ESTABLISHED, SOURCE_SEEN), and it never got past the handshake.
// Two kinds, each summed per target, protocol, port and time slot (the slot in which they
// ended, by the meter's clock):
// - an *initiation* (no ACK at all: SYNs, probes; the source never answered a SYN-ACK), under
//   the port it went to (dport);
// - an *unanswered reply* (a SYN-ACK never acknowledged, or a reset), under the replier's
//   service port: its source port (a bare reset answers whichever side sent an ACK: it is a
//   reply when its source port is the lower, as Wireshark picks a TCP conversation's server,
//   and an initiation under its destination port otherwise). A
//   reflection's SYN-ACKs go to a different port of the victim each, but come from a few
//   service ports: a handful of rows. The meter counts such a reply under the same port when
//   it is stored alone (FlowRecord.servicePort), so the counts per service do not depend on
//   aggregation; Zeek likewise turns a connection whose first packet is a SYN-ACK around.
// Each aggregate sums flows, packets, bytes, the OR of the TCP flags, the model's counts, and
// the distinct sources, counted exactly up to `exactSources` and estimated past it
// (HyperLogLog, 1,024 registers: about 3 % standard error), with the first few sources as
// samples. An aggregate of one source is stored under that source, so a question naming a
// scanner still finds its flows.
// ICMP flows are never aggregated, nor UDP flows below the ports and datagrams bounds (below):
// the source's shard cannot tell a datagram that got an answer (a DNS query) from one that did not.
// A scan stays a row per port tried (initiations of one source go to a different port each),
// up to a bound: see README, "unverified attempts".
//
// Ports per target: a spoofed flood to random ports of one target would still be a row per
// port per slot (up to 65,536 a minute, the attacker's choice). So each target (per protocol
// and kind) keeps aggregates of its own for its first `portsPerTarget` distinct ports in a
// slot; attempts to any further port of it go into one *many-ports* aggregate per target,
// protocol, kind and slot (port 0, service 'tcp/*'), which counts its distinct ports exactly
// (a bitmap of the 65,536) beside everything else. Zeek's scan detection likewise counts
// distinct ports per host rather than keeping them (Scan::Port_Scan). With `udp`, a UDP flow
// of one datagram from an unverified source joins that bound too (addDatagram): below it,
// such a datagram stays a row of its own (the shard cannot tell a query that was answered
// from a flood), past it the target's many-ports row counts it: a UDP flood to random ports
// stores `portsPerTarget` rows of its own and one more per slot.
//
// Datagrams per port: a UDP flood to one port (53, 123) of a target, from a forged source
// each, would still be a row per datagram. So each of the target's first ports counts its
// one-datagram rows in the slot: the first `datagramsPerPort` are rows of their own (a
// server's clients at ordinary rates stay listed one by one), further ones are summed into
// one aggregate per target, UDP port and slot (an ordinary aggregate: its port, flows,
// packets, bytes, sources). The count is per port, beside the port in the target's entry,
// so the state is bounded with the targets'; a target's rows a slot are at most
// portsPerTarget × (datagramsPerPort + 1) + 1. Counted per flow, not per distinct source: a
// forged source with a new source port each datagram is a new flow each time.
//
// Bounded: at most `maxKeys` aggregates open at once (past it the least recently used is
// emitted early, 'evicted'), and the first ports of at most `maxKeys` targets (past it the
// least recently used target's are forgotten, and it starts counting again: 2 bytes a port,
// 4 for UDP with its datagram counts, so at most 4 MB at the defaults); no allocation per
// attempt for IPv4 beyond a sample's text.

import { formatIPv4 } from '../net/address.ts';
import type { FlowRecord } from './flow-record.ts';
import { FlowTable, hashAddress, type AddressKey } from './flow-table.ts';
import { holeyObjects } from '../util/elements-kind.ts';

export interface AttemptConfig {
  /** Slot length, seconds of capture time; default 60. */
  slotS?: number;
  /** Flows of more packets than this are never attempts; default 3 (a SYN and two retransmissions). */
  maxPackets?: number;
  /** Aggregates open at once, and targets whose ports are counted; default 4,096. */
  maxKeys?: number;
  /** Distinct ports of a target, per protocol, kind and slot, with rows of their own; past it one many-ports row; default 256. */
  portsPerTarget?: number;
  /** One-datagram UDP flows from unverified sources count towards portsPerTarget (and past it join the many-ports row); default true. */
  udp?: boolean;
  /** Such flows to one of a target's first ports, per slot, with rows of their own; past it one aggregate per target, port and slot; default 64. */
  datagramsPerPort?: number;
}

/** What an aggregate record adds to a FlowRecord (FlowRecord.attempts). */
export interface AttemptSummary {
  /** Flows the record stands for. */
  flows: number;
  /** Distinct sources: exact when `sourcesExact`, else an estimate. */
  sources: number;
  sourcesExact: boolean;
  /** The first sources seen (at most SAMPLES). */
  samples: string[];
  /** Start of the slot (capture time, seconds) and its length. */
  slotStart: number;
  slotS: number;
  /**
   * 'unverified-attempts': initiations, counted under the port they went to (the record's
   * dport); 'unanswered-replies': counted under the replier's port (the record's sport and
   * servicePort; its dport is 0, they went to many).
   */
  reason: 'unverified-attempts' | 'unanswered-replies';
  /**
   * Present on a target's many-ports aggregate (past `portsPerTarget` distinct ports in the
   * slot): how many distinct ports its flows went to (replies: came from), none of them the
   * ports with rows of their own. Its record's ports are 0 and its service 'tcp/*'.
   */
  ports?: number;
}

const DEFAULT_SLOT_S = 60;
export const DEFAULT_MAX_PACKETS = 3;
const DEFAULT_MAX_KEYS = 4_096;
export const DEFAULT_PORTS_PER_TARGET = 256;
export const DEFAULT_DATAGRAMS_PER_PORT = 64;
/** The key's protocol word: the protocol, REPLY for unanswered replies, MANY for a many-ports aggregate. */
const REPLY = 0x100;
const MANY = 0x200;
const SAMPLES = 4;
/** Distinct sources counted exactly up to this many per aggregate (a Set of them), estimated past it. */
export const EXACT_SOURCES = 1_024;
const HLL_BITS = 10;
const HLL_M = 1 << HLL_BITS;
const NONE = -1;
const UDP = 17;

class Aggregate {
  target = '';
  protocol = 0;
  /** The port it is counted under; `reply`: the replier's (source) port, else the destination's. */
  port = 0;
  reply = false;
  slotStart = 0;
  firstTs = Infinity;
  lastTs = -Infinity;
  flows = 0;
  packets = 0;
  bytes = 0;
  tcpFlags = 0;
  anomalous = 0;
  scored = 0;
  /** The first source; `set` once a second one comes; `hll` once the set passes EXACT_SOURCES. */
  first: AddressKey = 0;
  set: Set<AddressKey> | null = null;
  hll: Uint8Array | null = null;
  samples: string[] = [];
  /** A many-ports aggregate: a bit per port (kept between slots, cleared when reopened) and how many are set. */
  portBits: Uint8Array | null = null;
  ports = 0;
  many = false;
  open = false;
}

/** A target's first distinct ports in a slot (per protocol and kind), sorted; for UDP, each port's one-datagram rows in the slot. */
class TargetPorts {
  slotStart = NaN;
  count = 0;
  constructor(
    readonly ports: Uint16Array,
    readonly datagrams: Uint16Array | null,
  ) {}
}

export class AttemptAggregator {
  readonly slotS: number;
  readonly maxPackets: number;
  readonly portsPerTarget: number;
  readonly udp: boolean;
  readonly datagramsPerPort: number;
  private readonly keys: FlowTable;
  private readonly aggs: Aggregate[] = holeyObjects();
  private readonly targets: FlowTable;
  private readonly targetPorts: TargetPorts[] = holeyObjects();
  /** The entry of the target admits() last looked at. */
  private target: TargetPorts | null = null;
  /** Slots of the open aggregates. */
  private openSlots: number[] = [];
  /**
   * At most the earliest slotStart of the open aggregates (Infinity: none open): close() has
   * nothing to emit before its clock's slot passes it, and returns without walking them (it
   * runs after every metered batch, and a scan keeps hundreds open).
   */
  private earliestOpen = Infinity;
  /** Flows aggregated, and aggregates emitted, since creation. */
  attempts = 0;
  emitted = 0;

  constructor(config: AttemptConfig = {}) {
    this.slotS = config.slotS ?? DEFAULT_SLOT_S;
    this.maxPackets = config.maxPackets ?? DEFAULT_MAX_PACKETS;
    this.portsPerTarget = config.portsPerTarget ?? DEFAULT_PORTS_PER_TARGET;
    this.udp = config.udp ?? true;
    this.datagramsPerPort = Math.min(config.datagramsPerPort ?? DEFAULT_DATAGRAMS_PER_PORT, 0xffff);
    this.keys = new FlowTable(config.maxKeys ?? DEFAULT_MAX_KEYS);
    this.targets = new FlowTable(config.maxKeys ?? DEFAULT_MAX_KEYS);
  }

  /**
   * Adds an ended attempt from `source` (IPv4 as int32, IPv6 as text) to `target`, ended at
   * meter clock `clock`, counted under `port`: the destination port of an initiation, the
   * service port of a reply (`reply`). An aggregate of an earlier slot, or one evicted, goes
   * to `out` first.
   */
  add(
    source: AddressKey, target: AddressKey, protocol: number, port: number, reply: boolean, clock: number,
    firstTs: number, lastTs: number, packets: number, bytes: number, tcpFlags: number, anomalous: number, scored: number,
    out: FlowRecord[],
  ): void {
    const slotStart = Math.floor(clock / this.slotS) * this.slotS;
    const x = reply ? protocol | REPLY : protocol;
    const many = this.admits(target, x, port, slotStart) === NONE;
    const a = this.open(many ? x | MANY : x, many ? 0 : port, source, target, protocol, reply, slotStart, out);
    if (many) this.addPort(a, port);
    this.sum(a, firstTs, lastTs, packets, bytes, tcpFlags, anomalous, scored);
  }

  /**
   * A UDP flow of one datagram from an unverified source to `port` of `target`, ended at meter
   * clock `clock`: false while that port is one of the target's first `portsPerTarget` UDP
   * ports in the slot and has had fewer than `datagramsPerPort` such flows in it (the caller
   * stores the flow as a row of its own); else it is summed into the aggregate of that port
   * (past `datagramsPerPort`) or into the target's many-ports aggregate (past the ports), and
   * true. Always false without `udp`.
   */
  addDatagram(
    source: AddressKey, target: AddressKey, port: number, clock: number,
    firstTs: number, lastTs: number, bytes: number, anomalous: number, scored: number, out: FlowRecord[],
  ): boolean {
    if (!this.udp) return false;
    const slotStart = Math.floor(clock / this.slotS) * this.slotS;
    const i = this.admits(target, UDP, port, slotStart);
    let a: Aggregate;
    if (i === NONE) {
      a = this.open(UDP | MANY, 0, source, target, UDP, false, slotStart, out);
      this.addPort(a, port);
    } else {
      const d = this.target!.datagrams!;
      if (d[i]! < this.datagramsPerPort) {
        d[i]!++;
        return false;
      }
      a = this.open(UDP, port, source, target, UDP, false, slotStart, out);
    }
    this.sum(a, firstTs, lastTs, 1, bytes, 0, anomalous, scored);
    return true;
  }

  /**
   * Where `port` is among the target's first `portsPerTarget` distinct ports (per protocol
   * word `x`) in the slot starting at `slotStart`, or NONE past them; a new port is recorded
   * while there is room (its datagrams 0). The target's entry is left in `this.target`.
   */
  private admits(target: AddressKey, x: number, port: number, slotStart: number): number {
    let s = this.targets.find(target, 0, x, 0);
    const fresh = s === NONE;
    if (fresh) s = this.targets.insert(target, 0, x, 0); // a full table forgets its least recently used target
    let t = this.targetPorts[s];
    // a slot's entry serves any protocol word: UDP's datagram counts are allocated the first time one needs them
    if (t === undefined || (x === UDP && t.datagrams === null)) {
      t = this.targetPorts[s] = new TargetPorts(t?.ports ?? new Uint16Array(this.portsPerTarget), x === UDP ? new Uint16Array(this.portsPerTarget) : null);
    }
    this.target = t;
    if (fresh || t.slotStart !== slotStart) {
      t.slotStart = slotStart;
      t.count = 0;
    }
    // binary search of the sorted ports
    const ports = t.ports;
    let lo = 0;
    let hi = t.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ports[mid]! < port) lo = mid + 1;
      else hi = mid;
    }
    if (lo < t.count && ports[lo] === port) return lo;
    if (t.count === ports.length) return NONE;
    ports.copyWithin(lo + 1, lo, t.count);
    ports[lo] = port;
    const d = t.datagrams;
    if (d !== null) {
      d.copyWithin(lo + 1, lo, t.count);
      d[lo] = 0;
    }
    t.count++;
    return lo;
  }

  /** The open aggregate of key (target, x, port) for the slot, opened (and an older slot's, or an evicted key's, emitted to `out`) as needed; `source` counted. */
  private open(
    x: number, port: number, source: AddressKey, target: AddressKey, protocol: number, reply: boolean, slotStart: number, out: FlowRecord[],
  ): Aggregate {
    let s = this.keys.find(target, 0, x, port);
    if (s === NONE) {
      s = this.keys.insert(target, 0, x, port);
      if (this.aggs[s]?.open) this.emit(s, out); // a full table handed over its least recently used key's slot
    }
    let a = this.aggs[s];
    if (a === undefined) a = this.aggs[s] = new Aggregate();
    if (a.open && a.slotStart !== slotStart) this.emit(s, out);
    if (!a.open) {
      a.open = true;
      a.target = typeof target === 'number' ? formatIPv4(target) : target;
      a.protocol = protocol;
      a.port = port;
      a.reply = reply;
      a.many = (x & MANY) !== 0;
      // (emit() released the last episode's bitmap)
      if (a.many) a.portBits = new Uint8Array(65_536 / 8);
      a.ports = 0;
      a.slotStart = slotStart;
      a.firstTs = Infinity;
      a.lastTs = -Infinity;
      a.flows = a.packets = a.bytes = a.tcpFlags = a.anomalous = a.scored = 0;
      a.first = source;
      a.set = null;
      a.hll = null;
      a.samples = [typeof source === 'number' ? formatIPv4(source) : source];
      this.openSlots.push(s);
      if (slotStart < this.earliestOpen) this.earliestOpen = slotStart;
    } else this.addSource(a, source);
    return a;
  }

  private addPort(a: Aggregate, port: number): void {
    const bits = a.portBits!;
    const bit = 1 << (port & 7);
    if ((bits[port >>> 3]! & bit) === 0) {
      bits[port >>> 3]! |= bit;
      a.ports++;
    }
  }

  private sum(a: Aggregate, firstTs: number, lastTs: number, packets: number, bytes: number, tcpFlags: number, anomalous: number, scored: number): void {
    this.attempts++;
    a.flows++;
    if (firstTs < a.firstTs) a.firstTs = firstTs;
    if (lastTs > a.lastTs) a.lastTs = lastTs;
    a.packets += packets;
    a.bytes += bytes;
    a.tcpFlags |= tcpFlags;
    a.anomalous += anomalous;
    a.scored += scored;
  }

  /** Emits the aggregates whose slot ended by `clock` (seconds, the meter's clock). */
  close(clock: number, out: FlowRecord[]): void {
    if (this.openSlots.length === 0) return;
    const slot = Math.floor(clock / this.slotS) * this.slotS;
    if (!(this.earliestOpen < slot)) return;
    let kept = 0;
    let earliest = Infinity;
    for (const s of this.openSlots) {
      const a = this.aggs[s]!;
      if (!a.open) continue;
      if (a.slotStart < slot) this.emit(s, out, false);
      else {
        this.openSlots[kept++] = s;
        if (a.slotStart < earliest) earliest = a.slotStart;
      }
    }
    this.openSlots.length = kept;
    this.earliestOpen = earliest;
  }

  /** Emits every open aggregate (the meter stops). */
  flushAll(out: FlowRecord[]): void {
    for (const s of this.openSlots) if (this.aggs[s]!.open) this.emit(s, out, false);
    this.openSlots = [];
    this.earliestOpen = Infinity;
  }

  /** Aggregates open now. */
  get size(): number {
    let n = 0;
    for (const s of this.openSlots) if (this.aggs[s]!.open) n++;
    return n;
  }

  private addSource(a: Aggregate, source: AddressKey): void {
    if (a.hll) {
      hllAdd(a.hll, source);
      return;
    }
    if (a.set === null) {
      if (source === a.first) return;
      a.set = new Set([a.first]);
    }
    if (a.set.has(source)) return;
    a.set.add(source);
    if (a.samples.length < SAMPLES) a.samples.push(typeof source === 'number' ? formatIPv4(source) : source);
    if (a.set.size > EXACT_SOURCES) {
      a.hll = new Uint8Array(HLL_M);
      for (const k of a.set) hllAdd(a.hll, k);
      a.set = null;
    }
  }

  /** `prune`: also drop the slot from openSlots (an early emit); close() and flushAll() rebuild it themselves. */
  private emit(s: number, out: FlowRecord[], prune = true): void {
    const a = this.aggs[s]!;
    const exact = a.hll === null;
    const sources = a.hll ? hllEstimate(a.hll) : a.set ? a.set.size : 1;
    out.push({
      source: sources === 1 && exact ? a.samples[0]! : '*',
      target: a.target,
      protocol: a.protocol,
      sport: a.reply ? a.port : 0,
      dport: a.reply ? 0 : a.port,
      ...(a.reply && !a.many ? { servicePort: a.port } : {}),
      firstTs: a.firstTs,
      lastTs: a.lastTs,
      packets: a.packets,
      bytes: a.bytes,
      tcpFlags: a.tcpFlags,
      anomalous: a.anomalous,
      scored: a.scored,
      country: null,
      asn: null,
      end: 'slot',
      attempts: { flows: a.flows, sources, sourcesExact: exact, samples: a.samples, slotStart: a.slotStart, slotS: this.slotS, reason: a.reply ? 'unanswered-replies' : 'unverified-attempts', ...(a.many ? { ports: a.ports } : {}) },
    });
    a.open = false;
    a.set = null;
    a.hll = null;
    a.portBits = null; // 8 KB: kept only while a many-ports row is open, not for the slot's life
    this.emitted++;
    if (prune) {
      const at = this.openSlots.indexOf(s);
      if (at >= 0) this.openSlots.splice(at, 1);
    }
  }
}

function hllAdd(regs: Uint8Array, k: AddressKey): void {
  const h = hashAddress(k);
  const j = h >>> (32 - HLL_BITS);
  // Rank of the first 1 bit in the other 22 bits (a guard bit stops it at 23).
  const rank = Math.clz32((h << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1;
  if (rank > regs[j]!) regs[j] = rank;
}

/** HyperLogLog's estimate (Flajolet et al. 2007), with linear counting for small ranges. */
function hllEstimate(regs: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let j = 0; j < HLL_M; j++) {
    sum += 2 ** -regs[j]!;
    if (regs[j] === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / HLL_M);
  const e = (alpha * HLL_M * HLL_M) / sum;
  return Math.round(e <= 2.5 * HLL_M && zeros > 0 ? HLL_M * Math.log(HLL_M / zeros) : e);
}
