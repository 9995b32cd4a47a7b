import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const BIN = 'bin/autoimmune.js';
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

test('--help lists the commands; --version prints the package version', () => {
  const h = run('--help');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /autoimmune start \[--config FILE\]/);
  assert.match(h.stdout, /autoimmune status \[--url URL\]/);
  const v = run('--version');
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('unknown commands, unknown flags and bad values are clear errors with a non-zero exit', () => {
  const c = run('strat');
  assert.equal(c.status, 2);
  assert.match(c.stderr, /unknown command "strat"; the commands are start, status and replay/);
  const f = run('start', '--prot', '80');
  assert.equal(f.status, 2);
  assert.match(f.stderr, /Unknown option '--prot'/);
  const p = run('start', '--port', 'eighty');
  assert.equal(p.status, 2);
  assert.match(p.stderr, /--port must be an integer from 0 to 65535, got "eighty"/);
  const dir = mkdtempSync(join(tmpdir(), 'ai-cli-'));
  writeFileSync(join(dir, 'bad.json'), '{"supervision":{"shutdownMs":-1}}');
  const b = run('start', '--config', join(dir, 'bad.json'));
  assert.equal(b.status, 2);
  assert.match(b.stderr, /field "supervision\.shutdownMs" has bad value -1: expected an integer from 0 to 600000/);
  const s = run('status', '--url', 'http://127.0.0.1:9');
  assert.equal(s.status, 2);
  assert.match(s.stderr, /no node answers at http:\/\/127\.0\.0\.1:9/);
});

test('start runs a node; status prints its tree; SIGTERM stops it cleanly', async () => {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  try {
    const deadline = Date.now() + 30_000;
    while (!/status page\s+(http:\/\/\S+)\//.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`node did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /status page\s+(http:\/\/\S+)\//.exec(out)![1]!;
    const s = run('status', '--url', url);
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /membership\s+membership\s+running/);
    assert.match(s.stdout, /pipeline\s+pipeline\s+running/);
    const j = JSON.parse(run('status', '--url', url, '--json').stdout);
    assert.equal(j.tree.path, '/');
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.match(out, /SIGTERM: stopping the actor tree in reverse order/);
});
