// The dashboard's server side on a real node: /metrics, the offline map, the WebSocket
// (snapshot, then throttled deltas with restarts, alerts and bans), the origin check, and
// the refused calls of the block API (token, address, allow-list, rate limit).

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startNode, type RunningNode } from '../src/node/node.ts';
import type { Alert } from '../src/detect/alert.ts';
import type { DashboardMessage, Delta, Snapshot } from '../ui/dashboard-protocol.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'dashboard-token-0123456789';
let node: RunningNode;

before(async () => {
  // The rule tables' bounds set apart from their defaults, to see them reach the report (ruleTables).
  node = await startNode(testConfig({ http: { token: TOKEN, blockRate: { perS: 0.001, burst: 3 } }, capture: { interfaces: [] }, ruleTables: { maxSources: 16_384, maxScanKeys: 8192, maxSockets: 32_768, maxVictims: 4000, maxPrefixes: 512 } }), { onRootGaveUp: () => {} });
});
after(async () => {
  await node?.stop();
});

function alert(i: number, source = `198.51.100.${i % 250}`): Alert {
  return { type: 'port-scan-vertical', source, target: '10.0.0.1', score: 0.9, ts: Date.now() / 1000, firstTs: Date.now() / 1000 - 1, detector: 'rules', blockable: true, evidence: { ports: 40, windowS: 5 }, geo: { country: 'NL', asn: 64500, asnOrg: 'Example', latitude: 52.37, longitude: 4.89 } };
}

function open(origin?: string): Promise<{ ws: WebSocket; messages: DashboardMessage[] }> {
  const ws = new WebSocket(`${node.url.replace('http', 'ws')}/ws`, origin ? { origin } : {});
  const messages: DashboardMessage[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as DashboardMessage));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test('the WebSocket sends a snapshot, then deltas no closer than 100 ms: a crash shows as a restart, alerts and bans arrive', async () => {
  const { ws, messages } = await open(node.url);
  try {
    await waitFor(() => messages.length > 0, 'snapshot');
    const snap = messages[0] as Snapshot;
    assert.equal(snap.type, 'snapshot');
    assert.deepEqual(snap.nodes.map((n) => [n.id, n.lease, n.isLeader]), [[node.config.node.id, 'held', true]]);
    assert.equal(snap.trees[node.config.node.id]!.path, '/');

    node.system.crash('/detection/floods');
    const deltas = () => messages.filter((m): m is Delta => m.type === 'delta');
    const floods = (t: Snapshot['trees'][string]) => t.children?.find((c) => c.id === 'detection')?.children?.find((c) => c.id === 'floods');
    await waitFor(() => deltas().some((d) => d.lifecycle?.some((e) => e.type === 'restarted' && e.path === '/detection/floods')), 'the restart event');
    await waitFor(() => deltas().some((d) => (floods(d.trees?.[node.config.node.id] ?? snap.trees[node.config.node.id]!)?.restarts ?? 0) >= 1 && d.trees !== undefined), 'the tree with the restart');

    // A burst of 1,000 alerts: the page gets all of them counted, in a few messages.
    await node.defence.desk.handleAlerts(Array.from({ length: 1000 }, (_, i) => alert(i)));
    await waitFor(() => deltas().some((d) => d.alertsTotal === 1000), 'alerts counted');
    const got = deltas().flatMap((d) => d.alerts ?? []);
    assert.ok(got.length >= 500 && got.length <= 1000, `alerts sent: ${got.length}`);
    assert.equal(got.at(-1)!.latitude, 52.37);
    const r = await fetch(`${node.url}/api/bans`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ address: '203.0.113.9', reason: 'test' }) });
    assert.equal(r.status, 201, await r.text());
    await waitFor(() => deltas().some((d) => d.bans?.some((b) => b.address === '203.0.113.9' && b.decidedBy === 'operator')), 'the ban');
    const times = deltas().map((d) => d.at);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 90, `deltas ${times[i - 1]} and ${times[i]} are too close`);
  } finally {
    ws.close();
  }
});

test('chaos events posted with the token reach the page\'s chaos feed; without it or malformed, they are refused', async () => {
  const { ws, messages } = await open(node.url);
  try {
    const post = (body: unknown, auth = true) => fetch(`${node.url}/api/chaos`, { method: 'POST', headers: { ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post({ active: true }, false)).status, 401);
    assert.equal((await post({ events: [{ kind: 'crash' }] })).status, 400);
    assert.equal((await post({ active: true, events: [{ at: Date.now(), kind: 'kill-node', target: 'n2', detail: 'SIGKILL n2' }] })).status, 200);
    await waitFor(() => messages.some((m) => m.type === 'delta' && m.chaosActive === true && m.chaos?.some((e) => e.kind === 'kill-node' && e.target === 'n2')), 'the chaos feed');
  } finally {
    ws.close();
  }
});

test('a page of another origin cannot open the WebSocket', async () => {
  await assert.rejects(open('http://evil.example'), /HTTP 403/);
});

test('/metrics speaks Prometheus: packets, drops, mailbox depths, restarts, alerts, bans and latency histograms', async () => {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  for (const name of ['autoimmune_drops_total', 'autoimmune_late_packets_total', 'autoimmune_mailbox_depth', 'autoimmune_actor_restarts_total', 'autoimmune_alerts_total', 'autoimmune_bans_active', 'autoimmune_bans_held_back', 'autoimmune_bans_made_late_total', 'autoimmune_decision_latency_seconds_bucket', 'autoimmune_firewall_apply_seconds_bucket', 'autoimmune_process_cpu_seconds_total']) {
    assert.ok(text.includes(name), `${name} in /metrics`);
  }
  assert.match(text, /autoimmune_alerts_total\{type="port-scan-vertical",node="[^"]+"\} 1000/);
  assert.match(text, /autoimmune_actor_restarts_total\{path="\/detection\/floods",node="[^"]+"\} 1/);
  assert.match(text, /autoimmune_mailbox_depth\{path="\/response\/firewall",node="[^"]+"\} \d+/);
  // the burst of alerts above came from 250 sources: more than the 30 bans a minute the rate limit makes at once
  const held = Number(/^autoimmune_bans_held_back\{node="[^"]+"\} (\d+)$/m.exec(text)?.[1]);
  const late = Number(/^autoimmune_bans_made_late_total\{node="[^"]+"\} (\d+)$/m.exec(text)?.[1]);
  assert.ok(held > 0 && held + late <= 250 - 30, `held back ${held}, made late ${late}`);
  // Each shard's bounded tables with their bounds: the shards' shares of a configured bound add up to it.
  const bounds = (table: string) => [...text.matchAll(new RegExp(`^autoimmune_table_bound\\{path="[^"]+",table="${table}",node="[^"]+"\\} (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
  assert.ok(bounds('hosts').length >= 1, 'a bound for each shard\'s host table');
  assert.equal(bounds('hosts').reduce((a, b) => a + b, 0), node.config.features.maxHosts);
  assert.equal(bounds('sockets').reduce((a, b) => a + b, 0), node.config.features.maxSockets);
  assert.ok(bounds('flows').length >= 1 && bounds('sources').length >= 1, 'the flow meter\'s and the rules\' tables too');
  // The rules' tables from ruleTables: the shards' shares add up to the node's bound; the flood watch's (one a node) are the bound.
  const sum = (table: string) => bounds(table).reduce((a, b) => a + b, 0);
  const rt = node.config.ruleTables;
  assert.deepEqual([sum('sources'), sum('loginClients'), sum('scanVertical'), sum('scanHorizontal'), sum('ruleSockets')], [rt.maxSources, rt.maxSources, rt.maxScanKeys, rt.maxScanKeys, rt.maxSockets]);
  assert.deepEqual([bounds('floodVictims'), bounds('floodPrefixes')], [[rt.maxVictims], [rt.maxPrefixes]]);
  assert.match(text, /^autoimmune_table_entries\{path="[^"]+",table="hosts",node="[^"]+"\} \d+$/m);
});

test('the map is served from the npm data package, as GeoJSON country outlines', async () => {
  const r = await fetch(`${node.url}/api/map`);
  const geo = (await r.json()) as { type: string; features: Array<{ geometry: { type: string } }> };
  assert.equal(geo.type, 'FeatureCollection');
  assert.ok(geo.features.length > 150, `${geo.features.length} countries`);
  assert.ok(geo.features.every((f) => f.geometry === null || /Polygon/.test(f.geometry.type)));
});

test('block requests are refused without the token, with a bad or allow-listed address, and past the rate limit', async () => {
  const post = (body: unknown, auth = true) =>
    fetch(`${node.url}/api/bans`, { method: 'POST', headers: { ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post({ address: '203.0.113.10' }, false)).status, 401);
  const bad = await post({ address: '203.0.113.300' });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, 'AI_ERR_BAD_ADDRESS');
  const allow = await post({ address: '127.0.0.1' });
  assert.equal(allow.status, 403);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await post({ address: `203.0.113.${20 + i}` })).status);
  assert.ok(statuses.includes(429), `past the burst: ${statuses}`);
  const limited = await post({ address: '203.0.113.40' });
  assert.equal(((await limited.json()) as { code: string }).code, 'AI_ERR_RATE_LIMITED');
});
