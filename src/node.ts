// One autoimmune node: the coordinator (embedded unless etcd endpoints are configured), the
// supervised actor tree and the HTTP server for /health, the status page and the JSON API.

import type { Coordinator } from './cluster/coordinator.ts';
import { EmbeddedCoordinator } from './cluster/embedded-coordinator.ts';
import type { Config } from './config/schema.ts';
import { ConfigError } from './errors.ts';
import { membershipSpec } from './actors/membership.ts';
import { ActorSystem, type ActorSystemOptions } from './supervisors/actor-system.ts';
import { LiveCapture, type LiveCaptureOptions } from './net/live-capture.ts';
import { openConfiguredGeo } from './geo/from-config.ts';
import { buildPipeline } from './pipeline.ts';
import { startHttpServer, type HttpServer } from '../ui/server.ts';
import { MemoryBanRegistry } from './cluster/memory-ban-registry.ts';
import type { BanRegistry } from './cluster/ban-registry.ts';
import { assembleDefence, type Defence, type ModelShelf } from './defence.ts';
import { detectorPath } from './detection.ts';
import { featureCount } from './detect/flow-features.ts';
import { chooseFirewallBackend } from './firewall/choose-backend.ts';
import type { FirewallBackend } from './firewall/backend.ts';
import { ensureStateDir, loadOrCreateToken, resolveStateDir } from './state-dir.ts';
import { wallClock } from './supervisors/clock.ts';

export interface RunningNode {
  config: Config;
  /** Interfaces captured live (empty without root or when none are configured). */
  interfaces: string[];
  system: ActorSystem;
  coordinator: Coordinator;
  http: HttpServer;
  defence: Defence;
  registry: BanRegistry;
  firewall: FirewallBackend;
  stateDir: string;
  /** The base URL the HTTP server listens on. */
  url: string;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  onRootGaveUp?: ActorSystemOptions['onRootGaveUp'];
  /** Where one-line notices go (default stderr). */
  notice?: (line: string) => void;
  /** Instead of the configured backend (tests). */
  firewall?: FirewallBackend;
  /** Instead of the node's model shelf (tests; null: rules only). */
  models?: ModelShelf | null;
}

function liveOptions(config: Config, iface: string, index: number): LiveCaptureOptions {
  const c = config.capture;
  return { iface, filter: c.filter, promiscuous: c.promiscuous, snaplen: c.snaplen, bufferSize: c.bufferMb * 2 ** 20, batchSize: config.pipeline.batchSize, ifaceIndex: index };
}

/**
 * The interfaces live capture can use. Without root or CAP_NET_RAW it says so in one line
 * and the node runs without them; any other problem (an unknown interface, a bad filter)
 * stops start-up, since the configuration is wrong.
 */
async function usableInterfaces(config: Config, notice: (line: string) => void): Promise<string[]> {
  const ok: string[] = [];
  for (const [i, iface] of config.capture.interfaces.entries()) {
    try {
      await LiveCapture.open(liveOptions(config, iface, i)).close();
      ok.push(iface);
    } catch (err) {
      if ((err as { code?: string }).code === 'AI_ERR_CAPTURE_NOT_PERMITTED') {
        notice(`autoimmune: ${(err as Error).message}`);
        return [];
      }
      throw new ConfigError(`capture.interfaces: ${(err as Error).message}`, { cause: err });
    }
  }
  return ok;
}

export async function startNode(config: Config, options: StartNodeOptions = {}): Promise<RunningNode> {
  if (config.cluster.etcd.length > 0) {
    throw new ConfigError(`cluster.etcd is set (${config.cluster.etcd.join(', ')}) but the etcd coordinator is not built yet; leave cluster.etcd empty to run the embedded coordinator`);
  }
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const interfaces = await usableInterfaces(config, notice);
  const geo = await openConfiguredGeo(config.geo);
  const stateDir = ensureStateDir(resolveStateDir(config.node.stateDir));
  const token = loadOrCreateToken(stateDir, config.http.token);
  let firewall = options.firewall;
  if (!firewall) {
    const chosen = await chooseFirewallBackend(config.firewall.backend, { table: config.firewall.table });
    firewall = chosen.backend;
    notice(`autoimmune: firewall ${chosen.why}`);
  }
  let models = options.models;
  if (models === undefined && config.model.enabled) {
    // Loaded only when the model is on: tfjs takes a while to load.
    const { openModelShelf } = await import('./detect/model-shelf.ts');
    models = await openModelShelf(stateDir, config.model);
    notice(`autoimmune: anomaly model on tfjs backend ${models.backend}`);
  }
  const registry = new MemoryBanRegistry(wallClock);
  const defence = await assembleDefence({ config, registry, firewall, models: models ?? null, featureCount: featureCount() });
  const pipeline = buildPipeline({
    sources: interfaces.map((iface, i) => ({ id: `capture-${iface.replace(/[^A-Za-z0-9_-]/g, '_')}`, restart: 'permanent' as const, open: () => LiveCapture.open(liveOptions(config, iface, i)) })),
    shards: config.pipeline.shards,
    batchSize: config.pipeline.batchSize,
    highWater: config.pipeline.highWater,
    features: config.features,
    geo,
    shardMailbox: config.pipeline.shardMailbox,
    next: (shard) => detectorPath(shard),
  });
  const coordinator = new EmbeddedCoordinator();
  const http = await startHttpServer({ ...config.http, token: token.token });
  const system = new ActorSystem({
    nodeId: config.node.id,
    defaults: config.supervision,
    ...(options.onRootGaveUp ? { onRootGaveUp: options.onRootGaveUp } : {}),
    root: {
      strategy: 'one_for_one',
      intensity: config.supervision.intensity,
      children: [
        {
          type: 'supervisor',
          id: 'cluster',
          kind: 'cluster',
          strategy: 'one_for_one',
          children: [
            membershipSpec(coordinator, config.cluster.name, { id: config.node.id, http: http.url, pid: process.pid, startedAt: new Date().toISOString() }, config.cluster.leaseTtlMs),
          ],
        },
        // Consumers before producers: response, then detection, then the packet path.
        defence.detection.response,
        defence.detection.detection,
        pipeline.spec,
      ],
    },
  });
  http.attach({ system, coordinator, config, response: defence.desk });
  await system.start();
  let stopped = false;
  return {
    config,
    interfaces,
    system,
    coordinator,
    http,
    defence,
    registry,
    firewall,
    stateDir,
    url: http.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await system.stop();
      defence.close();
      await registry.close();
      await http.close();
      await coordinator.close();
    },
  };
}
