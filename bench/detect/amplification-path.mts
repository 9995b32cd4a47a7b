// A/B micro-benchmark of the rules' path for LARGE UDP datagrams and IP fragments (what the
// udp-amplification victim rule counts): two shards' SourceRules with their tallies, and the
// VictimRules adding both tallies. Per 8 rows: a syslog report from an ephemeral port to 514,
// a reflected DNS answer (53 to a random port), a memcached answer in 3 fragments and a GELF
// message in 3 fragments. CPU ns per packet (shards' rules, victim rules), median of 9 passes
// after 3 warm-up passes. The batches are built with this checkout's devkit (the batch
// format is shared); the code measured is the argument's. Run alternately on two checkouts:
//   node --import tsx bench/detect/amplification-path.mts ../other-checkout
//   node --import tsx bench/detect/amplification-path.mts .
// With `v6` after the checkout, the same over IPv6 addresses (hosts, victims and reflectors:
// the carpet-bombing prefix of an IPv6 host is text, /48).
import { resolve } from 'node:path';
import { batchOf, type Pkt } from '../../devkit/packets.ts';
import { cpuNs, medians, shiftedCopies, splitTwo, twoShards } from './shard-pass.ts';

const root = resolve(process.argv[2] ?? '.');
const six = process.argv[3] === 'v6';
const { SourceRules } = await import(`${root}/src/detect/rules/source-rules.ts`);
const { VictimRules } = await import(`${root}/src/detect/rules/victim-rules.ts`);
const { DEFAULT_RULES } = await import(`${root}/src/detect/rules/rules-config.ts`);
const { newVictimTally, clearVictimTally } = await import(`${root}/src/detect/rules/victim-tally.ts`);
const { PacketBatch } = await import(`${root}/src/net/packet-batch.ts`);

let seed = 11;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const ip = () => six
  ? `2001:db8:${Math.floor(rnd() * 65535).toString(16)}::${Math.floor(rnd() * 65535).toString(16)}`
  : `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
const hosts = Array.from({ length: 300 }, (_, k) => (six ? `2001:db8:20:${8 + (k >> 8)}::${(1 + (k & 255)).toString(16)}` : `10.20.${8 + (k >> 8)}.${1 + (k & 255)}`));
const victim = (n: number) => (six ? `2001:db8:20::${n}` : `10.20.0.${n}`);
const reflectors = Array.from({ length: 400 }, ip);
const pieces = (t: number, src: string, dst: string, sp: number, dp: number): Pkt[] => [
  { ts: t, src, dst, proto: 'udp', sp, dp, payload: 1472, fragment: 0 },
  { ts: t + 1e-6, src, dst, proto: 'udp', payload: 1480, fragment: 1480 },
  { ts: t + 2e-6, src, dst, proto: 'udp', payload: 48, fragment: 2960 },
];
const batches: any[] = [];
let t = 1;
for (let b = 0; b < 200; b++) {
  const pk: Pkt[] = [];
  for (let k = 0; k < 128; k++) {
    const h = hosts[Math.floor(rnd() * hosts.length)]!;
    pk.push({ ts: t, src: h, dst: victim(30), proto: 'udp', sp: 32768 + (hosts.indexOf(h) * 97) % 28000, dp: 514, payload: 300 });
    pk.push({ ts: t + 1e-5, src: reflectors[Math.floor(rnd() * 400)]!, dst: victim(10), proto: 'udp', sp: 53, dp: 1024 + Math.floor(rnd() * 64000), payload: 1400 });
    pk.push(...pieces(t + 2e-5, reflectors[Math.floor(rnd() * 400)]!, victim(11), 11211, 1024 + Math.floor(rnd() * 64000)));
    pk.push(...pieces(t + 3e-5, h, victim(34), 40000 + (hosts.indexOf(h) * 31) % 20000, 12201));
    t += 2e-4;
  }
  batches.push(batchOf(pk));
}
const rows = batches.reduce((n, b) => n + b.length, 0);
const victims = new VictimRules(DEFAULT_RULES);
const { parts, tallies, scan } = twoShards({ SourceRules, DEFAULT_RULES, newVictimTally, clearVictimTally, PacketBatch });
let passes = 0;
function pass(): number[] {
  const out: unknown[] = [];
  let rulesNs = 0, victimNs = 0;
  for (const b of shiftedCopies(batches, PacketBatch, 400 * passes++)) {
    splitTwo(b, parts);
    const t0 = cpuNs();
    scan(out);
    const t1 = cpuNs();
    for (let k = 0; k < 2; k++) victims.add(tallies[k]!, out);
    victimNs += cpuNs() - t1;
    rulesNs += t1 - t0;
  }
  return [rulesNs / rows, victimNs / rows];
}
const [rules, victimRules] = medians(pass);
console.log(JSON.stringify({ name: 'amplification_path_cpu_ns_per_packet', root, family: six ? 'v6' : 'v4', rules, victimRules, unit: 'ns', rows }));
