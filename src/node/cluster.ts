// The cluster side of a node (cluster.etcd set): what this node can run of what the cluster
// places, the address it advertises, and its membership (lease, election, placement,
// transport) started over the node's actor system.

import { shardsInThreads } from '../net/shard-count.ts';
import { networkInterfaces } from 'node:os';
import { ClusterMember } from '../cluster/cluster-member.ts';
import type { Coordinator } from '../cluster/coordinator.ts';
import type { EtcdValues } from '../cluster/etcd-values.ts';
import { KeyRing } from '../remote/envelope/key-ring.ts';
import { loadOrCreateNodeKeys } from '../cluster/node-keys.ts';
import type { LocalActor } from '../cluster/placement/reconciler.ts';
import { pinnedParts } from '../cluster/placement/specs.ts';
import { DETECTION_PATH, DETECTORS_PATH, ENRICHERS_PATH, FLOOD_WATCH_ID, PIPELINE_PATH, shardOf, TRAINER_ID } from '../actors/tree-layout.ts';
import { TREE_LAYOUT } from './placement-layout.ts';
import { registerWireTypes } from '../remote/wire-types.ts';
import type { Config } from '../config/schema.ts';
import type { Detection } from './detection.ts';
import { ConfigError } from '../errors.ts';
import type { Pipeline, PipelineSource } from './pipeline.ts';
import type { ActorSystem } from '../supervisors/actor-system.ts';
import type { WorkerSpec } from '../supervisors/child-spec.ts';

export interface MemberParts {
  interfaces: string[];
  pipeline: Pipeline;
  detection: Detection;
  sources: PipelineSource[];
  stateDir: string;
  http: string;
  notice: (line: string) => void;
  /** The cluster's join secret (resolveJoinSecret). */
  joinSecret: Buffer;
  values: EtcdValues;
  /** This node's pipeline.workers (the cluster places shards as the leader's says). */
  workers: boolean;
  /** The actor that runs shard k's enricher and detector in a worker thread (a placed 'shard-thread'). */
  shardThread: (shard: number) => WorkerSpec;
}

/**
 * What this node can run of what the cluster places: its shards, singletons and own captures.
 * A shard runs as the placement says (the leader's pipeline.workers decides, as its shard
 * count does): an enricher/detector pair, or one shard-thread actor at the enricher's path.
 */
function catalogue(nodeId: string, p: MemberParts): (actorId: string, kind: string | undefined) => LocalActor | undefined {
  let told = false;
  return (actorId, kind) => {
    const pin = pinnedParts(actorId);
    if (pin) {
      if (pin.node !== nodeId || !p.sources.some((s) => s.id === pin.local)) return undefined;
      return { parent: PIPELINE_PATH, id: pin.local, spec: () => p.pipeline.captureSpec(pin.local)! };
    }
    const shard = shardOf(actorId);
    if (shard) {
      const k = shard.shard;
      const threads = kind === 'shard-thread';
      if (shard.kind === 'enricher' && threads !== p.workers && !told) {
        told = true;
        p.notice(`autoimmune[${nodeId}]: the cluster places its shards as ${threads ? 'worker threads' : 'enricher/detector actor pairs'} (its leader's pipeline.workers is ${threads}) and this node runs them so, whatever its own (${p.workers}); set the same pipeline.workers on every member`);
      }
      if (threads && shard.kind === 'enricher') return { parent: ENRICHERS_PATH, id: actorId, kind, spec: () => p.shardThread(k) };
      return shard.kind === 'enricher'
        ? { parent: ENRICHERS_PATH, id: actorId, kind: 'enricher', spec: () => p.pipeline.enricherSpec(k) }
        : { parent: DETECTORS_PATH, id: actorId, kind: 'detector', spec: () => p.detection.detectorSpec(k) };
    }
    if (actorId === FLOOD_WATCH_ID) return { parent: DETECTION_PATH, id: actorId, spec: () => p.detection.floodsSpec() };
    if (actorId === TRAINER_ID) {
      const spec = p.detection.trainerSpec();
      return spec ? { parent: DETECTION_PATH, id: actorId, spec: () => p.detection.trainerSpec()! } : undefined;
    }
    return undefined;
  };
}

/** Which host the node publishes for its transport (see cluster.transport.advertise). */
function advertise(bind: string, setting: string): { advertiseHost?: string } {
  if (setting !== 'auto') return { advertiseHost: setting };
  const host = /^tcp:\/\/(.+):\d+$/.exec(bind)?.[1];
  if (host !== '0.0.0.0' && host !== '*' && host !== '[::]') return {};
  const ip = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!ip) throw new ConfigError(`cluster.transport.bind ${bind} listens on every interface but this host has no non-loopback IPv4 address to advertise; set cluster.transport.advertise`);
  return { advertiseHost: ip };
}

export async function startMember(config: Config, system: ActorSystem, coordinator: Coordinator, p: MemberParts): Promise<ClusterMember> {
  registerWireTypes();
  const keys = loadOrCreateNodeKeys(p.stateDir);
  const { startZmqTransport } = await import('../remote/transport/zmq-transport.ts');
  const t = config.cluster.transport;
  const ring = t.envelope ? new KeyRing([]) : null;
  return ClusterMember.start({
    cluster: config.cluster.name,
    leaseTtlMs: config.cluster.leaseTtlMs,
    layout: TREE_LAYOUT,
    shape: { shards: config.pipeline.shards, trainer: p.detection.trainerSpec() !== null, workers: shardsInThreads(config.pipeline.workers) },
    system,
    coordinator,
    transport: (handlers) => startZmqTransport({ nodeId: system.nodeId, bind: t.bind, keys, curve: t.curve, sealer: ring, highWater: t.highWater, handlers }),
    ...(ring ? { envelope: { ring, rotateEveryMs: t.envelopeRotateS * 1000 } } : {}),
    joinSecret: p.joinSecret,
    values: p.values,
    record: { id: system.nodeId, http: p.http, interfaces: p.interfaces, captures: p.sources.map((s) => s.id), pid: process.pid, startedAt: new Date().toISOString() },
    catalogue: catalogue(system.nodeId, p),
    notice: p.notice,
    ...advertise(t.bind, t.advertise),
  });
}

