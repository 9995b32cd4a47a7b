// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
// node: the page loads, the tree shows running actors, a crash injected into an actor shows
// as a restart, Block on an alert bans its source and the (dry-run) firewall actor applies
// it, Unblock lifts it. Saves a screenshot in test-artifacts/.

import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { openTestBrowser } from '../devkit/browser.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import type { Alert } from '../src/detect/alert.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'browser-token-0123456789';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const SOURCE = '203.0.113.50';

let node: RunningNode;
let browser: Browser;
let page: Page;
let consoleErrors: string[] = [];

before(async () => {
  node = await startNode(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] } }), { onRootGaveUp: () => {} });
  ({ browser, page, consoleErrors } = await openTestBrowser());
});

after(async () => {
  await browser?.close();
  await node?.stop();
});

function alert(source: string, score: number): Alert {
  const now = Date.now() / 1000;
  return { type: 'ssh-brute-force', source, target: '10.0.0.22', score, ts: now, firstTs: now - 3, detector: 'rules', blockable: true, evidence: { attempts: 9, windowS: 60 }, geo: { country: 'DE', asn: 64501, asnOrg: 'Example Hosting', latitude: 50.11, longitude: 8.68 } };
}

test('the page loads and the tree shows the running actors of the node', async () => {
  await page.goto(`${node.url}/#token=${TOKEN}`);
  const id = node.config.node.id;
  for (const path of ['/response/firewall', '/response/responder', '/detection/floods', '/pipeline/enrichers/enricher-0']) {
    await page.locator(`[data-node="${id}"][data-path="${path}"][data-status="running"]`).first().waitFor({ timeout: 15_000 });
  }
  assert.ok(!page.url().includes(TOKEN), 'the token is taken out of the address bar');
});

test('the protected panel lists what is never banned, with where it came from', async () => {
  const row = page.locator('#protected tr', { hasText: '127.0.0.0/8' }).first();
  await row.waitFor({ timeout: 15_000 });
  assert.match((await row.textContent()) ?? '', /loopback.*never/);
});

test('a crash injected into an actor shows up as a restart', async () => {
  node.system.crash('/detection/floods');
  await page.locator(`[data-path="/detection/floods"][data-restarts="1"]`).first().waitFor({ timeout: 15_000 });
});

test('Block on an alert bans its source and the firewall actor applies it; Unblock lifts it', async () => {
  // Below the responder's minimum score: the detector alone would not ban it.
  await node.defence.desk.handleAlerts([alert(SOURCE, 0.3)]);
  const block = page.locator(`.block[data-source="${SOURCE}"]`).first();
  await block.waitFor({ timeout: 15_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  await block.click();
  await waitFor(() => node.firewall.appliedAt.has(SOURCE), 'the dry-run firewall applied the ban', 15_000);
  const bans = await node.defence.desk.bans();
  assert.equal(bans.find((b) => b.address === SOURCE)?.detector, 'operator');
  await page.locator(`[data-address="${SOURCE}"]`).first().waitFor({ timeout: 15_000 });
  await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
  await page.locator(`.unblock[data-address="${SOURCE}"]`).first().click();
  await waitFor(() => !node.firewall.appliedAt.has(SOURCE), 'the firewall lifted the ban', 15_000);
  await page.locator(`.unblock[data-address="${SOURCE}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  assert.deepEqual(consoleErrors, [], 'no errors in the browser console');
});
