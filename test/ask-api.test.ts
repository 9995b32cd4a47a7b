// Questions and tools on a real node: alerts handled by its desk are stored (DuckDB in the
// state dir), POST /api/ask answers in Spanish and English from them with the query it ran,
// a question it cannot map says so, a block command becomes a dry run to confirm, and the
// tools refuse what they must. The answers' numbers are checked against the alerts sent.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'ask-token-0123456789abcdef';
let node: RunningNode;

before(async () => {
  node = await startNode(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] }, responder: { minScore: 0.99 } }), { onRootGaveUp: () => {} });
});
after(async () => {
  await node?.stop();
});

function alert(type: Alert['type'], source: string, country: string, score: number): Alert {
  const ts = Date.now() / 1000;
  return { type, source, target: '10.0.0.1', score, ts, firstTs: ts - 1, detector: 'rules', blockable: true, evidence: { n: 1 }, geo: { country, asn: country === 'CN' ? 4134 : 12389, asnOrg: 'Example' } };
}

const post = (path: string, body: unknown, token?: string) =>
  fetch(`${node.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

interface AskAnswer {
  mapped: boolean;
  text: string;
  understood: string[];
  query?: { measure: string; filters: Record<string, unknown>; groupBy?: string };
  rows?: Array<Array<string | number | null>>;
  scope?: { answered: string[] };
  toolCall?: { name: string; input: { addresses: string[] }; dryRun: { confirmation: string; would: Array<{ address: string }> } };
}

test('alerts handled by the node are stored and questions in both languages are answered from them', async () => {
  // 23 SSH brute force and 15 port scans from China, 9 high-risk scans from Russia.
  const alerts = [
    ...Array.from({ length: 23 }, (_, i) => alert('ssh-brute-force', `203.0.113.${1 + (i % 3)}`, 'CN', 0.7)),
    ...Array.from({ length: 15 }, (_, i) => alert('port-scan-vertical', `203.0.113.${10 + (i % 5)}`, 'CN', 0.6)),
    ...Array.from({ length: 9 }, () => alert('port-scan-horizontal', '198.51.100.7', 'RU', 0.9)),
  ];
  await node.defence.desk.handleAlerts(alerts);
  const events = node.events!;
  await waitFor(() => events.store.stats.stored >= 47, 'the alerts stored');

  const es = (await (await post('/api/ask', { question: '¿Qué amenazas hemos visto desde China hoy?' })).json()) as AskAnswer;
  assert.equal(es.mapped, true, es.text);
  assert.deepEqual(es.query!.filters.country, ['CN']);
  assert.equal(es.query!.groupBy, 'type');
  assert.deepEqual(es.rows, [['ssh-brute-force', 23], ['port-scan-vertical', 15]]);
  assert.match(es.text, /38/);
  assert.match(es.text, /23/);
  assert.deepEqual(es.scope!.answered, [node.config.node.id]);

  const en = (await (await post('/api/ask', { question: 'how many high risk alerts from Russia in the last hour?' })).json()) as AskAnswer;
  assert.equal(en.mapped, true, en.text);
  assert.deepEqual(en.rows, [[9]]);
  assert.match(en.text, /\b9\b/);

  const top = (await (await post('/api/ask', { question: 'top 2 sources today' })).json()) as AskAnswer;
  assert.deepEqual(top.rows, [['198.51.100.7', 9], ['203.0.113.1', 8]]);
});

test('a question it cannot map says so and shows what it understood; bad bodies are refused', async () => {
  const r = (await (await post('/api/ask', { question: '¿Qué tiempo hace en Madrid hoy?' })).json()) as AskAnswer;
  assert.equal(r.mapped, false);
  assert.equal(r.rows, undefined, 'no numbers for a question it did not understand');
  assert.match(r.text, /No he podido entender/);
  assert.match(r.text, /Entendí: periodo: hoy/, 'what it did understand');
  assert.ok(!r.text.includes('..'), r.text);
  assert.equal((await post('/api/ask', { question: '' })).status, 400);
  assert.equal((await post('/api/ask', { question: 'hola', extra: 1 })).status, 400);
  assert.equal((await post('/api/ask', { question: 'how many alerts today', node: 'nope' })).status, 400);
});

test('a block command becomes a dry run; only the confirmation with the token bans', async () => {
  const noToken = (await (await post('/api/ask', { question: 'bloquea todas las IPs chinas que hayan hecho fuerza bruta SSH' })).json()) as AskAnswer;
  assert.equal(noToken.toolCall, undefined);
  assert.match(noToken.text, /token/);
  const cmd = (await (await post('/api/ask', { question: 'bloquea todas las IPs chinas que hayan hecho fuerza bruta SSH' }, TOKEN)).json()) as AskAnswer;
  assert.equal(cmd.toolCall!.name, 'block_addresses');
  assert.deepEqual(cmd.toolCall!.input.addresses.sort(), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  assert.deepEqual(await node.registry.list(), [], 'asking bans nothing');
  assert.equal((await post('/api/tools/block_addresses', { confirm: cmd.toolCall!.dryRun.confirmation })).status, 401, 'the confirmation needs the token too');
  const done = (await (await post('/api/tools/block_addresses', { confirm: cmd.toolCall!.dryRun.confirmation }, TOKEN)).json()) as { done: Array<{ address: string }> };
  assert.deepEqual(done.done.map((d) => d.address).sort(), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  assert.deepEqual((await node.registry.list()).map((b) => b.address).sort(), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
});

test('GET /api/tools lists the tools; POST runs one; unknown tools and bad input are refused', async () => {
  const tools = (await (await fetch(`${node.url}/api/tools`)).json()) as Array<{ name: string; inputSchema: { type: string } }>;
  assert.ok(tools.some((t) => t.name === 'count_events' && t.inputSchema.type === 'object'));
  const c = (await (await post('/api/tools/count_events', { country: ['CN'], groupBy: 'type' })).json()) as { rows: unknown[][] };
  assert.deepEqual(c.rows, [['ssh-brute-force', 23], ['port-scan-vertical', 15]]);
  assert.equal((await post('/api/tools/drop_tables', {})).status, 404);
  assert.equal((await post('/api/tools/toString', {})).status, 404, 'an object\'s own methods are no tools');
  const bad = await post('/api/tools/count_events', { country: ['China'] });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /country/);
});

test('alerts handled just before the node stops are still stored (the feeder hands its last batch to the store)', async () => {
  const n = await startNode(testConfig({ capture: { interfaces: [] }, responder: { minScore: 0.99 } }), { onRootGaveUp: () => {} });
  await n.defence.desk.handleAlerts(Array.from({ length: 5 }, (_, i) => alert('ssh-brute-force', `198.51.100.${i + 1}`, 'RU', 0.7)));
  await n.stop();
  const { openDuckdbBackend } = await import('../src/store/duckdb-backend.ts');
  const db = await openDuckdbBackend(`${n.stateDir}/events.duckdb`);
  try {
    const r = await db.query({ kind: 'alert', from: 0, to: Date.now() + 1, filters: {}, measure: 'count' });
    assert.deepEqual(r.rows, [[5]]);
  } finally {
    await db.close();
  }
});
