import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { startNode } from '../src/node/node.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

test('bans API: refused calls say why; a ban reaches the firewall actor and an unblock lifts it', async () => {
  const node = await startNode(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] } }), { onRootGaveUp: () => {} });
  try {
    const app = node.http.app;
    const post = (body: unknown, headers: Record<string, string> = auth) => app.inject({ method: 'POST', url: '/api/bans', headers, payload: body as object });
    assert.equal((await post({ address: '198.51.100.4' }, {})).statusCode, 401);
    const bad = await post({ address: '198.51.100.400' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'AI_ERR_BAD_ADDRESS');
    const misspelt = await post({ address: '198.51.100.4', ttlS: 60 });
    assert.equal(misspelt.statusCode, 400, 'a misspelt field is refused, not ignored');
    assert.match(misspelt.json().error, /unknown field "ttlS"/);
    assert.match(bad.json().error, /198\.51\.100\.400/);
    const lo = await post({ address: '127.0.0.5' });
    assert.equal(lo.statusCode, 403);
    assert.match(lo.json().error, /127\.0\.0\.0\/8 \(loopback\)/);
    const ttl = await post({ address: '198.51.100.4', ttl: 5 });
    assert.equal(ttl.statusCode, 400);
    assert.equal(ttl.json().code, 'AI_ERR_BAD_TTL');
    const notNumber = await post({ address: '198.51.100.4', ttl: '60' });
    assert.equal(notNumber.statusCode, 400);

    const ok = await post({ address: '198.51.100.4', ttl: 60, reason: 'manual test' });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().detector, 'operator');
    const net = await post({ address: '2001:db8:7::/48', ttl: 60 });
    assert.equal(net.statusCode, 201, net.body);
    await waitFor(async () => (await node.firewall.list()).length === 2, 'the firewall actor applies both bans');
    const bans = (await app.inject({ method: 'GET', url: '/api/bans' })).json();
    assert.deepEqual(bans.map((b: { address: string }) => b.address).sort(), ['198.51.100.4', '2001:db8:7::/48']);
    assert.ok(bans.every((b: { remainingS: number }) => b.remainingS > 50 && b.remainingS <= 60));

    assert.equal((await app.inject({ method: 'DELETE', url: '/api/bans/198.51.100.4' })).statusCode, 401);
    const del = await app.inject({ method: 'DELETE', url: `/api/bans/${encodeURIComponent('2001:db8:7::/48')}`, headers: auth });
    assert.equal(del.statusCode, 200, del.body);
    await waitFor(async () => (await node.firewall.list()).map((e) => e.address).join() === '198.51.100.4', 'the unblock reaches the firewall');
    const gone = await app.inject({ method: 'DELETE', url: `/api/bans/${encodeURIComponent('2001:db8:7::/48')}`, headers: auth });
    assert.equal(gone.statusCode, 404);

    const decisions = (await app.inject({ method: 'GET', url: '/api/decisions?limit=10' })).json();
    assert.deepEqual(decisions.map((d: { action: string; address: string }) => `${d.action} ${d.address}`), ['unban 2001:db8:7::/48', 'ban 2001:db8:7::/48', 'ban 198.51.100.4']);
    assert.equal((await app.inject({ method: 'GET', url: '/api/alerts?limit=0' })).statusCode, 400);
  } finally {
    await node.stop();
  }
});

test('the firewall actor reconciles to the registry after a crash', async () => {
  const node = await startNode(testConfig({ capture: { interfaces: [] } }), { onRootGaveUp: () => {} });
  try {
    await node.defence.desk.block('198.51.100.9', 120);
    await waitFor(async () => (await node.firewall.list()).length === 1, 'applied');
    // The rules drift while nobody looks: a stray element appears, the real one vanishes.
    await node.firewall.apply([{ address: '192.0.2.77', timeoutS: 120 }], ['198.51.100.9']);
    const restarts = () => node.system.lifecycle.recent.filter((e) => e.type === 'restarted' && e.path === '/response/firewall').length;
    node.system.crash('/response/firewall');
    await waitFor(() => restarts() === 1, 'the firewall actor restarts');
    await waitFor(async () => (await node.firewall.list()).map((e) => e.address).join() === '198.51.100.9', 'reconciled to exactly the registry');
  } finally {
    await node.stop();
  }
});

test('protected set API: entries with where they came from; a too-wide ban is refused; infrastructure only with force', async () => {
  const node = await startNode(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] }, responder: { allow: ['198.51.100.0/28'] } }), { onRootGaveUp: () => {} });
  try {
    const app = node.http.app;
    node.defence.protectedSet.setGroup('infrastructure', [{ net: '203.0.113.1', why: 'gateway (/proc/net/route)', forceable: true }]);
    const p = (await app.inject({ method: 'GET', url: '/api/protected' })).json() as { entries: Array<{ net: string; why: string; forceable: boolean }> };
    const why = (net: string) => p.entries.find((e) => e.net === net);
    assert.equal(why('127.0.0.0/8')?.why, 'loopback');
    assert.equal(why('198.51.100.0/28')?.why, 'configured');
    assert.deepEqual(why('203.0.113.1'), { net: '203.0.113.1', why: 'gateway (/proc/net/route)', forceable: true });
    const post = (body: unknown) => app.inject({ method: 'POST', url: '/api/bans', headers: auth, payload: body as object });
    const wide = await post({ address: '2000::/3' });
    assert.equal(wide.statusCode, 400);
    assert.equal(wide.json().code, 'AI_ERR_BAN_TOO_WIDE');
    const gw = await post({ address: '203.0.113.1', ttl: 60 });
    assert.equal(gw.statusCode, 403);
    assert.match(gw.json().error, /infrastructure.*force/);
    const forced = await post({ address: '203.0.113.1', ttl: 60, force: true });
    assert.equal(forced.statusCode, 201, forced.body);
    assert.equal(forced.json().forced, true);
    await waitFor(async () => (await node.firewall.list()).some((e) => e.address === '203.0.113.1'), 'the forced ban is applied');
    assert.equal((await post({ address: '127.0.0.1', ttl: 60, force: true })).statusCode, 403, 'loopback never');
  } finally {
    await node.stop();
  }
});
