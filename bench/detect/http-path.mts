// A/B micro-benchmark of the two shards' rules on plain-HTTP traffic, where the http-probing
// rule reads the server's answers (http-errors.ts): 64 clients on keep-alive connections
// to one web server, 8 requests each (one client in 20 first POSTs to /login), every answer a
// status-line segment and a body segment (one in five a 404), and a scanner drawing 404s one
// connection per request. CPU ns per
// packet, median of 9 passes after 3 warm-up passes. Run alternately on two checkouts (the
// argument is the checkout whose code is measured):
//   node --import tsx bench/detect/http-path.mts ../other-checkout
//   node --import tsx bench/detect/http-path.mts .
import { resolve } from 'node:path';
import { cpuNs, medians, shiftedCopies, splitTwo, twoShards } from './shard-pass.ts';

const root = resolve(process.argv[2] ?? '.');
const { batchOf, SYN, ACK, FIN, PSH } = await import(`${root}/devkit/packets.ts`);
const { SessionVerifier } = await import(`${root}/src/detect/session-verifier.ts`);
const { SourceRules } = await import(`${root}/src/detect/rules/source-rules.ts`);
const { DEFAULT_RULES } = await import(`${root}/src/detect/rules/rules-config.ts`);
const { newVictimTally, clearVictimTally } = await import(`${root}/src/detect/rules/victim-tally.ts`);
const { PacketBatch } = await import(`${root}/src/net/packet-batch.ts`);

let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
const WEB = '10.20.0.10';
/** Share of clients that log in first (LOGIN_SHARE=0: none, the login table stays empty). */
const LOGIN_SHARE = Number(process.env.LOGIN_SHARE ?? 0.05);
const batches: any[] = [];
let t = 1;
let port = 20000;
for (let b = 0; b < 100; b++) {
  const pk: any[] = [];
  while (pk.length < 1000) {
    const scanner = rnd() < 0.2;
    const c = scanner ? '203.0.113.80' : `10.20.${2 + Math.floor(rnd() * 4)}.${1 + Math.floor(rnd() * 250)}`;
    const cp = 20000 + (port++ % 40000);
    const cs = Math.floor(rnd() * 2 ** 31), ss = Math.floor(rnd() * 2 ** 31);
    const req = (dt: number, flags: number, seq: number, ack: number, payload = 0, head?: string) => ({ ts: t + dt, src: c, dst: WEB, sp: cp, dp: 80, flags, seq, ack, payload, head });
    const ans = (dt: number, flags: number, seq: number, ack: number, payload = 0, head?: string) => ({ ts: t + dt, src: WEB, dst: c, sp: 80, dp: cp, flags, seq, ack, payload, head });
    pk.push(req(0, SYN, cs, 0), ans(1e-4, SYN | ACK, ss, cs + 1), req(2e-4, ACK, cs + 1, ss + 1));
    const n = scanner ? 1 : 8;
    // one client in 20 logs in first (a form POST: form-logins.ts then keys the pair, and the
    // other requests of every client are looked up for their credit)
    const login = !scanner && rnd() < LOGIN_SHARE;
    for (let k = 0; k < n; k++) {
      const miss = scanner || rnd() < 0.2;
      pk.push(req(3e-4, ACK | PSH, cs + 1, ss + 1, 80, login && k === 0 ? 'POST /login HTTP/1.1\r\n' : 'GET /x HTTP/1.1\r\n'));
      pk.push(ans(4e-4, ACK | PSH, ss + 1, cs + 81, 200, miss ? 'HTTP/1.1 404 Not Found' : 'HTTP/1.1 200 OK\r\nSer'));
      pk.push(ans(4e-4, ACK | PSH, ss + 201, cs + 81, 1400, '<!DOCTYPE html><h'));
    }
    pk.push(req(5e-4, FIN | ACK, cs + 1, ss + 1), ans(6e-4, FIN | ACK, ss + 1, cs + 2));
    t += 1e-3;
  }
  batches.push(batchOf(pk));
}
const rows = batches.reduce((n, b) => n + b.length, 0);
const v = new SessionVerifier();
const { parts, scan } = twoShards({ SourceRules, DEFAULT_RULES, newVictimTally, clearVictimTally, PacketBatch });
let passes = 0;
function pass(): number[] {
  const out: unknown[] = [];
  let rulesNs = 0;
  for (const b of shiftedCopies(batches, PacketBatch, 400 * passes++)) {
    v.mark(b);
    splitTwo(b, parts);
    const t0 = cpuNs();
    scan(out);
    rulesNs += cpuNs() - t0;
  }
  return [rulesNs / rows];
}
const [rules] = medians(pass);
console.log(JSON.stringify({ name: 'http_path_cpu_ns_per_packet', root, rules, unit: 'ns', rows }));
