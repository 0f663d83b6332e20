/**
 * Anomaly detector benchmark: amortised ns per `update`, bytes per series, and the time to feed
 * 10,000 series one point each (one collection cycle).
 *
 *   node --import tsx bench/detector.ts            (bytes estimated from typed-array state)
 *   node --expose-gc --import tsx bench/detector.ts (bytes measured from heap + array buffers)
 *   node --expose-gc --import tsx bench/detector.ts --dist
 *     (the built package, `dist/anomaly.js` after `npm run build`: what users run, and the
 *     bundler's output is not compiled the way the sources are)
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Detector } from '../src/anomaly/index.js';
import { median } from './harness.js';

const dist = process.argv.includes('--dist');
// A computed specifier: the type checker must not need a build, and both export the same API.
const entry = dist ? '../dist/anomaly.js' : '../src/anomaly/index.js';
const { createDetector } = (await import(entry)) as typeof import('../src/anomaly/index.js');

type Row = { [column: string]: string | number };

const STEP_MS = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** Cheap deterministic signal: daily shape + noise + an occasional spike. */
function valueAt(series: number, i: number): number {
  const x = Math.sin((series * 7919 + i) * 12.9898) * 43758.5453;
  const noise = x - Math.floor(x) - 0.5;
  const daily = Math.sin((2 * Math.PI * (i % 1440)) / 1440);
  return 100 + series * 0.01 + 30 * daily + 8 * noise + (i % 5000 === 4999 ? 80 : 0);
}

function nsPerUpdateSingle(points: number): { wall: number; cpu: number } {
  const d = createDetector();
  const values = Float64Array.from({ length: 20_000 + points }, (_, i) => valueAt(1, i));
  for (let i = 0; i < 20_000; i++) d.update(values[i]!, T0 + i * STEP_MS);
  let sink = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 20_000; i < values.length; i++) sink += d.update(values[i]!, T0 + i * STEP_MS).score;
  const wall = Number(process.hrtime.bigint() - start) / points;
  const used = process.cpuUsage(cpu);
  if (sink < 0) console.log(sink);
  // CPU time is reported next to wall time: on a busy machine wall time includes waiting.
  return { wall, cpu: ((used.user + used.system) * 1000) / points };
}

function feedCycle(detectors: Detector[], i: number): number {
  let sink = 0;
  const t = T0 + i * STEP_MS;
  for (let s = 0; s < detectors.length; s++) sink += detectors[s]!.update(valueAt(s, i), t).score;
  return sink;
}

/** One cycle fed from values computed beforehand, so the timing holds only the detectors' work. */
function feedValues(detectors: Detector[], values: Float64Array, i: number): number {
  let sink = 0;
  const t = T0 + i * STEP_MS;
  for (let s = 0; s < detectors.length; s++) sink += detectors[s]!.update(values[s]!, t).score;
  return sink;
}

function bytesPerSeries(count: number): { bytes: number; how: string } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    // Typed-array state plus the detector object, its buffer and the buffer's two views.
    const typed = createDetector().stateBytes;
    return { bytes: typed + 512, how: 'estimated (run with --expose-gc to measure)' };
  }
  // Array buffers of earlier garbage are released by a sweeper that the next collection waits
  // for; a single collection would let them vanish between the two readings.
  gc();
  gc();
  const before = process.memoryUsage();
  const keep: Detector[] = [];
  for (let s = 0; s < count; s++) keep.push(createDetector());
  for (let i = 0; i < 50; i++) feedCycle(keep, i);
  gc();
  gc();
  const after = process.memoryUsage();
  const delta = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  if (keep.length !== count) console.log(keep.length);
  return { bytes: Math.round(delta / count), how: `measured over ${count} detectors (heap + array buffers)` };
}

/**
 * Runs the detector benchmark and returns table rows (used by `bench/run.ts`).
 *
 * @example
 * ```ts
 * console.table(runDetectorBench());
 * ```
 */
export function runDetectorBench(): Row[] {
  const series = 10_000;
  const runs = [nsPerUpdateSingle(500_000), nsPerUpdateSingle(500_000), nsPerUpdateSingle(500_000)];
  const single = median(runs.map((r) => r.wall));
  const singleCpu = median(runs.map((r) => r.cpu));

  const detectors = Array.from({ length: series }, () => createDetector());
  let i = 0;
  for (; i < 300; i++) feedCycle(detectors, i); // past warm-up
  const cycles: number[] = [];
  const cpuCycles: number[] = [];
  const values = new Float64Array(series);
  let sink = 0;
  for (let c = 0; c < 30; c++, i++) {
    for (let s = 0; s < series; s++) values[s] = valueAt(s, i);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    sink += feedValues(detectors, values, i);
    cycles.push(Number(process.hrtime.bigint() - start) / 1e6);
    const used = process.cpuUsage(cpu);
    cpuCycles.push((used.user + used.system) / 1000);
  }
  if (sink < 0) console.log(sink);
  const cycleMs = median(cycles);
  const cycleCpuMs = median(cpuCycles);
  const memory = bytesPerSeries(series);

  return [
    {
      metric: 'ns per update, one series, amortised (wall / cpu)',
      value: `${single.toFixed(0)} / ${singleCpu.toFixed(0)}`,
      target: '< 1000',
    },
    {
      metric: 'ns per update, 10,000 series round robin (wall / cpu)',
      value: `${((cycleMs * 1e6) / series).toFixed(0)} / ${((cycleCpuMs * 1e6) / series).toFixed(0)}`,
      target: '< 1000',
    },
    {
      metric: 'ms per cycle, 10,000 series one point each (wall / cpu)',
      value: `${cycleMs.toFixed(2)} / ${cycleCpuMs.toFixed(2)}`,
      target: 'report',
    },
    { metric: `bytes per series, ${memory.how}`, value: memory.bytes, target: '< 8192' },
    { metric: 'typed-array state bytes per series', value: createDetector().stateBytes, target: '< 8192' },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(
    `anomaly detector benchmark (${dist ? 'dist' : 'src'}) on Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.table(runDetectorBench());
}
