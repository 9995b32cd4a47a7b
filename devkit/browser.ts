// Debian's Chromium through playwright-core for the dashboard's browser tests: one page,
// with every console error and page error collected so a test can assert there were none;
// and a node with such a page for a test file (dashboardSession).

import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Config } from '../src/config/schema.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';

export interface TestBrowser {
  browser: Browser;
  page: Page;
  consoleErrors: string[];
}

export async function openTestBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return { browser, page, consoleErrors };
}

export interface DashboardSession {
  node: RunningNode;
  page: Page;
  consoleErrors: string[];
}

/**
 * For one test file: a real node started on `config` and a Chromium page, opened before the
 * file's tests (then `open`, e.g. going to the node's URL) and closed after them.
 */
export function dashboardSession(config: Config, open?: (s: DashboardSession) => Promise<void>): DashboardSession {
  const s = {} as DashboardSession;
  let browser: Browser | undefined;
  before(async () => {
    s.node = await startNode(config, { onRootGaveUp: () => {} });
    let page: Page;
    ({ browser, page, consoleErrors: s.consoleErrors } = await openTestBrowser());
    s.page = page;
    await open?.(s);
  });
  after(async () => {
    await browser?.close();
    await s.node?.stop();
  });
  return s;
}
