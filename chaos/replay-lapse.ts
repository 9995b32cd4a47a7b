// What a lapsed lease does to the traffic node's replay: the chaos fleet (3 nodes, one etcd
// member), the replay crashed twice, then n1 stopped (SIGSTOP) past its lease TTL and
// continued, so the cluster takes its pinned replay away and places it back. Prints one JSON
// line per second for 20 s: the replay's offered and confirmed counts (they must go on from
// where they were, not start again at zero), its incarnation, and whether the chaos monkey
// counts the second crash recovered.
//
//   node --import tsx chaos/replay-lapse.ts [stopMs=6000]
//
// Nodes start one at a time with a long start timeout: on a busy 2-core machine three at
// once did not start within the fleet's 60 s.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnNodeProcess } from '../devkit/node-process.ts';
import { startEtcdCluster } from '../devkit/local-etcd.ts';
import { eachNode, findNode } from '../devkit/tree.ts';
import { inject } from './faults.ts';
import { Fleet } from './fleet.ts';
import { Observer } from './observer.ts';
import { DEFAULT_TRAFFIC } from './run.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));
const stopMs = Number(process.argv[2] ?? 6000);
const nodes = 3;
const fleet = new Fleet({ nodes, etcdMembers: 1, traffic: DEFAULT_TRAFFIC.map((f) => PCAP + f), pps: 1500, shards: 4, leaseTtlMs: 3000, banTtlS: 20 });
const observer = new Observer(fleet, [...Array.from({ length: 4 }, (_, k) => [`enricher-${k}`, `detector-${k}`]).flat(), 'floods']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const n1 = () => fleet.nodes.get('n1')!;
interface Node {
  id: string;
  path: string;
  type: string;
  status: string;
  incarnation: number;
  restarts: number;
  stats?: Record<string, number>;
  children?: Node[];
}
const tree = async (): Promise<Node> => ((await (await fetch(`${n1().url}/api/tree`, { signal: AbortSignal.timeout(5000) })).json()) as { tree: Node }).tree;
const line = (o: object) => console.log(JSON.stringify(o));

fleet.etcd = await startEtcdCluster(1);
try {
  for (const id of fleet.ids) {
    fleet.nodes.set(id, await spawnNodeProcess({ id, etcd: fleet.etcd.endpoints, config: (fleet as unknown as { configFile(id: string): string }).configFile(id), stateDir: join(fleet.dir, id), joinSecret: fleet.joinSecret, startMs: 400_000 }));
  }
  for (const t0 = Date.now(); !observer.whole(await observer.read(), nodes).whole; await sleep(250)) if (Date.now() - t0 > 120_000) throw new Error('the fleet did not settle');
  await sleep(3000);
  const crashReplay = async () => {
    const running: Node[] = [];
    eachNode(await tree(), (n) => n.type === 'worker' && n.status === 'running' && running.push(n));
    return inject({ atMs: 0, kind: 'crash', target: `n1:${running.findIndex((n) => n.id === 'replay')}`, durationMs: 0 }, fleet);
  };
  await crashReplay();
  await sleep(1500);
  const crash = await crashReplay();
  const before = findNode(await tree(), (n) => n.id === 'replay' && n.type === 'worker')!;
  line({ at: 'crashed twice', incarnation: before.incarnation, offered: before.stats?.packets, confirmed: before.stats?.confirmed });
  n1().child.kill('SIGSTOP');
  await sleep(stopMs);
  n1().child.kill('SIGCONT');
  for (let s = 1; s <= 20; s++) {
    await sleep(1000);
    const r = findNode(await tree(), (n) => n.id === 'replay' && n.type === 'worker');
    const whole = observer.whole(await observer.read(), nodes);
    line({ s, status: r?.status ?? 'absent', incarnation: r?.incarnation, offered: r?.stats?.packets, confirmed: r?.stats?.confirmed, crashRecovered: whole.whole && (await crash.back().catch(() => false)), whole: whole.why });
  }
} finally {
  n1().child.kill('SIGCONT');
  await fleet.stop();
}
