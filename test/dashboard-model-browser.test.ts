// The anomaly model's state on the dashboard, in a real browser against a real node with the
// model on: which model, its phase, the grace period's progress and, once rows come in, that
// progress moving; and the same state in GET /api/model.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { dashboardSession } from '../devkit/browser.ts';
import { testConfig } from '../devkit/node-config.ts';

const d = dashboardSession(testConfig({ capture: { interfaces: [] }, model: { enabled: true, graceRows: 1000 } } as never), async ({ node, page }) => {
  await d.page.goto(d.node.url);
});

interface ModelAnswer {
  kind: string;
  flowScoring: boolean;
  trainerHere: boolean;
  state: { phase: string; grace: { rows: number; of: number; progress: number }; current: unknown; candidate: unknown } | null;
}

test('GET /api/model and the dashboard tell the model, its phase and the grace period\'s progress', async () => {
  const m = (await (await fetch(`${d.node.url}/api/model`)).json()) as ModelAnswer;
  assert.equal(m.kind, d.node.config.model.kind);
  assert.equal(m.flowScoring, d.node.config.model.flowScoring);
  assert.equal(m.trainerHere, true, 'a single node runs its own trainer');
  assert.equal(m.state?.phase, 'grace');
  assert.deepEqual(m.state?.grace, { rows: 0, of: 1000, progress: 0 });
  assert.equal(m.state?.current, null);

  const row = d.page.locator('#model tr.model');
  await row.waitFor({ timeout: 15_000 });
  assert.equal(await row.getAttribute('data-phase'), 'grace');
  assert.match(await d.page.locator('#model-kind').innerText(), new RegExp(`${m.kind} · per ${m.flowScoring ? 'flow' : 'packet'}`));
  assert.match(await row.locator('.c-grace').innerText(), /0 %/);
  assert.match((await row.locator('.c-grace').getAttribute('title')) ?? '', /0 of 1,000 rows learnt/);
  assert.match(await row.locator('.c-current').innerText(), /none yet/);
  assert.ok(!(await d.page.locator('#model-empty').isVisible()), 'no empty-state text beside the row');
});
