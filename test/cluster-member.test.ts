// Three cluster members in one process over a shared embedded coordinator and real ZeroMQ
// transports (CURVE on): membership, election, placement, routing by path with epochs,
// failover of a member that dies without leaving, and refusal of stale epochs.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { EmbeddedCoordinator } from '../src/cluster/embedded-coordinator.ts';
import { ClusterMember, advertisedAddress } from '../src/cluster/cluster-member.ts';
import { EtcdValues } from '../src/cluster/etcd-values.ts';
import type { LocalActor } from '../src/cluster/placement/reconciler.ts';
import { DETECTORS_PATH, ENRICHERS_PATH } from '../src/actors/tree-layout.ts';
import { TREE_LAYOUT } from '../src/node/placement-layout.ts';
import { generateNodeKeys, startZmqTransport } from '../src/remote/transport/zmq-transport.ts';
import type { Outcome } from '../src/remote/transport/types.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import type { WorkerSpec } from '../src/supervisors/child-spec.ts';
import { waitFor } from '../devkit/wait.ts';

const SHARDS = 6;
const TTL = 2000;

/** Events each actor path handled, over all nodes and incarnations. */
const handled = new Map<string, number>();

function counter(id: string, next?: string): WorkerSpec {
  return {
    type: 'worker',
    id,
    start: () => ({
      kind: 'counter',
      handle(state: null, msg: { n: number; seq: number }, ctx) {
        handled.set(ctx.path, (handled.get(ctx.path) ?? 0) + msg.n);
        if (next) ctx.send(next, msg);
        return state;
      },
    }),
  };
}

function catalogue(actorId: string): LocalActor | undefined {
  const m = /^(enricher|detector)-(\d+)$/.exec(actorId);
  if (m) return m[1] === 'enricher' ? { parent: ENRICHERS_PATH, id: actorId, spec: () => counter(actorId, `${DETECTORS_PATH}/detector-${m[2]}`) } : { parent: DETECTORS_PATH, id: actorId, spec: () => counter(actorId) };
  if (actorId === 'floods') return { parent: '/detection', id: actorId, spec: () => counter(actorId) };
  return undefined;
}

interface TestNode {
  id: string;
  system: ActorSystem;
  member: ClusterMember;
}

const coordinator = new EmbeddedCoordinator();
const JOIN_SECRET = randomBytes(32);
const nodes: TestNode[] = [];
const lines: string[] = [];

async function startMember(id: string): Promise<TestNode> {
  const system = new ActorSystem({
    nodeId: id,
    onRootGaveUp: (e) => assert.fail(`root gave up on ${id}: ${e.message}`),
    root: {
      strategy: 'one_for_one',
      children: [
        { type: 'supervisor', id: 'pipeline', strategy: 'one_for_one', children: [{ type: 'supervisor', id: 'enrichers', strategy: 'one_for_one', children: [] }] },
        { type: 'supervisor', id: 'detection', strategy: 'one_for_one', children: [{ type: 'supervisor', id: 'detectors', strategy: 'one_for_one', children: [] }] },
      ],
    },
  });
  await system.start();
  const keys = generateNodeKeys();
  const member = await ClusterMember.start({
    layout: TREE_LAYOUT,
    cluster: 'test',
    leaseTtlMs: TTL,
    shape: { shards: SHARDS, trainer: false },
    system,
    coordinator,
    transport: (handlers) => startZmqTransport({ nodeId: id, bind: 'tcp://127.0.0.1:0', keys, handlers, ackTimeoutMs: 300 }),
    record: { id, http: 'http://127.0.0.1:0', captures: [] },
    joinSecret: JOIN_SECRET,
    values: new EtcdValues('test', { notice: (l) => lines.push(l) }),
    catalogue,
    notice: (l) => lines.push(l),
  });
  const n = { id, system, member };
  nodes.push(n);
  return n;
}

/** Every placed actor runs on exactly one live node, the one placement names. */
function placedEverywhereOnce(live: TestNode[]): boolean {
  const want = [...Array.from({ length: SHARDS }, (_, k) => [`${ENRICHERS_PATH}/enricher-${k}`, `${DETECTORS_PATH}/detector-${k}`]).flat(), '/detection/floods'];
  return want.every((path) => live.filter((n) => n.system.lookup(path)?.status === 'running').length === 1);
}

after(async () => {
  for (const n of nodes) {
    await n.system.stop().catch(() => {});
    await n.member.close().catch(() => {});
  }
  await coordinator.close();
});

test('three members join, elect one leader, and every shard group runs on exactly one of them, enricher with its detector', async () => {
  const [a, b, c] = [await startMember('n1'), await startMember('n2'), await startMember('n3')];
  const live = [a, b, c];
  // Placement settles in steps (each join moves some groups onto the newcomer): wait for the
  // last one, where every member runs something.
  await waitFor(() => placedEverywhereOnce(live) && live.every((n) => n.member.health().members.length === 3 && n.member.health().owned.length > 0), 'placed on three members', 15_000);
  const leaders = live.map((n) => n.member.health().leader);
  assert.equal(new Set(leaders).size, 1, `one leader seen by all: ${leaders}`);
  assert.equal(live.filter((n) => n.member.health().isLeader).length, 1);
  for (const n of live) {
    const owned = n.member.health().owned;
    assert.ok(owned.length > 0, `${n.id} runs something (${owned})`);
    for (const id of owned.filter((x) => x.startsWith('enricher-'))) assert.ok(owned.includes(id.replace('enricher', 'detector')), `${id} and its detector together on ${n.id}`);
  }
});

test('a message sent by path reaches the owner on another node, and is acknowledged only after the chain behind it ran', async () => {
  const [a] = nodes;
  handled.clear();
  for (let k = 0; k < SHARDS; k++) for (let i = 0; i < 10; i++) a!.system.send(`${ENRICHERS_PATH}/enricher-${k}`, { n: 5, seq: i });
  await waitFor(() => Array.from({ length: SHARDS }, (_, k) => handled.get(`${DETECTORS_PATH}/detector-${k}`) ?? 0).every((v) => v === 50), 'every detector saw its 50 events');
  const remoteShards = Array.from({ length: SHARDS }, (_, k) => k).filter((k) => !a!.system.lookup(`${ENRICHERS_PATH}/enricher-${k}`));
  // Messages here carry no `length`, so each counts as one event.
  await waitFor(() => a!.member.router.counts.handledEvents === remoteShards.length * 10, 'acks for the remote shards').catch((e) => assert.fail(`${e.message}: ${JSON.stringify(a!.member.router.counts)} want ${remoteShards.length * 10}`));
  assert.ok(remoteShards.length > 0, 'some shards are remote from n1');
  assert.equal(a!.system.depth(`${ENRICHERS_PATH}/enricher-${remoteShards[0]}`), 0, 'nothing left in flight');
});

test('a message with a stale epoch is refused and the sender re-resolves it to the right owner', async () => {
  const [a, b] = nodes;
  const path = `${ENRICHERS_PATH}/enricher-0`;
  const owner = nodes.find((n) => n.system.lookup(path))!;
  const route = owner.member.router.routeOf(path)!;
  const outcomes: Outcome[] = [];
  owner.member.router.deliver('x', { path, epoch: route.epoch - 1 }, { n: 1, seq: -1 }, 0, (o) => outcomes.push(o));
  owner.member.router.deliver('x', { path, epoch: route.epoch + 1 }, { n: 1, seq: -1 }, 0, (o) => outcomes.push(o));
  const other = [a!, b!].find((n) => n !== owner)!;
  other.member.router.deliver('x', { path, epoch: route.epoch }, { n: 1, seq: -1 }, 0, (o) => outcomes.push(o));
  assert.deepEqual(outcomes, ['stale', 'early', 'stale']);
  // Through the wire: a sender with an old view sends with the old epoch; the owner refuses,
  // the sender resolves again (its routes are current) and the message is handled once.
  const sender = nodes.find((n) => n !== owner)!;
  const before = handled.get(path) ?? 0;
  const refusedBefore = sender.member.router.counts.refused.stale;
  sender.member.transport.send(owner.id, { path, epoch: route.epoch - 1 }, { n: 7, seq: -2 }, 0, 7);
  await waitFor(() => (handled.get(path) ?? 0) === before + 7, 'handled after re-resolving');
  assert.equal(sender.member.router.counts.refused.stale, refusedBefore + 1);
});

test('a member that dies without leaving: its lease lapses, its shards move to the others, and what was in flight to it is re-sent there', async () => {
  const [a] = nodes;
  const victim = nodes.find((n) => n !== a && n.member.health().owned.some((id) => id.startsWith('enricher-')))!;
  const lost = victim.member.health().owned.filter((id) => id.startsWith('enricher-'));
  // Dies: stops renewing, its transport and actors vanish (no revoke, no graceful handoff).
  victim.member.lease.abandon();
  await victim.member.close();
  await victim.system.stop();
  handled.clear();
  const k = Number(lost[0]!.slice('enricher-'.length));
  const path = `${ENRICHERS_PATH}/enricher-${k}`;
  for (let i = 0; i < 20; i++) a!.system.send(path, { n: 1, seq: i });
  const live = nodes.filter((n) => n !== victim);
  await waitFor(() => placedEverywhereOnce(live), 'the dead member\'s shards run elsewhere', 20_000);
  await waitFor(() => (handled.get(`${DETECTORS_PATH}/detector-${k}`) ?? 0) >= 20, 'the 20 events sent while it was dead were handled by the new owner', 20_000);
  assert.ok(live.every((n) => !n.member.health().members.includes(victim.id)));
  nodes.splice(nodes.indexOf(victim), 1);
});

test('the leader leaves gracefully: another member takes over at once and places its shards', async () => {
  const leader = nodes.find((n) => n.member.health().isLeader)!;
  await leader.member.leave();
  await leader.system.stop();
  await leader.member.close();
  nodes.splice(nodes.indexOf(leader), 1);
  await waitFor(() => nodes.some((n) => n.member.health().isLeader) && placedEverywhereOnce(nodes), 'new leader and placement', 15_000);
  assert.ok(nodes.every((n) => n.member.health().leader !== leader.id));
});

test('restart budgets follow an actor across the cluster: a detector that crashed three times arrives elsewhere with its three restarts', async () => {
  await startMember('n4');
  await waitFor(() => nodes.length === 2 && placedEverywhereOnce(nodes) && nodes.every((n) => n.member.health().owned.length > 0), 'two members placed', 15_000);
  const path = `${DETECTORS_PATH}/detector-0`;
  const owner = nodes.find((n) => n.system.lookup(path))!;
  for (let i = 1; i <= 3; i++) {
    owner.system.crash(path);
    await waitFor(() => owner.system.lookup(path)?.restarts === i && owner.system.lookup(path)?.status === 'running', `restart ${i}`);
  }
  await waitFor(async () => JSON.parse((await coordinator.get('/autoimmune/test/restarts/detector-0'))?.value ?? '{"restarts":0}').restarts === 3, 'three restarts recorded in the coordinator');
  await owner.member.leave();
  await owner.system.stop();
  await owner.member.close();
  nodes.splice(nodes.indexOf(owner), 1);
  const other = nodes[0]!;
  await waitFor(() => other.system.lookup(path)?.status === 'running', 'detector-0 moved');
  assert.equal(other.system.lookup(path)!.restarts, 3, 'it keeps its count: no fresh budget by moving');
  other.system.crash(path);
  await waitFor(() => other.system.lookup(path)?.restarts === 4, 'the next restart counts on from there');
  // A fresh budget would restart at once (the first restart after a calm period has no
  // delay); a carried one backs off as the fourth restart in a row.
  const ev = other.system.lifecycle.recent.filter((e) => e.type === 'restarted' && e.path === path).at(-1)!;
  assert.ok((ev.delayMs ?? 0) > 0, `the backoff went on: delay ${ev.delayMs} ms`);
});

test('a node bound to every interface advertises a host others can connect to', () => {
  assert.equal(advertisedAddress('tcp://0.0.0.0:4567', '10.0.0.5'), 'tcp://10.0.0.5:4567');
  assert.equal(advertisedAddress('tcp://0.0.0.0:9', 'fd00::1'), 'tcp://[fd00::1]:9');
  assert.equal(advertisedAddress('tcp://127.0.0.1:1', undefined), 'tcp://127.0.0.1:1');
});
