// A capture stopped and started again with a new spec, as the cluster's reconciler does with a
// node's pinned capture when the node's lease lapses and the cluster places it back
// (reconciler.ts: stopChild, then startChild with catalogue's captureSpec): it resumes after
// what it delivered, with the same counters. Before, every spec had counters of its own: the
// replay started over from its first packet (everything sent again) with offered and
// confirmed back at zero, and a chaos run under load, whose traffic node's lease lapsed,
// counted a crash of /pipeline/replay never recovered (the new cell's incarnation 1 was not
// above the crashed one's).
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSource } from '../src/net/file-source.ts';
import { buildPipeline } from '../src/node/pipeline.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { crashedIsBack, type TreeNode } from '../chaos/faults.ts';
import { findNode } from '../devkit/tree.ts';
import { waitFor } from '../devkit/wait.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const FILE = join(PCAP_DIR, 'D09_scan_TCP_CONNECT_SCAN.pcap');
const PACKETS = 9924; // labels.tsv

// A hang guard, not a timing assertion (devkit/wait.ts), at the bound this test had.
const until = (what: string, ok: () => boolean) => waitFor(ok, what, 30_000);

function replayPipeline(open: (skip: number) => FileSource, onEnd = () => {}) {
  return buildPipeline({
    sources: [{ id: 'replay', restart: 'transient', open, onEnd }],
    shards: 2,
    batchSize: 64,
    highWater: 8,
    features: {},
    geo: null,
    shardMailbox: { capacity: 64, overflow: 'reject' },
  });
}

test('the chaos monkey sees a crashed capture back when it was placed on its node again before it looked', async () => {
  const pipeline = replayPipeline((skip) => new FileSource([FILE], { pps: 2_000, skip, batchSize: 64, loop: true }));
  const system = new ActorSystem({ nodeId: 'n1', defaults: { backoff: { baseMs: 1, maxMs: 4, factor: 2, jitter: 0, resetAfterMs: 50 } }, root: { strategy: 'one_for_one', children: [pipeline.spec] } });
  await system.start();
  const replay = () => findNode(system.snapshot().tree as TreeNode, (n) => n.path === '/pipeline/replay');
  try {
    // One crash and restart first, so the crashed incarnation is not the cell's first.
    assert.equal(system.crash('/pipeline/replay'), true);
    await until('the first restart', () => replay()?.status === 'running' && replay()!.incarnation === 2);
    const victim = replay()!;
    assert.equal(crashedIsBack(victim, victim), false, 'the incarnation that was crashed is not "back"');
    assert.equal(system.crash('/pipeline/replay'), true);
    // The node's lease lapses before the restart is seen: the cluster takes the capture away and places it back.
    await system.stopChild('/pipeline', 'replay');
    assert.equal(crashedIsBack(victim, undefined), true, 'moved away: back elsewhere');
    await system.startChild('/pipeline', pipeline.captureSpec('replay')!);
    await until('the capture placed again', () => replay()?.status === 'running');
    const now = replay()!;
    assert.ok(now.incarnation <= victim.incarnation && now.restarts <= victim.restarts, 'a new cell: its incarnations count from 1 again');
    assert.equal(crashedIsBack(victim, now), true, 'running an incarnation started after the crash');
  } finally {
    await system.stop();
  }
});

test('a capture placed again on its node resumes after what it delivered: nothing sent twice, counters kept', async () => {
  const skips: number[] = [];
  let ended = 0;
  // Paced so that it is still running when it is stopped.
  const pipeline = replayPipeline(
    (skip) => (skips.push(skip), new FileSource([FILE], { pps: 20_000, skip, batchSize: 64 })),
    () => ended++,
  );
  const system = new ActorSystem({ nodeId: 'n1', root: { strategy: 'one_for_one', children: [pipeline.spec] } });
  await system.start();
  try {
    const first = pipeline.captures.get('replay')!;
    await until('a first part delivered', () => first.delivered + first.unroutable >= 2000);
    // What the reconciler does: stop the child, then start a fresh spec of it.
    assert.equal(await system.stopChild('/pipeline', 'replay'), true);
    const before = first.delivered + first.unroutable;
    assert.ok(before < PACKETS, 'stopped before the end');
    await system.startChild('/pipeline', pipeline.captureSpec('replay')!);
    const now = pipeline.captures.get('replay')!;
    await until('the replay to end', () => ended > 0);
    const enriched = () => pipeline.enrichers.reduce((a, e) => a + e.packets, 0);
    await until('the shards to take everything delivered', () => enriched() >= now.delivered);
    assert.deepEqual(skips, [0, before], 'the second start resumes after the packets already delivered');
    assert.equal(now, first, 'one set of counters for the capture, whichever spec runs it');
    assert.equal(now.delivered + now.unroutable, PACKETS, 'every packet of the file, once');
    assert.equal(enriched(), now.delivered, 'the shards saw each delivered packet once');
    assert.equal(now.confirmed, now.delivered, 'every delivered packet confirmed');
  } finally {
    await system.stop();
  }
});
