import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
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
  assert.match(h.stdout, /autoimmune status \[--json\]/);
  const v = run('--version');
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('unknown commands, unknown flags and bad values are clear errors with a non-zero exit', () => {
  const c = run('strat');
  assert.equal(c.status, 2);
  assert.match(c.stderr, /unknown command "strat"; the commands are start, status, replay, block, unblock, bans, protected, alerts, allow, ask, feeds, bouncers, install-service, eval/);
  const f = run('start', '--prot', '80');
  assert.equal(f.status, 2);
  assert.match(f.stderr, /Unknown option '--prot'/);
  const p = run('start', '--port', 'eighty');
  assert.equal(p.status, 2);
  assert.match(p.stderr, /--port must be an integer from 0 to 65535, got "eighty"/);
  const dir = testTempDir('ai-cli-');
  writeFileSync(join(dir, 'bad.json'), '{"supervision":{"shutdownMs":-1}}');
  const b = run('start', '--config', join(dir, 'bad.json'));
  assert.equal(b.status, 2);
  assert.match(b.stderr, /field "supervision\.shutdownMs" has bad value -1: expected an integer from 0 to 600000/);
  const s = run('status', '--url', 'http://127.0.0.1:9');
  assert.equal(s.status, 2);
  assert.match(s.stderr, /no node answers at http:\/\/127\.0\.0\.1:9/);
});

test('start runs a node; status prints its tree; block, bans and unblock work through its API; SIGTERM stops it cleanly', async () => {
  const dir = testTempDir('ai-cli-');
  const cfg = join(dir, 'node.json');
  writeFileSync(cfg, JSON.stringify({ node: { stateDir: join(dir, 'state') }, firewall: { backend: 'dry-run' }, model: { enabled: false } }));
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    assert.match(out, /firewall\s+dry-run/);

    // The token comes from the node's state dir (found through --config).
    const b = run('block', '203.0.113.7', '--ttl', '10m', '--reason', 'seen in the logs', '--url', url, '--config', cfg);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /banned 203\.0\.113\.7 for 10m \(seen in the logs\)/);
    const l = run('bans', '--url', url, '--config', cfg);
    // (exactly 10m left when the listing comes within the same second as the ban: durations.ts leaves out 0s)
    assert.match(l.stdout, /203\.0\.113\.7\s+operator\s+-\s+-\s+\d+m(?: \d+s)?\s+seen in the logs/);
    const lo = run('block', '127.0.0.1', '--url', url, '--config', cfg);
    assert.equal(lo.status, 2);
    assert.match(lo.stderr, /127\.0\.0\.1.*allow-listed.*127\.0\.0\.0\/8 \(loopback\)/);
    const bad = run('block', '203.0.113.300', '--url', url, '--config', cfg);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /203\.0\.113\.300/);
    const ttl = run('block', '203.0.113.8', '--ttl', '99d', '--url', url, '--config', cfg);
    assert.equal(ttl.status, 2);
    assert.match(ttl.stderr, /8553600/);
    const wrong = run('block', '203.0.113.9', '--url', url, '--token', 'not-the-token-at-all');
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /refused the token/);
    const u = run('unblock', '203.0.113.7', '--url', url, '--config', cfg);
    assert.equal(u.status, 0, u.stderr);
    assert.match(run('bans', '--url', url, '--config', cfg).stdout, /no bans in force/);
    const again = run('unblock', '203.0.113.7', '--url', url, '--config', cfg);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /203\.0\.113\.7 is not banned/);

    // Questions: the ban and its lifting are stored decisions.
    const q = run('ask', 'how many bans today?', '--url', url, '--config', cfg);
    assert.equal(q.status, 0, q.stderr);
    assert.match(q.stdout, /\b1\b/);
    assert.match(q.stdout, /query: \{"kind":"decision"/);
    const nq = run('ask', 'tell me a joke', '--url', url, '--config', cfg);
    assert.equal(nq.status, 0, nq.stderr);
    assert.match(nq.stdout, /could not map/);
    assert.equal(run('ask', '--url', url).status, 2, 'a question is needed');
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.match(out, /SIGTERM: stopping the actor tree in reverse order/);
});
