// The cluster router alone, with a recording transport in place of ZeroMQ (what is under
// test is where the router sends, holds and re-sends, not the sockets).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ClusterRouter } from '../src/remote/cluster-router.ts';
import type { Destination, PeerInfo, Pending, SendResult, Transport, TransportStats } from '../src/remote/transport/types.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { Tracked, type TrackOutcome } from '../src/supervisors/tracked.ts';
import { TREE_LAYOUT } from '../src/node/placement-layout.ts';

class RecordingTransport implements Transport {
  readonly nodeId = 'me';
  readonly address = 'tcp://127.0.0.1:1';
  readonly publicKey = 'x'.repeat(40);
  readonly known = new Set<string>();
  readonly sent: Array<{ peer: string; to: Destination; msg: unknown; seq: number }> = [];
  setPeers(peers: PeerInfo[]): void {
    this.known.clear();
    for (const p of peers) this.known.add(p.id);
  }
  send(peer: string, to: Destination, msg: unknown): SendResult {
    if (!this.known.has(peer)) return 'unknown-peer';
    this.sent.push({ peer, to, msg, seq: this.sent.length + 1 });
    return 'queued';
  }
  outstanding(): number {
    return 0;
  }
  stats(): TransportStats {
    return { sent: 0, sentEvents: 0, received: 0, receivedEvents: 0, duplicates: 0, retransmits: 0, shed: 0, shedEvents: 0, refusedPeers: 0, outstanding: 0 };
  }
  async close(): Promise<void> {}
}

const PATH = '/pipeline/enrichers/enricher-1';

function setup() {
  const system = new ActorSystem({ nodeId: 'me', root: { strategy: 'one_for_one', children: [] } });
  const router = new ClusterRouter(system, TREE_LAYOUT);
  const transport = new RecordingTransport();
  router.transport = transport;
  system.remoteRouter = router;
  return { system, router, transport };
}

const pending = (t: RecordingTransport, i: number): Pending => {
  const s = t.sent[i]!;
  return { seq: s.seq, peer: s.peer, to: s.to, msg: s.msg, priority: 0, events: 1, attempts: 1 };
};

test('a message for a placed actor with no owner yet waits, counts toward its depth, and goes once placement names one', () => {
  const { system, router, transport } = setup();
  transport.setPeers([{ id: 'n2', address: 'tcp://127.0.0.1:2', publicKey: 'k'.repeat(40) }]);
  assert.equal(system.send(PATH, { n: 1 }), true);
  assert.equal(system.depth(PATH), 1, 'held back, and the capture sees it');
  assert.equal(transport.sent.length, 0);
  router.setRoutes(new Map([[PATH, { node: 'n2', epoch: 7 }]]));
  assert.deepEqual(transport.sent.map((s) => [s.peer, s.to.epoch]), [['n2', 7]]);
  assert.equal(system.depth(PATH), 1, 'in flight until answered');
  router.onSettled(pending(transport, 0), 'handled');
  assert.equal(system.depth(PATH), 0);
});

test('placement that names a node whose registration has not arrived yet: the message goes when the peer does', () => {
  const { system, router, transport } = setup();
  router.setRoutes(new Map([[PATH, { node: 'n3', epoch: 9 }]]));
  system.send(PATH, { n: 1 });
  assert.equal(transport.sent.length, 0, 'n3 is not a peer yet');
  transport.setPeers([{ id: 'n3', address: 'tcp://127.0.0.1:3', publicKey: 'k'.repeat(40) }]);
  router.peersChanged();
  assert.deepEqual(transport.sent.map((s) => s.peer), ['n3']);
});

test('a tracked message settles when the remote actor handled it; one orphaned by a dying node goes to the new owner', () => {
  const { system, router, transport } = setup();
  transport.setPeers([
    { id: 'n2', address: 'tcp://127.0.0.1:2', publicKey: 'k'.repeat(40) },
    { id: 'n3', address: 'tcp://127.0.0.1:3', publicKey: 'k'.repeat(40) },
  ]);
  router.setRoutes(new Map([[PATH, { node: 'n2', epoch: 1 }]]));
  const outcomes: TrackOutcome[] = [];
  const batch = { n: 5 };
  system.send(PATH, new Tracked(batch, (o) => outcomes.push(o)));
  assert.equal(transport.sent[0]!.msg, batch, 'the message goes, not its wrapper');
  // n2 dies: the transport hands back what it held; placement has not moved yet.
  transport.setPeers([{ id: 'n3', address: 'tcp://127.0.0.1:3', publicKey: 'k'.repeat(40) }]);
  router.onOrphaned('n2', [pending(transport, 0)]);
  assert.equal(transport.sent.length, 1, 'held: no owner it can reach');
  router.setRoutes(new Map([[PATH, { node: 'n3', epoch: 2 }]]));
  assert.deepEqual(transport.sent.map((s) => [s.peer, s.to.epoch]), [['n2', 1], ['n3', 2]]);
  assert.deepEqual(outcomes, []);
  router.onSettled(pending(transport, 1), 'handled');
  assert.deepEqual(outcomes, ['handled']);
  assert.equal(router.counts.handledEvents, 1);
});

test('the receiving side refuses an actor it does not own, and epochs older or newer than its own', () => {
  const { router } = setup();
  router.setRoutes(new Map([[PATH, { node: 'me', epoch: 5 }], ['/pipeline/enrichers/enricher-2', { node: 'n2', epoch: 6 }]]));
  const got: string[] = [];
  router.deliver('n9', { path: PATH, epoch: 4 }, {}, 0, (o) => got.push(o));
  router.deliver('n9', { path: PATH, epoch: 6 }, {}, 0, (o) => got.push(o));
  router.deliver('n9', { path: '/pipeline/enrichers/enricher-2', epoch: 6 }, {}, 0, (o) => got.push(o));
  router.deliver('n9', { path: '/pipeline/enrichers/enricher-2', epoch: 8 }, {}, 0, (o) => got.push(o));
  router.deliver('n9', { path: PATH, epoch: 5 }, {}, 0, (o) => got.push(o));
  assert.deepEqual(got, ['stale', 'early', 'stale', 'early', 'early'], 'the last: ours at this epoch, but not started here yet');
});

test('a path that no placed actor has is a dead letter, not held for ever', () => {
  const { system } = setup();
  assert.equal(system.send('/pipeline/nonsense', { n: 1 }), false);
  assert.equal(system.deadLetters.counts['no-such-actor'], 1);
  assert.equal(system.depth('/pipeline/nonsense'), 0);
});
