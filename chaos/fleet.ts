// The cluster a chaos run works on: an etcd of one or three members and N node processes
// (short lease and ban TTLs so faults and expiries happen within the run), one of which
// replays the shared captures in a loop, attackers included. Either all on loopback with
// dry-run firewalls, or, given a network lab (netns.ts), each node in its own network
// namespace with its own real nftables firewall and etcd in the hub, so the network between
// two nodes can be cut.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJoinSecretFile } from '../src/cluster/join-secret.ts';
import { spawnNodeProcess, type NodeProcess } from '../devkit/node-process.ts';
import { startEtcdCluster, type TestEtcdCluster } from '../devkit/local-etcd.ts';
import type { NetLab } from './netns.ts';

/** The nftables table (family inet) the nodes' firewalls own in the lab. */
export const FIREWALL_TABLE = 'autoimmune';

export interface FleetOptions {
  nodes: number;
  etcdMembers: number;
  /** Capture files the traffic node replays in a loop. */
  traffic: string[];
  pps: number;
  shards: number;
  /** Each node runs its shards in worker threads (pipeline.workers). */
  workers?: boolean;
  leaseTtlMs: number;
  banTtlS: number;
  /** Each node in its own namespace of this lab (the runner and etcd run in its hub). */
  lab?: NetLab;
  /** Environment for every node process (fail points: the deliberately broken build). */
  env?: Record<string, string>;
  onLine?: (line: string) => void;
}

export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'autoimmune-chaos-'));
  /** The join secret every node is given. */
  readonly joinSecret = join(this.dir, 'cluster-join.key');
  readonly nodes = new Map<string, NodeProcess>();
  /** Node ids we stopped or killed on purpose (an exit of any other is a crash). */
  readonly expectedDown = new Set<string>();
  readonly unexpectedExits: string[] = [];
  etcd!: TestEtcdCluster;
  readonly ids: string[];
  readonly trafficNode: string;

  constructor(readonly o: FleetOptions) {
    this.ids = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
    this.trafficNode = this.ids[0]!;
    createJoinSecretFile(this.joinSecret);
  }

  async start(): Promise<void> {
    this.etcd = await startEtcdCluster(this.o.etcdMembers, this.o.lab ? { host: this.o.lab.hubIp } : {});
    await Promise.all(this.ids.map((id) => this.startNode(id)));
  }

  private configFile(id: string): string {
    const file = join(this.dir, `${id}.json`);
    const o = this.o;
    const ip = o.lab?.nodes.find((n) => n.id === id)?.ip;
    writeFileSync(
      file,
      JSON.stringify({
        http: { port: 0, blockRate: { perS: 1000, burst: 1000 }, ...(ip ? { host: ip } : {}) },
        // In its own namespace a node has a kernel packet filter of its own to rule.
        firewall: { backend: ip ? 'nftables' : 'dry-run', table: FIREWALL_TABLE },
        model: { enabled: false },
        capture: { interfaces: [], ...(id === this.trafficNode ? { replay: { files: o.traffic, pps: o.pps, loop: true } } : {}) },
        cluster: { name: 'chaos', leaseTtlMs: o.leaseTtlMs, ...(ip ? { transport: { bind: `tcp://${ip}:0`, advertise: ip } } : {}) },
        pipeline: { shards: o.shards, workers: o.workers ?? false },
        responder: { banTtlS: o.banTtlS, escalation: { factor: 1, maxTtlS: o.banTtlS, memoryS: 60 }, rateLimit: { bans: 1000, perS: 1 } },
      }),
    );
    return file;
  }

  async startNode(id: string): Promise<NodeProcess> {
    const n = await spawnNodeProcess({
      id,
      etcd: this.etcd.endpoints,
      config: this.configFile(id),
      stateDir: join(this.dir, id),
      joinSecret: this.joinSecret,
      ...(this.o.lab ? { wrap: this.o.lab.exec(id) } : {}),
      ...(this.o.env ? { env: this.o.env } : {}),
      ...(this.o.onLine ? { onLine: this.o.onLine } : {}),
    });
    this.expectedDown.delete(id);
    this.nodes.set(id, n);
    n.child.once('exit', (code, signal) => {
      if (this.expectedDown.has(id) || this.nodes.get(id) !== n) return;
      // What it said last is the evidence (an abort's assertion, an uncaught error).
      const tail = n.output().trimEnd().split('\n').slice(-12).join('\n');
      this.unexpectedExits.push(`${id} exited (${signal ?? `code ${code}`}) on its own; its last output:\n${tail}`);
    });
    return n;
  }

  live(): NodeProcess[] {
    return [...this.nodes.values()].filter((n) => n.child.exitCode === null && n.child.signalCode === null && !this.expectedDown.has(n.id));
  }

  token(id: string): string {
    return readFileSync(join(this.dir, id, 'http-token'), 'utf8').trim();
  }

  async stop(): Promise<void> {
    for (const n of this.nodes.values()) {
      this.expectedDown.add(n.id);
      n.child.kill('SIGCONT');
    }
    await Promise.all([...this.nodes.values()].map((n) => n.stop().catch(() => {})));
    await this.etcd?.stop();
  }
}
