import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../examples/demo/report-html.js';
import { CHROMIUM, hasChromium, withPage } from './chromium.js';
import { fixtureReport } from './report-fixture.js';

// In CI the browser is installed by .ci/run: its absence is a failure there, a skip elsewhere.
if (process.env.CI && !hasChromium()) {
  throw new Error(
    `${CHROMIUM} is missing; install it with: apt-get install -y --no-install-recommends chromium`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'sightline-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasChromium())('the demo report in headless Chromium', () => {
  it('renders every series chart, band and anomaly marker, and the waterfall, with real boxes', async () => {
    const data = fixtureReport();
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(data));
    const alerts = data.recorder.alerts.length;
    expect(alerts).toBeGreaterThanOrEqual(2);

    await withPage(async (page) => {
      await page.goto(pathToFileURL(file).href);
      const charts = page.locator('figure[data-series] svg');
      expect(await charts.count()).toBe(6);
      for (const chart of await charts.all()) {
        const box = await chart.boundingBox();
        expect(box?.width).toBeGreaterThan(200);
        expect(box?.height).toBeGreaterThan(60);
      }
      expect(await page.locator('figure[data-series] polyline[data-line="observed"]').count()).toBe(6);
      expect(await page.locator('figure[data-series] polygon[data-band]').count()).toBe(6);
      const markers = page.locator('circle[data-marker]');
      expect(await markers.count()).toBe(alerts);
      for (const marker of await markers.all()) {
        const box = await marker.boundingBox();
        expect(box?.width).toBeGreaterThan(0);
      }
      expect(await page.locator('rect[data-fault="latency"]').count()).toBe(6);
      expect(await page.locator('tr[data-anomaly]').count()).toBe(alerts);
      const spans = page.locator('[data-waterfall] [data-span] .bar');
      expect(await spans.count()).toBe(5);
      for (const bar of await spans.all()) expect((await bar.boundingBox())?.width).toBeGreaterThan(0);
      expect(await page.locator('[data-logs] li[data-log]').count()).toBe(2);
      mkdirSync('.artifacts', { recursive: true });
      await page.screenshot({ path: join('.artifacts', 'demo-report-fixture.png'), fullPage: true });
    });
  }, 60_000);
});
