// Every ban registry refuses a ban its readers would skip, in putMany as in put: the bad ban
// is named in a MalformedBanError and not written; the others of its batch are written as
// put() would write them. On a real etcd (started here), a real SQLite file, and memory. The
// desk announces the bans written; the etcd allow-list refuses what its readers refuse.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { Ban, BanRegistry } from '../src/respond/ban-registry.ts';
import { MalformedBanError } from '../src/respond/ban-record.ts';
import { EtcdBanRegistry, bansPrefix } from '../src/respond/etcd-ban-registry.ts';
import { BANS_FILE, DurableBanRegistry } from '../src/respond/durable-ban-registry.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { BanDesk } from '../src/respond/ban-desk.ts';
import { ResponderPolicy, type PolicyOutcome } from '../src/respond/policy.ts';
import { DEFAULT_RESPONDER } from '../src/respond/responder-config.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { wallClock } from '../src/util/clock.ts';
import type { Alert } from '../src/detect/alert.ts';
import { EtcdAllowStore } from '../src/respond/etcd-allow-store.ts';
import { connectEtcd } from '../src/cluster/etcd-coordinator.ts';
import { EtcdValues } from '../src/cluster/etcd-values.ts';
import { keys } from '../src/cluster/keys.ts';
import { applyFeed } from '../src/feeds/feed-import.ts';
import { parseFeed } from '../src/feeds/feed-formats.ts';
import { ALLOW_FILE, FileAllowStore } from '../src/respond/file-allow-store.ts';
import { writeFileSync } from 'node:fs';
import { startEtcd, type TestEtcd } from '../devkit/etcd.ts';
import { testTempDir } from '../devkit/temp-dir.ts';

let etcd: TestEtcd;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

function ban(address: string, extra: Partial<Ban> = {}): Ban {
  const at = Date.now();
  return { address, ttl: 300, expiresAt: at + 300_000, reason: 'test', detector: 'rules', score: 1, at, offence: 1, ...extra };
}

/** A batch with two bad bans between good ones: host bits set, and a NaN score. */
const batch = (): Ban[] => [ban('198.51.100.1'), ban('10.0.0.5/8'), ban('198.51.100.2'), ban('198.51.100.3', { score: Number.NaN }), ban('2001:db8::/32')];
const GOOD = ['198.51.100.1', '198.51.100.2', '2001:db8::/32'];

async function refusesTheBadWritesTheRest(registry: BanRegistry): Promise<void> {
  await assert.rejects(registry.putMany(batch()), (e: unknown) => {
    assert.ok(e instanceof MalformedBanError, String(e));
    assert.equal(e.code, 'AI_ERR_MALFORMED_BAN');
    assert.deepEqual(e.addresses(), ['10.0.0.5/8', '198.51.100.3']);
    assert.match(e.message, /10\.0\.0\.5\/8.*host bits/);
    assert.match(e.message, /198\.51\.100\.3.*score/);
    return true;
  });
  assert.deepEqual((await registry.list()).map((b) => b.address).sort(), GOOD);
  await assert.rejects(registry.put(ban('198.51.100.9', { expiresAt: Number.POSITIVE_INFINITY })), MalformedBanError);
  assert.equal((await registry.list()).length, GOOD.length, 'put() refuses as putMany() does');
}

test('memory: a malformed ban in a batch is refused by name, the others are in force', async () => {
  const registry = new MemoryBanRegistry();
  try {
    await refusesTheBadWritesTheRest(registry);
  } finally {
    await registry.close();
  }
});

test('durable: a malformed ban never reaches the file (it would read as corrupt at the next open)', async () => {
  const file = join(testTempDir('autoimmune-malformed-'), BANS_FILE);
  const registry = DurableBanRegistry.open(file);
  await refusesTheBadWritesTheRest(registry);
  await registry.close();
  const again = DurableBanRegistry.open(file);
  try {
    assert.deepEqual(again.report, { loaded: GOOD.length, expired: 0, corrupt: 0, offences: 0 });
  } finally {
    await again.close();
  }
});

test('etcd: putMany writes no key for a malformed ban and writes the others of its batch', async () => {
  const client = new Etcd3({ hosts: etcd.endpoint });
  const registry = new EtcdBanRegistry(client, 'malformed');
  try {
    await refusesTheBadWritesTheRest(registry);
    const keys = (await client.getAll().prefix(bansPrefix('malformed')).keys()).map((k) => decodeURIComponent(k.slice(bansPrefix('malformed').length))).sort();
    assert.deepEqual(keys, GOOD, 'only the good bans are stored');
  } finally {
    await registry.close();
    client.close();
  }
});

test('desk: a decision the registry refuses is not announced nor taken as a ban; the other bans of its turn are', async () => {
  const registry = new MemoryBanRegistry();
  // The policy skips an alert scored Infinity (next test); one that let it through, as a policy
  // with a bug would, makes a decision no registry stores.
  class Unguarded extends ResponderPolicy {
    override onAlert(alert: Alert, active?: Ban): PolicyOutcome {
      const outcome = super.onAlert({ ...alert, score: Number.isFinite(alert.score) ? alert.score : 1 }, active);
      return 'decision' in outcome ? { decision: { ...outcome.decision, score: alert.score } } : outcome;
    }
  }
  const desk = new BanDesk(registry, new Unguarded(DEFAULT_RESPONDER, new AllowList(), wallClock));
  await desk.start();
  const announced: string[] = [];
  desk.onDecision((d) => announced.push(d.address));
  const alert = (source: string, score: number) => ({ type: 'port-scan-vertical', detector: 'rules', source, target: '192.0.2.1', score, ts: 0, blockable: true, evidence: { ports: 30 } }) as unknown as Alert;
  try {
    await assert.rejects(desk.handleAlerts([alert('198.51.100.20', 0.9), alert('198.51.100.21', Number.POSITIVE_INFINITY), alert('198.51.100.22', 0.9)]), (e: unknown) => e instanceof MalformedBanError && /198\.51\.100\.21/.test(e.message));
    assert.deepEqual((await registry.list()).map((b) => b.address).sort(), ['198.51.100.20', '198.51.100.22']);
    assert.deepEqual(announced, ['198.51.100.20', '198.51.100.22']);
    assert.equal(desk.activeBan('198.51.100.21'), undefined, 'the desk does not think the refused address banned');
    assert.ok(desk.activeBan('198.51.100.20'));
  } finally {
    desk.close();
    await registry.close();
  }
});

test('etcd allow-list: an entry its readers would refuse (not canonical, too wide) is not written', async () => {
  const coordinator = await connectEtcd([etcd.endpoint]);
  const values = new EtcdValues('malformed', { notice: () => {} });
  const store = new EtcdAllowStore(coordinator, 'malformed', values, { v4: 8, v6: 19 });
  try {
    await store.start();
    for (const net of ['10.0.0.5/8', '0.0.0.0/1', 'x']) {
      await assert.rejects(store.put({ net, note: null, at: 1 }), (e: unknown) => (e as { code?: string }).code === 'AI_ERR_ALLOW_MALFORMED' && (e as Error).message.includes(JSON.stringify(net)), net);
    }
    await store.put({ net: '192.0.2.0/24', note: 'ok', at: 1 });
    assert.deepEqual((await coordinator.list(keys.allow('malformed'))).items.map((kv) => decodeURIComponent(kv.key.slice(keys.allow('malformed').length))), ['192.0.2.0/24']);
    assert.deepEqual(values.counts(), {}, 'nothing written that a reader refused');
  } finally {
    store.close();
    await coordinator.close();
  }
});

test('feed import: an entry whose duration is too long to be a number is refused by name; the rest of the list is banned', async () => {
  const registry = new MemoryBanRegistry();
  try {
    const text = JSON.stringify([
      { value: '192.0.2.10', duration: '4h', scope: 'Ip', type: 'ban' },
      { value: '192.0.2.11', duration: `${'9'.repeat(400)}h`, scope: 'Ip', type: 'ban' },
      { value: '192.0.2.12', duration: '4h', scope: 'Ip', type: 'ban' },
    ]);
    const r = await applyFeed({ name: 'cs', source: 'cs.json', parsed: parseFeed(text), ttlS: 3600, registry, guard: { checkText: () => null } });
    assert.deepEqual((await registry.list()).map((b) => b.address).sort(), ['192.0.2.10', '192.0.2.12']);
    assert.equal(r.added, 2);
    assert.equal(r.refused.count, 1);
    assert.match(r.refused.first[0]!, /192\.0\.2\.11.*not stored/);
  } finally {
    await registry.close();
  }
});

test('policy: an alert scored Infinity is recorded, not acted on', () => {
  const policy = new ResponderPolicy(DEFAULT_RESPONDER, new AllowList(), wallClock);
  const outcome = policy.onAlert({ type: 'port-scan-vertical', detector: 'rules', source: '198.51.100.23', target: '192.0.2.1', score: Number.POSITIVE_INFINITY, ts: 0, blockable: true, evidence: { ports: 30 } } as unknown as Alert);
  assert.ok('skipped' in outcome && /not a finite number/.test(outcome.detail), JSON.stringify(outcome));
});

test('file allow-list: an entry wider than minPrefix (a hand edit) is refused at load, and never written', async () => {
  const dir = testTempDir('autoimmune-allow-');
  writeFileSync(join(dir, ALLOW_FILE), JSON.stringify([{ net: '0.0.0.0/1', note: 'oops', at: 1 }, { net: '192.0.2.0/24', note: null, at: 2 }]));
  const store = new FileAllowStore(dir, { v4: 8, v6: 19 });
  assert.deepEqual(store.entries().map((e) => e.net), ['192.0.2.0/24']);
  assert.deepEqual(store.refused(), ['0.0.0.0/1']);
  await assert.rejects(store.put({ net: '2000::/3', note: null, at: 3 }), (e: unknown) => (e as { code?: string }).code === 'AI_ERR_ALLOW_MALFORMED' && /2000::\/3/.test((e as Error).message));
  assert.deepEqual(new FileAllowStore(dir, { v4: 8, v6: 19 }).entries().map((e) => e.net), ['192.0.2.0/24']);
});
