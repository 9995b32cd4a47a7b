// Where packets come from: a live interface or capture files. Both hand out decoded
// PacketBatch objects, so replay goes down exactly the path live capture does.

import type { DecodeStats } from './decode-stats.ts';
import type { PacketBatch } from './packet-batch.ts';

export interface SourceStats {
  /** Packets handed out so far. */
  packets: number;
  /** Packets the kernel or interface dropped (live only). */
  kernelDrops: number;
  interfaceDrops: number;
  /** Packets read but discarded by the node itself under overload (live only), never handed on. */
  shed?: number;
}

export interface PacketSource {
  readonly name: string;
  readonly decodeStats: DecodeStats;
  /**
   * The next batch; null once a finite source is exhausted. Live sources wait for traffic.
   * The batch is the caller's until its next call: a source may refill it then, so a caller
   * that keeps rows copies them (the shard router does).
   */
  next(): Promise<PacketBatch | null>;
  stats(): SourceStats;
  close(): Promise<void>;
}
