import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { datadog } from '../adapters/datadog/index.js';
import { createSeriesEncoder } from '../adapters/datadog/encode-metrics.js';
import type { MetricPoint } from '../src/export/index.js';
import { init } from '../src/index.js';
import { printTable, type Row } from './harness.js';

const SERIES_PER_INSTRUMENT = 1000;

/** A loopback `/api/v2/series` that reads and discards every body, answering 202 as Datadog does. */
async function startSink(): Promise<{
  url: string;
  bytes: () => number;
  requests: () => number;
  close(): Promise<void>;
}> {
  let bytes = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      bytes += c.byteLength;
    });
    req.on('end', () => {
      requests++;
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"errors":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/series`,
    bytes: () => bytes,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function points(n: number): MetricPoint[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    name: `checkout.metric${i % 10}`,
    description: '',
    unit: 'ms',
    kind: 'counter' as const,
    temporality: 'delta' as const,
    monotonic: true,
    attributes: { region: i % 2 ? 'eu' : 'us', 'http.route': '/users/:id', shard: `s-${i}` },
    startTimeMs: now - 10_000,
    timeMs: now,
    value: i,
  }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * The Datadog metric path at 10,000 series per export cycle: the encoder alone (points to
 * `/api/v2/series` JSON), then a whole cycle through `init()` (collect, encode, gzip, send to a
 * discarding loopback intake) with the worst event-loop stall seen meanwhile.
 */
export async function runDatadogBench(options: { cycles?: number; series?: number } = {}): Promise<Row[]> {
  const cycles = options.cycles ?? 15;
  const total = options.series ?? 10_000;
  const rows: Row[] = [];

  const encoder = createSeriesEncoder({
    tags: ['env:bench', 'service:bench', 'version:1.0.0'],
    percentiles: [50, 95, 99],
  });
  const input = points(total);
  const encodeMs: number[] = [];
  let bodyBytes = 0;
  for (let c = 0; c < cycles + 2; c++) {
    const t0 = process.hrtime.bigint();
    const items = [...encoder.encode(input, () => undefined)];
    const t1 = process.hrtime.bigint();
    bodyBytes = items.reduce((a, s) => a + s.length + 1, 0);
    if (c >= 2) encodeMs.push(Number(t1 - t0) / 1e6);
  }
  rows.push({
    case: 'encode 10,000 points → series JSON',
    'ms/cycle': round(median(encodeMs)),
    'µs/series': round((median(encodeMs) * 1000) / total),
    'body KB': round(bodyBytes / 1024),
    requests: '-',
    'wire KB/cycle': '-',
    'max loop stall ms': '-',
  });

  const sink = await startSink();
  const obs = init({
    service: 'bench',
    environment: 'bench',
    version: '1.0.0',
    exporters: [
      datadog({
        apiKey: 'bench-key',
        processEnv: {},
        traces: 'none',
        events: false,
        endpoints: { metrics: sink.url },
        channel: { flushIntervalMs: 60_000 },
      }),
    ],
    logStream: { write() {} },
    anomaly: false,
    outbound: false,
    metricInterval: 3_600_000,
  });
  const instruments = Array.from({ length: total / SERIES_PER_INSTRUMENT }, (_, i) =>
    obs.metrics.counter(`checkout.metric${i}`, { unit: 'ms' }),
  );
  const attrs = Array.from({ length: SERIES_PER_INSTRUMENT }, (_, j) => ({
    region: j % 2 ? 'eu' : 'us',
    'http.route': '/users/:id',
    shard: `s-${j}`,
  }));
  const cycleMs: number[] = [];
  const stallMs: number[] = [];
  const reqs: number[] = [];
  const wire: number[] = [];
  for (let c = 0; c < cycles + 2; c++) {
    for (const counter of instruments) for (const a of attrs) counter.add(1, a);
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const r0 = sink.requests();
    const b0 = sink.bytes();
    const t0 = process.hrtime.bigint();
    await obs.forceFlush({ timeoutMs: 30_000 });
    const t1 = process.hrtime.bigint();
    loop.disable();
    if (c < 2) continue;
    cycleMs.push(Number(t1 - t0) / 1e6);
    stallMs.push(loop.max / 1e6);
    reqs.push(sink.requests() - r0);
    wire.push(sink.bytes() - b0);
  }
  const stats = obs.stats().datadog?.metrics;
  await obs.shutdown();
  await sink.close();
  rows.push({
    case: 'collect + encode + gzip + send 10,000 series',
    'ms/cycle': round(median(cycleMs)),
    'µs/series': round((median(cycleMs) * 1000) / total),
    'body KB': '-',
    requests: median(reqs),
    'wire KB/cycle': round(median(wire) / 1024),
    'max loop stall ms': round(median(stallMs)),
  });
  rows.push({
    case: `accounting after ${cycles + 2} cycles`,
    'ms/cycle': '-',
    'µs/series': '-',
    'body KB': '-',
    requests: `delivered ${stats?.delivered ?? 0}`,
    'wire KB/cycle': `dropped ${Object.values(stats?.dropped ?? {}).reduce<number>((a, b) => a + (b ?? 0), 0)}`,
    'max loop stall ms': '-',
  });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printTable('Datadog: 10,000 metric series per export cycle (median of 15 cycles)', await runDatadogBench());
}
