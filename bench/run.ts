/**
 * `npm run bench`: every benchmark in one run, each comparing sightline with its baseline
 * (raw OpenTelemetry, raw pino, the bare framework) in the same process and rounds.
 * `npm run bench -- hot-paths detector` runs a subset.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printTable, type Row } from './harness.js';

interface Suite {
  name: string;
  file: string;
  fn: string;
  title: string;
}

const SUITES: Suite[] = [
  {
    name: 'hot-paths',
    file: './hot-paths.ts',
    fn: 'runHotPathBench',
    title: 'Hot paths (median ns/op; ratio = sightline / baseline, target ≤ 1.2)',
  },
  { name: 'detector', file: './detector.ts', fn: 'runDetectorBench', title: 'Anomaly detector' },
  { name: 'export', file: './export.ts', fn: 'runExportBench', title: 'Export core: 10,000 items per cycle' },
  {
    name: 'otlp',
    file: './otlp.ts',
    fn: 'runOtlpBench',
    title: 'OTLP: 10,000 metric series and 10,000 spans per cycle',
  },
  {
    name: 'datadog',
    file: './datadog.ts',
    fn: 'runDatadogBench',
    title: 'Datadog: 10,000 metric series per cycle',
  },
  {
    name: 'http',
    file: './http.ts',
    fn: 'runHttpBench',
    title: 'HTTP overhead (ratios to the bare framework in the same round)',
  },
];

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
console.log(`sightline benchmarks on Node ${process.version}, ${process.platform}/${process.arch}`);
for (const suite of SUITES) {
  if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
  if (!existsSync(fileURLToPath(new URL(suite.file, import.meta.url)))) continue;
  const mod = (await import(suite.file)) as Record<string, () => Promise<Row[]> | Row[]>;
  const run = mod[suite.fn];
  if (typeof run !== 'function') continue;
  printTable(suite.title, await run());
}
