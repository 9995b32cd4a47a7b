// A single node's bans outlive it, with the real nftables backend in a test-made namespace and
// the node as a real process (`autoimmune start`) inside it:
// - ban, stop (SIGTERM), the kernel keeps the ban; start again: it is in the API and the kernel;
// - a second node on the same table refuses to start, naming the owner, and leaves the first
//   node's kernel set intact;
// - SIGKILL while bans are being made: every ban the API acknowledged is there after a restart.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { callIn, withNetnsNode } from '../devkit/netns-node.ts';
import { readToken } from '../src/node/state-dir.ts';
import { waitFor } from '../devkit/wait.ts';

const run = promisify(execFile);

test('a ban outlives a restart in the API and the kernel; a second node on the same table refuses to start', (t) =>
  withNetnsNode(t, 'autoimmune-durable-node-', {}, async ({ pair, dir, stateDir, nft, start }) => {
    const [banned, bystander] = pair.attackerV4;
    let node = await start('n1');
    const token = readToken(stateDir, undefined, {});
    const made = await callIn(pair.defender, `${node.url}/api/bans`, 'POST', token, { address: banned, ttl: 3600, reason: 'restart test' });
    assert.equal(made.status, 201, JSON.stringify(made));
    await waitFor(async () => (await nft.list()).some((e) => e.address === banned), 'the ban reaches the kernel');
    assert.equal(await pair.probe(banned), 'dropped');

    await node.stop();
    // Stopped: the kernel keeps the ban (its own timeout runs), so there is no window.
    assert.deepEqual((await nft.list()).map((e) => e.address), [banned]);
    assert.equal(await pair.probe(banned), 'dropped');

    node = await start('n1');
    assert.match(node.output(), /bans: 1 in force loaded/);
    const bans = (await callIn(pair.defender, `${node.url}/api/bans`, 'GET', null)).body as Array<{ address: string; reason: string }>;
    assert.deepEqual(bans.map((b) => [b.address, b.reason]), [[banned, 'restart test']]);
    await waitFor(async () => (await nft.list()).some((e) => e.address === banned), 'still in the kernel after the reconcile');
    assert.equal(await pair.probe(banned), 'dropped');
    assert.equal(await pair.probe(bystander), 'passed');

    // A second node, its own state dir, the same table in the same namespace: refused.
    const second = await start('n2', join(dir, 'state2')).then(
      (p) => ({ started: p }),
      (err: Error) => ({ error: err.message }),
    );
    if ('started' in second) {
      await second.started.kill();
      assert.fail('the second node started on a table another node owns');
    }
    assert.match(second.error, /firewall table autoimmune \(nftables\).*already managed by node \S+ \(pid \d+, state dir .*state\b/);
    assert.match(second.error, /set firewall\.table/);
    assert.deepEqual((await nft.list()).map((e) => e.address), [banned], 'the first node\'s kernel set is intact');
    assert.equal(await pair.probe(banned), 'dropped');
  }));

test('SIGKILL while bans are made loses none that the API acknowledged', (t) =>
  withNetnsNode(t, 'autoimmune-durable-kill-', {}, async ({ pair, stateDir, nft, start }) => {
    let node = await start('n1');
    const token = readToken(stateDir, undefined, {})!;
    // A client in the namespace bans 203.0.113.0, .1, … one after another and prints each
    // address the API acknowledged; the node is killed while it goes on.
    const script = `
      for (let i = 0; i < 250; i++) {
        const address = '203.0.113.' + i;
        try {
          const r = await fetch(process.argv[1] + '/api/bans', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + process.argv[2] }, body: JSON.stringify({ address, ttl: 3600 }) });
          if (r.status === 201) console.log(address);
        } catch { break; }
      }`;
    const client = execFile('ip', ['netns', 'exec', pair.defender, process.execPath, '--input-type=module', '-e', script, node.url, token]);
    const acked: string[] = [];
    let partial = '';
    client.stdout!.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      acked.push(...lines.filter(Boolean));
    });
    const clientDone = new Promise((r) => client.once('exit', r));
    await waitFor(() => acked.length >= 40, '40 bans acknowledged', 60_000);
    await node.kill('SIGKILL');
    await clientDone;
    assert.ok(acked.length < 250, 'the node died before the client was through');

    node = await start('n1');
    const listed = new Set(((await callIn(pair.defender, `${node.url}/api/bans`, 'GET', null)).body as Array<{ address: string }>).map((b) => b.address));
    const lost = acked.filter((a) => !listed.has(a));
    assert.deepEqual(lost, [], `acknowledged then lost (of ${acked.length} acknowledged)`);
    await waitFor(async () => (await nft.list()).length >= acked.length, 'every acknowledged ban is in the kernel');
  }));
