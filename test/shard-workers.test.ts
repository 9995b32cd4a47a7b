// Worker-thread shards (pipeline.workers): the whole node replays attack captures through
// shards whose enricher and detector run in threads, and must ban exactly what the actor
// shards ban; supervision sees them as actors — an injected crash and a thread that fails
// on a poison batch both end in a restart with a new thread that handles packets again; the
// tree shows their counters. In a cluster: test/cluster-shard-threads.test.ts.

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSource } from '../src/net/file-source.ts';
import { PacketBatch } from '../src/net/packet-batch.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import type { CaptureProgress } from '../src/actors/capture.ts';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';
import { findNode } from '../devkit/tree.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const ATTACKS = ['D06_scan_nmap_80_all.pcap', 'D15_brute_hydra-1_tasks.pcap', 'D18_brute_kali-password-attack_hydra.pcap', 'D13_flood_amp.UDP.isakmp.pcap'].map((f) => join(PCAP_DIR, f));

function config(workers: boolean) {
  return testConfig({
    pipeline: { shards: 2, workers },
    capture: { interfaces: [] },
    store: { backend: 'memory' },
    // The captures' own addresses are judged, and every attacker is banned (no rate limit in the way).
    responder: { rateLimit: { bans: 1000, perS: 1 } },
  });
}

/** Runs the captures through a node; resolves when every routed packet was confirmed handled. */
async function replayThrough(workers: boolean, files: string[], during?: (node: RunningNode) => Promise<void>) {
  let progress: CaptureProgress | undefined;
  let ended!: () => void;
  const end = new Promise<void>((r) => (ended = r));
  const node = await startNode(config(workers), {
    onRootGaveUp: () => {},
    notice: () => {},
    sources: [{ id: 'replay', restart: 'transient', open: (skip) => new FileSource(files, { backToBackGapS: 1, skip, batchSize: 64 }), onEnd: (p) => ((progress = p), ended()) }],
  });
  try {
    await during?.(node);
    await end;
    // Confirmed means the whole chain is done, alerts to the responder (and so its bans) included.
    await waitFor(() => progress!.confirmed + progress!.lost >= progress!.delivered, 'every packet handled', 60_000);
    // Every banned address is in the registry (a ban extended by a later alert is one entry).
    const banned = () => new Set(node.defence.desk.decisions(10_000).flatMap((d) => (d.kind === 'decision' && d.action === 'ban' ? [d.address] : []))).size;
    await waitFor(() => node.registry.list().then((l) => l.length === banned()), 'the bans are registered');
    const bans = (await node.registry.list()).map((b) => b.address).sort();
    return { node, bans, progress: progress! };
  } catch (err) {
    await node.stop();
    throw err;
  }
}

const find = (t: TreeSnapshot, path: string): TreeSnapshot | undefined => findNode(t, (n) => n.path === path);

test('worker-thread shards ban exactly what the actor shards ban, and the tree shows them', async () => {
  const actors = await replayThrough(false, ATTACKS);
  await actors.node.stop();
  const threads = await replayThrough(true, ATTACKS);
  try {
    assert.ok(actors.bans.length >= 3, `the captures' attackers are banned (${actors.bans.join(', ')})`);
    assert.deepEqual(threads.bans, actors.bans);
    assert.equal(threads.progress.lost, 0);
    const tree = threads.node.system.snapshot().tree;
    const shard = find(tree, '/pipeline/enrichers/enricher-1');
    assert.equal(shard?.kind, 'shard-thread');
    assert.equal(shard?.status, 'running');
    assert.ok((shard?.stats?.packets ?? 0) > 0, 'its counters come from its thread');
    assert.equal(find(tree, '/detection/detectors')?.children?.length, 0, 'no detector actors: they run in the shard threads');
  } finally {
    await threads.node.stop();
  }
});

test('a crash injected into a worker shard, and a thread failing on a poison batch, each end in a restart with a new thread', async () => {
  const files = [join(PCAP_DIR, 'D09_scan_TCP_CONNECT_SCAN.pcap')];
  const path = '/pipeline/enrichers/enricher-0';
  const run = await replayThrough(true, files, async (node) => {
    await waitFor(() => (find(node.system.snapshot().tree, path)?.stats?.packets ?? 0) > 0, 'shard 0 handles packets');
    assert.ok(node.system.crash(path));
    await waitFor(() => node.system.lifecycle.recent.some((e) => e.type === 'restarted' && e.path === path), 'the injected crash restarts the shard');
    // A batch whose buffer does not fit its capacity: the thread fails on it and exits.
    const poison = Object.assign(Object.create(PacketBatch.prototype) as PacketBatch, { buffer: new ArrayBuffer(8), capacity: 64, length: 1 });
    node.system.send(path, poison);
    await waitFor(() => node.system.lifecycle.recent.filter((e) => e.type === 'restarted' && e.path === path).length >= 2, 'the thread failure restarts the shard');
    assert.match(node.system.lifecycle.recent.filter((e) => e.type === 'crashed' && e.path === path).at(-1)?.error ?? '', /worker thread failed: PacketBatch buffer has 8 bytes/);
  });
  try {
    const shard = find(run.node.system.snapshot().tree, path)!;
    assert.equal(shard.status, 'running');
    assert.ok(shard.restarts >= 2);
    assert.ok(run.progress.confirmed > 0 && run.progress.confirmed + run.progress.lost === run.progress.delivered);
    assert.ok(run.bans.includes('192.168.1.10'), 'the scanner is still banned by the restarted shards');
  } finally {
    await run.node.stop();
  }
});

test('worker-thread shards score with the model the trainer learnt from their rows (a density model, per flow)', async () => {
  const benign = ['D01_benign_example.pcap', 'D03_benign_netflix.pcap', 'D04_benign_http_espn.pcapng', 'D02_benign_tls2.pcap'].map((f) => join(PCAP_DIR, f));
  const c = testConfig({ pipeline: { shards: 2, workers: true }, capture: { interfaces: [] }, store: { backend: 'memory' }, model: { enabled: true, kind: 'density', flowScoring: true, graceRows: 1500 } });
  let source: FileSource | undefined;
  // Looping at 2,000 pps: rows keep coming after the model is trained, however long that took.
  const node = await startNode(c, {
    onRootGaveUp: () => {},
    notice: () => {},
    sources: [{ id: 'replay', restart: 'transient', open: (skip) => (source = new FileSource(benign, { backToBackGapS: 1, skip, pps: 2000, loop: true, batchSize: 64 })) }],
  });
  try {
    await waitFor(() => node.defence.board.current !== null, 'the first model after the grace rows', 60_000);
    const scored = () => [0, 1].reduce((a, k) => a + (find(node.system.snapshot().tree, `/pipeline/enrichers/enricher-${k}`)?.stats?.scored ?? 0), 0);
    await waitFor(() => scored() > 0, 'the shard threads score rows with the model', 60_000);
    for (const k of [0, 1]) assert.equal(find(node.system.snapshot().tree, `/pipeline/enrichers/enricher-${k}`)?.restarts, 0, `shard ${k}'s thread never failed`);
  } finally {
    await source?.close();
    await node.stop();
  }
});
