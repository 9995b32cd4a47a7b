// Re-banning an address sets its kernel timeout anew, longer or shorter: the backend deletes
// the element and adds it again in one transaction (the add/delete/add dance). The script,
// and the real kernel.

import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import { checkBatch } from '../src/firewall/entries.ts';
import { ABSENT, buildScript } from '../src/firewall/nft-ruleset.ts';
import { NftablesBackend } from '../src/firewall/nftables.ts';
import { isRoot } from '../devkit/netns.ts';

test('the script: every add and removal is touched (added, deleted), then the adds are added anew with their timeouts', () => {
  const b = checkBatch([{ address: '192.0.2.1', timeoutS: 60 }], ['192.0.2.2']);
  const state = { ...ABSENT, exists: true, sets: new Map([['banned4', []], ['banned6', []]]) };
  const dance = buildScript({ table: 't', state, declare: false, add: b.add, remove: b.remove }).script;
  assert.deepEqual(dance.trim().split('\n'), ['add element inet t banned4 { 192.0.2.1, 192.0.2.2 }', 'delete element inet t banned4 { 192.0.2.1, 192.0.2.2 }', 'add element inet t banned4 { 192.0.2.1 timeout 60s }']);
});

test('the kernel: a re-ban sets the new timeout, longer or shorter', async (t) => {
  if (!isRoot()) return t.skip('needs root: creates a network namespace');
  const ns = `ai-${process.pid}-refresh`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const nft = new NftablesBackend({ netns: ns });
    await nft.setup();
    const timeout = async () => (await nft.list()).find((e) => e.address === '198.51.100.1')!.timeoutS;
    await nft.apply([{ address: '198.51.100.1', timeoutS: 100 }], []);
    assert.ok((await timeout()) <= 100);
    await nft.apply([{ address: '198.51.100.1', timeoutS: 5000 }], []);
    assert.ok((await timeout()) > 4900, 'extended');
    await nft.apply([{ address: '198.51.100.1', timeoutS: 50 }], []);
    assert.ok((await timeout()) <= 50, 'shortened');
    assert.deepEqual(execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' }).trim(), 'table inet autoimmune', 'nothing but its own table');
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
});

test("the kernel's own account (nft monitor): a ban or re-ban is add, delete, add in one generation; a lift is add, delete with no add after; an element timing out says nothing", async (t) => {
  if (!isRoot()) return t.skip('needs root: creates a network namespace');
  const ns = `ai-${process.pid}-monitor`;
  execFileSync('ip', ['netns', 'add', ns]);
  const monitor = spawn('ip', ['netns', 'exec', ns, 'nft', 'monitor']);
  try {
    const nft = new NftablesBackend({ netns: ns });
    await nft.setup();
    let out = '';
    monitor.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    // Each transaction ends in a "# new generation" line; wait for the n-th.
    const generations = async (n: number) => {
      for (let waited = 0; (out.match(/# new generation/g) ?? []).length < n; waited += 20) {
        if (waited > 60_000) throw new Error(`nft monitor reported ${(out.match(/# new generation/g) ?? []).length} of ${n} transactions:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // The monitor is listening once it reports a transaction made after it started.
    for (let k = 0; !/198\.51\.100\.9/.test(out); k++) {
      if (k > 600) throw new Error('nft monitor reported nothing');
      await nft.apply([{ address: '198.51.100.9', timeoutS: 100 + k }], []);
      await new Promise((r) => setTimeout(r, 50));
    }
    out = '';
    await nft.apply([{ address: '198.51.100.1', timeoutS: 1 }], []);
    await generations(1);
    await nft.apply([{ address: '198.51.100.2', timeoutS: 30 }], []);
    await nft.apply([{ address: '198.51.100.2', timeoutS: 50 }], []);
    await nft.apply([], ['198.51.100.2']);
    await generations(4);
    // 198.51.100.1 runs out in the kernel; one more transaction after that closes the record.
    while ((await nft.list()).some((e) => e.address === '198.51.100.1')) await new Promise((r) => setTimeout(r, 100));
    await nft.apply([{ address: '198.51.100.3', timeoutS: 100 }], []);
    await generations(5);
    const lines = out.split('\n').filter((l) => /element/.test(l)).map((l) => l.replace(/ expires \S+/, '').trim());
    const of = (a: string) => lines.filter((l) => l.includes(`${a} `));
    assert.deepEqual(of('198.51.100.1'), ['add element inet autoimmune banned4 { 198.51.100.1 }', 'delete element inet autoimmune banned4 { 198.51.100.1 }', 'add element inet autoimmune banned4 { 198.51.100.1 timeout 1s }'], 'its timing out is not reported');
    assert.deepEqual(of('198.51.100.2'), [
      'add element inet autoimmune banned4 { 198.51.100.2 }', 'delete element inet autoimmune banned4 { 198.51.100.2 }', 'add element inet autoimmune banned4 { 198.51.100.2 timeout 30s }',
      'add element inet autoimmune banned4 { 198.51.100.2 }', 'delete element inet autoimmune banned4 { 198.51.100.2 }', 'add element inet autoimmune banned4 { 198.51.100.2 timeout 50s }',
      'add element inet autoimmune banned4 { 198.51.100.2 }', 'delete element inet autoimmune banned4 { 198.51.100.2 }',
    ], 'the ban and the re-ban: add, delete, add; the lift: added (so the delete cannot fail) and deleted');
  } finally {
    monitor.kill();
    execFileSync('ip', ['netns', 'del', ns]);
  }
});
