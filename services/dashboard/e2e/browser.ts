import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * The machine's Chromium (Debian package), driven by playwright-core: no browser download ever.
 * A fresh profile per run; headless, no sandbox (CI containers run as root), no network chatter
 * of its own (component updates, sync, QUIC).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /**
   * A new tab for the next user: cookies of the previous one are cleared first (a persistent
   * context, the only kind that takes our --user-data-dir, is one cookie jar), so users take
   * turns rather than sharing the browser at once.
   */
  newUserPage(opts?: { width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
  });
  return {
    context,
    async newUserPage(opts = {}) {
      for (const p of context.pages()) {
        await p.evaluate(() => localStorage.clear()).catch(() => {});
        await p.close();
      }
      await context.clearCookies();
      const page = await context.newPage();
      await page.setViewportSize({ width: opts.width ?? 1280, height: opts.height ?? 860 });
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}
