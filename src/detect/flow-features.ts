// Per-packet flow features: damped statistics per source host, host pair and socket
// (Kitsune's AfterImage, see damped-stats.ts), written into a caller-owned Float64Array.
//
// Feature vector, for L decay rates λ (default [5, 3, 1, 0.1, 0.01], L = 5 → 100 values),
// grouped by stream, then by λ in the configured order:
//
//   [0, 3L)     H     source host, packet sizes:             w, mean, std
//   [3L, 10L)   HH    host pair, sizes in direction src→dst:  w, mean, std,
//                     and of the pair's two directions:       magnitude, radius, cov, pcc
//   [10L, 13L)  HHjit host pair, inter-arrival times src→dst: w, mean, std
//   [13L, 20L)  HpHp  socket pair (ip:port ↔ ip:port, per
//                     protocol), sizes src→dst:               w, mean, std,
//                     and of its two directions:              magnitude, radius, cov, pcc
//
// Sizes are the packet sizes given; the jitter of a direction starts at its first packet
// (a gap of 0). Protocols without ports (ICMP, ...) pass ports 0: their socket pair is the
// host pair, per protocol.
//
// so feature k of group G at λ index i is at G.offset + i·G.width + k (widths 3, 7, 3, 7).
// Names: featureNames(). This follows Kitsune-py's netStat layout (also 100 values) with
// these differences, chosen for O(1) work per packet and exact eviction:
// - Kitsune's first group is per MAC+IP; we have no MACs here, so it is per source IP.
// - Kitsune's 2D statistics pair the whole outbound streams of the two hosts (sockets),
//   and every packet updates every pair its sender is in (O(peers), and a scanner has
//   thousands), twice for the pair at hand. Here the two streams of a pair are its two
//   directions, stored in the pair's own entry, and each packet updates that pair once.
//   The 1D part of HH and HpHp is then the src→dst direction, not all of src's traffic
//   (which is H).
// - std where Kitsune-py emits the variance under the name std; a variance within
//   rounding noise of 0 is 0 (see damped-stats.ts).
// - Order within a 2D group: magnitude, radius (Kitsune-py: radius, magnitude).
//
// Timestamps are seconds (fractional). Memory is bounded per table; past the limit the
// least recently seen entry is evicted and counted. Memory per entry at L = 5, index
// included: host ≈ 130 B, pair ≈ 400 B, socket ≈ 270 B (the statistics in Float32); with
// the default limits at most about 35 MB, paid as the tables fill.

import {
  DEFAULT_LAMBDAS,
  OUT_1D,
  OUT_2D,
  STREAM_WIDTH,
  TWO_WAY_WEIGHTS,
  TWO_WAY_WIDTH,
  W,
  decayConstant,
  decayFactor,
  resetRecords,
  update1D,
  updateTwoWay,
} from './damped-stats.ts';
import { FlowFeatureConfigError } from './errors.ts';
import { FlowTable } from './flow-table.ts';
import type { AddressKey } from './flow-table.ts';
import type { BoundedTable } from './table-report.ts';

export type { AddressKey } from './flow-table.ts';

export interface FlowFeatureConfig {
  /** Decay rates λ per second; default [5, 3, 1, 0.1, 0.01]. */
  lambdas?: readonly number[];
  /** Source hosts tracked; default 32,768. */
  maxHosts?: number;
  /** Host pairs tracked; default 32,768. */
  maxPairs?: number;
  /** Socket pairs tracked; default 65,536. */
  maxSockets?: number;
}

export interface FlowTableStats {
  entries: number;
  capacity: number;
  evictions: number;
}

export interface FlowFeatureStats {
  hosts: FlowTableStats;
  pairs: FlowTableStats;
  sockets: FlowTableStats;
}

export const DEFAULT_MAX_HOSTS = 32_768;
export const DEFAULT_MAX_PAIRS = 32_768;
export const DEFAULT_MAX_SOCKETS = 65_536;

/** Values per λ in each group, in vector order. */
export const GROUP_WIDTHS = Object.freeze({ host: 3, pair: 7, jitter: 3, socket: 7 });
const PER_LAMBDA = 20;

/** Where each group starts in the vector for `lambdaCount` decay rates. */
export function groupOffsets(lambdaCount = DEFAULT_LAMBDAS.length): { host: number; pair: number; jitter: number; socket: number } {
  return { host: 0, pair: 3 * lambdaCount, jitter: 10 * lambdaCount, socket: 13 * lambdaCount };
}

/** Length of the feature vector for `lambdaCount` decay rates. */
export function featureCount(lambdaCount = DEFAULT_LAMBDAS.length): number {
  return PER_LAMBDA * lambdaCount;
}

/** Names of the features in vector order, e.g. `HH_l0.1_pcc`. */
export function featureNames(lambdas: readonly number[] = DEFAULT_LAMBDAS): string[] {
  const names: string[] = [];
  const one = ['weight', 'mean', 'std'];
  const two = [...one, 'magnitude', 'radius', 'cov', 'pcc'];
  for (const [group, stats] of [
    ['H', one],
    ['HH', two],
    ['HHjit', one],
    ['HpHp', two],
  ] as const) {
    for (const l of lambdas) for (const s of stats) names.push(`${group}_l${l}_${s}`);
  }
  return names;
}

// Record layout per λ block: a host is one stream; a socket pair one two-way record; a
// host pair a two-way record followed by the jitter streams of directions 0 and 1.
const HOST_BLOCK = STREAM_WIDTH;
const SOCK_BLOCK = TWO_WAY_WIDTH;
const PAIR_BLOCK = TWO_WAY_WIDTH + 2 * STREAM_WIDTH;
const JIT_AT = TWO_WAY_WIDTH;
// the weights of each block's streams, for resetRecords
const HOST_WEIGHTS = Int32Array.of(W);
const SOCK_WEIGHTS = Int32Array.from(TWO_WAY_WEIGHTS);
const PAIR_WEIGHTS = Int32Array.of(...TWO_WAY_WEIGHTS, JIT_AT + W, JIT_AT + STREAM_WIDTH + W);

function positiveInt(field: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 2 ** 26) {
    throw new FlowFeatureConfigError(field, v, 'an integer between 1 and 67,108,864');
  }
  return v;
}

/** Total order on addresses: IPv4 (as uint32) before IPv6 (as text). */
function addressCompare(a: AddressKey, b: AddressKey): number {
  if (typeof a === 'number') {
    if (typeof b !== 'number') return -1;
    const ua = a >>> 0;
    const ub = b >>> 0;
    return ua < ub ? -1 : ua > ub ? 1 : 0;
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A typed array of fixed-width records, allocated at its full size at once: a large zeroed
 * buffer costs address space, not memory (the kernel maps pages as they are first written),
 * and growing by doubling instead stalled the packet path for ~10 ms per copy (measured by
 * the decision-latency benchmark). Its record index is a slot of a FlowTable of the same
 * bound, so it is always in range. The statistics are Float32 (damped-stats.ts: half the
 * bytes; the shared captures fill the pair and socket tables, 22.5 MB a shard in Float64),
 * the times Float64 (seconds since 1970).
 */
class RecordStore<A extends Float32Array | Float64Array> {
  readonly data: A;
  constructor(
    readonly width: number,
    maxRecords: number,
    make: new (n: number) => A,
  ) {
    this.data = new make(width * maxRecords);
  }
}

export class FlowFeatureExtractor {
  readonly lambdas: readonly number[];
  /** Length of the vector written by update(). */
  readonly featureCount: number;

  private readonly negLambdaLn2: Float64Array;
  // decay factors per λ for the last two distinct Δt: a pair and its busiest socket were
  // usually last touched by the same packet, so their factors repeat (exp is the cost)
  private readonly factorA: Float64Array;
  private readonly factorB: Float64Array;
  private dtA = 0;
  private dtB = 0;
  private nextIsA = true;
  private readonly L: number;
  private readonly hostTable: FlowTable;
  private readonly pairTable: FlowTable;
  private readonly sockTable: FlowTable;
  private readonly hostRec: RecordStore<Float32Array>;
  private readonly pairRec: RecordStore<Float32Array>;
  private readonly sockRec: RecordStore<Float32Array>;
  // last update time: per host, per pair (both directions and the covariance move
  // together), per pair direction for jitter, per socket pair
  private readonly hostTime: RecordStore<Float64Array>;
  private readonly pairTime: RecordStore<Float64Array>;
  private readonly jitTime: RecordStore<Float64Array>;
  private readonly sockTime: RecordStore<Float64Array>;
  // group offsets in the output vector
  private readonly offPair: number;
  private readonly offJit: number;
  private readonly offSock: number;
  /** update()'s time, as a column of one for updateRow. */
  private readonly oneTime = new Float64Array(1);

  constructor(config: FlowFeatureConfig = {}) {
    const lambdas = config.lambdas ?? DEFAULT_LAMBDAS;
    if (!Array.isArray(lambdas) || lambdas.length === 0 || lambdas.length > 64) {
      throw new FlowFeatureConfigError('lambdas', lambdas, 'a list of 1 to 64 decay rates');
    }
    for (const l of lambdas) {
      if (typeof l !== 'number' || !Number.isFinite(l) || l <= 0) {
        throw new FlowFeatureConfigError('lambdas', lambdas, 'positive finite numbers (decay per second)');
      }
    }
    const maxHosts = positiveInt('maxHosts', config.maxHosts, DEFAULT_MAX_HOSTS);
    const maxPairs = positiveInt('maxPairs', config.maxPairs, DEFAULT_MAX_PAIRS);
    const maxSockets = positiveInt('maxSockets', config.maxSockets, DEFAULT_MAX_SOCKETS);

    this.lambdas = Object.freeze([...lambdas]);
    const L = (this.L = lambdas.length);
    this.featureCount = featureCount(L);
    this.negLambdaLn2 = Float64Array.from(lambdas, decayConstant);
    this.factorA = new Float64Array(L).fill(1);
    this.factorB = new Float64Array(L).fill(1);
    this.hostTable = new FlowTable(maxHosts);
    this.pairTable = new FlowTable(maxPairs);
    this.sockTable = new FlowTable(maxSockets);
    this.hostRec = new RecordStore(HOST_BLOCK * L, maxHosts, Float32Array);
    this.pairRec = new RecordStore(PAIR_BLOCK * L, maxPairs, Float32Array);
    this.sockRec = new RecordStore(SOCK_BLOCK * L, maxSockets, Float32Array);
    this.hostTime = new RecordStore(1, maxHosts, Float64Array);
    this.pairTime = new RecordStore(1, maxPairs, Float64Array);
    this.jitTime = new RecordStore(2, maxPairs, Float64Array);
    this.sockTime = new RecordStore(1, maxSockets, Float64Array);
    const off = groupOffsets(L);
    this.offPair = off.pair;
    this.offJit = off.jitter;
    this.offSock = off.socket;
  }

  /**
   * Account one packet and write its feature vector to out[outOffset ..
   * outOffset + featureCount). `srcKey`/`dstKey`: a uint32 for IPv4, the text for IPv6
   * (one spelling per address). Ports are 0..65535 (0 for protocols without ports);
   * `proto` is the IP protocol number; `size` is the packet size in bytes; `ts` is in
   * seconds. Allocates nothing once the tables have grown, but the number `ts` the caller
   * boxes to pass it (a double passed to a call V8 does not inline: 16 bytes): updateRow
   * reads the time from a column instead.
   */
  update(
    ts: number,
    srcKey: AddressKey,
    dstKey: AddressKey,
    srcPort: number,
    dstPort: number,
    proto: number,
    size: number,
    out: Float64Array,
    outOffset: number,
  ): void {
    this.oneTime[0] = ts;
    this.updateRow(this.oneTime, 0, srcKey, dstKey, srcPort, dstPort, proto, size, out, outOffset);
  }

  /** update() with the packet's time at clock[row] (a batch's ts column): no double crosses a call. */
  updateRow(
    clock: Float64Array,
    row: number,
    srcKey: AddressKey,
    dstKey: AddressKey,
    srcPort: number,
    dstPort: number,
    proto: number,
    size: number,
    out: Float64Array,
    outOffset: number,
  ): void {
    this.updateHost(clock, row, srcKey, size, out, outOffset);

    const order = addressCompare(srcKey, dstKey);
    const srcFirst = order <= 0;
    this.updatePair(clock, row, srcFirst ? srcKey : dstKey, srcFirst ? dstKey : srcKey, srcFirst ? 0 : 1, size, out, outOffset);

    // sockets: order by address, then by port when both ends are one host
    const sockSrcFirst = order < 0 || (order === 0 && srcPort <= dstPort);
    const ports = sockSrcFirst ? ((srcPort & 0xffff) << 16) | (dstPort & 0xffff) : ((dstPort & 0xffff) << 16) | (srcPort & 0xffff);
    this.updateSocket(
      clock,
      row,
      sockSrcFirst ? srcKey : dstKey,
      sockSrcFirst ? dstKey : srcKey,
      ports,
      proto & 0xff,
      sockSrcFirst ? 0 : 1,
      size,
      out,
      outOffset + this.offSock,
    );
  }

  /** The bounded tables, for the report (table-report.ts). */
  tables(): Record<string, BoundedTable> {
    return { hosts: this.hostTable, pairs: this.pairTable, sockets: this.sockTable };
  }

  /** Entries, capacity and evictions per table. */
  stats(): FlowFeatureStats {
    const t = (x: FlowTable): FlowTableStats => ({ entries: x.size, capacity: x.capacity, evictions: x.evictions });
    return { hosts: t(this.hostTable), pairs: t(this.pairTable), sockets: t(this.sockTable) };
  }

  /** Names of the features in vector order. */
  featureNames(): string[] {
    return featureNames(this.lambdas);
  }

  /** Forget every stream (eviction counts are kept). */
  clear(): void {
    this.hostTable.clear();
    this.pairTable.clear();
    this.sockTable.clear();
  }

  /** Decay factors 2^(−λ·Δt) per λ, from a two-entry memo. */
  private factors(dt: number): Float64Array {
    if (!(dt > 0)) dt = 0;
    if (dt === this.dtA) return this.factorA;
    if (dt === this.dtB) return this.factorB;
    const useA = this.nextIsA;
    this.nextIsA = !useA;
    const f = useA ? this.factorA : this.factorB;
    if (useA) this.dtA = dt;
    else this.dtB = dt;
    const k = this.negLambdaLn2;
    for (let i = 0; i < f.length; i++) f[i] = decayFactor(k[i], dt);
    return f;
  }

  private updateHost(clock: Float64Array, row: number, key: AddressKey, v: number, out: Float64Array, o: number): void {
    const ts = clock[row]!;
    const L = this.L;
    let slot = this.hostTable.find(key, 0, 0, 0);
    if (slot < 0) {
      slot = this.hostTable.insert(key, 0, 0, 0);
      resetRecords(this.hostRec.data, slot * HOST_BLOCK * L, L, HOST_BLOCK, HOST_WEIGHTS);
      this.hostTime.data[slot] = ts;
    }
    const s = this.hostRec.data;
    const times = this.hostTime.data;
    const dt = ts - times[slot];
    if (dt > 0) times[slot] = ts;
    const f = this.factors(dt);
    for (let i = 0, at = slot * HOST_BLOCK * L; i < L; i++, at += HOST_BLOCK, o += OUT_1D) {
      update1D(s, at, f, i, v, out, o);
    }
  }

  private updatePair(clock: Float64Array, row: number, a: AddressKey, b: AddressKey, d: number, v: number, out: Float64Array, o: number): void {
    const ts = clock[row]!;
    const L = this.L;
    let slot = this.pairTable.find(a, b, 0, 0);
    if (slot < 0) {
      slot = this.pairTable.insert(a, b, 0, 0);
      resetRecords(this.pairRec.data, slot * PAIR_BLOCK * L, L, PAIR_BLOCK, PAIR_WEIGHTS);
      this.pairTime.data[slot] = ts;
      // a direction's jitter stream starts at its first packet (NaN: not yet)
      this.jitTime.data[2 * slot] = Number.NaN;
      this.jitTime.data[2 * slot + 1] = Number.NaN;
    }
    const s = this.pairRec.data;
    const base = slot * PAIR_BLOCK * L;
    const times = this.pairTime.data;
    const dt = ts - times[slot];
    if (dt > 0) times[slot] = ts;
    const f = this.factors(dt);
    let op = o + this.offPair;
    for (let i = 0, at = base; i < L; i++, at += PAIR_BLOCK, op += OUT_2D) {
      updateTwoWay(s, at, f, i, d, v, out, op);
    }

    // jitter: the gap since the previous packet in this direction, 0 for the first
    const jt = this.jitTime.data;
    const last = jt[2 * slot + d];
    let gap = 0;
    if (last !== last) jt[2 * slot + d] = ts;
    else if (ts > last) {
      gap = ts - last;
      jt[2 * slot + d] = ts;
    }
    const fj = this.factors(gap);
    let oj = o + this.offJit;
    for (let i = 0, at = base + JIT_AT + d * STREAM_WIDTH; i < L; i++, at += PAIR_BLOCK, oj += OUT_1D) {
      update1D(s, at, fj, i, gap, out, oj);
    }
  }

  private updateSocket(
    clock: Float64Array,
    row: number,
    a: AddressKey,
    b: AddressKey,
    ports: number,
    proto: number,
    d: number,
    v: number,
    out: Float64Array,
    o: number,
  ): void {
    const ts = clock[row]!;
    const L = this.L;
    let slot = this.sockTable.find(a, b, ports, proto);
    if (slot < 0) {
      slot = this.sockTable.insert(a, b, ports, proto);
      resetRecords(this.sockRec.data, slot * SOCK_BLOCK * L, L, SOCK_BLOCK, SOCK_WEIGHTS);
      this.sockTime.data[slot] = ts;
    }
    const s = this.sockRec.data;
    const times = this.sockTime.data;
    const dt = ts - times[slot];
    if (dt > 0) times[slot] = ts;
    const f = this.factors(dt);
    for (let i = 0, at = slot * SOCK_BLOCK * L; i < L; i++, at += SOCK_BLOCK, o += OUT_2D) {
      updateTwoWay(s, at, f, i, d, v, out, o);
    }
  }
}
