// etcd as a guarded boundary: a real etcd started by the test that serves clients over TLS
// only, wants a client certificate signed by the test's CA, and has auth on (a user with
// read-write on /autoimmune/ only). The coordinator works with the right certificate and
// password and is refused, with an error that says so, without them; real node processes
// configured with cluster.etcdTls and cluster.etcdAuth join and share a ban.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoordinatorRequestError, CoordinatorUnavailableError } from '../src/cluster/coordinator-errors.ts';
import { EtcdBanRegistry } from '../src/respond/etcd-ban-registry.ts';
import { connectEtcd, type EtcdCoordinator } from '../src/cluster/etcd-coordinator.ts';
import { loadEtcdSecurity, type EtcdSecuritySettings } from '../src/cluster/etcd-security.ts';
import type { WatchEvent } from '../src/cluster/coordinator.ts';
import { ConfigError } from '../src/errors.ts';
import { startEtcdCluster, type TestEtcdCluster } from '../devkit/etcd.ts';
import { BASE_NODE_CONFIG, TestCluster } from '../devkit/cluster.ts';
import { makeTestCerts, type TestCerts } from '../devkit/tls.ts';
import { waitFor } from '../devkit/wait.ts';

const dir = testTempDir('autoimmune-etcd-tls-');
const PASSWORD = 'node-password-for-the-test';
const passwordFile = join(dir, 'etcd-password');
const wrongPasswordFile = join(dir, 'wrong-password');
let certs: TestCerts;
let etcd: TestEtcdCluster;
const open: EtcdCoordinator[] = [];

before(async () => {
  certs = makeTestCerts(dir);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(wrongPasswordFile, 'not-the-password\n', { mode: 0o600 });
  etcd = await startEtcdCluster(1, {
    tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey, clientCert: certs.clientCert, clientKey: certs.clientKey },
    auth: { rootPassword: 'root-password-for-the-test', users: [{ name: 'autoimmune', password: PASSWORD, prefix: '/autoimmune/' }] },
  });
});
after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await etcd?.stop();
});

/** The settings a node would have; `over` replaces parts. */
function settings(over: Partial<EtcdSecuritySettings> = {}): EtcdSecuritySettings {
  return {
    etcd: etcd.endpoints,
    etcdTls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
    etcdAuth: { user: 'autoimmune', passwordFile },
    ...over,
  };
}

async function connect(s: EtcdSecuritySettings): Promise<EtcdCoordinator> {
  const c = await connectEtcd(s.etcd, { security: loadEtcdSecurity(s), callTimeoutMs: 1500, retryForMs: 500 });
  open.push(c);
  return c;
}

test('the endpoints are https, and with the CA, a client certificate and the password every call works: put, get, list, watch, leases, bans', async () => {
  assert.match(etcd.endpoints[0]!, /^https:\/\/127\.0\.0\.1:\d+$/);
  const c = await connect(settings());
  const events: WatchEvent[] = [];
  const { revision } = await c.list('/autoimmune/t/');
  const stop = c.watch('/autoimmune/t/', revision, (e) => events.push(e));
  const lease = await c.grantLease(5000);
  await c.put('/autoimmune/t/a', '1', { lease });
  await c.keepAlive(lease);
  assert.equal((await c.get('/autoimmune/t/a'))?.value, '1');
  assert.deepEqual((await c.list('/autoimmune/t/')).items.map((kv) => kv.key), ['/autoimmune/t/a']);
  await waitFor(() => events.length === 1, 'the watch saw the put');
  stop();
  const bans = new EtcdBanRegistry(c.client, 't', undefined, c);
  const at = Date.now();
  await bans.put({ address: '198.51.100.9', ttl: 60, expiresAt: at + 60_000, reason: 'tls test', detector: 'operator', score: 1, at, offence: 1 });
  assert.deepEqual((await bans.list()).map((b) => b.address), ['198.51.100.9']);
  await bans.close();
});

test('refused, and told why: no client certificate, one from another CA, no password, a wrong one, a key outside its prefix', async () => {
  await assert.rejects(connect(settings({ etcdTls: { ca: certs.ca, cert: null, key: null } })), (e: unknown) => e instanceof CoordinatorUnavailableError, 'no client certificate: the TLS handshake fails');
  await assert.rejects(connect(settings({ etcdTls: { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey } })), (e: unknown) => e instanceof CoordinatorUnavailableError, 'a certificate another CA signed');
  await assert.rejects(connect(settings({ etcdAuth: { user: 'autoimmune', passwordFile: wrongPasswordFile } })), (e: unknown) => e instanceof CoordinatorRequestError && /authentication failed/.test(e.message), 'a wrong password');
  await assert.rejects(connect(settings({ etcdAuth: null })), (e: unknown) => e instanceof CoordinatorRequestError && /user name is empty|permission denied/.test(e.message), 'no user at all');
  const c = await connect(settings());
  await assert.rejects(c.put('/elsewhere/x', '1'), (e: unknown) => e instanceof CoordinatorRequestError && /permission denied/.test(e.message), 'the user writes only under /autoimmune/');
});

test('bad TLS and auth settings are errors that name the setting', () => {
  assert.throws(() => loadEtcdSecurity(settings({ etcdTls: { ca: null, cert: certs.clientCert, key: null } })), (e: unknown) => e instanceof ConfigError && /cert and key go together/.test(e.message));
  assert.throws(() => loadEtcdSecurity(settings({ etcd: ['http://127.0.0.1:2379'] })), (e: unknown) => e instanceof ConfigError && /use http; write them as https/.test(e.message));
  assert.throws(() => loadEtcdSecurity(settings({ etcdTls: { ca: join(dir, 'missing.crt'), cert: null, key: null } })), (e: unknown) => e instanceof ConfigError && /cluster\.etcdTls\.ca: cannot read .*missing\.crt \(ENOENT\)/.test(e.message));
  const empty = join(dir, 'empty-password');
  writeFileSync(empty, '');
  assert.throws(() => loadEtcdSecurity(settings({ etcdAuth: { user: 'autoimmune', passwordFile: empty } })), (e: unknown) => e instanceof ConfigError && /passwordFile .* is empty/.test(e.message));
  const warned: string[] = [];
  loadEtcdSecurity({ etcd: ['http://127.0.0.1:2379'], etcdTls: { ca: null, cert: null, key: null }, etcdAuth: { user: 'autoimmune', passwordFile } }, (l) => warned.push(l));
  assert.match(warned.join('\n'), /over plain http/);
});

test('node processes configured with cluster.etcdTls and cluster.etcdAuth join, hold their leases, and a ban made on one is applied by the other', async () => {
  const cluster = new TestCluster(etcd.endpoints, {
    ...BASE_NODE_CONFIG,
    cluster: { name: 'tls', leaseTtlMs: 2000, etcdTls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey }, etcdAuth: { user: 'autoimmune', passwordFile } },
    pipeline: { shards: 2 },
  });
  try {
    await cluster.start('n1');
    await cluster.start('n2');
    await waitFor(async () => (await Promise.all(['n1', 'n2'].map((id) => cluster.health(id)))).every((h) => h.cluster.lease === 'held' && h.cluster.members.length === 2), 'both members hold a lease and see each other', 30_000);
    const address = '203.0.113.55';
    const r = await cluster.ban('n1', { address, ttl: 600, reason: 'tls cluster test' });
    assert.equal(r.status, 201, await r.text());
    await waitFor(async () => (await cluster.json<{ appliedAt: number | null }>('n2', `/api/firewall?address=${address}`)).appliedAt !== null, 'applied by n2', 20_000);
  } finally {
    await cluster.stopAll();
  }
});
