// From each packet's anomaly score (its own, or its flow's: flow-scores.ts) to alerts, over
// the threshold fitted on that kind of score (flow-threshold.ts): one odd packet is noise,
// `anomalousPackets` of them from one source within `windowS` of capture time is an alert
// (fail2ban's maxretry within findtime). Only rows over the threshold touch this code, so a Map keyed by source
// is cheap enough; it is bounded, and cleared when full (it holds only recent offenders).

import type { PacketBatch } from '../net/packet-batch.ts';
import type { AddressKey } from './flow-table.ts';
import type { Alert } from './alert.ts';
import { riskScore, WindowCounter } from './rules/leaky-bucket.ts';

export interface AnomalyGateConfig {
  anomalousPackets: number;
  windowS: number;
  /** Seconds of capture time a source that made an alert stays quiet. */
  cooldownS: number;
  /** Whether anomaly alerts may ban on their own. */
  blockable: boolean;
  maxSources?: number;
}

export class AnomalyGate {
  private readonly slots = new Map<AddressKey, number>();
  private readonly counter: WindowCounter;
  private readonly quietUntil: Float64Array;
  private readonly peak: Float64Array;
  private readonly maxSources: number;
  anomalous = 0;
  alerts = 0;

  constructor(readonly config: AnomalyGateConfig) {
    this.maxSources = config.maxSources ?? 16_384;
    this.counter = new WindowCounter(this.maxSources, config.anomalousPackets, config.windowS);
    this.quietUntil = new Float64Array(this.maxSources);
    this.peak = new Float64Array(this.maxSources);
  }

  private slotOf(key: AddressKey): number {
    let s = this.slots.get(key);
    if (s !== undefined) return s;
    if (this.slots.size >= this.maxSources) this.slots.clear();
    s = this.slots.size;
    this.slots.set(key, s);
    this.counter.reset(s);
    this.quietUntil[s] = -Infinity;
    this.peak[s] = 0;
    return s;
  }

  /**
   * Rows whose weighted score is over the threshold count against their source. `weight`
   * (per row, e.g. by country) multiplies the score; null means 1 for every row.
   */
  observe(batch: PacketBatch, scores: Float32Array, threshold: number, weight: Float32Array | null, modelVersion: number, out: Alert[]): void {
    const { ts } = batch;
    for (let i = 0; i < batch.length; i++) {
      const score = weight ? scores[i]! * weight[i]! : scores[i]!;
      if (!(score > threshold)) continue;
      this.anomalous++;
      const s = this.slotOf(batch.hostKey(i, 'src'));
      if (score > this.peak[s]!) this.peak[s] = score;
      const t = ts[i]!;
      if (!this.counter.hit(s, t) || t < this.quietUntil[s]!) continue;
      const first = this.counter.windowStart(s);
      const n = this.config.anomalousPackets;
      const ratio = this.peak[s]! / threshold;
      this.quietUntil[s] = t + this.config.cooldownS;
      this.alerts++;
      out.push({
        type: 'anomaly',
        source: batch.formatAddress(i, 'src'),
        target: batch.formatAddress(i, 'dst'),
        score: riskScore(n * ratio, n, this.config.windowS, t - first),
        ts: t,
        firstTs: first,
        detector: 'model',
        blockable: this.config.blockable,
        evidence: { packets: n, windowS: Math.round((t - first) * 1e6) / 1e6, peakScore: Math.round(this.peak[s]! * 1e4) / 1e4, threshold: Math.round(threshold * 1e4) / 1e4, modelVersion },
      });
      this.peak[s] = 0;
    }
  }
}
