// The anomaly model's state on the dashboard, in a real browser against a real node with the
// model on: which model, its phase, the grace period's progress and, once rows come in, that
// progress moving; and the same state in GET /api/model.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { openTestBrowser } from '../devkit/browser.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { testConfig } from '../devkit/node-config.ts';

let node: RunningNode;
let browser: Browser;
let page: Page;

before(async () => {
  node = await startNode(testConfig({ capture: { interfaces: [] }, model: { enabled: true, graceRows: 1000 } } as never), { onRootGaveUp: () => {} });
  ({ browser, page } = await openTestBrowser());
  await page.goto(node.url);
});

after(async () => {
  await browser?.close();
  await node?.stop();
});

interface ModelAnswer {
  kind: string;
  flowScoring: boolean;
  trainerHere: boolean;
  state: { phase: string; grace: { rows: number; of: number; progress: number }; current: unknown; candidate: unknown } | null;
}

test('GET /api/model and the dashboard tell the model, its phase and the grace period\'s progress', async () => {
  const m = (await (await fetch(`${node.url}/api/model`)).json()) as ModelAnswer;
  assert.equal(m.kind, node.config.model.kind);
  assert.equal(m.flowScoring, node.config.model.flowScoring);
  assert.equal(m.trainerHere, true, 'a single node runs its own trainer');
  assert.equal(m.state?.phase, 'grace');
  assert.deepEqual(m.state?.grace, { rows: 0, of: 1000, progress: 0 });
  assert.equal(m.state?.current, null);

  const row = page.locator('#model tr.model');
  await row.waitFor({ timeout: 15_000 });
  assert.equal(await row.getAttribute('data-phase'), 'grace');
  assert.match(await page.locator('#model-kind').innerText(), new RegExp(`${m.kind} · per ${m.flowScoring ? 'flow' : 'packet'}`));
  assert.match(await row.locator('.c-grace').innerText(), /0 %/);
  assert.match((await row.locator('.c-grace').getAttribute('title')) ?? '', /0 of 1,000 rows learnt/);
  assert.match(await row.locator('.c-current').innerText(), /none yet/);
  assert.ok(!(await page.locator('#model-empty').isVisible()), 'no empty-state text beside the row');
});
