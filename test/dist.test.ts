// The compiled program (dist/), as `npm start` and bin/autoimmune.js run it: built by
// scripts/build.mjs, started with a temp state dir and a free port, it answers, its store
// thread and a shard thread work, the model trainer's thread trains, and no thread loads
// anything of tsx (NODE_DEBUG=esm logs every module each thread loads). The build's
// staleness check sees a file of the build changed.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { testTempDir } from '../devkit/temp-dir.ts';
import { findNode } from '../devkit/tree.ts';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';

const BIN = 'bin/autoimmune.js';
const BUILD = 'scripts/build.mjs';
const SOURCES = 'dist/.sources';
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

test('the build is stale when a file it read has another mtime or size, or is gone', () => {
  const b = spawnSync(process.execPath, [BUILD, '--if-stale'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(b.status, 0, b.stderr);
  const check = () => spawnSync(process.execPath, [BUILD, '--check'], { encoding: 'utf8' });
  assert.equal(check().status, 0, check().stdout);
  // The record of the last build is changed, not the sources (their times could not be put back exactly).
  const record = readFileSync(SOURCES, 'utf8');
  const line = record.split('\n').find((l) => l.endsWith(' src/errors.ts'))!;
  const [mtime, size] = line.split(' ').map(Number) as [number, number];
  const cases: [string, RegExp][] = [
    [record.replace(line, `${mtime - 1000} ${size} src/errors.ts`), /dist\/ is stale: src\/errors\.ts changed since the last build/],
    [record.replace(line, `${mtime} ${size + 1} src/errors.ts`), /dist\/ is stale: src\/errors\.ts changed since the last build/],
    [`${record}0 1 src/no-such-file.ts\n`, /dist\/ is stale: src\/no-such-file\.ts is gone since the last build/],
  ];
  try {
    for (const [text, says] of cases) {
      writeFileSync(SOURCES, text);
      const r = check();
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, says);
    }
  } finally {
    writeFileSync(SOURCES, record);
  }
  assert.equal(check().status, 0);
});

test('the compiled node answers, stores through its store thread, runs a shard thread, with no tsx loaded', async () => {
  const dir = testTempDir('ai-dist-');
  const cfg = join(dir, 'node.json');
  writeFileSync(cfg, JSON.stringify({ node: { stateDir: join(dir, 'state') }, firewall: { backend: 'dry-run' }, model: { enabled: false }, pipeline: { shards: 1, workers: true } }));
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_DEBUG: 'esm' } });
  let out = '';
  let loaded = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (loaded += d));
  try {
    const deadline = Date.now() + 60_000;
    while (!/status page\s+(http:\/\/\S+)\//.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`node did not start: ${out}${loaded.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /status page\s+(http:\/\/\S+)\//.exec(out)![1]!;
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200, await health.text());

    // A ban is a stored decision: the question reads it back through the store's thread.
    const b = run('block', '203.0.113.7', '--ttl', '10m', '--url', url, '--config', cfg);
    assert.equal(b.status, 0, b.stderr);
    const q = run('ask', 'how many bans today?', '--url', url, '--config', cfg);
    assert.equal(q.status, 0, q.stderr);
    assert.match(q.stdout, /\b1\b/);
    assert.match(q.stdout, /query: \{"kind":"decision"/);

    // The shard thread handles what the capture on lo reads (this test's own HTTP requests).
    const shardThread = async () => {
      const s = run('status', '--url', url, '--json');
      assert.equal(s.status, 0, s.stderr);
      return findNode(JSON.parse(s.stdout).tree as TreeSnapshot, (n) => n.kind === 'shard-thread');
    };
    for (const until = Date.now() + 30_000; ; ) {
      const shard = await shardThread();
      assert.equal(shard?.status, 'running', JSON.stringify(shard));
      if (shard!.processed > 0) break;
      if (Date.now() > until) assert.fail(`the shard thread handled nothing: ${JSON.stringify(shard)}`);
      await fetch(`${url}/health`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
  assert.equal(child.exitCode, 0, out);
  // The threads started from their compiled bodies, and nothing of tsx was loaded anywhere.
  assert.match(loaded, /dist\/src\/store\/backend-thread-worker\.js/);
  assert.match(loaded, /dist\/src\/shards\/shard-thread\.js/);
  assert.doesNotMatch(loaded, /node_modules\/tsx\//);
  assert.doesNotMatch(loaded, /\/src\/[\w/-]+\.ts\b/);
});

test('the compiled trainer trains in its worker thread with no tsx loaded', () => {
  const dir = testTempDir('ai-dist-');
  const script = join(dir, 'train.mjs');
  const trainer = pathToFileURL('dist/src/detect/model/train-in-worker.js').href;
  writeFileSync(script, `const { trainInWorker } = await import(${JSON.stringify(trainer)});
const rows = new Float64Array(400 * 6).map((_, i) => (i * 7919) % 101 / 101);
const m = await trainInWorker('density', rows, 400, 6, {});
process.stdout.write(m.constructor.name);
`);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_DEBUG: 'esm' } });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  assert.equal(r.stdout, 'DensityModel');
  assert.match(r.stderr, /dist\/src\/detect\/model\/train-worker\.js/);
  assert.doesNotMatch(r.stderr, /node_modules\/tsx\//);
});
