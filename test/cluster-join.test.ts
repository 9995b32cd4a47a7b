// The cluster join secret with real node processes and a real etcd: `autoimmune start --etcd
// URL --node-id ID` alone starts a new cluster's first node, which makes the secret in its
// state dir (0600) and says where; a second node without it is refused with what to do; with
// a copy it joins; with another cluster's secret it is refused.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createJoinSecretFile, fingerprint, JOIN_SECRET_FILE } from '../src/cluster/join-secret.ts';
import { spawnNodeProcess, type NodeProcess } from '../devkit/node-process.ts';
import { startEtcd, type TestEtcd } from '../devkit/etcd.ts';
import { waitFor } from '../devkit/wait.ts';

const dir = testTempDir('autoimmune-join-');
let etcd: TestEtcd;
const nodes: NodeProcess[] = [];
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
  await etcd?.stop();
});

/** A config file: the dry-run firewall, no capture, no model, its own cluster name. */
function config(): string {
  const file = join(dir, 'node.json');
  writeFileSync(file, JSON.stringify({ firewall: { backend: 'dry-run' }, model: { enabled: false }, capture: { interfaces: [] }, cluster: { name: 'join', leaseTtlMs: 2000 } }));
  return file;
}

async function start(id: string, joinSecret?: string): Promise<NodeProcess> {
  const n = await spawnNodeProcess({ id, etcd: [etcd.endpoint], config: config(), stateDir: join(dir, id), ...(joinSecret ? { joinSecret } : {}) });
  nodes.push(n);
  return n;
}

async function members(n: NodeProcess): Promise<string[]> {
  return ((await (await fetch(`${n.url}/health`)).json()) as { cluster: { members: string[] } }).cluster.members;
}

test('the first node makes the secret in its state dir and says where; a node without it is refused; with a copy it joins; with another secret it is refused', async () => {
  const a = await start('a');
  const secretFile = join(dir, 'a', JOIN_SECRET_FILE);
  assert.equal(statSync(secretFile).mode & 0o777, 0o600, 'owner-only');
  assert.match(readFileSync(secretFile, 'utf8'), /^[0-9a-f]{64}\n$/);
  const fp = fingerprint(Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'hex'));
  assert.match(a.output(), new RegExp(`first node of cluster join: made its join secret ${secretFile.replace(/[.]/g, '\\.')} \\(fingerprint ${fp}\\)\\. Every other node needs a copy`));

  await assert.rejects(start('b'), (e: unknown) => /exited \(code 2\)[^]*cluster join already has members \(a\) and this node has no cluster join secret at .*b\/cluster-join\.key: copy cluster-join\.key from a member's state dir/.test((e as Error).message), 'no secret, members there');

  const b = await start('b', secretFile);
  await waitFor(async () => (await members(a)).length === 2 && (await members(b)).length === 2, 'a and b see each other', 30_000);

  const other = join(dir, 'other.key');
  createJoinSecretFile(other);
  await assert.rejects(start('c', other), (e: unknown) => /exited \(code 2\)[^]*cluster join secret .*other\.key \(fingerprint [0-9a-f]+\) is not cluster join's \(fingerprint [0-9a-f]+, made by node a/.test((e as Error).message), "another cluster's secret");
  assert.deepEqual(await members(a), ['a', 'b'], 'c never became a member');
});
