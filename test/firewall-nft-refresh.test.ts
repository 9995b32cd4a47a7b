// Re-banning an address sets its kernel timeout anew, longer or shorter: the backend deletes
// the element and adds it again in one transaction (the add/delete/add dance). The script,
// and the real kernel.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
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
