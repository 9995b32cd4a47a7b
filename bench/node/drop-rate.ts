// Drop rate of traffic from a banned source: the XDP backend (native, and skb for
// comparison) against nftables, in the same run, per core of receive processing.
//
// Two namespaces joined by a veth pair. The defender's veth receives through NAPI (GRO on)
// in a kernel thread of its own (threaded NAPI), so the CPU time of exactly its receive
// path — the XDP program, or the stack up to the nftables rule — is that thread's run time
// (/proc/<tid>/schedstat, in ns), whatever else the machine runs. hping3 floods UDP from the
// banned address for a few seconds per backend. Per backend:
//   drop rate per core = packets dropped (XDP's hit counter, nft's rule counter) / CPU s
//   CPU per packet     = receive-thread ns / packets dropped
//
// A packet sent into a veth from the stack is already an skb, which native XDP on the peer
// turns back into an xdp_buff: the saving of dropping before any skb exists cannot show
// there. So a second lab puts a relay namespace in between: the attacker's veth ends in the
// relay, whose XDP program (xdp-relay.c) redirects every frame into a second veth pair. A
// frame redirected into a veth reaches its peer — the defender's eth0 — through
// ndo_xdp_xmit as an xdp_frame; the defender's XDP program sees it before any skb exists,
// and only XDP_PASS builds one. There, in turn: the XDP backend's xdp-filter; xdp-min.c (one
// lookup and a per-CPU counter, loaded with bpftool: what xdp-filter costs beyond the least a
// ban needs); an empty XDP_DROP program, and one that reads the EtherType first (the floor of
// any XDP drop on this path); and nftables behind an XDP program that passes everything (so
// frames become skbs, as from a NIC): the backend's raw prerouting rule, and a netdev ingress
// chain (nftables' earliest hook), each with GRO on and off. The defender's NAPI is moderated
// (gro_flush_timeout, napi_defer_hard_irqs), as a NIC's interrupts are, so each poll takes a
// batch rather than a packet or two: at hping3's rate unmoderated polls cost mostly their
// wakeup, which swamps both backends (--moderation off to see it).
//
// The relay lab runs once per generator (default both): hping3 (60-130k packets/s: the NAPI
// thread mostly idle, each poll a wakeup and cold caches) and live (xdp-live-frames.py, in
// the kernel, millions a second: the defender's ring always full, its thread busy — a core's
// capacity); the live lines are named firewall_drop_pps_per_core_xdp_frames_live_*.
//
//   node --import tsx bench/node/drop-rate.ts [--seconds N] [--lab veth|frames|both]
//        [--generator hping3|live|hping3,live] [--generator-cpu N] [--moderation off] [--bpf-stats] [--perf DIR]
// One JSON line per result; a line it could not measure has "value": null and `missing`
// saying why (the generator's exit and stderr, or where the frames stopped: frame-path.ts).
// Several runs in one view: drop-rate-runs.ts. --bpf-stats turns kernel.bpf_stats_enabled on for the run (back
// as it was at exit) and adds each XDP program's own run time a packet
// (xdp_program_ns_per_packet); it costs every BPF program on the machine two clock reads a
// run meanwhile (about 20 ns here), so rates with it are not the plain ones.
//
// Needs root, iproute2, ethtool, hping3, nft, xdp-filter, bpftool, clang (the relay's and
// xdp-min's programs are built at run time) and python3. Nothing leaves the namespaces, and
// they (ai-drop-<pid>-a/-r/-b) go however the run ends: each name is tracked before it is
// made (devkit/netns.ts trackNamespaces: deleted at exit and on SIGINT, SIGTERM, SIGHUP).

import { spawn } from 'node:child_process';
import { trackNamespaces } from '../../devkit/netns.ts';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src/firewall/exec.ts';
import { NftablesBackend } from '../../src/firewall/nftables.ts';
import { XdpBackend } from '../../src/firewall/xdp.ts';
import { XDP_MIN_SOURCE, xdpMin } from './xdp-min.ts';
import { clangBpf } from './clang-bpf.ts';
import { schedstat } from './thread-cpu.ts';
import { whyNoRate, type FramePath, type GeneratorOutcome } from './frame-path.ts';
import type { FirewallBackend } from '../../src/firewall/backend.ts';
import { report, type MissingResult, type Result } from '../report.ts';

export const ATTACKER_IP = '192.0.2.10';
export const DEFENDER_IP = '192.0.2.1';
const RELAY_SOURCE = fileURLToPath(new URL('./xdp-relay.c', import.meta.url));
const LIVE_FRAMES = fileURLToPath(new URL('./xdp-live-frames.py', import.meta.url));
/** The relay lab's flood: hping3 from the attacker (60-130k packets/s here), or 'live': xdp-live-frames.py in the relay (millions). */
type Generator = 'hping3' | 'live';

export interface DropRateOptions {
  /** Seconds of flood per round (--seconds, default 2). */
  seconds: number;
  /** Both labs, or one: 'veth' (skbs) or 'frames' (the relay's xdp_frames). */
  lab: 'veth' | 'frames' | 'both';
  /** The relay lab runs once per generator. */
  generators: readonly Generator[];
  /** The relay lab's NAPI moderation on the defender: poll again after 1 ms rather than at once (--moderation off: none). */
  moderation: boolean;
  /** --bpf-stats: the caller turned kernel.bpf_stats_enabled on, so each XDP program's own run time is known. */
  bpfStats: boolean;
  /** --perf DIR: a perf profile (cpu-clock, call graphs) of the NAPI thread per measured flood, DIR/<n>.data. */
  perfDir?: string;
  /** --generator-cpu N: where the live generator runs (default 0; 1 shares the NAPI thread's CPU, so the frames' page pool is returned to on its own CPU). */
  generatorCpu: number;
}

export const DROP_RATE_DEFAULTS: DropRateOptions = { seconds: 2, lab: 'both', generators: ['hping3', 'live'], moderation: true, bpfStats: false, generatorCpu: 0 };

/** A run: its options and how many perf profiles it wrote. */
interface Run extends DropRateOptions {
  perfRuns: number;
}

function moderationOf(o: DropRateOptions): { gro_flush_timeout: string; napi_defer_hard_irqs: string } {
  return o.moderation ? { gro_flush_timeout: '1000000', napi_defer_hard_irqs: '1000' } : { gro_flush_timeout: '0', napi_defer_hard_irqs: '0' };
}

interface Lab {
  attacker: string;
  defender: string;
  /** Thread ids of the defender veth's NAPI kernel threads. */
  napi: number[];
  /** The flood's command for a flood of `seconds`, and where it runs; default hping3 in the attacker. */
  generator?: (seconds: number) => string[];
  generatorNetns?: string;
  /** The path's counters so far (frame-path.ts): what was sent, queued, lost, received. */
  counters(): Promise<Omit<FramePath, 'generator' | 'dropped'>>;
  close(): Promise<void>;
}

interface RelayLab extends Lab {
  /** Attaches xdp-relay.c's pass-everything or drop-everything (after reading, or not) program on the defender's eth0, or (null) detaches it. */
  defenderProgram(kind: 'pass' | 'drop' | 'drop_read' | null): Promise<void>;
  /** Frames the defender's XDP programs dropped, so far (the veth's own counter). */
  xdpDrops(): Promise<number>;
  /** xdp-min.c, built once for the lab's rounds. */
  xdpMinObject: string;
}

const ip = (...args: string[]) => runCommand('ip', args);
const inNs = (ns: string, file: string, ...args: string[]) => runCommand(file, args, { netns: ns });

/** /sys/class/net/IFACE/statistics/NAME of an interface in `ns`. */
async function linkStat(ns: string, iface: string, name: string): Promise<number> {
  return Number((await inNs(ns, 'cat', `/sys/class/net/${iface}/statistics/${name}`)).stdout);
}

/** The sum of a veth's `ethtool -S` counters whose name matches `re` (rx_queue_N_…: every queue). */
async function vethStat(ns: string, iface: string, re: RegExp): Promise<number> {
  const text = (await inNs(ns, 'ethtool', '-S', iface)).stdout;
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^\\s*${re.source}: (\\d+)$`, 'gm'))) n += Number(m[1]);
  return n;
}

/** Kernel threads named napi/…, by thread id. */
function napiThreads(): Set<number> {
  const out = new Set<number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('napi/')) out.add(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function runTimeNs(tids: number[]): number {
  return tids.reduce((a, t) => a + (schedstat(t, String(t))?.runMs ?? 0) * 1e6, 0);
}

/**
 * Network namespaces named for this process and the roles; `build` sets them up, and on
 * failure they go. Tracked before they exist, so an exception or a signal at any point
 * (between an `ip netns add` and the next line included) leaves none behind.
 */
export async function withNamespaces<T>(roles: string[], build: (names: string[], close: () => Promise<void>) => Promise<T>): Promise<T> {
  const names = roles.map((r) => `ai-drop-${process.pid}-${r}`);
  const release = trackNamespaces(names);
  const close = async () => {
    for (const ns of names) await ip('netns', 'del', ns).catch(() => {});
    release();
  };
  try {
    for (const ns of names) {
      await ip('netns', 'add', ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    return await build(names, close);
  } catch (err) {
    await close();
    throw err;
  }
}

export async function vethPair(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
  await ip('link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB);
  await ip('-n', nsA, 'link', 'set', ifA, 'up');
  await ip('-n', nsB, 'link', 'set', ifB, 'up');
}

/**
 * The attacker's and defender's eth0 (their veths, already up): addresses, the defender's
 * MAC as the attacker's neighbour (also when a relay is between them), unsegmented skbs from
 * the sender, GRO (hence NAPI) on the receiver, its NAPI threaded; returns that thread's ids.
 */
async function endpoints(attacker: string, defender: string): Promise<number[]> {
  await ip('-n', attacker, 'addr', 'add', `${ATTACKER_IP}/24`, 'dev', 'eth0');
  await ip('-n', defender, 'addr', 'add', `${DEFENDER_IP}/24`, 'dev', 'eth0');
  const mac = (await inNs(defender, 'cat', '/sys/class/net/eth0/address')).stdout.trim();
  await ip('-n', attacker, 'neigh', 'replace', DEFENDER_IP, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent');
  await inNs(attacker, 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
  await inNs(defender, 'ethtool', '-K', 'eth0', 'gro', 'on');
  const before = napiThreads();
  await inNs(defender, 'sh', '-c', 'echo 1 > /sys/class/net/eth0/threaded');
  const napi = [...napiThreads()].filter((t) => !before.has(t));
  if (napi.length === 0) throw new Error('no NAPI thread appeared for the defender veth (threaded NAPI unsupported?)');
  return napi;
}

async function makeLab(): Promise<Lab> {
  return withNamespaces(['a', 'b'], async ([attacker, defender], close) => {
    await vethPair(attacker!, 'eth0', defender!, 'eth0');
    return {
      attacker: attacker!,
      defender: defender!,
      napi: await endpoints(attacker!, defender!),
      counters: async () => ({ sent: await linkStat(attacker!, 'eth0', 'tx_packets'), received: await linkStat(defender!, 'eth0', 'rx_packets') }),
      close,
    };
  });
}

/** clang -target bpf on xdp-relay.c: the redirect program to ifindex `out`, or the pass or drop program. */
export function buildRelayProgram(dir: string, out: number | 'pass' | 'drop' | 'drop_read'): string {
  const file = join(dir, typeof out === 'number' ? 'redirect.o' : `${out}.o`);
  const define = typeof out === 'number' ? [`-DOUT=${out}`] : out === 'pass' ? [] : [`-D${out.toUpperCase()}`];
  return clangBpf(RELAY_SOURCE, define, file);
}

/** attacker eth0 → relay in0 (XDP: redirect to out0) → out0 … defender eth0, as xdp_frames. */
async function makeRelayLab(generator: Generator, o: DropRateOptions): Promise<RelayLab> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-drop-relay-'));
  try {
    return await withNamespaces(['a', 'r', 'b'], async ([attacker, relay, defender], closeNs) => {
      const close = async () => {
        await closeNs();
        rmSync(dir, { recursive: true, force: true });
      };
      await vethPair(attacker!, 'eth0', relay!, 'in0');
      await vethPair(relay!, 'out0', defender!, 'eth0');
      const napi = await endpoints(attacker!, defender!);
      for (const [k, v] of Object.entries(moderationOf(o))) await inNs(defender!, 'sh', '-c', `echo ${v} > /sys/class/net/eth0/${k}`);
      const outIndex = Number((await inNs(relay!, 'cat', '/sys/class/net/out0/ifindex')).stdout);
      await ip('-n', relay!, 'link', 'set', 'dev', 'in0', 'xdpdrv', 'obj', buildRelayProgram(dir, outIndex), 'sec', 'xdp');
      const objects = { pass: buildRelayProgram(dir, 'pass'), drop: buildRelayProgram(dir, 'drop'), drop_read: buildRelayProgram(dir, 'drop_read') };
      const xdpMinObject = clangBpf(XDP_MIN_SOURCE, [], join(dir, 'xdp-min.o'));
      const mac = (await inNs(defender!, 'cat', '/sys/class/net/eth0/address')).stdout.trim();
      // The live generator keeps a core busy: it runs on CPU o.generatorCpu (0), the defender's NAPI thread on CPU 1.
      if (generator === 'live') for (const t of napi) await runCommand('taskset', ['-p', '-c', '1', String(t)]);
      return {
        attacker: attacker!,
        defender: defender!,
        napi,
        xdpMinObject,
        close,
        ...(generator === 'live' ? { generator: (seconds: number) => ['taskset', '-c', String(o.generatorCpu), '/usr/bin/python3', LIVE_FRAMES, 'in0', ATTACKER_IP, DEFENDER_IP, mac, String(seconds)], generatorNetns: relay! } : {}),
        counters: async () => ({
          ...(generator === 'hping3' ? { sent: await linkStat(attacker!, 'eth0', 'tx_packets') } : {}),
          queued: await vethStat(relay!, 'out0', /tx_queue_\d+_xdp_xmit/),
          lost: await linkStat(relay!, 'out0', 'tx_dropped'),
          received: await vethStat(defender!, 'eth0', /rx_queue_\d+_xdp_packets/),
        }),
        defenderProgram: async (kind) => {
          await ip('-n', defender!, 'link', 'set', 'dev', 'eth0', 'xdpdrv', ...(kind ? ['obj', objects[kind], 'sec', 'xdp'] : ['off']));
        },
        xdpDrops: () => vethStat(defender!, 'eth0', /rx_queue_\d+_xdp_drops/),
      };
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Keeps the last `limit` characters of what a stream says. */
function tail(stream: NodeJS.ReadableStream | null, limit = 4000): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (c: string) => {
    text = (text + c).slice(-limit);
  });
  return () => text;
}

/**
 * The flood, to its end: how its process ended and what it said. hping3 floods until
 * `timeout` stops it (124); the live generator stops itself after `seconds` (0; the timeout
 * is a guard) and prints the frames it ran.
 */
function flood(lab: Lab, seconds: number): Promise<GeneratorOutcome> {
  return new Promise((resolve, reject) => {
    const argv = lab.generator ? lab.generator(seconds) : ['hping3', '--udp', '--flood', '-p', '9', '-d', '18', DEFENDER_IP];
    const limit = String(lab.generator ? seconds + 5 : seconds);
    const child = spawn('ip', ['netns', 'exec', lab.generatorNetns ?? lab.attacker, 'timeout', limit, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = tail(child.stdout);
    const err = tail(child.stderr);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      let frames: number | undefined;
      if (lab.generator) {
        try {
          const n = (JSON.parse(out().trim().split('\n').pop() ?? '') as { frames?: unknown }).frames;
          if (typeof n === 'number') frames = n;
        } catch {
          // it printed no count: the exit code and stderr say why
        }
      }
      resolve({ command: lab.generator ? `xdp-live-frames.py in ${lab.generatorNetns}` : `hping3 in ${lab.attacker}`, exitCode, signal, expectedExit: lab.generator ? 0 : 124, ...(frames === undefined ? {} : { frames }), stderr: err() });
    });
  });
}

/** The packet count of the nftables table's drop rules (the backend writes `counter drop`). */
async function nftDropped(netns: string): Promise<number> {
  const text = (await runCommand('nft', ['list', 'table', 'inet', 'autoimmune'], { netns })).stdout;
  let n = 0;
  for (const m of text.matchAll(/counter packets (\d+) bytes \d+ drop/g)) n += Number(m[1]);
  return n;
}

interface Measured {
  dropped: number;
  cpuNs: number;
  /** Frames lost before the defender (relay lab only). */
  lost?: number;
  /** The defender's XDP program's own run time, ns (with --bpf-stats). */
  progNs?: number;
  /** Why nothing was dropped (frame-path.ts), when nothing was. */
  missing?: string;
}

/** run_time_ns of the XDP program attached to eth0 in `netns` (0 without one; bpf_stats_enabled must be on). */
async function xdpProgRunNs(netns: string): Promise<number> {
  const link = JSON.parse((await runCommand('ip', ['-j', 'link', 'show', 'eth0'], { netns })).stdout) as Array<{ xdp?: { prog?: { id?: number } } }>;
  const id = link[0]?.xdp?.prog?.id;
  if (id === undefined) return 0;
  const info = JSON.parse((await runCommand('bpftool', ['-j', 'prog', 'show', 'id', String(id)])).stdout) as { run_time_ns?: number };
  return info.run_time_ns ?? 0;
}

type Rules = Pick<FirewallBackend, 'setup' | 'apply' | 'flush'>;

/**
 * nftables' cheapest drop: a netdev-family ingress chain on the defender's eth0 (before the IP
 * stack, conntrack or the raw prerouting hook), the same set lookup and counter as the backend's.
 */
function nftIngress(netns: string): Rules & { dropped(): Promise<number> } {
  const nft = (script: string) => runCommand('nft', ['-f', '-'], { netns, stdin: script });
  return {
    setup: async () => {},
    apply: async (add) => {
      const elements = add.map((e) => `${e.address} timeout ${e.timeoutS}s`).join(', ');
      await nft(`table netdev droprate {\n  set banned4 { type ipv4_addr; flags timeout; elements = { ${elements} } }\n  chain ingress { type filter hook ingress device "eth0" priority -500; ip saddr @banned4 counter drop; }\n}\n`);
    },
    flush: async () => {
      await nft('delete table netdev droprate\n').catch(() => {});
    },
    dropped: async () => {
      const text = (await runCommand('nft', ['list', 'table', 'netdev', 'droprate'], { netns })).stdout;
      return Number(/counter packets (\d+)/.exec(text)?.[1] ?? 0);
    },
  };
}

/** The change of every counter from `a` to `b`. */
function delta<T extends Record<string, number | undefined>>(a: T, b: T): T {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v === undefined || a[k] === undefined ? undefined : v - a[k]!])) as T;
}

async function measure(run: Run, lab: Lab, fw: Rules, dropped: () => Promise<number>, counter: string): Promise<Measured> {
  const { seconds, bpfStats, perfDir } = run;
  await fw.setup();
  await fw.apply([{ address: ATTACKER_IP, timeoutS: 600 }], []);
  const d0 = await dropped();
  const k0 = await lab.counters();
  const p0 = bpfStats ? await xdpProgRunNs(lab.defender) : 0;
  const c0 = runTimeNs(lab.napi);
  const perf = perfDir === undefined ? undefined : spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-g', '-o', join(perfDir, `${run.perfRuns++}.data`), '-t', lab.napi.join(','), '--', 'sleep', String(seconds)], { stdio: 'ignore' });
  const generator = await flood(lab, seconds);
  if (perf && perf.exitCode === null) await new Promise((r) => perf.once('exit', r));
  const cpuNs = runTimeNs(lab.napi) - c0;
  const n = (await dropped()) - d0;
  const path = delta(k0, await lab.counters());
  const progNs = bpfStats ? (await xdpProgRunNs(lab.defender)) - p0 : undefined;
  await fw.flush();
  const missing = whyNoRate({ ...path, generator, dropped: n }, counter) ?? (cpuNs > 0 ? undefined : `the defender's NAPI thread (${lab.napi.join(', ')}) counted no run time in /proc/<tid>/schedstat`);
  if (missing) process.stderr.write(`drop-rate: a round with no rate: ${missing}\n`);
  return { dropped: n, cpuNs, ...(path.lost === undefined ? {} : { lost: path.lost }), ...(progNs === undefined ? {} : { progNs }), ...(missing ? { missing } : {}) };
}

const NFT_COUNTER = "the nftables backend's rule counter";
const XDP_FILTER_COUNTER = "xdp-filter's hit counts in its map";

function xdpFilter(lab: Lab, mode: 'native' | 'skb') {
  const fw = new XdpBackend({ netns: lab.defender, table: 'droprate', mode, interfaces: ['eth0'] });
  return { fw, dropped: async () => [...(await fw.hits()).values()].reduce((a, b) => a + b, 0) };
}

const ROUNDS = 3;
/** Drops per CPU-second; null when the round measured nothing (`missing` says why). */
const rate = (m: Measured): number | null => (m.missing === undefined ? Math.round(m.dropped / (m.cpuNs / 1e9)) : null);
function ratio(a: Measured, b: Measured): number | null {
  const x = rate(a);
  const y = rate(b);
  return x === null || y === null ? null : Math.round((x / y) * 100) / 100;
}

/** ROUNDS rounds of every kind in turn (the machine's other work comes and goes): the median round per kind, and every round's rate. */
async function rounds<K extends string>(kinds: K[], run: (k: K) => Promise<Measured>): Promise<Map<K, { median: Measured; rates: Array<number | null> }>> {
  const samples = new Map<K, Measured[]>(kinds.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 === 0 ? kinds : [...kinds].reverse()) samples.get(k)!.push(await run(k));
  return new Map(kinds.map((k) => {
    const s = samples.get(k)!;
    // A round that measured nothing sorts lowest: with most rounds empty the median is one of them, and its line says why.
    return [k, { median: [...s].sort((a, b) => (rate(a) ?? -1) - (rate(b) ?? -1))[Math.floor(ROUNDS / 2)]!, rates: s.map(rate) }];
  }));
}

type Line = Result | MissingResult;

function rateLine(name: string, m: Measured, rates: Array<number | null>, note: string, extra: Record<string, unknown> = {}): Line {
  const value = rate(m);
  return {
    name,
    ...(value === null ? { value, missing: `no rate: ${m.missing}` } : { value }),
    unit: 'packets dropped per CPU-second of receive processing',
    dropped: m.dropped,
    cpu_ms: Math.round(m.cpuNs / 1e6),
    cpu_ns_per_packet: Math.round(m.cpuNs / Math.max(1, m.dropped)),
    ...(m.progNs === undefined ? {} : { xdp_program_ns_per_packet: Math.round((m.progNs / Math.max(1, m.dropped)) * 10) / 10 }),
    rounds: rates,
    ...extra,
    note,
  };
}

/** Packets from the stack into a veth: skbs on both sides. */
const VETH_KINDS = ['xdp_native', 'xdp_skb', 'nftables'] as const;
const VETH_LINES = [...VETH_KINDS.map((k) => `firewall_drop_pps_per_core_${k}`), 'firewall_drop_ratio_xdp_to_nftables'];

async function benchVeth(run: Run): Promise<Line[]> {
  const { seconds } = run;
  const lab = await makeLab();
  try {
    type Kind = (typeof VETH_KINDS)[number];
    const by = await rounds<Kind>([...VETH_KINDS], (kind) => {
      if (kind === 'nftables') return measure(run, lab, new NftablesBackend({ netns: lab.defender }), () => nftDropped(lab.defender), NFT_COUNTER);
      const x = xdpFilter(lab, kind === 'xdp_native' ? 'native' : 'skb');
      return measure(run, lab, x.fw, x.dropped, XDP_FILTER_COUNTER);
    });
    const note = `veth, threaded NAPI on the receiver: its thread run time is the receive path alone; hping3 flood from the banned address, ${seconds} s; median of ${ROUNDS} rounds`;
    const out = [...by].map(([k, { median, rates }]) => rateLine(`firewall_drop_pps_per_core_${k}`, median, rates, note));
    const value = ratio(by.get('xdp_native')!.median, by.get('nftables')!.median);
    out.push({
      name: 'firewall_drop_ratio_xdp_to_nftables',
      ...(value === null ? { value, missing: 'no ratio: one of its two rates is missing (their lines say why)' } : { value }),
      unit: 'ratio (per core)',
      skb_mode_ratio: ratio(by.get('xdp_skb')!.median, by.get('nftables')!.median),
      note: 'goal ≥ 5. On veth the sender hands the receiver a finished skb, which native XDP must turn into an xdp_buff (a copy when it lacks 256 bytes of headroom): the driver-level saving of a NIC is not there to measure (see the xdp_frames lines)',
    });
    return out;
  } finally {
    await lab.close();
  }
}

/** Frames redirected into the defender's veth: xdp_frames, an skb only if XDP passes them. */
const FRAME_KINDS = ['xdp_native', 'xdp_min', 'xdp_floor', 'xdp_floor_read', 'nftables', 'nftables_ingress', 'nftables_nogro', 'nftables_ingress_nogro'] as const;
const frameLine = (generator: Generator, k: string) => `firewall_drop_pps_per_core_xdp_frames_${generator === 'live' ? 'live_' : ''}${k}`;

async function benchXdpFrames(run: Run, generator: Generator): Promise<Line[]> {
  const { seconds } = run;
  const lab = await makeRelayLab(generator, run);
  try {
    const kinds = FRAME_KINDS;
    type Kind = (typeof kinds)[number];
    const noRules: Rules = { setup: async () => {}, apply: async () => {}, flush: async () => {} };
    const by = await rounds<Kind>([...kinds], async (kind) => {
      if (kind === 'xdp_native') {
        const x = xdpFilter(lab, 'native');
        return measure(run, lab, x.fw, x.dropped, XDP_FILTER_COUNTER);
      }
      if (kind === 'xdp_min') {
        const fw = xdpMin(lab.defender, 'eth0', lab.xdpMinObject);
        return measure(run, lab, fw, fw.dropped, "xdp-min's per-CPU counters");
      }
      // With a program attached the veth keeps its NAPI (and thread) whatever GRO is.
      await lab.defenderProgram(kind === 'xdp_floor' ? 'drop' : kind === 'xdp_floor_read' ? 'drop_read' : 'pass');
      const noGro = kind.endsWith('_nogro');
      if (noGro) await inNs(lab.defender, 'ethtool', '-K', 'eth0', 'gro', 'off');
      try {
        if (kind === 'xdp_floor' || kind === 'xdp_floor_read') return await measure(run, lab, noRules, lab.xdpDrops, "the veth's rx_queue_N_xdp_drops");
        if (kind.startsWith('nftables_ingress')) {
          const fw = nftIngress(lab.defender);
          return await measure(run, lab, fw, fw.dropped, "the netdev chain's rule counter");
        }
        return await measure(run, lab, new NftablesBackend({ netns: lab.defender }), () => nftDropped(lab.defender), NFT_COUNTER);
      } finally {
        if (noGro) await inNs(lab.defender, 'ethtool', '-K', 'eth0', 'gro', 'on');
        await lab.defenderProgram(null);
      }
    });
    const nft = by.get('nftables')!.median;
    const cheapest = kinds.filter((k) => k.startsWith('nftables')).map((k) => ({ k, m: by.get(k)!.median })).sort((a, b) => (rate(b.m) ?? -1) - (rate(a.m) ?? -1))[0]!;
    const moderation = moderationOf(run);
    const moderated = !run.moderation ? 'not moderated' : `moderated (gro_flush_timeout ${Number(moderation.gro_flush_timeout) / 1e6} ms, napi_defer_hard_irqs ${moderation.napi_defer_hard_irqs})`;
    const source = generator === 'live' ? `xdp-live-frames.py (BPF_PROG_TEST_RUN live frames, on CPU ${run.generatorCpu}; the NAPI thread on CPU 1) runs the relay program` : 'hping3 floods from the banned address through the relay';
    const note = `frames XDP-redirected into the defender's veth (xdp_frames, no skb before its XDP program), NAPI threaded and ${moderated}; per CPU-second of its NAPI thread; ${source}, ${seconds} s; median of ${ROUNDS} rounds; lost: frames the relay could not queue to the defender`;
    const vs = (m: Measured) => ({ ratio_to_nftables: ratio(m, nft), ratio_to_cheapest_nftables: ratio(m, cheapest.m), cheapest_nftables: cheapest.k });
    const line = (k: Kind, what: string, extra: Record<string, unknown> = {}) => rateLine(frameLine(generator, k), by.get(k)!.median, by.get(k)!.rates, `${note}. ${what}`, { lost: by.get(k)!.median.lost, ...extra });
    const ingress = 'a netdev ingress chain on eth0 (the same set lookup and counter as the backend\'s rule)';
    return [
      line('xdp_native', 'The XDP backend (xdp-filter) drops the frame', vs(by.get('xdp_native')!.median)),
      line('xdp_min', 'xdp-min.c drops the frame: one hash lookup of the source, a per-CPU counter, no dispatcher', vs(by.get('xdp_min')!.median)),
      line('xdp_floor', 'An XDP program that drops every frame with no lookup: the floor of any XDP drop here', vs(by.get('xdp_floor')!.median)),
      line('xdp_floor_read', "The same after reading the frame's EtherType: the floor plus touching the packet's data", vs(by.get('xdp_floor_read')!.median)),
      line('nftables', "An XDP_PASS program, GRO on, then the nftables backend's raw-priority prerouting rule drops the skb"),
      line('nftables_ingress', `An XDP_PASS program, GRO on, then ${ingress} drops the skb`),
      line('nftables_nogro', "An XDP_PASS program, GRO off, then the nftables backend's raw prerouting rule drops the skb"),
      line('nftables_ingress_nogro', `An XDP_PASS program, GRO off, then ${ingress} drops the skb: nftables' cheapest drop`),
    ];
  } finally {
    await lab.close();
  }
}

/** The labs `options` name, each measured in rounds (defaults: DROP_RATE_DEFAULTS). */
export async function benchDropRate(options: Partial<DropRateOptions> = {}): Promise<Line[]> {
  const run: Run = { ...DROP_RATE_DEFAULTS, ...options, perfRuns: 0 };
  const out: Line[] = [];
  if (run.lab !== 'frames') out.push(...(await orMissing(VETH_LINES, 'the veth lab', () => benchVeth(run))));
  if (run.lab !== 'veth') for (const g of run.generators) out.push(...(await orMissing(FRAME_KINDS.map((k) => frameLine(g, k)), `the relay lab with ${g === 'live' ? 'the live generator' : 'hping3'}`, () => benchXdpFrames(run, g))));
  return out;
}

/** A lab's lines, or, when it fails (a tool missing, a step refused), each of them with no value and the error. */
async function orMissing(names: readonly string[], lab: string, bench: () => Promise<Line[]>): Promise<Line[]> {
  try {
    return await bench();
  } catch (err) {
    const why = `${lab} failed: ${(err as Error).message.split('\n')[0]}`;
    process.stderr.write(`drop-rate: ${why}\n`);
    return names.map((name) => ({ name, value: null, unit: name.includes('_ratio_') ? 'ratio (per core)' : 'packets dropped per CPU-second of receive processing', missing: why }));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const lab = arg('--lab') ?? 'both';
  if (lab !== 'veth' && lab !== 'frames' && lab !== 'both') throw new Error(`--lab ${lab}: expected veth, frames or both`);
  const generators = (arg('--generator') ?? 'hping3,live').split(',');
  for (const g of generators) if (g !== 'hping3' && g !== 'live') throw new Error(`--generator ${g}: expected hping3, live or both (hping3,live)`);
  const bpfStats = process.argv.includes('--bpf-stats');
  if (bpfStats) {
    const file = '/proc/sys/kernel/bpf_stats_enabled';
    const before = readFileSync(file, 'utf8').trim();
    writeFileSync(file, '1');
    process.once('exit', () => writeFileSync(file, before));
    // A signal ends the process through exit, which puts the setting back (and the namespaces go).
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)));
  }
  const perfDir = arg('--perf');
  const options: DropRateOptions = {
    seconds: Number(arg('--seconds') ?? DROP_RATE_DEFAULTS.seconds),
    lab,
    generators: generators as Generator[],
    moderation: arg('--moderation') !== 'off',
    bpfStats,
    ...(perfDir === undefined ? {} : { perfDir }),
    generatorCpu: Number(arg('--generator-cpu') ?? DROP_RATE_DEFAULTS.generatorCpu),
  };
  for (const r of await benchDropRate(options)) report(r);
}
