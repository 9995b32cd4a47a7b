// EnricherShard: one of N shards that own the flow statistics of the hosts hashed to them.
// Thin: hands each batch to Enrichment and sends the result on (to its detector shard once
// detection exists). Its statistics are soft state: a crash starts them afresh.

import { FlowFeatureExtractor, type FlowFeatureConfig, type FlowFeatureStats } from '../detect/flow-features.ts';
import { Enrichment, type AddressLookup, type EnrichedBatch } from '../detect/enrichment.ts';
import type { PacketBatch } from '../net/packet-batch.ts';
import type { ActorRef } from '../supervisors/actor-ref.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import type { MailboxOptions } from '../supervisors/mailbox.ts';
import { PRIORITY } from '../supervisors/priorities.ts';
import { enricherId } from './tree-layout.ts';
import { tableCounters } from '../detect/table-report.ts';

export interface EnricherOptions<G> {
  shard: number;
  features: FlowFeatureConfig;
  /** Shared by all shards of a node (read-only lookups); null turns GeoIP off. */
  geo: AddressLookup<G> | null;
  /** Where enriched batches go; without it they are counted and dropped (a sink). */
  next?: ActorRef | string;
  mailbox: MailboxOptions;
  /** For tests and the replay summary: sees every enriched batch. */
  onEnriched?: (batch: EnrichedBatch<G>) => void;
}

export interface EnricherProgress {
  packets: number;
  batches: number;
  readonly flows: FlowFeatureStats | undefined;
}

export function enricherSpec<G>(options: EnricherOptions<G>): WorkerSpec & { progress: EnricherProgress } {
  let current: Enrichment<G> | undefined;
  const progress: EnricherProgress = {
    packets: 0,
    batches: 0,
    get flows() {
      return current?.features.stats();
    },
  };
  const behavior = (): WorkerBehavior<Enrichment<G>, PacketBatch> => ({
    kind: 'enricher',
    init() {
      current = new Enrichment(options.shard, new FlowFeatureExtractor(options.features), options.geo);
      return current;
    },
    handle(enrichment, batch, ctx) {
      // Late (a live capture's node behind it): the rules alone will see it (enrichment.ts).
      const out = enrichment.enrich(batch, options.next === undefined, batch.isLate(Date.now()));
      progress.packets += batch.length;
      progress.batches++;
      options.onEnriched?.(out);
      if (options.next !== undefined) ctx.send(options.next, out, PRIORITY.packets);
      return enrichment;
    },
  });
  const stats = () => {
    const f = progress.flows;
    return {
      packets: progress.packets,
      hosts: f?.hosts.entries ?? 0,
      pairs: f?.pairs.entries ?? 0,
      sockets: f?.sockets.entries ?? 0,
      evictions: f ? f.hosts.evictions + f.pairs.evictions + f.sockets.evictions : 0,
      ...(current ? tableCounters(current.features.tables()) : {}),
      // The GeoIP lookup is one per thread, shared by the enrichers of actor shards: shard 0's
      // reports it, so totals over the shards count it once.
      ...(options.shard === 0 && options.geo?.tables ? tableCounters(options.geo.tables()) : {}),
    };
  };
  return { type: 'worker', id: enricherId(options.shard), mailbox: options.mailbox, start: behavior, progress, stats };
}
