// `autoimmune replay FILE...`: capture files through the same path as live capture
// (capture actor → enricher shards) on a local actor tree, with progress and a summary.

import { statSync } from 'node:fs';
import type { AddressLookup } from '../detect/enrichment.ts';
import type { FlowFeatureConfig, FlowFeatureStats } from '../detect/flow-features.ts';
import type { DecodeStatsSnapshot } from '../net/decode-stats.ts';
import { FileSource, type ReplaySpeed } from '../net/file-source.ts';
import { PacketBatch } from '../net/packet-batch.ts';
import { buildPipeline } from './pipeline.ts';
import { ActorSystem } from '../supervisors/actor-system.ts';
import type { SupervisionDefaults } from '../supervisors/child-spec.ts';

export interface ReplayOptions<G> {
  speed: ReplaySpeed;
  shards: number;
  batchSize?: number;
  features?: FlowFeatureConfig;
  geo?: AddressLookup<G> | null;
  supervision?: Partial<SupervisionDefaults>;
  /** Called about five times a second while replaying. */
  onProgress?: (p: ReplayProgress) => void;
  /** Sees the actor system once it runs (tests inject crashes through it). */
  onSystem?: (system: ActorSystem) => void;
}

export interface ReplayProgress {
  file: string;
  fileIndex: number;
  files: number;
  bytesRead: number;
  bytesTotal: number;
  packets: number;
  elapsedS: number;
}

export interface ReplaySummary {
  files: string[];
  packets: number;
  decode: DecodeStatsSnapshot;
  routed: number;
  unroutable: number;
  enriched: number;
  /** Packets in batches a full shard mailbox shed (dead letters). */
  dropped: number;
  /** Packets in batches whose handling crashed a shard (dead letters). */
  lostInCrashes: number;
  elapsedS: number;
  packetsPerS: number;
  shards: Array<{ shard: number; packets: number; flows: FlowFeatureStats | undefined }>;
  restarts: number;
  /** Files that were cut short or corrupt: what was readable was replayed. */
  fileErrors: Array<{ file: string; message: string; offset?: number }>;
  /** Set when the replay could not finish: what went wrong. */
  error?: string;
}

export async function replay<G>(files: string[], options: ReplayOptions<G>): Promise<ReplaySummary> {
  for (const f of files) {
    try {
      if (!statSync(f).isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new RangeError(`cannot replay ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const bytesTotal = files.reduce((a, f) => a + statSync(f).size, 0);
  let source: FileSource | undefined;
  let fileIndex = 0;
  let ended!: () => void;
  let failed!: (e: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    ended = resolve;
    failed = reject;
  });
  const pipeline = buildPipeline({
    sources: [
      {
        id: 'replay',
        restart: 'transient',
        open: (skip) => (source = new FileSource(files, { speed: options.speed, skip, batchSize: options.batchSize ?? 1024, onFile: (_p, i) => (fileIndex = i) })),
        onEnd: () => ended(),
      },
    ],
    shards: options.shards,
    batchSize: options.batchSize ?? 1024,
    highWater: 32,
    features: options.features ?? {},
    geo: options.geo ?? null,
    shardMailbox: { capacity: 64, overflow: 'reject' },
  });
  const system = new ActorSystem({
    nodeId: 'replay',
    defaults: options.supervision,
    onRootGaveUp: (e) => failed(e),
    root: { strategy: 'one_for_one', children: [pipeline.spec] },
  });
  let dropped = 0;
  let lostInCrashes = 0;
  system.deadLetters.on('dead-letter', (d) => {
    if (!(d.message instanceof PacketBatch)) return;
    if (d.reason === 'crashed') lostInCrashes += d.message.length;
    else dropped += d.message.length;
  });
  const t0 = performance.now();
  await system.start();
  options.onSystem?.(system);
  const capture = pipeline.captures.get('replay')!;
  const progressTimer = options.onProgress
    ? setInterval(() => {
        options.onProgress!({
          file: files[fileIndex]!,
          fileIndex,
          files: files.length,
          bytesRead: source?.bytesRead ?? 0,
          bytesTotal,
          packets: capture.delivered + capture.unroutable,
          elapsedS: (performance.now() - t0) / 1000,
        });
      }, 200)
    : undefined;
  let error: string | undefined;
  try {
    await done;
    // Wait until the shards have handled everything that was routed to them.
    const enriched = () => pipeline.enrichers.reduce((a, e) => a + e.packets, 0);
    while (enriched() + dropped + lostInCrashes < capture.delivered) await new Promise((r) => setTimeout(r, 1));
  } catch (err) {
    error = (err as Error).message;
  } finally {
    if (progressTimer) clearInterval(progressTimer);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const summary: ReplaySummary = {
    files,
    packets: capture.delivered + capture.unroutable,
    decode: capture.decode ?? source!.decodeStats.toJSON(),
    routed: capture.delivered,
    unroutable: capture.unroutable,
    enriched: pipeline.enrichers.reduce((a, e) => a + e.packets, 0),
    dropped,
    lostInCrashes,
    elapsedS,
    packetsPerS: Math.round((capture.delivered + capture.unroutable) / elapsedS),
    shards: pipeline.enrichers.map((e, shard) => ({ shard, packets: e.packets, flows: e.flows })),
    restarts: system.lifecycle.recent.filter((e) => e.type === 'restarted').length,
    fileErrors: source?.errors ?? [],
    ...(error ? { error } : {}),
  };
  if (!error) await system.stop();
  return summary;
}
