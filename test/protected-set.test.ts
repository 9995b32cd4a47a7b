// The node's protected set follows the cluster: a member that joins is protected from then on
// (and a ban in force on its address makes the firewall reconcile it away), one that leaves is
// not; etcd endpoints and the host's infrastructure are protected from the start.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { AllowList } from '../src/respond/allow-list.ts';
import { BanGuard } from '../src/respond/ban-guard.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { hostOf, keepProtectedSetCurrent } from '../src/node/protected-set.ts';
import { waitFor } from '../devkit/wait.ts';

test('hostOf takes the host of transport, HTTP and bracketed IPv6 URLs', () => {
  assert.equal(hostOf('tcp://10.0.0.2:5555'), '10.0.0.2');
  assert.equal(hostOf('https://[2001:db8::1]:2379'), '2001:db8::1');
  assert.equal(hostOf('http://etcd-a:2379'), 'etcd-a');
  assert.equal(hostOf('10.0.0.2:5555'), null);
});

test('a member that joins is protected and its ban in force is reconciled away; one that leaves is not protected', async () => {
  const allow = new AllowList({});
  const guard = new BanGuard(allow);
  const registry = new MemoryBanRegistry();
  let members: Array<{ id: string; address: string; http: string }> = [{ id: 'n1', address: 'tcp://10.9.0.1:5555', http: 'http://10.9.0.1:8080' }];
  let reconciles = 0;
  const now = Date.now();
  // A forged scan in a future peer's name got it banned before it joined.
  await registry.put({ address: '10.9.0.2', ttl: 600, expiresAt: now + 600_000, reason: 'port scan', detector: 'scan', score: 1, at: now, offence: 1 });
  const p = keepProtectedSetCurrent({
    protectedSet: allow,
    guard,
    registry,
    etcd: ['http://10.9.0.100:2379', 'http://0.0.0.0:2379'],
    members: () => members,
    reconcileFirewall: () => void reconciles++,
    membersMs: 20,
    discover: async () => [{ net: '10.9.0.254', why: 'default gateway (eth0)', forceable: true }],
  });
  try {
    await p.ready;
    assert.match(guard.checkText('10.9.0.1')?.text ?? '', /cluster member n1/);
    assert.match(guard.checkText('10.9.0.100')?.text ?? '', /etcd endpoint/);
    assert.match(guard.checkText('10.9.0.254')?.text ?? '', /default gateway/);
    assert.equal(guard.checkText('10.9.0.2'), null, 'not a member yet');
    assert.equal(reconciles, 0, 'no ban in force covers a protected address yet');

    members = [...members, { id: 'n2', address: 'tcp://10.9.0.2:5555', http: 'http://10.9.0.2:8080' }];
    await waitFor(() => reconciles > 0, 'the firewall is asked to reconcile the new member\'s ban away');
    assert.match(guard.checkText('10.9.0.2')?.text ?? '', /cluster member n2/);

    members = members.slice(0, 1);
    await waitFor(() => guard.checkText('10.9.0.2') === null, 'n2 is no longer protected once it left');
    assert.match(guard.checkText('10.9.0.1')?.text ?? '', /cluster member n1/);
  } finally {
    p.stop();
    await registry.close?.();
  }
});
