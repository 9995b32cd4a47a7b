// The operator commands: `--help` on each answers with exit 0; `install-service` writes a unit
// that `systemd-analyze verify` accepts with no warning, with CAP_NET_RAW/CAP_NET_ADMIN and not
// full root; a bad config or an existing unit stops it before anything is written.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chmodSync, mkdirSync } from 'node:fs';
import { unreadableAncestor } from '../src/cli/install-service.ts';
import { NODE_ENV_WORDS, NODE_FLAGS } from '../src/node/process-flags.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8' });

test('--help on every operator command and subcommand: exit 0, its own usage', () => {
  for (const args of [['feeds', '--help'], ['feeds', 'import', '--help'], ['feeds', 'list', '-h'], ['bouncers', '--help'], ['bouncers', 'add', '--help'], ['install-service', '--help']]) {
    const r = cli(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`autoimmune ${args[0]}`), args.join(' '));
  }
  const bad = cli('feeds', 'import', 'x', '--formt', 'plain');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--formt.*autoimmune feeds --help/);
});

test('install-service writes a unit systemd-analyze verify accepts; capabilities, not root', (t) => {
  if (spawnSync('systemd-analyze', ['--version']).status !== 0) return t.skip('systemd-analyze is not installed (apt-get install systemd)');
  const dir = testTempDir('autoimmune-unit-');
  const config = join(dir, 'node.json');
  writeFileSync(config, JSON.stringify({ http: { port: 8100 } }));
  const r = cli('install-service', '--unit-dir', dir, '--name', 'ai-test', '--config', config);
  assert.equal(r.status, 0, r.stderr);
  const file = join(dir, 'ai-test.service');
  const unit = readFileSync(file, 'utf8');
  assert.match(unit, /^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN$/m);
  assert.match(unit, /^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$/m);
  assert.match(unit, /^DynamicUser=yes$/m);
  assert.doesNotMatch(unit, /^User=root/m);
  assert.match(unit, /^StateDirectory=autoimmune$/m);
  assert.match(unit, /^ProtectSystem=strict$/m);
  assert.match(unit, /^NoNewPrivileges=yes$/m);
  for (const w of NODE_ENV_WORDS) assert.match(unit, new RegExp(`^Environment=${w}$`, 'm'));
  assert.match(unit, new RegExp(`^ExecStart=\\S+ ${NODE_FLAGS.join(' ')} \\S+/bin/autoimmune\\.js start --state-dir /var/lib/autoimmune --config ${config.replace(/[.]/g, '\\.')}$`, 'm'));
  const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stderr.split('\n').filter((l) => l.includes('ai-test.service')).join('\n'), '', 'no warning about the unit');

  // A state dir elsewhere is made writable explicitly; a named user replaces the dynamic one.
  const other = cli('install-service', '--print', '--state-dir', '/srv/ai', '--user', 'autoimmune');
  assert.match(other.stdout, /^ReadWritePaths=\/srv\/ai$/m);
  assert.match(other.stdout, /^User=autoimmune$/m);

  // Refused before anything is written.
  assert.equal(cli('install-service', '--unit-dir', dir, '--name', 'ai-test').status, 2, 'an existing unit needs --force');
  writeFileSync(config, JSON.stringify({ http: { prot: 1 } }));
  const bad = cli('install-service', '--unit-dir', dir, '--name', 'ai-bad', '--config', config);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown field "http\.prot"/);
  assert.equal(existsSync(join(dir, 'ai-bad.service')), false);
  assert.equal(cli('install-service', '--state-dir', 'relative/dir', '--print').status, 2);
});

test('install-service names a folder the service\'s dynamic user could not enter', () => {
  const dir = testTempDir('autoimmune-closed-');
  const inner = join(dir, 'project');
  mkdirSync(inner);
  chmodSync(dir, 0o700);
  assert.equal(unreadableAncestor(inner), dir);
  chmodSync(dir, 0o755);
  assert.equal(unreadableAncestor(inner), null);
});
