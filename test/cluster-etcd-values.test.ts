// etcd values as a trust boundary, with a real etcd and real node processes: values that are
// not JSON or not the right shape under bans/, nodes/ and placement/ (one set written before
// the nodes start, another while they run) leave every node running, good bans still apply
// everywhere, and each node counts what it skipped in autoimmune_etcd_rejected_total and says
// so once per value. A node record written straight into etcd, with a fresh CURVE key and no
// signature from the join secret, is not admitted: its process gets nothing delivered.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import type { Ban } from '../src/respond/ban-registry.ts';
import { EtcdBanRegistry } from '../src/respond/etcd-ban-registry.ts';
import { connectEtcd } from '../src/cluster/etcd-coordinator.ts';
import { NODE_LOCAL_EPOCH } from '../src/remote/cluster-router.ts';
import type { ClusterHealth } from '../src/cluster/cluster-member.ts';
import { clusterOnEtcd, coversOnce, placedIds, rogueTransport } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';

const SHARDS = 4;
const NAME = 'vals';
const P = `/autoimmune/${NAME}/`;
const IDS = ['n1', 'n2', 'n3'];

const env = clusterOnEtcd({ cluster: { name: NAME, leaseTtlMs: 2000 }, pipeline: { shards: SHARDS } });

function ban(address: string, ttlS = 600): Ban {
  const at = Date.now();
  return { address, ttl: ttlS, expiresAt: at + ttlS * 1000, reason: 'values test', detector: 'operator', score: 1, at, offence: 1 };
}

/** A ban written the way every node writes one: through the registry, under a lease of its TTL. */
async function putBan(b: Ban): Promise<void> {
  const client = new Etcd3({ hosts: env.etcd.endpoint });
  const registry = new EtcdBanRegistry(client, NAME);
  try {
    await registry.put(b);
  } finally {
    await registry.close();
    client.close();
  }
}

async function put(key: string, value: string): Promise<void> {
  const client = new Etcd3({ hosts: env.etcd.endpoint });
  try {
    await client.put(key).value(value);
  } finally {
    client.close();
  }
}

async function applied(id: string, address: string): Promise<boolean> {
  return (await env.cluster.json<{ appliedAt: number | null }>(id, `/api/firewall?address=${encodeURIComponent(address)}`)).appliedAt !== null;
}

/** autoimmune_etcd_rejected_total by prefix, from a node's /metrics. */
async function rejected(id: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${env.cluster.node(id).url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^autoimmune_etcd_rejected_total\{([^}]*)\} (\d+)$/gm)) out[/prefix="([^"]+)"/.exec(m[1]!)![1]!] = Number(m[2]);
  return out;
}

const alive = (id: string) => env.cluster.node(id).child.exitCode === null && env.cluster.node(id).child.signalCode === null;

test('bad values under bans/, nodes/ and placement/, before and during the run: every node stays up, good bans apply everywhere, and each bad value is counted and logged once', async () => {
  // Before any node starts: one value that is not JSON, one ban of the wrong shape, and a good ban.
  await put(`${P}bans/not-json`, 'this is {not json');
  await put(`${P}bans/198.51.100.1`, JSON.stringify({ address: '198.51.100.1', ttl: 'long' }));
  await putBan(ban('203.0.113.10'));

  for (const id of IDS) await env.cluster.start(id);
  const healthy = async () => {
    const hs = await Promise.all(IDS.map((id) => env.cluster.health(id)));
    return hs.every((h) => h.ready && h.cluster.lease === 'held' && h.cluster.members.length === 3) && coversOnce(hs, placedIds(SHARDS));
  };
  await waitFor(healthy, 'three nodes up and placed', 40_000);
  await waitFor(async () => (await Promise.all(IDS.map((id) => applied(id, '203.0.113.10')))).every(Boolean), 'the good ban written before the start is applied on all three', 20_000);

  // While they run: a key that is not even a URI-encoded name, a ban stored under another
  // address, registrations that are not JSON or not a registration, a placement that is not JSON.
  await put(`${P}bans/%E0%A4%A`, '\u0000\u0001 binary');
  await put(`${P}bans/203.0.113.11`, JSON.stringify(ban('203.0.113.12')));
  await put(`${P}nodes/ghost`, '{"id": "ghost", ');
  await put(`${P}nodes/n9`, JSON.stringify({ id: 'n9', address: 'tcp://127.0.0.1:1', publicKey: 'short', http: 'x', captures: [] }));
  await put(`${P}placement/enricher-0`, 'garbage');
  await putBan(ban('203.0.113.13'));

  await waitFor(async () => (await Promise.all(IDS.map((id) => applied(id, '203.0.113.13')))).every(Boolean), 'a good ban made while bad values are there is applied on all three', 20_000);
  await waitFor(async () => (await Promise.all(IDS.map(rejected))).every((r) => r.bans === 4 && r.nodes === 2 && r.placement === 1), 'every node counted the bad values', 20_000).catch(async (e) =>
    assert.fail(`${(e as Error).message}: ${JSON.stringify(await Promise.all(IDS.map(rejected)))}`),
  );
  // The leader put enricher-0's placement back, and every node still runs.
  await waitFor(healthy, 'still three nodes, every actor placed once', 20_000);
  for (const id of IDS) assert.ok(alive(id), `${id} is running`);
  for (const id of IDS) {
    assert.equal(await applied(id, '203.0.113.12'), false, `${id}: a ban stored under another address is not applied`);
    assert.equal(await applied(id, '203.0.113.11'), false);
    const out = env.cluster.node(id).output();
    for (const key of ['bans/not-json', 'bans/198.51.100.1', 'bans/%E0%A4%A', 'bans/203.0.113.11', 'nodes/ghost', 'nodes/n9', 'placement/enricher-0']) {
      const lines = out.split('\n').filter((l) => l.includes(`etcd value skipped: "${P}${key}"`));
      assert.equal(lines.length, 1, `${id} logged ${key} once: ${JSON.stringify(lines)}`);
    }
  }

  // Deleting them is uneventful too.
  const client = new Etcd3({ hosts: env.etcd.endpoint });
  for (const key of ['bans/not-json', 'bans/198.51.100.1', 'bans/%E0%A4%A', 'bans/203.0.113.11', 'nodes/ghost', 'nodes/n9']) await client.delete().key(`${P}${key}`);
  client.close();
  await waitFor(healthy, 'still healthy after the deletes', 20_000);
  for (const id of IDS) assert.ok(alive(id), `${id} is running`);
});

test('a node record written straight into etcd with a fresh CURVE key and no signature is not admitted: its process gets nothing delivered', async () => {
  const n1 = env.cluster.node('n1');
  const cluster = async () => env.cluster.json<ClusterHealth>('n1', '/api/cluster');
  const n1Record = (await env.cluster.json<{ nodes: Array<{ id: string; address: string; publicKey: string }> }>('n1', '/api/nodes')).nodes.find((n) => n.id === 'n1')!;
  const { transport: rogue, outcomes } = await rogueTransport();
  const etcd = await connectEtcd([env.etcd.endpoint]);
  const nodesBefore = (await rejected('n1')).nodes ?? 0;
  try {
    const lease = await etcd.grantLease(60_000);
    const record = { id: 'rogue', address: rogue.address, publicKey: rogue.publicKey, http: 'http://127.0.0.1:1', captures: [], mac: 'AAAA' };
    await etcd.put(`${P}nodes/rogue`, JSON.stringify(record), { lease });
    await waitFor(() => n1.output().includes(`etcd value skipped: "${P}nodes/rogue"`), 'n1 read the record and refused it');
    assert.match(n1.output(), /nodes\/rogue.*signature \(mac\) does not verify/);
    assert.equal((await rejected('n1')).nodes, nodesBefore + 1, 'and counted it');

    const before = await cluster();
    assert.ok(!before.members.includes('rogue'), `not a member: ${before.members}`);
    rogue.setPeers([{ id: 'n1', address: n1Record.address, publicKey: n1Record.publicKey }]);
    // To n1's own store, which any admitted node may address.
    for (let i = 0; i < 5; i++) rogue.send('n1', { path: '/store', epoch: NODE_LOCAL_EPOCH }, { kind: 'query' }, 0);
    await waitFor(async () => (await cluster()).transport.refusedPeers > before.transport.refusedPeers, 'n1 refused the rogue at the handshake', 20_000);
    const after = await cluster();
    assert.equal(after.transport.received, before.transport.received, 'nothing from the rogue reached n1');
    assert.equal(after.router.delivered, before.router.delivered, 'nor any actor of n1');
    assert.deepEqual(outcomes, [], 'no outcome came back');
    assert.equal(rogue.outstanding('n1'), 5);
    assert.ok(!after.members.includes('rogue') && !after.owned.some((a) => a.includes('rogue')));
    await etcd.revoke(lease);
  } finally {
    await etcd.close();
    await rogue.close();
  }
});
