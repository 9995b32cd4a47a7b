// Capture-to-decision latency at a steady packet rate: synthetic live-like traffic (see
// synthetic-traffic.ts) through the whole node — capture actor, enricher shards, detector
// shards with the model in force, responder, dry-run firewall — and for every ban, the time
// from its triggering packet's capture timestamp to the decision, on one clock. The event
// loop's own delay over the same run is the reference (the floor any latency sits on).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MemoryBanRegistry } from '../../src/respond/memory-ban-registry.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { assembleDefence } from '../../src/node/defence.ts';
import { featureCount } from '../../src/detect/flow-features.ts';
import { openModelShelf } from '../../src/detect/model-shelf.ts';
import { DryRunBackend } from '../../src/firewall/dry-run.ts';
import { buildPipeline } from '../../src/node/pipeline.ts';
import { PacketBatch } from '../../src/net/packet-batch.ts';
import { ActorSystem } from '../../src/supervisors/actor-system.ts';
import { percentile } from '../report.ts';
import { SyntheticTraffic } from './synthetic-traffic.ts';
import { detectorPath } from '../../src/actors/tree-layout.ts';

export interface LatencyResult {
  pps: number;
  achievedPps: number;
  decisions: number;
  attackers: number;
  p50: number;
  p99: number;
  max: number;
  loopDelayP50: number;
  loopDelayP99: number;
  loopDelayMax: number;
  droppedBatches: number;
  backend: string;
}

export async function benchLatency(pps = 20_000, seconds = 10): Promise<LatencyResult> {
  const dir = mkdtempSync(join(tmpdir(), 'autoimmune-bench-'));
  const { config } = loadConfig(undefined, {
    node: { stateDir: dir },
    firewall: { backend: 'dry-run' },
    model: { enabled: true, graceRows: 20_000, retrainIntervalS: 0 },
    // Every attacker is timed: the rate limit on automatic bans would skip most of them.
    responder: { rateLimit: { bans: 1_000_000, perS: 1 } },
  } as never);
  const models = await openModelShelf(dir, config.model);
  const registry = new MemoryBanRegistry();
  const latencies: number[] = [];
  const defence = await assembleDefence({ config, registry, firewall: new DryRunBackend(), models, featureCount: featureCount(), interfaces: {} });
  defence.desk.onDecision((d) => {
    if (d.action === 'ban' && d.captureTs !== undefined) {
      const ms = performance.timeOrigin + performance.now() - d.captureTs * 1000;
      latencies.push(ms);
      if (process.env.LATENCY_TRACE) process.stderr.write(`${(performance.now() / 1000).toFixed(3)} ${ms.toFixed(2)} ${ms > 10 ? traceDepths() : ''}\n`);
    }
  });
  const traffic = new SyntheticTraffic(pps);
  let traceDepths = () => '';
  const pipeline = buildPipeline({
    sources: [{ id: 'synthetic', restart: 'permanent', open: () => traffic }],
    shards: config.pipeline.shards,
    batchSize: config.pipeline.batchSize,
    highWater: config.pipeline.highWater,
    features: config.features,
    geo: null,
    shardMailbox: config.pipeline.shardMailbox,
    next: (s) => detectorPath(s),
  });
  let droppedBatches = 0;
  const system = new ActorSystem({ nodeId: 'bench', defaults: config.supervision, root: { strategy: 'one_for_one', children: [defence.detection.response, defence.detection.detection, pipeline.spec] } });
  // Only packets count: a dropped trainer sample is not a lost packet.
  traceDepths = () => system.paths().map((p) => [p, system.depth(p)] as const).filter(([, d]) => d > 0).map(([p, d]) => `${p}=${d}`).join(' ');
  system.deadLetters.on('dead-letter', (d) => {
    if (d.message instanceof PacketBatch || (d.message as { packets?: unknown }).packets instanceof PacketBatch) droppedBatches++;
  });
  await system.start();
  const t0 = performance.now();
  while (!defence.board.current) {
    if (performance.now() - t0 > 300_000) throw new Error('no model after 5 minutes of grace traffic');
    await new Promise((r) => setTimeout(r, 50));
  }
  // Let the backlog from training drain before timing anything.
  await new Promise((r) => setTimeout(r, 1000));
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const sent0 = traffic.stats().packets;
  const a0 = performance.now();
  traffic.attacking = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  traffic.attacking = false;
  const achievedPps = Math.round((traffic.stats().packets - sent0) / ((performance.now() - a0) / 1000));
  await new Promise((r) => setTimeout(r, 500));
  loop.disable();
  await system.stop();
  defence.close();
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    pps,
    achievedPps,
    decisions: latencies.length,
    attackers: traffic.attackers,
    p50: r(percentile(latencies, 50)),
    p99: r(percentile(latencies, 99)),
    max: r(Math.max(...latencies)),
    loopDelayP50: r(loop.percentile(50) / 1e6),
    loopDelayP99: r(loop.percentile(99) / 1e6),
    loopDelayMax: r(loop.max / 1e6),
    droppedBatches,
    backend: models.backend,
  };
}
