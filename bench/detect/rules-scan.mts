// The source rules' scan (src/detect/rules/source-rules.ts: scans, SYN floods, the login
// readers) in packets/s over captures, for the checkout at the first argument, so two
// checkouts can be alternated in one session (a ratio, never an absolute):
//   git archive BASE src package.json tsconfig.json | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
//   for k in 1..7: flock /tmp/s4-bench.lock node --import tsx bench/detect/rules-scan.mts /tmp/base FILES…; … $PWD FILES…
// One JSON line a run: packets per second of this process's CPU time (user + system, so a
// shared machine's waits for a core do not count). Each pass gets a fresh SourceRules, built
// before the clock starts. The batches are marked once, at load, by a session verifier as a
// node marks them (its ESTABLISHED flag is what lets the login readers read a server's
// replies: without it they are never run).
import { resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const files = process.argv.slice(3);
const { SourceRules } = await import(`${root}/src/detect/rules/source-rules.ts`);
const { DEFAULT_RULES } = await import(`${root}/src/detect/rules/rules-config.ts`);
const { readCaptureSync } = await import(`${root}/src/net/pcap-file.ts`);
const { PacketBatch } = await import(`${root}/src/net/packet-batch.ts`);
const { SessionVerifier } = await import(`${root}/src/detect/session-verifier.ts`);

const batches: InstanceType<typeof PacketBatch>[] = [];
const verifier = new SessionVerifier();
for (const f of files) {
  readCaptureSync(f, (b: InstanceType<typeof PacketBatch>) => {
    const c = new PacketBatch(b.capacity, b.buffer.slice(0));
    c.length = b.length;
    verifier.mark(c);
    batches.push(c);
  });
}
let packets = 0;
for (const b of batches) packets += b.length;
const out: unknown[] = [];
const pass = (sr: { scan(b: unknown, out: unknown[]): void }) => {
  for (const b of batches) {
    out.length = 0;
    sr.scan(b, out);
  }
};
const fresh = () => new SourceRules(DEFAULT_RULES, { maxSockets: 1 << 14, maxSources: 1 << 12 });
for (let k = 0; k < 3; k++) pass(fresh()); // warm-up
const PASSES = 150;
const rules = Array.from({ length: PASSES }, fresh);
const c0 = process.cpuUsage();
for (const sr of rules) pass(sr);
const c = process.cpuUsage(c0);
const s = (c.user + c.system) / 1e6;
console.log(JSON.stringify({ bench: 'rules_scan_pps', root, files: files.length, packets, pps: Math.round((packets * PASSES) / s) }));
