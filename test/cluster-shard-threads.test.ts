// Worker-thread shards (pipeline.workers) in a cluster, on a real etcd with real node
// processes: the leader places one shard-thread actor per shard (no enricher/detector pairs),
// each node runs what it is given in worker threads and its tree shows them as placed; an
// injected crash kills a shard's thread and its supervisor starts a new one; a SIGKILLed
// node's shards move to the survivor and run in threads there; and through all of it the
// attackers in the replayed traffic keep being banned (bans last 2 s, so they are made again).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterOnEtcd, coversOnce, placedIds, type Health } from '../devkit/cluster.ts';
import { eachNode } from '../devkit/tree.ts';
import { waitFor } from '../devkit/wait.ts';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';

const SHARDS = 3;
const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));
/** A scan, an SSH brute force and benign traffic, looped into n1. */
const TRAFFIC = ['D01_benign_example.pcap', 'D06_scan_nmap_80_all.pcap', 'D15_brute_hydra-1_tasks.pcap'].map((f) => PCAP + f);
const BAN_TTL_S = 2;

const env = clusterOnEtcd({
  cluster: { name: 'threads', leaseTtlMs: 2000 },
  pipeline: { shards: SHARDS, workers: true },
  responder: { banTtlS: BAN_TTL_S, escalation: { factor: 1, maxTtlS: BAN_TTL_S, memoryS: 60 }, rateLimit: { bans: 1000, perS: 1 } },
});

async function healths(ids: string[]): Promise<Health[]> {
  return Promise.all(ids.map((id) => env.cluster.health(id)));
}

async function tree(id: string): Promise<TreeSnapshot> {
  return (await env.cluster.json<{ tree: TreeSnapshot }>(id, '/api/tree')).tree;
}

/** The shard actors in a node's tree (under /pipeline/enrichers), by id. */
async function shardActors(id: string): Promise<Map<string, TreeSnapshot>> {
  const out = new Map<string, TreeSnapshot>();
  eachNode(await tree(id), (n) => {
    if (n.type === 'worker' && n.path.startsWith('/pipeline/enrichers/')) out.set(n.id, n);
  });
  return out;
}

/** Resolves once an automatic ban (a detector's, not an operator's) made after `since` is in the cluster's registry. */
async function banAfter(since: number, what: string): Promise<void> {
  await waitFor(async () => {
    const bans = await env.cluster.json<Array<{ address: string; detector: string; at: number }>>('n1', '/api/bans');
    return bans.some((b) => b.detector !== 'operator' && b.at > since);
  }, what, 30_000);
}

test('a cluster with pipeline.workers places one shard-thread actor per shard, each node runs its shards in threads, and the attackers are banned', async () => {
  // n2 first (it leads and takes everything), then n1 with the traffic: n1 gets its share, n2 keeps some.
  await env.cluster.start('n2');
  await waitFor(async () => (await env.cluster.health('n2')).cluster.isLeader, 'n2 leads', 20_000);
  await env.cluster.start('n1', { capture: { replay: { files: TRAFFIC, pps: 2000, loop: true } } });
  const ids = ['n1', 'n2'];
  await waitFor(async () => {
    const hs = await healths(ids);
    return hs.every((h) => h.ready && h.cluster.lease === 'held' && h.cluster.members.length === 2) && coversOnce(hs, placedIds(SHARDS, true));
  }, 'both members placed', 30_000);
  // Placement settles in steps (n1's share moves from n2 after n1 joins): wait until each tree
  // holds exactly the shards its node owns, read together, before looking at them.
  let hs = await healths(ids);
  let last = '';
  await waitFor(async () => {
    hs = await healths(ids);
    for (const [i, id] of ids.entries()) {
      const mine = hs[i]!.cluster.owned.filter((o) => o.startsWith('enricher-')).sort();
      const held = [...(await shardActors(id)).keys()].sort();
      last = `${id} owns ${mine}, its tree holds ${held}`;
      if (JSON.stringify(mine) !== JSON.stringify(held)) return false;
    }
    return true;
  }, 'each tree holds the shards its node owns', 30_000).catch((err: Error) => {
    throw new Error(`${err.message} (${last})`);
  });
  const owned = hs.flatMap((h) => h.cluster.owned);
  assert.ok(!owned.some((o) => o.startsWith('detector-')), `no detector actors are placed: ${owned}`);
  for (const id of ids) {
    const actors = await shardActors(id);
    // The tree shows each shard this node owns as a running shard-thread with a thread of its own.
    for (const a of actors.values()) {
      assert.equal(a.kind, 'shard-thread', `${id}: ${a.path} is a shard-thread`);
      assert.equal(a.status, 'running');
      assert.equal(a.stats?.threads, 1);
    }
  }
  assert.ok(hs[1]!.cluster.owned.some((o) => o.startsWith('enricher-')), `n2 kept shards: ${JSON.stringify(hs.map((h) => h.cluster.owned))}`);
  // Packets from n1's capture reach the threads on both nodes.
  await waitFor(async () => {
    for (const id of ids) for (const a of (await shardActors(id)).values()) if ((a.stats?.packets ?? 0) === 0) return false;
    return true;
  }, 'every shard thread has handled packets', 30_000);
  await banAfter(0, 'an attacker banned');
  const s = (await env.cluster.captureStats('n1', 'replay'))!;
  assert.equal(s.lost, 0, `nothing lost: ${JSON.stringify(s)}`);
});

test('an injected crash of a shard-thread on each node kills its thread; the supervisor starts a new one, and the attackers are banned again', async () => {
  const before = new Map<string, TreeSnapshot>();
  for (const id of ['n1', 'n2']) {
    const actors = await shardActors(id);
    const victim = [...actors.values()][0]!;
    before.set(id, victim);
    const r = await fetch(`${env.cluster.node(id).url}/api/crash`, { method: 'POST', headers: { authorization: `Bearer ${env.cluster.token(id)}`, 'content-type': 'application/json' }, body: JSON.stringify({ path: victim.path }) });
    assert.equal(r.status, 200, await r.text());
  }
  const crashedAt = Date.now();
  for (const [id, victim] of before) {
    await waitFor(async () => {
      const now = (await shardActors(id)).get(victim.id);
      return now !== undefined && now.status === 'running' && now.restarts > victim.restarts && now.incarnation > victim.incarnation;
    }, `${id}: ${victim.id} restarted`, 20_000);
    // The new incarnation has a thread of its own, which handles packets.
    await waitFor(async () => {
      const now = (await shardActors(id)).get(victim.id)?.stats;
      return now !== undefined && now.threadId !== victim.stats!.threadId && now.threadId! > 0 && now.packets! > 0;
    }, `${id}: ${victim.id}'s new thread handles packets`, 20_000);
  }
  await banAfter(crashedAt, 'a ban made after the crashes');
});

test("SIGKILL of a node: its shard-threads move to the survivor and run in threads there, and banning goes on", async () => {
  const moved = (await env.cluster.health('n2')).cluster.owned.filter((o) => o.startsWith('enricher-'));
  assert.ok(moved.length > 0);
  await env.cluster.node('n2').kill('SIGKILL');
  const killedAt = Date.now();
  await waitFor(async () => {
    const h = await env.cluster.health('n1');
    return h.cluster.members.length === 1 && h.cluster.isLeader && coversOnce([h], placedIds(SHARDS, true));
  }, 'n1 runs every shard', 30_000);
  const actors = await shardActors('n1');
  for (const id of moved) {
    assert.equal(actors.get(id)?.kind, 'shard-thread', `${id} runs as a shard-thread on n1`);
    assert.equal(actors.get(id)?.status, 'running');
  }
  await waitFor(async () => {
    const now = await shardActors('n1');
    return moved.every((id) => (now.get(id)?.stats?.packets ?? 0) > 0);
  }, 'the moved shards handle packets on n1', 30_000);
  await banAfter(killedAt, 'a ban made after the kill');
  const s = (await env.cluster.captureStats('n1', 'replay'))!;
  assert.equal(s.lost, 0, `nothing lost: ${JSON.stringify(s)}`);
});

test("a member with pipeline.workers off runs the shards the cluster places as threads as threads, and says the settings differ", async () => {
  await env.cluster.start('n3', { pipeline: { shards: SHARDS, workers: false } });
  await waitFor(async () => {
    const hs = await healths(['n1', 'n3']);
    return hs.every((h) => h.cluster.members.length === 2) && coversOnce(hs, placedIds(SHARDS, true)) && hs[1]!.cluster.owned.some((o) => o.startsWith('enricher-'));
  }, 'n3 joined and took shards', 30_000);
  const actors = await shardActors('n3');
  assert.ok(actors.size > 0);
  for (const a of actors.values()) assert.equal(a.kind, 'shard-thread', `${a.path} runs as the placement says`);
  await waitFor(async () => [...(await shardActors('n3')).values()].every((a) => (a.stats?.packets ?? 0) > 0), "n3's shard threads handle packets", 30_000);
  assert.ok(env.cluster.log.some((l) => /places its shards as worker threads .* set the same pipeline\.workers on every member/.test(l)), 'n3 said the settings differ');
});
