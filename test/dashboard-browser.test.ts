// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
// node: the page loads, the tree shows running actors, a crash injected into an actor shows
// as a restart, Block on an alert bans its source and the (dry-run) firewall actor applies
// it, Unblock lifts it. Saves a screenshot in test-artifacts/.

import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dashboardSession } from '../devkit/browser.ts';
import type { Alert } from '../src/detect/alert.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'browser-token-0123456789';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const SOURCE = '203.0.113.50';

const d = dashboardSession(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] } }));

function alert(source: string, score: number): Alert {
  const now = Date.now() / 1000;
  return { type: 'ssh-brute-force', source, target: '10.0.0.22', score, ts: now, firstTs: now - 3, detector: 'rules', blockable: true, evidence: { attempts: 9, windowS: 60 }, geo: { country: 'DE', asn: 64501, asnOrg: 'Example Hosting', latitude: 50.11, longitude: 8.68 } };
}

test('the page loads and the tree shows the running actors of the node', async () => {
  await d.page.goto(`${d.node.url}/#token=${TOKEN}`);
  const id = d.node.config.node.id;
  for (const path of ['/response/firewall', '/response/responder', '/detection/floods', '/pipeline/enrichers/enricher-0']) {
    await d.page.locator(`[data-node="${id}"][data-path="${path}"][data-status="running"]`).first().waitFor({ timeout: 15_000 });
  }
  assert.ok(!d.page.url().includes(TOKEN), 'the token is taken out of the address bar');
});

test('the protected panel lists what is never banned, with where it came from', async () => {
  const row = d.page.locator('#protected tr', { hasText: '127.0.0.0/8' }).first();
  await row.waitFor({ timeout: 15_000 });
  assert.match((await row.textContent()) ?? '', /loopback.*never/);
});

test('a crash injected into an actor shows up as a restart', async () => {
  d.node.system.crash('/detection/floods');
  await d.page.locator(`[data-path="/detection/floods"][data-restarts="1"]`).first().waitFor({ timeout: 15_000 });
});

test('Block on an alert bans its source and the firewall actor applies it; Unblock lifts it', async () => {
  // Below the responder's minimum score: the detector alone would not ban it.
  await d.node.defence.desk.handleAlerts([alert(SOURCE, 0.3)]);
  const block = d.page.locator(`.block[data-source="${SOURCE}"]`).first();
  await block.waitFor({ timeout: 15_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  await block.click();
  await waitFor(() => d.node.firewall.applied.has(SOURCE), 'the dry-run firewall applied the ban', 15_000);
  const bans = await d.node.defence.desk.bans();
  assert.equal(bans.find((b) => b.address === SOURCE)?.detector, 'operator');
  await d.page.locator(`[data-address="${SOURCE}"]`).first().waitFor({ timeout: 15_000 });
  await d.page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
  await d.page.locator(`.unblock[data-address="${SOURCE}"]`).first().click();
  await waitFor(() => !d.node.firewall.applied.has(SOURCE), 'the firewall lifted the ban', 15_000);
  await d.page.locator(`.unblock[data-address="${SOURCE}"]`).waitFor({ state: 'detached', timeout: 15_000 });
  assert.deepEqual(d.consoleErrors, [], 'no errors in the browser console');
});
