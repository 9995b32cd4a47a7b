// The anomaly model in a cluster: the trainer runs on one node, trains on samples from the
// detector shards of every node, and the model it promotes is loaded by the other nodes
// too (real etcd, real node processes, real training in a worker thread).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterOnEtcd } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';

const BENIGN = fileURLToPath(new URL('../../shared/data/pcap/D02_benign_tls2.pcap', import.meta.url));

const env = clusterOnEtcd({
  cluster: { name: 'model', leaseTtlMs: 3000 },
  pipeline: { shards: 4 },
  // A small model, quickly: 3,000 rows of grace, 2 epochs.
  model: { enabled: true, graceRows: 3000, featureMapRows: 1000, epochs: 2, sampleEvery: 1 },
});

test('the model trained from every node\'s shards is promoted on the trainer\'s node and loaded by the others', async () => {
  await Promise.all([env.cluster.start('n1', { capture: { replay: { files: [BENIGN], pps: 20_000 } } }), env.cluster.start('n2')]);
  const trainerNode = async () => {
    for (const id of ['n1', 'n2']) if ((await env.cluster.health(id)).cluster.owned.includes('trainer')) return id;
    return undefined;
  };
  await waitFor(async () => (await trainerNode()) !== undefined, 'the trainer is placed', 60_000);
  const owner = (await trainerNode())!;
  const other = owner === 'n1' ? 'n2' : 'n1';
  type Model = { version: number | null; grace: boolean; cluster: { origin: string; version: number } | null };
  // The model the trainer's node promoted is the one the other node reports in force.
  await waitFor(async () => (await env.cluster.json<Model>(owner, '/api/model')).version !== null, `${owner} promotes a model`, 120_000);
  const promoted = await env.cluster.json<Model>(owner, '/api/model');
  await waitFor(async () => (await env.cluster.json<Model>(other, '/api/model')).cluster !== null, `${other} loads ${owner}'s model`, 120_000);
  const loaded = await env.cluster.json<Model>(other, '/api/model');
  assert.deepEqual(loaded.cluster, { origin: owner, version: promoted.cluster!.version });
  assert.equal(promoted.cluster!.version, promoted.version, 'the trainer\'s node publishes the version it put in force');
  assert.equal(loaded.grace, false);
  assert.notEqual(loaded.version, null);
  const h = await env.cluster.json<{ owned: string[] }>(other, '/api/cluster');
  assert.ok(!h.owned.includes('trainer'), 'the trainer runs on one node only');
});
