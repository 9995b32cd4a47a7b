// How many packet shards a node runs when the configuration says "auto": one per core the
// process may use (os.availableParallelism honours CPU affinity), so a 16-core sensor runs
// 16 enricher/detector pairs. At least 1.

import { availableParallelism } from 'node:os';

export function defaultShardCount(): number {
  return Math.max(1, availableParallelism());
}

/**
 * One shard's share of a per-node table bound: shards own disjoint sources (hash of the
 * source address), so a node-wide bound split evenly keeps memory independent of the shard
 * count. Never below `floor`.
 */
export function shareOf(limit: number, shards: number, floor = 16): number {
  return Math.max(floor, Math.ceil(limit / Math.max(1, shards)));
}
