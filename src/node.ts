// One autoimmune node: the coordinator (embedded unless etcd endpoints are configured), the
// supervised actor tree and the HTTP server for /health, the status page and the JSON API.

import type { Coordinator } from './cluster/coordinator.ts';
import { EmbeddedCoordinator } from './cluster/embedded-coordinator.ts';
import type { Config } from './config/schema.ts';
import { ConfigError } from './errors.ts';
import { membershipSpec } from './actors/membership.ts';
import { ActorSystem, type ActorSystemOptions } from './supervisors/actor-system.ts';
import { startHttpServer, type HttpServer } from '../ui/server.ts';

export interface RunningNode {
  config: Config;
  system: ActorSystem;
  coordinator: Coordinator;
  http: HttpServer;
  /** The base URL the HTTP server listens on. */
  url: string;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  onRootGaveUp?: ActorSystemOptions['onRootGaveUp'];
}

export async function startNode(config: Config, options: StartNodeOptions = {}): Promise<RunningNode> {
  if (config.cluster.etcd.length > 0) {
    throw new ConfigError(`cluster.etcd is set (${config.cluster.etcd.join(', ')}) but the etcd coordinator is not built yet; leave cluster.etcd empty to run the embedded coordinator`);
  }
  const coordinator = new EmbeddedCoordinator();
  const http = await startHttpServer(config.http);
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
        // The packet path (capture → enricher shards → detector shards → responder) is
        // started here by the packet-path and detection issues.
        { type: 'supervisor', id: 'pipeline', kind: 'pipeline', strategy: 'rest_for_one', children: [] },
      ],
    },
  });
  http.attach({ system, coordinator, config });
  await system.start();
  let stopped = false;
  return {
    config,
    system,
    coordinator,
    http,
    url: http.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await system.stop();
      await http.close();
      await coordinator.close();
    },
  };
}
