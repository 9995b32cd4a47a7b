// The live benchmark's stage stamps (bench/node/live-stages.ts) read fields private to the
// node's classes: one that is gone or renamed fails with its name, not as NaN or a TypeError
// from inside the node.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { installStages } from '../bench/node/live-stages.ts';
import { LiveCapture } from '../src/net/live-capture.ts';
import { ShardRouter } from '../src/net/shard-router.ts';

test('a stamp whose field is missing names it', () => {
  installStages();
  const batch = { length: 1, lateAfterMs: 0, ts: [0] };
  assert.throws(() => (ShardRouter.prototype.route as (b: unknown) => unknown).call({}, batch), /live-stages: Object\.lateAfterMs is not a number \(undefined\)/);
  assert.throws(() => (LiveCapture.prototype as unknown as { deliver(): unknown }).deliver.call({ ready: 'x' }), /live-stages: Object\.ready is not an array \(string\)/);
});
