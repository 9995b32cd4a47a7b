// A/B micro-benchmark of the capture side's marking (the session verifier with its UDP
// exchange tracker) and the two shards' rules, on UDP-only batches: per 4 datagrams, a DNS
// query and its answer, a forged datagram to a random port, one source's datagram to one port.
// CPU ns per packet, median of 9 passes after 3 warm-up passes. Run alternately on two
// checkouts (the argument is the checkout whose code is measured):
//   node --import tsx bench/detect/udp-path.mts ../other-checkout
//   node --import tsx bench/detect/udp-path.mts .
import { resolve } from 'node:path';
import { cpuNs, medians, shiftedCopies, splitTwo, twoShards } from './shard-pass.ts';

const root = resolve(process.argv[2] ?? '.');
const { batchOf } = await import(`${root}/devkit/packets.ts`);
const { SessionVerifier } = await import(`${root}/src/detect/session-verifier.ts`);
const { SourceRules } = await import(`${root}/src/detect/rules/source-rules.ts`);
const { DEFAULT_RULES } = await import(`${root}/src/detect/rules/rules-config.ts`);
const { newVictimTally, clearVictimTally } = await import(`${root}/src/detect/rules/victim-tally.ts`);
const { PacketBatch } = await import(`${root}/src/net/packet-batch.ts`);

// 1024-row batches: half DNS clients and their answers (answered), a quarter a spoofed flood to random ports, a quarter one source to one port
let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const ip = () => `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
const clients = Array.from({ length: 200 }, (_, k) => `10.20.${2 + (k >> 8)}.${1 + (k & 255)}`);
const batches: any[] = [];
let t = 1;
for (let b = 0; b < 200; b++) {
  const pk: any[] = [];
  for (let k = 0; k < 256; k++) {
    const c = clients[Math.floor(rnd() * clients.length)]!;
    const sp = 1024 + Math.floor(rnd() * 60000);
    pk.push({ ts: t, src: c, dst: '10.20.0.53', proto: 'udp', sp, dp: 53, payload: 40 });
    pk.push({ ts: t + 1e-5, src: '10.20.0.53', dst: c, proto: 'udp', sp: 53, dp: sp, payload: 120 });
    pk.push({ ts: t + 2e-5, src: ip(), dst: '10.20.0.10', proto: 'udp', sp: 1024 + Math.floor(rnd() * 60000), dp: 1 + Math.floor(rnd() * 65000), payload: 0 });
    pk.push({ ts: t + 3e-5, src: '203.0.113.112', dst: '10.20.0.11', proto: 'udp', sp: 1024 + ((b * 256 + k) % 60000), dp: 53, payload: 0 });
    t += 5e-5;
  }
  batches.push(batchOf(pk));
}
const rows = batches.reduce((n, b) => n + b.length, 0);
const v = new SessionVerifier();
const { parts, scan } = twoShards({ SourceRules, DEFAULT_RULES, newVictimTally, clearVictimTally, PacketBatch });
let passes = 0;
function pass(): number[] {
  const out: unknown[] = [];
  let markNs = 0, rulesNs = 0;
  for (const b of shiftedCopies(batches, PacketBatch, 400 * passes++)) {
    const t0 = cpuNs();
    v.mark(b);
    const t1 = cpuNs();
    splitTwo(b, parts);
    const t2 = cpuNs();
    scan(out);
    rulesNs += cpuNs() - t2;
    markNs += t1 - t0;
  }
  return [markNs / rows, rulesNs / rows];
}
const [mark, rules] = medians(pass);
console.log(JSON.stringify({ name: 'udp_path_cpu_ns_per_packet', root, mark, rules, unit: 'ns', rows }));
