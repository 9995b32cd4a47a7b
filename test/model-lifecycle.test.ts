// The model's life on a node: grace period on live traffic → first model in force and saved;
// a retraining → a candidate in shadow beside it, judged on both models' scores; the
// promoted version is what a restarted node loads.

import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { assembleDefence } from '../src/node/defence.ts';
import { featureCount } from '../src/detect/flow-features.ts';
import { openModelShelf } from '../src/detect/model-shelf.ts';
import type { TrainerEvent } from '../src/detect/model-trainer.ts';
import { DryRunBackend } from '../src/firewall/dry-run.ts';
import { FileSource } from '../src/net/file-source.ts';
import { buildPipeline } from '../src/node/pipeline.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';
import { TRAINER_PATH, detectorPath } from '../src/actors/tree-layout.ts';

const P = new URL('../../shared/data/pcap/', import.meta.url).pathname;

test('grace → model v1 in force and saved; retraining → v2 in shadow, judged, and the promoted version survives a restart', async () => {
  const config = testConfig({ model: { enabled: true, graceRows: 16000, featureMapRows: 500, epochs: 2, batchSize: 128, sampleEvery: 2, shadowRows: 500, retrainRows: 2000, retrainIntervalS: 0 } });
  const dir = config.node.stateDir;
  const models = await openModelShelf(dir, config.model);
  const registry = new MemoryBanRegistry();
  const events: TrainerEvent[] = [];
  const defence = await assembleDefence({ config, registry, firewall: new DryRunBackend(), models, featureCount: featureCount(), interfaces: {}, onTrainerEvent: (e) => events.push(e) });
  // Five benign files (15,417 packets, about 8 s at 2,000 pps), looped. The grace period takes
  // the whole first pass: the alert threshold is fitted on flow scores, which a model learnt
  // from 1,500 packets of one file finds anomalous in nearly every flow of the other four (an
  // alert rate over 90 %), and rows for retraining are only those it scores benign. Looping:
  // how many rows pass while a model trains depends on the machine's speed, and the test needs
  // rows after it (samples, then shadow judging) however slow training was.
  let source: FileSource | undefined;
  const pipeline = buildPipeline({
    sources: [{ id: 'replay', restart: 'transient', open: (skip) => (source = new FileSource([`${P}D01_benign_example.pcap`, `${P}D03_benign_netflix.pcap`, `${P}D04_benign_http_espn.pcapng`, `${P}D05_benign_kali-normal-ssh.pcap`, `${P}D02_benign_tls2.pcap`], { backToBackGapS: 1, skip, pps: 2000, loop: true })) }],
    shards: 2,
    batchSize: 64,
    highWater: 32,
    features: config.features,
    geo: null,
    shardMailbox: config.pipeline.shardMailbox,
    next: (s) => detectorPath(s),
  });
  const system = new ActorSystem({ nodeId: 't', onRootGaveUp: () => {}, root: { strategy: 'one_for_one', children: [defence.detection.response, defence.detection.detection, pipeline.spec] } });
  try {
    await system.start();
    await waitFor(() => defence.board.current !== null, 'the first model after the grace rows', 60_000);
    assert.equal(defence.board.current!.version, 1);
    assert.equal(defence.board.grace, false);
    assert.deepEqual(events[0] && { kind: events[0].kind, role: (events[0] as { role: string }).role }, { kind: 'trained', role: 'current' });
    assert.ok(existsSync(join(models.dir, 'promoted.json')));

    // Benign-scored rows keep coming to the trainer; ask for a retraining.
    await waitFor(() => defence.trainer!.rows >= 1000, 'benign rows sampled after the grace period', 60_000);
    system.send(TRAINER_PATH, { retrain: true });
    await waitFor(() => events.some((e) => e.kind === 'verdict'), 'the candidate judged in shadow', 60_000);
    const trained = events.find((e) => e.kind === 'trained' && e.role === 'candidate');
    assert.equal(trained && (trained as { version: number }).version, 2);
    const v = events.find((e) => e.kind === 'verdict')!;
    assert.ok(v.kind === 'verdict');
    assert.ok(v.verdict.current.rows >= 500 && v.verdict.candidate.rows === v.verdict.current.rows, 'both models scored the same rows');
    assert.equal(v.verdict.current.version, 1);
    assert.equal(v.verdict.candidate.version, 2);
    assert.equal(defence.board.candidate, null);
    const inForce = defence.board.current!.version;
    assert.equal(inForce, v.verdict.verdict === 'promote' ? 2 : 1);

    const again = await (await openModelShelf(dir, config.model)).loadPromoted();
    assert.equal(again?.version, inForce, 'a restarted node loads the version in force');
  } finally {
    await source?.close();
    await system.stop();
    defence.close();
    await registry.close();
  }
});
