// The dashboard as an operator meets it, in a real browser (Debian's Chromium through
// playwright-core) against a real node, at 390, 1024 and 1440 px: no horizontal scroll of the
// page and panels stacked below 1100 px; every panel says why it is empty; an alert shows when
// the node saw it (a replayed capture's 2009 clock goes to the evidence), with a tooltip of
// its kind and its numbers rounded; a spoofed flood shows as "spoofed: N sources", with no
// Block, no map dot and no place in "top sources"; Block becomes Extend on a banned source and
// Extend lengthens the ban; the feeds and bouncers panels show an imported list and a bouncer's
// pull; a cell cut short keeps its whole text in a tooltip. Screenshots go to a temp dir.

import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dashboardSession } from '../devkit/browser.ts';
import type { Alert } from '../src/detect/alert.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';

const TOKEN = 'layout-token-0123456789';
const WIDTHS = [390, 1024, 1440] as const;
const SHOTS = mkdtempSync(join(tmpdir(), 'autoimmune-dashboard-'));
const REPLAYED = '203.0.113.50';
const SCANNER = '203.0.113.51';
const ODD = '203.0.113.52';
const SPOOFED_TOP = '198.51.100.7';
const CAPTURED_2009 = Date.UTC(2009, 10, 18, 10, 0, 0);

const d = dashboardSession(testConfig({ http: { token: TOKEN }, capture: { interfaces: [] } }), async ({ node, page }) => {
  await d.page.goto(`${d.node.url}/#token=${TOKEN}`);
  await d.page.locator('#conn[data-state="connected"]').waitFor({ timeout: 15_000 });
});

const geo = { country: 'DE', asn: 64501, asnOrg: 'Example Hosting GmbH with a rather long organisation name', latitude: 50.11, longitude: 8.68 };

function alerts(): Alert[] {
  const now = Date.now() / 1000;
  const replayed = CAPTURED_2009 / 1000;
  return [
    { type: 'ssh-brute-force', source: REPLAYED, target: '10.0.0.22', score: 0.9, ts: replayed, firstTs: replayed - 3, detector: 'rules', blockable: true, evidence: { attempts: 9, windowS: 0.1 + 0.2 }, geo },
    // Below the responder's minimum score (0.5): the detector alone does not ban it.
    { type: 'port-scan-vertical', source: SCANNER, target: '10.0.0.23', score: 0.4, ts: now, firstTs: now - 2, detector: 'rules', blockable: true, evidence: { ports: 40, windowS: 12.345678, rate: 0.03333333333333333 }, geo },
    {
      type: 'syn-flood', source: SPOOFED_TOP, target: '10.0.0.5', score: 0.97, ts: now, firstTs: now - 1, detector: 'rules', blockable: false,
      evidence: { syns: 5000, completed: 3, level: 532.5000000001, sources: 4321, windowS: 1.2, pps: 4166, threshold: 500, leakPerS: 100, minSources: 20 },
      geo: { country: 'US', asn: 64502, asnOrg: 'Somewhere', latitude: 37.75, longitude: -97.82 },
    },
    { type: 'anomaly', source: ODD, target: '10.0.0.24', score: 0.7, ts: now, firstTs: now - 4, detector: 'model', blockable: false, evidence: { model: 3, packets: 20, rmse: 0.9731234567 }, geo },
  ];
}

async function setWidth(width: number): Promise<void> {
  await d.page.setViewportSize({ width, height: 900 });
  // Two frames: the resize handlers, then the render they scheduled.
  await d.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** How far the page itself scrolls sideways (0: not at all). */
function pageOverflow(): Promise<number> {
  return d.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Cells of the tables cut short whose whole text is in no tooltip. */
function textLostToTruncation(): Promise<string[]> {
  return d.page.evaluate(() => {
    const lost: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('main td, main td span, main td b, main th')) {
      if (el.offsetParent === null || el.scrollWidth <= el.clientWidth + 1) continue;
      const text = (el.textContent ?? '').trim();
      const title = el.closest<HTMLElement>('[title]')?.title ?? '';
      if (text && !title.includes(text)) lost.push(`${el.className}: "${text}" (title "${title}")`);
    }
    return lost;
  });
}

const visibleText = (sel: string) => d.page.locator(sel).innerText();
const row = (source: string) => d.page.locator(`#alerts tr.alert[data-source="${source}"]`);

test('with nothing yet, every panel says why it is empty, at each width, and the page does not scroll sideways', async () => {
  await d.page.locator('#feeds-empty', { hasText: 'No threat-intel feeds' }).waitFor({ timeout: 15_000 });
  await d.page.locator('#bouncers-empty', { hasText: 'No CrowdSec bouncer registered' }).waitFor({ timeout: 15_000 });
  for (const width of WIDTHS) {
    await setWidth(width);
    assert.equal(await pageOverflow(), 0, `no horizontal scroll at ${width} px`);
    for (const [id, text] of [
      ['#alerts-empty', /No alerts yet/],
      ['#bans-empty', /No bans in force/],
      ['#map-empty', /No alerts yet/],
      ['#feeds-empty', /No threat-intel feeds/],
      ['#bouncers-empty', /No CrowdSec bouncer registered/],
      ['#model-empty', /anomaly model is off on this node/],
    ] as const) {
      assert.ok(await d.page.locator(id).isVisible(), `${id} shown at ${width} px`);
      assert.match(await visibleText(id), text);
    }
    assert.ok(!(await d.page.locator('#alerts-table').isVisible()), 'no empty table frame');
    await d.page.screenshot({ path: join(SHOTS, `empty-${width}.png`), fullPage: true });
  }
});

test('an alert shows when the node saw it, its kind in a tooltip and its numbers rounded; a spoofed flood shows as its sources, with no Block and no map dot', async () => {
  await setWidth(1440);
  await d.node.defence.desk.handleAlerts(alerts());
  await row(SPOOFED_TOP).waitFor({ timeout: 15_000 });

  const replayed = row(REPLAYED);
  const time = replayed.locator('.c-time');
  assert.match(await time.innerText(), /^\d\d:\d\d:\d\d$/, 'seen today, not in 2009');
  assert.match((await time.getAttribute('title')) ?? '', /packet captured at 2009-11-18T10:00:00\.000Z/);
  const evidence = await replayed.locator('.c-evidence').innerText();
  assert.match(evidence, /captured=2009-11-18T10:00:00\.000Z/, 'the capture time is in the evidence');
  assert.match(evidence, /windowS=0\.3( |$)/, 'rounded, not 0.30000000000000004');
  assert.match(await row(SCANNER).locator('.c-evidence').innerText(), /windowS=12\.35 rate=0\.033 /);
  assert.match((await replayed.locator('.c-evidence').getAttribute('title')) ?? '', /windowS = 0\.30000000000000004/, 'the value as given, in the tooltip');

  const typeTitle = async (source: string) => (await row(source).locator('.c-type').getAttribute('title')) ?? '';
  assert.match(await typeTitle(SCANNER), /^port-scan-vertical\nA scan: /);
  assert.match(await typeTitle(REPLAYED), /^ssh-brute-force\nA brute force: /);
  assert.match(await typeTitle(SPOOFED_TOP), /^syn-flood\nA flood: .*\n.*\nIts sources are forged addresses/s);
  const anomaly = await typeTitle(ODD);
  assert.match(anomaly, /^anomaly\nAn anomaly: /);
  assert.doesNotMatch(anomaly, /flood|spoofed/i, 'an anomaly alert does not carry the flood tooltip');

  const spoofed = row(SPOOFED_TOP);
  assert.equal(await spoofed.locator('.c-source').innerText(), 'spoofed: 4,321 sources');
  assert.match((await spoofed.locator('.c-source').getAttribute('title')) ?? '', /most frequent one, for the record: 198\.51\.100\.7/);
  assert.equal(await spoofed.locator('button.block').count(), 0, 'no Block on a spoofed flood');
  assert.match((await spoofed.locator('.c-action .muted').getAttribute('title')) ?? '', /spoofed.*names the target \(10\.0\.0\.5\)/);
  assert.equal(await row(ODD).locator('button.block').innerText(), 'Block', 'an anomaly names a real source: the operator may ban it');

  await d.page.locator(`#map circle[data-source="${REPLAYED}"]`).waitFor({ state: 'attached', timeout: 15_000 });
  assert.equal(await d.page.locator(`#map circle[data-source="${SPOOFED_TOP}"]`).count(), 0, 'a spoofed source has no place on the map');
  assert.ok(!(await d.page.locator('#map-empty').isVisible()));
  assert.match(await visibleText('#map-count'), /1 alert without a place/);
});

test('"top sources" leaves the spoofed flood out', async () => {
  const ask = async () => {
    const r = await fetch(`${d.node.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: 'top 10 sources in the last hour' }) });
    assert.equal(r.status, 200);
    return (await r.json()) as { rows: Array<[string, number]>; understood: string[] };
  };
  let answer = await ask();
  await waitFor(async () => (answer = await ask()).rows.some((r) => r[0] === SCANNER), 'the stored alerts answer');
  const sources = answer.rows.map((r) => r[0]);
  assert.ok(sources.includes(ODD) && sources.includes(REPLAYED), `real sources ranked: ${sources}`);
  assert.ok(!sources.includes(SPOOFED_TOP), `the spoofed flood's source is not ranked: ${sources}`);
  assert.ok(answer.understood.some((u) => /leaving out floods of spoofed or reflected sources/.test(u)));
});

test('Block becomes Extend on a banned source, and Extend lengthens the ban', async () => {
  const button = row(SCANNER).locator('button.block');
  assert.equal(await button.innerText(), 'Block');
  await button.click();
  await waitFor(() => d.node.firewall.applied.has(SCANNER), 'the dry-run firewall applied the ban');
  await row(SCANNER).locator('button.block.extend', { hasText: 'Extend' }).waitFor({ timeout: 15_000 });
  assert.equal(await row(ODD).locator('button.block').innerText(), 'Block', 'only banned sources change');
  assert.equal(await row(REPLAYED).locator('button.block').innerText(), 'Extend', 'a detector\'s ban too (the brute force, score 0.9)');
  const reason = await d.page.locator(`#bans tr[data-address="${REPLAYED}"] .c-reason`).innerText();
  assert.match(reason, /scored 0\.9 \(>= 0\.5; attempts=9, windowS=0\.3\)/, 'the ban\'s reason has its numbers rounded too');
  const banOf = async () => (await d.node.defence.desk.bans()).find((b) => b.address === SCANNER)!;
  const first = await banOf();
  assert.equal(first.detector, 'operator');
  await d.page.locator(`#bans tr[data-address="${SCANNER}"]`).waitFor({ timeout: 15_000 });

  await button.click();
  await waitFor(async () => (await banOf()).at !== first.at, 'the extended ban');
  const extended = await banOf();
  // What was left of it plus its own length again: about twice the first ban's length from now.
  assert.ok(extended.expiresAt - first.expiresAt > (first.ttl * 1000) / 2, `extended from ${first.expiresAt} to ${extended.expiresAt}`);
  assert.match(extended.reason, /^extended from the dashboard: dashboard: port-scan-vertical/);
  await d.page.locator('#action-status[data-kind="ok"]', { hasText: `Extended the ban on ${SCANNER}` }).waitFor({ timeout: 15_000 });
});

test('the feeds panel shows an imported list with its bad line; the bouncers panel a bouncer and its last pull', async () => {
  const imported = await fetch(`${d.node.url}/api/feeds/import?name=test-list&source=blocklist.netset`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
    body: '198.18.0.1\n198.18.0.2\nnot-an-address\n',
  });
  assert.equal(imported.status, 200, await imported.text());
  const made = await fetch(`${d.node.url}/api/bouncers`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'fw-bouncer' }) });
  const { key } = (await made.json()) as { key: string };
  const pulled = await fetch(`${d.node.url}/v1/decisions/stream?startup=true`, { headers: { 'x-api-key': key, 'user-agent': 'crowdsec-firewall-bouncer/v0.0.28' } });
  assert.equal(pulled.status, 200);

  await d.page.reload();
  await d.page.locator('#conn[data-state="connected"]').waitFor({ timeout: 15_000 });
  const feed = d.page.locator('#feeds tr[data-feed="test-list"]');
  await feed.waitFor({ timeout: 15_000 });
  assert.equal(await feed.locator('.c-entries').innerText(), '2');
  assert.equal(await feed.locator('.c-problems').innerText(), '1 bad line');
  assert.match((await feed.locator('.c-problems').getAttribute('title')) ?? '', /blocklist\.netset:3/);
  assert.match(await feed.locator('.c-refresh').innerText(), /just now|s ago/);
  assert.ok(!(await d.page.locator('#feeds-empty').isVisible()));

  const bouncer = d.page.locator('#bouncers tr[data-bouncer="fw-bouncer"]');
  await bouncer.waitFor({ timeout: 15_000 });
  assert.equal(await bouncer.locator('.c-version').innerText(), 'crowdsec-firewall-bouncer/v0.0.28');
  assert.equal(await bouncer.locator('.c-ip').innerText(), '127.0.0.1');
  assert.match(await bouncer.locator('.c-pull').innerText(), /just now|s ago/);
  assert.match(await visibleText('#bouncers-count'), /1 registered · 1 pulling/);
});

test('with data, at each width: no sideways scroll, panels stack below 1100 px, every Block button in view, nothing lost to truncation; screenshots', async (t) => {
  await row(SPOOFED_TOP).waitFor({ timeout: 15_000 });
  for (const width of WIDTHS) {
    await setWidth(width);
    assert.equal(await pageOverflow(), 0, `no horizontal scroll at ${width} px`);
    const box = async (sel: string) => (await d.page.locator(sel).boundingBox())!;
    const [mapBox, bansBox] = [await box('#map-panel'), await box('#bans-panel')];
    if (width < 1100) assert.ok(mapBox.x === bansBox.x && bansBox.y >= mapBox.y + mapBox.height, `panels stack at ${width} px`);
    else assert.ok(bansBox.x > mapBox.x + mapBox.width - 1, `map and bans side by side at ${width} px`);

    // The rows are laid out at the height the virtualised list counts with.
    const rowH = await d.page.evaluate(() => {
      const tr = document.querySelector<HTMLElement>('#alerts tr.alert')!;
      return [tr.offsetHeight, parseFloat(getComputedStyle(tr.parentElement!).getPropertyValue('--alert-row'))];
    });
    assert.equal(rowH[0], rowH[1], `row height at ${width} px`);

    const scroller = await box('#alerts-scroll');
    for (const b of await d.page.locator('#alerts button.block').all()) {
      const bb = (await b.boundingBox())!;
      assert.ok(bb.x >= scroller.x && bb.x + bb.width <= scroller.x + scroller.width, `a Block button in view at ${width} px (${bb.x}+${bb.width} in ${scroller.x}+${scroller.width})`);
    }
    assert.deepEqual(await textLostToTruncation(), [], `every cut cell keeps its text in a tooltip at ${width} px`);
    await d.page.screenshot({ path: join(SHOTS, `dashboard-${width}.png`), fullPage: true });
  }
  t.diagnostic(`screenshots in ${SHOTS}`);
  assert.deepEqual(d.consoleErrors, [], 'no errors in the browser console');
});
