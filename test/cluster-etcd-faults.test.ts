// The cluster when etcd itself fails: one member of a three-member etcd killed (the nodes
// keep their leases, a ban still reaches every firewall, a new node can still join), and an
// etcd that is down when a node starts (a clear message, retries, then it joins).

import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { join } from 'node:path';
import { spawnNodeProcess } from '../devkit/node-process.ts';
import { freePort, startEtcd, startEtcdCluster, type TestEtcdCluster } from '../devkit/etcd.ts';
import { BASE_NODE_CONFIG, TestCluster, coversOnce, placedIds } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';

const SHARDS = 4;
const base = {
  ...BASE_NODE_CONFIG,
  // A TTL well above an etcd leader election (about a second here, more on a loaded
  // machine) plus a call deadline (2 s), so losing the member that led etcd does not cost
  // the nodes their leases: the operator's rule for choosing cluster.leaseTtlMs.
  cluster: { name: 'faults', leaseTtlMs: 8000 },
  pipeline: { shards: SHARDS },
};

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

test('killing one member of a three-member etcd keeps the cluster working: leases held, bans applied everywhere, joins accepted', async () => {
  const etcd: TestEtcdCluster = await startEtcdCluster(3);
  cleanups.push(() => etcd.stop());
  const cluster = new TestCluster(etcd.endpoints, base);
  cleanups.push(() => cluster.stopAll());
  await Promise.all([cluster.start('n1'), cluster.start('n2')]);
  await waitFor(async () => coversOnce(await Promise.all(['n1', 'n2'].map((id) => cluster.health(id))), placedIds(SHARDS)), 'two nodes placed', 30_000);
  const fencesBefore = await Promise.all(['n1', 'n2'].map(async (id) => (await cluster.json<{ fences: number }>(id, '/api/cluster')).fences));

  await etcd.members[0]!.kill();

  const address = '198.51.100.23';
  const r = await fetch(`${cluster.node('n2').url}/api/bans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cluster.token('n2')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ address, ttl: 300, reason: 'etcd member down' }),
  });
  assert.equal(r.status, 201, await r.text());
  await cluster.start('n3');
  const ids = ['n1', 'n2', 'n3'];
  await waitFor(async () => {
    const applied = await Promise.all(ids.map(async (id) => (await cluster.json<{ appliedAt: number | null }>(id, `/api/firewall?address=${address}`)).appliedAt));
    const hs = await Promise.all(ids.map((id) => cluster.health(id)));
    return applied.every((t) => t !== null) && hs.every((h) => h.cluster.lease === 'held' && h.cluster.members.length === 3) && coversOnce(hs, placedIds(SHARDS));
  }, 'ban applied on all three and n3 placed, with one etcd member down', 40_000);
  const fencesAfter = await Promise.all(['n1', 'n2'].map(async (id) => (await cluster.json<{ fences: number }>(id, '/api/cluster')).fences));
  assert.deepEqual(fencesAfter, fencesBefore, 'no node lost its lease');

  await etcd.members[0]!.restart();
  await cluster.stopAll();
});

test('nodes that cannot renew their leases (etcd hangs) fence themselves: they stop their shards, and take them up again once etcd answers', async () => {
  const etcd = await startEtcdCluster(1);
  cleanups.push(() => etcd.stop());
  const cluster = new TestCluster(etcd.endpoints, { ...base, cluster: { name: 'fence', leaseTtlMs: 4000 } });
  cleanups.push(() => cluster.stopAll());
  const ids = ['n1', 'n2'];
  await Promise.all(ids.map((id) => cluster.start(id)));
  // Both must hold their leases before etcd hangs: a node still joining would look fenced
  // (no lease, no shards) without ever having fenced itself.
  await waitFor(async () => {
    const hs = await Promise.all(ids.map((id) => cluster.health(id)));
    return hs.every((h) => h.cluster.lease === 'held') && coversOnce(hs, placedIds(SHARDS));
  }, 'both holding leases, shards placed', 30_000);
  etcd.members[0]!.pause();
  await waitFor(async () => {
    const hs = await Promise.all(ids.map((id) => cluster.health(id)));
    return hs.every((h) => !h.ready && h.cluster.lease !== 'held' && h.cluster.owned.length === 0 && h.reasons.some((r) => r.includes('no cluster lease')));
  }, 'both fenced, running no shards, not ready', 30_000);
  etcd.members[0]!.resume();
  await waitFor(async () => {
    const hs = await Promise.all(ids.map((id) => cluster.health(id)));
    return hs.every((h) => h.ready && h.cluster.lease === 'held') && coversOnce(hs, placedIds(SHARDS));
  }, 'rejoined and placed again', 60_000);
  const fences = await Promise.all(ids.map(async (id) => (await cluster.json<{ fences: number }>(id, '/api/cluster')).fences));
  assert.ok(fences.every((f) => f >= 1), `each node fenced: ${fences}`);
  await cluster.stopAll();
});

test('an etcd that is down at start: the node says so clearly, keeps retrying, and joins once etcd is up', async () => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const cluster = new TestCluster([endpoint], base);
  const lines: string[] = [];
  const starting = spawnNodeProcess({ id: 'late', etcd: [endpoint], config: cluster.configFile('late'), stateDir: join(cluster.dir, 'late'), onLine: (l) => lines.push(l), startMs: 90_000 });
  await waitFor(() => lines.filter((l) => l.includes(`etcd at ${endpoint} is not reachable`) && l.includes('retrying in')).length >= 2, 'two retry notices naming the endpoint', 30_000);
  const etcd = await startEtcd({ clientPort: port });
  cleanups.push(() => etcd.stop());
  const node = await starting;
  cleanups.push(() => node.stop());
  await waitFor(async () => {
    const h = (await (await fetch(`${node.url}/health`)).json()) as { ready: boolean; cluster: { lease: string; isLeader: boolean } };
    return h.ready && h.cluster.lease === 'held' && h.cluster.isLeader;
  }, 'joined and leads its one-node cluster', 30_000);
});
