/** Headless Chromium (Debian's package) driven by playwright-core, for the demo report's tests. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const hasChromium = (): boolean => existsSync(CHROMIUM);

/** Runs `fn` with a page on a fresh headless Chromium profile, then closes everything. */
export async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), 'sightline-chromium-'));
  let context: BrowserContext | undefined;
  try {
    // A persistent context is how Playwright passes --user-data-dir: a fresh profile per launch.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
      viewport: { width: 1380, height: 900 },
      deviceScaleFactor: 1,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return await fn(page);
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Opens a report file and saves a full-page PNG of it. */
export async function screenshotReport(reportFile: string, pngFile: string): Promise<void> {
  await withPage(async (page) => {
    await page.goto(pathToFileURL(reportFile).href);
    await page.screenshot({ path: pngFile, fullPage: true });
  });
}
