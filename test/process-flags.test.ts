// The node flags of src/node/process-flags.ts: every place that starts the product gives
// them, the installed command's first line runs, and a node started with them keeps its
// main thread's young generation within them while it allocates (without them it grows past).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../src/node/process-flags.ts';
import { nodeRunArgs } from '../bench/node/node-run-command.ts';

const file = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

test('npm start, the installed command and the node benchmark give node the flags', () => {
  const pkg = JSON.parse(readFileSync(file('package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, `node ${NODE_FLAGS.join(' ')} bin/autoimmune.js start`);
  const first = readFileSync(file('bin/autoimmune.js'), 'utf8').split('\n')[0];
  assert.equal(first, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  process.env.AUTOIMMUNE_BENCH_TSX = '1'; // (the compiled path would build dist/ first)
  try {
    assert.deepEqual(nodeRunArgs().slice(0, NODE_FLAGS.length), [...NODE_FLAGS]);
  } finally {
    delete process.env.AUTOIMMUNE_BENCH_TSX;
  }
});

test('the installed command runs through its first line', () => {
  const r = spawnSync(file('bin/autoimmune.js'), ['--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /autoimmune/);
});

// Allocates 1.5 million short-lived arrays, each alive while the next 20,000 are made (so
// scavenges find survivors and V8 grows the new space), then prints the new space's committed MB.
const CHURN = `
const v8 = require('node:v8');
const ring = new Array(20000);
for (let i = 0; i < 1500000; i++) ring[i % 20000] = new Array(16).fill(i);
const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
console.log(String(s.physical_space_size / 1048576), ring.length);`;

function newSpaceMb(flags: readonly string[]): number {
  const r = spawnSync(process.execPath, [...flags, '-e', CHURN], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.split(' ')[0]);
}

test('with the flags the main thread new space stays within two 8 MB semi-spaces; without, it grows past them', () => {
  const semi = Number(NODE_FLAGS.find((f) => f.startsWith('--max-semi-space-size='))!.split('=')[1]);
  const withFlags = newSpaceMb(NODE_FLAGS);
  const without = newSpaceMb([]);
  assert.ok(withFlags <= 2 * semi, `new space ${withFlags} MB with ${NODE_FLAGS.join(' ')}`);
  assert.ok(without > 2 * semi, `new space ${without} MB with Node's defaults (the test's churn should grow it past ${2 * semi} MB)`);
});
