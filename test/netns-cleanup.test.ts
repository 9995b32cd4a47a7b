// Namespaces a process makes are gone however it ends: a process that tracked a namespace
// (devkit/netns.ts trackNamespaces, as the drop-rate bench's labs do) and is then killed by
// SIGTERM, SIGINT or SIGHUP, which skip its 'exit' event, leaves none behind, and still
// ends by that signal.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { isRoot } from '../devkit/netns.ts';

const CHILD = `
import { trackNamespaces } from './devkit/netns.ts';
import { runCommand } from './src/firewall/exec.ts';
const name = 'ai-clean-' + process.pid;
trackNamespaces([name]);
await runCommand('ip', ['netns', 'add', name]);
console.log(name);
setInterval(() => {}, 1000);
`;

const namespaces = (): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!);

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`a tracked namespace is deleted when the process gets ${signal}`, async (t) => {
    if (!isRoot()) return t.skip('needs root: creates a network namespace');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
    const name = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before making its namespace`)));
    });
    try {
      assert.ok(namespaces().includes(name), `${name} exists while the child runs`);
      const ended = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
      child.kill(signal);
      assert.equal(await ended, signal, 'the child still ends by the signal');
      assert.ok(!namespaces().includes(name), `${name} is gone`);
    } finally {
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    }
  });
}
