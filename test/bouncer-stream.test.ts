// The decision stream bouncers pull (CrowdSec LAPI semantics) over a real registry: startup
// sends what is in force; later pulls send only what changed since that bouncer's own last
// pull; a replaced ban is its old decision deleted and a new one made; a decision made and
// lifted between two pulls is not sent at all; filters apply; the guard has the last word.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { test } from 'node:test';
import type { Ban } from '../src/respond/ban-registry.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { DecisionStream } from '../src/bouncer/decision-stream.ts';
import { BouncerKeys } from '../src/bouncer/bouncer-keys.ts';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ban = (address: string, ttlS: number, detector = 'operator', extra: Partial<Ban> = {}): Ban => {
  const at = Date.now();
  return { address, ttl: ttlS, expiresAt: at + ttlS * 1000, reason: 'r', detector, score: 1, at, offence: 1, ...extra };
};
const guard = { checkText: (a: string) => (a === '192.0.2.99' ? { text: 'protected' } : null) };
const values = (l: Array<{ value: string }>) => l.map((d) => d.value).sort();

test('startup, then per-bouncer changes; replacement is delete then new; filters and the guard', async () => {
  const reg = new MemoryBanRegistry();
  await reg.put(ban('192.0.2.1', 3600));
  await reg.put(ban('192.0.2.99', 3600)); // in the registry, but protected
  const s = new DecisionStream(reg, guard);
  await s.start();
  const first = s.pull('a', true, {});
  assert.deepEqual(values(first.new), ['192.0.2.1']);
  assert.equal(first.new[0]!.scope, 'Ip');
  assert.equal(first.new[0]!.origin, 'cscli');
  assert.match(first.new[0]!.duration, /^(59m5\ds|1h0m0s)$/);
  assert.deepEqual(s.pull('a', false, {}), { new: [], deleted: [] }, 'nothing changed');

  await reg.put(ban('2001:db8::/32', 600, 'feed:drop', { origin: 'feed:drop' }));
  await reg.put(ban('192.0.2.1', 7200)); // an extension: a new decision
  await reg.put(ban('192.0.2.7', 60));
  await reg.remove('192.0.2.7'); // made and lifted between two pulls: never sent
  const next = s.pull('a', false, {});
  assert.deepEqual(values(next.new), ['192.0.2.1', '2001:db8::/32']);
  assert.deepEqual(values(next.deleted), ['192.0.2.1']);
  assert.notEqual(next.deleted[0]!.id, next.new.find((d) => d.value === '192.0.2.1')!.id);
  const range = next.new.find((d) => d.value === '2001:db8::/32')!;
  assert.deepEqual([range.scope, range.origin, range.scenario], ['Range', 'lists', 'autoimmune/feed:drop']);

  // Another bouncer, never seen: everything in force; with filters.
  assert.deepEqual(values(s.pull('b', false, {}).new), ['192.0.2.1', '2001:db8::/32']);
  assert.deepEqual(values(s.pull('c', true, { scopes: 'ip' }).new), ['192.0.2.1']);
  assert.deepEqual(values(s.pull('d', true, { origins: 'lists' }).new), ['2001:db8::/32']);
  assert.deepEqual(values(s.pull('e', true, { scenarios_not_containing: 'feed' }).new), ['192.0.2.1']);

  await reg.remove('2001:db8::/32');
  assert.deepEqual(values(s.pull('a', false, {}).deleted), ['2001:db8::/32']);
  assert.deepEqual(values(s.query({ ip: '192.0.2.1' })), ['192.0.2.1']);
  assert.deepEqual(s.query({ ip: '192.0.2.99' }), [], 'the guard wins in look-ups too');
  assert.deepEqual(s.query({ ip: 'nonsense' }), []);
  s.close();
  await reg.close();
});

test('bouncer keys: stored hashed (0600), shown once, names unique, revocable', () => {
  const dir = testTempDir('autoimmune-keys-');
  const keys = new BouncerKeys(dir);
  const key = keys.add('fw1');
  assert.throws(() => keys.add('fw1'), { code: 'AI_ERR_BOUNCER_EXISTS' });
  assert.throws(() => keys.add('../x'), { code: 'AI_ERR_BAD_BOUNCER_NAME' });
  const text = readFileSync(keys.file, 'utf8');
  assert.ok(!text.includes(key), 'the key itself is not stored');
  assert.equal(statSync(keys.file).mode & 0o777, 0o600);
  const again = new BouncerKeys(dir);
  assert.equal(again.authenticate(key, { ip: '127.0.0.1', version: 'crowdsec-firewall-bouncer/v0.0.25' })?.name, 'fw1');
  assert.equal(again.authenticate('wrong', { ip: '127.0.0.1', version: undefined }), null);
  assert.equal(again.delete('fw1'), true);
  assert.equal(new BouncerKeys(dir).authenticate(key, { ip: '127.0.0.1', version: undefined }), null);
});

test('the bouncer API on a node: keys through the token-guarded API; lapi.enabled false answers 404', async () => {
  const { startNode } = await import('../src/node/node.ts');
  const { testConfig } = await import('../devkit/node-config.ts');
  const auth = { authorization: 'Bearer test-token-0123456789' };
  for (const enabled of [true, false]) {
    const node = await startNode(testConfig({ http: { token: 'test-token-0123456789' }, capture: { interfaces: [] }, store: { enabled: false }, lapi: { enabled } }), { onRootGaveUp: () => {} });
    try {
      const app = node.http.app;
      assert.equal((await app.inject({ method: 'POST', url: '/api/bouncers', payload: { name: 'b1' } })).statusCode, 401);
      const made = await app.inject({ method: 'POST', url: '/api/bouncers', headers: auth, payload: { name: 'b1' } });
      assert.equal(made.statusCode, 201);
      assert.equal(made.json().lapiEnabled, enabled);
      assert.equal((await app.inject({ method: 'POST', url: '/api/bouncers', headers: auth, payload: { name: 'b1' } })).statusCode, 409);
      await app.inject({ method: 'POST', url: '/api/bans', headers: auth, payload: { address: '198.51.100.9', ttl: 600 } });
      const pulled = await app.inject({ method: 'GET', url: '/v1/decisions/stream?startup=true', headers: { 'x-api-key': made.json().key } });
      if (!enabled) {
        assert.equal(pulled.statusCode, 404);
        continue;
      }
      assert.equal(pulled.statusCode, 200);
      assert.deepEqual(pulled.json().new.map((d: { value: string }) => d.value), ['198.51.100.9']);
      assert.deepEqual(pulled.json().deleted, []);
      const metrics = await app.inject({ method: 'POST', url: '/v1/usage-metrics', headers: { 'x-api-key': made.json().key }, payload: { remediation_components: [] } });
      assert.equal(metrics.statusCode, 201, 'a newer bouncer\'s usage report is accepted');
      assert.equal((await app.inject({ method: 'POST', url: '/v1/usage-metrics', payload: {} })).statusCode, 403);
      const listed = (await app.inject({ method: 'GET', url: '/api/bouncers', headers: auth })).json();
      assert.equal(listed[0].name, 'b1');
      assert.equal(listed[0].keyHash, undefined, 'the hash is not handed out');
      assert.notEqual(listed[0].lastPull, null);
    } finally {
      await node.stop();
    }
  }
});
