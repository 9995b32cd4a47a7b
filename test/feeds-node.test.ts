// Feeds on a running node (in-process, dry-run firewall), with the lists served by a real HTTP
// server on 127.0.0.1: a configured remote feed is fetched, applied and kept on disk; a refresh
// applies only the difference; a server that answers 304 costs nothing; a server that is down
// or too slow is reported and leaves the bans in force; a restart with the server down applies
// the copy on disk; a one-off import through the API (what `autoimmune feeds import` sends)
// names its bad lines FILE:LINE, and the guard's refusals.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface ListServer {
  url: string;
  body: string;
  /** 'ok', 'down' (500), 'hang' (never answers). */
  mode: 'ok' | 'down' | 'hang';
  fullFetches: number;
  notModified: number;
  close(): Promise<void>;
}

async function listServer(body: string): Promise<ListServer> {
  const s: ListServer = { url: '', body, mode: 'ok', fullFetches: 0, notModified: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    if (s.mode === 'hang') return;
    if (s.mode === 'down') {
      res.writeHead(500).end('broken');
      return;
    }
    const etag = `"${Buffer.from(s.body).length}-${s.body.length ? s.body.charCodeAt(s.body.length - 2) : 0}"`;
    if (req.headers['if-none-match'] === etag) {
      s.notModified++;
      res.writeHead(304).end();
      return;
    }
    s.fullFetches++;
    res.writeHead(200, { 'content-type': 'text/plain', etag }).end(s.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/firehol_level1.netset`;
  s.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return s;
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `198.18.${(from + i) >> 8}.${(from + i) & 255}`);
const netset = (addresses: string[], extra = '') => `# FireHOL test list\n${addresses.join('\n')}\n${extra}`;

async function feedBans(node: RunningNode, name: string): Promise<Set<string>> {
  return new Set((await node.registry.list()).filter((b) => b.detector === `feed:${name}`).map((b) => b.address));
}

test('a remote feed: fetched, kept on disk, refreshed by difference, 304, failures reported, restart from the copy', async () => {
  const server = await listServer(netset(lines(0, 300), 'bad-line\n127.0.0.1\n'));
  const stateDir = testTempDir('autoimmune-feeds-');
  const config = () => testConfig({ node: { stateDir }, http: { token: TOKEN }, capture: { interfaces: [] }, store: { enabled: false }, feeds: [{ name: 'fh', url: server.url, refreshS: 3600, timeoutS: 2 }] });
  const notices: string[] = [];
  let node = await startNode(config(), { onRootGaveUp: () => {}, notice: (l) => notices.push(l) });
  try {
    await waitFor(async () => (await feedBans(node, 'fh')).size === 300, 'the feed is fetched and applied at start');
    await waitFor(async () => (await node.firewall.list()).length === 300, 'and reaches the firewall');
    const listed = (await node.http.app.inject({ method: 'GET', url: '/api/feeds' })).json();
    assert.equal(listed[0].name, 'fh');
    assert.equal(listed[0].bans, 300);
    assert.equal(listed[0].last.format, 'firehol');
    assert.deepEqual([listed[0].last.bad.count, listed[0].last.refused.count], [1, 1]);
    assert.match(listed[0].last.bad.first[0], /firehol_level1\.netset:302: bad-line/);
    assert.match(listed[0].last.refused.first[0], /127\.0\.0\.1 is allow-listed by 127\.0\.0\.0\/8 \(loopback\)/);
    assert.ok(existsSync(join(stateDir, 'feeds', 'fh.list')), 'kept in the state dir');
    assert.ok(notices.some((l) => /feed fh: 301 entries \(firehol\), \+300 −0/.test(l)), notices.join('\n'));
    const ban = (await node.registry.list()).find((b) => b.address === '198.18.0.7')!;
    assert.equal(ban.origin, 'feed:fh');
    assert.equal(ban.ttl, 10_800, 'default ttl: 3 × refreshS');

    // Unchanged on the server: 304, nothing rewritten.
    const r304 = await node.http.app.inject({ method: 'POST', url: '/api/feeds/fh/refresh', headers: auth });
    assert.equal(r304.statusCode, 200, r304.body);
    assert.equal(server.notModified, 1);
    assert.deepEqual([r304.json().added, r304.json().removed, r304.json().unchanged], [0, 0, 300]);

    // 100 gone, 50 new: only the difference.
    server.body = netset(lines(100, 350));
    const diff = (await node.http.app.inject({ method: 'POST', url: '/api/feeds/fh/refresh', headers: auth })).json();
    assert.deepEqual([diff.added, diff.removed, diff.unchanged], [50, 100, 200]);
    assert.deepEqual(await feedBans(node, 'fh'), new Set(lines(100, 350)));
    await waitFor(async () => (await node.firewall.list()).length === 250, 'the firewall follows the difference');

    // Down, then too slow: reported, the bans stay.
    server.mode = 'down';
    const down = await node.http.app.inject({ method: 'POST', url: '/api/feeds/fh/refresh', headers: auth });
    assert.equal(down.statusCode, 502);
    assert.match(down.json().error, /answered 500/);
    server.mode = 'hang';
    const slow = await node.http.app.inject({ method: 'POST', url: '/api/feeds/fh/refresh', headers: auth });
    assert.match(slow.json().error, /no answer within 2 s \(timeoutS\)/);
    assert.equal((await feedBans(node, 'fh')).size, 250, 'the bans stay in force');
    assert.match((await node.http.app.inject({ method: 'GET', url: '/api/feeds' })).json()[0].lastError, /no answer within 2 s/);

    // A restart with the server still silent: the copy on disk is applied at once.
    await node.stop();
    await (await import('node:fs/promises')).rm(join(stateDir, 'bans.sqlite'));
    node = await startNode(config(), { onRootGaveUp: () => {}, notice: (l) => notices.push(l) });
    assert.deepEqual(await feedBans(node, 'fh'), new Set(lines(100, 350)), 'applied from the copy on disk before start returned');
  } finally {
    await node.stop();
    await server.close();
  }
});

test('a one-off import through the API: difference with the earlier import, other origins left alone, bad input refused', async () => {
  const node = await startNode(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] }, store: { enabled: false } }), { onRootGaveUp: () => {} });
  try {
    const app = node.http.app;
    const post = (q: string, body: string, headers: Record<string, string> = auth) => app.inject({ method: 'POST', url: `/api/feeds/import?${q}`, headers: { ...headers, 'content-type': 'text/plain' }, payload: body });
    assert.equal((await post('name=x', '192.0.2.1\n', {})).statusCode, 401);
    assert.match((await post('name=../x', '192.0.2.1\n')).json().error, /name/);
    assert.match((await post('name=x&format=xml', '192.0.2.1\n')).json().error, /format "xml"/);
    assert.match((await post('name=x&ttl=0', '192.0.2.1\n')).json().error, /ttl "0"/);
    // An operator's ban on one of the list's addresses stays the operator's.
    assert.equal((await app.inject({ method: 'POST', url: '/api/bans', headers: auth, payload: { address: '203.0.113.3', ttl: 60 } })).statusCode, 201);
    const first = (await post('name=drop&source=drop.txt&ttl=7200', `; Spamhaus DROP\n203.0.113.0/30 ; SBL1\n203.0.113.3 ; SBL2\n203.0.113.9 ; SBL3\n300.1.1.1 ; SBL4\n`)).json();
    assert.equal(first.format, 'spamhaus-drop');
    assert.deepEqual([first.added, first.heldByOthers, first.bad.count], [2, 1, 1]);
    assert.match(first.bad.first[0], /^drop\.txt:5: 300\.1\.1\.1: /);
    const bans = await node.registry.list();
    assert.equal(bans.find((b) => b.address === '203.0.113.3')!.detector, 'operator');
    assert.equal(bans.find((b) => b.address === '203.0.113.0/30')!.reason, 'listed by feed drop (SBL1)');
    assert.equal(bans.find((b) => b.address === '203.0.113.0/30')!.ttl, 7200);
    // The dashboard's live list leaves a feed's entries out (a list can hold 100,000s).
    const live = (await app.inject({ method: 'GET', url: '/api/dashboard' })).json().bans.map((b: { address: string }) => b.address);
    assert.deepEqual(live, ['203.0.113.3']);
    const second = (await post('name=drop&source=drop.txt&ttl=7200', '203.0.113.9\n')).json();
    assert.deepEqual([second.added, second.removed, second.unchanged], [0, 1, 1]);
    assert.deepEqual((await node.registry.list()).map((b) => b.address).sort(), ['203.0.113.3', '203.0.113.9']);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /autoimmune_feed_bans\{[^}]*feed="drop"[^}]*\} 1$/m);
    assert.match(metrics, /autoimmune_feed_problems\{[^}]*feed="drop"[^}]*kind="bad"[^}]*\} 0$/m, 'the last import had no bad line');
    const bad = await post('name=j&format=crowdsec-json', '[{"value": ');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'AI_ERR_FEED_FORMAT');
  } finally {
    await node.stop();
  }
});

test('in a cluster only the leader applies a configured feed', async () => {
  const { FeedRunner } = await import('../src/feeds/feed-runner.ts');
  const { MemoryBanRegistry } = await import('../src/respond/memory-ban-registry.ts');
  const { feedSpecs } = await import('../src/feeds/feed-config.ts');
  const { writeFileSync } = await import('node:fs');
  const dir = testTempDir('autoimmune-feed-leader-');
  const file = join(dir, 'list.txt');
  writeFileSync(file, '192.0.2.1\n192.0.2.2\n');
  const registry = new MemoryBanRegistry();
  let leader = false;
  const runner = new FeedRunner({ feeds: feedSpecs([{ name: 'l', file }]), registry, guard: { checkText: () => null }, stateDir: dir, notice: () => {}, leads: () => leader });
  try {
    assert.equal(await runner.refresh('l'), null, 'not the leader: nothing applied');
    assert.equal((await registry.list()).length, 0);
    leader = true;
    assert.equal((await runner.refresh('l'))!.added, 2);
    assert.equal((await registry.list()).length, 2);
  } finally {
    await runner.stop();
    await registry.close();
  }
});
