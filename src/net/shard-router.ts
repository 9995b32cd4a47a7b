// Routes decoded packets to enricher shards by a hash of the source address, so every
// statistic about one host lives in one shard. Rows that did not decode (malformed or
// unsupported link/network layers) are counted, not routed: they carry no source host.

import { BatchPool } from './batch-pool.ts';
import { PacketFlags, type PacketBatch } from './packet-batch.ts';

const NOT_ROUTABLE = PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED;
/**
 * Out batches are sized for twice the rows a shard got between two flushes (a power of two,
 * from this up to batchSize; twice, so that the next read's share seldom overflows it), and
 * double when they fill: a live capture flushes every millisecond
 * with a few rows per shard, and a full-size batch (~100 bytes a row) for each of those was
 * tens of MB a second of garbage, and GC pauses in front of every decision. Released batches
 * come back through the pool (whatever their size) and are used first.
 */
const MIN_OUT_CAPACITY = 16;

function nextPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** (32 - Math.clz32(n - 1));
}

export class ShardRouter {
  private out: PacketBatch[];
  /** Where the batches come from; their last consumer releases them back (batch-pool.ts). */
  readonly pool: BatchPool;
  /** Rows routed to each shard since its last flush. */
  private readonly sinceFlush: Uint32Array;
  routed = 0;
  unroutable = 0;

  constructor(
    readonly shards: number,
    readonly batchSize: number,
    /** Receives each filled batch; the router does not touch it again (its last consumer may release it to `pool`). */
    private readonly emit: (shard: number, batch: PacketBatch) => void,
    /** Stamped on every batch it hands on (PacketBatch.lateAfterMs): a live capture's lateness bound, 0 for replays. */
    readonly lateAfterMs = 0,
  ) {
    if (!Number.isInteger(shards) || shards < 1 || shards > 4096) throw new RangeError(`shard count must be an integer from 1 to 4096, got ${shards}`);
    this.pool = new BatchPool(batchSize);
    this.out = Array.from({ length: shards }, () => this.pool.take(Math.min(batchSize, MIN_OUT_CAPACITY)));
    this.sinceFlush = new Uint32Array(shards);
  }

  /** The shard that owns `batch`'s row `i`. */
  shardOf(batch: PacketBatch, i: number): number {
    return batch.srcHash(i) % this.shards;
  }

  route(batch: PacketBatch): void {
    const n = batch.length;
    const flags = batch.flags;
    for (let i = 0; i < n; i++) {
      // a tiny TCP fragment is malformed, but a scan probe for the shard's rules (packet-batch.ts)
      if (flags[i]! & NOT_ROUTABLE && !(flags[i]! & PacketFlags.TINY_FRAGMENT)) {
        this.unroutable++;
        continue;
      }
      const s = batch.srcHash(i) % this.shards;
      const o = this.out[s]!;
      o.appendRow(batch, i);
      this.sinceFlush[s]!++;
      if (o.length === o.capacity) {
        o.lateAfterMs = this.lateAfterMs;
        this.emit(s, o);
        this.out[s] = this.pool.take(Math.min(this.batchSize, o.capacity * 2));
      }
      this.routed++;
    }
  }

  /** Hands on every partly filled batch (end of a read, or the batching timer). */
  flush(): void {
    for (let s = 0; s < this.shards; s++) {
      const o = this.out[s]!;
      if (o.length > 0) {
        o.lateAfterMs = this.lateAfterMs;
        this.emit(s, o);
        this.out[s] = this.pool.take(Math.min(this.batchSize, Math.max(MIN_OUT_CAPACITY, nextPow2(2 * this.sinceFlush[s]!))));
      }
      this.sinceFlush[s] = 0;
    }
  }
}
