import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { WatchEvent } from '../src/cluster/coordinator.ts';
import { EmbeddedCoordinator } from '../src/cluster/embedded-coordinator.ts';
import { ManualClock } from '../src/util/clock.ts';

test('keys carry revisions; list and watch by prefix; a watch replays from a revision', async () => {
  const c = new EmbeddedCoordinator(new ManualClock());
  const r1 = await c.put('/a/1', 'x');
  await c.put('/b/1', 'y');
  const r3 = await c.put('/a/2', 'z');
  assert.ok(r3 > r1);
  const { items, revision } = await c.list('/a/');
  assert.deepEqual(items.map((kv) => [kv.key, kv.value]), [['/a/1', 'x'], ['/a/2', 'z']]);
  assert.equal(revision, r3);
  const seen: WatchEvent[] = [];
  const stop = c.watch('/a/', r1, (e) => seen.push(e));
  await c.delete('/a/1');
  stop();
  await c.put('/a/3', 'late');
  assert.deepEqual(seen.map((e) => [e.type, e.key]), [['put', '/a/2'], ['delete', '/a/1']]);
});

test('keys under a lease vanish when it expires; keepAlive extends it; an expired lease is refused', async () => {
  const clock = new ManualClock();
  const c = new EmbeddedCoordinator(clock);
  const lease = await c.grantLease(3000);
  await c.put('/nodes/n1', '{}', { lease });
  clock.advance(2000);
  await c.keepAlive(lease);
  clock.advance(2000);
  assert.ok(await c.get('/nodes/n1'), 'renewed lease keeps the key');
  clock.advance(1000);
  assert.equal(await c.get('/nodes/n1'), undefined, 'expired lease removes the key');
  await assert.rejects(c.keepAlive(lease), { code: 'AI_ERR_LEASE_EXPIRED' });
  await assert.rejects(c.put('/x', '1', { lease }), { code: 'AI_ERR_LEASE_EXPIRED' });
  await assert.rejects(c.grantLease(0), /lease TTL must be > 0 ms, got 0/);
});
