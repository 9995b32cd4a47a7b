// What each drop-rate XDP program costs by itself, away from the veth: the kernel runs the
// program on one frame from the banned source N times (BPF_PROG_TEST_RUN, `bpftool prog run
// … repeat N`) and reports the average ns a run. No frame path, no page pool, no NAPI thread,
// no other CPU: only the program (and the test loop's few ns, which the empty XDP_DROP shows).
//
//   node --import tsx bench/node/xdp-prog-run.ts [--repeat N] [--rounds R] [--bans B]
// --bans B: each program's IPv4 map holds B bans (the attacker's and B-1 others from
// 192.0.0.0 up, around it; default 1; xdp-filter holds at most 10,000), so lookups walk a full table.
//
// Kinds, alternated round by round (median and every round printed):
//   xdp_filter       the XDP backend's program as attached: libxdp's dispatcher calling
//                    xdp-filter (dst lookup, src lookup and its hit counter, the stats map)
//   xdp_filter_pass  the same on a frame from an address not banned: what every other packet pays
//   xdp_min          xdp-min.c: one per-CPU hash lookup of the source and its counter
//   xdp_min_pass     the same, not banned
//   xdp_min_lpm      xdp-min.c -DLPM: the source looked up in an LPM trie (key /32 + address,
//                    a value shared by the CPUs, added to atomically); _pass: not banned
//   xdp_floor        an empty XDP_DROP; xdp_floor_read: after reading the EtherType
// Needs root, xdp-tools, bpftool, clang. Its namespaces go however the run ends.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src/firewall/exec.ts';
import { XdpBackend } from '../../src/firewall/xdp.ts';
import { clangBpf } from './clang-bpf.ts';
import { ATTACKER_IP, DEFENDER_IP, buildRelayProgram, vethPair, withNamespaces } from './drop-rate.ts';
import { XDP_MIN_SOURCE, xdpMin } from './xdp-min.ts';
import { median, report } from '../report.ts';

const PASSING_IP = '192.0.2.77';

/** Ethernet + IPv4 + UDP (18 bytes of payload), as xdp-live-frames.py builds it. */
export function udpFrame(src: string, dst: string): Buffer {
  const ip = Buffer.alloc(20);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(20 + 8 + 18, 2);
  ip.writeUInt16BE(1, 4);
  ip.writeUInt8(64, 8);
  ip.writeUInt8(17, 9);
  Buffer.from(src.split('.').map(Number)).copy(ip, 12);
  Buffer.from(dst.split('.').map(Number)).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const udp = Buffer.alloc(8 + 18);
  udp.writeUInt16BE(2048, 0);
  udp.writeUInt16BE(9, 2);
  udp.writeUInt16BE(8 + 18, 4);
  const eth = Buffer.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  return Buffer.concat([eth, ip, udp]);
}

/** Average ns a run and the return value of `bpftool prog run` on `prog` ("id N" or "pinned PATH"). */
async function progRun(prog: string[], data: string, repeat: number): Promise<{ ns: number; ret: number }> {
  const out = await runCommand('bpftool', ['prog', 'run', ...prog, 'data_in', data, 'repeat', String(repeat)]);
  const text = out.stdout + out.stderr;
  const m = /Return value: (\d+), duration(?: \(average\))?: (\d+)ns/.exec(text);
  if (!m) throw new Error(`bpftool prog run printed no duration: ${text.trim()}`);
  return { ret: Number(m[1]), ns: Number(m[2]) };
}

/**
 * The attacker's address and `n - 1` others, for the maps: the addresses around it
 * (192.0.0.0 up), so an LPM trie's walk to it is as deep as its neighbours make it, not one
 * step off a lone branch; the passing address is never among them.
 */
function bans(n: number): string[] {
  const out = [ATTACKER_IP];
  for (let i = 0; out.length < n; i++) {
    const a = `192.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    if (a !== ATTACKER_IP && a !== PASSING_IP) out.push(a);
  }
  return out;
}

export async function benchXdpProgRun(repeat: number, rounds: number, banCount = 1) {
  const dir = mkdtempSync(join(tmpdir(), 'ai-xdp-prog-'));
  try {
    return await withNamespaces(['a', 'b'], async ([attacker, defender], close) => {
      try {
        await vethPair(attacker!, 'eth0', defender!, 'eth0');
        const banned = join(dir, 'banned.bin');
        const passing = join(dir, 'passing.bin');
        writeFileSync(banned, udpFrame(ATTACKER_IP, DEFENDER_IP));
        writeFileSync(passing, udpFrame(PASSING_IP, DEFENDER_IP));
        // The backend's program on the defender's eth0, the ban in its map.
        const fw = new XdpBackend({ netns: defender!, table: 'progrun', mode: 'native', interfaces: ['eth0'] });
        await fw.setup();
        const banned4 = bans(banCount);
        await fw.apply(banned4.map((address) => ({ address, timeoutS: 600 })), []);
        const link = JSON.parse((await runCommand('ip', ['-j', 'link', 'show', 'eth0'], { netns: defender })).stdout) as Array<{ xdp?: { prog?: { id?: number } } }>;
        const dispatcher = link[0]?.xdp?.prog?.id;
        if (dispatcher === undefined) throw new Error("xdp-filter attached no program to the defender's eth0");
        // xdp-min on the attacker's eth0 (one program per interface), the ban in its map.
        const min = xdpMin(attacker!, 'eth0', clangBpf(XDP_MIN_SOURCE, [], join(dir, 'xdp-min.o')));
        await min.setup();
        await min.apply(banned4.map((address) => ({ address, timeoutS: 600 })));
        const minLink = JSON.parse((await runCommand('ip', ['-j', 'link', 'show', 'eth0'], { netns: attacker })).stdout) as Array<{ xdp?: { prog?: { id?: number } } }>;
        const minId = minLink[0]?.xdp?.prog?.id;
        // The empty programs, loaded and pinned (not attached) in a bpf filesystem of the run's own.
        const bpffs = join(dir, 'bpffs');
        mkdirSync(bpffs);
        await runCommand('mount', ['-t', 'bpf', 'bpf', bpffs]);
        const floors: Record<string, string> = {};
        for (const k of ['drop', 'drop_read'] as const) {
          const pin = join(bpffs, k);
          await runCommand('bpftool', ['prog', 'load', buildRelayProgram(dir, k), pin, 'type', 'xdp']);
          floors[k] = pin;
        }
        // xdp-min with an LPM trie for IPv4, its maps pinned beside it, the ban as a /32.
        mkdirSync(join(bpffs, 'lpm'));
        floors.lpm = join(bpffs, 'lpm', 'prog');
        await runCommand('bpftool', ['prog', 'load', clangBpf(XDP_MIN_SOURCE, ['-DLPM'], join(dir, 'xdp-min-lpm.o')), floors.lpm, 'type', 'xdp', 'pinmaps', join(bpffs, 'lpm')]);
        const lpmMap = join(bpffs, 'lpm', 'banned4');
        await runCommand('bpftool', ['batch', 'file', '-'], { stdin: `${banned4.map((a) => `map update pinned ${lpmMap} key 32 0 0 0 ${a.split('.').join(' ')} value 0 0 0 0 0 0 0 0`).join('\n')}\n` });
        try {
          const kinds: Record<string, { prog: string[]; data: string; ret: number }> = {
            xdp_filter: { prog: ['id', String(dispatcher)], data: banned, ret: 1 },
            xdp_filter_pass: { prog: ['id', String(dispatcher)], data: passing, ret: 2 },
            xdp_min: { prog: ['id', String(minId)], data: banned, ret: 1 },
            xdp_min_pass: { prog: ['id', String(minId)], data: passing, ret: 2 },
            xdp_min_lpm: { prog: ['pinned', floors.lpm!], data: banned, ret: 1 },
            xdp_min_lpm_pass: { prog: ['pinned', floors.lpm!], data: passing, ret: 2 },
            xdp_floor: { prog: ['pinned', floors.drop!], data: banned, ret: 1 },
            xdp_floor_read: { prog: ['pinned', floors.drop_read!], data: banned, ret: 1 },
          };
          const names = Object.keys(kinds);
          const ns = new Map<string, number[]>(names.map((k) => [k, []]));
          for (let r = 0; r < rounds; r++) {
            for (const k of r % 2 === 0 ? names : [...names].reverse()) {
              const { prog, data, ret } = kinds[k]!;
              const got = await progRun(prog, data, repeat);
              if (got.ret !== ret) throw new Error(`${k}: the program returned ${got.ret}, expected ${ret} (${ret === 1 ? 'XDP_DROP' : 'XDP_PASS'})`);
              ns.get(k)!.push(got.ns);
            }
          }
          const floor = median(ns.get('xdp_floor')!);
          return names.map((k) => ({
            name: `xdp_prog_run_ns_${k}`,
            value: median(ns.get(k)!),
            unit: 'ns a run (BPF_PROG_TEST_RUN average)',
            rounds: ns.get(k)!,
            above_floor_ns: median(ns.get(k)!) - floor,
            repeat,
            bans: banCount,
            note: "the program alone on one 60-byte UDP frame, run `repeat` times by the kernel (bpftool prog run); median of the rounds; above_floor_ns: minus the empty XDP_DROP's (the test loop's own cost)",
          }));
        } finally {
          await runCommand('umount', [bpffs]).catch(() => {});
          await min.flush();
          await fw.flush();
        }
      } finally {
        await close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  for (const r of await benchXdpProgRun(Number(arg('--repeat') ?? 1_000_000), Number(arg('--rounds') ?? 5), Number(arg('--bans') ?? 1))) report(r);
}
