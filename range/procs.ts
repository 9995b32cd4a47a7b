// Processes inside the range's namespaces: long-running daemons (stopped by process group,
// TERM then KILL), bounded one-shot commands (killed at their hard time limit), and waiting
// for a listener. Everything goes through `ip netns exec NS`, never a shell on the host.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export interface Daemon {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
  /** TERM to the process group, KILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Every daemon and command this process started and has not seen end: killed at exit. */
const running = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of running) killGroup(c, 'SIGKILL');
  });
}

function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    try {
      c.kill(signal);
    } catch {
      // already gone
    }
  }
}

export interface SpawnOptions {
  /** Appends stdout and stderr to this file. */
  logFile?: string;
  /** Called with each line of stderr and stdout (after logFile). */
  onLine?: (line: string) => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts argv inside namespace ns, in its own process group. */
export function startDaemon(name: string, ns: string, argv: readonly string[], options: SpawnOptions = {}): Daemon {
  hookExit();
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: options.cwd, env: options.env ?? process.env });
  running.add(child);
  let log: WriteStream | undefined;
  if (options.logFile) log = createWriteStream(options.logFile, { flags: 'a' });
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (b: Buffer) => {
      log?.write(b);
      if (!options.onLine) return;
      rest += b.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const l of lines) options.onLine(l.replace(/\r$/, ''));
    });
  }
  const exited = new Promise<string>((resolve) => {
    child.on('error', (e) => resolve(`error ${e.message}`));
    // 'exit', not 'close': a daemon's children (sshd's per-connection processes) may hold
    // its pipes long after it is gone; killNamespace() ends them.
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(signal ?? String(code));
    });
    child.on('close', () => log?.end());
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    exited,
    stop: (graceMs = 3000) =>
      (stopping ??= (async () => {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })()),
  };
}

export interface CommandResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  startedAt: number;
  endedAt: number;
}

/** Runs argv inside ns to its end, killed (the whole group) after timeoutMs or when `abort` fires. Output is kept up to 1 MB each. */
export function runIn(ns: string, argv: readonly string[], timeoutMs: number, options: { cwd?: string; abort?: AbortSignal } = {}): Promise<CommandResult> {
  hookExit();
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, cwd: options.cwd });
    running.add(child);
    options.abort?.addEventListener('abort', () => killGroup(child, 'SIGKILL'), { once: true });
    const out: string[] = [];
    const err: string[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout!.on('data', (b: Buffer) => {
      if (outLen < 1 << 20) out.push(b.toString('utf8'));
      outLen += b.length;
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (errLen < 1 << 20) err.push(b.toString('utf8'));
      errLen += b.length;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, timeoutMs);
    const done = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, timedOut, stdout: out.join(''), stderr: err.join(''), startedAt, endedAt: Date.now() });
    };
    child.on('error', (e) => {
      err.push(e.message);
      done(null, null);
    });
    child.on('close', (code, signal) => done(code, signal));
  });
}

function namespacePids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return (r.stdout ?? '').split(/\s+/).filter(Boolean).map(Number).filter((p) => p > 1 && p !== process.pid);
}

/** SIGKILLs every process in namespace ns once, without waiting (for exit hooks). */
export function killNamespaceSync(ns: string): void {
  for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/**
 * SIGKILLs every process left in namespace ns (the lab's namespaces hold only the range's own
 * processes) until two reads 100 ms apart find none, for at most 3 s: a process forked while
 * its parent was being killed shows up on the second read.
 */
export async function killNamespace(ns: string): Promise<void> {
  const deadline = Date.now() + 3000;
  let empty = 0;
  while (empty < 2 && Date.now() < deadline) {
    const left = namespacePids(ns);
    empty = left.length === 0 ? empty + 1 : 0;
    killNamespaceSync(ns);
    await sleep(100);
  }
}

/** Whether `tool` (a name looked up on the PATH, or an absolute path) is an executable file. */
export function hasCommand(tool: string): boolean {
  const candidates = tool.startsWith('/') ? [tool] : (process.env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, tool));
  return candidates.some((f) => {
    try {
      accessSync(f, constants.X_OK);
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/** Waits until something listens on every (protocol, port) in ns, or throws naming what never came. */
export async function waitListening(ns: string, ports: { proto: 'tcp' | 'udp'; port: number }[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = ports.filter(({ proto, port }) => {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Hn', proto === 'tcp' ? '-lt' : '-lu', `sport = :${port}`], { encoding: 'utf8' });
      return r.status !== 0 || r.stdout.trim() === '';
    });
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${missing.map((m) => `${m.proto}/${m.port}`).join(', ')} in ${ns} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
