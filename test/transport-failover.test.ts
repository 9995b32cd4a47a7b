// At least once across an owner change: a receiver in another process is SIGKILLed mid-stream;
// what it had not answered comes back in send order when it leaves the peer list, is re-sent
// to the new owner, and every message ends up handled somewhere.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { generateNodeKeys } from '../src/remote/transport/zmq-transport.ts';
import type { Pending } from '../src/remote/transport/types.ts';
import { dest, startNode, type TestNode } from './fixtures/transport-harness.ts';
import { waitFor } from '../devkit/wait.ts';
import { ask, forkTransportNode } from '../devkit/transport-child.ts';

const children: ChildProcess[] = [];
const nodes: TestNode[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.t.close()));
});

test('messages in flight to a node that is killed are handed back in order and reach the new owner', async () => {
  const total = 3000;
  const window = 100;
  const a = await startNode('A', { ackTimeoutMs: 200 });
  const c = await startNode('C');
  nodes.push(a, c);
  const kb = generateNodeKeys();
  const b = forkTransportNode();
  children.push(b);
  const { address } = await ask<{ address: string }>(b, { type: 'start', nodeId: 'B', keys: kb, answerDelayMs: 5 }, 'started');
  const bInfo = { id: 'B', address, publicKey: kb.publicKey };
  const all = [a.info(), bInfo, c.info()];
  await ask(b, { type: 'peers', peers: all }, 'ok');
  a.t.setPeers(all);
  c.t.setPeers(all);

  // The router's part, reduced: send to the current owner; when a peer leaves, re-send what
  // it held to the new owner.
  let owner = 'B';
  const resent: Pending[] = [];
  let next = 0;
  const pump = (): void => {
    while (next < total && a.t.outstanding(owner) < window) assert.equal(a.t.send(owner, dest(), next++, 1, 256), 'queued');
  };
  const timer = setInterval(pump, 1);
  try {
    await waitFor(() => a.settled.length >= 500, 'B handled a good part of the stream');
    b.kill('SIGKILL');
    await once(b, 'exit');
    const heldAtDeath = a.t.outstanding('B');
    assert.ok(heldAtDeath > 0, 'messages were in flight when B died');
    // B's registration expires: the peer list drops it and C owns its actors now.
    owner = 'C';
    a.t.setPeers([a.info(), c.info()]);
    assert.equal(a.orphaned.length, 1);
    const { peer, pending } = a.orphaned[0]!;
    assert.equal(peer, 'B');
    assert.equal(pending.length, heldAtDeath);
    const seqs = pending.map((p) => p.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'handed back in send order');
    for (const p of pending) {
      assert.equal(a.t.send('C', p.to, p.msg, p.priority, p.events), 'queued');
      resent.push(p);
    }
    await waitFor(() => next === total && a.t.outstanding('C') === 0, 'everything answered by C', 30_000);
  } finally {
    clearInterval(timer);
  }
  const handledByB = a.settled.filter((s) => s.p.peer === 'B' && s.outcome === 'handled').map((s) => s.p.msg as number);
  const handledByC = c.delivered.map((d) => d.msg as number);
  const handled = new Set([...handledByB, ...handledByC]);
  const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !handled.has(i));
  assert.deepEqual(missing, [], 'every message was handled at least once');
  assert.deepEqual(resent.map((p) => p.msg).filter((m) => handledByB.includes(m as number)), [], 'what B confirmed was not handed back');
  assert.equal(c.t.stats().duplicates, 0);
});
