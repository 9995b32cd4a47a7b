// The node's own thread warmed before it takes traffic (detect/warm-up.ts): what a capture
// runs on it (decoding, the session verifier, the router) and, with actor shards, a shard. A
// shard thread warms itself before it is ready (shards/shard-thread.ts).

import type { Config } from '../config/schema.ts';
import { warmUp } from '../detect/warm-up.ts';
import { shardsInThreads } from '../net/shard-count.ts';
import type { Defence } from './defence.ts';
import type { AddressLookup } from '../detect/enrichment.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';

export function warmPacketPath(config: Config, defence: Defence, geo: AddressLookup<GeoInfo | undefined> | null, notice: (line: string) => void): void {
  const packets = config.pipeline.warmUpPackets;
  if (packets === 0) return;
  const threads = shardsInThreads(config.pipeline.workers);
  const r = warmUp({ packets, capture: { shards: config.pipeline.shards }, shard: threads ? null : defence.warmShard(geo) });
  notice(`autoimmune: packet path warmed: ${r.packets} made-up packets in ${Math.round(r.ms)} ms`);
}
