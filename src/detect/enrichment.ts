// What an enricher shard does to a batch: flow features for every packet (damped statistics
// per host, pair and socket) and the GeoIP record of its source. Pure: no actors, no I/O
// beyond the lookups the GeoIP source does (memory-mapped, cached).

import { PacketFlags, type PacketBatch } from '../net/packet-batch.ts';
import type { FlowFeatureExtractor } from './flow-features.ts';

/** Looks an address up: a uint32 for IPv4, the text of an IPv6 address. */
export interface AddressLookup<G> {
  lookup(address: number | string): G;
}

export interface EnrichedBatch<G = unknown> {
  shard: number;
  packets: PacketBatch;
  /** Row-major: packet i's features at [i·featureCount, (i+1)·featureCount). */
  features: Float64Array;
  featureCount: number;
  /** GeoIP of each packet's source (the same object for every packet of one host). */
  srcGeo: G[];
  /**
   * GeoIP of the destination of a server's SYN-ACK (the client it accepts), sparse: the
   * login rules name that client in the server's shard, where it is never a source.
   */
  clientGeo?: Array<G | undefined>;
}

export class Enrichment<G> {
  packets = 0;
  private spare: Float64Array | undefined;

  constructor(
    readonly shard: number,
    readonly features: FlowFeatureExtractor,
    readonly geo: AddressLookup<G> | null,
  ) {}

  /**
   * Enriches `batch`. With `reuse`, the feature buffer of the previous call is overwritten
   * (for a consumer that is done with it before the next call, such as a sink or a detector
   * in the same shard); otherwise each call allocates its own.
   */
  enrich(batch: PacketBatch, reuse = false): EnrichedBatch<G> {
    const n = batch.length;
    const fc = this.features.featureCount;
    let features: Float64Array;
    if (reuse && this.spare && this.spare.length >= n * fc) features = this.spare;
    else {
      features = new Float64Array(Math.max(n, reuse ? batch.capacity : n) * fc);
      if (reuse) this.spare = features;
    }
    const srcGeo = new Array<G>(n);
    let clientGeo: Array<G | undefined> | undefined;
    const { ts, srcPort, dstPort, protocol, wirelen, flags, tcpFlags } = batch;
    for (let i = 0; i < n; i++) {
      const src = batch.hostKey(i, 'src');
      const dst = batch.hostKey(i, 'dst');
      // Ports mean something only for TCP and UDP; other protocols count per host pair.
      const hasPorts = (flags[i]! & (PacketFlags.TCP | PacketFlags.UDP)) !== 0;
      this.features.update(ts[i]!, src, dst, hasPorts ? srcPort[i]! : 0, hasPorts ? dstPort[i]! : 0, protocol[i]!, wirelen[i]!, features, i * fc);
      if (this.geo) {
        srcGeo[i] = this.geo.lookup(src);
        if (flags[i]! & PacketFlags.TCP && (tcpFlags[i]! & 0x17) === 0x12) (clientGeo ??= new Array<G | undefined>(n))[i] = this.geo.lookup(dst);
      }
    }
    this.packets += n;
    return { shard: this.shard, packets: batch, features, featureCount: fc, srcGeo, ...(clientGeo ? { clientGeo } : {}) };
  }
}
