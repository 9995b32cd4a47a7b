import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { testConfig } from '../devkit/node-config.ts';
import { startNode } from '../src/node/node.ts';
import { waitFor } from '../devkit/wait.ts';

test('a node serves /health, the status page and the tree; crash injection needs the token and shows as a restart', async () => {
  const config = testConfig({ http: { token: 'test-token-0123456789' } });
  const node = await startNode(config, { onRootGaveUp: () => {} });
  try {
    const app = node.http.app;
    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    assert.equal(health.json().ready, true);
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /autoimmune/);
    const tree = (await app.inject({ method: 'GET', url: '/api/tree' })).json();
    const paths: string[] = [];
    const walk = (t: { path: string; children?: unknown[] }) => (paths.push(t.path), (t.children ?? []).forEach((c) => walk(c as never)));
    walk(tree.tree);
    const root = process.getuid?.() === 0;
    assert.deepEqual(paths, [
      '/', '/cluster', '/cluster/membership', '/store',
      '/response', '/response/firewall', '/response/responder',
      '/detection', '/detection/floods', '/detection/detectors', '/detection/detectors/detector-0', '/detection/detectors/detector-1',
      '/pipeline', '/pipeline/enrichers', '/pipeline/enrichers/enricher-0', '/pipeline/enrichers/enricher-1', ...(root ? ['/pipeline/capture-lo'] : []),
    ]);
    assert.deepEqual(node.interfaces, root ? ['lo'] : []);
    const nodes = (await app.inject({ method: 'GET', url: '/api/nodes' })).json();
    assert.equal(nodes.coordinator, 'embedded');
    assert.deepEqual(nodes.nodes.map((n: { id: string }) => n.id), [config.node.id]);

    const body = { path: '/cluster/membership' };
    assert.equal((await app.inject({ method: 'POST', url: '/api/crash', payload: body })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/api/crash', payload: body, headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401);
    const auth = { authorization: 'Bearer test-token-0123456789' };
    assert.equal((await app.inject({ method: 'POST', url: '/api/crash', payload: { path: '/nope' }, headers: auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'POST', url: '/api/crash', payload: {}, headers: auth })).statusCode, 400);
    const ok = await app.inject({ method: 'POST', url: '/api/crash', payload: body, headers: auth });
    assert.deepEqual(ok.json(), { path: '/cluster/membership', crashed: true });
    await waitFor(() => node.system.lookup('/cluster/membership')!.restarts === 1 && node.system.lookup('/cluster/membership')!.status === 'running', 'membership restarted');
    const events = (await app.inject({ method: 'GET', url: '/api/events?limit=10' })).json() as Array<{ type: string; path: string }>;
    assert.ok(events.some((e) => e.type === 'restarted' && e.path === '/cluster/membership'));
    assert.equal((await app.inject({ method: 'GET', url: '/api/events?limit=0' })).statusCode, 400);
    // Re-registered under a new lease after the restart.
    const again = (await app.inject({ method: 'GET', url: '/api/nodes' })).json();
    assert.equal(again.nodes.length, 1);
  } finally {
    await node.stop();
  }
  // A graceful stop revokes the membership lease at once.
  assert.deepEqual((await node.coordinator.list('/autoimmune/')).items, []);
});

test('health is 503 with reasons when a permanent actor is not running', async () => {
  const config = testConfig();
  const node = await startNode(config, { onRootGaveUp: () => {} });
  try {
    // A worker whose init never finishes stays 'starting': the node is live but not ready.
    void node.system.startChild('/pipeline', { type: 'worker', id: 'never', shutdownMs: 10, start: () => ({ kind: 'x', init: () => new Promise(() => {}), handle: (s) => s }) });
    await waitFor(() => node.system.lookup('/pipeline/never')?.status === 'starting', 'never is starting');
    const res = await fetch(`${node.url}/health`);
    assert.equal(res.status, 503);
    const h = (await res.json()) as { ready: boolean; reasons: string[] };
    assert.equal(h.ready, false);
    assert.deepEqual(h.reasons, ['/pipeline/never is starting']);
  } finally {
    await node.stop();
  }
});
