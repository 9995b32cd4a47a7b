// The firewall actor enforces the guard itself, over real nftables in test-made namespaces:
// bans of protected addresses, of nets wider than allowed, malformed ones and one the backend
// refuses are set aside and reported, while every other ban is applied and the actor never
// restarts. And through a real etcd: a well-formed ban of 127.0.0.1 written straight into
// etcd is not applied.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { firewallSpec } from '../src/actors/firewall.ts';
import type { Ban } from '../src/respond/ban-registry.ts';
import { EtcdBanRegistry, bansPrefix } from '../src/respond/etcd-ban-registry.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import type { FirewallBackend, FirewallEntry } from '../src/firewall/backend.ts';
import { NftablesBackend } from '../src/firewall/nftables.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { BanGuard } from '../src/respond/ban-guard.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { startEtcd } from '../devkit/etcd.ts';
import { createNetnsPair, isRoot } from '../devkit/netns.ts';
import { waitFor } from '../devkit/wait.ts';

function ban(address: string, ttl = 300): Ban {
  const now = Date.now();
  return { address, ttl, expiresAt: now + ttl * 1000, reason: 'test', detector: 'operator', score: 1, at: now, offence: 1 };
}

/** The real backend, which refuses one address as a kernel would refuse a bad element. */
class RefusingBackend implements FirewallBackend {
  constructor(
    readonly inner: NftablesBackend,
    readonly refused: string,
  ) {}
  get name(): FirewallBackend['name'] {
    return this.inner.name;
  }
  setup() {
    return this.inner.setup();
  }
  async apply(add: readonly FirewallEntry[], remove: readonly string[]) {
    if (add.some((e) => e.address === this.refused)) throw new Error(`Error: Could not process rule: ${this.refused}`);
    return this.inner.apply(add, remove);
  }
  async reconcile(desired: readonly FirewallEntry[]) {
    if (desired.some((e) => e.address === this.refused)) throw new Error(`Error: Could not process rule: ${this.refused}`);
    return this.inner.reconcile(desired);
  }
  list() {
    return this.inner.list();
  }
  flush() {
    return this.inner.flush();
  }
}

test('the firewall sets aside protected, too wide, malformed and refused bans and applies the rest', async (t) => {
  if (!isRoot()) return t.skip('needs root: creates network namespaces and applies real rules in them');
  const pair = await createNetnsPair();
  const registry = new MemoryBanRegistry();
  const nft = new NftablesBackend({ netns: pair.defender });
  const backend = new RefusingBackend(nft, '203.0.113.99');
  const guard = new BanGuard(new AllowList({ interfaces: { eth0: [{ address: pair.defenderV4 }] }, configured: ['198.51.100.0/24'] }), { v4: 8, v6: 19 });
  const setAside = new Map<string, string>();
  const fw = firewallSpec({ backend, registry, guard, onSetAside: (a, why) => setAside.set(a, why) });
  const system = new ActorSystem({ nodeId: 'fw', onRootGaveUp: () => {}, root: { strategy: 'one_for_one', children: [fw] } });
  const [banned, bystander] = pair.attackerV4;
  try {
    // Present before the actor starts (the reconcile) and arriving after it (a transaction).
    await registry.put(ban('127.0.0.1'));
    await registry.put(ban('203.0.113.99'));
    await registry.put(ban(banned));
    await system.start();
    for (const bad of ['0.0.0.0/0', '2000::/3', pair.defenderV4, '198.51.100.7', '203.0.113.99']) await registry.put(ban(bad));
    // A malformed ban is refused by the registry itself (a value in etcd that is one: the next test).
    await assert.rejects(registry.put(ban('zzz')), { code: 'AI_ERR_MALFORMED_BAN' });
    await registry.put(ban(pair.attackerV6[0]));
    await waitFor(async () => (await nft.list()).length === 2, 'the two good bans reach the kernel');
    await waitFor(() => setAside.size === 6, 'every bad ban is set aside');
    assert.deepEqual((await nft.list()).map((e) => e.address).sort(), [banned, pair.attackerV6[0]].sort());
    assert.match(setAside.get('127.0.0.1')!, /loopback/);
    assert.match(setAside.get('0.0.0.0/0')!, /loopback|wider/);
    assert.match(setAside.get('2000::/3')!, /wider than \/19/);
    assert.match(setAside.get(pair.defenderV4)!, /this node's address on eth0/);
    assert.match(setAside.get('198.51.100.7')!, /configured/);
    assert.match(setAside.get('203.0.113.99')!, /nftables backend refused it/);
    assert.equal(fw.progress.setAside.size, 6);
    assert.ok(!system.lifecycle.recent.some((e) => e.type === 'crashed'), 'the actor never crashed');
    assert.equal(await pair.probe(banned), 'dropped');
    assert.equal(await pair.probe(bystander), 'passed');
  } finally {
    await system.stop();
    await registry.close();
    await nft.flush().catch(() => {});
    await pair.close();
  }
});

test('a ban of 127.0.0.1 or a malformed value written straight into etcd is not applied; the good ones are', async (t) => {
  if (!isRoot()) return t.skip('needs root: creates network namespaces and applies real rules in them');
  const etcd = await startEtcd();
  const pair = await createNetnsPair();
  const client = new Etcd3({ hosts: etcd.endpoint });
  const registry = new EtcdBanRegistry(client, 'guard');
  const nft = new NftablesBackend({ netns: pair.defender });
  const guard = new BanGuard(new AllowList(), { v4: 8, v6: 19 });
  const setAside = new Map<string, string>();
  const system = new ActorSystem({ nodeId: 'fw', onRootGaveUp: () => {}, root: { strategy: 'one_for_one', children: [firewallSpec({ backend: nft, registry, guard, onSetAside: (a, why) => setAside.set(a, why) })] } });
  try {
    await system.start();
    await client.put(bansPrefix('guard') + encodeURIComponent('127.0.0.1')).value(JSON.stringify(ban('127.0.0.1')));
    await registry.put(ban(pair.attackerV4[0]));
    await waitFor(async () => (await nft.list()).length === 1 && setAside.has('127.0.0.1'), 'the good ban applied, loopback set aside');
    assert.deepEqual((await nft.list()).map((e) => e.address), [pair.attackerV4[0]]);
    assert.match(setAside.get('127.0.0.1')!, /loopback/);
  } finally {
    await system.stop();
    await registry.close();
    client.close();
    await nft.flush().catch(() => {});
    await pair.close();
    await etcd.stop();
  }
});
