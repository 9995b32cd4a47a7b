// What an enricher shard does to a batch: flow features for every packet (damped statistics
// per host, pair and socket). GeoIP is not looked up per packet: the batch carries the
// shard's lookup, and what consumes a location looks it up through it (cached) — a flow
// record about to be stored, an alert's description, the model's country weights — so a
// spoofed flood's random sources, which always miss the cache, cost no page reads unless
// one of them is reported on its own. Pure: no actors, no I/O.

import { PacketFlags, type PacketBatch } from '../net/packet-batch.ts';
import type { FlowFeatureExtractor } from './flow-features.ts';
import type { BoundedTable } from './table-report.ts';
import { packedObjects } from '../util/elements-kind.ts';

/** Looks an address up: a uint32 for IPv4, the text of an IPv6 address. */
export interface AddressLookup<G> {
  lookup(address: number | string): G;
  /** Its bounded tables (GeoLookup's caches), reported with the shard's; absent: none. */
  tables?(): Record<string, BoundedTable>;
}

export interface EnrichedBatch<G = unknown> {
  shard: number;
  packets: PacketBatch;
  /** Row-major: packet i's features at [i·featureCount, (i+1)·featureCount). */
  features: Float64Array;
  featureCount: number;
  /** The shard's GeoIP lookup (cached), for whatever consumes a location; null: GeoIP off. */
  geo: AddressLookup<G> | null;
  /**
   * The shard took it late (a live capture's node behind: PacketBatch.isLate): it carries no
   * features (`features` empty) and the detector runs the rules on it alone, no model and no
   * flow records.
   */
  late?: boolean;
  /**
   * The last consumer (the detector shard, once done with the batch) calls this: the feature
   * buffer goes back to the enricher and the packet batch to its pool, to be refilled. Nothing
   * may read either afterwards; whoever keeps rows copies them (as the trainer's sample does).
   */
  release?: () => void;
}

/**
 * Feature buffers an enricher keeps for reuse (each a full pooled batch: pool capacity ×
 * featureCount values, 200 KB at 256 rows). As many as the batches that can be out at once:
 * the detector holds a live capture's small batches until it has model.scoreBatchRows (512)
 * rows, a dozen or more of them, and with 4 spares most came back to none and a new buffer
 * (tens of MB a second at 100k packets/s) was made for the next ones.
 */
const SPARE_BUFFERS = 32;
/** A late batch's features: none. */
const NO_FEATURES = new Float64Array(0);

export class Enrichment<G> {
  packets = 0;
  /** Packets of late batches: not counted into the flow features' statistics. */
  late = 0;
  private spare: Float64Array | undefined;
  /** Released feature buffers, for the next batches (a buffer per batch was ~100–200 KB of garbage). */
  private readonly free: Float64Array[] = packedObjects();

  constructor(
    readonly shard: number,
    readonly features: FlowFeatureExtractor,
    readonly geo: AddressLookup<G> | null,
  ) {}

  /**
   * Enriches `batch`. With `reuse`, the feature buffer of the previous call is overwritten
   * (for a consumer that is done with it before the next call, such as a sink or a detector
   * in the same shard); otherwise the buffer is one released by an earlier batch's consumer
   * (EnrichedBatch.release), or a new one. A `late` batch gets no features and leaves the
   * flow statistics as they were: only the rules will see it.
   */
  enrich(batch: PacketBatch, reuse = false, late = false): EnrichedBatch<G> {
    const n = batch.length;
    if (late) {
      this.late += n;
      const out: EnrichedBatch<G> = { shard: this.shard, packets: batch, features: NO_FEATURES, featureCount: this.features.featureCount, geo: this.geo, late: true };
      if (!reuse) out.release = () => this.giveBack(out);
      return out;
    }
    const fc = this.features.featureCount;
    let features: Float64Array;
    if (reuse && this.spare && this.spare.length >= n * fc) features = this.spare;
    else if (!reuse && this.free.length > 0 && this.free[this.free.length - 1]!.length >= n * fc) features = this.free.pop()!;
    else {
      // Sized for a full batch (a pooled batch's pool size, whatever this batch holds), so a
      // buffer that is kept or comes back fits any later batch.
      const rows = Math.max(n, batch.capacity, batch.pool?.capacity ?? 0);
      features = new Float64Array(rows * fc);
      if (reuse) this.spare = features;
    }
    const { ts, srcPort, dstPort, protocol, wirelen, flags } = batch;
    for (let i = 0; i < n; i++) {
      const src = batch.flowKey(i, 'src');
      const dst = batch.flowKey(i, 'dst');
      // Ports mean something only for TCP and UDP; other protocols count per host pair.
      const hasPorts = (flags[i]! & (PacketFlags.TCP | PacketFlags.UDP)) !== 0;
      this.features.updateRow(ts, i, src, dst, hasPorts ? srcPort[i]! : 0, hasPorts ? dstPort[i]! : 0, protocol[i]!, wirelen[i]!, features, i * fc);
    }
    this.packets += n;
    const out: EnrichedBatch<G> = { shard: this.shard, packets: batch, features, featureCount: fc, geo: this.geo };
    if (!reuse) out.release = () => this.giveBack(out);
    return out;
  }

  private giveBack(b: EnrichedBatch<G>): void {
    b.release = undefined;
    // a buffer sent to a thread is detached (length 0): nothing to reuse
    if (this.free.length < SPARE_BUFFERS && b.features.length > 0) this.free.push(b.features);
    b.packets.release();
  }
}
