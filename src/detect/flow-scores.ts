// Per-flow scoring: a packet's anomaly score becomes the average of two damped means of
// packet scores: its host pair's (both directions) and its destination's (every packet
// toward that host). A packet alone is noisy: benign traffic has odd packets, and a scan's
// or a guesser's packets are each nearly ordinary; their flows are not. The destination's
// mean sees a flood of spoofed or reflected packets, one or two per source, that no pair
// does. One instance serves every detector shard of a node (ModelBoard.flowScores): the
// shards are keyed by source, so a pair's two directions reach two shards.
//
// The mean decays as the flow features do, by 2^(−λ·Δt), with λ the slowest of their rates
// (0.01/s, a half-life of 100 s): a flow is judged over the span its statistics cover. Measured on the shared
// captures (README, "Evaluation results"): per packet, the reference merge's ROC AUC is 0.93;
// per flow 0.999 (the pair's mean alone: 0.999 there but 0.90 over every shared capture, as
// floods have no pair; the higher of the two: 0.994 and 0.92, with fewer attack packets
// above the benign 99th percentile).
//
// A new flow starts with a prior: as if it had been sending one packet a second of the
// model's typical benign score for as long as the mean remembers (a damped weight of
// 1/(1 − 2^−λ), 145 at λ = 0.01). Its mean moves to its own scores as its packets outweigh
// that, so a short benign flow with a few odd packets stays near the benign scores while a
// scan or a guesser, hundreds of packets, does not. It also makes the score indifferent to
// the order the shards score in: a pair's two directions reach two shards, which may run
// apart by thousands of packets when a capture is replayed at full speed; without the
// prior, the reference merge's detection at 1 % false positives fell from 0.98 to 0.6 with
// one shard 4 batches behind, with it stays at 0.98 (64 batches behind).
//
// Bounded like the other tables: two address-keyed FlowTables with LRU eviction; IPv4 keys
// are numbers (nothing allocated), IPv6 keys the address texts.

import { DEFAULT_LAMBDAS } from './damped-stats.ts';
import { FlowTable, type AddressKey } from './flow-table.ts';
import { checkCapacity } from '../util/lru.ts';
import { PacketFlags, type PacketBatch } from '../net/packet-batch.ts';

/** A mean's record: its damped weight, its damped sum, the capture time it was decayed to. */
const MEAN_W = 0;
const MEAN_S = 1;
const MEAN_T = 2;
const MEAN_WIDTH = 3;

/** The decay memo's entries (FlowScores.memo): two Δt and their factors, and the one being computed. */
const DT_A = 0;
const DECAY_A = 1;
const DT_B = 2;
const DECAY_B = 3;
const DT_NEW = 4;
const DECAY_NEW = 5;

export class FlowScores {
  private readonly pairs: FlowTable;
  private readonly dsts: FlowTable;
  /**
   * Per slot, its damped weight, sum and last time side by side (MEAN_W, MEAN_S, MEAN_T): a
   * flood's every packet is a new pair, whose slot is the least recently used one and out of
   * cache, and three arrays were three cache misses for it where one record is one or two.
   */
  private readonly pairMean: Float64Array;
  private readonly dstMean: Float64Array;
  /**
   * The last two Δt and their decay factors (NaN: none yet). Math.pow costs 70-140 ns on this
   * machine (exp 8-38: bench/detect/flow-scores-pow.ts) and a pair and its destination were
   * often last touched by the same packet, so their Δt repeat: on the shared captures 34 % of
   * the factors are one of the last two. The same pow of the same Δt: the same factor. In a
   * typed array, the new Δt and factor too, so no double crosses the call that computes a
   * factor (a double passed to or returned from a call that is not inlined is boxed).
   */
  private readonly memo = Float64Array.of(Number.NaN, 1, Number.NaN, 1, 0, 1);
  private nextIsA = true;
  /** Scratch: each row's pair and destination slots within one score() call. */
  private slots = new Int32Array(1024);
  /** The current prior's weight and sum (setPrior), and scoreRow's time and score as columns. */
  private readonly prior = new Float64Array(2);
  private readonly oneTime = new Float64Array(1);
  private readonly oneScore = new Float64Array(1);
  /** Destination slot of the last pourRow. */
  private lastDst = -1;

  constructor(
    /** Decay per second of the means. */
    readonly lambda: number,
    /** A new flow starts as if it had this many packets of the model's typical benign score. */
    readonly priorPackets: number,
    maxPairs = 65536,
    maxDestinations = 65536,
  ) {
    this.pairs = new FlowTable(checkCapacity(maxPairs));
    this.dsts = new FlowTable(checkCapacity(maxDestinations));
    this.pairMean = new Float64Array(maxPairs * MEAN_WIDTH);
    this.dstMean = new Float64Array(maxDestinations * MEAN_WIDTH);
  }

  /** Decay λ, and the prior of one packet a second over the mean's memory. */
  static forLambda(lambda: number, maxPairs?: number, maxDestinations?: number): FlowScores {
    return new FlowScores(lambda, 1 / (1 - Math.pow(2, -lambda)), maxPairs, maxDestinations);
  }

  /** Over the span the flow features cover: the slowest of their decay rates. */
  static forFlowFeatures(lambdas: readonly number[] = DEFAULT_LAMBDAS, maxEntries?: number): FlowScores {
    return FlowScores.forLambda(Math.min(...lambdas), maxEntries, maxEntries);
  }

  get stats(): Record<string, number> {
    return { pairs: this.pairs.size, pairEvictions: this.pairs.evictions, destinations: this.dsts.size, destinationEvictions: this.dsts.evictions };
  }

  /**
   * Scores `n` rows of `batch` (their per-packet scores in `packet`) per flow, into `out`.
   * Every row is poured in first and read after, so each packet is judged with its whole
   * batch's view of its flows (the rows are scored together anyway), not only the rows
   * before it.
   */
  score(batch: PacketBatch, packet: ArrayLike<number>, n: number, out: Float32Array, typical: number): void {
    this.setPrior(typical);
    if (this.slots.length < 2 * n) this.slots = new Int32Array(2 * n);
    const slots = this.slots;
    for (let i = 0; i < n; i++) {
      const f = batch.flags[i];
      if (!(f & (PacketFlags.IPV4 | PacketFlags.IPV6))) {
        slots[2 * i] = -1;
        continue;
      }
      const a = batch.flowKey(i, 'src');
      const b = batch.flowKey(i, 'dst');
      slots[2 * i] = this.pourRow(a, b, batch.ts, packet, i, 1);
      slots[2 * i + 1] = this.lastDst;
    }
    for (let i = 0; i < n; i++) {
      const p = slots[2 * i]!;
      out[i] = p < 0 ? packet[i]! : this.meanOf(p, slots[2 * i + 1]!);
    }
  }

  /**
   * One row's flow score, its score poured first (the training side: flow-threshold.ts). Keys
   * are any numbers that tell addresses apart (NaN: a row without addresses, which keeps its
   * own score); `weight`: how many rows it stands for (a 1-in-k sample: k).
   */
  scoreRow(src: number, dst: number, ts: number, score: number, weight: number, typical: number): number {
    if (Number.isNaN(src) || Number.isNaN(dst)) return score;
    this.setPrior(typical);
    this.oneTime[0] = ts;
    this.oneScore[0] = score;
    const p = this.pourRow(src, dst, this.oneTime, this.oneScore, 0, weight);
    return this.meanOf(p, this.lastDst);
  }

  /** The prior's weight and sum for a model's typical score. */
  private setPrior(typical: number): void {
    this.prior[0] = this.priorPackets;
    this.prior[1] = this.priorPackets * typical;
  }

  /**
   * Pours row i's score (scores[i], at clock[i]) into its pair's and destination's means (new
   * ones start at the prior); returns the pair slot. The time and score are read from their
   * columns where they are used, as the prior from `prior`: a double passed to a call that
   * is not inlined is boxed (passed as numbers, 24 more bytes a packet by a heap profile of
   * node-run, once pour() grew past what V8 inlines there).
   */
  private pourRow(a: AddressKey, b: AddressKey, clock: Float64Array, scores: ArrayLike<number>, i: number, weight: number): number {
    const ts = clock[i]!;
    const w0 = this.prior[0]!;
    const s0 = this.prior[1]!;
    const swap = a > b;
    let p = this.pairs.find(swap ? b : a, swap ? a : b, 0, 0);
    if (p < 0) {
      p = this.pairs.insert(swap ? b : a, swap ? a : b, 0, 0);
      const m = this.pairMean;
      m[p * MEAN_WIDTH + MEAN_W] = w0;
      m[p * MEAN_WIDTH + MEAN_S] = s0;
      m[p * MEAN_WIDTH + MEAN_T] = ts;
    }
    this.pour(this.pairMean, p * MEAN_WIDTH, clock, scores, i, weight);
    let d = this.dsts.find(b, 0, 0, 0);
    if (d < 0) {
      d = this.dsts.insert(b, 0, 0, 0);
      const m = this.dstMean;
      m[d * MEAN_WIDTH + MEAN_W] = w0;
      m[d * MEAN_WIDTH + MEAN_S] = s0;
      m[d * MEAN_WIDTH + MEAN_T] = ts;
    }
    this.pour(this.dstMean, d * MEAN_WIDTH, clock, scores, i, weight);
    this.lastDst = d;
    return p;
  }

  private meanOf(p: number, d: number): number {
    const pm = this.pairMean;
    const dm = this.dstMean;
    const i = p * MEAN_WIDTH;
    const j = d * MEAN_WIDTH;
    return (pm[i + MEAN_S]! / pm[i + MEAN_W]! + dm[j + MEAN_S]! / dm[j + MEAN_W]!) / 2;
  }

  /** Decays the record at `at` to row i's time and adds its score, `weight` times. */
  private pour(m: Float64Array, at: number, clock: Float64Array, scores: ArrayLike<number>, i: number, weight: number): void {
    const ts = clock[i]!;
    const s = scores[i]!;
    const dt = ts - m[at + MEAN_T]!;
    // out-of-order packets (earlier than the slot's last) do not decay it
    let decay = 1;
    if (dt > 0) {
      const memo = this.memo;
      if (dt === memo[DT_A]) decay = memo[DECAY_A]!;
      else if (dt === memo[DT_B]) decay = memo[DECAY_B]!;
      else {
        memo[DT_NEW] = dt;
        this.decayNew();
        decay = memo[DECAY_NEW]!;
      }
      m[at + MEAN_T] = ts;
    }
    m[at + MEAN_W] = m[at + MEAN_W]! * decay + weight;
    m[at + MEAN_S] = m[at + MEAN_S]! * decay + weight * s;
  }

  /** memo[DECAY_NEW] = 2^(−λ·memo[DT_NEW]), kept in place of the older of the two entries. */
  private decayNew(): void {
    const memo = this.memo;
    const dt = memo[DT_NEW]!;
    const f = Math.pow(2, -this.lambda * dt);
    const k = this.nextIsA ? DT_A : DT_B;
    memo[k] = dt;
    memo[k + 1] = f;
    memo[DECAY_NEW] = f;
    this.nextIsA = !this.nextIsA;
  }
}
