// Debian's Chromium through playwright-core for the dashboard's browser tests: one page,
// with every console error and page error collected so a test can assert there were none.

import { chromium, type Browser, type Page } from 'playwright-core';

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
