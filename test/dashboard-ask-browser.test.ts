// The dashboard's "Ask / Pregunta" box in a real browser (Debian's Chromium through
// playwright-core) against a real node whose desk has handled alerts (stored in its event
// store): a Spanish question shows the answer with the per-type counts fed in, a question it
// cannot map says so without a table, a server refusal shows the server's message, and a block
// command shows its dry run: Cancel bans nothing, Confirm (with the token) bans the addresses.
// Saves a screenshot in test-artifacts/.

import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { openTestBrowser } from '../devkit/browser.ts';
import type { Alert } from '../src/detect/alert.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'ask-browser-token-0123456789';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const SSH_SOURCES = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];
const BLOCK = 'bloquea todas las IPs chinas que hayan hecho fuerza bruta SSH';

let node: RunningNode;
let browser: Browser;
let page: Page;
let consoleErrors: string[] = [];

before(async () => {
  // The responder bans nothing by itself here (minScore 0.99): every ban comes from Confirm.
  node = await startNode(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] }, responder: { minScore: 0.99 } }), { onRootGaveUp: () => {} });
  ({ browser, page, consoleErrors } = await openTestBrowser());
});

after(async () => {
  await browser?.close();
  await node?.stop();
});

function alert(type: Alert['type'], source: string, country: string, score: number): Alert {
  const ts = Date.now() / 1000;
  return { type, source, target: '10.0.0.22', score, ts, firstTs: ts - 2, detector: 'rules', blockable: true, evidence: { n: 1 }, geo: { country, asn: country === 'CN' ? 4134 : 12389, asnOrg: 'Example' } };
}

/** Types a question into the box, submits it with Enter and waits for its answer (or error). */
async function ask(p: Page, question: string): Promise<string> {
  await p.locator('#ask-input').fill(question);
  await p.locator('#ask-input').press('Enter');
  await p.locator(`#ask-output[data-state="answered"], #ask-output[data-state="error"]`).waitFor({ timeout: 15_000 });
  return (await p.locator('#ask-answer').textContent()) ?? '';
}

async function tableRows(p: Page): Promise<string[][]> {
  return p.locator('#ask-rows tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
}

test('a question in Spanish is answered from the stored alerts, with the counts per type in a table', async () => {
  // 23 SSH brute force and 15 vertical port scans from China, 9 horizontal scans from Russia.
  const alerts = [
    ...Array.from({ length: 23 }, (_, i) => alert('ssh-brute-force', SSH_SOURCES[i % 3]!, 'CN', 0.7)),
    ...Array.from({ length: 15 }, (_, i) => alert('port-scan-vertical', `203.0.113.${10 + (i % 5)}`, 'CN', 0.6)),
    ...Array.from({ length: 9 }, () => alert('port-scan-horizontal', '198.51.100.7', 'RU', 0.9)),
  ];
  await node.defence.desk.handleAlerts(alerts);
  const events = node.events!;
  await waitFor(() => events.store.stats.stored >= alerts.length, 'the alerts stored', 15_000);

  await page.goto(`${node.url}/#token=${TOKEN}`);
  const text = await ask(page, '¿Qué amenazas hemos visto desde China hoy?');
  assert.equal(await page.locator('#ask-output').getAttribute('data-mapped'), 'true', text);
  assert.match(text, /\b38\b/, 'the total from China');
  assert.deepEqual(await tableRows(page), [['ssh-brute-force', '23'], ['port-scan-vertical', '15']]);
  assert.deepEqual(await page.locator('#ask-rows thead th').allTextContents(), ['type', 'count']);
  // What was understood and the query, folded until asked for.
  const details = page.locator('#ask-details');
  assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false);
  await details.locator('summary').click();
  assert.deepEqual(JSON.parse((await details.locator('.ask-query').textContent()) ?? '').filters, { country: ['CN'] });
  assert.ok((await details.locator('.ask-understood li').allTextContents()).some((u) => u.includes('China (CN)')));
  assert.equal(await details.locator('.ask-scope').getAttribute('data-answered'), node.config.node.id);
  assert.equal(await details.locator('.ask-scope').getAttribute('data-missing'), '');
});

test('a question it cannot map says what it understood and shows no table; a refusal shows the server’s message', async () => {
  const es = await ask(page, '¿Qué tiempo hace en Madrid hoy?');
  assert.match(es, /No he podido/);
  assert.equal(await page.locator('#ask-output').getAttribute('data-mapped'), 'false');
  assert.equal(await page.locator('#ask-rows').count(), 0);

  const en = await ask(page, "what's the weather like in Madrid today?");
  assert.match(en, /could not/);
  assert.match(en, /today/, 'it says what it understood');
  assert.equal(await page.locator('#ask-rows').count(), 0);

  // Longer than the server takes (the input's maxlength stops typing, not a script).
  const before = consoleErrors.length;
  await page.locator('#ask-input').evaluate((el, q) => ((el as HTMLInputElement).value = q), 'cuántas alertas '.repeat(40));
  await page.locator('#ask-submit').click();
  await page.locator('#ask-output[data-state="error"]').waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('#ask-answer').getAttribute('data-status'), '400');
  assert.match((await page.locator('#ask-answer').textContent()) ?? '', /question is \d+ characters; the cap is 500/);
  // Chromium logs the refused request itself; that one is expected, nothing else.
  const added = consoleErrors.splice(before);
  assert.ok(added.every((e) => /status of 400/.test(e)), added.join('\n'));
});

test('without the token a block command says it is needed and offers nothing to confirm', async () => {
  const other = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  try {
    other.on('pageerror', (e) => consoleErrors.push(String(e)));
    await other.goto(node.url);
    const text = await ask(other, BLOCK);
    assert.match(text, /token/);
    assert.equal(await other.locator('#ask-confirm').count(), 0);
    assert.deepEqual(await node.registry.list(), []);
  } finally {
    await other.close();
  }
});

test('a block command shows its dry run; Cancel bans nothing, Confirm with the token bans the addresses', async () => {
  await ask(page, BLOCK);
  const listed = async () => (await page.locator('#ask-dryrun .would li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-address')))).sort();
  assert.deepEqual(await listed(), SSH_SOURCES);
  assert.equal(await page.locator('#ask-dryrun').getAttribute('data-tool'), 'block_addresses');
  await page.locator('#ask-cancel').click();
  assert.equal(await page.locator('#ask-dryrun').getAttribute('data-state'), 'cancelled');
  assert.ok(await page.locator('#ask-confirm').isDisabled());
  assert.deepEqual(await node.registry.list(), [], 'asking and cancelling ban nothing');

  await ask(page, BLOCK);
  assert.deepEqual(await listed(), SSH_SOURCES);
  await page.locator('#ask-details summary').click();
  await page.locator('#ask-confirm').click();
  await page.locator('#ask-dryrun[data-state="done"]').waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('#ask-outcome').getAttribute('data-kind'), 'ok');
  const done = (await page.locator('#ask-outcome .done li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-address')))).sort();
  assert.deepEqual(done, SSH_SOURCES);
  assert.deepEqual((await node.registry.list()).map((b) => b.address).sort(), SSH_SOURCES);
  // The bans panel shows them too, from the node's own feed.
  for (const a of SSH_SOURCES) await page.locator(`#bans [data-address="${a}"]`).first().waitFor({ timeout: 15_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}dashboard-ask.png`, fullPage: true });

  // A confirmation is used once.
  assert.ok(await page.locator('#ask-confirm').isDisabled());
  assert.deepEqual(consoleErrors, [], 'no errors in the browser console');
});
