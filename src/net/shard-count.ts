// How many packet shards a node runs when the configuration says "auto": one per core the
// process may use (os.availableParallelism honours CPU affinity), so a 16-core sensor runs
// 16 enricher/detector pairs. At least 1.

import { availableParallelism } from 'node:os';

export function defaultShardCount(): number {
  return Math.max(1, availableParallelism());
}
