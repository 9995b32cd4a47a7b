// Reuse of PacketBatch buffers on the packet path. A batch's one ArrayBuffer (~32 KB at 256
// rows, ~128 KB at 1,024) was allocated and zeroed for every batch the shard router filled,
// and its discarded buffers, counted as external memory, made V8 collect more often. A pool
// hands out batches; the last consumer of a batch (the detector shard, once it is done with
// it) calls `batch.release()` and the pool takes it back. A batch nobody releases (dropped
// from a mailbox, sent to a thread or another node, a consumer that crashed) is simply
// garbage collected, so a missed release costs an allocation, never a wrong row.

import { PACKET_ROW_BYTES, PacketBatch } from './packet-batch.ts';

export class BatchPool {
  private readonly free: PacketBatch[] = [];
  /** Batches built (the pool was empty) and reused, since creation. */
  built = 0;
  reused = 0;

  constructor(
    /** Rows per batch. */
    readonly capacity: number,
    /**
     * Released batches kept for reuse; more are left to the garbage collector. A live
     * capture's batches wait at the detector for the model (up to model.scoreBatchRows rows,
     * a dozen small batches or more per shard), so the pool holds enough for them all.
     */
    readonly maxFree = 64,
  ) {
    // Validates the capacity now rather than at the first take.
    new PacketBatch(capacity);
  }

  /**
   * An empty batch of at least `rows` rows (default: the pool's capacity), owned by the caller
   * until it is released: the last released one that holds `rows` if any, else a new one of
   * `rows`. (A live capture's router takes batches sized to the traffic, 16 to 256 rows: kept
   * only at full size, each of them had been a new one.)
   */
  take(rows = this.capacity): PacketBatch {
    const free = this.free;
    for (let k = free.length - 1; k >= 0; k--) {
      const b = free[k]!;
      if (b.capacity < rows) continue;
      free[k] = free[free.length - 1]!;
      free.pop();
      this.reused++;
      b.pooled = false;
      b.clear();
      return b;
    }
    this.built++;
    const n = new PacketBatch(rows);
    n.pool = this;
    return n;
  }

  /**
   * Takes back the buffer of one of its batches that went to a worker thread (transferred)
   * and came back, as a new batch over it: no new buffer to zero. A buffer too small for the
   * pool's capacity, or one past maxFree, is left to the garbage collector.
   */
  adopt(buffer: ArrayBuffer): void {
    if (buffer.byteLength < this.capacity * PACKET_ROW_BYTES || this.free.length >= this.maxFree) return;
    const b = new PacketBatch(this.capacity, buffer);
    b.pool = this;
    this.give(b);
  }

  /** Takes a batch back (PacketBatch.release calls this), whatever its size. A detached buffer (sent to a thread) or a second release is ignored. */
  give(b: PacketBatch): void {
    if (b.pool !== this || b.pooled || b.buffer.byteLength === 0 || this.free.length >= this.maxFree) return;
    b.pooled = true;
    this.free.push(b);
  }
}
