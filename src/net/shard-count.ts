// How many packet shards a node runs when the configuration says "auto": one per core the
// process may use (os.availableParallelism honours CPU affinity), so a 16-core sensor runs
// 16 enricher/detector pairs. At least 1.

import { availableParallelism } from 'node:os';

export function defaultShardCount(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Cores from which pipeline.workers "auto" runs shards in worker threads. A node's main thread
 * (capture, decode, routing, responder, HTTP) and the store's thread need cores of their own:
 * on 2 cores, 2 shard threads beside them cost 1.7× the CPU per packet of the actor shards
 * (README, node benchmark), while with 4 or more the shards' work leaves the main thread
 * (one thread took it from 16.6 to 7.4 µs per packet) and scales with the cores, as
 * Suricata's workers runmode does.
 */
export const THREADS_FROM_CORES = 4;

/** pipeline.workers resolved: "auto" is threads from THREADS_FROM_CORES cores the process may use. */
export function shardsInThreads(setting: boolean | 'auto', cores = availableParallelism()): boolean {
  return setting === 'auto' ? cores >= THREADS_FROM_CORES : setting;
}

/**
 * One shard's share of a per-node table bound: shards own disjoint sources (hash of the
 * source address), so a node-wide bound split evenly keeps memory independent of the shard
 * count. Never below `floor`.
 */
export function shareOf(limit: number, shards: number, floor = 16): number {
  return Math.max(floor, Math.ceil(limit / Math.max(1, shards)));
}
