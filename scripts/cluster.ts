// npm run cluster: a local etcd and three autoimmune nodes on loopback, as separate
// processes, with their dashboards on http://127.0.0.1:8001-8003. Ctrl-C stops them all.
//
// The three nodes share this host, so they use the dry-run firewall (three nodes would
// otherwise manage the same nftables table) and capture no interface (each would see the
// same packets); `--replay FILE…` makes n1 replay captures into the cluster instead.

import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.ts';
import { createJoinSecretFile } from '../src/cluster/join-secret.ts';
import { spawnNodeProcess, type NodeProcess } from '../devkit/node-process.ts';
import { startEtcdCluster, type TestEtcdCluster } from '../devkit/local-etcd.ts';

const HELP = `npm run cluster -- [--nodes N] [--etcd URL] [--port-base P] [--replay FILE…] [--pps N] [--config FILE] [--dir DIR]

  --nodes N      node processes (default 3)
  --etcd URL     use this etcd instead of starting one
  --port-base P  dashboards on P+1 … P+N (default 8000)
  --replay FILE  n1 replays these captures into the cluster (repeatable)
  --pps N        replay rate in packets per second (default 2000)
  --config FILE  the cluster config (default config/cluster-3.json)
  --dir DIR      where the nodes and etcd keep their state (default a new temp dir)
`;

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    etcd: { type: 'string' },
    'port-base': { type: 'string', default: '8000' },
    replay: { type: 'string', multiple: true },
    pps: { type: 'string', default: '2000' },
    config: { type: 'string', default: 'config/cluster-3.json' },
    dir: { type: 'string' },
    help: { type: 'boolean' },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const count = Number(values.nodes);
const portBase = Number(values['port-base']);
const pps = Number(values.pps);
if (!Number.isInteger(count) || count < 1 || count > 9) throw new RangeError(`--nodes must be an integer from 1 to 9, got ${values.nodes}`);
if (!Number.isInteger(portBase) || portBase < 1 || portBase + count > 65535) throw new RangeError(`--port-base must leave room for ${count} ports, got ${values['port-base']}`);
if (!Number.isInteger(pps) || pps < 1) throw new RangeError(`--pps must be a positive integer, got ${values.pps}`);
// Validates the cluster config before anything starts (names the bad key if any).
const configFile = resolve(values.config!);
loadConfig(configFile);

const dir = values.dir ? resolve(values.dir) : mkdtempSync(join(tmpdir(), 'autoimmune-cluster-'));
mkdirSync(dir, { recursive: true });
let etcd: TestEtcdCluster | undefined;
let endpoints: string[];
if (values.etcd) {
  endpoints = [values.etcd];
} else {
  process.stdout.write('starting etcd…\n');
  etcd = await startEtcdCluster(1, { dir: join(dir, 'etcd') });
  endpoints = etcd.endpoints;
}

// One join secret for every node (a --dir used before keeps its own).
const joinSecret = join(dir, 'cluster-join.key');
if (!existsSync(joinSecret)) createJoinSecretFile(joinSecret);

const nodes: NodeProcess[] = [];
let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write('\nstopping the nodes (each leaves the cluster), then etcd…\n');
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
    await etcd?.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  for (let i = 1; i <= count; i++) {
    const id = `n${i}`;
    const replay = i === 1 && values.replay?.length ? { capture: { replay: { files: values.replay.map((f) => resolve(f)), pps } } } : {};
    const file = join(dir, `${id}.json`);
    const base = loadConfig(configFile).config;
    writeFileSync(file, JSON.stringify({ ...JSON.parse(JSON.stringify(base)), node: { id, stateDir: join(dir, id) }, http: { ...base.http, port: portBase + i }, ...mergeCapture(base.capture, replay) }));
    nodes.push(await spawnNodeProcess({ id, etcd: endpoints, config: file, stateDir: join(dir, id), joinSecret, port: portBase + i, onLine: (l) => process.stdout.write(`${l}\n`) }));
  }
} catch (err) {
  process.stderr.write(`npm run cluster: ${(err as Error).message}\n`);
  await stopAll(1);
}

function mergeCapture(capture: object, extra: { capture?: object }): { capture: object } {
  return { capture: { ...capture, ...(extra.capture ?? {}) } };
}

process.stdout.write(`\nautoimmune cluster of ${count} on etcd ${endpoints.join(',')} (state in ${dir})\n`);
for (const n of nodes) process.stdout.write(`  ${n.id}  dashboard ${n.url}/   health ${n.url}/health\n`);
process.stdout.write('Ctrl-C stops all of them.\n');
