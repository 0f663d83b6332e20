/**
 * Unbounded attribute values cannot grow memory without bound: a million recordings with a fresh
 * value each land in the overflow series past the cardinality limit, and the anomaly detector
 * watches at most `anomaly.maxSeries` series. Nor can metric names made at run time.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { getSightline, init } from '../../src/index.js';
import { memoryExporter } from '../../src/testing/index.js';

afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 500 });
});

const heapAfterGc = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};

/** An instance whose metrics are collected only when a test asks. */
const quiet = (options: Parameters<typeof init>[0]) =>
  init({
    service: 'cardinality',
    exporters: [memoryExporter()],
    logStream: { write() {} },
    outbound: false,
    metricInterval: 3_600_000,
    ...options,
  });

/** Records a million values, each with a fresh attribute value, collecting ten times along the way. */
async function recordMillion() {
  const memory = memoryExporter();
  const obs = quiet({ exporters: [memory], cardinalityLimit: 100, anomaly: { maxSeries: 50, warmup: 10 } });
  const counter = obs.metrics.counter('requests', { detect: true });
  // The detector's own cycle runs on the metric interval; here it is driven by hand, once per collection.
  const engine = (obs as unknown as { anomalyEngine?: { watchedSeries: number; runCycle(): Promise<void> } })
    .anomalyEngine;
  const before = heapAfterGc();
  for (let i = 0; i < 1_000_000; i++) {
    counter.add(1, { user: `u-${i}` });
    if (i % 100_000 === 99_999) {
      await obs.forceFlush({ timeoutMs: 2000 });
      await engine?.runCycle();
    }
  }
  const after = heapAfterGc();
  const points = memory.metrics().filter((p) => p.name === 'requests');
  console.log(
    `cardinality: ${points.length} series in the last collection, heap +${((after - before) / 1048576).toFixed(1)} MB after GC, detector series ${engine?.watchedSeries}`,
  );
  return { points, growth: after - before, watched: engine?.watchedSeries ?? 0 };
}

/** A watched up-down counter given a fresh attribute value on every change, its detector cycling. */
async function queueLevels() {
  const obs = quiet({ cardinalityLimit: 100, anomaly: { maxSeries: 50, warmup: 10 } });
  const depth = obs.metrics.upDownCounter('jobs.queued', { detect: true });
  const engine = (obs as unknown as { anomalyEngine?: { runCycle(): Promise<void> } }).anomalyEngine;
  const before = heapAfterGc();
  for (let i = 0; i < 100_000; i++) {
    depth.add(1, { job: `j-${i}` });
    if (i % 1000 === 999) await engine?.runCycle();
  }
  return heapAfterGc() - before;
}

describe('a million recordings with unbounded attribute values', () => {
  it('the anomaly detector watches at most anomaly.maxSeries series', async () => {
    const { watched, points } = await recordMillion();
    expect(points.some((p) => p.attributes['otel.metric.overflow'] === true)).toBe(true);
    expect(watched).toBeGreaterThan(0);
    expect(watched).toBeLessThanOrEqual(50);
  }, 120_000);

  // The OpenTelemetry SDK's own cumulative storage keeps every series it ever reported; sightline
  // collects deltas and sums them itself, up to `cardinalityLimit` series per instrument, so
  // cumulative exporters (OTLP's default, the memory exporter) stay bounded too.
  it('keep the reported series at the cardinality limit and memory bounded (cumulative temporality)', async () => {
    const { points, growth } = await recordMillion();
    expect(points.length).toBeLessThanOrEqual(100);
    expect(points.reduce((sum, p) => sum + (p.value as number), 0)).toBe(1_000_000);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);

  // The detector reads an up-down counter's level: summed from deltas, up to cardinalityLimit series,
  // not kept by the SDK's cumulative storage for every attribute value ever recorded.
  it('keep the levels of a watched up-down counter bounded', async () => {
    const growth = await queueLevels();
    expect(growth).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});

describe('a metric name made for each recording', () => {
  // `counter(`orders.${customerId}`)`: each name is an instrument of its own, which the SDK keeps,
  // and reports at each collection, for the life of the process.
  it('keeps memory and the metrics reported bounded, the recordings past the limit counted', async () => {
    const memory = memoryExporter();
    const obs = quiet({ exporters: [memory], anomaly: false });
    const before = heapAfterGc();
    for (let i = 0; i < 40_000; i++) {
      obs.metrics.counter(`orders.c${i}`).add(1);
      if (i % 10_000 === 9_999) await obs.forceFlush({ timeoutMs: 5000 });
    }
    const growth = heapAfterGc() - before;
    const names = new Set(memory.metrics().map((p) => p.name));
    const kept = [...names].filter((n) => n.startsWith('orders.')).length;
    console.log(`metric names: ${kept} reported, heap +${(growth / 1048576).toFixed(1)} MB after GC`);
    expect(kept).toBe(2000);
    expect(obs.drops().metric_name_limit).toBe(38_000);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
    // A name already made still records.
    obs.metrics.counter('orders.c0').add(1);
    expect(obs.drops().metric_name_limit).toBe(38_000);
  }, 120_000);

  it("leaves the HTTP metrics of sightline's own room once the app's names are used up", async () => {
    const memory = memoryExporter();
    const obs = quiet({ exporters: [memory], anomaly: false });
    for (let i = 0; i < 2000; i++) obs.metrics.counter(`orders.c${i}`).add(1);
    const app = express();
    app.use(expressMiddleware());
    app.get('/ok', (_req, res) => {
      res.send('ok');
    });
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/ok`)).text();
    server.close();
    await obs.forceFlush({ timeoutMs: 5000 });
    const names = new Set(memory.metrics().map((p) => p.name));
    expect(names.has('http.server.active_requests')).toBe(true);
    expect(names.has('http.server.request.duration')).toBe(true);
    expect(obs.drops().metric_name_limit).toBeUndefined();
  });
});
