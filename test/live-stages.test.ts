// The live benchmark's stage stamps (bench/node/live-stages.ts) read fields private to the
// node's classes: one that is gone or renamed fails with its name, not as NaN or a TypeError
// from inside the node.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { field, installStages } from '../bench/node/live-stages.ts';
import { LiveCapture } from '../src/net/live-capture.ts';
import { ShardRouter } from '../src/net/shard-router.ts';

test('a stamp whose field is missing names it', () => {
  installStages();
  const batch = { length: 1, lateAfterMs: 0, ts: [0] };
  assert.throws(() => (ShardRouter.prototype.route as (b: unknown) => unknown).call({}, batch), /live-stages: Object\.lateAfterMs is not a number \(undefined\)/);
  assert.throws(() => (LiveCapture.prototype as unknown as { deliver(): unknown }).deliver.call({ ready: 'x' }), /live-stages: Object\.ready is not an array \(string\)/);
});

test('the fields the stamps read are there, with their kinds, on real instances', { skip: process.getuid?.() !== 0 ? 'live capture needs root' : false }, async () => {
  const router = new ShardRouter(2, 256, (_s, b) => b.release(), 10);
  assert.equal(typeof field(router, 'lateAfterMs', 'number'), 'number');
  const capture = LiveCapture.open({ iface: 'lo', filter: 'udp and dst port 9' });
  try {
    assert.ok(Array.isArray(field(capture, 'ready', 'array')));
    assert.equal(typeof field(capture, 'readPackets', 'number'), 'number');
  } finally {
    await capture.close();
  }
});
