// npm run chaos -- --duration 10m --seed 7 [--nodes 3] [--json] [--pps N] [--netns auto|on|off] [--workers]
//
// With three nodes and root, the run happens in a network lab (netns.ts): this process builds
// the namespaces, then runs itself again inside the hub namespace (where etcd and the runner
// live, reaching every node over the bridge), and deletes the lab when that run ends. The
// host's own network is not touched.

import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { attachNetLab, createNetLab, labUnavailable, type LabDescription, type NetLab } from './netns.ts';
import { formatSummary } from './report.ts';
import { chaosPlan, runChaos } from './run.ts';

const HELP = `npm run chaos -- [--duration 2m] [--seed 7] [--nodes 3] [--pps 1500] [--netns auto] [--workers] [--json] [--verbose]

Starts an etcd (3 members with --nodes 3, else 1) and the nodes, replays the shared captures
in a loop into n1, injects a seeded schedule of faults, records how long each took to
recover, then checks the invariants. Prints a short summary (or one JSON object with
--json) and exits 1 when an invariant broke.

Faults: actor crashes every 1-5 s; SIGKILL of a node and its restart; kill and restart of an
etcd member; a network partition between two nodes; SIGSTOP/SIGCONT of a node; a load spike
(the replay at 10x). With one node: crashes and load spikes.

--netns auto|on|off  Partitions need each node in its own network namespace (root, ip and
                     nft). auto: when possible, else the run goes on loopback without
                     partitions and says why. Each node then has its own nftables firewall.
--workers            The nodes run their shards in worker threads (pipeline.workers): the
                     cluster places one shard-thread actor per shard, and crashes kill them.
--verbose            The nodes' own output too.
AUTOIMMUNE_FAILPOINTS=firewall.skip-reconcile in the environment runs a deliberately
broken build (the run must then fail).
`;

const LAB_ENV = 'AUTOIMMUNE_CHAOS_LAB';

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new RangeError(`--duration must look like 90s, 2m or 10m, got ${JSON.stringify(text)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  duration: { type: 'string', default: '2m' },
  seed: { type: 'string', default: '7' },
  nodes: { type: 'string', default: '3' },
  pps: { type: 'string', default: '1500' },
  netns: { type: 'string', default: 'auto' },
  json: { type: 'boolean' },
  workers: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;
function args() {
  try {
    return parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${HELP}`);
  }
}
const values = args();
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
let durationMs = 0;
try {
  durationMs = duration(values.duration!);
} catch (err) {
  fail((err as Error).message);
}
const seed = Number(values.seed);
const nodes = Number(values.nodes);
const pps = Number(values.pps);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);
if (nodes !== 1 && nodes !== 3) fail(`--nodes must be 1 or 3, got ${values.nodes}`);
if (!(Number.isInteger(pps) && pps >= 10 && pps <= 1_000_000)) fail(`--pps must be an integer from 10 to 1000000, got ${values.pps}`);
if (!(durationMs >= 30_000)) fail(`--duration must be at least 30s (faults need time to recover), got ${values.duration}`);
if (!['auto', 'on', 'off'].includes(values.netns!)) fail(`--netns must be auto, on or off, got ${values.netns}`);

const say = (line: string) => process.stderr.write(`${line}\n`);
const inside = process.env[LAB_ENV];

const why = inside !== undefined || nodes < 3 || values.netns === 'off' ? 'not wanted' : labUnavailable();
if (why && values.netns === 'on') fail(`--netns on: ${nodes < 3 ? 'a lab is for 3 nodes' : why}`);
if (why && why !== 'not wanted') say(`chaos: no network lab, so no partitions: ${why}`);
try {
  chaosPlan({ seed, durationMs, nodes, lab: inside ?? (why ? undefined : 'to be made') });
} catch (err) {
  fail((err as Error).message);
}
if (!why) process.exit(await runInLab());

let lab: NetLab | undefined;
if (inside !== undefined) lab = attachNetLab(JSON.parse(inside) as LabDescription);
await runHere(lab);

/** Builds the lab, runs this same command inside its hub, removes the lab; the child's exit code. */
async function runInLab(): Promise<number> {
  const made = await createNetLab(['n1', 'n2', 'n3']);
  const description: LabDescription = { prefix: made.prefix, hub: made.hub, hubIp: made.hubIp, nodes: made.nodes };
  say(`chaos: network lab ${made.prefix}: etcd and the runner in ${made.hub} (${made.hubIp}), nodes in ${made.nodes.map((n) => `${n.ns} (${n.ip})`).join(', ')}`);
  const child = spawn('ip', ['netns', 'exec', made.hub, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, [LAB_ENV]: JSON.stringify(description) } });
  // Ctrl-C reaches the child too (same process group); a TERM sent to us alone is passed on.
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  process.on('SIGINT', () => {});
  process.on('SIGTERM', forward('SIGTERM'));
  const code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 128 + 15 : 1))));
  await made.destroy();
  return code;
}

async function runHere(lab: NetLab | undefined): Promise<void> {
  const stop = new AbortController();
  // The first Ctrl-C ends the run and still stops every process and reports; a second one exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stop.signal.aborted) process.exit(130);
      say('chaos: stopping: the fleet is stopped and what happened so far is reported (again to exit at once)');
      stop.abort();
    });
  }
  const t0 = Date.now();
  const report = await runChaos({
    seed,
    durationMs,
    nodes,
    pps,
    ...(values.workers ? { workers: true } : {}),
    signal: stop.signal,
    ...(lab ? { lab } : {}),
    // Progress on stderr either way (the JSON report alone goes to stdout).
    onEvent: (e) => say(`[${((e.at - t0) / 1000).toFixed(1).padStart(6)} s] ${e.kind} ${e.target} ${e.detail}`),
    ...(values.verbose ? { onLine: say } : {}),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatSummary(report)}\n`);
  process.exit(report.ok ? 0 : 1);
}
