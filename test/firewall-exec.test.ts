// The firewall command runner: output, failures with command/exit code/stderr, missing
// programs named (also inside a namespace), the time limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../src/firewall/exec.ts';
import { FirewallCommandError, FirewallToolMissingError } from '../src/firewall/errors.ts';
import { ConfigError } from '../src/errors.ts';
import { withNetnsPair } from '../devkit/netns.ts';

test('exec: stdin reaches the command, stdout and stderr come back', async () => {
  const r = await runCommand('sh', ['-c', 'cat; echo warned >&2'], { stdin: 'add element x\n'.repeat(20_000) });
  assert.equal(r.stdout, 'add element x\n'.repeat(20_000));
  assert.equal(r.stderr, 'warned\n');
});

test('exec: a failing command rejects with its argv, exit code and stderr', async () => {
  const err = await runCommand('sh', ['-c', 'echo "Error: no such table" >&2; exit 3']).catch((e: unknown) => e);
  assert.ok(err instanceof FirewallCommandError);
  assert.equal(err.code, 'AI_ERR_FIREWALL_COMMAND');
  assert.deepEqual(err.command, ['sh', '-c', 'echo "Error: no such table" >&2; exit 3']);
  assert.equal(err.exitCode, 3);
  assert.equal(err.stderr, 'Error: no such table\n');
  assert.match(err.message, /exited with code 3: Error: no such table/);
});

test('exec: a command that ignores its stdin and fails still reports its own failure', async () => {
  const err = await runCommand('sh', ['-c', 'exec 0<&-; echo bad >&2; exit 2'], { stdin: 'x'.repeat(1 << 20) }).catch((e: unknown) => e);
  assert.ok(err instanceof FirewallCommandError);
  assert.equal(err.exitCode, 2);
});

test('exec: a program that is not installed is named, with the package to install', async () => {
  const err = await runCommand('autoimmune-no-such-tool', ['-v']).catch((e: unknown) => e);
  assert.ok(err instanceof FirewallToolMissingError);
  assert.equal(err.code, 'AI_ERR_FIREWALL_TOOL_MISSING');
  assert.equal(err.tool, 'autoimmune-no-such-tool');
  // (Not root with /root directories on PATH, execvp reports EACCES rather than ENOENT.)
  assert.match(err.message, /"autoimmune-no-such-tool" (is not installed|cannot be run)/);
});

test('exec: the time limit kills the command', async () => {
  const err = await runCommand('sleep', ['30'], { timeoutMs: 50 }).catch((e: unknown) => e);
  assert.ok(err instanceof FirewallCommandError);
  assert.equal(err.timedOut, true);
  assert.equal(err.signal, 'SIGKILL');
  assert.match(err.message, /did not finish within 50 ms/);
});

test('exec: a namespace name that could leave /var/run/netns is refused', async () => {
  for (const bad of ['../x', 'a/b', '', '..', '-n']) await assert.rejects(runCommand('true', [], { netns: bad }), ConfigError, bad);
});

test('exec: inside a namespace: runs there, names a missing program, and fails on a missing namespace', async (t) => {
  let closed: string | undefined;
  await withNetnsPair(t, 'creates a network namespace', async (pair) => {
    const links = await runCommand('ip', ['-o', 'link'], { netns: pair.defender });
    assert.match(links.stdout, /eth0@/, 'sees the namespace own interfaces');
    assert.equal((await runCommand('cat', [], { netns: pair.defender, stdin: 'through\n' })).stdout, 'through\n');
    const missing = await runCommand('autoimmune-no-such-tool', [], { netns: pair.defender }).catch((e: unknown) => e);
    assert.ok(missing instanceof FirewallToolMissingError);
    assert.equal(missing.tool, 'autoimmune-no-such-tool');
    closed = pair.defender;
  });
  if (closed === undefined) return; // skipped: not root
  const gone = await runCommand('true', [], { netns: closed }).catch((e: unknown) => e);
  assert.ok(gone instanceof FirewallCommandError);
  assert.match(gone.stderr, /Cannot open network namespace/);
});
