// The benchmark's node processes: starts them with their config, kills and stops them on
// purpose, and tells apart a node that died on its own (a crash) from one the benchmark
// ended. A crash is recorded with the node's last lines and reported, never hidden; the
// fleet can restart what crashed so the remaining measurements still run.
import type { ChildProcess } from 'node:child_process';
import type { NodeProcess } from '../../devkit/node-process.ts';
import type { TestCluster } from '../../devkit/cluster.ts';

export interface Crash {
  node: string;
  /** What the benchmark was doing when it happened. */
  during: string;
  code: number | null;
  signal: string | null;
  /** The node's last lines (an assertion or stack trace, usually). */
  last: string;
}

type Overrides = Record<string, Record<string, unknown>>;

export class Fleet {
  readonly crashes: Crash[] = [];
  /** Config overrides per node id, used at every (re)start. */
  readonly config = new Map<string, Overrides>();
  /** What the benchmark is doing: named in a crash record. */
  phase = 'starting';
  private readonly ended = new WeakSet<ChildProcess>();

  constructor(
    readonly cluster: TestCluster,
    readonly ids: string[],
  ) {}

  async start(id: string): Promise<NodeProcess> {
    const n = await this.cluster.start(id, this.config.get(id) ?? {});
    n.child.once('exit', (code, signal) => {
      if (this.ended.has(n.child)) return;
      const last = n.output().trimEnd().split('\n').slice(-8).join('\n');
      this.crashes.push({ node: id, during: this.phase, code, signal, last });
      process.stderr.write(`bench cluster: node ${id} died on its own during ${this.phase} (${signal ?? `code ${code}`}):\n${last}\n`);
    });
    return n;
  }

  /** SIGKILL on purpose. */
  async kill(id: string): Promise<void> {
    const n = this.cluster.node(id);
    this.ended.add(n.child);
    await n.kill('SIGKILL');
  }

  /** SIGTERM on purpose: a graceful leave. */
  async stop(id: string): Promise<void> {
    const n = this.cluster.node(id);
    this.ended.add(n.child);
    await n.stop();
  }

  /** SIGTERM to every node, on purpose. */
  async stopAll(): Promise<void> {
    for (const n of this.cluster.nodes.values()) this.ended.add(n.child);
    await this.cluster.stopAll();
  }

  /** Nodes whose process has exited (crashed or ended and not started again). */
  down(): string[] {
    return this.ids.filter((id) => {
      const c = this.cluster.nodes.get(id)?.child;
      return !c || c.exitCode !== null || c.signalCode !== null;
    });
  }

  /** Starts again every node that is down. */
  async restartDown(): Promise<string[]> {
    const down = this.down();
    await Promise.all(down.map((id) => this.start(id)));
    return down;
  }
}
