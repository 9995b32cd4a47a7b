// Choosing the firewall backend: configured kinds as asked; "auto" by what works, with the
// reason. The fallbacks are shown by running with a PATH that lacks nft (or everything).

import { test } from 'node:test';
import { testTempDir } from '../devkit/temp-dir.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chooseFirewallBackend } from '../src/firewall/choose-backend.ts';
import { NftablesBackend } from '../src/firewall/nftables.ts';
import { IptablesIpsetBackend } from '../src/firewall/iptables-ipset.ts';
import { DryRunBackend } from '../src/firewall/dry-run.ts';
import { XdpBackend } from '../src/firewall/xdp.ts';
import { withNetnsPair } from '../devkit/netns.ts';

test('choose: a configured kind is taken as it is', async () => {
  const nft = await chooseFirewallBackend('nftables', { table: 'node_b', isRoot: false });
  assert.ok(nft.backend instanceof NftablesBackend);
  assert.equal((nft.backend as NftablesBackend).table, 'node_b');
  assert.equal(nft.why, 'nftables: configured');
  const ipt = await chooseFirewallBackend('iptables-ipset', { table: 'node_b' });
  assert.ok(ipt.backend instanceof IptablesIpsetBackend);
  assert.equal((ipt.backend as IptablesIpsetBackend).chain, 'NODE_B');
  assert.ok((await chooseFirewallBackend('dry-run')).backend instanceof DryRunBackend);
  const xdp = await chooseFirewallBackend('xdp', { table: 'node_b', netns: 'lab1', xdp: { interfaces: ['eth1'], mode: 'skb' } });
  assert.ok(xdp.backend instanceof XdpBackend);
  assert.equal(xdp.backend.expires, false, 'its maps have no timeouts: the actor expires bans');
  assert.equal((xdp.backend as XdpBackend).bpffs, '/run/autoimmune/bpf/lab1-node_b');
  assert.throws(() => new XdpBackend({ interfaces: ['eth0; rm -rf /'] }), /not an interface name/);
  await assert.rejects(chooseFirewallBackend('pf' as 'auto'), /unknown firewall backend kind "pf": expected auto, nftables, iptables-ipset, xdp or dry-run/);
});

test('choose: auto without root is dry-run, and says so', async () => {
  const { backend, why } = await chooseFirewallBackend('auto', { isRoot: false });
  assert.equal(backend.name, 'dry-run');
  assert.match(why, /^dry-run: not root/);
});

/** Runs `fn` with PATH holding only links to the named programs. */
async function withOnly<T>(programs: string[], fn: () => Promise<T>): Promise<T> {
  const dir = testTempDir('ai-path-');
  const saved = process.env.PATH;
  try {
    for (const p of programs) symlinkSync(execFileSync('sh', ['-c', `command -v ${p}`]).toString().trim(), join(dir, p));
    process.env.PATH = dir;
    return await fn();
  } finally {
    process.env.PATH = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('choose: auto as root picks nftables, else iptables+ipset, else dry-run, naming what failed', async (t) => {
  await withNetnsPair(t, 'probes nft, iptables and ipset inside a network namespace', async (pair) => {
    const netns = pair.defender;
    const first = await chooseFirewallBackend('auto', { netns });
    assert.equal(first.backend.name, 'nftables');
    assert.equal(first.why, 'nftables: root and nft works');

    const ipt = ['ip', 'ipset', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore'];
    const second = await withOnly(ipt, () => chooseFirewallBackend('auto', { netns }));
    assert.equal(second.backend.name, 'iptables-ipset');
    assert.match(second.why, /^iptables-ipset: nft does not work \(nft: .*"nft" is not installed/);

    const third = await withOnly(['ip'], () => chooseFirewallBackend('auto', { netns }));
    assert.equal(third.backend.name, 'dry-run');
    assert.match(third.why, /^dry-run: neither nft \(.*\) nor iptables\+ipset \(ipset: .*; iptables: .*\) works$/);
  });
});
