// A cluster node as a child process (`autoimmune start --etcd …`): what `npm run cluster`,
// the multi-process tests and the cluster benchmark start, and SIGKILL when they mean to.
// Started with the product's node flags and environment (src/node/process-flags.ts), as
// `npm start` starts a node, so the chaos run and the cluster tests run what ships.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS, nodeEnv } from '../src/node/process-flags.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

export interface NodeProcessOptions {
  id: string;
  /** etcd endpoints; empty: a single node on the embedded coordinator. */
  etcd: string[];
  /** A config file laid over config/default.json. */
  config?: string;
  stateDir: string;
  /** The cluster's join secret file (createJoinSecretFile): every node a launcher starts gets the same. */
  joinSecret?: string;
  /** HTTP port (default 0: any free one; the node prints where it listens). */
  port?: number;
  /** Lines the node writes to stderr (notices), prefixed with its id; default: kept only. */
  onLine?: (line: string) => void;
  /** How long to wait for the node to say it runs (default 60 s). */
  startMs?: number;
  /** A command that runs the node, e.g. ['ip', 'netns', 'exec', 'ns1'] (it must exec it: signals reach the node). */
  wrap?: string[];
  /** More environment for the node (fail points, …). */
  env?: Record<string, string>;
}

export interface NodeProcess {
  id: string;
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL by default: the node dies without leaving. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM and wait: a graceful leave. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export async function spawnNodeProcess(o: NodeProcessOptions): Promise<NodeProcess> {
  const args = [...NODE_FLAGS, '--import', 'tsx', CLI, 'start', ...(o.etcd.length > 0 ? ['--etcd', o.etcd.join(','), '--node-id', o.id] : []), '--state-dir', o.stateDir, '--port', String(o.port ?? 0)];
  if (o.config) args.push('--config', o.config);
  if (o.joinSecret) args.push('--join-secret', o.joinSecret);
  const [command, ...prefix] = [...(o.wrap ?? []), process.execPath];
  const child = spawn(command!, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...nodeEnv(), FORCE_COLOR: '0', ...o.env } });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let partial = '';
  const take = (d: string) => {
    out += d;
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) o.onLine?.(`[${o.id}] ${l}`);
  };
  child.stdout!.setEncoding('utf8').on('data', take);
  child.stderr!.setEncoding('utf8').on('data', take);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${o.id} did not start within ${o.startMs ?? 60_000} ms; it printed:\n${out.slice(-3000)}`)), o.startMs ?? 60_000);
    const check = () => {
      const m = /status page\s+(http:\/\/\S+?)\/?\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`node ${o.id} exited (${sig ?? `code ${code}`}) before it started; it printed:\n${out.slice(-3000)}`));
    });
  });
  return {
    id: o.id,
    url,
    child,
    output: () => out,
    kill: (signal = 'SIGKILL') => signalAndWait(child, signal),
    stop: () => signalAndWait(child, 'SIGTERM'),
  };
}
