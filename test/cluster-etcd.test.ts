// The cluster on a real etcd (one member, started by the test) with real node processes:
// join, leadership, SIGKILL failover under traffic with nothing lost, a rejoin, a ban made
// on one node applied by the firewall actors of all, a question answered from every node's
// store, a graceful leave, and a process with an unregistered CURVE key that gets nothing
// through.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterOnEtcd, coversOnce, placedIds, rogueTransport, type Health } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';

const SHARDS = 6;
const TTL_MS = 2000;
const FLOOD = fileURLToPath(new URL('../../shared/data/pcap/D12_flood_pkt.TCP.synflood.spoofed.pcap', import.meta.url));

const env = clusterOnEtcd({
  cluster: { name: 'test', leaseTtlMs: TTL_MS },
  pipeline: { shards: SHARDS },
});

async function healths(ids: string[]): Promise<Health[]> {
  return Promise.all(ids.map((id) => env.cluster.health(id)));
}

test('three nodes join: each holds a lease, all name the same leader, and every shard runs on exactly one node', async () => {
  await env.cluster.start('n2');
  await waitFor(async () => (await env.cluster.health('n2')).cluster.isLeader, 'n2 leads', 20_000);
  // n1 replays a spoofed SYN flood (sources spread over every shard) at 4,000 packets/s.
  await Promise.all([env.cluster.start('n1', { capture: { replay: { files: [FLOOD], pps: 4000 } } }), env.cluster.start('n3')]);
  const ids = ['n1', 'n2', 'n3'];
  // One state that holds it all, polled: a node whose lease lapsed on a stalled machine (it
  // fences, its shards go elsewhere, it rejoins) passes through states where it owns nothing,
  // which the cluster is built to recover from; what must come is the placed whole.
  let last: Health[] = [];
  await waitFor(async () => {
    const hs = (last = await healths(ids));
    return (
      hs.every((h) => h.ready && h.cluster.lease === 'held' && h.cluster.members.length === 3 && h.cluster.owned.length > 0) &&
      coversOnce(hs, placedIds(SHARDS)) &&
      new Set(hs.map((h) => h.cluster.leader)).size === 1 &&
      hs[0]!.cluster.leader !== null
    );
  }, 'three members, each running shards, every shard on exactly one, all naming one leader', 45_000).catch((err: Error) => {
    const state = last.map((h) => ({ node: h.cluster.node, lease: h.cluster.lease, leader: h.cluster.leader, owned: h.cluster.owned, fences: h.cluster.fences }));
    throw new Error(`${err.message}; last seen: ${JSON.stringify(state)}`);
  });
  // Any node's dashboard shows the whole cluster: every member, its lease, who leads, its tree.
  await waitFor(async () => {
    const d = await env.cluster.json<{ nodes: Array<{ id: string; lease: string; leader: string | null; reachable: boolean }>; trees: Record<string, unknown> }>('n3', '/api/dashboard');
    return d.nodes.length === 3 && d.nodes.every((n) => n.lease === 'held' && n.leader === 'n2' && n.reachable) && Object.keys(d.trees).sort().join() === 'n1,n2,n3';
  }, 'the dashboard of n3 shows all three', 20_000);
});

test('SIGKILL of the leader under traffic: a new leader, its shards run on the others, and every packet offered is confirmed handled', async () => {
  await waitFor(async () => ((await env.cluster.captureStats('n1', 'replay'))?.confirmed ?? 0) > 2000, 'traffic flowing through all nodes', 30_000);
  // n2 runs an enricher when it is killed (polled, as above: a lease that lapsed on a loaded
  // machine leaves it owning nothing for a moment, until it rejoins)
  let killed: string[] = [];
  await waitFor(async () => (killed = (await env.cluster.health('n2')).cluster.owned).some((id) => id.startsWith('enricher-')), 'n2 running an enricher', 30_000).catch((err: Error) => {
    throw new Error(`${err.message}; n2 owned: ${JSON.stringify(killed)}`);
  });
  await env.cluster.node('n2').kill('SIGKILL');
  await waitFor(async () => {
    const hs = await healths(['n1', 'n3']);
    return hs.every((h) => h.cluster.leader !== 'n2' && h.cluster.leader !== null && h.cluster.members.length === 2) && coversOnce(hs, placedIds(SHARDS));
  }, 'failover to n1 and n3', 30_000);
  const stats = async () => (await env.cluster.captureStats('n1', 'replay'))!;
  await waitFor(async () => {
    const s = await stats();
    return s.packets === 37841 && s.confirmed + s.lost === s.packets - s.unroutable;
  }, 'the whole capture offered and settled', 60_000);
  const s = await stats();
  assert.equal(s.lost, 0, `nothing lost: ${JSON.stringify(s)}`);
  assert.equal(s.confirmed, s.packets - s.unroutable, `offered = confirmed: ${JSON.stringify(s)}`);
  const router = (await env.cluster.json<{ router: { orphaned: number; rerouted: number } }>('n1', '/api/cluster')).router;
  assert.ok(router.orphaned + router.rerouted + s.resent > 0, `something was in flight to n2 and went elsewhere: ${JSON.stringify({ router, s })}`);
});

test('the killed node comes back: it rejoins with a new lease and gets shards again', async () => {
  await env.cluster.start('n2');
  await waitFor(async () => {
    const hs = await healths(['n1', 'n2', 'n3']);
    return hs.every((h) => h.cluster.members.length === 3 && h.cluster.lease === 'held') && coversOnce(hs, placedIds(SHARDS)) && hs[1]!.cluster.owned.length > 0;
  }, 'n2 back with shards', 30_000);
});

test('a ban made on one node is applied by the firewall actors of all three, and its removal too', async () => {
  const address = '203.0.113.77';
  const r = await fetch(`${env.cluster.node('n3').url}/api/bans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.cluster.token('n3')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ address, ttl: 600, reason: 'cluster test' }),
  });
  assert.equal(r.status, 201, await r.text());
  const applied = async (id: string) => (await env.cluster.json<{ appliedAt: number | null }>(id, `/api/firewall?address=${address}`)).appliedAt;
  await waitFor(async () => (await Promise.all(['n1', 'n2', 'n3'].map(applied))).every((t) => t !== null), 'applied on all three', 20_000);
  const d = await fetch(`${env.cluster.node('n1').url}/api/bans/${encodeURIComponent(address)}`, { method: 'DELETE', headers: { authorization: `Bearer ${env.cluster.token('n1')}` } });
  assert.equal(d.status, 200, await d.text());
  await waitFor(async () => (await Promise.all(['n1', 'n2', 'n3'].map(applied))).every((t) => t === null), 'lifted on all three', 20_000);
});

test("a question asked on one node is answered from every node's store (scatter-gather through the transport)", async () => {
  // Operator bans made on two nodes are decisions stored by the node that made them.
  for (const [id, address] of [['n1', '203.0.113.81'], ['n1', '203.0.113.82'], ['n2', '203.0.113.83']] as const) {
    const r = await fetch(`${env.cluster.node(id).url}/api/bans`, { method: 'POST', headers: { authorization: `Bearer ${env.cluster.token(id)}`, 'content-type': 'application/json' }, body: JSON.stringify({ address, ttl: 600 }) });
    assert.equal(r.status, 201, await r.text());
  }
  const count = async (node?: string) => {
    const r = await fetch(`${env.cluster.node('n3').url}/api/tools/count_events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'decision', type: ['ban'], ...(node ? { node } : {}) }) });
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as { rows: number[][]; scope: { answered: string[]; missing: unknown[] } };
  };
  let each: number[] = [];
  await waitFor(async () => {
    each = await Promise.all(['n1', 'n2', 'n3'].map(async (id) => (await count(id)).rows[0]![0]!));
    return each[0]! >= 2 && each[1]! >= 1;
  }, 'the bans stored on n1 and n2', 20_000);
  const all = await count();
  assert.deepEqual(all.scope.answered, ['n1', 'n2', 'n3']);
  assert.deepEqual(all.scope.missing, []);
  assert.equal(all.rows[0]![0], each.reduce((a, b) => a + b, 0), `the cluster's answer is the sum of the nodes' (${each.join(' + ')})`);
  const asked = (await (await fetch(`${env.cluster.node('n3').url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'how many bans today?' }) })).json()) as { text: string; rows: number[][] };
  assert.deepEqual(asked.rows, all.rows);
  assert.match(asked.text, /3 of 3 nodes/);
});

test('a process whose CURVE key is not registered in etcd gets nothing delivered and cannot be sent to', async () => {
  const nodes = await env.cluster.json<{ nodes: Array<{ id: string; address: string; publicKey: string }> }>('n1', '/api/nodes');
  const n1 = nodes.nodes.find((n) => n.id === 'n1')!;
  const refusedBefore = (await env.cluster.json<{ transport: { refusedPeers: number } }>('n1', '/api/cluster')).transport.refusedPeers;
  const { transport: rogue, outcomes } = await rogueTransport();
  const deliveredBefore = (await env.cluster.json<{ router: { delivered: number } }>('n1', '/api/cluster')).router.delivered;
  try {
    // The rogue knows n1's address and public key (both public) but its own key is unknown to n1.
    rogue.setPeers([{ id: 'n1', address: n1.address, publicKey: n1.publicKey }]);
    for (let i = 0; i < 5; i++) rogue.send('n1', { path: '/pipeline/enrichers/enricher-0', epoch: 1 }, { n: 1 }, 0);
    await waitFor(async () => (await env.cluster.json<{ transport: { refusedPeers: number } }>('n1', '/api/cluster')).transport.refusedPeers > refusedBefore, 'n1 refused the handshake', 20_000);
    assert.deepEqual(outcomes, [], 'no outcome ever came back: nothing was delivered');
    assert.equal(rogue.outstanding('n1'), 5, 'all five still unanswered');
    const n1Router = (await env.cluster.json<{ router: { delivered: number } }>('n1', '/api/cluster')).router;
    assert.equal(n1Router.delivered, deliveredBefore, 'no actor of n1 got anything');
  } finally {
    await rogue.close();
  }
});

test('a node that leaves gracefully (SIGTERM) hands its shards over without waiting for its lease', async () => {
  await env.cluster.node('n3').stop();
  await waitFor(async () => {
    const hs = await healths(['n1', 'n2']);
    return hs.every((h) => h.cluster.members.length === 2) && coversOnce(hs, placedIds(SHARDS));
  }, 'n1 and n2 run everything', 20_000);
});
