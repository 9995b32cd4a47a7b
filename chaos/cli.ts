// npm run chaos -- --duration 10m --seed 7 [--nodes 3] [--json] [--pps N]

import { parseArgs } from 'node:util';
import { formatSummary } from './report.ts';
import { runChaos } from './run.ts';

const HELP = `npm run chaos -- [--duration 2m] [--seed 7] [--nodes 3] [--pps 1500] [--json] [--verbose]

Starts an etcd (3 members with --nodes 3, else 1) and the nodes on loopback, replays the
shared captures in a loop into n1, injects a seeded schedule of faults (actor crashes every
1-5 s, SIGKILL and restart of a node, kill and restart of an etcd member, SIGSTOP/SIGCONT of
a node), records how long each took to recover, then checks the invariants. Exits 1 when an
invariant broke. Not built yet: network partitions and load spikes.
`;

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new RangeError(`--duration must look like 90s, 2m or 10m, got ${JSON.stringify(text)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '2m' }, seed: { type: 'string', default: '7' }, nodes: { type: 'string', default: '3' }, pps: { type: 'string', default: '1500' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean' } },
  strict: true,
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const durationMs = duration(values.duration!);
const seed = Number(values.seed);
const nodes = Number(values.nodes);
const pps = Number(values.pps);
if (!Number.isInteger(seed)) throw new RangeError(`--seed must be an integer, got ${values.seed}`);
if (nodes !== 1 && nodes !== 3) throw new RangeError(`--nodes must be 1 or 3, got ${values.nodes}`);
if (!(durationMs >= 30_000)) throw new RangeError(`--duration must be at least 30s (faults need time to recover), got ${values.duration}`);
const t0 = Date.now();
const report = await runChaos({
  seed,
  durationMs,
  nodes,
  pps,
  onEvent: (e) => {
    if (!values.json) process.stderr.write(`[${((e.at - t0) / 1000).toFixed(1).padStart(6)} s] ${e.kind} ${e.target} ${e.detail}\n`);
  },
  ...(values.verbose ? { onLine: (l: string) => process.stderr.write(`${l}\n`) } : {}),
});
process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatSummary(report)}\n`);
process.exit(report.ok ? 0 : 1);
