// The BanRegistry on a real etcd (started by the test): a ban made through one node's
// registry reaches another node's watch and its firewall actor; removal and lease expiry
// lift it everywhere; what is not a ban is skipped.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { firewallSpec } from '../src/actors/firewall.ts';
import type { BanEvent } from '../src/respond/ban-registry.ts';
import { EtcdBanRegistry } from '../src/respond/etcd-ban-registry.ts';
import { MalformedBanError } from '../src/respond/ban-record.ts';
import { connectEtcd } from '../src/cluster/etcd-coordinator.ts';
import { EtcdValues } from '../src/cluster/etcd-values.ts';
import { DryRunBackend } from '../src/firewall/dry-run.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { startEtcd, type TestEtcd } from '../devkit/etcd.ts';
import { waitFor } from '../devkit/wait.ts';

let etcd: TestEtcd;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

const ban = (address: string, ttlS: number) => {
  const at = Date.now();
  return { address, ttl: ttlS, expiresAt: at + ttlS * 1000, reason: 'test', detector: 'operator', score: 1, at, offence: 1 };
};

test('a ban made on one node is applied by the firewall actor of another; removal and expiry lift it', async () => {
  const a = new Etcd3({ hosts: etcd.endpoint });
  const b = new Etcd3({ hosts: etcd.endpoint });
  const onA = new EtcdBanRegistry(a, 'c1');
  const onB = new EtcdBanRegistry(b, 'c1');
  const other = new EtcdBanRegistry(b, 'c2');
  const events: BanEvent[] = [];
  onB.watch((e) => events.push(e));
  other.watch(() => assert.fail('another cluster must not see these bans'));
  await onB.ready();
  await other.ready();
  const backend = new DryRunBackend();
  const system = new ActorSystem({ nodeId: 'b', onRootGaveUp: () => {}, root: { strategy: 'one_for_one', children: [firewallSpec({ backend, registry: onB })] } });
  try {
    await onA.put(ban('198.51.100.7', 300));
    await system.start(); // B's firewall starts after the ban: it must reconcile it in
    await onA.put(ban('2001:db8::/32', 2));
    await waitFor(async () => (await backend.list()).length === 2, "node B's firewall applies both bans");
    assert.deepEqual((await onB.list()).map((x) => x.address).sort(), ['198.51.100.7', '2001:db8::/32']);

    assert.equal(await onA.remove('198.51.100.7'), true);
    assert.equal(await onA.remove('198.51.100.7'), false);
    // The 2 s ban's lease runs out in etcd: no node has to do anything.
    await waitFor(async () => (await backend.list()).length === 0, 'removal and lease expiry reach B', 20_000);
    await waitFor(() => events.filter((e) => e.type === 'delete').length === 2, 'two delete events');
    const deletes = events.filter((e) => e.type === 'delete') as Array<{ address: string; expired: boolean }>;
    assert.deepEqual(deletes.map((d) => [d.address, d.expired]).sort(), [['198.51.100.7', false], ['2001:db8::/32', true]]);
    assert.deepEqual(await onB.list(), []);
  } finally {
    await system.stop();
    await onA.close();
    await onB.close();
    await other.close();
    a.close();
    b.close();
  }
});

test('values that are not bans are skipped by list and watch; one that replaces a ban lifts it; nothing throws', async () => {
  const client = new Etcd3({ hosts: etcd.endpoint });
  const coordinator = await connectEtcd([etcd.endpoint]);
  const lines: string[] = [];
  const registry = new EtcdBanRegistry(client, 'c3', undefined, coordinator, new EtcdValues('c3', { notice: (l) => lines.push(l) }));
  const events: BanEvent[] = [];
  try {
    await client.put('/autoimmune/c3/bans/not-json').value('{');
    await registry.put(ban('198.51.100.40', 300));
    registry.watch((e) => events.push(e));
    await registry.ready();
    assert.deepEqual((await registry.list()).map((b) => b.address), ['198.51.100.40']);
    await client.put('/autoimmune/c3/bans/%E0%A4%A').value('x');
    await client.put('/autoimmune/c3/bans/198.51.100.40').value(JSON.stringify({ address: '198.51.100.40' }));
    await registry.put(ban('198.51.100.41', 300));
    await waitFor(() => events.length === 2, 'the lifted ban and the new one');
    assert.deepEqual(events.map((e) => (e.type === 'put' ? ['put', e.ban.address] : ['delete', e.address])), [['delete', '198.51.100.40'], ['put', '198.51.100.41']]);
    assert.deepEqual((await registry.list()).map((b) => b.address), ['198.51.100.41']);
    await client.delete().key('/autoimmune/c3/bans/%E0%A4%A');
    await client.delete().key('/autoimmune/c3/bans/not-json');
    await registry.remove('198.51.100.41');
    await waitFor(() => events.length === 3, 'the removal');
    assert.equal(lines.length, 3, lines.join('\n'));
    await assert.rejects(registry.put({ ...ban('10.0.0.5/8', 60) }), (e: unknown) => e instanceof MalformedBanError && /host bits/.test((e as Error).message), 'a ban readers would skip is not written');
  } finally {
    await registry.close();
    await coordinator.close();
    client.close();
  }
});
