import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { KEY, loopbackOptions, start, userSeries } from './helpers.js';
import { IntakeServer, type KeptPoint } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
  server = undefined;
});

/** What Datadog keeps of `metric`, added up over its seconds (counts) or its last second (gauges). */
function total(kept: readonly KeptPoint[], metric: string): number {
  return kept.filter((p) => p.metric === metric).reduce((sum, p) => sum + p.value, 0);
}

/** What Datadog keeps of the user's series, all of whose points are checked to share one second. */
function keptInOneSecond(intake: IntakeServer): KeptPoint[] {
  const seconds = new Set(userSeries(intake).map((s) => s.points[0].timestamp));
  // The case under test: every collection in one second.
  expect(seconds.size).toBe(1);
  return intake.keptPoints().filter((p) => !p.metric.startsWith('sightline.'));
}

/**
 * Holds the wall clock inside one second, as on a machine quick enough to flush several times in
 * it; only Date is faked, so timers and the intake run as they do.
 */
function holdClockInOneSecond(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Math.ceil(Date.now() / 1000) * 1000 + 100);
}

function last(kept: readonly KeptPoint[], metric: string): number | undefined {
  return kept.filter((p) => p.metric === metric).at(-1)?.value;
}

// Datadog times the points of `/api/v2/series` in whole seconds and keeps one point of a series
// per second, the last one sent (the intake keeps them so): a flush after a periodic collection,
// a flush per job or per Lambda invocation, or a shutdown right after one, lands in its second.
describe('datadog metrics: points of one series in one second', () => {
  it('keeps what counts and histograms recorded across collections of one second, and the newest gauge', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    const orders = obs.metrics.counter('orders.placed');
    const cart = obs.metrics.gauge('cart.value');
    const latency = obs.metrics.histogram('job.latency', { unit: 'ms', buckets: [10, 100, 1000] });
    const jobs: [number, number, number][] = [
      [5, 20, 87.5],
      [3, 800, 12],
      [2, 50, 40],
    ];
    holdClockInOneSecond();
    for (const [n, ms, value] of jobs) {
      orders.add(n);
      latency.record(ms);
      cart.record(value);
      await obs.forceFlush();
    }
    orders.add(4);
    latency.record(5);
    await obs.shutdown();

    const kept = keptInOneSecond(server);
    expect(total(kept, 'orders.placed')).toBe(14);
    expect(total(kept, 'job.latency.count')).toBe(4);
    expect(total(kept, 'job.latency.sum')).toBe(875);
    expect(last(kept, 'job.latency.max')).toBe(800);
    expect(last(kept, 'job.latency.min')).toBe(5);
    expect(last(kept, 'job.latency.avg')).toBe(875 / 4);
    expect(last(kept, 'cart.value')).toBe(40);
  });

  // Datadog's characters make one series of some the SDK keeps apart: `eu west` and `eu_west`, the
  // number 200 and the string '200', `orders-placed` and `orders_placed`.
  it('keeps the counts of series the SDK keeps apart but Datadog reads as one', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    const orders = obs.metrics.counter('orders.placed');
    orders.add(2, { region: 'eu west', code: 200 });
    orders.add(3, { region: 'eu_west', code: '200' });
    obs.metrics.counter('orders-placed').add(4);
    obs.metrics.counter('orders_placed').add(5);
    await obs.forceFlush();

    const kept = server.keptPoints();
    expect(total(kept, 'orders.placed')).toBe(5);
    expect(total(kept, 'orders_placed')).toBe(9);
  });

  // Datadog tells series apart by their tags as a set; the SDK by its attributes, in any order.
  it('keeps the counts of series whose tags Datadog reads as one set in another order', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    const orders = obs.metrics.counter('orders.placed');
    orders.add(2, { 'eu zone': 'a', tier: 'b' });
    orders.add(3, { tier: 'b', eu_zone: 'a' });
    await obs.forceFlush();

    expect(total(server.keptPoints(), 'orders.placed')).toBe(5);
  });

  // Datadog sends a histogram `x` as `x.count` and `x.sum`, the names a counter can have too.
  it("keeps a counter's count and a histogram's, one series in Datadog, added up", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    obs.metrics.counter('job.latency.count').add(7, { queue: 'mail' });
    obs.metrics.counter('job.latency.sum').add(100, { queue: 'mail' });
    const latency = obs.metrics.histogram('job.latency', { unit: 'ms', buckets: [10, 100] });
    latency.record(20, { queue: 'mail' });
    latency.record(40, { queue: 'mail' });
    await obs.forceFlush();

    const kept = server.keptPoints();
    expect(total(kept, 'job.latency.count')).toBe(9);
    expect(total(kept, 'job.latency.sum')).toBe(160);
    // The histogram's own average, not one taken over the counter's count too.
    expect(last(kept, 'job.latency.avg')).toBe(30);
  });
});

describe('datadog metrics: histograms Datadog reads as one, with other buckets', () => {
  // `api-latency` and `api_latency` are one Datadog metric; their buckets say where their values
  // lie, and a percentile of the two together lies where the buckets of both put it.
  it('estimates percentiles of the two together from buckets both agree on', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    const coarse = obs.metrics.histogram('api_latency', { unit: 'ms', buckets: [10, 100, 1000] });
    const fine = obs.metrics.histogram('api-latency', { unit: 'ms', buckets: [1, 2, 3] });
    for (let i = 0; i < 10; i++) fine.record(0.5);
    for (let i = 0; i < 30; i++) coarse.record(500);
    await obs.forceFlush();

    const kept = server.keptPoints();
    expect(total(kept, 'api_latency.count')).toBe(40);
    expect(last(kept, 'api_latency.min')).toBe(0.5);
    expect(last(kept, 'api_latency.max')).toBe(500);
    // 30 of the 40 values lie in (100, 1000], and none above 500: so do the 50th to 99th.
    for (const p of ['p50', 'p95', 'p99']) {
      const v = last(kept, `api_latency.${p}`) as number;
      expect(v, p).toBeGreaterThan(100);
      expect(v, p).toBeLessThanOrEqual(500);
    }
  });
});

describe('datadog metrics: an instance started again in the second the last one ended', () => {
  // A job run per instance (`init()`, the job, `shutdown()`), or a test per instance, as the
  // README's testing section has it, starts the next instance in the second the last one sent in.
  it('keeps what both instances counted', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    holdClockInOneSecond();
    for (const [n, ms] of [
      [5, 20],
      [3, 800],
    ] as const) {
      const { obs } = start(server);
      obs.metrics.counter('orders.placed').add(n);
      obs.metrics.histogram('job.latency', { unit: 'ms', buckets: [10, 100, 1000] }).record(ms);
      await obs.shutdown();
    }

    const kept = keptInOneSecond(server);
    expect(total(kept, 'orders.placed')).toBe(8);
    expect(total(kept, 'job.latency.count')).toBe(2);
    expect(last(kept, 'job.latency.max')).toBe(800);
    expect(last(kept, 'job.latency.min')).toBe(20);
  });

  // Another copy of the package (the ESM and CommonJS builds, a test runner's fresh module
  // registry, two versions) shares the running instance, as one copy does: so does the next one.
  it('keeps what both counted when the next instance comes from another copy of the package', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    holdClockInOneSecond();
    const first = start(server).obs;
    first.metrics.counter('orders.placed').add(5);
    await first.shutdown();

    vi.resetModules();
    const copy = await import('../../../src/index.js');
    const { datadog } = await import('../../../adapters/datadog/index.js');
    const second = copy.init({
      service: 'checkout',
      environment: 'prod',
      version: '1.4.2',
      exporters: [datadog(loopbackOptions(server))],
      logStream: { write: () => true },
      anomaly: false,
      outbound: false,
      metricInterval: 3_600_000,
    });
    second.metrics.counter('orders.placed').add(3);
    await second.shutdown();

    expect(total(keptInOneSecond(server), 'orders.placed')).toBe(8);
    // Kept where any code can read it: the account is told by a digest of its key.
    const kept = (globalThis as Record<symbol, Map<string, unknown>>)[
      Symbol.for('sightline.datadog.sentSeries.v1')
    ];
    expect([...(kept?.keys() ?? [])].join()).not.toContain(KEY);
  });
});
