// The FirewallActor over real rules in test-made namespaces: a ban made in the registry is
// enforced, a crash and restart reconciles rules that drifted, and lease-like expiry in the
// registry lifts the ban — for nftables, iptables+ipset and XDP; and for XDP, whose maps have
// no timeouts, the actor lifts a ban at its expiry even when the registry never says so.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { firewallSpec } from '../src/actors/firewall.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import type { FirewallBackend } from '../src/firewall/backend.ts';
import { IptablesIpsetBackend } from '../src/firewall/iptables-ipset.ts';
import { NftablesBackend } from '../src/firewall/nftables.ts';
import { XdpBackend } from '../src/firewall/xdp.ts';
import type { Ban, BanEvent, BanRegistry } from '../src/respond/ban-registry.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { createNetnsPair, isRoot } from '../devkit/netns.ts';
import { waitFor } from '../devkit/wait.ts';

const backends: Array<[string, (netns: string) => FirewallBackend]> = [
  ['nftables', (netns) => new NftablesBackend({ netns })],
  ['iptables-ipset', (netns) => new IptablesIpsetBackend({ netns })],
  ['xdp', (netns) => new XdpBackend({ netns })],
];

for (const [kind, make] of backends) {
  test(`${kind}: the firewall actor enforces the registry, reconciles after a crash, and expiry unblocks`, async (t) => {
    if (!isRoot()) return t.skip('needs root: creates network namespaces and applies real rules in them');
    const pair = await createNetnsPair();
    const registry = new MemoryBanRegistry();
    const backend = make(pair.defender);
    const system = new ActorSystem({ nodeId: 'fw', onRootGaveUp: () => {}, root: { strategy: 'one_for_one', children: [firewallSpec({ backend, registry })] } });
    const [banned, bystander] = pair.attackerV4;
    try {
      await system.start();
      const now = Date.now();
      await registry.put({ address: banned, ttl: 300, expiresAt: now + 300_000, reason: 'test', detector: 'operator', score: 1, at: now, offence: 1 });
      await waitFor(async () => (await backend.list()).length === 1, 'the ban reaches the kernel');
      assert.equal(await pair.probe(banned), 'dropped');
      assert.equal(await pair.probe(bystander), 'passed');

      // Someone flushes our element by hand and adds a stray one; a crash and restart must
      // put the rules back to exactly what the registry says.
      const other = make(pair.defender);
      await other.apply([{ address: bystander, timeoutS: 300 }], [banned]);
      assert.equal(await pair.probe(banned), 'passed');
      system.crash('/firewall');
      await waitFor(() => system.lifecycle.recent.some((e) => e.type === 'restarted' && e.path === '/firewall'), 'restart');
      await waitFor(async () => (await backend.list()).map((e) => e.address).join() === banned, 'reconciled');
      assert.equal(await pair.probe(banned), 'dropped');
      assert.equal(await pair.probe(bystander), 'passed');

      // A short ban: the kernel's own timeout and the registry's expiry both lift it.
      const t0 = Date.now();
      // Long enough that the probe below (up to 2 s) ends before the ban does, on a busy machine too.
      await registry.put({ address: pair.attackerV6[0], ttl: 6, expiresAt: t0 + 6000, reason: 'short', detector: 'operator', score: 1, at: t0, offence: 1 });
      await waitFor(async () => (await backend.list()).some((e) => e.address === pair.attackerV6[0]), 'the short ban is applied');
      assert.equal(await pair.probe(pair.attackerV6[0]), 'dropped');
      await waitFor(async () => !(await backend.list()).some((e) => e.address === pair.attackerV6[0]), 'the short ban expires', 30_000);
      assert.equal(await pair.probe(pair.attackerV6[0]), 'passed');
    } finally {
      await system.stop();
      await registry.close();
      await backend.flush().catch(() => {});
      await pair.close();
    }
  });
}

/** A registry whose expiries never reach its watchers (a lost watch): only puts and removals do. */
class SilentExpiry implements BanRegistry {
  constructor(private readonly inner: MemoryBanRegistry) {}
  put(ban: Ban) {
    return this.inner.put(ban);
  }
  remove(address: string) {
    return this.inner.remove(address);
  }
  putMany(bans: Ban[]) {
    return this.inner.putMany(bans);
  }
  removeMany(addresses: string[]) {
    return this.inner.removeMany(addresses);
  }
  list() {
    return this.inner.list();
  }
  watch(listener: (event: BanEvent) => void) {
    return this.inner.watch((e) => {
      if (!(e.type === 'delete' && e.expired)) listener(e);
    });
  }
  close() {
    return this.inner.close();
  }
}

test('xdp: the firewall actor lifts a ban at its expiry when the registry never reports it', async (t) => {
  if (!isRoot()) return t.skip('needs root: creates network namespaces and attaches XDP programs in them');
  const pair = await createNetnsPair();
  const registry = new SilentExpiry(new MemoryBanRegistry());
  const backend = new XdpBackend({ netns: pair.defender });
  const spec = firewallSpec({ backend, registry });
  const system = new ActorSystem({ nodeId: 'fw', onRootGaveUp: () => {}, root: { strategy: 'one_for_one', children: [spec] } });
  const [short, long] = pair.attackerV4;
  try {
    await system.start();
    const now = Date.now();
    // Long enough that the probe below (up to 2 s) ends before the ban does, on a busy machine too.
    await registry.put({ address: short, ttl: 8, expiresAt: now + 8000, reason: 'short', detector: 'operator', score: 1, at: now, offence: 1 });
    await registry.put({ address: long, ttl: 300, expiresAt: now + 300_000, reason: 'long', detector: 'operator', score: 1, at: now, offence: 1 });
    await waitFor(async () => (await backend.list()).length === 2, 'both bans reach the maps');
    assert.equal(await pair.probe(short), 'dropped');
    await waitFor(async () => !(await backend.list()).some((e) => e.address === short), 'the actor removes the expired ban', 30_000);
    assert.equal(spec.progress.expired, 1);
    assert.equal(await pair.probe(short), 'passed');
    assert.equal(await pair.probe(long), 'dropped', 'the other ban stays');
  } finally {
    await system.stop();
    await registry.close();
    await backend.flush().catch(() => {});
    await pair.close();
  }
});
