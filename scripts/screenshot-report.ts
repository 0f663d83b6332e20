/**
 * Screenshots the demo's HTML report with Debian's headless Chromium:
 *
 *   npm run demo && node --import tsx scripts/screenshot-report.ts [report.html] [out.png]
 *
 * Defaults: sightline-report.html → docs/demo-report.png. Needs /usr/bin/chromium
 * (`apt-get install chromium`) or CHROMIUM_PATH.
 */
import { resolve } from 'node:path';
import { screenshotReport } from '../test/demo/chromium.js';

const [input = 'sightline-report.html', output = 'docs/demo-report.png'] = process.argv.slice(2);
await screenshotReport(resolve(input), resolve(output));
process.stdout.write(`wrote ${output}\n`);
