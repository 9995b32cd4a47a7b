// The AES-256-GCM envelope on in a real cluster (CURVE off, so the envelope is the only
// layer): the leader makes the first key in etcd, every node seals with it once it is
// active, and traffic between the nodes flows with nothing lost.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { clusterOnEtcd } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';

const BENIGN = fileURLToPath(new URL('../../shared/data/pcap/D01_benign_example.pcap', import.meta.url));

const env = clusterOnEtcd({
  cluster: { name: 'sealed', leaseTtlMs: 3000, transport: { bind: 'tcp://127.0.0.1:0', advertise: 'auto', curve: false, envelope: true, envelopeRotateS: 3600, highWater: 1024 } },
  pipeline: { shards: 4 },
});

test('with the envelope on, keys come from etcd and every packet crosses between nodes sealed and is confirmed', async () => {
  await Promise.all([env.cluster.start('n1', { capture: { replay: { files: [BENIGN], pps: 3000 } } }), env.cluster.start('n2')]);
  await waitFor(async () => {
    const s = await env.cluster.captureStats('n1', 'replay');
    return s !== undefined && s.packets === 4631 && s.confirmed + s.lost === s.packets - s.unroutable;
  }, 'the capture offered and settled', 90_000);
  const s = (await env.cluster.captureStats('n1', 'replay'))!;
  assert.equal(s.lost, 0);
  assert.equal(s.confirmed, s.packets - s.unroutable);
  const t = (await env.cluster.json<{ transport: { received: number; badFrames?: number } }>('n2', '/api/cluster')).transport;
  assert.ok(t.received > 0, 'n2 received messages from n1');
  const client = new Etcd3({ hosts: env.etcd.endpoint });
  try {
    const stored = await client.getAll().prefix('/autoimmune/sealed/envelope-keys/').keys();
    assert.equal(stored.length, 1, `one key made by the leader: ${stored}`);
  } finally {
    client.close();
  }
});
