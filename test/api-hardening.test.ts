// The node's HTTP API against abuse, on real nodes over real HTTP: the Host allow-list on
// requests and the WebSocket (DNS rebinding), body limits and input caps (named in the
// refusal), per-client rate and in-flight limits, block tools on the same rate limit and
// checks as POST /api/bans, no spoofed flood source proposed for a block, internal errors
// without their detail, database files owner-only. Each test makes its requests from its own
// loopback address (127.0.0.N) where per-client limits would otherwise mix.

import { strict as assert } from 'node:assert';
import { statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { fillEvents, slowQuery } from '../devkit/store-fill.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'hardening-token-0123456789';
/** A node with tight limits (and a database of old alerts to make a slow query of). */
let tight: RunningNode;
/** A node with the default limits. */
let plain: RunningNode;
const log: string[] = [];

before(async () => {
  const config = testConfig({
    http: { token: TOKEN, allowedHosts: ['autoimmune.test'], clientLimits: { perS: 0.001, burst: 5, inFlight: 1 }, blockRate: { perS: 0.001, burst: 3 } },
    capture: { interfaces: [] },
    responder: { minScore: 0.99 },
    store: { queryTimeoutMs: 60_000 },
  });
  await fillEvents(join(config.node.stateDir, 'events.duckdb'), 300_000);
  tight = await startNode(config, { onRootGaveUp: () => {}, notice: (l) => log.push(l) });
  plain = await startNode(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] }, responder: { minScore: 0.99 } }), { onRootGaveUp: () => {}, notice: () => {} });
});
after(async () => {
  await tight?.stop();
  await plain?.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

interface CallOptions {
  body?: unknown;
  /** Raw body text (instead of JSON of `body`). */
  raw?: string;
  host?: string;
  /** The client's address: 127.0.0.N. */
  from?: string;
  token?: string;
  /** Send the body chunked (no Content-Length). */
  chunked?: boolean;
  headers?: Record<string, string>;
}

function call(node: RunningNode, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const url = new URL(node.url);
  const payload = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        ...(o.from ? { localAddress: o.from } : {}),
        headers: {
          host: o.host ?? url.host,
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(payload !== undefined && !o.chunked ? { 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...o.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    // The server may answer and close before reading a body it refuses: that is the point.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    if (payload !== undefined && o.chunked) {
      for (let i = 0; i < payload.length; i += 16_384) req.write(payload.slice(i, i + 16_384));
    } else if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** An upgrade to the dashboard's WebSocket with this Host: the status line's code. */
function upgrade(node: RunningNode, host: string): Promise<number> {
  const url = new URL(node.url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: '/ws',
      headers: { host, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function alert(type: Alert['type'], source: string, blockable: boolean, target = '10.0.0.1'): Alert {
  const ts = Date.now() / 1000;
  return { type, source, target, score: 0.9, ts, firstTs: ts - 1, detector: 'rules', blockable, evidence: { n: 1 }, geo: { country: 'NL', asn: 64500, asnOrg: 'Example' } };
}

test('Host: localhost names, the bound address and http.allowedHosts are answered; another name is refused on every route and the WebSocket', async () => {
  const port = new URL(tight.url).port;
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'autoimmune.test', `AUTOIMMUNE.test:${port}`]) {
    assert.equal((await call(tight, 'GET', '/health', { host, from: '127.0.0.2' })).status, 200, host);
  }
  for (const path of ['/health', '/api/tree', '/api/bans', '/', '/no-such-page']) {
    const r = await call(tight, 'GET', path, { host: `rebind.attacker.example:${port}`, from: '127.0.0.2' });
    assert.equal(r.status, 421, path);
    assert.equal(r.text.includes('\n'), false, 'one line');
    assert.equal(r.json.code, 'AI_ERR_HOST_NOT_ALLOWED');
    assert.match(String(r.json.error), /rebind\.attacker\.example/);
    assert.match(String(r.json.error), /http\.allowedHosts/);
  }
  const post = await call(tight, 'POST', '/api/bans', { host: 'attacker.example', token: TOKEN, body: { address: '203.0.113.99' }, from: '127.0.0.2' });
  assert.equal(post.status, 421, 'a mutating call too, token or not');
  assert.deepEqual(await tight.registry.list(), []);
  assert.equal(await upgrade(tight, 'attacker.example'), 421);
  assert.equal(await upgrade(tight, `127.0.0.1:${port}`), 101, 'the dashboard\'s own upgrade still works');
});

test('sizes: a body over the route\'s limit is refused (413, naming it), whole or chunked; a list over its cap and a long question are refused naming the field and the cap', async () => {
  const cidrs = Array.from({ length: 65_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
  const big = JSON.stringify({ source: cidrs });
  assert.ok(big.length > 1_000_000);
  for (const chunked of [false, true]) {
    const r = await call(tight, 'POST', '/api/tools/count_events', { raw: big, chunked, from: '127.0.0.3' });
    assert.equal(r.status, 413, `chunked: ${chunked}`);
    assert.match(String(r.json.error), /65536 bytes/);
    assert.match(String(r.json.error), /\/api\/tools\/:name/);
  }
  const over = await call(tight, 'POST', '/api/tools/count_events', { body: { source: cidrs.slice(0, 101) }, from: '127.0.0.3' });
  assert.equal(over.status, 400);
  assert.match(String(over.json.error), /\/source has 101 items; the cap is 100/);
  const countries = await call(tight, 'POST', '/api/tools/top_sources', { body: { country: Array.from({ length: 251 }, () => 'CN') }, from: '127.0.0.3' });
  assert.match(String(countries.json.error), /\/country has 251 items; the cap is 250/);
  const question = await call(tight, 'POST', '/api/ask', { body: { question: `how many alerts today ${'x'.repeat(600)}` }, from: '127.0.0.3' });
  assert.equal(question.status, 400);
  assert.match(String(question.json.error), /question is 622 characters; the cap is 500/);
  const askBody = await call(tight, 'POST', '/api/ask', { body: { question: 'hola', pad: 'x'.repeat(20_000) }, from: '127.0.0.3' });
  assert.equal(askBody.status, 413, 'the question route takes 16 KiB at most');
});

test('per client: past the burst a client gets 429 with Retry-After; others, and the same address with the token, still get answers', async () => {
  const q = { body: { kind: 'decision' }, from: '127.0.0.4' };
  for (let i = 0; i < 5; i++) assert.equal((await call(tight, 'POST', '/api/tools/count_events', q)).status, 200, `request ${i + 1} of the burst`);
  const refused = await call(tight, 'POST', '/api/tools/count_events', q);
  assert.equal(refused.status, 429);
  assert.equal(refused.json.code, 'AI_ERR_RATE_LIMITED');
  assert.match(String(refused.json.error), /http\.clientLimits/);
  assert.ok(Number(refused.headers['retry-after']) >= 1);
  assert.equal((await call(tight, 'POST', '/api/ask', { body: { question: 'how many bans today' }, from: '127.0.0.4' })).status, 429, '/api/ask shares the budget');
  assert.equal((await call(tight, 'POST', '/api/tools/count_events', { ...q, from: '127.0.0.5' })).status, 200, 'another client');
  assert.equal((await call(tight, 'POST', '/api/tools/count_events', { ...q, token: TOKEN })).status, 200, 'the token holder from the same address');
  assert.equal((await call(tight, 'GET', '/api/tools', { from: '127.0.0.4' })).status, 200, 'the tool list is not limited');
});

test('per client: one request in flight at most (http.clientLimits.inFlight 1): a second one meanwhile gets 429', async () => {
  const slow = slowQuery();
  const first = call(tight, 'POST', '/api/tools/trend_events', { body: { from: new Date(slow.from).toISOString(), bucket: 'minute', groupBy: 'source' }, from: '127.0.0.6' });
  const store = tight.events!.store;
  await waitFor(() => store.stats.running === 1, 'the slow query running');
  const second = await call(tight, 'POST', '/api/tools/count_events', { body: { kind: 'decision' }, from: '127.0.0.6' });
  assert.equal(second.status, 429);
  assert.equal(second.json.code, 'AI_ERR_TOO_MANY_IN_FLIGHT');
  assert.equal((await first).status, 200);
  assert.equal((await call(tight, 'POST', '/api/tools/count_events', { body: { kind: 'decision' }, from: '127.0.0.6' })).status, 200, 'free again once it answered');
});

test('block_addresses takes the same http.blockRate bucket as POST /api/bans, all or nothing; its confirmation waits for a retry', async () => {
  const post = (address: string) => call(tight, 'POST', '/api/bans', { token: TOKEN, body: { address }, from: '127.0.0.7' });
  assert.equal((await post('203.0.113.1')).status, 201);
  const dry = await call(tight, 'POST', '/api/tools/block_addresses', { token: TOKEN, body: { addresses: ['203.0.113.2', '203.0.113.3', '203.0.113.4'] }, from: '127.0.0.7' });
  assert.equal(dry.status, 200);
  const confirmation = String(dry.json.confirmation);
  const refused = await call(tight, 'POST', '/api/tools/block_addresses', { token: TOKEN, body: { confirm: confirmation }, from: '127.0.0.7' });
  assert.equal(refused.status, 429, 'three bans asked, two free');
  assert.match(String(refused.json.error), /needs 3 bans and 2 are free/);
  assert.match(String(refused.json.error), /http\.blockRate/);
  assert.deepEqual((await tight.registry.list()).map((b) => b.address), ['203.0.113.1'], 'nothing of the refused confirmation was done');
  assert.equal((await post('203.0.113.5')).status, 201, 'the two left are POST /api/bans\'s too');
  assert.equal((await post('203.0.113.6')).status, 201);
  assert.equal((await post('203.0.113.7')).status, 429, 'and then neither has any');
  const again = await call(tight, 'POST', '/api/tools/block_addresses', { token: TOKEN, body: { confirm: confirmation }, from: '127.0.0.7' });
  assert.equal(again.status, 429, 'still pending, still too many');
  const overBurst = await call(tight, 'POST', '/api/tools/block_addresses', { token: TOKEN, body: { addresses: ['203.0.113.8', '203.0.113.9', '203.0.113.10', '203.0.113.11'] }, from: '127.0.0.7' });
  assert.equal(overBurst.status, 400);
  assert.match(String(overBurst.json.error), /bursts of 3/);
});

test('block_addresses refuses exactly what POST /api/bans refuses, with the same reason (one path: the policy\'s checks)', async () => {
  for (const address of ['2000::/3', '10.0.0.0/4', '127.0.0.1', '10.0.0.5/8', 'not-an-address']) {
    const viaApi = await call(plain, 'POST', '/api/bans', { token: TOKEN, body: { address } });
    assert.ok(viaApi.status >= 400 && viaApi.status < 500, `${address}: ${viaApi.status} ${viaApi.text}`);
    const viaTool = await call(plain, 'POST', '/api/tools/block_addresses', { token: TOKEN, body: { addresses: [address] } });
    assert.equal(viaTool.status, 200);
    const refused = viaTool.json.refused as Array<{ address: string; why: string }>;
    assert.deepEqual(refused, [{ address, why: viaApi.json.error }], address);
  }
  assert.deepEqual(await plain.registry.list(), []);
});

test('a block command proposes no source seen only in blockable:false (flood) alerts', async () => {
  await plain.defence.desk.handleAlerts([
    ...Array.from({ length: 30 }, () => alert('syn-flood', '198.51.100.66', false, '10.0.0.9')), // spoofed: the flood's busiest source
    ...Array.from({ length: 20 }, () => alert('udp-amplification', '192.0.2.53', false, '10.0.0.9')), // an abused resolver
    alert('udp-amplification', '203.0.113.40', false, '10.0.0.9'),
    alert('ssh-brute-force', '203.0.113.40', true), // the same address also brute-forced: it may be proposed
    ...Array.from({ length: 3 }, () => alert('ssh-brute-force', '203.0.113.41', true)),
  ]);
  await waitFor(() => plain.events!.store.stats.stored >= 55, 'the alerts stored');
  const r = await call(plain, 'POST', '/api/ask', { token: TOKEN, body: { question: 'block the top sources of the last hour' } });
  assert.equal(r.status, 200, r.text);
  const toolCall = r.json.toolCall as { input: { addresses: string[] } };
  assert.deepEqual(toolCall.input.addresses.sort(), ['203.0.113.40', '203.0.113.41']);
  const top = await call(plain, 'POST', '/api/tools/top_sources', { body: { last: '1h', blockable: true } });
  assert.deepEqual(top.json.rows, [['203.0.113.41', 3], ['203.0.113.40', 1]], 'the tools take the same filter');
  const all = await call(plain, 'POST', '/api/tools/top_sources', { body: { last: '1h' } });
  assert.equal((all.json.rows as unknown[][])[0]![0], '198.51.100.66', 'without it the flood source is the top one');
});

test('an internal error answers a generic 500 with a request id; the detail goes to the node\'s log only', async () => {
  const tools = tight.events!.tools;
  const run = tools.run;
  tools.run = async () => {
    throw new Error('IO Error: could not write /var/lib/secret-path/events.duckdb.wal: No space left on device');
  };
  try {
    const r = await call(tight, 'POST', '/api/ask', { body: { question: 'how many alerts today' }, from: '127.0.0.8' });
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.text, /secret-path|No space|IO Error/);
    const id = String(r.json.requestId);
    assert.match(String(r.json.error), new RegExp(`request ${id}`));
    const line = log.find((l) => l.includes(id));
    assert.ok(line, 'the log has a line with the request id');
    assert.match(line, /secret-path/);
    // A client's own mistake keeps its message.
    const bad = await call(tight, 'POST', '/api/tools/count_events', { body: { country: ['China'] }, from: '127.0.0.8' });
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /country/);
  } finally {
    tools.run = run;
  }
  const wide = await call(plain, 'POST', '/api/bans', { token: TOKEN, body: { address: '2000::/3' } });
  assert.equal(wide.status, 400, 'a refused ban is the client\'s error, not a 500');
  assert.equal(wide.json.code, 'AI_ERR_BAN_TOO_WIDE');
});

test('the database files are owner-only (0600)', async () => {
  const node = plain;
  await node.defence.desk.handleAlerts([alert('port-scan-vertical', '203.0.113.77', true)]);
  await waitFor(() => node.events!.store.stats.flushed > 0, 'a flush to DuckDB');
  const dir = node.stateDir;
  for (const f of ['events.duckdb', 'events.duckdb.wal', 'bans.sqlite']) {
    assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  }
});
