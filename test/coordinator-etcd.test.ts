// The etcd Coordinator on real etcd started by the test: keys with revisions, leases that
// expire and are renewed only on request, guarded transactions, watches that resume across
// a member's death without losing or repeating events, bounded failures when no quorum is
// left, and connecting to an etcd that is down or not up yet.

import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import type { WatchEvent } from '../src/cluster/coordinator.ts';
import { connectEtcd, EtcdCoordinator } from '../src/cluster/etcd-coordinator.ts';
import { freePort, startEtcd, startEtcdCluster, type TestEtcd, type TestEtcdCluster } from '../devkit/etcd.ts';
import { waitFor } from '../devkit/wait.ts';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

describe('on one etcd member', () => {
  let etcd: TestEtcd;
  let a: EtcdCoordinator;
  let b: EtcdCoordinator;
  before(async () => {
    etcd = await startEtcd();
    a = await connectEtcd([etcd.endpoint]);
    b = await connectEtcd([etcd.endpoint]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await etcd?.stop();
  });

  test('put, get, list and delete carry etcd revisions', async () => {
    assert.equal(a.kind, 'etcd');
    const r1 = await a.put('/t1/b', 'B');
    const r2 = await a.put('/t1/a', 'A');
    const r3 = await a.put('/t1/b', 'B2');
    await a.put('/t1x', 'outside the prefix');
    assert.ok(r1 < r2 && r2 < r3);
    assert.deepEqual(await b.get('/t1/b'), { key: '/t1/b', value: 'B2', revision: r3, createRevision: r1 });
    assert.equal(await b.get('/t1/none'), undefined);
    const listed = await b.list('/t1/');
    assert.deepEqual(
      listed.items.map((kv) => [kv.key, kv.value, kv.revision, kv.createRevision]),
      [
        ['/t1/a', 'A', r2, r2],
        ['/t1/b', 'B2', r3, r1],
      ],
    );
    assert.ok(listed.revision >= r3 + 1, 'the list revision is the store revision, past the last put');
    assert.equal(await a.delete('/t1/a'), true);
    assert.equal(await a.delete('/t1/a'), false);
    assert.deepEqual((await b.list('/t1/')).items.map((kv) => kv.key), ['/t1/b']);
    const all = await b.list('');
    assert.ok(all.items.some((kv) => kv.key === '/t1x'), 'the empty prefix lists every key');
  });

  test('a lease that is not renewed expires with its keys; renewing it then is refused', async () => {
    const lease = await a.grantLease(1); // raised to etcd's minimum of 2 s
    const renewed = await a.grantLease(2000);
    await a.put('/t2/gone', 'x', { lease });
    await a.put('/t2/kept', 'y', { lease: renewed });
    const kv = await b.get('/t2/gone');
    assert.ok(kv?.lease !== undefined, 'the key carries its lease');
    assert.equal((await a.get('/t2/gone'))?.lease, lease, 'the lease reads back as the handle it was granted as');
    // Renew one lease while the other runs out.
    let renewals = 0;
    await waitFor(async () => {
      await a.keepAlive(renewed);
      renewals++;
      return (await b.get('/t2/gone')) === undefined;
    }, 'the unrenewed lease expires and etcd deletes its key');
    assert.ok(renewals > 0);
    assert.equal((await b.get('/t2/kept'))?.value, 'y', 'the renewed lease still holds its key');
    await assert.rejects(a.keepAlive(lease), code('AI_ERR_LEASE_EXPIRED'));
    await assert.rejects(a.put('/t2/late', 'z', { lease }), code('AI_ERR_LEASE_EXPIRED'));
    await a.revoke(renewed);
  });

  test('revoke deletes the keys of a lease at once; the lease is gone after', async () => {
    const lease = await a.grantLease(60_000);
    await a.put('/t3/k1', '1', { lease });
    await a.put('/t3/k2', '2', { lease });
    assert.equal((await b.list('/t3/')).items.length, 2);
    await a.revoke(lease);
    assert.equal((await b.list('/t3/')).items.length, 0);
    await assert.rejects(a.keepAlive(lease), code('AI_ERR_LEASE_EXPIRED'));
    await a.revoke(lease); // again: nothing to do
  });

  test('createIfAbsent: of two clients racing for the same keys exactly one wins each', async () => {
    const la = await a.grantLease(30_000);
    const lb = await b.grantLease(30_000);
    for (let i = 0; i < 20; i++) {
      const key = `/t4/leader-${i}`;
      const [ra, rb] = await Promise.all([a.createIfAbsent(key, 'a', { lease: la }), b.createIfAbsent(key, 'b', { lease: lb })]);
      assert.equal(Number(ra.created) + Number(rb.created), 1, `exactly one creates ${key}`);
      const winner = ra.created ? 'a' : 'b';
      assert.equal(ra.current.value, winner);
      assert.equal(rb.current.value, winner);
      assert.equal(ra.current.revision, rb.current.revision);
      assert.equal(ra.current.createRevision, ra.current.revision);
      // Each side sees the holder's lease: its own handle if it won, another if it lost.
      assert.equal(ra.current.lease === la, winner === 'a');
      assert.equal(rb.current.lease === lb, winner === 'b');
    }
    // The holder asking again under the same lease holds it still; another value does not.
    const first = await a.get('/t4/leader-0');
    const mine = first!.value === 'a' ? a : b;
    const lease = first!.value === 'a' ? la : lb;
    assert.equal((await mine.createIfAbsent('/t4/leader-0', first!.value, { lease })).created, true);
    assert.equal((await mine.createIfAbsent('/t4/leader-0', 'other')).created, false);
    await a.revoke(la);
    await b.revoke(lb);
    assert.equal((await a.createIfAbsent('/t4/free', 'v')).created, true);
  });

  test('commitIf applies all ops in one revision when the guard holds, none when it does not', async () => {
    await a.put('/t5/leader', 'epoch-1');
    await a.put('/t5/old', 'o');
    const lease = await a.grantLease(30_000);
    const rev = await a.commitIf({ key: '/t5/leader', value: 'epoch-1' }, [
      { type: 'put', key: '/t5/x', value: 'X', lease },
      { type: 'put', key: '/t5/y', value: 'Y' },
      { type: 'delete', key: '/t5/old' },
    ]);
    assert.ok(rev !== undefined);
    const x = await b.get('/t5/x');
    assert.equal(x?.revision, rev);
    assert.equal((await b.get('/t5/y'))?.revision, rev);
    assert.equal(await b.get('/t5/old'), undefined);
    assert.equal((await a.get('/t5/x'))?.lease, lease);

    await b.put('/t5/leader', 'epoch-2');
    const before = await b.list('/t5/');
    assert.equal(await a.commitIf({ key: '/t5/leader', value: 'epoch-1' }, [{ type: 'put', key: '/t5/x', value: 'late' }]), undefined);
    assert.equal(await a.commitIf({ key: '/t5/missing', value: 'epoch-1' }, [{ type: 'delete', key: '/t5/y' }]), undefined);
    const afterFail = await b.list('/t5/');
    assert.deepEqual(afterFail.items, before.items, 'a failed guard changes nothing');
    await a.revoke(lease);
    assert.equal(await b.get('/t5/x'), undefined, 'the put under the lease went with it');
  });

  test('watch delivers the changes after a revision in order; a compacted revision calls onCompacted once', async () => {
    const r0 = await a.put('/t6/before', '0');
    await a.put('/t6/k1', '1');
    await a.put('/t7/other', 'not watched');
    await a.put('/t6/k2', '2');
    await a.delete('/t6/k1');
    const txn = await a.commitIf({ key: '/t6/k2', value: '2' }, [
      { type: 'put', key: '/t6/k3', value: '3' },
      { type: 'put', key: '/t6/k4', value: '4' },
    ]);
    const events: WatchEvent[] = [];
    const stop = b.watch('/t6/', r0, (ev) => events.push(ev), () => assert.fail('not compacted'));
    await waitFor(() => events.length >= 5, 'the replay of past changes');
    const live = await a.put('/t6/k5', '5');
    await waitFor(() => events.length >= 6, 'a live change');
    assert.deepEqual(
      events.map((e) => [e.type, e.key, e.value]),
      [
        ['put', '/t6/k1', '1'],
        ['put', '/t6/k2', '2'],
        ['delete', '/t6/k1', undefined],
        ['put', '/t6/k3', '3'],
        ['put', '/t6/k4', '4'],
        ['put', '/t6/k5', '5'],
      ],
    );
    assert.equal(events[3].revision, txn);
    assert.equal(events[4].revision, txn);
    assert.equal(events[5].revision, live);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].revision >= events[i - 1].revision);
    stop();
    await a.put('/t6/k6', 'after stop');
    const check = await a.list('/t6/');
    // After stop nothing more is delivered: watch again from the check's revision and see the next put only.
    const later: WatchEvent[] = [];
    const stop2 = b.watch('/t6/', check.revision, (ev) => later.push(ev));
    const r7 = await a.put('/t6/k7', '7');
    await waitFor(() => later.length >= 1, 'a watch from the list revision');
    assert.equal(events.length, 6, 'a stopped watch delivers nothing');
    assert.deepEqual(later.map((e) => [e.key, e.revision]), [['/t6/k7', r7]]);
    stop2();

    await a.client.kv.compact({ revision: r7, physical: true });
    let compacted = 0;
    const old: WatchEvent[] = [];
    b.watch('/t6/', r0, (ev) => old.push(ev), () => compacted++);
    await waitFor(() => compacted > 0, 'onCompacted for a compacted revision');
    await a.put('/t6/k8', '8');
    const probe: WatchEvent[] = [];
    const stop3 = b.watch('/t6/', r7, (ev) => probe.push(ev));
    await waitFor(() => probe.length >= 1, 'a watch from the compaction revision works');
    stop3();
    assert.equal(compacted, 1);
    assert.deepEqual(old, [], 'a compacted watch delivers no events');
  });

  test('a closed coordinator refuses calls; endpoints that are not http(s) URLs are refused by name', async () => {
    const c = await connectEtcd([etcd.endpoint]);
    await c.close();
    await assert.rejects(c.put('/t8', 'x'), code('AI_ERR_COORDINATOR_CLOSED'));
    await assert.rejects(connectEtcd(['127.0.0.1:2379']), (e: Error) => code('AI_ERR_CONFIG')(e) && e.message.includes('"127.0.0.1:2379"'));
    await assert.rejects(connectEtcd([etcd.endpoint, 'ftp://h:1']), (e: Error) => code('AI_ERR_CONFIG')(e) && e.message.includes('ftp://h:1'));
    await assert.rejects(connectEtcd(['http://127.0.0.1']), (e: Error) => code('AI_ERR_CONFIG')(e) && e.message.includes('with a port'));
    await assert.rejects(connectEtcd([]), code('AI_ERR_CONFIG'));
  });
});

describe('on a three-member cluster', () => {
  let cluster: TestEtcdCluster;
  let c: EtcdCoordinator;
  before(async () => {
    cluster = await startEtcdCluster(3);
    // Killing the leader leaves the cluster without one until the others elect a new leader
    // (one to two election timeouts of 1 s): a deadline past that lets a put wait it out.
    c = await connectEtcd(cluster.endpoints, { callTimeoutMs: 8000 });
  });
  after(async () => {
    await c?.close();
    await cluster?.stop();
  });

  test('with any one member killed, puts, lists and a running watch go on; nothing is lost or repeated', async (t) => {
    const start = (await c.list('/m/')).revision;
    const seen: WatchEvent[] = [];
    const stop = c.watch('/m/', start, (ev) => seen.push(ev), () => assert.fail('not compacted'));
    const written: Array<[string, number]> = [];
    const write = async (n: number, tag: string) => {
      for (let i = 0; i < n; i++) {
        const key = `/m/${tag}-${i}`;
        written.push([key, await c.put(key, tag)]);
      }
    };
    const upTo = (events: WatchEvent[], revision: number) => (events.at(-1)?.revision ?? 0) >= revision;
    await write(3, 'before');
    // Each member in turn, so whichever serves the watch is killed under it once.
    for (const m of cluster.members) {
      await m.kill();
      const t0 = Date.now();
      await write(5, `without-${m.name}`);
      t.diagnostic(`5 puts with ${m.name} killed took ${Date.now() - t0} ms`);
      const listed = await c.list(`/m/without-${m.name}`);
      assert.deepEqual(listed.items.map((kv) => kv.key), [0, 1, 2, 3, 4].map((i) => `/m/without-${m.name}-${i}`));
      await waitFor(() => upTo(seen, written.at(-1)![1]), `the watch sees the puts made while ${m.name} is down`);
      await m.restart();
    }
    await write(2, 'after');
    const last = written.at(-1)![1];
    await waitFor(() => upTo(seen, last), 'the watch sees the puts after the restarts');
    stop();
    // A put whose answer was lost with the leader is sent again and may be applied twice, so
    // the truth to compare with is etcd's history: the same watch replayed on a healthy cluster.
    const replay: WatchEvent[] = [];
    const stopReplay = c.watch('/m/', start, (ev) => replay.push(ev));
    await waitFor(() => upTo(replay, last), 'the replay');
    stopReplay();
    assert.deepEqual(seen, replay.filter((e) => e.revision <= seen.at(-1)!.revision), 'every change once, in order');
    for (const [key, revision] of written) assert.ok(seen.some((e) => e.key === key && e.revision === revision), `${key}@${revision} seen`);
  });

  test('a watch whose member is killed opens its next stream on another member first', async () => {
    // Before, the next stream went to a member drawn at random, the dead one included, with
    // a growing pause after each failure: the chaos run saw firewalls lack a new ban for 6 s.
    for (let round = 0; round < 3; round++) {
      const start = (await c.list('/k/')).revision;
      const seen: string[] = [];
      const stop = c.watch('/k/', start, (ev) => seen.push(ev.key));
      await c.put(`/k/${round}-a`, 'x');
      await waitFor(() => seen.includes(`/k/${round}-a`), 'the first put');
      const streams = c.watchStreams().at(-1)!;
      const serving = streams.at(-1)!;
      const member = cluster.members.find((m) => m.endpoint.endsWith(serving))!;
      assert.ok(member, `the watch is on ${serving}, one of ${cluster.endpoints.join(', ')}`);
      const before = streams.length;
      await member.kill();
      await c.put(`/k/${round}-b`, 'x');
      await waitFor(() => seen.includes(`/k/${round}-b`), `the put made with ${member.name} killed`);
      const after = c.watchStreams().at(-1)!;
      assert.ok(after.length > before, 'the watch opened a new stream');
      assert.notEqual(after[before], serving, `the first stream after the kill went to ${after[before]}, not to the killed ${serving}`);
      stop();
      await member.restart();
    }
  });

  test('with two of three members down a call fails with the timeout error instead of hanging', async () => {
    const d = await connectEtcd(cluster.endpoints, { callTimeoutMs: 1000 });
    try {
      await cluster.members[0].kill();
      await cluster.members[1].kill();
      await assert.rejects(d.put('/q/x', 'no quorum'), (e: Error) => code('AI_ERR_COORDINATOR_TIMEOUT')(e) && e.message.includes('put') && e.message.includes('/q/x'));
      await assert.rejects(d.list('/q/'), code('AI_ERR_COORDINATOR_TIMEOUT'));
      await Promise.all([cluster.members[0].restart(), cluster.members[1].restart()]);
      await c.put('/q/x', 'quorum again');
      assert.equal((await d.get('/q/x'))?.value, 'quorum again');
    } finally {
      await d.close();
    }
  });
});

describe('connectEtcd', () => {
  test('an etcd that is not there: retries, tells onRetry, then names the endpoint and what to do', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const retries: Array<[number, string]> = [];
    await assert.rejects(
      connectEtcd([endpoint], { callTimeoutMs: 300, retryForMs: 1200, onRetry: (n, e) => retries.push([n, e.message]) }),
      (e: Error) =>
        code('AI_ERR_COORDINATOR_UNAVAILABLE')(e) && e.message.includes(endpoint) && e.message.includes('embedded coordinator') && e.message.includes('etcd running'),
    );
    assert.ok(retries.length >= 1);
    assert.equal(retries[0][0], 1);
    assert.match(retries[0][1], new RegExp(`etcd at ${endpoint} is not reachable .*; retrying in 0.5 s`));
  });

  test('an etcd that comes up after the node: connects once it answers', async () => {
    const port = await freePort();
    const retries: number[] = [];
    const connecting = connectEtcd([`http://127.0.0.1:${port}`], { callTimeoutMs: 500, onRetry: (n) => retries.push(n) });
    let etcd: TestEtcd | undefined;
    const starting = new Promise<void>((resolve, reject) =>
      setTimeout(() => startEtcd({ clientPort: port }).then((e) => { etcd = e; resolve(); }, reject), 1500),
    );
    try {
      const c = await connecting;
      await starting;
      assert.ok(retries.length >= 1, 'it retried while etcd was down');
      const rev = await c.put('/late', 'ok');
      assert.equal((await c.get('/late'))?.revision, rev);
      await c.close();
    } finally {
      await starting.catch(() => {});
      await etcd?.stop();
    }
  });
});
