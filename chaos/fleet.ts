// The cluster a chaos run works on: an etcd of one or three members and N node processes on
// loopback (dry-run firewalls, short lease and ban TTLs so faults and expiries happen within
// the run), one of which replays the shared captures in a loop, attackers included.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNodeProcess, type NodeProcess } from '../src/cluster/node-process.ts';
import { startEtcdCluster, type TestEtcdCluster } from '../src/cluster/local-etcd.ts';

export interface FleetOptions {
  nodes: number;
  etcdMembers: number;
  /** Capture files the traffic node replays in a loop. */
  traffic: string[];
  pps: number;
  shards: number;
  leaseTtlMs: number;
  banTtlS: number;
  onLine?: (line: string) => void;
}

export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'autoimmune-chaos-'));
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
  }

  async start(): Promise<void> {
    this.etcd = await startEtcdCluster(this.o.etcdMembers);
    await Promise.all(this.ids.map((id) => this.startNode(id)));
  }

  private configFile(id: string): string {
    const file = join(this.dir, `${id}.json`);
    const o = this.o;
    writeFileSync(
      file,
      JSON.stringify({
        http: { port: 0, blockRate: { perS: 1000, burst: 1000 } },
        firewall: { backend: 'dry-run' },
        model: { enabled: false },
        capture: { interfaces: [], ...(id === this.trafficNode ? { replay: { files: o.traffic, pps: o.pps, loop: true } } : {}) },
        cluster: { name: 'chaos', leaseTtlMs: o.leaseTtlMs },
        pipeline: { shards: o.shards },
        responder: { banTtlS: o.banTtlS, escalation: { factor: 1, maxTtlS: o.banTtlS, memoryS: 60 }, rateLimit: { bans: 1000, perS: 1 } },
      }),
    );
    return file;
  }

  async startNode(id: string): Promise<NodeProcess> {
    const n = await spawnNodeProcess({ id, etcd: this.etcd.endpoints, config: this.configFile(id), stateDir: join(this.dir, id), ...(this.o.onLine ? { onLine: this.o.onLine } : {}) });
    this.expectedDown.delete(id);
    this.nodes.set(id, n);
    n.child.once('exit', (code, signal) => {
      if (!this.expectedDown.has(id) && this.nodes.get(id) === n) this.unexpectedExits.push(`${id} exited (${signal ?? `code ${code}`}) on its own`);
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
