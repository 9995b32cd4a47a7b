// The node flags and environment of src/node/process-flags.ts: every place that starts the
// product gives them, the installed command's first line runs, a node started with them keeps
// its main thread's young generation within them while it allocates (without them it grows
// past) and collects its old generation before garbage piles up (without the ceiling V8 lets
// it grow to four times what a mark-compact left), and with the environment large blocks it frees are given back to the system (without
// it they stay resident in glibc's heap).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NODE_ENV_VARS, NODE_ENV_WORDS, NODE_FLAGS, nodeEnv } from '../src/node/process-flags.ts';
import { nodeRunArgs } from '../bench/node/node-run-command.ts';

const file = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

test('npm start, the installed command and the node benchmark give node the flags and the environment', () => {
  const pkg = JSON.parse(readFileSync(file('package.json'), 'utf8')) as { scripts: Record<string, string> };
  // npm start runs the installed command, whose first line gives node the flags and the environment.
  assert.equal(pkg.scripts.start, 'bin/autoimmune.js start');
  const first = readFileSync(file('bin/autoimmune.js'), 'utf8').split('\n')[0];
  assert.equal(first, `#!/usr/bin/env -S ${NODE_ENV_WORDS.join(' ')} node ${NODE_FLAGS.join(' ')}`);
  process.env.AUTOIMMUNE_BENCH_TSX = '1'; // (the compiled path would build dist/ first)
  try {
    assert.deepEqual(nodeRunArgs().slice(0, NODE_FLAGS.length), [...NODE_FLAGS]);
  } finally {
    delete process.env.AUTOIMMUNE_BENCH_TSX;
  }
  // From an environment without them (the runner's own may have them set).
  const env = nodeEnv({ PATH: '/x' });
  for (const [k, v] of Object.entries(NODE_ENV_VARS)) assert.equal(env[k], v, k);
  assert.equal(env.PATH, '/x', 'the caller\'s environment is kept');
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

test('with the flags the main thread new space stays within its two semi-spaces; without, it grows past them', () => {
  const semi = Number(NODE_FLAGS.find((f) => f.startsWith('--max-semi-space-size='))!.split('=')[1]);
  const withFlags = newSpaceMb(NODE_FLAGS);
  const without = newSpaceMb([]);
  assert.ok(withFlags <= 2 * semi, `new space ${withFlags} MB with ${NODE_FLAGS.join(' ')}`);
  assert.ok(without > 2 * semi, `new space ${without} MB with Node's defaults (the test's churn should grow it past ${2 * semi} MB)`);
});

// Holds 100,000 small objects (about 16 MB) and makes 1.2 million more that survive a scavenge
// or two and die in the old generation, then prints the most heap ever used and what is live
// after full collections.
const OLD_CHURN = `
const live = []; for (let i = 0; i < 100000; i++) live.push({ a: i, b: 'x' + i, c: [i] });
const ring = new Array(40000); let max = 0;
for (let r = 0; r < 30; r++) {
  for (let i = 0; i < ring.length; i++) ring[i] = { a: i, b: 'y' + i + r, c: [i, r] };
  max = Math.max(max, process.memoryUsage().heapUsed);
}
ring.fill(null); gc(); gc();
console.log(String(max / 1048576), String(process.memoryUsage().heapUsed / 1048576), live.length);`;

function oldChurn(flags: readonly string[]): { maxMb: number; liveMb: number } {
  const r = spawnSync(process.execPath, [...flags, '--expose-gc', '-e', OLD_CHURN], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [maxMb, liveMb] = r.stdout.split(' ').map(Number) as [number, number];
  return { maxMb, liveMb };
}

test('with the flags V8 collects the old generation before the heap used reaches three times the live heap; without, it lets it pile up', () => {
  const semi = NODE_FLAGS.filter((f) => f.startsWith('--max-semi-space-size='));
  const withFlags = oldChurn(NODE_FLAGS);
  const without = oldChurn(semi); // the same young generation: only the old generation's ceiling differs
  assert.ok(withFlags.maxMb < 3 * withFlags.liveMb, `with ${NODE_FLAGS.join(' ')}: ${withFlags.maxMb.toFixed(1)} MB used at most, ${withFlags.liveMb.toFixed(1)} live`);
  assert.ok(without.maxMb > 3 * without.liveMb, `with V8's default ceiling: ${without.maxMb.toFixed(1)} MB used at most, ${without.liveMb.toFixed(1)} live (the churn should let garbage pile up)`);
});

// Frees an 8 MiB block (by default glibc then raises its mmap threshold to 8 MiB and its trim
// threshold to 16), then makes 16 blocks of 1 MiB with a small block kept after each, frees
// the 1 MiB ones and prints the KiB glibc's heap ([heap]) holds resident before and after.
// Typed arrays' memory is malloc's (Node's array buffer allocator); two full GCs: the second
// waits for the first's freeing of array buffers (V8 frees them on a helper thread).
const FREED = `
const { readFileSync } = require('node:fs');
function heapKb() {
  const s = readFileSync('/proc/self/smaps', 'utf8');
  const i = s.indexOf('[heap]\\n');
  return i < 0 ? 0 : Number(/Rss:\\s+(\\d+) kB/.exec(s.slice(i))[1]);
}
function freedBlock() { new Uint8Array(8 << 20).fill(1); }
freedBlock(); gc(); gc();
const before = heapKb();
let kept = [];
function blocks() { const b = []; for (let i = 0; i < 16; i++) { b.push(new Uint8Array(1 << 20).fill(1)); kept.push(new Uint8Array(64 << 10).fill(1)); } }
blocks(); gc(); gc();
console.log(String(heapKb() - before), kept.length);`;

function heapKeptKb(env: NodeJS.ProcessEnv): number {
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', FREED], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.split(' ')[0]);
}

test('with the environment the 16 MiB of large blocks a node freed are given back; without, glibc\'s heap keeps them', (t) => {
  if (process.platform !== 'linux' || !readFileSync('/proc/self/maps', 'utf8').includes('libc.so.6')) return t.skip('glibc only');
  const clean = { ...process.env };
  for (const k of Object.keys(NODE_ENV_VARS)) delete clean[k];
  const withEnv = heapKeptKb({ ...clean, ...NODE_ENV_VARS });
  const without = heapKeptKb(clean);
  // What stays is the kept 64 KiB blocks (1 MiB) and malloc's own small blocks.
  assert.ok(withEnv < 4096, `glibc's heap holds ${withEnv} KiB more with ${NODE_ENV_WORDS.join(' ')}`);
  assert.ok(without >= 16384, `glibc's heap holds ${without} KiB more without the environment (the test's blocks should stay resident by default)`);
});
