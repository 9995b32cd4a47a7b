// Live capture through the whole node, in a network namespace of its own: the node
// (node-run.ts --live) captures `udp` on the namespace's lo while the paced generator sends
// ordinary datagrams and, every SCAN_EVERY-th one, a scanner's probe from a fresh address of
// 198.18.0.0/15 (RFC 2544's benchmarking block, local to the namespace through an AnyIP
// route), so the node has bans to decide. Loss = (sent − captured) / sent; decision latency =
// capture timestamp of the triggering packet → the ban decision. tcpdump on the same
// generator in the same namespace is the reference. Nothing leaves the namespace.
//
// The generator is sendmmsg-generator.c (built at run time): the JS one cost several µs of
// the 2 shared cores per datagram and never reached 100k packets/s beside the node.
//
//   node --import tsx bench/node/live-lab.ts --state DIR [--shards N] [--rates 10000,30000] [--stages] [--set JSON] [--no-tcpdump] [--root CHECKOUT] [--node-session own|shared] [--generator-nice N]
//     DIR holds a trained model (models/); it is copied, never written. As root. --stages: each
//     round also says where the time went, stage by stage (live-stages.ts); --set: config
//     overrides for the node (node-run's --set); --root: another checkout's compiled node (its
//     dist built) run by this lab, to alternate builds; --node-session shared: the node in the
//     lab's session beside the generator (before session 18), own (default): its own, as a daemon;
//     --generator-nice N: the generator in a session of its own at N, to reach its rate on a
//     machine loaded by other sessions.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { report, type Result } from '../report.ts';
import type { GeneratorReport } from '../packets/traffic-generator.ts';
import { sendmmsgGenerator } from '../packets/sendmmsg-generator.ts';
import { runJsonChild } from '../child-json.ts';
import { nodeRunArgs } from './node-run-command.ts';
import { NODE_FLAGS, nodeEnv } from '../../src/node/process-flags.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Rates the node keeps up with (decision latency without a backlog), then the goal's. */
export const LIVE_RATES = [10_000, 30_000, 100_000, 200_000];
/** tcpdump is the reference at the goal's rates. */
const TCPDUMP_RATES = [100_000, 200_000];
const SECONDS = 3;
const HOST = '198.18.0.1';
const PORT = 40_000;
/** One scanner probe in this many datagrams: at 100k pps, 1,000 probes/s, 83 scanners/s. */
const SCAN_EVERY = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ns(name: string, args: string[]): void {
  const r = spawnSync('ip', ['netns', 'exec', name, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns exec ${name} ${args.join(' ')}: ${r.stderr.trim()}`);
}

export function makeLab(): string {
  const name = `ai-bench-${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr.trim()}`);
  process.once('exit', () => spawnSync('ip', ['netns', 'del', name]));
  ns(name, ['ip', 'link', 'set', 'lo', 'up']);
  ns(name, ['ip', 'addr', 'add', `${HOST}/32`, 'dev', 'lo']);
  ns(name, ['ip', 'route', 'add', 'local', '198.18.0.0/15', 'dev', 'lo']);
  return name;
}

/**
 * The generator; with `nice` (--generator-nice N), in a session of its own whose kernel group
 * (autogroup) gets that value, so that on a machine loaded by other sessions it still sends at
 * the rate asked: it stands in for the network, which takes no session's share of the cores.
 */
function generator(lab: string, pps: number, nice?: number): Promise<GeneratorReport> {
  const args = ['netns', 'exec', lab, sendmmsgGenerator(), '--pps', String(pps), '--count', String(pps * SECONDS), '--max-seconds', String(SECONDS * 3), '--host', HOST, '--port', String(PORT), '--scan-every', String(SCAN_EVERY), '--delay-ms', '300'];
  if (nice === undefined) return runJsonChild<GeneratorReport>('ip', args, 'traffic generator');
  return runJsonChild<GeneratorReport>('setsid', ['--wait', 'sh', '-c', `echo ${nice} > /proc/self/autogroup && exec ip "$@"`, 'sh', ...args], 'traffic generator');
}

interface LiveReport {
  sent: number;
  captured: number;
  kernel_drops: number;
  lost: number;
  decisions: number;
  cpu_us_per_packet: { main: number; all: number };
  decision_p50_ms: number | null;
  decision_p99_ms: number | null;
  decision_max_ms: number | null;
  /** Capture → the desk has the alert; the desk → the decision. */
  to_desk_p50_ms: number | null;
  to_desk_p99_ms: number | null;
  at_desk_p50_ms: number | null;
  at_desk_p99_ms: number | null;
  /** The node's event loop delay (p99, max) and its longest GC pause, and pauses over 5 ms, in the round. */
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  /** The node's main thread waiting for a core (runnable, not running): ms per second of the round, and per time it got one. */
  main_thread_wait_ms_per_s: number;
  main_thread_wait_ms_per_slice: number;
  gc_max_ms: number;
  gc_over_5ms: number;
  gc_major_ms: number;
  /** Read by the capture but discarded under overload. */
  shed: number;
  /** Taken late by their shard (capture.lateMs): ruled only, not scored, no flow records. */
  late: number;
  rss_peak_run_mb: number;
  vm_hwm_mb: number;
  stages?: Record<string, unknown>;
  /** Times the capture was held back by a full shard (with stages). */
  held_back?: number;
}

/** node-run's extra arguments (--stages, --set JSON). */
export interface LiveNodeOptions {
  stages?: boolean;
  set?: string;
  /** Leave out the tcpdump reference rounds (--no-tcpdump). */
  noTcpdump?: boolean;
  /** Run another checkout's compiled node (--root DIR, built), for builds alternated by the same lab. */
  root?: string;
  /** The node in the lab's own session (--node-session shared), as before session 18; else a session of its own. */
  sharedSession?: boolean;
  /** The generator's session group's nice value (--generator-nice N); unset: in the lab's session. */
  generatorNice?: number;
}

/** The node in the lab; `ask` sends one report request and resolves with its answer. */
async function liveNode(lab: string, state: string, shards: number, opts: LiveNodeOptions): Promise<{ child: ChildProcess; ask(sent: number): Promise<LiveReport> }> {
  // AUTOIMMUNE_LIVE_NODE_ARGS: more node flags for the node's process (e.g. --cpu-prof --cpu-prof-dir=DIR, --max-semi-space-size=32).
  const extra = process.env.AUTOIMMUNE_LIVE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // The extra flags go after the product's (src/node/process-flags.ts), so they override them.
  const run = opts.root ? [...NODE_FLAGS, join(opts.root, 'dist/bench/node/node-run.js')] : nodeRunArgs();
  run.splice(run.length - 1, 0, ...extra);
  // A session of its own (setsid, as a daemon or a service starts): with the kernel's autogroups
  // the cores are shared between sessions first, and in the lab's session the node would share
  // one session's part with the generator, which on a sensor is the network, not a process
  // beside the node (README, "Benchmarks", session 18).
  const child = spawn('ip', ['netns', 'exec', lab, process.execPath, ...run, '--state', state, '--shards', String(shards), '--live', ...(opts.stages ? ['--stages'] : []), ...(opts.set ? ['--set', opts.set] : [])], { cwd: opts.root ?? ROOT, env: nodeEnv(), stdio: ['pipe', 'pipe', 'pipe'], detached: !opts.sharedSession });
  // In a session of its own the node no longer hears the terminal's ^C with the lab: it ends
  // with the lab (the exit handlers then delete the namespace).
  const end = (): void => void child.kill('SIGKILL');
  process.once('exit', end);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  child.once('exit', () => process.off('exit', end));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`the live node exited: ${err.trim().slice(-2000)}`);
    return r.value;
  };
  const first = JSON.parse(await nextLine()) as { ready?: boolean };
  if (!first.ready) throw new Error(`the live node did not start: ${JSON.stringify(first)}`);
  return {
    child,
    async ask(sent: number) {
      child.stdin!.write(`report ${sent}\n`);
      return JSON.parse(await nextLine()) as LiveReport;
    },
  };
}

/** tcpdump -B 4096 on the lab's lo at `pps`; null when it does not start. */
async function tcpdumpRun(lab: string, pps: number): Promise<{ loss: number; sent: number; captured: number } | null> {
  const td = spawn('ip', ['netns', 'exec', lab, 'tcpdump', '-i', 'lo', '-B', '4096', '-nn', '-w', '/dev/null', 'udp'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  td.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<void>((r) => td.on('exit', () => r()));
  const deadline = performance.now() + 10_000;
  while (!err.includes('listening on') && td.exitCode === null && performance.now() < deadline) await sleep(10);
  if (!err.includes('listening on')) {
    td.kill('SIGKILL');
    await exited;
    return null;
  }
  const gen = await generator(lab, pps);
  await sleep(1500); // tcpdump's ring hands over a partly filled block after its 1 s timeout
  td.kill('SIGINT');
  await exited;
  const captured = Number(/(\d+) packets? captured/.exec(err)?.[1] ?? NaN);
  return { loss: (gen.sent - captured) / gen.sent, sent: gen.sent, captured };
}

export async function benchNodeLive(state: string, shards: number, rates: readonly number[] = LIVE_RATES, opts: LiveNodeOptions = {}): Promise<Result[]> {
  const lab = makeLab();
  const results: Result[] = [];
  const round = (x: number) => Number(x.toFixed(6));
  try {
    const node = await liveNode(lab, state, shards, opts);
    try {
      for (const pps of rates) {
        const gen = await generator(lab, pps, opts.generatorNice);
        const r = await node.ask(gen.sent);
        const k = `${pps / 1000}k`;
        const common = { target_pps: pps, achieved_pps: gen.achieved_pps, sent: r.sent, captured: r.captured, kernel_drops: r.kernel_drops, shed: r.shed, late_packets: r.late, scanners: gen.scanners, decisions: r.decisions, shards };
        results.push({ name: `node_live_loss_ratio_${k}`, value: round((r.sent - Math.min(r.captured, r.sent)) / r.sent), unit: 'ratio (packets lost / sent)', ...common });
        results.push({ name: `node_live_decision_p99_ms_${k}`, value: r.decision_p99_ms ?? -1, unit: 'ms', p50_ms: r.decision_p50_ms, max_ms: r.decision_max_ms, to_desk_p50_ms: r.to_desk_p50_ms, to_desk_p99_ms: r.to_desk_p99_ms, at_desk_p50_ms: r.at_desk_p50_ms, at_desk_p99_ms: r.at_desk_p99_ms, loop_delay_p99_ms: r.loop_delay_p99_ms, loop_delay_max_ms: r.loop_delay_max_ms, main_thread_wait_ms_per_s: r.main_thread_wait_ms_per_s, main_thread_wait_ms_per_slice: r.main_thread_wait_ms_per_slice, gc_max_ms: r.gc_max_ms, gc_over_5ms: r.gc_over_5ms, gc_major_ms: r.gc_major_ms, cpu_us_per_packet: r.cpu_us_per_packet, ...common, ...(r.stages ? { stages: r.stages, held_back: r.held_back } : {}), note: 'capture timestamp of the packet that tipped a scanner over → its ban decision (goal p99 < 5 at 100k with no loss)' });
      }
    } finally {
      node.child.stdin!.end();
      await new Promise((r) => node.child.on('exit', r));
    }
    for (const pps of TCPDUMP_RATES.filter((r) => rates.includes(r) && !opts.noTcpdump)) {
      const td = await tcpdumpRun(lab, pps);
      if (td) results.push({ name: `node_live_tcpdump_loss_ratio_${pps / 1000}k`, value: round(td.loss), unit: 'ratio, tcpdump -B 4096 -w /dev/null on the same generator', sent: td.sent, captured: td.captured });
    }
  } finally {
    spawnSync('ip', ['netns', 'del', lab]);
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const k = argv.indexOf(`--${name}`);
    return k >= 0 ? argv[k + 1] : undefined;
  };
  const model = flag('state');
  if (!model) {
    process.stderr.write('usage: live-lab --state DIR (a trained model in DIR/models; copied, never written) [--shards N] [--rates 10000,30000] [--stages] [--set JSON] [--no-tcpdump] [--root CHECKOUT] [--node-session own|shared] [--generator-nice N]\n');
    process.exit(2);
  }
  const state = mkdtempSync(join(tmpdir(), 'autoimmune-live-lab-'));
  try {
    cpSync(join(model, 'models'), join(state, 'models'), { recursive: true });
    const rates = flag('rates')?.split(',').map(Number) ?? LIVE_RATES;
    const set = flag('set');
    const root = flag('root');
    const session = flag('node-session') ?? 'own';
    if (session !== 'own' && session !== 'shared') throw new Error(`live-lab: --node-session own|shared, got ${session}`);
    const gnice = flag('generator-nice');
    const generatorNice = gnice === undefined ? undefined : Number(gnice);
    if (generatorNice !== undefined && !(Number.isInteger(generatorNice) && generatorNice >= -20 && generatorNice <= 19)) throw new Error(`live-lab: --generator-nice -20..19, got ${gnice}`);
    for (const r of await benchNodeLive(state, Number(flag('shards') ?? 2), rates, { stages: argv.includes('--stages'), noTcpdump: argv.includes('--no-tcpdump'), sharedSession: session === 'shared', ...(set ? { set } : {}), ...(root ? { root } : {}), ...(generatorNice !== undefined ? { generatorNice } : {}) })) report({ ...r, node_session: session, ...(root ? { root } : {}), ...(generatorNice !== undefined ? { generator_nice: generatorNice } : {}) });
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
