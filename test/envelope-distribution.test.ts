// Envelope keys through the coordinator: every node's ring follows the key prefix, only the
// leader rotates (fenced on the leadership key), and through rotations a frame sealed on any
// node opens on every other while it is young enough to be in flight. On the embedded
// coordinator with a manual wall clock, and once on a real etcd.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Coordinator, TxnOp, WatchEvent } from '../src/cluster/coordinator.ts';
import { LeaderElection } from '../src/cluster/election.ts';
import { EmbeddedCoordinator } from '../src/cluster/embedded-coordinator.ts';
import { type EnvelopeKey, createKey, decodeKey, encodeKey } from '../src/remote/envelope/envelope-key.ts';
import { EnvelopeKeyError, EnvelopeNoKeyError, EnvelopeUnknownKeyError } from '../src/remote/envelope/errors.ts';
import { KeyDistribution, type KeyDistributionOptions } from '../src/remote/envelope/key-distribution.ts';
import { KeyRing } from '../src/remote/envelope/key-ring.ts';
import { connectEtcd } from '../src/cluster/etcd-coordinator.ts';
import { keyName, keys } from '../src/cluster/keys.ts';
import { ConfigError } from '../src/errors.ts';
import { EtcdValues } from '../src/cluster/etcd-values.ts';
import { ManualClock } from '../src/util/clock.ts';
import { startEtcd } from '../devkit/etcd.ts';
import { uniform } from '../devkit/prng.ts';
import { waitFor } from '../devkit/wait.ts';

const ROTATION = { rotateEveryMs: 1000, activateAfterMs: 100, maxMessageAgeMs: 300 };
const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

interface Node {
  id: string;
  ring: KeyRing;
  dist: KeyDistribution;
  errors: unknown[];
}

function makeNode(
  id: string,
  coordinator: Coordinator,
  cluster: string,
  now: () => number,
  leaderGuard: KeyDistributionOptions['leaderGuard'],
  extra: Partial<KeyDistributionOptions> = {},
): Node {
  const ring = new KeyRing([], { now });
  const errors: unknown[] = [];
  // The leader's timer is kept out of the way: these tests tick by hand at chosen times.
  const dist = new KeyDistribution({ coordinator, cluster, ring, leaderGuard, ...ROTATION, checkEveryMs: HOUR, now, onError: (e) => errors.push(e), ...extra });
  return { id, ring, dist, errors };
}

async function storedIds(coordinator: Coordinator, cluster: string): Promise<string[]> {
  const prefix = keys.envelopeKeys(cluster);
  return (await coordinator.list(prefix)).items.map((kv) => keyName(prefix, kv.key)).sort();
}

/** Waits until every node's ring holds exactly the stored key set; returns it. */
async function converge(nodes: readonly Node[], coordinator: Coordinator, cluster: string): Promise<string[]> {
  const stored = await storedIds(coordinator, cluster);
  await waitFor(() => nodes.every((n) => n.ring.keyIds().sort().join() === stored.join()), `every ring holds ${stored.join(', ')}`);
  return stored;
}

const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => Buffer.from(b).toString();
const frameKeyId = (f: Uint8Array) => Buffer.from(f.subarray(2, 2 + f[1]!)).toString('latin1');

test('three nodes with a real election converge on one key set; through rotations and a change of leader every young frame opens everywhere', async () => {
  const coordinator = new EmbeddedCoordinator(new ManualClock());
  const cluster = 'rot';
  let now = T0;
  const clock = () => now;
  const nodes: (Node & { election: LeaderElection })[] = [];
  for (const id of ['a', 'b', 'c']) {
    let node: Node | undefined;
    const election = new LeaderElection(
      coordinator,
      keys.leader(cluster),
      id,
      (_leader, me) => {
        if (me) node?.dist.tick().catch((e) => node!.errors.push(e));
      },
      (e) => node?.errors.push(e),
      new EtcdValues(cluster, { notice: (l) => node?.errors.push(new Error(l)) }),
    );
    node = makeNode(id, coordinator, cluster, clock, () => election.guard());
    nodes.push({ ...node, election });
  }
  for (const n of nodes) {
    await n.election.start();
    await n.dist.start();
  }
  for (const n of nodes) await n.election.campaign(await coordinator.grantLease(HOUR));
  const leader = () => {
    const ls = nodes.filter((n) => n.election.isLeader);
    assert.equal(ls.length, 1, 'exactly one leader');
    return ls[0]!;
  };
  const first = leader();
  await first.dist.tick();

  // The first key is on every ring but nobody seals with it before it activates.
  const [firstId] = await converge(nodes, coordinator, cluster);
  assert.ok(firstId, 'the leader made the first key');
  for (const n of nodes) assert.throws(() => n.ring.seal(text('early')), EnvelopeNoKeyError);
  now += ROTATION.activateAfterMs;

  const rand = uniform(20240607);
  const frames: { sealedAt: number; frame: Uint8Array; body: string }[] = [];
  const everStored = new Set<string>([firstId]);
  let second: (typeof nodes)[number] | undefined;
  let checkedYoung = 0;
  let checkedRetired = 0;
  for (let step = 0; step < 120; step++) {
    await leader().dist.tick();
    const stored = await converge(nodes, coordinator, cluster);
    for (const id of stored) everStored.add(id);
    assert.ok(stored.length <= 3, `at most the current, the next and the last key are kept, got ${stored.join(', ')}`);

    // Every node seals with the same current key (same clock) and opens what every other sealed.
    const current = nodes[0]!.ring.currentKeyId();
    assert.ok(current !== undefined && stored.includes(current), `the current key ${current} is a stored one`);
    for (const n of nodes) {
      assert.equal(n.ring.currentKeyId(), current);
      const body = `${n.id}@${now}`;
      frames.push({ sealedAt: now, frame: n.ring.seal(text(body)), body });
    }
    for (const f of frames) {
      const age = now - f.sealedAt;
      if (age <= ROTATION.maxMessageAgeMs) {
        for (const n of nodes) assert.equal(read(n.ring.open(f.frame)), f.body, `${f.body} (age ${age} ms) opens on ${n.id}`);
        checkedYoung++;
      } else if (!stored.includes(frameKeyId(f.frame))) {
        // Its key was retired: deleted from the coordinator and so from every ring.
        for (const n of nodes) assert.throws(() => n.ring.open(f.frame), EnvelopeUnknownKeyError);
        checkedRetired++;
      }
    }
    while (frames.length > 0 && now - frames[0]!.sealedAt > 2000) frames.shift();

    if (step === 60) {
      // The leader leaves: the keys outlive it, and the new leader's first tick at the same
      // moment has nothing to do (no second key made for a rotation that is not due).
      const old = leader();
      await old.election.resign();
      await waitFor(() => nodes.some((n) => n !== old && n.election.isLeader), 'another node is elected');
      second = leader();
      await second.dist.tick();
      await old.dist.tick();
      assert.deepEqual(await storedIds(coordinator, cluster), stored);
    }
    now += 1 + Math.floor(rand() * 400);
  }

  assert.ok(second && second !== first, 'another node took over');
  assert.ok(first.dist.rotations > 2 && second.dist.rotations > 2, `both leaders rotated: ${first.dist.rotations} and ${second.dist.rotations}`);
  const stored = await storedIds(coordinator, cluster);
  const rotations = nodes.reduce((s, n) => s + n.dist.rotations, 0);
  const retired = nodes.reduce((s, n) => s + n.dist.retired, 0);
  // The first key counts as a rotation too; the counters agree with what the store saw.
  assert.equal(rotations, everStored.size);
  assert.equal(retired, everStored.size - stored.length);
  assert.ok(checkedYoung > 0 && checkedRetired > 0, `frames checked: ${checkedYoung} young, ${checkedRetired} under retired keys`);
  for (const n of nodes) assert.deepEqual(n.errors, []);
  for (const n of nodes) {
    n.dist.close();
    n.election.close();
  }
  await coordinator.close();
});

/** Records each fenced commit; can hold watch events back, as a slow watch would. */
class TestCoordinator extends EmbeddedCoordinator {
  readonly commits: { ops: TxnOp[]; revision: number | undefined }[] = [];
  lagging = false;
  private readonly held: (() => void)[] = [];
  override async commitIf(guard: { key: string; value: string }, ops: TxnOp[]): Promise<number | undefined> {
    const revision = await super.commitIf(guard, ops);
    this.commits.push({ ops, revision });
    return revision;
  }
  override watch(prefix: string, fromRevision: number, onEvent: (ev: WatchEvent) => void, onCompacted?: () => void): () => void {
    return super.watch(prefix, fromRevision, (ev) => (this.lagging ? this.held.push(() => onEvent(ev)) : onEvent(ev)), onCompacted);
  }
  catchUp(): void {
    this.lagging = false;
    for (const deliver of this.held.splice(0)) deliver();
  }
}

test('a new leader with an empty prefix makes the first key, which seals only once activateAfterMs has passed; a non-leader writes nothing', async () => {
  const coordinator = new TestCoordinator(new ManualClock());
  const cluster = 'first';
  const leaderKey = keys.leader(cluster);
  await coordinator.put(leaderKey, 'a#1');
  let now = T0;
  let aLeads = false;
  const a = makeNode('a', coordinator, cluster, () => now, () => (aLeads ? { key: leaderKey, value: 'a#1' } : undefined));
  const b = makeNode('b', coordinator, cluster, () => now, () => undefined);
  await a.dist.start();
  await b.dist.start();

  const storeRevision = async () => (await coordinator.list('')).revision;
  const r0 = await storeRevision();
  await a.dist.tick();
  await b.dist.tick();
  assert.equal(await storeRevision(), r0, 'no node leads yet: nothing is written');
  assert.equal(coordinator.commits.length, 0, 'nor tried');
  assert.deepEqual(a.ring.keyIds(), []);

  aLeads = true;
  await a.dist.tick();
  const prefix = keys.envelopeKeys(cluster);
  const { items } = await coordinator.list(prefix);
  assert.equal(items.length, 1);
  assert.equal(items[0]!.lease, undefined, 'keys carry no lease: they outlive the leader');
  const k = decodeKey(items[0]!.value);
  assert.equal(items[0]!.key, prefix + k.id);
  assert.equal(k.createdAt, T0);
  assert.equal(k.activatesAt, T0 + ROTATION.activateAfterMs);
  assert.equal(a.dist.rotations, 1);
  await converge([a, b], coordinator, cluster);

  now = k.activatesAt - 1;
  for (const n of [a, b]) assert.throws(() => n.ring.seal(text('x')), EnvelopeNoKeyError);
  now = k.activatesAt;
  assert.equal(read(b.ring.open(a.ring.seal(text('first key')))), 'first key');

  // A rotation is due: the non-leader still writes nothing, the leader writes it once.
  now += ROTATION.rotateEveryMs;
  const r1 = await storeRevision();
  await b.dist.tick();
  assert.equal(await storeRevision(), r1);
  assert.equal(b.dist.rotations, 0);
  assert.equal(coordinator.commits.length, 1, 'only the leader has tried to write');
  // Ticks at once, and a tick before the leader's own watch has delivered its write: one key.
  coordinator.lagging = true;
  await Promise.all([a.dist.tick(), a.dist.tick(), a.dist.tick()]);
  await a.dist.tick();
  assert.equal(a.ring.keyIds().length, 1, 'the watch is held back');
  coordinator.catchUp();
  assert.equal((await storedIds(coordinator, cluster)).length, 2, 'one rotation, not one per tick');
  assert.equal(a.dist.rotations, 2);
  await converge([a, b], coordinator, cluster);
  assert.deepEqual([...a.errors, ...b.errors], []);
  a.dist.close();
  b.dist.close();
  await coordinator.close();
});

test('a leader whose guard no longer holds writes nothing; with the current guard one commit retires and creates', async () => {
  const coordinator = new TestCoordinator(new ManualClock());
  const cluster = 'fence';
  const leaderKey = keys.leader(cluster);
  const prefix = keys.envelopeKeys(cluster);
  const now = T0;
  const old = createKey(T0 - 6000, T0 - 5000);
  const cur = createKey(T0 - 3000, T0 - 2000);
  for (const k of [old, cur]) await coordinator.put(prefix + k.id, encodeKey(k));
  // Leadership has moved on (another node's value under the key) while this node still holds the old guard.
  await coordinator.put(leaderKey, 'b#2');
  let believed = 'a#1';
  const a = makeNode('a', coordinator, cluster, () => now, () => ({ key: leaderKey, value: believed }));
  const r0 = (await coordinator.list('')).revision;
  await a.dist.start();
  await a.dist.tick();
  assert.equal((await coordinator.list('')).revision, r0, 'the refused commit changed nothing');
  assert.deepEqual(await storedIds(coordinator, cluster), [old.id, cur.id].sort());
  assert.equal(a.dist.rotations, 0);
  assert.equal(a.dist.retired, 0);
  assert.ok(coordinator.commits.length > 0 && coordinator.commits.every((c) => c.revision === undefined), 'it tried, and was refused');
  coordinator.commits.length = 0;

  // With the guard that holds, the due retirement and the new key go in together.
  believed = 'b#2';
  await a.dist.tick();
  const stored = await storedIds(coordinator, cluster);
  assert.equal(stored.length, 2);
  assert.ok(stored.includes(cur.id) && !stored.includes(old.id), `the current key stays, the old one goes: ${stored.join(', ')}`);
  assert.equal(a.dist.rotations, 1);
  assert.equal(a.dist.retired, 1);
  assert.equal(coordinator.commits.length, 1);
  assert.deepEqual(
    coordinator.commits[0]!.ops.map((op) => [op.type, op.key]),
    [
      ['delete', prefix + old.id],
      ['put', prefix + stored.find((id) => id !== cur.id)],
    ],
  );
  await converge([a], coordinator, cluster);
  assert.deepEqual(a.errors, []);
  a.dist.close();
  await coordinator.close();
});

test('a malformed stored key is skipped and reported once per revision, without key material; the others reach the ring and the leader carries on', async () => {
  const coordinator = new EmbeddedCoordinator(new ManualClock());
  const cluster = 'bad';
  const leaderKey = keys.leader(cluster);
  const prefix = keys.envelopeKeys(cluster);
  let now = T0;
  const good = createKey(T0 - 100, T0 - 50);
  const misplaced: EnvelopeKey = createKey(T0 - 100, T0 - 50);
  await coordinator.put(prefix + good.id, encodeKey(good));
  await coordinator.put(`${prefix}not-json`, '{"id": "not-json", "key": ');
  await coordinator.put(`${prefix}elsewhere`, encodeKey(misplaced));
  await coordinator.put(leaderKey, 'a#1');
  const a = makeNode('a', coordinator, cluster, () => now, () => ({ key: leaderKey, value: 'a#1' }));
  const b = makeNode('b', coordinator, cluster, () => now, () => undefined);
  await a.dist.start();
  await b.dist.start();
  await a.dist.tick();

  for (const n of [a, b]) {
    assert.deepEqual(n.ring.keyIds(), [good.id], `${n.id} holds only the well-formed key`);
    assert.equal(n.errors.length, 2, `${n.id}: ${n.errors.map(String).join('; ')}`);
    const [e1, e2] = n.errors as EnvelopeKeyError[];
    assert.ok(e1 instanceof EnvelopeKeyError && e2 instanceof EnvelopeKeyError, 'reported as EnvelopeKeyError');
    const messages = n.errors.map((e) => (e as Error).message).join('\n');
    assert.match(messages, new RegExp(`${prefix}not-json: .*not JSON`));
    assert.match(messages, new RegExp(`${prefix}elsewhere: it holds key id "${misplaced.id}"`));
    assert.ok(!messages.includes(misplaced.key.toString('base64')), 'the key material is not in the message');
  }

  // Other changes under the prefix do not report the same values again; a new revision of a bad one does.
  now += ROTATION.rotateEveryMs;
  await a.dist.tick();
  await waitFor(() => b.ring.keyIds().length === 2, 'the new key reaches b');
  assert.equal(a.dist.rotations, 1, 'the leader rotated on the good key');
  assert.equal(b.errors.length, 2);
  await coordinator.put(`${prefix}not-json`, 'still not json');
  assert.equal(b.errors.length, 3);
  assert.ok(await coordinator.get(`${prefix}elsewhere`), 'the leader does not delete what it cannot read');
  await coordinator.delete(`${prefix}not-json`);
  assert.equal(b.errors.length, 3);
  a.dist.close();
  b.dist.close();
  await coordinator.close();
});

test("the leader's timer runs the plan unasked; closed, nothing more is written; bad settings fail at construction", async () => {
  const coordinator = new EmbeddedCoordinator(new ManualClock());
  const cluster = 'timer';
  const leaderKey = keys.leader(cluster);
  await coordinator.put(leaderKey, 'a#1');
  let leads = false;
  const a = makeNode('a', coordinator, cluster, () => T0, () => (leads ? { key: leaderKey, value: 'a#1' } : undefined), { checkEveryMs: 5 });
  await a.dist.start();
  leads = true; // nobody calls tick: only the timer can make the first key
  await waitFor(() => a.dist.rotations === 1, 'the timer makes the first key');
  assert.equal((await storedIds(coordinator, cluster)).length, 1);
  a.dist.close();
  const r0 = (await coordinator.list('')).revision;
  await coordinator.delete(keys.envelopeKeys(cluster) + (await storedIds(coordinator, cluster))[0]);
  await a.dist.tick();
  assert.deepEqual(await storedIds(coordinator, cluster), [], 'a closed distribution writes nothing');
  assert.equal((await coordinator.list('')).revision, r0 + 1);

  const ring = new KeyRing();
  const base = { coordinator, cluster, ring, leaderGuard: () => undefined, ...ROTATION };
  assert.throws(() => new KeyDistribution({ ...base, rotateEveryMs: 0 }), (e: unknown) => e instanceof ConfigError && /rotateEveryMs 0/.test(e.message));
  assert.throws(() => new KeyDistribution({ ...base, checkEveryMs: -1 }), (e: unknown) => e instanceof ConfigError && /checkEveryMs -1/.test(e.message));
  await coordinator.close();
});

test('on a real etcd, two nodes converge on the key set and a rotation reaches both', async (t) => {
  const etcd = await startEtcd();
  t.after(() => etcd.stop());
  const ca = await connectEtcd([etcd.endpoint]);
  const cb = await connectEtcd([etcd.endpoint]);
  t.after(async () => {
    await ca.close();
    await cb.close();
  });
  const cluster = 'etcd';
  const leaderKey = keys.leader(cluster);
  await ca.put(leaderKey, 'a#1');
  let now = T0;
  const a = makeNode('a', ca, cluster, () => now, () => ({ key: leaderKey, value: 'a#1' }));
  const b = makeNode('b', cb, cluster, () => now, () => undefined);
  t.after(() => {
    a.dist.close();
    b.dist.close();
  });
  await a.dist.start();
  await b.dist.start();
  await a.dist.tick();
  const [first] = await converge([a, b], ca, cluster);
  now += ROTATION.activateAfterMs;
  const underFirst = b.ring.seal(text('from b'));
  assert.equal(read(a.ring.open(underFirst)), 'from b');

  now += ROTATION.rotateEveryMs;
  await a.dist.tick();
  const both = await converge([a, b], ca, cluster);
  assert.equal(both.length, 2);
  now += ROTATION.activateAfterMs;
  const second = a.ring.currentKeyId();
  assert.ok(second !== undefined && second !== first && b.ring.currentKeyId() === second, `both seal with the new key ${second}`);
  assert.equal(read(b.ring.open(a.ring.seal(text('from a')))), 'from a');
  assert.equal(read(a.ring.open(underFirst)), 'from b', 'a frame under the replaced key still opens');

  now += ROTATION.maxMessageAgeMs;
  await a.dist.tick();
  assert.deepEqual(await converge([a, b], cb, cluster), [second]);
  assert.throws(() => b.ring.open(underFirst), EnvelopeUnknownKeyError);
  assert.equal(a.dist.retired, 1);
  assert.deepEqual([...a.errors, ...b.errors], []);
});
