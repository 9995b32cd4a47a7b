// Webhook notifications against a real HTTP receiver on 127.0.0.1: a node's decisions (and,
// when asked, alerts) arrive batched, as plain JSON and as a Slack-compatible message, filtered
// by kind, type and score; a receiver that fails is retried with backoff; one that refuses
// (4xx) is not; one that hangs fills a bounded queue whose oldest events are dropped and
// counted, while offering never waits.

import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { startNode } from '../src/node/node.ts';
import { webhookSpecs } from '../src/notify/notify-config.ts';
import { Webhook } from '../src/notify/webhook.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Receiver {
  url: string;
  got: Array<{ path: string; headers: IncomingMessage['headers']; body: any }>;
  /** Decides each answer (default 200). */
  answer: (n: number) => number | 'hang';
  close(): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const r: Receiver = { url: '', got: [], answer: () => 200, close: async () => {} };
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const a = r.answer(n++);
      if (a === 'hang') return;
      r.got.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
      res.writeHead(a).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  r.close = () => {
    server.closeAllConnections();
    return new Promise((ok) => server.close(() => ok()));
  };
  return r;
}

const alert = (source: string, score: number): Alert => ({ type: 'ssh-brute-force', detector: 'rules', source, target: '192.0.2.1', score, ts: 1, firstTs: 0, blockable: true, evidence: { attempts: 12, windowS: 60 } });

test('a node sends its decisions as JSON and its alerts and decisions as Slack messages, filtered and batched', async () => {
  const rx = await receiver();
  const node = await startNode(
    testConfig({
      http: { token: TOKEN },
      capture: { interfaces: [] },
      store: { enabled: false },
      notify: {
        queue: 100,
        webhooks: [
          { name: 'ops-json', url: `${rx.url}/json`, batchMs: 300, headers: { 'x-secret': 's3' } },
          { name: 'slack', url: `${rx.url}/slack`, format: 'slack', events: ['alert'], minScore: 0.8, types: ['ssh-brute-force'], batchMs: 300 },
        ],
      },
    }),
    { onRootGaveUp: () => {} },
  );
  try {
    for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      assert.equal((await node.http.app.inject({ method: 'POST', url: '/api/bans', headers: auth, payload: { address: a, ttl: 600, reason: 'seen in logs' } })).statusCode, 201);
    }
    // Two alerts through the node's real desk: one under the hook's minimum score.
    await node.defence.desk.handleAlerts([alert('203.0.113.5', 0.95), alert('203.0.113.6', 0.6)]);
    await waitFor(() => rx.got.filter((g) => g.path === '/json').reduce((n, g) => n + g.body.events.length, 0) >= 5, 'the decisions arrive as JSON (3 operator bans, 2 automatic)');
    await waitFor(() => rx.got.some((g) => g.path === '/slack'), 'the alert arrives in Slack form');
    const json = rx.got.filter((g) => g.path === '/json');
    assert.ok(json.length < 5, `batched: ${json.length} requests for 5 decisions`);
    assert.equal(json[0]!.headers['x-secret'], 's3');
    const events = json.flatMap((g) => g.body.events);
    assert.equal(json[0]!.body.node, node.config.node.id);
    assert.deepEqual(events.filter((e: any) => e.type === 'operator').map((e: any) => [e.address, e.action, e.ttl, e.reason]), [
      ['198.51.100.1', 'ban', 600, 'seen in logs'],
      ['198.51.100.2', 'ban', 600, 'seen in logs'],
      ['198.51.100.3', 'ban', 600, 'seen in logs'],
    ]);
    assert.deepEqual(events.filter((e: any) => e.type === 'ssh-brute-force').map((e: any) => [e.kind, e.address]), [['decision', '203.0.113.5'], ['decision', '203.0.113.6']], 'the automatic bans too');
    assert.ok(!events.some((e: any) => e.kind === 'alert'), 'alerts were not asked for on this hook');
    const slack = rx.got.filter((g) => g.path === '/slack').map((g) => g.body);
    assert.equal(typeof slack[0].text, 'string');
    assert.match(slack[0].text, /alert\* ssh-brute-force from `203\.0\.113\.5`/);
    assert.ok(!slack.some((m: any) => m.text.includes('203.0.113.6')), 'below minScore: not sent');
    assert.equal(slack[0].blocks[0].type, 'section');
    assert.equal(slack[0].blocks[0].text.type, 'mrkdwn');
    const sent = async () => (await node.http.app.inject({ method: 'GET', url: '/api/notify' })).json().find((s: any) => s.name === 'ops-json').sent;
    await waitFor(async () => (await sent()) === 5, 'the webhook counts 5 sent');
    assert.match((await node.http.app.inject({ method: 'GET', url: '/metrics' })).body, /autoimmune_notify_events_total\{[^}]*webhook="ops-json"[^}]*outcome="sent"[^}]*\} 5$/m);
  } finally {
    await node.stop();
    await rx.close();
  }
});

test('retried with backoff after 5xx; a 4xx is not retried; a hung receiver fills the bounded queue, drops counted', async () => {
  const rx = await receiver();
  try {
    const ev = (i: number) => ({ kind: 'decision' as const, at: Date.now(), type: 'operator', action: 'ban', address: `192.0.2.${i}`, score: 1, ttl: 60, reason: 'x' });

    rx.answer = (n) => (n < 2 ? 503 : 200);
    const flaky = new Webhook(webhookSpecs([{ name: 'f', url: `${rx.url}/f`, batchMs: 0, retries: 3 }])[0]!, 'n1', 10, 50);
    flaky.offer(ev(1));
    await waitFor(() => flaky.stats.sent === 1, 'delivered on the third try');
    assert.equal(flaky.stats.retries, 2);
    assert.equal(flaky.stats.failed, 0);

    rx.answer = () => 400;
    const refused = new Webhook(webhookSpecs([{ name: 'r', url: `${rx.url}/r`, batchMs: 0, retries: 3 }])[0]!, 'n1', 10, 50);
    refused.offer(ev(2));
    await waitFor(() => refused.stats.failed === 1, 'given up at once');
    assert.equal(refused.stats.retries, 0);
    assert.match(refused.stats.lastError!, /answered 400/);

    rx.answer = () => 'hang';
    const hung = new Webhook(webhookSpecs([{ name: 'h', url: `${rx.url}/h`, batchMs: 0, maxBatch: 1, timeoutS: 30 }])[0]!, 'n1', 5, 50);
    hung.offer(ev(3));
    await waitFor(() => hung.stats.queued === 0, 'the first event is in flight');
    for (let i = 0; i < 20; i++) hung.offer(ev(10 + i)); // returns at once: nothing awaited
    assert.equal(hung.stats.queued, 5, 'at most the queue bound waits');
    assert.equal(hung.stats.dropped, 15, 'the oldest are dropped and counted');
    hung.stop();
    flaky.stop();
    refused.stop();
  } finally {
    await rx.close();
  }
});
