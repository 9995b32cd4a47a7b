// Bulk writes to the ban registries (a feed's entries): the durable registry writes them in
// one SQLite transaction and keeps the origin across a reopen; the etcd registry writes them
// in transactions of at most 128 operations (a real etcd with its default limit), sharing a
// lease per TTL, and every node's watch sees each ban.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import type { Ban, BanEvent } from '../src/respond/ban-registry.ts';
import { EtcdBanRegistry } from '../src/respond/etcd-ban-registry.ts';
import { BANS_FILE, DurableBanRegistry } from '../src/respond/durable-ban-registry.ts';
import { parseBan } from '../src/respond/ban-record.ts';
import { openSqlite } from '../src/util/sqlite.ts';
import { startEtcd } from '../devkit/etcd.ts';
import { waitFor } from '../devkit/wait.ts';

function feedBan(i: number, at: number, ttlS: number): Ban {
  const address = `198.18.${i >> 8}.${i & 255}`;
  return { address, ttl: ttlS, expiresAt: at + ttlS * 1000, reason: 'listed by feed test', detector: 'feed:test', origin: 'feed:test', score: 1, at, offence: 1 };
}

test('parseBan keeps an origin and refuses one that is not text', () => {
  const b = feedBan(1, 1_750_000_000_000, 60);
  assert.deepEqual(parseBan(JSON.stringify(b)), b);
  assert.equal(parseBan({ ...b, origin: 7 }), null);
  const { origin: _origin, ...plain } = b;
  assert.deepEqual(parseBan(plain), plain);
});

test('durable putMany: one transaction, watched, kept with its origin across a reopen; removeMany', async () => {
  const dir = testTempDir('autoimmune-bulk-');
  const file = join(dir, BANS_FILE);
  const reg = DurableBanRegistry.open(file);
  const events: BanEvent[] = [];
  reg.watch((e) => events.push(e));
  const now = Date.now();
  const bans = Array.from({ length: 5000 }, (_, i) => feedBan(i, now, 3600));
  await reg.putMany(bans);
  assert.equal(events.filter((e) => e.type === 'put').length, 5000);
  assert.equal((await reg.list()).length, 5000);
  // Read back by another connection: all committed.
  const db = openSqlite(file);
  assert.equal((db.prepare('SELECT count(*) FROM bans').raw().all() as number[][])[0]![0], 5000);
  db.close();
  assert.equal(await reg.removeMany(bans.slice(0, 1000).map((b) => b.address).concat(['203.0.113.1'])), 1000);
  await reg.close();

  const again = DurableBanRegistry.open(file);
  try {
    assert.equal(again.report.loaded, 4000);
    const listed = await again.list();
    assert.ok(listed.every((b) => b.origin === 'feed:test' && b.detector === 'feed:test'));
    assert.deepEqual(new Set(listed.map((b) => b.address)), new Set(bans.slice(1000).map((b) => b.address)));
  } finally {
    await again.close();
  }
});

test('etcd putMany: more than 128 bans in batched transactions on one lease per TTL, seen by another node; removeMany', async () => {
  const etcd = await startEtcd();
  const a = new Etcd3({ hosts: etcd.endpoint });
  const b = new Etcd3({ hosts: etcd.endpoint });
  const onA = new EtcdBanRegistry(a, 'bulk');
  const onB = new EtcdBanRegistry(b, 'bulk');
  try {
    const seen = new Set<string>();
    onB.watch((e) => {
      if (e.type === 'put') seen.add(e.ban.address);
      else seen.delete(e.address);
    });
    await onB.ready();
    const now = Date.now();
    const bans = Array.from({ length: 1000 }, (_, i) => feedBan(i, now, 600));
    // One ban already over: removed, not written.
    bans.push({ ...feedBan(2000, now - 10_000, 1) });
    await onA.putMany(bans);
    await waitFor(() => seen.size === 1000, 'node B watches 1000 puts');
    const listed = await onB.list();
    assert.equal(listed.length, 1000);
    assert.ok(listed.every((x) => x.origin === 'feed:test'));
    const leases = await a.leaseClient.leaseLeases({});
    assert.equal(leases.leases.length, 1, 'the 1000 bans share one lease');
    assert.equal(await onA.removeMany(bans.slice(0, 300).map((x) => x.address)), 300);
    await waitFor(() => seen.size === 700, 'node B watches 300 removals');
  } finally {
    await onA.close();
    await onB.close();
    a.close();
    b.close();
    await etcd.stop();
  }
});
