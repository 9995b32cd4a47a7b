// A local cluster of node processes for tests: config files, start, health and tree reads.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { testTempDir } from './temp-dir.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Etcd3 } from 'etcd3';
import { createJoinSecretFile } from '../src/cluster/join-secret.ts';
import { spawnNodeProcess, type NodeProcess } from './node-process.ts';
import { generateNodeKeys, startZmqTransport } from '../src/remote/transport/zmq-transport.ts';
import type { Outcome, Transport } from '../src/remote/transport/types.ts';
import { startEtcd, type TestEtcd } from './etcd.ts';
import { findNode } from './tree.ts';
import { TEST_WORKERS, withTestWorkers } from './node-config.ts';

export interface Health {
  ready: boolean;
  reasons: string[];
  cluster: { node: string; lease: string; leader: string | null; isLeader: boolean; epoch: number; owned: string[]; members: string[]; fences: number };
}

export class TestCluster {
  readonly dir = testTempDir('autoimmune-cluster-');
  /** The join secret every node of this cluster is given. */
  readonly joinSecret = join(this.dir, 'cluster-join.key');
  readonly nodes = new Map<string, NodeProcess>();
  readonly log: string[] = [];

  constructor(
    readonly etcd: string[],
    private readonly base: Record<string, unknown>,
  ) {
    createJoinSecretFile(this.joinSecret);
  }

  /** Writes a config file: the cluster's base with per-node overrides on top (one level deep). */
  configFile(id: string, extra: Record<string, Record<string, unknown>> = {}): string {
    const merged: Record<string, unknown> = { ...this.base };
    for (const [k, v] of Object.entries(extra)) merged[k] = { ...(merged[k] as object), ...v };
    const pipeline = withTestWorkers(merged.pipeline as Record<string, unknown> | undefined);
    if (pipeline) merged.pipeline = pipeline;
    const file = join(this.dir, `${id}.json`);
    writeFileSync(file, JSON.stringify(merged));
    return file;
  }

  async start(id: string, extra: Record<string, Record<string, unknown>> = {}): Promise<NodeProcess> {
    const n = await spawnNodeProcess({ id, etcd: this.etcd, config: this.configFile(id, extra), stateDir: join(this.dir, id), joinSecret: this.joinSecret, onLine: (l) => this.log.push(l) });
    this.nodes.set(id, n);
    return n;
  }

  node(id: string): NodeProcess {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id} in this test cluster`);
    return n;
  }

  token(id: string): string {
    return readFileSync(join(this.dir, id, 'http-token'), 'utf8').trim();
  }

  /** An operator ban through node `id`'s API (POST /api/bans with its token). */
  async ban(id: string, body: { address: string; ttl?: number; reason?: string }): Promise<Response> {
    return fetch(`${this.node(id).url}/api/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token(id)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** A value written straight into etcd, as `etcdctl put` would: no node's checks on the way. */
  async putRaw(key: string, value: string): Promise<void> {
    const client = new Etcd3({ hosts: this.etcd });
    try {
      await client.put(key).value(value);
    } finally {
      client.close();
    }
  }

  async health(id: string): Promise<Health> {
    return (await (await fetch(`${this.node(id).url}/health`)).json()) as Health;
  }

  async json<T>(id: string, path: string, init?: RequestInit): Promise<T> {
    const r = await fetch(`${this.node(id).url}${path}`, init);
    return (await r.json()) as T;
  }

  /** The stats of the capture actor `captureId` on node `id`, from its tree. */
  async captureStats(id: string, captureId: string): Promise<Record<string, number> | undefined> {
    const snap = await this.json<{ tree: TreeNode }>(id, '/api/tree');
    return findNode(snap.tree, (t) => t.id === captureId && t.type === 'worker')?.stats;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.stop().catch(() => {})));
  }
}

interface TreeNode {
  id: string;
  type: string;
  stats?: Record<string, number>;
  children?: TreeNode[];
}

/** A transport with a fresh key that is no member; `outcomes` is every outcome that came back to it. */
export async function rogueTransport(): Promise<{ transport: Transport; outcomes: Outcome[] }> {
  const outcomes: Outcome[] = [];
  const transport = await startZmqTransport({
    nodeId: 'rogue',
    bind: 'tcp://127.0.0.1:0',
    keys: generateNodeKeys(),
    ackTimeoutMs: 200,
    handlers: { deliver: () => {}, onRefused: (_p, o) => outcomes.push(o), onOrphaned: () => {}, onSettled: (_p, o) => outcomes.push(o) },
  });
  return { transport, outcomes };
}

/** Every placed actor id (shards and singletons) runs on exactly one of the live nodes. */
export function coversOnce(healths: Health[], want: string[]): boolean {
  const owned = healths.flatMap((h) => h.cluster.owned);
  return want.every((id) => owned.filter((o) => o === id).length === 1);
}

/** The placed actors of a cluster of `shards` shards: enricher/detector pairs, or one shard-thread actor each (pipeline.workers). */
export function placedIds(shards: number, workers = TEST_WORKERS): string[] {
  return [...Array.from({ length: shards }, (_, k) => (workers ? [`enricher-${k}`] : [`enricher-${k}`, `detector-${k}`])).flat(), 'floods'];
}

/** What every test node shares: free ports, the dry-run firewall, no live capture, no model. */
export const BASE_NODE_CONFIG = { http: { port: 0 }, firewall: { backend: 'dry-run' }, model: { enabled: false }, capture: { interfaces: [] } };

/**
 * Registers the file's before/after hooks: a one-member etcd on a temp dir and free ports,
 * and a TestCluster on it with BASE_NODE_CONFIG and `overrides` (section by section).
 */
export function clusterOnEtcd(overrides: Record<string, unknown>): { readonly etcd: TestEtcd; readonly cluster: TestCluster } {
  const env = {} as { etcd: TestEtcd; cluster: TestCluster };
  before(async () => {
    env.etcd = await startEtcd();
    env.cluster = new TestCluster([env.etcd.endpoint], { ...BASE_NODE_CONFIG, ...overrides });
  });
  after(async () => {
    await env.cluster?.stopAll();
    await env.etcd?.stop();
  });
  return env;
}
