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
//   node --import tsx bench/node/drop-rate.ts [--seconds N]      one JSON line per result
//
// Needs root, iproute2, ethtool, hping3, nft, xdp-filter and bpftool. Nothing leaves the
// namespaces.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src/firewall/exec.ts';
import { NftablesBackend } from '../../src/firewall/nftables.ts';
import { XdpBackend } from '../../src/firewall/xdp.ts';
import type { FirewallBackend } from '../../src/firewall/backend.ts';
import { report, type Result } from '../report.ts';

const ATTACKER_IP = '192.0.2.10';
const DEFENDER_IP = '192.0.2.1';

interface Lab {
  attacker: string;
  defender: string;
  /** Thread ids of the defender veth's NAPI kernel threads. */
  napi: number[];
  close(): Promise<void>;
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
  return tids.reduce((a, t) => a + Number(readFileSync(`/proc/${t}/schedstat`, 'utf8').split(' ')[0]), 0);
}

async function makeLab(): Promise<Lab> {
  const attacker = `ai-drop-${process.pid}-a`;
  const defender = `ai-drop-${process.pid}-b`;
  const ip = (...args: string[]) => runCommand('ip', args);
  const inNs = (ns: string, file: string, ...args: string[]) => runCommand(file, args, { netns: ns });
  const close = async () => {
    for (const ns of [attacker, defender]) await ip('netns', 'del', ns).catch(() => {});
  };
  process.once('exit', () => {
    for (const ns of [attacker, defender]) spawn('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });
  try {
    await ip('netns', 'add', attacker);
    await ip('netns', 'add', defender);
    await ip('link', 'add', 'eth0', 'netns', attacker, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', defender);
    await ip('-n', attacker, 'addr', 'add', `${ATTACKER_IP}/24`, 'dev', 'eth0');
    await ip('-n', defender, 'addr', 'add', `${DEFENDER_IP}/24`, 'dev', 'eth0');
    for (const ns of [attacker, defender]) {
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
    const mac = (await inNs(defender, 'cat', '/sys/class/net/eth0/address')).stdout.trim();
    await ip('-n', attacker, 'neigh', 'replace', DEFENDER_IP, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent');
    // Unsegmented skbs from the sender, GRO (hence NAPI) on the receiver, its NAPI threaded.
    await inNs(attacker, 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
    await inNs(defender, 'ethtool', '-K', 'eth0', 'gro', 'on');
    const before = napiThreads();
    await inNs(defender, 'sh', '-c', 'echo 1 > /sys/class/net/eth0/threaded');
    const napi = [...napiThreads()].filter((t) => !before.has(t));
    if (napi.length === 0) throw new Error('no NAPI thread appeared for the defender veth (threaded NAPI unsupported?)');
    return { attacker, defender, napi, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function flood(lab: Lab, seconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', lab.attacker, 'timeout', String(seconds), 'hping3', '--udp', '--flood', '-p', '9', '-d', '18', DEFENDER_IP], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
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
}

async function measure(lab: Lab, fw: FirewallBackend, dropped: () => Promise<number>, seconds: number): Promise<Measured> {
  await fw.setup();
  await fw.apply([{ address: ATTACKER_IP, timeoutS: 600 }], []);
  const d0 = await dropped();
  const c0 = runTimeNs(lab.napi);
  await flood(lab, seconds);
  const cpuNs = runTimeNs(lab.napi) - c0;
  const n = (await dropped()) - d0;
  await fw.flush();
  return { dropped: n, cpuNs };
}

const ROUNDS = 3;

export async function benchDropRate(seconds = 2): Promise<Result[]> {
  const lab = await makeLab();
  try {
    type Kind = 'xdp_native' | 'xdp_skb' | 'nftables';
    const run = (kind: Kind): Promise<Measured> => {
      if (kind === 'nftables') return measure(lab, new NftablesBackend({ netns: lab.defender }), () => nftDropped(lab.defender), seconds);
      const fw = new XdpBackend({ netns: lab.defender, table: 'droprate', mode: kind === 'xdp_native' ? 'native' : 'skb', interfaces: ['eth0'] });
      return measure(lab, fw, async () => [...(await fw.hits()).values()].reduce((a, b) => a + b, 0), seconds);
    };
    // Rounds in turn (the machine's other work comes and goes); the median round per backend.
    const kinds: Kind[] = ['xdp_native', 'xdp_skb', 'nftables'];
    const samples = new Map<Kind, Measured[]>(kinds.map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 === 0 ? kinds : [...kinds].reverse()) samples.get(k)!.push(await run(k));
    const rate = (m: Measured) => Math.round(m.dropped / (m.cpuNs / 1e9));
    const runs: Array<[Kind, Measured]> = kinds.map((k) => [k, [...samples.get(k)!].sort((a, b) => rate(a) - rate(b))[Math.floor(ROUNDS / 2)]!]);
    const out: Result[] = [];
    for (const [name, m] of runs) {
      out.push({
        name: `firewall_drop_pps_per_core_${name}`,
        value: rate(m),
        unit: 'packets dropped per CPU-second of receive processing',
        dropped: m.dropped,
        cpu_ms: Math.round(m.cpuNs / 1e6),
        cpu_ns_per_packet: Math.round(m.cpuNs / Math.max(1, m.dropped)),
        rounds: samples.get(name)!.map(rate),
        note: `veth, threaded NAPI on the receiver: its thread run time is the receive path alone; hping3 flood from the banned address, ${seconds} s; median of ${ROUNDS} rounds`,
      });
    }
    const by = new Map(runs);
    out.push({
      name: 'firewall_drop_ratio_xdp_to_nftables',
      value: Math.round((rate(by.get('xdp_native')!) / rate(by.get('nftables')!)) * 100) / 100,
      unit: 'ratio (per core)',
      skb_mode_ratio: Math.round((rate(by.get('xdp_skb')!) / rate(by.get('nftables')!)) * 100) / 100,
      note: 'goal ≥ 5. On veth the sender hands the receiver a finished skb, which native XDP must turn into an xdp_buff (a copy when it lacks 256 bytes of headroom): the driver-level saving of a NIC is not there to measure',
    });
    return out;
  } finally {
    await lab.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--seconds');
  for (const r of await benchDropRate(i > 0 ? Number(process.argv[i + 1]) : 2)) report(r);
}
