// The transport between nodes: delivery, outcomes, retransmission and dedupe, orphans on
// departure, priority shedding and alarms. Real sockets on 127.0.0.1; waits are hang guards.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { dest, meshPeers, startNode, type TestNode } from './fixtures/transport-harness.ts';
import { settle, waitFor } from '../devkit/wait.ts';
import type { Sealer } from '../src/remote/transport/types.ts';

const open: TestNode[] = [];
async function node(id: string, opts: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, opts);
  open.push(n);
  return n;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.t.close()));
});

test('messages travel between two transports with destination, priority and sender', async () => {
  const a = await node('A');
  const b = await node('B');
  meshPeers([a, b]);
  const batch = Array.from({ length: 256 }, (_, i) => ({ ts: i / 1000, src: `10.0.0.${i}`, dport: 443 }));
  assert.equal(a.t.send('B', dest('/user/enricher-1', 7), batch, 3, 256), 'queued');
  assert.equal(a.t.send('B', dest('/user/detector-2', 9), { alert: 1 }, 5), 'queued');
  assert.equal(b.t.send('A', dest('/user/firewall', 2), 'ban 10.0.0.9', 9), 'queued', 'and back the other way');
  await waitFor(() => a.t.outstanding('B') === 0 && b.t.outstanding('A') === 0, 'both directions answered');
  // Queued in the same tick, so in one frame, the higher priority first.
  assert.deepEqual(b.delivered.map((d) => [d.from, d.to, d.priority]), [['A', dest('/user/detector-2', 9), 5], ['A', dest('/user/enricher-1', 7), 3]]);
  assert.deepEqual(b.delivered[1]!.msg, batch);
  assert.deepEqual(a.delivered.map((d) => [d.from, d.msg]), [['B', 'ban 10.0.0.9']]);
  assert.deepEqual(a.settled.map((s) => [s.p.seq, s.outcome, s.p.attempts]).sort(), [[1, 'handled', 1], [2, 'handled', 1]]);
  const sa = a.t.stats();
  const sb = b.t.stats();
  assert.equal(sa.sent, 2);
  assert.equal(sa.sentEvents, 257);
  assert.equal(sb.received, 2);
  assert.equal(sb.receivedEvents, 257);
  assert.equal(sa.outstanding, 0);
  assert.equal(a.t.send('Z', dest(), 1, 0), 'unknown-peer');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => a.t.send('B', dest(), cyclic, 1), { code: 'AI_ERR_TRANSPORT_MESSAGE' });
  assert.equal(a.t.outstanding('B'), 0, 'nothing was queued');
});

test('many messages sent in one tick all arrive, each once', async () => {
  const a = await node('A', { highWater: 4096 });
  const b = await node('B');
  meshPeers([a, b]);
  for (let i = 0; i < 3000; i++) assert.equal(a.t.send('B', dest(), i, 1), 'queued');
  await waitFor(() => a.t.outstanding('B') === 0, 'all answered');
  assert.deepEqual(b.delivered.map((d) => d.msg), Array.from({ length: 3000 }, (_, i) => i));
  assert.equal(b.t.stats().duplicates, 0);
});

test('refusals reach onRefused with the message; handled and dropped settle it', async () => {
  const a = await node('A');
  const b = await node('B');
  meshPeers([a, b]);
  b.answer = (d) => d.msg as 'handled' | 'stale' | 'early' | 'rejected' | 'dropped';
  for (const o of ['handled', 'stale', 'early', 'rejected', 'dropped']) a.t.send('B', dest('/user/x', 4), o, 1, 10);
  await waitFor(() => a.t.outstanding('B') === 0, 'all five answered');
  assert.deepEqual(a.refused.map((r) => [r.outcome, r.p.msg, r.p.to.epoch, r.p.peer]), [['stale', 'stale', 4, 'B'], ['early', 'early', 4, 'B'], ['rejected', 'rejected', 4, 'B']]);
  assert.deepEqual(a.settled.map((s) => [s.outcome, s.p.msg]), [['handled', 'handled'], ['dropped', 'dropped']]);
  assert.equal(b.t.stats().shed, 1, 'the receiver counts what it dropped');
  assert.equal(b.t.stats().shedEvents, 10);
});

test('a delivery still in progress is not handed over again when the sender retransmits', async () => {
  const a = await node('A', { ackTimeoutMs: 20 });
  const b = await node('B');
  meshPeers([a, b]);
  b.answer = () => null;
  a.t.send('B', dest(), 'slow', 1);
  await waitFor(() => b.t.stats().duplicates >= 2, 'the sender retransmitted twice');
  assert.equal(b.delivered.length, 1);
  assert.ok(a.t.stats().retransmits >= 2);
  b.held[0]!.settle('handled');
  await waitFor(() => a.t.outstanding('B') === 0, 'the late outcome settles it');
  assert.equal(b.delivered.length, 1);
  assert.ok(a.settled[0]!.p.attempts >= 3);
});

test('when an outcome is lost, the retransmitted duplicate is answered as handled, not handled again', async () => {
  // A's Sealer refuses the first outcome frame it opens: that answer is lost on the way back.
  let lose = 1;
  const sealerA: Sealer = {
    seal: (p) => p,
    open: (s) => {
      if (lose-- > 0) throw new Error('lost');
      return s;
    },
  };
  const a = await node('A', { ackTimeoutMs: 20, sealer: sealerA });
  const b = await node('B', { sealer: { seal: (p) => p, open: (s) => s } });
  meshPeers([a, b]);
  a.t.send('B', dest(), 'once', 1);
  await waitFor(() => a.t.outstanding('B') === 0, 'settled after a retransmission');
  assert.equal(b.delivered.length, 1, 'handled exactly once');
  assert.equal(a.t.stats().badFrames, 1);
  assert.ok(b.t.stats().duplicates >= 1);
  assert.deepEqual(a.settled.map((s) => [s.outcome, s.p.attempts > 1]), [['handled', true]]);
});

test("a restarted sender's seq 1 is a new message, not a duplicate of the old session's", async () => {
  const keys = (await import('../src/remote/transport/zmq-transport.ts')).generateNodeKeys();
  const b = await node('B');
  const a1 = await node('A', { keys });
  meshPeers([a1, b]);
  a1.t.send('B', dest(), 'first life', 1);
  await waitFor(() => a1.t.outstanding('B') === 0, 'first life answered');
  await a1.t.close();
  const a2 = await node('A', { keys });
  meshPeers([a2, b]);
  a2.t.send('B', dest(), 'second life', 1);
  await waitFor(() => a2.t.outstanding('B') === 0, 'second life answered');
  assert.deepEqual(b.delivered.map((d) => d.msg), ['first life', 'second life']);
  assert.equal(b.t.stats().duplicates, 0);
});

test('a peer removed by setPeers hands back what it held, in send order, and is refused from then on', async () => {
  const a = await node('A');
  const b = await node('B');
  meshPeers([a, b]);
  b.answer = (d) => (d.msg === 2 ? 'handled' : null);
  for (let i = 1; i <= 5; i++) a.t.send('B', dest(), i, i % 2);
  await waitFor(() => b.delivered.length === 5 && a.t.outstanding('B') === 4, 'all delivered, one answered');
  a.t.setPeers([a.info()]);
  assert.equal(a.orphaned.length, 1);
  assert.equal(a.orphaned[0]!.peer, 'B');
  assert.deepEqual(a.orphaned[0]!.pending.map((p) => [p.seq, p.msg, p.priority, p.attempts]), [[1, 1, 1, 1], [3, 3, 1, 1], [4, 4, 0, 1], [5, 5, 1, 1]]);
  assert.equal(a.t.outstanding('B'), 0);
  assert.equal(a.t.send('B', dest(), 6, 1), 'unknown-peer');
  // B still knows A, but A no longer admits B: nothing B sends gets through.
  const deniedBefore = a.t.stats().refusedPeers;
  b.t.send('A', dest(), 'from a removed peer', 1);
  await waitFor(() => a.t.stats().refusedPeers > deniedBefore, 'A refused B');
  await settle();
  assert.equal(a.delivered.length, 0);
  assert.equal(b.t.outstanding('A'), 1);
  // Late answers to what A forgot change nothing.
  for (const d of b.held) d.settle('handled');
  await settle();
  assert.equal(a.settled.filter((s) => s.outcome === 'handled').length, 1);
});

test('a peer that comes back at the same address gets what was unanswered again', async () => {
  const keysB = (await import('../src/remote/transport/zmq-transport.ts')).generateNodeKeys();
  const a = await node('A', { ackTimeoutMs: 50 });
  const b1 = await node('B', { keys: keysB });
  meshPeers([a, b1]);
  b1.answer = () => null;
  for (let i = 0; i < 3; i++) a.t.send('B', dest(), i, 1);
  await waitFor(() => b1.delivered.length === 3, 'first B got them');
  const address = b1.t.address;
  await b1.t.close();
  // zmq releases the closed socket's port in its I/O thread, a moment after close() returns.
  let b2: Awaited<ReturnType<typeof node>> | undefined;
  for (let i = 0; !b2; i++) {
    try {
      b2 = await node('B', { keys: keysB, bind: address });
    } catch (err) {
      if (i >= 200 || !/already in use/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  b2.t.setPeers([a.info(), b2.info()]);
  await waitFor(() => a.t.outstanding('B') === 0, 'the second B answered');
  assert.deepEqual(b2.delivered.map((d) => d.msg).sort(), [0, 1, 2]);
  assert.ok(a.t.stats().retransmits >= 3);
});

test('at the high-water mark lower priorities are shed first, and counted', async () => {
  const a = await node('A', { highWater: 4 });
  const b = await node('B');
  meshPeers([a, b]);
  b.answer = () => null;
  for (let i = 1; i <= 4; i++) assert.equal(a.t.send('B', dest(), `p1-${i}`, 1, 10), 'queued');
  assert.equal(a.t.outstanding('B'), 4);
  assert.equal(a.t.send('B', dest(), 'p1-5', 1, 10), 'shed', 'equal priority does not evict');
  assert.equal(a.t.send('B', dest(), 'p0', 0, 10), 'shed', 'lower priority does not evict');
  assert.equal(a.t.send('B', dest(), 'p5', 5, 10), 'queued', 'higher priority evicts');
  assert.deepEqual(a.shed.map((p) => p.msg), ['p1-4'], 'the newest of the lowest priority went');
  assert.equal(a.t.send('B', dest(), 'p9', 9, 10), 'queued');
  assert.deepEqual(a.shed.map((p) => p.msg), ['p1-4', 'p1-3']);
  assert.equal(a.t.outstanding('B'), 4);
  const s = a.t.stats();
  assert.equal(s.shed, 4);
  assert.equal(s.shedEvents, 40);
  await waitFor(() => b.delivered.length === 4, 'what was kept is delivered');
  assert.deepEqual(b.delivered.map((d) => d.msg).sort(), ['p1-1', 'p1-2', 'p5', 'p9']);
});

test('alarms at 80 % and 90 % of the hold, and when it falls back below 80 %', async () => {
  const a = await node('A', { highWater: 10 });
  const b = await node('B');
  meshPeers([a, b]);
  b.answer = () => null;
  for (let i = 0; i < 10; i++) a.t.send('B', dest(), i, 1);
  assert.deepEqual(a.alarms.map((x) => [x.level, x.used, x.capacity, x.peer]), [[80, 8, 10, 'B'], [90, 9, 10, 'B']]);
  await waitFor(() => b.held.length === 10, 'all delivered');
  for (const d of b.held) d.settle('handled');
  await waitFor(() => a.t.outstanding('B') === 0, 'all answered');
  assert.deepEqual(a.alarms.map((x) => x.level), [80, 90, 0]);
  assert.ok(a.alarms[2]!.used < 8);
});

test('a receiver at maxInProgress stops reading and resumes as deliveries settle', async () => {
  const a = await node('A');
  const b = await node('B', { maxInProgress: 4 });
  meshPeers([a, b]);
  b.answer = () => null;
  // One frame may carry more than the limit; later frames wait until there is room.
  a.t.send('B', dest(), 'first', 1);
  await waitFor(() => b.delivered.length === 1, 'first delivered');
  for (let i = 0; i < 3; i++) a.t.send('B', dest(), i, 1);
  await waitFor(() => b.delivered.length === 4, 'up to the limit');
  for (let i = 3; i < 10; i++) a.t.send('B', dest(), i, 1);
  await settle(50);
  assert.equal(b.delivered.length, 4, 'nothing more is read while 4 are in progress');
  for (const d of b.held.splice(0)) d.settle('handled');
  await waitFor(() => b.delivered.length === 11, 'reading resumed');
  for (const d of b.held.splice(0)) d.settle('handled');
  await waitFor(() => a.t.outstanding('B') === 0, 'all answered');
});

test('bad options and peer entries are refused with AI_ERR_CONFIG naming the value', async () => {
  const { generateNodeKeys, startZmqTransport } = await import('../src/remote/transport/zmq-transport.ts');
  const handlers = { deliver: () => undefined, onRefused: () => undefined, onOrphaned: () => undefined };
  const keys = generateNodeKeys();
  await assert.rejects(startZmqTransport({ nodeId: '', bind: 'tcp://127.0.0.1:0', keys, handlers }), { code: 'AI_ERR_CONFIG' });
  await assert.rejects(startZmqTransport({ nodeId: 'A', bind: 'tcp://127.0.0.1:0', keys: { publicKey: 'x', secretKey: 'y' }, handlers }), { code: 'AI_ERR_CONFIG', message: /generateNodeKeys/ });
  await assert.rejects(startZmqTransport({ nodeId: 'A', bind: 'tcp://127.0.0.1:0', keys, handlers, highWater: 0 }), { code: 'AI_ERR_CONFIG', message: /highWater/ });
  const a = await node('A');
  await assert.rejects(startZmqTransport({ nodeId: 'B', bind: a.t.address, keys, handlers }), { code: 'AI_ERR_CONFIG', message: new RegExp(a.t.address.replace(/[.]/g, '\\.')) });
  assert.throws(() => a.t.setPeers([{ id: 'B', address: 'tcp://127.0.0.1:1', publicKey: 'not a key' }]), { code: 'AI_ERR_CONFIG', message: /B/ });
  assert.throws(() => a.t.setPeers([{ id: '', address: 'tcp://127.0.0.1:1', publicKey: keys.publicKey }]), { code: 'AI_ERR_CONFIG' });
});
