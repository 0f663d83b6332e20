import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnomalyEngine } from '../../../src/anomaly/engine.js';
import { extractSamples, histogramQuantile, type SeriesSample } from '../../../src/anomaly/engine-series.js';
import type { SightlineInstance } from '../../../src/api/sightline.js';
import { createDiag } from '../../../src/diag/diag.js';
import type { HistogramPoint, MetricPoint, NumberPoint } from '../../../src/export/metric-points.js';
import { DropCounter } from '../../../src/internal/drops.js';
import type { AnomalyEvent } from '../../../src/index.js';
import { getSightline } from '../../../src/index.js';
import { httpServerInstruments } from '../../../src/integrations/shared/instruments.js';
import { captureStderr, startCaptured } from '../../helpers/capture.js';
import { CLOCK_CHANGES, gaussian, poisson, wallTime } from '../anomaly/series.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

/** Deterministic noise so the test means the same thing on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function start(config: { cardinalityLimit?: number } = {}) {
  // A long interval keeps the engine's own timer out of the way; the test drives the cycles.
  const captured = startCaptured({ metricInterval: 3_600_000, anomaly: { warmup: 30 }, ...config });
  const engine = (captured.obs as SightlineInstance).anomalyEngine;
  if (!engine) throw new Error('the anomaly engine should be on by default');
  return { ...captured, engine };
}

const MINUTE = 60_000;
const DAY_CYCLES = 1440;
const T0 = Date.UTC(2024, 0, 1);

/** An engine fed one cycle of points a minute, with simulated timestamps, so days of cycles run in a moment. */
function minuteCycles(
  detected: ReadonlySet<string>,
  watchHttp: boolean,
  timeZone?: string,
  maxSeries = 1000,
  warmup?: number,
) {
  const heard: AnomalyEvent[] = [];
  const diag = createDiag({ level: 'none' });
  const engine = new AnomalyEngine({
    intervalMs: MINUTE,
    maxSeries,
    sensitivity: 'medium',
    watchHttp,
    detected,
    service: 'shop',
    environment: 'test',
    emit: (e) => heard.push(e),
    diag,
    drops: new DropCounter(diag),
    ...(timeZone !== undefined ? { timeZone } : {}),
    ...(warmup !== undefined ? { warmup } : {}),
  });
  const feedPoints = (cycle: number, points: MetricPoint[]) =>
    engine.feed(extractSamples(points, detected, watchHttp, MINUTE / 1000), T0 + cycle * MINUTE);
  return { heard, engine, feedPoints };
}

/** Feeds a cycle at `clock` of the `detect: true` counter in `detected`, which counted `count` (0: none recorded). */
function feedCount(engine: AnomalyEngine, detected: ReadonlySet<string>, count: number, clock: number): void {
  const points: NumberPoint[] = [];
  for (const name of count > 0 ? detected : []) {
    points.push({
      name,
      description: '',
      unit: '',
      kind: 'counter',
      temporality: 'delta',
      monotonic: true,
      attributes: {},
      startTimeMs: 0,
      timeMs: 0,
      value: count,
    });
  }
  engine.feed(extractSamples(points, detected, false, MINUTE / 1000), clock);
}

/**
 * An engine fed one value of a `detect: true` metric per one-minute cycle; `undefined` is a cycle
 * the metric did not report.
 */
function minuteEngine(
  metric: string,
  kind: 'counter' | 'gauge' | 'upDownCounter',
  unit = '',
  warmup?: number,
) {
  const { heard, engine, feedPoints } = minuteCycles(new Set([metric]), false, undefined, 1000, warmup);
  const feed = (cycle: number, value: number | undefined) => {
    const points: NumberPoint[] = [];
    if (value !== undefined) {
      points.push({
        name: metric,
        description: '',
        unit,
        kind,
        temporality: 'delta',
        monotonic: kind === 'counter',
        attributes: {},
        startTimeMs: 0,
        timeMs: 0,
        value,
      });
    }
    feedPoints(cycle, points);
  };
  return { heard, feed, engine };
}

/** One cycle's `count` requests to GET `route` answered with `status`, each in 10 to 20 ms. */
function requests(route: string, status: number, count: number): HistogramPoint {
  return {
    name: 'http.server.request.duration',
    description: '',
    unit: 's',
    kind: 'histogram',
    temporality: 'delta',
    monotonic: false,
    attributes: {
      'http.request.method': 'GET',
      'http.route': route,
      'http.response.status_code': status,
      ...(status >= 500 ? { 'error.type': String(status) } : {}),
    },
    startTimeMs: 0,
    timeMs: 0,
    histogram: {
      count,
      sum: 0.015 * count,
      min: 0.01,
      max: 0.02,
      buckets: { boundaries: [0.005, 0.025], counts: [0, count, 0] },
    },
  };
}

/** `count` requests to GET /products answered with a 503. */
const serverFailed = (count: number) => requests('/products', 503, count);

/**
 * An engine fed one cycle a minute of the requests to GET /products, `failed` of `count` failing
 * as `failure` records them (by default with a 503).
 */
function minuteRoute(failure = serverFailed) {
  const { heard, engine, feedPoints } = minuteCycles(new Set(), true);
  const feed = (cycle: number, count: number, failed: number) => {
    const points: HistogramPoint[] = [];
    if (count > failed) points.push(requests('/products', 200, count - failed));
    if (failed > 0) points.push(failure(failed));
    feedPoints(cycle, points);
  };
  return { heard, feed, engine };
}

/**
 * `minuteRoute` fed twelve requests a minute, or as many as a Poisson draw of mean `perMinute` (at
 * that minute), each failing at random, or `clump` of them at once (a client retrying): `minutes(n,
 * errorRatio)` feeds the next `n` minutes, and `errors()` are the error-rate events heard.
 */
function randomFailures(
  seed: number,
  perMinute?: number | ((minute: number) => number),
  clump = 1,
  failure = serverFailed,
) {
  const { heard, feed } = minuteRoute(failure);
  const rand = prng(seed);
  let cycle = 0;
  const minutes = (n: number, errorRatio: number) => {
    for (const end = cycle + n; cycle < end; cycle++) {
      const mean = typeof perMinute === 'function' ? perMinute(cycle) : perMinute;
      const count = mean === undefined ? 12 : poisson(rand, mean);
      const clumps = Array.from({ length: count }, rand).filter((u) => u < errorRatio / clump).length;
      feed(cycle, count, Math.min(count, clump * clumps));
    }
  };
  const errors = () => heard.filter((e) => e.metric === 'http.server.error.rate');
  return { minutes, errors };
}

/** The buckets the Express and Fastify integrations record a route's request durations in, in seconds. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** One cycle of requests to GET /r that took `seconds` each, in the HTTP buckets. */
function timedRequests(seconds: number[], boundaries = HTTP_BUCKETS): HistogramPoint {
  const counts = boundaries.map(() => 0).concat(0);
  for (const s of seconds) {
    const i = boundaries.findIndex((b) => s <= b);
    counts[i < 0 ? boundaries.length : i]!++;
  }
  return {
    ...requests('/r', 200, seconds.length),
    histogram: {
      count: seconds.length,
      sum: seconds.reduce((a, b) => a + b, 0),
      min: Math.min(...seconds),
      max: Math.max(...seconds),
      buckets: { boundaries, counts },
    },
  };
}

/**
 * An engine fed one cycle a minute of requests to GET /r, as many as a Poisson draw of mean
 * `perMinute` at that minute, each taking `seconds(rand, minute)`: `minutes(n)` feeds the next `n`
 * minutes, and `latency()` are the p95 events heard.
 */
function timedRoute(
  seed: number,
  perMinute: (minute: number) => number,
  seconds: (rand: () => number, minute: number) => number,
) {
  const { heard, engine, feedPoints } = minuteCycles(new Set(), true);
  const rand = prng(seed);
  let cycle = 0;
  const minutes = (n: number) => {
    for (const end = cycle + n; cycle < end; cycle++) {
      const count = poisson(rand, perMinute(cycle));
      const taken = Array.from({ length: count }, () => seconds(rand, cycle));
      feedPoints(cycle, count > 0 ? [timedRequests(taken)] : []);
    }
  };
  const latency = () => heard.filter((e) => e.metric === 'http.server.request.duration.p95');
  return { minutes, latency, engine };
}

/** A lognormal draw with this median and p95. */
function lognormal(rand: () => number, median: number, p95: number): number {
  return median * Math.exp((Math.log(p95 / median) / 1.645) * gaussian(rand)());
}

/** When a client leaves a request that would take `takes` seconds (undefined: it is answered). */
type Left = (rand: () => number, takes: number, cycle: number) => number | undefined;

/**
 * The minutes of the error-rate events of a route whose requests take `takes` seconds (by default
 * 50 ms, 120 ms at p95), whose clients leave each request after `left` seconds (undefined:
 * answered), as recorded: error.type=aborted and no status.
 */
function abortedErrorEvents(
  seed: number,
  perMinute: number,
  minutes: number,
  left: Left,
  takes = (rand: () => number, _cycle: number) => lognormal(rand, 0.05, 0.12),
): number[] {
  const { heard, feedPoints } = minuteCycles(new Set(), true);
  const rand = prng(seed);
  for (let cycle = 0; cycle < minutes; cycle++) {
    const answered: number[] = [];
    const gone: number[] = [];
    for (let i = poisson(rand, perMinute); i > 0; i--) {
      const took = takes(rand, cycle);
      const leftAfter = left(rand, took, cycle);
      if (leftAfter === undefined) answered.push(took);
      else gone.push(leftAfter);
    }
    const points: HistogramPoint[] = [];
    if (answered.length > 0) points.push(timedRequests(answered));
    if (gone.length > 0) {
      const p = timedRequests(gone);
      const { 'http.response.status_code': _, ...attributes } = p.attributes;
      points.push({ ...p, attributes: { ...attributes, 'error.type': 'aborted' } });
    }
    feedPoints(cycle, points);
  }
  return heard.filter((e) => e.metric === 'http.server.error.rate').map((e) => (e.time - T0) / MINUTE);
}

/** Orders from 09:00 to 18:00, none at night: `undefined` outside business hours, when none are recorded. */
function businessOrders(rand: () => number, minute: number): number | undefined {
  const m = minute % DAY_CYCLES;
  return m >= 9 * 60 && m < 18 * 60 ? 30 + Math.round(rand() * 20) : undefined;
}

/** A daily shape in [0, 1] by minute of the day: quiet from 22:00 to 03:00, busiest in the afternoon. */
function dailyShape(minute: number): number {
  return Math.max(0, Math.sin(Math.PI * ((minute % DAY_CYCLES) / DAY_CYCLES) * 1.25 - 0.15 * Math.PI)) ** 2;
}

/**
 * The events of fresh engines started at each hour given, one per seed, fed `days` of one value a
 * minute, each prefixed with its start and seed.
 */
function heardFromStarts(
  metric: string,
  kind: 'counter' | 'gauge',
  startHours: number[],
  seeds: number,
  days: number,
  value: (rand: () => number, minute: number) => number | undefined,
): string[] {
  const out: string[] = [];
  for (const startHour of startHours) {
    for (let seed = 1; seed <= seeds; seed++) {
      const { heard, feed } = minuteEngine(metric, kind);
      const rand = prng(seed);
      const from = startHour * 60;
      for (let m = from; m < from + days * DAY_CYCLES; m++) feed(m, value(rand, m));
      for (const e of heard) out.push(`start ${startHour}h seed ${seed}: ${e.explanation}`);
    }
  }
  return out;
}

/** An orders counter at about 45 per cycle, past its warm-up, and the events heard. */
async function busyOrders() {
  const started = start();
  const heard: AnomalyEvent[] = [];
  started.obs.onAnomaly((e) => heard.push(e));
  const orders = started.obs.metrics.counter('orders.placed', { detect: true });
  const rand = prng(7);
  for (let cycle = 0; cycle < 150; cycle++) {
    orders.add(40 + Math.round(rand() * 10));
    await started.engine.runCycle();
  }
  return { ...started, heard, orders, rand };
}

describe('the anomaly engine', () => {
  it('flags a business counter that drops to zero, once per episode, everywhere an event goes', async () => {
    const { obs, engine, memory, logs } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const orders = obs.metrics.counter('orders.placed', { detect: true });
    const untouched = obs.metrics.counter('not.watched');
    const rand = prng(7);
    for (let cycle = 0; cycle < 150; cycle++) {
      orders.add(40 + Math.round(rand() * 10), { region: 'eu' });
      untouched.add(1);
      await engine.runCycle();
    }
    expect(heard).toEqual([]);
    for (let cycle = 0; cycle < 20; cycle++) await engine.runCycle(); // no orders at all
    expect(heard).toHaveLength(1);
    const [event] = heard;
    expect(event).toMatchObject({
      metric: 'orders.placed',
      attributes: { region: 'eu' },
      observed: 0,
      service: 'test-svc',
      environment: 'test',
    });
    expect(event?.expected).toBeGreaterThan(35);
    expect(event?.expected).toBeLessThan(55);
    expect(event?.severity).toBeGreaterThan(0);
    expect(event?.explanation).toContain('orders.placed {region=eu}');
    expect(memory.events()).toEqual(heard);
    expect(logs().filter((l) => l.level === 'warn' && l.msg === event?.explanation)).toHaveLength(1);
    expect(engine.activeEpisodes).toBe(1);
  });

  it('names every attribute of a series recorded with a route in its explanation, not the route alone', async () => {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const orders = obs.metrics.counter('orders.placed', { detect: true });
    const rand = prng(7);
    const route = { 'http.request.method': 'POST', 'http.route': '/checkout' };
    for (let cycle = 0; cycle < 170; cycle++) {
      orders.add(40 + Math.round(rand() * 10), { ...route, region: 'eu' });
      if (cycle < 150) orders.add(40 + Math.round(rand() * 10), { ...route, region: 'us' });
      await engine.runCycle();
    }
    expect(heard.map((e) => e.attributes.region)).toEqual(['us']);
    expect(heard[0]?.explanation).toMatch(
      /^orders\.placed on POST \/checkout \{region=us\}: level shift down/,
    );
  });

  it('reports an outage of a series recorded with attributes structuredClone refuses (a Proxy)', async () => {
    const { obs, engine, memory, logs } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const orders = obs.metrics.counter('orders.placed', { detect: true });
    // A framework's reactive state is a Proxy; the series keeps the object it was first recorded with.
    const attributes = new Proxy({ region: 'eu', tiers: ['gold'] }, {});
    const rand = prng(7);
    for (let cycle = 0; cycle < 150; cycle++) {
      orders.add(40 + Math.round(rand() * 10), attributes);
      await engine.runCycle();
    }
    for (let cycle = 0; cycle < 20; cycle++) await engine.runCycle(); // no orders at all

    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({
      metric: 'orders.placed',
      attributes: { region: 'eu', tiers: ['gold'] },
    });
    expect(memory.events()).toHaveLength(1);
    expect(logs().filter((l) => l.level === 'warn' && l.msg === heard[0]?.explanation)).toHaveLength(1);
  });

  it('reports the outage of a noisy busy counter with a band that excludes the zero it observed', async () => {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const jobs = obs.metrics.counter('jobs.done', { detect: true });
    const rand = prng(3);
    for (let cycle = 0; cycle < 200; cycle++) {
      jobs.add(1 + Math.floor(rand() * 20)); // about 10 per cycle, so the detector's band reaches 0
      await engine.runCycle();
    }
    expect(heard).toEqual([]);
    for (let cycle = 0; cycle < 5; cycle++) await engine.runCycle();
    expect(heard).toHaveLength(1);
    const { observed, band, explanation } = heard[0]!;
    expect(observed).toBe(0);
    expect(band.lower).toBe(1);
    expect(band.upper).toBeGreaterThan(20);
    expect(explanation).toContain('normal band 1..');
  });

  it("scores an event with its episode's peak, not the detector's capped score of later points", async () => {
    const { engine, heard, orders } = await busyOrders();
    for (let cycle = 0; cycle < 5; cycle++) {
      orders.add(400);
      await engine.runCycle();
    }
    expect(heard).toHaveLength(1);
    expect(heard[0]?.severity).toBe(100);
    expect(heard[0]?.score).toBe(1);
  });

  it('does not call one quiet cycle an outage: a rate reports nothing for two cycles first', async () => {
    const { engine, heard, orders, rand } = await busyOrders();
    await engine.runCycle(); // a cycle without orders, as a rate of a few a cycle has now and then
    for (let cycle = 0; cycle < 10; cycle++) {
      orders.add(40 + Math.round(rand() * 10));
      await engine.runCycle();
    }
    expect(heard).toEqual([]);
    await engine.runCycle();
    expect(heard).toEqual([]);
    await engine.runCycle();
    expect(heard.map((e) => e.observed)).toEqual([0]);
  });

  it.each([
    ['a tenth', 2],
    ['two fifths', 8],
  ])(
    'reports an outage of a steady counter that starts %s into a cycle as one, not as a dip',
    async (_n, part) => {
      const { obs, engine } = start();
      const heard: AnomalyEvent[] = [];
      obs.onAnomaly((e) => heard.push(e));
      // A load as steady as a poller's or a queue consumer's: the same count every cycle.
      const orders = obs.metrics.counter('orders.placed', { detect: true });
      for (let cycle = 0; cycle < 60; cycle++) {
        orders.add(20);
        await engine.runCycle();
      }
      // The cycle the outage starts in holds the orders placed before it.
      orders.add(part);
      await engine.runCycle();
      for (let cycle = 0; cycle < 4; cycle++) await engine.runCycle();
      expect(heard.map((e) => [e.kind, e.observed])).toEqual([['level_shift', 0]]);
    },
  );

  it.each([
    ['frozen (docker pause, SIGSTOP)', 'process'],
    ['asleep (a laptop, a suspended VM)', 'machine'],
  ])('does not take the cycle of a process %s for a fall in its rate', async (_name, paused) => {
    const { obs } = startCaptured({ metricInterval: 60_000, anomaly: { warmup: 30 } });
    const engine = (obs as SightlineInstance).anomalyEngine;
    const cycle = () => engine?.runCycle();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const orders = obs.metrics.counter('orders.placed', { detect: true });
    const rand = prng(7);
    for (let i = 0; i < 150; i++) {
      orders.add(poisson(rand, 300));
      await cycle();
    }
    // Ten minutes stopped three seconds into a one-minute cycle: the cycle that comes on waking
    // holds three seconds of orders. A frozen process's own clock moves on too; asleep, only the
    // wall clock does.
    orders.add(poisson(rand, 15));
    const wall = Date.now;
    const own = performance.now.bind(performance);
    const wallClock = vi.spyOn(Date, 'now').mockImplementation(() => wall() + 600_000);
    const ownClock =
      paused === 'process'
        ? vi.spyOn(performance, 'now').mockImplementation(() => own() + 600_000)
        : undefined;
    try {
      await cycle();
      for (let i = 0; i < 10; i++) {
        orders.add(poisson(rand, 300));
        await cycle();
      }
    } finally {
      wallClock.mockRestore();
      ownClock?.mockRestore();
    }
    expect(heard.map((e) => e.explanation)).toEqual([]);
  });

  it('does not call a counter fed in batches, empty one minute in ten, out when two minutes in a row are', () => {
    const outages: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const { heard, feed } = minuteEngine('jobs.done', 'counter');
      const rand = prng(seed);
      // The first hour teaches the engine the counter's empty minutes.
      for (let m = 0; m < 2 * DAY_CYCLES; m++) feed(m, rand() < 0.1 ? undefined : poisson(rand, 20));
      for (const e of heard) if ((e.time - T0) / MINUTE >= 60) outages.push(`seed ${seed}: ${e.explanation}`);
    }
    expect(outages).toEqual([]);
  });

  it('reports the outage of a counter fed in batches once its silence outlasts its empty minutes', () => {
    const { heard, feed } = minuteEngine('jobs.done', 'counter');
    const rand = prng(2);
    for (let m = 0; m < DAY_CYCLES; m++)
      feed(m, m < DAY_CYCLES - 30 && rand() < 0.1 ? undefined : poisson(rand, 20));
    const learnt = () => heard.filter((e) => (e.time - T0) / MINUTE >= 60);
    expect(learnt()).toEqual([]);
    for (let m = DAY_CYCLES; m < DAY_CYCLES + 10; m++) feed(m, undefined);
    expect(learnt().map((e) => [e.kind, e.observed])).toEqual([['level_shift', 0]]);
    expect(learnt()[0]!.time - (T0 + DAY_CYCLES * MINUTE)).toBeLessThanOrEqual(5 * MINUTE);
  });

  it('counts a series as active only while an episode it reported is open', async () => {
    const { engine, heard, orders } = await busyOrders();
    orders.add(400); // one cycle's burst: the detector opens an episode that is not confirmed yet
    await engine.runCycle();
    expect(heard).toEqual([]);
    expect(engine.activeEpisodes).toBe(0);
    orders.add(400);
    await engine.runCycle();
    expect(heard).toHaveLength(1);
    expect(engine.activeEpisodes).toBe(1);
  });

  it('no longer counts as active a series that reported an episode and then stopped reporting', () => {
    // A pool's wait time jumps, is reported, then the pool is closed and its gauge reports nothing.
    const { heard, feed, engine } = minuteEngine('pool.wait', 'gauge');
    const rand = prng(5);
    let cycle = 0;
    for (; cycle < 200; cycle++) feed(cycle, 20 + rand() * 4);
    for (const end = cycle + 3; cycle < end; cycle++) feed(cycle, 400);
    expect(heard).toHaveLength(1);
    expect(engine.activeEpisodes).toBe(1);
    feed(cycle++, undefined); // a cycle without a value is no news yet
    expect(engine.activeEpisodes).toBe(1);
    for (const end = cycle + 10; cycle < end; cycle++) feed(cycle, undefined);
    expect(engine.activeEpisodes).toBe(0);
  });

  it('stops exporting the band of a series that stopped reporting', () => {
    const { feed, engine } = minuteEngine('pool.wait', 'gauge');
    const rand = prng(6);
    let cycle = 0;
    for (; cycle < 50; cycle++) feed(cycle, 20 + rand() * 4);
    expect([...engine.bands()].map((b) => b.metric)).toEqual(['pool.wait']);
    feed(cycle++, undefined);
    expect([...engine.bands()]).toHaveLength(1);
    for (const end = cycle + 10; cycle < end; cycle++) feed(cycle, undefined);
    expect([...engine.bands()]).toEqual([]);
  });

  it('reports a drop to zero right after a reported surge as an outage of its own', async () => {
    const { engine, heard, orders, rand } = await busyOrders();
    // A retry storm for three cycles, then the service falls over.
    for (let cycle = 0; cycle < 3; cycle++) {
      orders.add(400 + Math.round(rand() * 10));
      await engine.runCycle();
    }
    expect(heard.map((e) => e.observed > 400)).toEqual([true]);
    for (let cycle = 0; cycle < 30; cycle++) await engine.runCycle();
    expect(heard).toHaveLength(2);
    expect(heard[1]).toMatchObject({ observed: 0, kind: 'level_shift' });
    expect(heard[1]?.expected).toBeGreaterThan(35);
  });

  // Traffic doubles for an hour and a half, long enough for the detector to take it as its level,
  // then goes back to what it was: the detector, still expecting the surge, opened an episode on
  // the return, reported as a drift down to the very rate the surge's event gave as normal.
  it('does not report traffic going back to its normal after a lasting surge, yet sees a fall below it', () => {
    const { heard, feed, engine } = minuteRoute();
    let cycle = 0;
    const minutes = (n: number, count: number) => {
      for (const end = cycle + n; cycle < end; cycle++) feed(cycle, count, 0);
    };
    minutes(300, 30);
    minutes(90, 70);
    minutes(60, 30);
    expect(heard.map((e) => e.explanation)).toEqual([
      'http.server.request.rate on GET /products: level shift up, observed 1.167 req/s vs expected 0.5 req/s (2.332x expected), normal band 0.311..0.709 req/s, severity 100',
    ]);
    expect(engine.activeEpisodes).toBe(0);
    minutes(10, 6);
    expect(heard.slice(1).map((e) => e.observed)).toEqual([0.1]);
  });

  it('once the daily pattern is learned, does not report the end of business hours as an outage', () => {
    // Orders 09:00-18:00 every day, none at night, at the default one-minute cycle: five weeks.
    const { heard, feed } = minuteEngine('orders.placed', 'counter');
    const rand = prng(1);
    for (let i = 0; i < 35 * DAY_CYCLES; i++) feed(i, businessOrders(rand, i));
    const late = heard.filter((e) => e.time >= T0 + 21 * DAY_CYCLES * MINUTE);
    expect(late.map((e) => `${new Date(e.time).toISOString()} ${e.explanation}`)).toEqual([]);
  });

  it('learns the daily pattern of business hours within days, instead of reporting each opening and closing', () => {
    // Orders 09:00-18:00 every day, none at night, at the default one-minute cycle: the opening and
    // the closing are reported as incidents while the flat baseline is in use, twice a day.
    const heard: string[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const { heard: events, feed } = minuteEngine('orders.placed', 'counter');
      const rand = prng(seed);
      for (let i = 0; i < 8 * DAY_CYCLES; i++) feed(i, businessOrders(rand, i));
      const learned = events.filter((e) => e.time >= T0 + 3 * DAY_CYCLES * MINUTE);
      heard.push(...learned.map((e) => `seed ${seed} ${new Date(e.time).toISOString()} ${e.kind}`));
    }
    // Days four to eight of five series: at most one more day of learning in all.
    expect(heard.length, heard.join('\n')).toBeLessThanOrEqual(2);
  });

  // Orders from 09:00 to 18:00 from a deploy at 09:00. Its first evening cannot be told from an
  // outage; but each night after it was reported again, and held open all night, until the
  // detector's daily profile took over on the third or fourth day: two to four events per series.
  it('after its first night, does not report the nights of a business-hours rate, nor hold them open', () => {
    const heard: string[] = [];
    const activeAt23: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const { heard: events, feed, engine } = minuteEngine('orders.placed', 'counter');
      const rand = prng(seed);
      for (let i = 9 * 60; i < 9 * 60 + 4 * DAY_CYCLES; i++) {
        feed(i, businessOrders(rand, i));
        if (i % DAY_CYCLES === 23 * 60 && i > DAY_CYCLES) activeAt23.push(engine.activeEpisodes);
      }
      expect(events[0]?.time, `seed ${seed}`).toBe(T0 + (18 * 60 + 1) * MINUTE);
      heard.push(
        ...events.slice(1).map((e) => `seed ${seed} ${new Date(e.time).toISOString()} ${e.explanation}`),
      );
    }
    expect(heard).toEqual([]);
    expect(activeAt23.filter((n) => n > 0)).toEqual([]);
  });

  it.each([
    ['its clock stepped back ten minutes', -10, 0],
    ['it closed ten minutes early', 0, -10],
  ])('does not report the closing of a business-hours rate as an outage when %s', (_name, step, early) => {
    // Orders from 09:00 to 18:05, so the quarter hour from 18:00 has orders every day; on the fifth
    // day the shop closes at 17:55 by the clock.
    const detected = new Set(['orders.placed']);
    const heard: string[] = [];
    for (let seed = 1; seed <= 4; seed++) {
      const { heard: events, engine } = minuteCycles(detected, false);
      const rand = prng(seed);
      for (let i = 9 * 60; i < 9 * 60 + 5 * DAY_CYCLES; i++) {
        const day = Math.floor(i / DAY_CYCLES);
        const minute = i % DAY_CYCLES;
        const close = 18 * 60 + 5 + (day === 4 ? early : 0);
        const clock = T0 + (i + (day === 4 && minute >= 12 * 60 ? step : 0)) * MINUTE;
        const count = minute >= 9 * 60 && minute < close ? 30 + Math.round(rand() * 20) : 0;
        feedCount(engine, detected, count, clock);
      }
      // The first evening cannot be told from an outage.
      const later = events.filter((e) => e.time > T0 + DAY_CYCLES * MINUTE);
      heard.push(...later.map((e) => `seed ${seed} ${new Date(e.time).toISOString()} ${e.explanation}`));
    }
    expect(heard).toEqual([]);
  });

  it.each([
    ['03:00 to 03:30', 3 * 60, 30],
    ['03:00 to 03:20', 3 * 60, 20],
    ['03:15 to 03:45', 3 * 60 + 15, 30],
  ])(
    'reports the output of a job that runs from %s every day when it does not come',
    (_name, from, minutes) => {
      // Its last quarter hour with output is where it stops each day, and it is idle before it:
      // the day it does not run, its zeros do not follow any output.
      const detected = new Set(['jobs.output']);
      const heard: string[] = [];
      for (let seed = 1; seed <= 3; seed++) {
        const { heard: events, engine } = minuteCycles(detected, false);
        const rand = prng(seed);
        for (let i = 0; i < 7 * DAY_CYCLES; i++) {
          const minute = i % DAY_CYCLES;
          const runs = minute >= from && minute < from + minutes && Math.floor(i / DAY_CYCLES) !== 6;
          feedCount(engine, detected, runs ? 30 + Math.round(rand() * 20) : 0, T0 + i * MINUTE);
        }
        const missed = events.filter((e) => e.time >= T0 + 6 * DAY_CYCLES * MINUTE);
        heard.push(...missed.map((e) => `seed ${seed} ${new Date(e.time).toISOString()} ${e.observed}`));
      }
      const at = new Date(T0 + (6 * DAY_CYCLES + from) * MINUTE).toISOString();
      expect(heard).toEqual([`seed 1 ${at} 0`, `seed 2 ${at} 0`, `seed 3 ${at} 0`]);
    },
  );

  // The record of a rate's idle hours compared each quarter hour with the one 24 hours before: the
  // day after the clocks changed, the shop closed or opened an hour off it by UTC, and before the
  // detector knew the shop's hours that was reported as an outage or a surge.
  it('does not report the closing or opening of a business-hours rate in its first days after a clock change', () => {
    const detected = new Set(['orders.placed']);
    const heard: string[] = [];
    for (const change of CLOCK_CHANGES) {
      // Opened at 09:00 on the wall clock the day before the change, for four days.
      const dayBefore = Math.floor(wallTime(change, change.at) / (DAY_CYCLES * MINUTE)) - 1;
      const start = (dayBefore * DAY_CYCLES + 9 * 60 - change.before * 60) * MINUTE;
      for (let seed = 1; seed <= 4; seed++) {
        const { heard: events, engine } = minuteCycles(detected, false, change.zone);
        const rand = prng(seed);
        for (let t = start; t < start + 4 * DAY_CYCLES * MINUTE; t += MINUTE) {
          const minute = (wallTime(change, t) / MINUTE) % DAY_CYCLES;
          feedCount(
            engine,
            detected,
            minute >= 9 * 60 && minute < 18 * 60 ? 30 + Math.round(rand() * 20) : 0,
            t,
          );
        }
        // The first evening cannot be told from an outage.
        const later = events.filter((e) => e.time > start + 10 * 60 * MINUTE);
        heard.push(
          ...later.map(
            (e) => `${change.zone} seed ${seed} ${new Date(e.time).toISOString()} ${e.explanation}`,
          ),
        );
      }
    }
    expect(heard).toEqual([]);
  });

  it('reports an outage of a business-hours rate in its hours, also at the hour of the day before', () => {
    const { heard, feed } = minuteEngine('orders.placed', 'counter');
    const rand = prng(1);
    // Out from 11:00 to 13:00 on its second and third days.
    const out = (i: number) =>
      i >= DAY_CYCLES && i < 3 * DAY_CYCLES && i % DAY_CYCLES >= 11 * 60 && i % DAY_CYCLES < 13 * 60;
    for (let i = 9 * 60; i < 9 * 60 + 4 * DAY_CYCLES; i++) {
      const orders = businessOrders(rand, i);
      feed(i, out(i) ? undefined : orders);
    }
    expect(heard.map((e) => [new Date(e.time).toISOString(), e.observed])).toEqual([
      ['2024-01-01T18:01:00.000Z', 0],
      ['2024-01-02T11:01:00.000Z', 0],
      ['2024-01-03T11:01:00.000Z', 0],
    ]);
  });

  // A rate busy in business hours comes back each morning at the time it did a day before, which is
  // its day; a surge from zero at an hour it had values all along a day before, hours after it came
  // back (a weekday shop's Saturday), was taken for such a return and reported on none of 16 seeded
  // runs, through the engine, where createDetector reported it on all.
  it.each([
    ['orders', 'on weekdays only', 'on a Saturday at noon'],
    ['requests', 'on weekdays only', 'on a Saturday at noon'],
    ['orders', 'every day, at 30 % at weekends', 'on a Saturday at noon'],
    ['requests', 'every day', 'on a Wednesday at 03:00'],
    ['orders', 'on weekdays only', 'on a Wednesday at 03:00'],
  ] as const)('reports a surge of %s busy from 09:00 to 18:00 %s, %s', (series, hours, when) => {
    const perMinute = (minute: number) => {
      const day = Math.floor(minute / DAY_CYCLES) % 7;
      const hour = (minute % DAY_CYCLES) / 60;
      if (hour < 9 || hour >= 18) return 0;
      if (day < 5) return 40;
      return hours === 'every day' ? 40 : hours === 'on weekdays only' ? 0 : 12;
    };
    // Sixty minutes at forty more a minute, in the third week (T0 is a Monday).
    const from = when === 'on a Saturday at noon' ? 19 * DAY_CYCLES + 12 * 60 : 16 * DAY_CYCLES + 3 * 60;
    const missed: number[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const orders = series === 'orders' ? minuteEngine('orders.placed', 'counter') : undefined;
      const route = orders ? undefined : minuteRoute();
      const rand = prng(seed);
      for (let i = 0; i < from + 120; i++) {
        const surge = i >= from && i < from + 60 ? poisson(rand, 40) : 0;
        const count = poisson(rand, perMinute(i)) + surge;
        if (orders) orders.feed(i, count > 0 ? count : undefined);
        else route?.feed(i, count, 0);
      }
      const surged = (orders ?? route)!.heard.filter(
        (e) => e.observed > e.expected && e.time >= T0 + from * MINUTE && e.time < T0 + (from + 60) * MINUTE,
      );
      if (surged.length === 0) missed.push(seed);
    }
    expect(missed).toEqual([]);
  });

  // A shop opens at 08:30 one day and 09:20 the next: its return near the time it came back a day
  // before is its day. Only one within half an hour of it was, so the later openings were reported as
  // surges on 12 of 16 seeded runs of each, where before none were.
  it.each(['orders', 'requests'] as const)(
    'takes %s back at their level an hour off a day before for their opening',
    (series) => {
      const opens = (day: number) => (day % 2 === 0 ? 8 * 60 + 30 : 9 * 60 + 20);
      const surged: string[] = [];
      for (let seed = 1; seed <= 16; seed++) {
        const orders = series === 'orders' ? minuteEngine('orders.placed', 'counter') : undefined;
        const route = orders ? undefined : minuteRoute();
        const rand = prng(seed);
        for (let i = 0; i < 6 * DAY_CYCLES; i++) {
          const minute = i % DAY_CYCLES;
          const open = minute >= opens(Math.floor(i / DAY_CYCLES)) && minute < 18 * 60;
          const count = poisson(rand, open ? 40 : 0);
          if (orders) orders.feed(i, count > 0 ? count : undefined);
          else route?.feed(i, count, 0);
        }
        for (const e of (orders ?? route)!.heard) {
          const day = Math.floor((e.time - T0) / MINUTE / DAY_CYCLES);
          const minute = ((e.time - T0) / MINUTE) % DAY_CYCLES;
          if (e.observed > e.expected && day % 2 === 1 && minute >= opens(day) && minute < opens(day) + 60)
            surged.push(`seed ${seed} day ${day}`);
        }
      }
      expect(surged).toEqual([]);
    },
  );

  // The detector's profiles were read on UTC: after the clocks changed, the morning's rise and the
  // evening's fall came an hour off the day before by UTC, and were reported as incidents.
  it.each(CLOCK_CHANGES.map((c) => [c.zone, new Date(c.at).toISOString().slice(0, 10), c] as const))(
    'follows the time zone set in init() through the clock change in %s on %s',
    async (_zone, _on, change) => {
      // Orders with a daily shape on the wall clock, at five-minute cycles, for a week before the
      // clocks change and three days after.
      const interval = 300_000;
      const heard: string[] = [];
      for (let seed = 1; seed <= 4; seed++) {
        let now = change.at - 7 * DAY_CYCLES * MINUTE;
        const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
        try {
          const { obs } = startCaptured({ metricInterval: interval, anomaly: { timeZone: change.zone } });
          const engine = (obs as SightlineInstance).anomalyEngine!;
          obs.onAnomaly((e) => {
            if (e.time >= change.at)
              heard.push(`seed ${seed}: ${new Date(e.time).toISOString()} ${e.explanation}`);
          });
          const orders = obs.metrics.counter('orders.placed', { detect: true });
          const rand = prng(seed);
          while (now < change.at + 3 * DAY_CYCLES * MINUTE) {
            orders.add(poisson(rand, 20 + 400 * dailyShape(wallTime(change, now) / MINUTE)));
            now += interval;
            await engine.runCycle();
          }
          await obs.shutdown();
        } finally {
          clock.mockRestore();
        }
      }
      expect(heard).toEqual([]);
    },
  );

  it('reports a campaign peak of hours on a daily pattern once, not its end as a fall', () => {
    // Orders with a daily shape for ten days, then three times as many from noon to 18:00 (a
    // campaign, a month-end): the end of the peak, back at the usual orders of the evening, was
    // reported as a drift down to a quarter of the expected on 16 of 16 runs, now on 6.
    const peak = 10 * DAY_CYCLES + 12 * 60;
    const heard: string[] = [];
    let peaks = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const { heard: events, feed } = minuteEngine('orders.placed', 'counter');
      const rand = prng(seed);
      for (let i = 0; i < peak + 2 * DAY_CYCLES; i++) {
        const usual = 2 + 40 * dailyShape(i);
        feed(i, poisson(rand, i >= peak && i < peak + 360 ? 3 * usual : usual));
      }
      for (const e of events) {
        const at = (e.time - T0) / MINUTE - peak;
        if (at >= 0 && at < 10 && e.observed > e.expected) peaks++;
        else
          heard.push(
            `seed ${seed}: ${e.kind} ${e.observed > e.expected ? 'up' : 'down'} ${at} min after the peak began`,
          );
      }
    }
    expect(peaks).toBe(16);
    // The runs left are those that follow the day with the flat level, not the daily profile.
    expect(heard.length).toBeLessThanOrEqual(6);
  });

  it('reports a memory leak that the baseline follows, once, as a drift from the level before it', () => {
    // A heap gauge with a GC sawtooth for three days, then leaking 5 MB an hour: the baseline
    // follows the rise, and the sawtooth is above any band only now and then.
    const { heard, feed } = minuteEngine('process.heap', 'gauge');
    const rand = prng(2);
    const leakFrom = 3 * DAY_CYCLES;
    for (let i = 0; i < 5 * DAY_CYCLES; i++) {
      const leak = i >= leakFrom ? (5 * (i - leakFrom)) / 60 : 0;
      feed(i, 300 + 40 * ((i % 7) / 7) + 6 * (rand() - 0.5) + leak);
    }
    expect(heard.map((e) => e.kind)).toEqual(['drift']);
    const [event] = heard;
    expect(event!.time - (T0 + leakFrom * MINUTE)).toBeLessThan(8 * 3_600_000);
    expect(event!.observed).toBeGreaterThan(event!.band.upper);
    expect(event!.expected).toBeLessThan(330);
  });

  /** What an engine reports on four days of a gauge moving around 100 that repeats its last value over `stuck` cycles. */
  function stuckGauge(seed: number, stuck: [from: number, to: number][]): AnomalyEvent[] {
    const { heard, feed } = minuteEngine('queue.depth', 'gauge');
    const noise = gaussian(prng(seed));
    let last = 100;
    for (let i = 0; i < 4 * DAY_CYCLES; i++) {
      if (!stuck.some(([from, to]) => i >= from && i < to)) last = 100 + 5 * noise();
      feed(i, last);
    }
    return heard;
  }

  it('reports a gauge stuck at one value for hours, as a stuck exporter leaves it, once, as a flatline', () => {
    // A gauge moving around 100 for three days, then repeating its last value for four hours: the
    // value stays inside the band, where no other rule sees it.
    const stuckFrom = 3 * DAY_CYCLES;
    const stuckTo = stuckFrom + 240;
    const runs: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const heard = stuckGauge(seed, [[stuckFrom, stuckTo]]);
      const late = heard.filter((e) => e.time - (T0 + stuckFrom * MINUTE) > 30 * MINUTE);
      runs.push(`${heard.map((e) => e.kind).join(',')}${late.length > 0 ? ' (late)' : ''}`);
      // Stuck, not up or down: the value it stopped at may be either side of the expected one.
      expect(heard[0]?.explanation).toMatch(/^queue\.depth: flatline, stuck at [\d.]+ vs expected /);
    }
    expect(runs).toEqual(Array(16).fill('flatline'));
  });

  it('reports a gauge stuck again after it came back, as the first time', () => {
    // An exporter stuck four hours, then again the next day: the second run went unreported on 16
    // of 16 runs, its first taken for how long the series keeps still.
    const first = 2 * DAY_CYCLES;
    const second = 3 * DAY_CYCLES;
    const runs: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const heard = stuckGauge(seed, [
        [first, first + 240],
        [second, second + 240],
      ]);
      runs.push(
        heard.map((e) => `${e.kind} at ${Math.round((e.time - T0) / MINUTE / 60)} h`).join(', ') || 'none',
      );
    }
    expect(runs).toEqual(Array(16).fill('flatline at 48 h, flatline at 72 h'));
  });

  it('does not report a gauge pinned at its ceiling every afternoon as stuck', () => {
    // CPU % under a daily load, at 100 for an hour or two every afternoon.
    const heardOn: number[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const { heard, feed } = minuteEngine('process.cpu', 'gauge', '%');
      const noise = gaussian(prng(seed));
      for (let i = 0; i < 5 * DAY_CYCLES; i++) {
        const load = Math.max(0, Math.sin(Math.PI * (((i % DAY_CYCLES) / DAY_CYCLES) * 1.25 - 0.15))) ** 2;
        feed(i, Math.min(100, Math.max(0, 20 + 85 * load + 4 * noise())));
      }
      heardOn.push(heard.filter((e) => e.kind === 'flatline').length);
    }
    expect(heardOn).toEqual(Array(16).fill(0));
  });

  // A cache's size (an up-down counter, or a gauge read from it) moves only as requests set and
  // evict entries: from 22:00 to 07:00 nobody calls, nor at the weekend, and it holds its size all
  // night, a different one each night. Each quiet night and weekend was reported as a flatline: 10
  // in two weeks on 15 of 16 runs, 9 on the other. The first weekend, longer than any quiet before
  // it, is all the detector can tell from a stuck value.
  it('does not report a level that holds still through every quiet night and weekend as stuck', () => {
    const heardOn: string[] = [];
    for (const kind of ['upDownCounter', 'gauge'] as const) {
      for (let seed = 1; seed <= 16; seed++) {
        const { heard, feed } = minuteEngine('cache.entries', kind);
        const rand = prng(seed);
        let size = 5000;
        for (let i = 0; i < 14 * DAY_CYCLES; i++) {
          const m = i % DAY_CYCLES;
          const weekday = Math.floor(i / DAY_CYCLES) % 7 < 5;
          if (weekday && m >= 7 * 60 && m < 22 * 60) size += poisson(rand, 20) - poisson(rand, 20);
          feed(i, size);
        }
        const flat = heard.filter((e) => e.kind === 'flatline');
        const later = flat.filter((e) => e.time - T0 >= 7 * DAY_CYCLES * MINUTE);
        if (flat.length > 1 || later.length > 0) heardOn.push(`${kind} seed ${seed}: ${flat.length}`);
      }
    }
    expect(heardOn).toEqual([]);
  });

  // CPU % in whole percents: at its floor of 5 % through the night, pinned at 100 % every afternoon,
  // longer on busier days (30 min, then 90 min, then 4 hours). Only the last bound it was held at
  // was known, so the floor at night made the afternoon's 100 % a stuck value again, reported after
  // the first day on 15 of 16 runs (41 flatlines).
  it('does not report a gauge held at either of its bounds again as stuck', () => {
    const again: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const { heard, feed } = minuteEngine('process.cpu', 'gauge', '%');
      const noise = gaussian(prng(seed));
      const pinned = [30, 30, 90, 90, 240];
      for (let i = 0; i < pinned.length * DAY_CYCLES; i++) {
        const half = pinned[Math.floor(i / DAY_CYCLES)]! / 2;
        const m = i % DAY_CYCLES;
        const off = Math.abs(m - 15 * 60);
        // From 08:00 up to the pinned hours around 15:00, down to the night by 22:00.
        const load =
          m < 8 * 60 || m > 22 * 60 ? 0 : off <= half ? 1.2 : 0.95 * (1 - (off - half) / (420 - half));
        feed(i, Math.min(100, Math.max(5, Math.round(3 + 100 * load + 3 * noise()))));
      }
      // The first time at a bound is all the detector can tell from a stuck value.
      for (const e of heard.filter((e) => e.kind === 'flatline' && e.time - T0 >= DAY_CYCLES * MINUTE)) {
        again.push(`seed ${seed}: ${e.observed} at ${((e.time - T0) / 3_600_000).toFixed(1)} h`);
      }
    }
    expect(again).toEqual([]);
  });

  // A connection pool of 20 whose use wanders between 4 and 16, until on the third day it fills up
  // for the first time and stays full for hours. The detector cannot tell that from a stuck value,
  // but the explanation must not say it is one: the value is the highest the series has had.
  it('words a gauge held at its highest value yet as held there, not as stuck', () => {
    const said: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const { heard, feed } = minuteEngine('db.pool.used', 'gauge');
      const noise = gaussian(prng(seed));
      for (let i = 0; i < 3 * DAY_CYCLES; i++) {
        const full = i >= 2 * DAY_CYCLES + 12 * 60 && i < 2 * DAY_CYCLES + 18 * 60;
        feed(i, full ? 20 : Math.min(16, Math.max(4, Math.round(10 + 2 * noise()))));
      }
      const flat = heard.filter((e) => e.kind === 'flatline');
      if (
        flat.length !== 1 ||
        !/: flatline, held at 20, its highest yet, vs expected /.test(flat[0]!.explanation)
      ) {
        said.push(`seed ${seed}: ${flat.map((e) => e.explanation).join(' | ') || 'none'}`);
      }
    }
    expect(said).toEqual([]);
  });

  it('does not take the first morning of a daily pattern for a build-up', () => {
    // A rate per second with a daily shape, from the first cycle: until a day is seen, the
    // morning's ramp is the largest rise the series has had.
    for (const seed of [2, 4, 5]) {
      const { heard, feed } = minuteEngine('jobs.rate', 'gauge');
      const rand = prng(seed);
      for (let i = 0; i < 2 * DAY_CYCLES; i++) {
        feed(i, poisson(rand, 2 + 60 * dailyShape(i)) / 60);
      }
      expect(
        heard.map((e) => e.explanation),
        `seed ${seed}`,
      ).toEqual([]);
    }
  });

  it('stays quiet through the first mornings of a daily pattern, whenever the process starts', () => {
    // A deploy at night, in the morning, in the afternoon or in the evening: until the detector
    // has a daily profile, the morning's ramp is a rise its band has never seen.
    const heard = heardFromStarts(
      'jobs.rate',
      'gauge',
      [0, 6, 14, 20],
      8,
      2.5,
      (rand, m) => poisson(rand, 2 + 60 * dailyShape(m)) / 60,
    );
    expect(heard).toEqual([]);
  });

  it('does not call the first evenings of a busy daily pattern an outage when a quiet minute repeats', () => {
    // 600 orders a minute in the afternoon, two at night: the baseline follows the evening's fall a
    // little late, most of all before it has a daily profile.
    const quiet = heardFromStarts('orders.placed', 'counter', [0, 9, 14, 20], 5, 3, (rand, m) => {
      const orders = poisson(rand, 2 + 600 * dailyShape(m));
      return orders > 0 ? orders : undefined;
    });
    expect(quiet).toEqual([]);
    // Its evening's last busy hour falls from 27 orders a minute to 3: the recent counts must follow
    // it as closely as the baseline does not.
    const evening = heardFromStarts('orders.placed', 'counter', [8], 16, 2, (rand, m) => {
      const orders = poisson(rand, 2 + 600 * dailyShape(m));
      return orders > 0 ? orders : undefined;
    });
    expect(evening).toEqual([]);

    // The first evening's real outage, at 19:00 with 140 orders a minute, is still one.
    const { heard, feed } = minuteEngine('orders.placed', 'counter');
    const rand = prng(1);
    for (let m = 14 * 60; m < 20 * 60; m++) {
      const orders = m < 19 * 60 ? poisson(rand, 2 + 600 * dailyShape(m)) : 0;
      feed(m, orders > 0 ? orders : undefined);
    }
    expect(heard.map((e) => [e.kind, e.observed])).toEqual([['level_shift', 0]]);
    expect(heard[0]!.time).toBe(T0 + (19 * 60 + 1) * MINUTE);
  });

  // Sessions of an office's users, an up-down counter at about 50 from 09:00 to 18:00 and at zero
  // at night: a counter with those hours is quiet from its second day, as its closing and opening
  // repeat the day before, while the up-down counter's evenings and mornings were reported, as a
  // drift to zero and back, on 16 of 16 seeded runs (1 to 4 times in three days).
  it("does not report an up-down counter's nights at zero after its first, as it does not a rate's", () => {
    const heard: string[] = [];
    const sessions = (m: number) => {
      const hour = (m % DAY_CYCLES) / 60;
      return hour >= 9 && hour < 18 ? 50 : 0;
    };
    for (const startHour of [0, 9, 14, 20]) {
      for (let seed = 1; seed <= 4; seed++) {
        const { heard: events, feed } = minuteEngine('sessions.active', 'upDownCounter');
        const rand = prng(seed);
        const noise = gaussian(rand);
        const from = startHour * 60;
        // Its fourth day's afternoon at zero for an hour is still an outage.
        const outage = from + 3 * DAY_CYCLES + ((14 - startHour + 24) % 24) * 60;
        for (let m = from; m < from + 4 * DAY_CYCLES; m++) {
          const level = m >= outage && m < outage + 60 ? 0 : sessions(m);
          feed(m, Math.max(0, Math.round(level + noise() * Math.sqrt(level))));
        }
        const at = (e: AnomalyEvent) => (e.time - T0) / MINUTE;
        const later = events.filter((e) => at(e) >= from + DAY_CYCLES);
        const inOutage = later.filter((e) => at(e) >= outage && at(e) < outage + 60);
        heard.push(
          `start ${startHour}h seed ${seed}: ${later.length - inOutage.length} after its first day, ${inOutage.length} in the outage`,
        );
      }
    }
    expect(heard.filter((line) => !line.endsWith(': 0 after its first day, 1 in the outage'))).toEqual([]);
  });

  /** Orders as a `detect: true` counter, fed one count a minute. */
  const ordersCounter = () => minuteEngine('orders.placed', 'counter');
  /** The same counts as requests to GET /products, judged on the route's request rate. */
  const routeRequests = () => {
    const { heard, feed, engine } = minuteRoute();
    return { heard, engine, feed: (cycle: number, count: number | undefined) => feed(cycle, count ?? 0, 0) };
  };

  /**
   * What the engine reports, per seed, of orders (Poisson counts with mean `rate(minute)`) halving
   * for half an hour from minute `from` (or falling to `kept` of the rate for `minutes`): events in
   * the fall (and the 5 minutes after it), and any other.
   */
  function ordersHalving(
    rate: (minute: number) => number,
    from: number,
    seeds = 16,
    kept = 0.5,
    minutes = 30,
    watch = ordersCounter,
  ): string[] {
    const heard: string[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const { heard: events, feed } = watch();
      const rand = prng(seed);
      for (let m = 0; m < from + minutes + 180; m++)
        feed(m, poisson(rand, rate(m) * (m >= from && m < from + minutes ? kept : 1)));
      const at = (e: AnomalyEvent) => (e.time - T0) / MINUTE;
      const inFall = (e: AnomalyEvent) => at(e) >= from && at(e) < from + minutes + 5;
      heard.push(`seed ${seed}: ${events.filter(inFall).length} in the fall`);
      heard.push(...events.filter((e) => !inFall(e)).map((e) => `seed ${seed}: ${e.explanation}`));
    }
    return heard;
  }
  const onceInEachFall = Array.from({ length: 16 }, (_, i) => `seed ${i + 1}: 1 in the fall`);

  // An event judged on the mean of the recent minutes gave that mean, and the mean's band, as if a
  // single minute had been observed at 13.3 orders, inside a band narrower than any minute's.
  it("says that a fall judged on its recent minutes' mean quotes that mean", () => {
    const said: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const { heard, feed } = ordersCounter();
      const rand = prng(seed);
      const from = 3 * DAY_CYCLES + 14 * 60;
      for (let m = 0; m < from + 40; m++) feed(m, poisson(rand, m >= from && m < from + 30 ? 12.5 : 25));
      for (const e of heard) {
        const onMean = !Number.isInteger(e.observed);
        const says = / observed [\d.]+\/min, the mean of about the last 12 min, vs expected /.test(
          e.explanation,
        );
        said.push(`${onMean ? 'mean' : 'minute'}: ${says === onMean ? 'right' : e.explanation}`);
      }
    }
    expect(said.filter((line) => !line.endsWith(': right'))).toEqual([]);
    expect(said).toContain('mean: right');
  });

  it('reports orders halving for half an hour after days at 25 a minute once, and not their return', () => {
    // Each minute of the fall is only about 2.5 Poisson standard deviations low, inside the band
    // of a single minute, and the detector's level follows it: the fall shows in the mean.
    expect(ordersHalving(() => 25, 3 * DAY_CYCLES + 14 * 60)).toEqual(onceInEachFall);
  });

  it('reports orders with a daily pattern (8 to 42 a minute) halving for half an hour', () => {
    expect(ordersHalving((m) => 8 + 34 * dailyShape(m), 3 * DAY_CYCLES + 14 * 60)).toEqual(onceInEachFall);
  });

  it('reports orders halving for half an hour in their first two days, flat or with a daily pattern', () => {
    // Before a daily profile the band of a single minute is doubled; a mean of a dozen is not as noisy.
    expect(ordersHalving(() => 25, DAY_CYCLES + 14 * 60)).toEqual(onceInEachFall);
    expect(ordersHalving((m) => 8 + 34 * dailyShape(m), DAY_CYCLES + 14 * 60)).toEqual(onceInEachFall);
  });

  it('reports orders falling by 30 % for an hour after days at 25 a minute, once', () => {
    // Each minute is only 1.5 Poisson standard deviations low and the level follows: the fall shows
    // as a build-up against the long-run reference, whose gap is many times its usual one. Some runs'
    // gap stays short of the drift rule's bar.
    const heard = ordersHalving(() => 25, 3 * DAY_CYCLES + 14 * 60, 16, 0.7, 60);
    expect(heard.filter((line) => !/: [01] in the fall$/.test(line))).toEqual([]);
    expect(heard.filter((line) => line.endsWith(': 1 in the fall')).length).toBeGreaterThanOrEqual(13);
  });

  /** The events heard over four days of orders at 25 a minute, flat or with a daily pattern, per seed. */
  function fourQuietDays(watch = ordersCounter): string[] {
    const heard: string[] = [];
    for (const rate of [() => 25, (m: number) => 8 + 34 * dailyShape(m)]) {
      for (let seed = 1; seed <= 16; seed++) {
        const { heard: events, feed } = watch();
        const rand = prng(seed);
        for (let m = 0; m < 4 * DAY_CYCLES; m++) feed(m, poisson(rand, rate(m)));
        heard.push(...events.map((e) => `seed ${seed}, minute ${(e.time - T0) / MINUTE}: ${e.explanation}`));
      }
    }
    return heard;
  }

  it('stays quiet over four days of orders at 25 a minute, flat or with a daily pattern', () => {
    expect(fourQuietDays()).toEqual([]);
  });

  // A route's request rate was judged per second, untransformed, instead of as its count per cycle
  // under the square-root transform a counter gets: its band held a busy minute's noise in a fall
  // and at night too. The fall went unreported on 13 of 16 runs, and a night's usual noise read as
  // a variance change (seed 11).
  it("reports a route's requests with a daily pattern halving for half an hour, as it does orders", () => {
    const daily = (m: number) => 8 + 34 * dailyShape(m);
    expect(ordersHalving(daily, 3 * DAY_CYCLES + 14 * 60, 16, 0.5, 30, routeRequests)).toEqual(
      onceInEachFall,
    );
    expect(ordersHalving(daily, DAY_CYCLES + 14 * 60, 16, 0.5, 30, routeRequests)).toEqual(onceInEachFall);
  });

  it("stays quiet over four days of a route's requests at 25 a minute, flat or with a daily pattern", () => {
    expect(fourQuietDays(routeRequests)).toEqual([]);
  });

  it("shows a route's request rate per second in its events and bands, as the detector sees its count per cycle", () => {
    const { heard, feed, engine } = routeRequests();
    for (let m = 0; m < 200; m++) feed(m, m < 180 ? 30 : 6);
    const [fall, ...more] = heard;
    expect(more).toEqual([]);
    expect(fall).toMatchObject({ metric: 'http.server.request.rate', observed: 0.1 });
    expect(fall!.expected).toBeCloseTo(0.5, 2);
    expect(fall!.band.lower).toBeGreaterThan(0.1);
    expect(fall!.band.upper).toBeLessThan(1);
    const band = [...engine.bands()].find((b) => b.metric === 'http.server.request.rate');
    expect(band).toMatchObject({ observed: 0.1 });
    expect(band!.upper).toBeLessThan(1);
    expect(fall!.explanation).toMatch(/ down, observed 0\.1 req\/s vs expected 0\.5\d* req\/s \(/);
  });

  // The explanation gave bare numbers: a route's 30 requests a minute read "expected 0.5", a
  // counter's count per cycle and a latency in seconds or milliseconds no different.
  it("names each series' unit in its explanation: per interval for a count, percent for an error rate", () => {
    const orders = minuteEngine('orders.placed', 'counter', '{order}');
    const query = minuteEngine('db.query.duration', 'gauge', 'ms');
    const rand = prng(3);
    for (let m = 0; m < 320; m++) {
      orders.feed(m, m < 300 ? 40 + Math.round(rand() * 10) : undefined);
      query.feed(m, (m < 300 ? 40 : 90) + Math.round(rand() * 6));
    }
    expect(orders.heard[0]?.explanation).toMatch(
      /^orders\.placed: level shift down, observed 0\/min vs expected [\d.]+\/min, normal band [\d.]+\.\.[\d.]+\/min, /,
    );
    expect(query.heard[0]?.explanation).toMatch(
      /observed [\d.]+ ms vs expected [\d.]+ ms \([\d.]+x expected\), normal band [\d.]+\.\.[\d.]+ ms, /,
    );

    const route = minuteRoute();
    for (let m = 0; m < 320; m++) route.feed(m, 20, m < 300 ? 0 : 5);
    expect(route.heard.map((e) => e.explanation)).toEqual([
      expect.stringMatching(
        /^http\.server\.error\.rate on GET \/products: level shift up, observed 25 % vs expected [\d.e-]+ %, /,
      ),
    ]);
  });

  it('on its first day, reports a latency five times as high and a busy rate gone silent', () => {
    const latency = minuteEngine('db.query.duration', 'gauge', 'ms');
    const rand = prng(3);
    for (let m = 0; m < 8 * 60; m++) latency.feed(m, (m < 6 * 60 ? 100 : 500) + 20 * (rand() - 0.5));
    expect(latency.heard.map((e) => e.kind)).toEqual(['spike']);
    expect(latency.heard[0]!.time - (T0 + 6 * 60 * MINUTE)).toBeLessThanOrEqual(5 * MINUTE);
    // Two hours at that level without an episode: a deploy's lasting step, no longer an open incident.
    expect(latency.engine.activeEpisodes).toBe(0);

    const orders = minuteEngine('orders.placed', 'counter');
    for (let m = 0; m < 14 * 60; m++) orders.feed(m, m < 13 * 60 ? 40 + Math.round(rand() * 10) : undefined);
    expect(orders.heard.map((e) => e.kind)).toEqual(['level_shift']);
    expect(orders.heard[0]!.observed).toBe(0);
  });

  it('after a restart, reports in its warm-up a rate gone silent after ten cycles, and no other change', () => {
    // Each process starts cold, at the default warm-up of 120 cycles: two hours at one a minute.
    const firstHeard = (seed: number, from: number, factor: number) => {
      const orders = minuteEngine('orders.placed', 'counter');
      const rand = prng(seed);
      for (let m = 1; m <= 600; m++) {
        const count = poisson(rand, m >= from ? 40 * factor : 40);
        orders.feed(m, count > 0 ? count : undefined);
      }
      const first = orders.heard[0];
      return first === undefined ? 'none' : `${(first.time - T0) / MINUTE - from} ${first.kind}`;
    };
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    // Silent after ten cycles of orders: reported on its second silent cycle, in the warm-up.
    expect(seeds.map((seed) => firstHeard(seed, 11, 0))).toEqual(seeds.map(() => '1 level_shift'));
    // Silent after nine: nothing to tell its silence from a start's, then ten hours of it learned.
    expect(seeds.map((seed) => firstHeard(seed, 10, 0))).toEqual(seeds.map(() => 'none'));
    // Halved or tripled in the warm-up: taken for the level, never reported.
    expect(seeds.map((seed) => firstHeard(seed, 60, 0.5))).toEqual(seeds.map(() => 'none'));
    expect(seeds.map((seed) => firstHeard(seed, 60, 3))).toEqual(seeds.map(() => 'none'));
    // Tripled past it: reported within minutes.
    for (const seed of seeds) expect(firstHeard(seed, 200, 3)).toMatch(/^[0-3] /);

    // A route's errors, one request in a thousand until they rise to one in twenty an hour in: the
    // error rate is reported as the warm-up ends, an hour late.
    const errorsHeard = (seed: number, from: number, ratio: number) => {
      const route = randomFailures(seed, 100);
      route.minutes(from, 0.001);
      route.minutes(600 - from, ratio);
      const first = route.errors()[0];
      return first === undefined ? 'none' : `${(first.time - T0) / MINUTE} ${first.kind}`;
    };
    expect(seeds.map((seed) => errorsHeard(seed, 60, 0.05))).toEqual(seeds.map(() => '120 level_shift'));
  });

  // A series is born on its first count, and the detector's level, started there, still held most of
  // it when a short warm-up ended: the mean of the minutes since, at nought, read as a fall from it.
  // A route hit once (one request or ten) and a counter incremented once were reported as a level
  // shift down, or a drift down, about twelve minutes after a warm-up of ten (or of thirty for ten
  // requests), whichever minute they came in.
  it('does not report a route hit once, or a counter incremented once, as a fall, whatever the warm-up', () => {
    const heard: string[] = [];
    for (const warmup of [10, 30, 120]) {
      for (const at of [0, 5, 9, 20]) {
        for (const count of [1, 3, 10]) {
          const route = minuteCycles(new Set(), true, undefined, 1000, warmup);
          const counter = minuteEngine('signups', 'counter', '', warmup);
          for (let m = 0; m < 400; m++) {
            const points = [requests('/orders', 200, 20)];
            if (m === at) points.push(requests('/report', 200, count));
            route.feedPoints(m, points);
            counter.feed(m, m === at ? count : undefined);
          }
          for (const e of [...route.heard, ...counter.heard]) {
            heard.push(`warm-up ${warmup}, ${count} at minute ${at}: ${e.explanation}`);
          }
        }
      }
    }
    expect(heard).toEqual([]);
  });

  // A first minute that held a backlog (60 requests on a route at 5 a minute, 200 on one at 20)
  // lifted the level as one request does: after a warm-up of 30 it was reported as a drift down to
  // the route's usual rate on 16 of 16 runs each.
  it('does not report a route whose first minute held a backlog as a fall to its usual rate', () => {
    const heard: string[] = [];
    for (const warmup of [10, 30, 120]) {
      for (const [first, rate] of [
        [60, 5],
        [200, 20],
      ] as const) {
        for (let seed = 1; seed <= 16; seed++) {
          const route = minuteCycles(new Set(), true, undefined, 1000, warmup);
          const rand = prng(seed);
          for (let m = 0; m < 300; m++) {
            const count = m === 0 ? first : poisson(rand, rate);
            route.feedPoints(m, count > 0 ? [requests('/orders', 200, count)] : []);
          }
          heard.push(...route.heard.map((e) => `warm-up ${warmup}, seed ${seed}: ${e.explanation}`));
        }
      }
    }
    expect(heard).toEqual([]);
  });

  it('does not report a route hit every 5 to 20 minutes, at random, whatever the warm-up', () => {
    const heard: string[] = [];
    for (const warmup of [10, 30, 120]) {
      for (let seed = 1; seed <= 8; seed++) {
        const route = minuteCycles(new Set(), true, undefined, 1000, warmup);
        const rand = prng(seed);
        let next = Math.floor(rand() * 20);
        for (let m = 0; m < 2 * DAY_CYCLES; m++) {
          const points = [requests('/orders', 200, 20)];
          if (m === next) {
            points.push(requests('/report', 200, 1));
            next += 5 + Math.floor(rand() * 16);
          }
          route.feedPoints(m, points);
        }
        heard.push(...route.heard.map((e) => `warm-up ${warmup}, seed ${seed}: ${e.explanation}`));
      }
    }
    expect(heard).toEqual([]);
  });

  it('reports a route failing a fifth or more of its requests from its first minute, once, and not one at a tenth or less', () => {
    // A deploy that fails them, and a new route that does: before the route's usual share is
    // learned from its own errors, it is taken to be at most one in twenty, and reported once its
    // errors are beyond chance at one in ten (at ten requests a minute, a run whose first ten
    // minutes failed one in five is reported in the twelfth).
    const heard = (seed: number, perMinute: number, ratio: number) => {
      const route = randomFailures(seed, perMinute);
      route.minutes(600, ratio);
      return route.errors().map((e) => `${(e.time - T0) / MINUTE} ${e.kind}`);
    };
    const seeds = Array.from({ length: 16 }, (_, i) => i + 1);
    for (const [perMinute, ratio, within] of [
      [100, 0.3, 5],
      [100, 0.2, 5],
      [10, 0.3, 15],
      [3, 0.3, 30],
    ] as const) {
      for (const seed of seeds) {
        const events = heard(seed, perMinute, ratio);
        expect(events).toHaveLength(1);
        expect(Number.parseInt(events[0]!, 10)).toBeLessThanOrEqual(within);
        expect(events[0]).toMatch(/ level_shift$/);
      }
    }
    for (const [perMinute, ratio] of [
      [100, 0.05],
      [100, 0.01],
      [10, 0.05],
    ] as const) {
      expect(seeds.map((seed) => heard(seed, perMinute, ratio))).toEqual(seeds.map(() => []));
    }
    // A flaky upstream failing one request in twelve fails as much after each deploy: judged against
    // one in twenty, its half hour's errors went past twice that by chance, looked at every cycle
    // (at thirty requests a minute, one in ten on 16 of 16 seeded runs, one in eleven on 16, one in
    // twelve on 3; at ten, one in ten on 9).
    for (const perMinute of [3, 10, 30, 100]) {
      for (const ratio of [0.06, 0.08, 0.09, 0.1]) {
        expect(seeds.map((seed) => heard(seed, perMinute, ratio))).toEqual(seeds.map(() => []));
      }
    }
  });

  it("does not report a route's requests its clients cancel, as it does those the server fails", () => {
    // A client that goes away (a search box cancelling the last query, a page left) ends its request
    // with error.type=aborted, and no status or the one begun: no failure of the service's own.
    const cancelled = (count: number): HistogramPoint => {
      const p = requests('/products', 200, count);
      const { 'http.response.status_code': _, ...attributes } = p.attributes;
      return { ...p, attributes: { ...attributes, 'error.type': 'aborted' } };
    };
    const cancelledMidResponse = (count: number): HistogramPoint => {
      const p = requests('/products', 200, count);
      return { ...p, attributes: { ...p.attributes, 'error.type': 'aborted' } };
    };
    // A server error the client left before was sent: a 500 it was answered with still counts.
    const failedThenCancelled = (count: number): HistogramPoint => {
      const p = requests('/products', 500, count);
      return { ...p, attributes: { ...p.attributes, 'error.type': 'aborted' } };
    };
    const heard = (seed: number, perMinute: number, ratio: number, failure: typeof serverFailed) => {
      const route = randomFailures(seed, perMinute, 1, failure);
      route.minutes(600, ratio);
      return route.errors().length;
    };
    const seeds = Array.from({ length: 16 }, (_, i) => i + 1);
    for (const [perMinute, ratio] of [
      [100, 0.3],
      [30, 0.2],
      [10, 0.3],
    ] as const) {
      for (const failure of [cancelled, cancelledMidResponse]) {
        expect(seeds.map((seed) => heard(seed, perMinute, ratio, failure))).toEqual(seeds.map(() => 0));
      }
      expect(seeds.map((seed) => heard(seed, perMinute, ratio, failedThenCancelled))).toEqual(
        seeds.map(() => 1),
      );
    }
  });

  it('reports the errors of a route whose requests hang till their clients give up, not its cancels', () => {
    const seeds = Array.from({ length: 16 }, (_, i) => i + 1);
    // A handler waiting on an exhausted pool answers nothing, and its clients (or a proxy's timeout)
    // leave it. Counted with the cancels, 3 in a hundred hanging for 10 s three hours in went
    // unreported on 16 of 16 seeded runs, 4 for 30 s on 12 (the other 4 told by the p95 alone): they
    // are reported within five minutes.
    const late: string[] = [];
    for (const [perMinute, share, timeout] of [
      [60, 0.03, 10],
      [60, 0.04, 30],
      [60, 0.2, 30],
    ] as const) {
      const hangs: Left = (rand, _, cycle) => (cycle >= 180 && rand() < share ? timeout : undefined);
      for (const seed of seeds) {
        const events = abortedErrorEvents(seed, perMinute, 190, hangs);
        if (events.length !== 1 || events[0]! < 180 || events[0]! > 185)
          late.push(`${share} ${seed}: ${events.join()}`);
      }
    }
    expect(late).toEqual([]);
    // A client that cancels while waiting leaves before its answer would have come, some of them
    // after the cycle's slowest answer: no failure of the service.
    const reported: string[] = [];
    for (const [perMinute, share] of [
      [100, 0.3],
      [30, 0.2],
      [20, 0.5],
      [10, 0.3],
      [3, 0.3],
      [1, 0.3],
    ] as const) {
      const cancels: Left = (rand, takes) => (rand() < share ? takes * rand() : undefined);
      for (const seed of seeds) {
        const events = abortedErrorEvents(seed, perMinute, 600, cancels);
        if (events.length > 0) reported.push(`${share} of ${perMinute} ${seed}: ${events.join()}`);
      }
    }
    expect(reported).toEqual([]);
  });

  it('reports the hangs of a route that answered slowly once in the hour before', () => {
    // One answer of 3 s twenty minutes before (a cold cache, a GC pause) is no part of how slowly
    // the route answers: remembered as its slowest, it put every wait under 12 s within the
    // route's answers, and 3 in a hundred hanging for 10 s, or 4 for 30 s, went unreported on 16
    // of 16 seeded runs. A slow answer is remembered once it comes back in another cycle.
    const late: string[] = [];
    for (const [share, timeout] of [
      [0.03, 10],
      [0.04, 30],
    ] as const) {
      const hangs: Left = (rand, _, cycle) => (cycle >= 180 && rand() < share ? timeout : undefined);
      let slowAt = -1;
      const takes = (rand: () => number, cycle: number) => {
        if (cycle === 160 && slowAt !== cycle) {
          slowAt = cycle;
          return 3;
        }
        return lognormal(rand, 0.05, 0.12);
      };
      for (let seed = 1; seed <= 16; seed++) {
        slowAt = -1;
        const events = abortedErrorEvents(seed, 60, 190, hangs, takes);
        if (events.length !== 1 || events[0]! < 180 || events[0]! > 185)
          late.push(`${share} ${seed}: ${events.join()}`);
      }
    }
    expect(late).toEqual([]);
  });

  it("keeps no route's first answers for the life of its error rate", () => {
    // A watched series keeps the sample it was first seen with: a route's error rate kept that
    // cycle's answers, their buckets and the cancels in each, some 240 bytes a route whose clients
    // cancelled in its first cycle (10,000 series: 3,794 bytes each, 3,715 without).
    const { engine, feedPoints } = minuteCycles(new Set(), true);
    const answered = timedRequests([0.05, 0.06]);
    const left = timedRequests([0.02]);
    const { 'http.response.status_code': _, ...attributes } = left.attributes;
    feedPoints(0, [answered, { ...left, attributes: { ...attributes, 'error.type': 'aborted' } }]);
    const series = (engine as unknown as { series: Map<string, { sample: SeriesSample }> }).series;
    const errors = [...series.values()].filter((w) => w.sample.metric === 'http.server.error.rate');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.sample.answers).toBeUndefined();
  });

  it("keeps no route's first buckets for the life of its p95 latency", () => {
    // As its error rate kept its first answers, a route's p95 latency kept the sample it was first
    // seen with, that cycle's buckets with it, which only that cycle's judgement needed (10,000
    // routes after six cycles: 3,419 bytes a series, now 3,372).
    const { engine, feedPoints } = minuteCycles(new Set(), true);
    feedPoints(0, [timedRequests([0.05, 0.06, 0.2, 0.3, 0.01])]);
    const series = (engine as unknown as { series: Map<string, { sample: SeriesSample }> }).series;
    const p95 = [...series.values()].filter((w) => w.sample.metric === 'http.server.request.duration.p95');
    expect(p95).toHaveLength(1);
    expect(p95[0]!.sample.buckets).toBeUndefined();
  });

  it('does not report a report route whose slow answers its clients give up on at 30 s as hanging', () => {
    // A report endpoint answers from its cache in 50 ms and otherwise in 20 to 40 s, and its clients
    // give up at 30 s: in a minute whose slow requests all outlasted the clients, the cancels at
    // 30 s looked like hangs past four times the cached answers, though the route answers that
    // slowly every few minutes: at 2 a minute, half of them cached, reported on 1 of 16 seeded runs,
    // at 10, 8 in 10 cached, on 2. Its slowest answers of the last hour are what a wait is set against.
    const reported: string[] = [];
    for (const [perMinute, cached] of [
      [2, 0.5],
      [4, 0.7],
      [10, 0.8],
      [20, 0.9],
      [6, 0.5],
    ] as const) {
      const takes = (rand: () => number) =>
        rand() < cached ? lognormal(rand, 0.05, 0.12) : 20 + 20 * rand();
      const giveUp: Left = (_, took) => (took > 30 ? 30 : undefined);
      for (let seed = 1; seed <= 16; seed++) {
        const events = abortedErrorEvents(seed, perMinute, 600, giveUp, takes);
        if (events.length > 0) reported.push(`${cached} of ${perMinute} seed ${seed}: ${events.join()}`);
      }
    }
    expect(reported).toEqual([]);
  });

  it('reports a route failing one in five to one in seven from its first minute at a few requests a minute', () => {
    // Half an hour of three requests a minute holds some 90, too few for one in five to stand out
    // from one in ten on every run: the route's cycles since it was first seen are judged too.
    const reported = (perMinute: number, ratio: number) =>
      Array.from({ length: 16 }, (_, i) => i + 1).filter((seed) => {
        const route = randomFailures(seed, perMinute);
        route.minutes(240, ratio);
        return route.errors().length > 0;
      }).length;
    expect(reported(3, 0.2)).toBeGreaterThanOrEqual(15);
    expect(reported(10, 0.15)).toBeGreaterThanOrEqual(15);
    expect(reported(100, 0.12)).toBe(16);
  });

  it('does not report a route at one in ten or fewer whose first minute failed, once that minute is old', () => {
    // A cold start fails its first minute's requests (a pool still connecting), too short to be an
    // incident; the route's errors since it was first seen hold that minute once it has left the
    // last half hour, and counted whole it put the route past one in ten half an hour in (at a
    // hundred requests a minute, one in ten on 15 of 16 seeded runs; at a thousand, 9 in a hundred
    // on 14 and one in ten on 16; at three hundred, 9.5 in a hundred on 16).
    const reported = (perMinute: number, ratio: number) =>
      Array.from({ length: 16 }, (_, i) => i + 1).filter((seed) => {
        const route = randomFailures(seed, perMinute);
        route.minutes(1, 1);
        route.minutes(239, ratio);
        return route.errors().length > 0;
      }).length;
    for (const [perMinute, ratio] of [
      [100, 0.1],
      [300, 0.095],
      [1000, 0.09],
      [1000, 0.1],
    ] as const) {
      expect(reported(perMinute, ratio), `${ratio} of ${perMinute} a minute`).toBe(0);
    }
  });

  it('judges by its own share a route reported from its first minute at its usual one in eight', () => {
    // A flaky upstream fails one request in eight: reported in the first minutes against one in
    // twenty, the route must still learn that share, and its errors trebling hours later are an
    // incident. Held in that first incident, the route learned nothing, and the rise was its own.
    const riseHeard = (seed: number, perMinute: number, ratio: number) => {
      const route = randomFailures(seed, perMinute);
      route.minutes(300, 0.12);
      const before = route.errors().length;
      route.minutes(60, ratio);
      return route.errors().length > before;
    };
    const seeds = Array.from({ length: 16 }, (_, i) => i + 1);
    expect(seeds.map((seed) => riseHeard(seed, 100, 0.3))).toEqual(seeds.map(() => true));
    expect(seeds.map((seed) => riseHeard(seed, 20, 0.4))).toEqual(seeds.map(() => true));
    expect(seeds.map((seed) => riseHeard(seed, 100, 0.12))).toEqual(seeds.map(() => false));

    // A route failing three in ten from its first minute, fixed an hour or more in without a
    // restart: those errors are no usual share of it, and its relapse to one in ten is an incident.
    const relapseHeard = (seed: number, fixedAt: number) => {
      const route = randomFailures(seed, 100);
      route.minutes(fixedAt, 0.3);
      route.minutes(400 - fixedAt, 0.002);
      const before = route.errors().length;
      route.minutes(60, 0.1);
      return route.errors().length > before;
    };
    expect(seeds.map((seed) => relapseHeard(seed, 60))).toEqual(seeds.map(() => true));
    expect(seeds.map((seed) => relapseHeard(seed, 100))).toEqual(seeds.map(() => true));
  });

  it("reports each replica's share of a busy rate moving as replicas join or leave, not of a quieter one", () => {
    // Each replica's detector sees its own share: a fourth joining three takes a quarter of it, one
    // of three leaving gives each half as much again. Poisson counts, the step on the seventh hour.
    const heardAfterStep = (seed: number, perMinute: number, factor: number) => {
      const orders = minuteEngine('orders.placed', 'counter');
      const rand = prng(seed);
      for (let m = 1; m <= 480; m++) orders.feed(m, poisson(rand, m > 400 ? perMinute * factor : perMinute));
      return orders.heard.filter((e) => e.time > T0 + 400 * MINUTE && e.time <= T0 + 420 * MINUTE).length > 0;
    };
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(seeds.map((seed) => heardAfterStep(seed, 400, 1))).toEqual(seeds.map(() => false));
    for (const factor of [0.75, 1.5]) {
      expect(seeds.map((seed) => heardAfterStep(seed, 400, factor))).toEqual(seeds.map(() => true));
      expect(seeds.map((seed) => heardAfterStep(seed, 40, factor))).toEqual(seeds.map(() => false));
    }
  });

  it('stays quiet on a steady series with noise', async () => {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const depth = obs.metrics.gauge('queue.depth', { detect: true });
    const rand = prng(3);
    for (let cycle = 0; cycle < 300; cycle++) {
      depth.record(100 + (rand() - 0.5) * 20);
      await engine.runCycle();
    }
    expect(heard).toEqual([]);
    expect(engine.watchedSeries).toBe(1);
  });

  // The detector's episode opened on a one-minute jump and was still open when the fall that
  // followed it was confirmed: the event named the fall a spike, an excursion above the baseline.
  // A gauge at 50 +- 1 for two days, then its noise six times as wide for 100 minutes: a third of
  // its values still fall in the old band, and three in a row, or values beyond the band's other edge
  // (a fall after a spike was reported), ended the incident, so it was reported again and again,
  // named after whichever side it left the band on next: 44 events on these 12 runs, up to seven on
  // one. Judged on its first few cycles, the incident may still end early and be reported once more.
  it('reports noise grown sixfold once, not again and again as a spike, dip, shift or variance change', () => {
    const heardPerSeed: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const { heard, feed } = minuteEngine('queue.wait', 'gauge', 'ms');
      const noise = gaussian(prng(seed));
      const from = 3000;
      for (let m = 0; m < from + 160; m++) feed(m, 50 + (m >= from && m < from + 100 ? 6 : 1) * noise());
      const kinds = heard.map((e) => `${(e.time - T0) / MINUTE - from}: ${e.kind}`);
      if (kinds.length === 0 || kinds.length > 2) heardPerSeed.push(`seed ${seed}: ${kinds.join(', ')}`);
    }
    expect(heardPerSeed).toEqual([]);
  });

  // A gauge at 50 +- 1 for two days, then 150 for ten minutes, as under an overload, then 5 for an
  // hour, as after the crash that followed it: the fall went on the spike's incident, which lasts
  // while the series is outside its band on either side, and was reported on none of these runs.
  it('reports a fall right after a reported spike as an incident of its own', () => {
    const heardPerSeed: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const { heard, feed } = minuteEngine('queue.wait', 'gauge', 'ms');
      const noise = gaussian(prng(seed));
      const from = 2 * DAY_CYCLES;
      for (let m = 0; m < from + 100; m++) {
        feed(m, (m < from ? 50 : m < from + 10 ? 150 : m < from + 70 ? 5 : 50) + noise());
      }
      const heardWhen = heard.map((e) => {
        const minute = (e.time - T0) / MINUTE - from;
        const when = minute < 10 ? 'in the spike' : minute <= 15 ? 'in the fall' : `at ${minute}`;
        return `${e.observed > e.expected ? 'up' : 'down'} ${when}`;
      });
      heardPerSeed.push(`seed ${seed}: ${heardWhen.join(', ')}`);
    }
    expect(heardPerSeed).toEqual(
      Array.from({ length: 16 }, (_, i) => `seed ${i + 1}: up in the spike, down in the fall`),
    );
  });

  /**
   * Two days of minutes, then one value far beyond any the series could take (a duration since 0,
   * bytes for megabytes), then the series as before, and `after` minutes later ten times its level
   * for five minutes, on a gauge and on a route's p95: the runs whose rise went unreported, or was
   * reported inside a band wider than before.
   */
  function riseAfterAbsurd(after: number): string[] {
    const missed: string[] = [];
    const from = 3000;
    const rise = from + after;
    for (let seed = 1; seed <= 16; seed++) {
      const gauge = minuteEngine('db.query.duration', 'gauge', 'ms');
      const route = minuteCycles(new Set(), true);
      const noise = gaussian(prng(seed));
      for (let m = 0; m < rise + 5; m++) {
        const level = m === from ? 1.7e12 : m >= rise ? 1000 : 100;
        gauge.feed(m, level + (m === from ? 0 : 2 * noise()));
        // Twelve requests a cycle, the slowest of them (the p95 of so few) at `level` ms.
        const slowest = (m === from ? 1.7e12 : level * (1 + 0.02 * noise())) / 1000;
        route.feedPoints(m, [
          {
            ...requests('/products', 200, 12),
            histogram: {
              count: 12,
              sum: 11 * 0.05 + slowest,
              min: 0.05,
              max: slowest,
              buckets: {
                boundaries: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
                counts: [0, 11, 0, 0, 0, 0, 0, 1],
              },
            },
          },
        ]);
      }
      const rose = (heard: AnomalyEvent[], metric: string) =>
        heard.find((e) => e.metric === metric && e.time >= T0 + rise * MINUTE);
      const g = rose(gauge.heard, 'db.query.duration');
      if (!g || g.band.upper > 200) missed.push(`seed ${seed} gauge: ${g?.explanation}`);
      const p = rose(route.heard, 'http.server.request.duration.p95');
      if (!p || p.band.upper > 0.2) missed.push(`seed ${seed} p95: ${p?.explanation}`);
    }
    return missed;
  }

  // The value took the detector's noise floor with it, and the rise, inside a band a million wide,
  // went unreported on every one of these runs.
  it('reports a rise soon after one absurd value, on a gauge and on a p95, inside a band as before', () => {
    expect(riseAfterAbsurd(500)).toEqual([]);
  });

  // A day after it, the value joined the extremes the new-extreme rule measures against, fading
  // over two months, and the rise, smaller, was taken for a repeat on every one of these runs.
  it('reports a rise two days after one absurd value, on a gauge and on a p95', () => {
    expect(riseAfterAbsurd(2 * DAY_CYCLES)).toEqual([]);
  });

  it('names a fall right after a one-minute jump a fall, not the spike its episode opened on', () => {
    const kinds: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const { heard, feed } = minuteEngine('room.temperature', 'gauge', 'Cel');
      const rand = prng(seed);
      for (let m = 0; m < 300; m++) feed(m, 20 + (rand() - 0.5) * 2);
      feed(300, 30);
      for (let m = 301; m < 330; m++) feed(m, 12 + (rand() - 0.5) * 2);
      kinds.push(
        ...heard.map((e) => `seed ${seed}: ${e.kind}, ${e.explanation.split(': ')[1]?.split(',')[0]}`),
      );
    }
    expect(kinds).toEqual(Array.from({ length: 8 }, (_, i) => `seed ${i + 1}: dip, dip down`));
  });

  it('sees a gauge in whole milliseconds step up as it sees it in seconds', async () => {
    // Whole numbers in a unit of measure are not counts: no Poisson noise floor hides a 40 % rise.
    for (const unit of ['ms', 's']) {
      const { obs, engine } = start();
      const heard: AnomalyEvent[] = [];
      obs.onAnomaly((e) => heard.push(e));
      const query = obs.metrics.gauge('db.query.time', { unit, detect: true });
      const rand = prng(5);
      const cycle = async (ms: number) => {
        query.record(unit === 'ms' ? ms : ms / 1000);
        await engine.runCycle();
      };
      for (let c = 0; c < 150; c++) await cycle(40 + Math.round((rand() - 0.5) * 6));
      for (let c = 0; c < 5; c++) await cycle(56 + Math.round((rand() - 0.5) * 6));
      expect(
        heard.map((e) => e.metric),
        unit,
      ).toEqual(['db.query.time']);
      await obs.shutdown();
    }
  });

  it('flags an error burst on a route that never failed before', async () => {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    // The series the HTTP integrations record; recorded directly so the test drives the cycles.
    const duration = obs.metrics.histogram('http.server.request.duration', { unit: 's' });
    const route = { 'http.request.method': 'GET', 'http.route': '/products' };
    const rand = prng(11);
    const cycle = async (errors: number) => {
      for (let i = 0; i < 20; i++) {
        const failed = i < errors;
        duration.record(0.01 + rand() * 0.01, {
          ...route,
          'http.response.status_code': failed ? 503 : 200,
          ...(failed ? { 'error.type': '503' } : {}),
        });
      }
      await engine.runCycle();
    };
    for (let c = 0; c < 60; c++) await cycle(0);
    expect(heard).toEqual([]);
    for (let c = 0; c < 5; c++) await cycle(10);
    const burst = heard.filter((e) => e.metric === 'http.server.error.rate');
    expect(burst).toHaveLength(1);
    // The detector's baseline is a rounding error above no errors ('expected 9.84e-10 %'): the
    // route expects none, and no multiple of none means anything.
    expect(burst[0]).toMatchObject({ observed: 0.5, expected: 0, attributes: route });
    expect(burst[0]?.explanation).toMatch(
      /^http\.server\.error\.rate on GET \/products: level shift up, observed 50 % vs expected 0 %, normal band 0\.\.\S+ %, severity \d+$/,
    );
  });

  // Twelve runs of random failures: on some, the burst's noise around the level taken from it
  // opened episodes that took a level of the burst as the one to return to, and the second burst
  // went unseen.
  it.each(Array.from({ length: 12 }, (_, i) => i + 1))(
    'reports a lasting error burst once, and the next burst after the route recovered (seed %i)',
    async (seed) => {
      const { obs, engine } = start();
      const heard: AnomalyEvent[] = [];
      obs.onAnomaly((e) => heard.push(e));
      const duration = obs.metrics.histogram('http.server.request.duration', { unit: 's' });
      const route = { 'http.request.method': 'GET', 'http.route': '/products' };
      const rand = prng(seed);
      // Each request fails at random, as in a real burst: the error rate wanders around its ratio.
      const cycle = async (errorRatio: number) => {
        for (let i = 0; i < 12; i++) {
          const failed = rand() < errorRatio;
          duration.record(0.01 + rand() * 0.01, {
            ...route,
            'http.response.status_code': failed ? 503 : 200,
            ...(failed ? { 'error.type': '503' } : {}),
          });
        }
        await engine.runCycle();
      };
      const bursts = () => heard.filter((e) => e.metric === 'http.server.error.rate');
      for (let c = 0; c < 60; c++) await cycle(0);
      // The detector takes the burst as its new level after a few cycles, with the noise its
      // cycles show: one incident while it lasts.
      for (let c = 0; c < 40; c++) await cycle(0.5);
      expect(bursts().map((e) => e.explanation)).toHaveLength(1);
      for (let c = 0; c < 20; c++) await cycle(0);
      for (let c = 0; c < 10; c++) await cycle(0.5);
      expect(bursts()).toHaveLength(2);
      expect(bursts()[1]?.expected).toBeLessThan(0.05);
    },
  );

  // Three hours without errors, enough for the likelihood to have learned the route. The
  // recurring-spike rule took the second burst's points after its first for repeats of the first
  // burst, and the likelihood kept what it learned at the burst's level once the route was back at
  // zero, expecting that much surprise: the second burst went unseen on 11 of these 12 runs.
  it('reports the next burst after a long error-free history and a recovery', () => {
    const missed: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const { minutes, errors: bursts } = randomFailures(seed);
      minutes(180, 0);
      minutes(40, 0.5);
      const first = bursts().length;
      minutes(20, 0);
      minutes(10, 0.5);
      if (first !== 1 || bursts().length !== 2 || !(bursts()[1]!.expected < 0.05)) {
        missed.push(
          `seed ${seed}: ${bursts()
            .map((e) => e.explanation)
            .join('; ')}`,
        );
      }
    }
    expect(missed).toEqual([]);
  });

  // Twelve requests a minute failing one in twenty: half the minutes see no error, and three in a
  // row, taken for the route back to none, every few minutes. Each next error was a new event: one
  // to five over six hours on these runs, for one incident.
  it('reports lasting sparse errors on a route once, and a burst after an error-free half hour', () => {
    const repeated: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const { minutes, errors } = randomFailures(seed);
      minutes(180, 0);
      minutes(6 * 60, 0.05);
      const lasting = errors().length;
      minutes(30, 0);
      minutes(10, 0.5);
      if (lasting !== 1 || errors().length !== 2) {
        repeated.push(
          `seed ${seed}: ${errors().map((e) => `${(e.time - T0) / MINUTE} min: ${e.explanation}`)}`,
        );
      }
    }
    expect(repeated).toEqual([]);
  });

  // A route failing now and then, as it always has. Its band, learned with each minute's errors
  // clipped to a few of its own widths, expects a rounding error above none (3e-5 where one error
  // in 300 is 3e-3), and a minute with more errors than any before it, followed by one with an
  // error, was reported as a spike or a level shift in the route's first hours on 7 of these 24 runs.
  it("does not report a route's usual odd errors in its first hours, and reports a burst on them", () => {
    const reported: string[] = [];
    const missed: string[] = [];
    for (const [perMinute, errorRatio, burstRatio] of [
      [300, 0.001, 0.05],
      [12, 0.02, 0.5],
    ] as const) {
      for (let seed = 1; seed <= 12; seed++) {
        const { minutes, errors } = randomFailures(seed, perMinute);
        minutes(12 * 60, errorRatio);
        for (const e of errors()) {
          reported.push(`${perMinute}/min seed ${seed}, ${(e.time - T0) / MINUTE} min: ${e.explanation}`);
        }
        const before = errors().length;
        minutes(10, burstRatio);
        if (errors().length !== before + 1) missed.push(`${perMinute}/min seed ${seed}`);
      }
    }
    expect(reported).toEqual([]);
    expect(missed).toEqual([]);
  });

  // Each minute of the rise has an error or two more often than not, which its usual share gives a
  // minute now and then, and the detector takes the errors as its level within minutes: the rise
  // went unreported on 10, 11, 1 and 9 of these 16 runs, though the half hour held ten times the
  // errors its usual share gives it.
  it("reports a route's errors rising for half an hour to a few a minute, once", () => {
    const heard: string[] = [];
    for (const [label, perMinute, usual, raised] of [
      ['120/min 0.1% to 1%', 120, 0.001, 0.01],
      ['120/min 1% to 5%', 120, 0.01, 0.05],
      ['120/min 0% to 0.5%', 120, 0, 0.005],
      ['daily 120 to 1,200/min 0.1% to 1%', (m: number) => 120 + 1080 * dailyShape(m), 0.001, 0.01],
    ] as const) {
      for (let seed = 1; seed <= 16; seed++) {
        const { minutes, errors } = randomFailures(seed, perMinute);
        const line = (when: string) => (e: AnomalyEvent) =>
          `${label} seed ${seed} ${when}, ${(e.time - T0) / MINUTE} min: ${e.explanation}`;
        minutes(14 * 60, usual);
        const before = errors().length;
        minutes(30, raised);
        minutes(5, usual);
        const rise = errors().length - before;
        minutes(120, usual);
        heard.push(
          `${label} seed ${seed}: ${rise} in the rise`,
          ...errors().slice(0, before).map(line('before')),
        );
        heard.push(
          ...errors()
            .slice(before + rise)
            .map(line('after')),
        );
      }
    }
    expect(heard.filter((line) => !line.endsWith(': 1 in the rise'))).toEqual([]);
  });

  // A busy route failing five times as often for four hours: a minute with half again as many errors
  // as that reported it, and a few minutes after with fewer than the rise gives, each inside the
  // band, were judged against that one minute's rate and ended the incident, which its next half
  // hour reported again on 1 of these 8 runs. Its return to its usual share still ends it.
  it("reports a route's errors rising fivefold for hours once, and a burst after their return", () => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const { minutes, errors } = randomFailures(seed, 1200);
      minutes(14 * 60, 0.001);
      const before = errors().length;
      minutes(4 * 60, 0.005);
      const rise = errors().length - before;
      minutes(60, 0.001);
      const back = errors().length - before - rise;
      minutes(10, 0.05);
      const burst = errors().length - before - rise - back;
      heard.push(`seed ${seed}: ${before} before, ${rise} in the rise, ${back} back, ${burst} in the burst`);
    }
    expect(heard.filter((line) => !line.endsWith('0 before, 1 in the rise, 0 back, 1 in the burst'))).toEqual(
      [],
    );
  });

  // Half an hour of its errors holds a few more than its usual share gives now and then: that share
  // is taken high by the noise of the few errors it holds, and the chance judged is one in a million.
  it('stays quiet over two days of a route failing as it always does, a few requests a minute', () => {
    const heard: string[] = [];
    for (const usual of [0.001, 0.01, 0.05]) {
      for (let seed = 1; seed <= 8; seed++) {
        const { minutes, errors } = randomFailures(seed, (m) => 12 + 108 * dailyShape(m));
        minutes(2 * DAY_CYCLES, usual);
        for (const e of errors())
          heard.push(`${usual} seed ${seed}, ${(e.time - T0) / MINUTE} min: ${e.explanation}`);
      }
    }
    expect(heard).toEqual([]);
  });

  // A p95 rising from 0.12 s to 0.2 s inside the 0.1 to 0.25 s bucket hardly moves the interpolated
  // p95 of sixty requests a minute, nor do 5 % of them timing out at 10 s, which put the p95 at the
  // edge of the timeouts: the rise went unreported for an hour on 6 of these 16 runs, the timeouts
  // on 1, and 3 more reported the timeouts twice. The share of the requests over 0.25 s rose tenfold.
  it("reports a route's p95 rising inside its bucket, or 5 % of its requests timing out, once", () => {
    const heard: string[] = [];
    for (const [label, during] of [
      ['p95 0.12 s to 0.2 s', (rand: () => number) => lognormal(rand, 0.07, 0.2)],
      ['5 % timing out at 10 s', (rand: () => number) => (rand() < 0.05 ? 10 : lognormal(rand, 0.05, 0.12))],
    ] as const) {
      for (let seed = 1; seed <= 16; seed++) {
        const start = 2 * DAY_CYCLES + 600;
        const { minutes, latency, engine } = timedRoute(
          seed,
          () => 60,
          (rand, m) => (m >= start && m < start + 60 ? during(rand) : lognormal(rand, 0.05, 0.12)),
        );
        minutes(start);
        const before = latency().length;
        minutes(65);
        const rise = latency().slice(before);
        minutes(120);
        const after = latency().length - before - rise.length;
        heard.push(
          `${label} seed ${seed}: ${before} before, ${rise.length} in the rise, ${after} after, ${engine.activeEpisodes} open`,
        );
      }
    }
    expect(heard.filter((line) => !line.endsWith(': 0 before, 1 in the rise, 0 after, 0 open'))).toEqual([]);
  });

  // A database that times out twice on a route's first day: its requests take 5 to 6 s for a quarter
  // hour, and again three hours later. The p95's noise had been five of its widths off now and then,
  // and those runs of outliers, with the first outage as the largest, made the second one a spike
  // the route showed again and again: it went unreported on 16 of these 16 runs.
  it("reports a route's latency in a second database outage hours after a first, on its first day", () => {
    const missed: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const first = 300;
      const second = first + 15 + 180;
      const down = (m: number) => (m >= first && m < first + 15) || (m >= second && m < second + 15);
      const { minutes, latency } = timedRoute(
        seed,
        () => 20,
        (rand, m) => (down(m) ? 5 + rand() : lognormal(rand, 0.02, 0.04)),
      );
      minutes(second);
      const before = latency().length;
      minutes(15);
      if (before !== 1 || latency().length !== 2) {
        missed.push(
          `seed ${seed}: ${latency().map((e) => `${(e.time - T0) / MINUTE} min: ${e.explanation}`)}`,
        );
      }
    }
    expect(missed).toEqual([]);
  });

  // A deploy that makes a route slower for good (a p95 from 0.12 s to 0.2 s) is reported and held
  // as the route's new level. Its requests over 0.25 s were judged against their share before it, so
  // the incident never ended, and no later rise of their share was judged: 3 % of the requests timing
  // out at 10 s three days later, which leave the p95 where it was, went unreported on 7 of 16 runs.
  // (One run's p95 has a variance event in between, as it had before the buckets were judged.)
  it("judges a route's requests over a bound again once a slower latency is its new level", () => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const deploy = 2 * DAY_CYCLES + 600;
      const timeouts = 5 * DAY_CYCLES + 600;
      const { minutes, latency } = timedRoute(
        seed,
        () => 60,
        (rand, m) =>
          m >= timeouts && m < timeouts + 60 && rand() < 0.03
            ? 10
            : m >= deploy
              ? lognormal(rand, 0.07, 0.2)
              : lognormal(rand, 0.05, 0.12),
      );
      minutes(deploy + 65);
      const step = latency().length;
      minutes(timeouts - deploy - 65);
      const before = latency().length;
      minutes(65);
      heard.push(`seed ${seed}: ${step} on the deploy, ${latency().length - before} on the timeouts`);
    }
    expect(heard.filter((line) => !line.endsWith(': 1 on the deploy, 1 on the timeouts'))).toEqual([]);
  });

  // A route slow for a few minutes every hour from its third day (a batch job sharing its database):
  // its first slow phases are incidents; once one has come back at the same minutes of the hour a
  // few times it is the route's habit. The p95 from 0.12 s to 0.4 s for ten minutes was reported 7 to
  // 12 times a run, each hour for about ten hours, by the p95's window and level-shift checks, its
  // share of requests over a bound and the drift rule; at 1 to 2 s, 4 or 5 times. The detector opens
  // no episode on most phases of five minutes after its first hours, so their repeats are seen
  // fewer times, and one it opens half a day later may be reported as a fourth.
  it('reports a route slow for minutes every hour a few times, not every hour for hours', () => {
    const heard: string[] = [];
    for (const [label, minutes, most, during] of [
      ['p95 0.4 s for 10 min', 10, 3, (r: () => number) => lognormal(r, 0.15, 0.4)],
      ['1 to 2 s for 10 min', 10, 3, (r: () => number) => 1 + r()],
      ['p95 0.8 s for 5 min', 5, 4, (r: () => number) => lognormal(r, 0.3, 0.8)],
    ] as const) {
      for (let seed = 1; seed <= 8; seed++) {
        const from = 2 * DAY_CYCLES;
        const slow = (m: number) => m >= from && m % 60 >= 20 && m % 60 < 20 + minutes;
        const route = timedRoute(
          seed,
          () => 60,
          (rand, m) => (slow(m) ? during(rand) : lognormal(rand, 0.05, 0.12)),
        );
        route.minutes(from);
        const before = route.latency().length;
        route.minutes(DAY_CYCLES);
        const hours = route
          .latency()
          .slice(before)
          .map((e) => Math.floor((e.time - T0) / MINUTE / 60 - 48));
        if (before > 0 || hours.length === 0 || hours.length > most)
          heard.push(`${label} seed ${seed}: ${before} before, ${hours.length} in the day (hours ${hours})`);
      }
    }
    expect(heard).toEqual([]);
  });

  // ...while a slow phase at another time of the hour, or one far slower than the repeats, is new,
  // also in the half hour a repeat is held open, until the route's requests over a bound are back to
  // their usual share.
  it('reports a slow phase at another time of the hour, or one far slower, on a route slow every hour', () => {
    const missed: string[] = [];
    for (const [label, other, seconds] of [
      ['p95 0.4 s at 5 past', 5, (r: () => number) => lognormal(r, 0.15, 0.4)],
      ['p95 0.6 s at 45 past', 45, (r: () => number) => lognormal(r, 0.2, 0.6)],
      ['3 s at its time', 20, () => 3],
    ] as const) {
      for (let seed = 1; seed <= 8; seed++) {
        const from = 2 * DAY_CYCLES;
        const hour = from + 5 * 60;
        const habit = (m: number) => m >= from && m % 60 >= 20 && m % 60 < 30;
        const odd = (m: number) => m >= hour + other && m < hour + other + 10;
        const route = timedRoute(
          seed,
          () => 60,
          (rand, m) =>
            odd(m) ? seconds(rand) : habit(m) ? lognormal(rand, 0.15, 0.4) : lognormal(rand, 0.05, 0.12),
        );
        route.minutes(hour + other);
        const before = route.latency().length;
        route.minutes(15);
        if (route.latency().length !== before + 1)
          missed.push(`${label} seed ${seed}: ${route.latency().length - before} events`);
      }
    }
    expect(missed).toEqual([]);
  });

  // ...but a repeat is judged on its first cycles alone: one that does not end when the phases it
  // repeats did (the job's slow phase become a lasting slowdown), or grows far slower than them a
  // few minutes in, was held back for good. A p95 of 0.4 or 0.7 s from the habit's minutes on for
  // four hours went unreported on 16 of 16 seeded runs (each reported within minutes before the
  // repeats were remembered), and one at 3 s from four minutes in on 1 of 8; orders halved from
  // the minute of the hour they dip at every hour, for four hours, on 4 of 8.
  it('reports a slow phase, or a dip, that starts as the repeats do but lasts or grows', () => {
    const missed: string[] = [];
    const from = 2 * DAY_CYCLES;
    const hour = from + 5 * 60;
    for (const [label, begins, during] of [
      ['p95 0.4 s for 4 h', 20, (r: () => number) => lognormal(r, 0.15, 0.4)],
      ['p95 0.7 s for 4 h', 20, (r: () => number) => lognormal(r, 0.25, 0.7)],
      ['3 s for 4 h from 4 min in', 24, () => 3],
    ] as const) {
      for (let seed = 1; seed <= 8; seed++) {
        const habit = (m: number) => m >= from && m % 60 >= 20 && m % 60 < 30;
        const odd = (m: number) => m >= hour + begins && m < hour + 20 + 240;
        const route = timedRoute(
          seed,
          () => 60,
          (rand, m) =>
            odd(m) ? during(rand) : habit(m) ? lognormal(rand, 0.15, 0.4) : lognormal(rand, 0.05, 0.12),
        );
        route.minutes(hour + 20);
        const before = route.latency().length;
        route.minutes(30);
        if (route.latency().length !== before + 1)
          missed.push(`${label} seed ${seed}: ${route.latency().length - before} events`);
      }
    }
    for (let seed = 1; seed <= 8; seed++) {
      const { heard, feed } = minuteEngine('orders.placed', 'counter');
      const rand = prng(seed);
      for (let m = 0; m < hour + 30; m++)
        feed(m, poisson(rand, m >= hour || (m >= from && m % 60 < 10) ? 40 : 100));
      const reported = heard.filter((e) => (e.time - T0) / MINUTE >= hour);
      if (reported.length !== 1) missed.push(`orders halved seed ${seed}: ${reported.length} events`);
    }
    expect(missed).toEqual([]);
  });

  // A route failing one request in two for ten minutes every hour (a job on the hour that times out
  // its database) fails them all, one hour, from the hour on: no more than twice as far from its
  // usual share as its bursts, that was taken for one more of them, and missed on 4 or 5 of 8
  // seeded runs, on 1 of 8 before the repeats were remembered (the detector's level has followed
  // the bursts on it).
  it('reports a route failing every request at the minutes of the hour it fails one in two at', () => {
    const missed: string[] = [];
    for (const [burst, failing] of [
      [0.5, 1],
      [0.5, 0.95],
      [0.6, 1],
    ] as const) {
      let runs = 0;
      for (let seed = 1; seed <= 8; seed++) {
        const { heard, feed } = minuteRoute();
        const rand = prng(seed);
        const from = 2 * DAY_CYCLES;
        const hour = from + 5 * 60;
        for (let m = 0; m < hour + 30; m++) {
          const count = poisson(rand, 60);
          const share = m >= hour && m < hour + 15 ? failing : m >= from && m % 60 < 10 ? burst : 0.002;
          feed(m, count, Array.from({ length: count }, rand).filter((u) => u < share).length);
        }
        if (heard.some((e) => (e.time - T0) / MINUTE >= hour && (e.time - T0) / MINUTE < hour + 15)) runs++;
      }
      if (runs < 7) missed.push(`${failing} failing after bursts of ${burst}: reported on ${runs} of 8`);
    }
    expect(missed).toEqual([]);
  });

  // A rate that dips for ten minutes every hour (a job on the hour that holds the service up) has
  // made its dips a habit by its fifth hour; one hour the service stops instead. Taken for one more
  // repeat of the dips (a fall to zero is no more than twice as far as a dip to 40 %), and held
  // as the dip it opened as, its outage went out on none of 16 seeded runs when it began four
  // minutes into the dip, and was missed on 5 of 16 when it began with it.
  it('reports an outage at the minutes of the hour a rate dips at every hour', () => {
    const missed: string[] = [];
    for (const dip of [40, 20]) {
      for (const late of [0, 4]) {
        for (let seed = 1; seed <= 8; seed++) {
          const { heard, feed } = minuteEngine('orders.placed', 'counter');
          const rand = prng(seed);
          const from = 2 * DAY_CYCLES;
          const outage = from + 5 * 60 + late;
          for (let m = 0; m < outage + 60; m++) {
            const out = m >= outage && m < outage + 30;
            feed(m, out ? 0 : poisson(rand, m >= from && m % 60 < 10 ? dip : 100));
          }
          const at = (e: AnomalyEvent) => (e.time - T0) / MINUTE;
          const reported = heard.filter((e) => at(e) >= outage && at(e) < outage + 30 && e.observed === 0);
          if (reported.length !== 1)
            missed.push(`dips to ${dip}, out ${late} min in, seed ${seed}: ${reported.length}`);
        }
      }
    }
    expect(missed).toEqual([]);
  });

  it("says that a route's latency judged on its requests over a bound quotes their share", () => {
    const start = 2 * DAY_CYCLES + 600;
    const { minutes, latency } = timedRoute(
      1,
      () => 60,
      (rand, m) => lognormal(rand, m >= start ? 0.07 : 0.05, m >= start ? 0.2 : 0.12),
    );
    minutes(start + 60);
    expect(latency()[0]?.explanation).toMatch(
      /^http\.server\.request\.duration\.p95 on GET \/r: level shift up, observed [\d.]+ %, the share of requests over 0\.25 s in the last \d+ min, vs expected [\d.]+ %/,
    );
  });

  // Judged on their requests over a bound, healthy routes must stay as quiet as their p95 keeps them:
  // a p95 on a bound, cache hits and misses in a share that wanders, a few requests a minute, a
  // daily pattern of the latency itself.
  it('stays quiet over three days of healthy latency shapes, judged on the share of slow requests too', () => {
    const heard: string[] = [];
    const daily = (m: number) => 1 + dailyShape(m);
    for (const [label, perMinute, seconds] of [
      ['p95 on the 0.1 s bound', () => 60, (r: () => number) => lognormal(r, 0.04, 0.1)],
      [
        'hits 5 ms, misses 200 ms, 3 to 8 %',
        () => 60,
        (r: () => number, m: number) =>
          r() < 0.055 + 0.025 * Math.sin(m / 97) ? lognormal(r, 0.2, 0.3) : lognormal(r, 0.005, 0.008),
      ],
      [
        '2 to 10 a minute',
        (m: number) => 2 + 8 * dailyShape(m),
        (r: () => number) => lognormal(r, 0.05, 0.15),
      ],
      [
        'daily p95 0.09 s to 0.18 s',
        (m: number) => 30 + 270 * dailyShape(m),
        (r: () => number, m: number) => lognormal(r, 0.04 * daily(m), 0.09 * daily(m)),
      ],
    ] as const) {
      for (let seed = 1; seed <= 4; seed++) {
        const { minutes, latency } = timedRoute(seed, perMinute, seconds);
        minutes(3 * DAY_CYCLES);
        for (const e of latency())
          heard.push(`${label} seed ${seed}, ${(e.time - T0) / MINUTE} min: ${e.explanation}`);
      }
    }
    expect(heard).toEqual([]);
  });

  // A route's blocks tell its clumps only after hours: before, its last half hour's errors in clumps
  // of three or five passed for twice its share or more, at a one-in-a-million chance, on 2 of these
  // 32 runs, as its blocks' measure of their clumps, from one to three of them, was one or less.
  it("judges a route's recent errors that come in clumps as clumps in its first day", () => {
    const heard: string[] = [];
    for (const [label, perMinute, usual, clump] of [
      ['daily 30 to 630/min 0.5% in threes', (m: number) => 30 + 600 * dailyShape(m), 0.005, 3],
      ['60/min 2% in fives', 60, 0.02, 5],
    ] as const) {
      for (let seed = 1; seed <= 16; seed++) {
        const { minutes, errors } = randomFailures(seed, perMinute, clump);
        minutes(6 * 60, usual);
        for (const e of errors())
          if (e.explanation.includes('the share of the last'))
            heard.push(`${label} seed ${seed}, ${(e.time - T0) / MINUTE} min: ${e.explanation}`);
      }
    }
    expect(heard).toEqual([]);
  });

  // A route at twelve requests a minute whose first two hours saw no error, then one failing request
  // in about one minute in eight, never two. Once a few of them were seen, the detector opened an
  // episode on each next one, as it exceeded the faded record of the last by a tenth of a percent,
  // and two in a row were reported: 29 events over these 24 runs' five hours after the first.
  it("does not report a route's lone errors every few minutes once they recur, after an error-free start", () => {
    const reported: string[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const { heard, feed } = minuteRoute();
      const rand = prng(seed);
      for (let cycle = 0; cycle < 120 + 360; cycle++) feed(cycle, 12, cycle >= 120 && rand() < 0.12 ? 1 : 0);
      for (const e of heard.filter((e) => e.time >= T0 + 180 * MINUTE)) {
        reported.push(`seed ${seed}, ${(e.time - T0) / MINUTE} min: ${e.explanation}`);
      }
    }
    expect(reported).toEqual([]);
  });

  // The same route failing one request in a hundred: now and then a minute has two errors, and each
  // lone error after it, for a day, was a new extreme again, its episode holding it out of the
  // extremes in turn, and reported when the next minute had an error too (three events on seed 5).
  it("reports a route's usual lone errors at most once after their first hour, also after a minute with two", () => {
    const repeated: string[] = [];
    for (let seed = 1; seed <= 24; seed++) {
      const { minutes, errors } = randomFailures(seed);
      minutes(120, 0);
      minutes(60, 0.01);
      const first = errors().length;
      minutes(300, 0.01);
      if (errors().length > first + 1) {
        repeated.push(
          `seed ${seed}: ${errors().map((e) => `${(e.time - T0) / MINUTE} min: ${e.explanation}`)}`,
        );
      }
    }
    expect(repeated).toEqual([]);
  });

  // The same errors after a day without any: once the detector took them as the route's level, its
  // drift rule, judging the minutes against the error-free day, reported a minute with three or four
  // errors as a build-up of its own, confirmed on that one minute, on 4 of these 12 runs.
  it('does not report lasting sparse errors after an error-free day again as a drift', () => {
    const drifts: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const { minutes, errors } = randomFailures(seed);
      minutes(DAY_CYCLES, 0);
      minutes(6 * 60, 0.05);
      const [first, ...later] = errors();
      expect(first?.observed, `seed ${seed}`).toBeGreaterThan(0);
      for (const e of later.filter((e) => e.kind === 'drift')) {
        drifts.push(`seed ${seed}, ${(e.time - T0) / MINUTE} min: ${e.explanation}`);
      }
    }
    expect(drifts).toEqual([]);
  });

  // Clients moving from /v1 to /v2 routes at once, as a client's deploy does: each /v1 route was
  // reported as an outage, five events in the same minute, and held open in `active` for good. With
  // every watched series taken, the new routes find room only as the old ones are forgotten.
  it.each([
    { watched: 'room to spare', maxSeries: 1000 },
    { watched: 'maxSeries watched', maxSeries: 15 },
  ])(
    'forgets routes whose requests went on under new names, and reports no outage for them, with $watched',
    ({ maxSeries }) => {
      const { heard, engine, feedPoints } = minuteCycles(new Set(), true, undefined, maxSeries);
      const rand = prng(1);
      const names = ['/orders', '/cart', '/items', '/users', '/search'];
      for (let cycle = 0; cycle < 600; cycle++) {
        const version = cycle < 300 ? '/v1' : '/v2';
        feedPoints(
          cycle,
          names.map((name) => requests(`${version}${name}`, 200, 20 + Math.round(rand() * 10))),
        );
        if (cycle === 299) expect(engine.watchedSeries).toBe(15);
      }
      expect(heard.map((e) => e.explanation)).toEqual([]);
      expect(engine.activeEpisodes).toBe(0);
      expect([...engine.bands()].map((b) => String(b.attributes['http.route'])).sort()).toEqual(
        names.flatMap((name) => Array(3).fill(`/v2${name}`)).sort(),
      );
    },
  );

  it('still reports a route that stops while a new one takes a little of its traffic, or none of it matched', () => {
    for (const [moved, to] of [
      [3, '/v2/orders'],
      [25, 'unmatched'],
    ] as const) {
      const { heard, feedPoints } = minuteCycles(new Set(), true);
      const rand = prng(2);
      for (let cycle = 0; cycle < 310; cycle++) {
        const count = 20 + Math.round(rand() * 10);
        feedPoints(cycle, [
          cycle < 300
            ? requests('/v1/orders', 200, count)
            : requests(to, to === 'unmatched' ? 404 : 200, moved),
        ]);
      }
      expect(
        heard.map((e) => `${e.metric} on ${String(e.attributes['http.route'])}, observed ${e.observed}`),
        to,
      ).toEqual(['http.server.request.rate on /v1/orders, observed 0']);
    }
  });

  // A route's series holds no outcome, but a watched counter's attributes may: every payment now
  // failing moves its count to an outcome never seen before, which is the outage, not a new name.
  it('reports the outage of a watched counter whose count moves to an outcome it never had', () => {
    const { heard, feedPoints } = minuteCycles(new Set(['payments']), false);
    const rand = prng(1);
    for (let cycle = 0; cycle < 310; cycle++) {
      const outcome = cycle < 300 ? 'ok' : 'declined';
      feedPoints(cycle, [
        {
          name: 'payments',
          description: '',
          unit: '',
          kind: 'counter',
          temporality: 'delta',
          monotonic: true,
          attributes: { outcome },
          startTimeMs: 0,
          timeMs: 0,
          value: 40 + Math.round(rand() * 10),
        },
      ]);
    }
    expect(
      heard.map((e) => `${e.metric} {outcome=${String(e.attributes.outcome)}}, observed ${e.observed}`),
    ).toEqual(['payments {outcome=ok}, observed 0']);
  });

  it('does not call a fast route slow while its p95 stays inside the first bucket, yet sees it leave', async () => {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const duration = obs.metrics.histogram('http.server.request.duration', {
      unit: 's',
      // OpenTelemetry's default buckets start at 0, so the bound that matters is the first positive one.
      buckets: [0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    });
    const route = { 'http.request.method': 'GET', 'http.route': '/health', 'http.response.status_code': 200 };
    const rand = prng(5);
    // Under the first bound the p95 is the cycle's slowest request, so one slow request per
    // cycle (a GC pause under load) moves it from 0.7 ms to 4 ms while the route is as fast.
    const cycle = async (slowest: number, typical = 0.0005) => {
      for (let i = 0; i < 40; i++) duration.record(typical + rand() * 0.0002, route);
      duration.record(slowest, route);
      await engine.runCycle();
    };
    for (let c = 0; c < 60; c++) await cycle(0.0007 + rand() * 0.0001);
    for (let c = 0; c < 10; c++) await cycle(0.003 + rand() * 0.001);
    const p95 = () => heard.filter((e) => e.metric === 'http.server.request.duration.p95');
    expect(p95()).toEqual([]);
    for (let c = 0; c < 10; c++) await cycle(0.08 + rand() * 0.01, 0.06);
    expect(p95()).toHaveLength(1);
    expect(p95()[0]?.observed).toBeGreaterThan(0.05);
  });

  // Rounded to three decimals, a p95 of 6.5 ms against 4.5 ms read "observed 0.006 s vs expected
  // 0.004 s (1.441x expected), normal band 0.004..0.005 s": a band of 4.2 to 4.8 ms shown as its
  // own expected value to one above it, and a multiple the figures beside it do not give.
  it("quotes a fast route's p95 with the digits that tell it from its expected value and band", async () => {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const duration = obs.metrics.histogram('http.server.request.duration', {
      unit: 's',
      buckets: [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1],
    });
    const route = { 'http.request.method': 'GET', 'http.route': '/a', 'http.response.status_code': 200 };
    const rand = prng(3);
    const cycle = async (slowest: number) => {
      for (let i = 0; i < 200; i++) duration.record(0.001 + rand() * (slowest - 0.001), route);
      await engine.runCycle();
    };
    for (let c = 0; c < 150; c++) await cycle(0.0045);
    for (let c = 0; c < 5; c++) await cycle(0.0065);
    expect(heard).toHaveLength(1);
    const figures = heard[0]!.explanation.match(
      /observed ([\d.]+) s vs expected ([\d.]+) s \(([\d.]+)x expected\), normal band ([\d.]+)\.\.([\d.]+) s/,
    );
    const [observed, expected, times, lower, upper] = figures!.slice(1).map(Number) as number[];
    expect(observed).toBeGreaterThan(upper!);
    expect(expected).toBeGreaterThan(lower!);
    expect(upper).toBeGreaterThan(expected!);
    expect(observed! / expected!).toBeCloseTo(times!, 1);
  });

  it("quotes a slow route's p95 as a multiple of its expected value, also when its band reaches zero", async () => {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const duration = obs.metrics.histogram('http.server.request.duration', {
      unit: 's',
      buckets: [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    });
    const route = { 'http.request.method': 'GET', 'http.route': '/a', 'http.response.status_code': 200 };
    const rand = prng(3);
    // Every third minute has slow requests, so the p95's band is wide enough to reach zero.
    for (let c = 0; c < 200; c++) {
      for (let i = 0; i < 30; i++) duration.record(0.02 + rand() * (c % 3 === 0 ? 0.4 : 0.05), route);
      await engine.runCycle();
    }
    for (let c = 0; c < 6; c++) {
      for (let i = 0; i < 30; i++) duration.record(2 + rand(), route);
      await engine.runCycle();
    }
    expect(heard).toHaveLength(1);
    const { observed, expected, band, explanation } = heard[0]!;
    expect(band.lower).toBe(0);
    expect(explanation).toContain(`(${Math.round((observed / expected) * 1000) / 1000}x expected)`);
  });

  it('reads only the instruments it watches, so every other recording is made once', async () => {
    const { obs, engine } = start();
    obs.metrics.counter('orders.placed', { detect: true }).add(1);
    obs.metrics.counter('cache.hits').add(1);
    obs.metrics.histogram('render.duration', { unit: 'ms' }).record(3);
    obs.metrics.histogram('http.server.request.duration', { unit: 's' }).record(0.01, { 'http.route': '/a' });
    obs.metrics.observableGauge('queue.depth', { detect: true }, (r) => r.observe(4));
    const { resourceMetrics } = await engine.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names.sort()).toEqual(['http.server.request.duration', 'orders.placed', 'queue.depth']);
  });

  it('keeps at most maxSeries detectors, forgetting the least recently seen', async () => {
    const captured = startCaptured({ metricInterval: 3_600_000, anomaly: { maxSeries: 50 } });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const c = captured.obs.metrics.counter('by.customer', { detect: true });
    for (let cycle = 0; cycle < 5; cycle++) {
      for (let i = 0; i < 100; i++) c.add(1, { customer: `c${cycle * 100 + i}` });
      await engine.runCycle();
    }
    expect(engine.watchedSeries).toBe(50);
  });

  // A busy rate gone silent is fed zeros so its outage is seen: it is no series to forget for a
  // newcomer, least recently seen as it is, least of all for the outcome its count moved to.
  it('reports the outage of a busy rate with every watched series taken, not forgetting it for a newcomer', async () => {
    const captured = startCaptured({ metricInterval: 3_600_000, anomaly: { maxSeries: 3, warmup: 30 } });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const heard: string[] = [];
    captured.obs.onAnomaly((e) =>
      heard.push(`${e.metric} ${JSON.stringify(e.attributes)}, observed ${e.observed}`),
    );
    const payments = captured.obs.metrics.counter('payments', { detect: true });
    const orders = captured.obs.metrics.counter('orders.placed', { detect: true });
    const rand = prng(3);
    for (let cycle = 0; cycle < 160; cycle++) {
      payments.add(40 + Math.round(rand() * 10), { outcome: cycle < 150 ? 'ok' : 'declined' });
      orders.add(40 + Math.round(rand() * 10), { region: 'eu' });
      orders.add(40 + Math.round(rand() * 10), { region: 'us' });
      await engine.runCycle();
    }
    expect(heard).toEqual(['payments {"outcome":"ok"}, observed 0']);
    expect(engine.activeEpisodes).toBe(1);
    expect(captured.obs.drops().anomaly_series_limit).toBe(10);
  });

  // Kept for good, busy rates that stopped for good (queues retired, a service's routes or tenants
  // churning) held every watched series, and no new series was ever watched again.
  it('watches new series once the busy rates gone silent that fill every watched series have been silent a day', () => {
    const detected = new Set(['jobs']);
    const { heard, engine, feedPoints } = minuteCycles(detected, false, undefined, 3);
    const jobs = (queue: string, value: number): NumberPoint => ({
      name: 'jobs',
      description: '',
      unit: '',
      kind: 'counter',
      temporality: 'delta',
      monotonic: true,
      attributes: { queue },
      startTimeMs: 0,
      timeMs: 0,
      value,
    });
    const rand = prng(5);
    const watched = () => [...engine.bands()].map((b) => String(b.attributes.queue)).sort();
    let newWatched: number | undefined;
    for (let cycle = 0; cycle < 300 + 2 * DAY_CYCLES; cycle++) {
      const queues = cycle < 300 ? ['q0', 'q1', 'q2'] : ['q3', 'q4', 'q5'];
      feedPoints(
        cycle,
        queues.map((q) => jobs(q, 40 + Math.round(rand() * 10))),
      );
      if (newWatched === undefined && watched().includes('q3')) newWatched = cycle;
    }
    // Each outage is reported, and held through its first day.
    expect(heard.map((e) => e.attributes.queue)).toEqual(['q0', 'q1', 'q2']);
    expect(newWatched).toBe(300 + DAY_CYCLES);
    expect(watched()).toEqual(['q3', 'q4', 'q5']);
  });

  // A gauge's series whose hosts went away (a fleet replaced) are held at their last values, as the
  // exporters send them, and were taken for live for good, as were an up-down counter's series of
  // hosts gone, their running totals: with every watched series one of them, no new host's series
  // was ever watched again.
  it.each([
    ['gauges held at their last values', 'gauge'],
    ['up-down counters nothing was added to', 'upDownCounter'],
  ] as const)(
    'watches new series once the %s that fill every watched series have been so a day',
    async (_what, kind) => {
      const captured = startCaptured({ metricInterval: 3_600_000, anomaly: { maxSeries: 3, warmup: 30 } });
      const engine = (captured.obs as SightlineInstance).anomalyEngine!;
      const rand = prng(4);
      const load = captured.obs.metrics.gauge('host.load', { detect: true });
      const jobs = captured.obs.metrics.upDownCounter('host.jobs', { detect: true });
      const record = (host: string) =>
        kind === 'gauge'
          ? load.record(40 + 10 * rand(), { host })
          : jobs.add(Math.round(10 * (rand() - 0.5)), { host });
      const watched = () => [...engine.bands()].map((b) => String(b.attributes.host)).sort();
      let newWatched: number | undefined;
      // A cycle an hour: a day is 24 of them.
      for (let cycle = 0; cycle < 100; cycle++) {
        for (const host of cycle < 40 ? ['a', 'b', 'c'] : ['d', 'e', 'f']) record(host);
        await engine.runCycle();
        if (newWatched === undefined && watched().includes('d')) newWatched = cycle;
      }
      expect(newWatched).toBe(40 + 24);
      expect(watched()).toEqual(['d', 'e', 'f']);
      // Each series not watched in a cycle is counted in it: the new hosts' for a day, then the old
      // ones' from the cycle after they were let go.
      expect(captured.obs.drops().anomaly_series_limit).toBe(3 * 24 + 3 * 35);
    },
  );

  // A gauge's series recorded as it changes that held still for a day and a half (the busy workers
  // of a pool through a weekend) still matters: the pools retired two days before it, held as long
  // as the exporters run, are let go first. The first held in the order of the cycle's samples was,
  // and the pool's fall to no busy worker, a fresh detector in warm-up, went unreported.
  it('lets go of the gauges held at their last values the longest first', async () => {
    const captured = startCaptured({ metricInterval: 3_600_000, anomaly: { maxSeries: 3, warmup: 30 } });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const heard: AnomalyEvent[] = [];
    captured.obs.onAnomaly((e) => heard.push(e));
    const busy = captured.obs.metrics.gauge('workers.busy', { detect: true });
    const rand = prng(3);
    const watched = () => [...engine.bands()].map((b) => String(b.attributes.pool)).sort();
    // A cycle an hour: a day is 24 of them.
    for (let cycle = 0; cycle < 110; cycle++) {
      if (cycle < 60) busy.record(40 + Math.round(6 * rand()), { pool: 'api' });
      if (cycle === 100) busy.record(0, { pool: 'api' });
      for (const pool of cycle < 30 ? ['batch1', 'batch2'] : cycle >= 96 ? ['batch3'] : [])
        busy.record(10 + Math.round(4 * rand()), { pool });
      await engine.runCycle();
    }
    expect(watched()).toEqual(['api', 'batch2', 'batch3']);
    expect(heard.map((e) => [e.attributes.pool, e.observed])).toEqual([['api', 0]]);
  });

  it.each([
    { limit: 100, customers: 150, exported: 100 },
    { limit: 3000, customers: 2500, exported: 2500 },
  ])(
    'watches the series of a detect: true metric the exporters keep under cardinalityLimit $limit',
    async ({ limit, customers, exported }) => {
      const captured = startCaptured({
        metricInterval: 3_600_000,
        cardinalityLimit: limit,
        anomaly: { maxSeries: 5000 },
      });
      const engine = (captured.obs as SightlineInstance).anomalyEngine!;
      const c = captured.obs.metrics.counter('by.customer', { detect: true });
      for (let i = 0; i < customers; i++) c.add(1, { customer: `c${i}` });
      await engine.runCycle();
      await captured.obs.forceFlush();
      const series = (attributes: Record<string, unknown>) =>
        `${attributes.customer ?? ''}${attributes['otel.metric.overflow'] ?? ''}`;
      const sent = captured.memory.metrics().filter((p) => p.name === 'by.customer');
      expect(sent).toHaveLength(exported);
      expect(new Set([...engine.bands()].map((b) => series(b.attributes)))).toEqual(
        new Set(sent.map((p) => series(p.attributes))),
      );
    },
  );

  /**
   * Twelve regions' orders (or routes' requests) a cycle under cardinalityLimit 10, recorded in an
   * order of each cycle's own, for 300 cycles; then `stopped` (the first region of the first cycle,
   * one the exporters keep) takes none, if given, for ten cycles. The events heard.
   */
  async function twelvePastLimit(seed: number, http: boolean, stopped?: boolean): Promise<string[]> {
    const captured = startCaptured({
      metricInterval: 3_600_000,
      cardinalityLimit: 10,
      anomaly: { warmup: 30 },
    });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const heard: string[] = [];
    captured.obs.onAnomaly((e) => heard.push(e.explanation));
    const orders = captured.obs.metrics.counter('orders.placed', { detect: true });
    const { duration } = httpServerInstruments(captured.obs);
    const rand = prng(seed);
    const names = Array.from({ length: 12 }, (_, r) => `r${r}`);
    for (let i = names.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [names[i], names[j]] = [names[j]!, names[i]!];
    }
    const first = names[0]!;
    const record = (name: string, n: number) => {
      if (!http) return orders.add(n, { region: name });
      const attributes = {
        'http.request.method': 'GET',
        'http.route': `/${name}`,
        'http.response.status_code': 200,
      };
      for (let k = 0; k < n; k++) duration.record(0.012 + rand() * 0.01, name, () => attributes);
    };
    for (let cycle = 0; cycle < 310; cycle++) {
      for (const name of names) {
        if (cycle >= 300 && stopped && name === first) continue;
        record(name, poisson(rand, 30));
      }
      await engine.runCycle();
      // The exporters collect each cycle too, as at one metricInterval.
      await captured.obs.forceFlush();
      for (let i = names.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [names[i], names[j]] = [names[j]!, names[i]!];
      }
    }
    await captured.obs.shutdown();
    return heard.map((e) => `seed ${seed}: ${e}`);
  }

  // The exporters keep the first series seen apart; a delta reader's overflow holds the ones
  // recorded last in each cycle, so a kept series was fed nothing in some cycles.
  it.each([
    { metric: 'a detect: true counter', http: false },
    { metric: 'the HTTP durations', http: true },
  ])('reports no outage of a series kept apart under cardinalityLimit, for $metric', async ({ http }) => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) heard.push(...(await twelvePastLimit(seed, http)));
    expect(heard).toEqual([]);
  });

  it.each([
    { metric: 'a detect: true counter', http: false, what: /orders\.placed.*level shift down/ },
    { metric: 'the HTTP durations', http: true, what: /http\.server\.request\.rate.*level shift down/ },
  ])(
    'still reports the outage of a series kept apart under cardinalityLimit, for $metric',
    async ({ http, what }) => {
      for (let seed = 1; seed <= 16; seed++) {
        const heard = await twelvePastLimit(seed, http, true);
        expect(heard).toHaveLength(1);
        expect(heard[0]).toMatch(what);
      }
    },
  );

  // The SDK's cumulative storage would hold every series ever recorded.
  it('holds a bounded number of series after 100,000 distinct attribute sets', async () => {
    const captured = startCaptured({
      metricInterval: 3_600_000,
      cardinalityLimit: 100,
      anomaly: { maxSeries: 5000 },
    });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const c = captured.obs.metrics.counter('by.customer', { detect: true });
    const { duration } = httpServerInstruments(captured.obs);
    const record = (id: string) => {
      c.add(1, { customer: id });
      duration.record(0.01, id, () => ({ 'http.request.method': 'GET', 'http.route': `/${id}` }));
    };
    const collected: number[] = [];
    for (let cycle = 0; cycle < 5; cycle++) {
      for (let i = 0; i < 10_000; i++) record(`c${cycle * 10_000 + i}`);
      const { resourceMetrics } = await engine.collect();
      for (const sm of resourceMetrics.scopeMetrics)
        for (const m of sm.metrics) collected.push(m.dataPoints.length);
      await captured.obs.forceFlush();
      for (let i = 0; i < 10_000; i++) record(`d${cycle * 10_000 + i}`);
      await engine.runCycle();
      await captured.obs.forceFlush();
    }
    // The reader's room per cycle; the first 99 series seen and the overflow series, watched as a
    // count, and as a rate, a p95 and an error rate per route.
    expect(Math.max(...collected)).toBe(200);
    expect(engine.watchedSeries).toBe(100 + 3 * 100);
  });

  // Not the service's whole traffic: only the requests of the routes past cardinalityLimit.
  it("names the HTTP durations' overflow series as the overflow series", () => {
    const { engine, feedPoints } = minuteCycles(new Set(), true);
    const overflow = { ...requests('', 200, 40), attributes: { 'otel.metric.overflow': true } };
    feedPoints(0, [requests('/products', 200, 12), overflow]);
    expect([...engine.bands()].map((b) => `${b.metric} ${JSON.stringify(b.attributes)}`)).toEqual([
      'http.server.request.rate {"http.request.method":"GET","http.route":"/products"}',
      'http.server.request.duration.p95 {"http.request.method":"GET","http.route":"/products"}',
      'http.server.error.rate {"http.request.method":"GET","http.route":"/products"}',
      'http.server.request.rate {"otel.metric.overflow":true}',
      'http.server.request.duration.p95 {"otel.metric.overflow":true}',
      'http.server.error.rate {"otel.metric.overflow":true}',
    ]);
  });

  it('judges a watched up-down counter by its level, also in cycles it is not recorded in', async () => {
    const { obs, engine } = start();
    const depth = obs.metrics.upDownCounter('jobs.queued', { detect: true });
    const observed: number[] = [];
    for (const change of [5, -2, 0, 4]) {
      if (change !== 0) depth.add(change, { queue: 'mail' });
      await engine.runCycle();
      observed.push(...[...engine.bands()].map((b) => b.observed));
    }
    expect(observed).toEqual([5, 3, 3, 7]);
  });

  /**
   * A service's ready replicas as its watch on the deployment sees them, recorded as they change:
   * at about 20, a pod restarting now and then, for `cycles`; then a scale-out to 60, recorded once
   * and held. `kind` is how it is recorded: a gauge set to the count, or an up-down counter moved
   * by each change.
   */
  async function readyReplicas(kind: 'gauge' | 'upDownCounter', seed: number, cycles = 300) {
    const { obs, engine } = start();
    const heard: AnomalyEvent[] = [];
    obs.onAnomaly((e) => heard.push(e));
    const instrument =
      kind === 'gauge'
        ? obs.metrics.gauge('replicas.ready', { detect: true })
        : obs.metrics.upDownCounter('replicas.ready', { detect: true });
    const rand = prng(seed);
    let level = 0;
    const set = (value: number) => {
      if ('record' in instrument) instrument.record(value, { deployment: 'api' });
      else instrument.add(value - level, { deployment: 'api' });
      level = value;
    };
    set(20);
    const observed: number[] = [];
    for (let cycle = 0; cycle < cycles + 30; cycle++) {
      if (cycle === cycles) set(60);
      else if (cycle < cycles && rand() < 0.15) set(level === 20 ? 19 + Math.round(rand()) * 2 : 20);
      await engine.runCycle();
      observed.push(...[...engine.bands()].map((b) => b.observed));
    }
    return { heard, observed, obs };
  }

  // The exporters send a gauge's last value in every interval, as they send an up-down counter's
  // running total, and the backends chart it held: the detector read a cycle with no record as
  // missing, so a scale-out recorded once was one point, then nothing (0 events on 16 of 16 seeds,
  // where the up-down counter's was reported on every one).
  it('judges a watched gauge recorded only as it changes by its last value, as the backends show it', async () => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      for (const kind of ['gauge', 'upDownCounter'] as const) {
        const run = await readyReplicas(kind, seed);
        const held = run.observed.slice(-30).every((v) => v === 60) ? '' : ' (not judged at 60)';
        heard.push(`${kind} ${seed}: ${run.heard.map((e) => `${e.kind} ${e.observed}`).join(', ')}${held}`);
        await run.obs.shutdown();
      }
    }
    const once = heard.filter((h) => /^\w+ \d+: \w+ 60$/.test(h));
    expect(heard.filter((h) => !once.includes(h))).toEqual([]);
    // As the same levels through an up-down counter are.
    expect(
      heard.filter((h) => h.startsWith('gauge')).map((h) => h.replace('gauge', 'upDownCounter')),
    ).toEqual(heard.filter((h) => h.startsWith('upDownCounter')));
  });

  /**
   * A `detect: true` gauge through init(), a cycle a minute on the wall clock from a Monday at
   * 00:00: `each` records what it does before each cycle. The events, and the values of the bands
   * after the last cycle.
   */
  async function gaugeByTheMinute(
    name: string,
    cycles: number,
    each: (
      gauge: { record(value: number, attributes?: Record<string, string>): void },
      cycle: number,
    ) => void,
    config: { cardinalityLimit?: number } = {},
  ) {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(T0);
      const { obs, engine } = start(config);
      const events: AnomalyEvent[] = [];
      obs.onAnomaly((e) => events.push(e));
      const gauge = obs.metrics.gauge(name, { detect: true });
      for (let i = 0; i < cycles; i++) {
        vi.setSystemTime(T0 + (i + 1) * MINUTE);
        each(gauge, i);
        await engine.runCycle();
      }
      const observed = [...engine.bands()].map((band) => band.observed);
      await obs.shutdown();
      return { events, observed };
    } finally {
      vi.useRealTimers();
    }
  }

  // A pool's size, a whole number recorded with no unit, held at one size for days, then resized
  // (doubled or halved) and, hours later, resized again the same way: each resize is an instant step
  // to a level held from then on, whether the gauge is recorded every cycle or only as it changes.
  // The count noise floor made a doubling from 8 to 16, or a halving, noise until the drift rule
  // saw it, five cycles late; once seen at once, a step was reported on its second cycle as the
  // spike or dip its first point looked like, the step held three points before it was called one.
  it('reports each resize of a whole-number gauge as a level shift within three cycles', async () => {
    const wrong: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      const rand = prng(seed);
      rand();
      const everyCycle = seed % 2 === 0;
      const up = seed % 4 < 2;
      const size = [up ? 8 + Math.floor(8 * rand()) : 24 + Math.floor(24 * rand())];
      size.push(Math.round(size[0]! * (up ? 2 : 0.5)), Math.round(size[0]! * (up ? 4 : 0.25)));
      const at = [2 * DAY_CYCLES + 60 + Math.floor(300 * rand())];
      at.push(at[0]! + 200 + Math.floor(300 * rand()));
      const { events } = await gaugeByTheMinute('db.pool.size', at[1]! + 30, (gauge, i) => {
        const level = i < at[0]! ? 0 : i < at[1]! ? 1 : 2;
        if (everyCycle || i === 0 || i === at[0] || i === at[1]) gauge.record(size[level]!);
      });
      const cycle = (e: AnomalyEvent) => (e.time - T0) / MINUTE - 1;
      const ok =
        events.length === 2 &&
        events.every((e, k) => e.kind === 'level_shift' && cycle(e) >= at[k]! && cycle(e) <= at[k]! + 2);
      if (!ok) {
        const how = everyCycle ? 'every cycle' : 'as it changes';
        const heard = events.map((e) => `${e.kind} at ${cycle(e)}`).join(', ');
        wrong.push(`seed ${seed}, ${size.join(' > ')} at ${at.join(', ')}, ${how}: ${heard}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  // A cache's entries, recorded as they change: through the day (07:00 to 22:00 on weekdays) a few
  // changes a minute, then none through the night and the weekend, the gauge held at its last value
  // as the backends chart it. No value recorded again is no sign of a stuck exporter: held, it was
  // reported as stuck on the first Saturday on 8 of 8 seeded runs.
  it('does not report a gauge recorded as it changes, held through the night, as stuck', async () => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const rand = prng(seed);
      let size = 5000;
      const { events } = await gaugeByTheMinute('cache.entries', 8 * DAY_CYCLES, (entries, i) => {
        const m = i % DAY_CYCLES;
        const weekday = Math.floor(i / DAY_CYCLES) % 7 < 5;
        if (i > 0 && !(weekday && m >= 7 * 60 && m < 22 * 60)) return;
        for (let change = 0; change < 3; change++) {
          size += poisson(rand, 7) - poisson(rand, 7);
          entries.record(size);
        }
      });
      for (const e of events) heard.push(`seed ${seed}: ${e.kind} at ${new Date(e.time).toISOString()}`);
    }
    expect(heard).toEqual([]);
  });

  // A deployment's ready replicas as its controller records them: at 3, scaled out once (to 4 to 6)
  // minutes after a resync of the controller's informer, recorded at the change and again at its
  // value at each resync (every six or ten hours), held in between. The hours held after the change
  // read as a series whose values never repeat, and the sixth resync as a value stuck: reported on
  // 16 of 16 seeded runs at ten hours, 7 of 16 at six.
  it('does not report a gauge recorded as it changes and again at its value by a resync as stuck', async () => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      for (const resync of [360, 600]) {
        const rand = prng(seed);
        rand();
        const scaledAt = resync * (1 + Math.floor(rand() * 2)) + 5 + Math.floor(rand() * 25);
        const scaledTo = 4 + Math.floor(rand() * 3);
        const { events } = await gaugeByTheMinute('replicas.ready', 4 * DAY_CYCLES, (ready, i) => {
          if (i === 0 || i === scaledAt || i % resync === 0) ready.record(i < scaledAt ? 3 : scaledTo);
        });
        for (const e of events) heard.push(`seed ${seed}, resync every ${resync} min: ${e.explanation}`);
      }
    }
    expect(heard.filter((h) => h.includes('flatline'))).toEqual([]);
  });

  // A gauge polled and recorded every minute, moving around 100 for two days; then for four hours
  // either the poller records the one value it is stuck at, or it is gone and records nothing, the
  // gauge held at its last value.
  it('reports a polled gauge recorded at one value for hours as stuck, not one whose poller stopped', async () => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      for (const stuck of [true, false]) {
        const noise = gaussian(prng(seed));
        let last = 0;
        const { events, observed } = await gaugeByTheMinute(
          'queue.depth',
          2 * DAY_CYCLES + 240,
          (depth, i) => {
            if (i < 2 * DAY_CYCLES) last = 100 + 5 * noise();
            if (i < 2 * DAY_CYCLES || stuck) depth.record(last);
          },
        );
        const held = observed.length === 1 && observed[0] === last ? '' : ' (not held)';
        heard.push(`${seed} ${stuck ? 'stuck' : 'gone'}: ${events.map((e) => e.kind).join(', ')}${held}`);
      }
    }
    const expected: string[] = [];
    for (let seed = 1; seed <= 6; seed++) expected.push(`${seed} stuck: flatline`, `${seed} gone: `);
    expect(heard).toEqual(expected);
  });

  // With more hosts than `cardinalityLimit`, the rest are watched together as the overflow series,
  // whose points were each taken for a value held: its hosts' poller recording one value for hours
  // was not reported (0 of 6 seeds), where the host with a series of its own was.
  it('reports the overflow series of a gauge recorded at one value for hours as stuck', async () => {
    const heard: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const noise = gaussian(prng(seed));
      let last = 0;
      const { events } = await gaugeByTheMinute(
        'queue.depth',
        2 * DAY_CYCLES + 240,
        (depth, i) => {
          if (i < 2 * DAY_CYCLES) last = 100 + 5 * noise();
          depth.record(last, { host: 'a' });
          depth.record(last, { host: 'b' });
        },
        { cardinalityLimit: 2 },
      );
      const kinds = events.map((e) => `${e.kind} ${JSON.stringify(e.attributes)}`).sort();
      heard.push(`${seed}: ${kinds.join(', ')}`);
    }
    const expected: string[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      expected.push(`${seed}: flatline {"host":"a"}, flatline {"otel.metric.overflow":true}`);
    }
    expect(heard).toEqual(expected);
  });

  it('a watched async gauge callback that never settles does not stall detection cycles', async () => {
    const captured = startCaptured({ metricInterval: 100 });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    captured.obs.metrics.observableGauge('stuck', { detect: true }, () => new Promise<void>(() => {}));
    await engine.runCycle();
    await engine.runCycle();
  });

  /**
   * 51 regions' orders for 120 cycles with 50 watched, then none: an outage of every watched one.
   * `shuffled`: each cycle records the regions in an order of its own.
   */
  async function fiftyOneRegions(shuffled: boolean) {
    const captured = startCaptured({
      metricInterval: 3_600_000,
      diagnostics: 'warn',
      anomaly: { warmup: 30, maxSeries: 50 },
    });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const heard: AnomalyEvent[] = [];
    captured.obs.onAnomaly((e) => heard.push(e));
    const orders = captured.obs.metrics.counter('orders.placed', { detect: true });
    const rand = prng(7);
    const regions = Array.from({ length: 51 }, (_, r) => r);
    for (let cycle = 0; cycle < 120; cycle++) {
      for (let i = regions.length - 1; shuffled && i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [regions[i], regions[j]] = [regions[j]!, regions[i]!];
      }
      for (const r of regions) orders.add(40 + Math.round(rand() * 10), { region: `r${r}` });
      await engine.runCycle();
    }
    expect(heard).toEqual([]);
    for (let cycle = 0; cycle < 10; cycle++) await engine.runCycle(); // every region stops
    expect(engine.watchedSeries).toBe(50);
    expect(heard).toHaveLength(50);
    expect(captured.obs.drops().anomaly_series_limit).toBe(120);
  }

  it('with one live series over maxSeries, watches the others and counts the one it refuses', async () => {
    const stderr = captureStderr();
    try {
      await fiftyOneRegions(false);
    } finally {
      stderr.restore();
    }
    expect(stderr.writes.filter((w) => w.includes('anomaly.max_series'))).toHaveLength(1);
  });

  // A delta reader's points come in the order of each cycle's first recordings: a series that reports
  // later in the cycle than a newcomer is live all the same, and is not forgotten for it.
  it('with one live series over maxSeries, keeps the watched ones whatever order the cycle reports them in', async () => {
    const stderr = captureStderr();
    try {
      await fiftyOneRegions(true);
    } finally {
      stderr.restore();
    }
  });

  it('listener errors and rejections are swallowed and counted', async () => {
    const { obs, engine } = start();
    obs.onAnomaly(() => {
      throw new Error('listener bug');
    });
    obs.onAnomaly(async () => {
      throw new Error('pager down');
    });
    const orders = obs.metrics.counter('orders', { detect: true });
    const rand = prng(11);
    for (let cycle = 0; cycle < 150; cycle++) {
      orders.add(45 + Math.round(rand() * 10));
      await engine.runCycle();
    }
    for (let cycle = 0; cycle < 20; cycle++) await engine.runCycle();
    expect(obs.drops().listener_error).toBe(2);
  });

  // A listener subscribed while an event is delivered waits for the next one, as an EventEmitter's
  // does: it was given the event being delivered, so an escalation on a second anomaly fired on
  // every first one.
  it('gives a listener subscribed during an event the next events, not that one', async () => {
    const { obs, engine, orders, rand } = await busyOrders();
    const escalated: string[] = [];
    obs.onAnomaly((first) => {
      const off = obs.onAnomaly((next) => {
        off();
        escalated.push(`${first.explanation} then ${next.explanation}`);
      });
    });
    for (let cycle = 0; cycle < 20; cycle++) await engine.runCycle(); // no orders at all
    expect(escalated).toEqual([]);
    for (let cycle = 0; cycle < 30; cycle++) {
      orders.add(40 + Math.round(rand() * 10));
      await engine.runCycle();
    }
    for (let cycle = 0; cycle < 20; cycle++) await engine.runCycle(); // none again
    expect(escalated).toHaveLength(1);
  });

  // A listener that unsubscribed and subscribed itself again was handed the same event again, without
  // end: the service's event loop stuck in it. Its calls are capped so that a regression fails here
  // rather than hangs the run.
  it('calls a listener that unsubscribes and subscribes itself again once per event', async () => {
    const { obs, engine } = await busyOrders();
    let calls = 0;
    const again = () => {
      if (++calls >= 100) return;
      off();
      off = obs.onAnomaly(again);
    };
    let off = obs.onAnomaly(again);
    for (let cycle = 0; cycle < 20; cycle++) await engine.runCycle(); // no orders at all
    expect(calls).toBe(1);
  }, 10_000);

  it('does not call a listener another unsubscribed as the event was delivered', async () => {
    const { obs, engine } = await busyOrders();
    const called: string[] = [];
    obs.onAnomaly(() => {
      called.push('first');
      offSecond();
    });
    const offSecond = obs.onAnomaly(() => called.push('second'));
    for (let cycle = 0; cycle < 20; cycle++) await engine.runCycle();
    expect(called).toEqual(['first']);
  }, 10_000);
});

describe('the anomaly engine through a signal the service handles', () => {
  /** An engine on its own timer, at cycles of a second, which the test moves with fake timers. */
  async function withEngineTimer(
    run: (
      engine: AnomalyEngine,
      cycles: (n: number, busy: boolean | ((i: number) => number)) => Promise<void>,
      heard: AnomalyEvent[],
    ) => Promise<void>,
    seed = 11,
    jobs?: (cycle: number) => boolean,
    maxSeries?: number,
    refreshes?: (cycle: number) => boolean,
  ) {
    vi.useFakeTimers();
    try {
      const { obs } = startCaptured({
        metricInterval: 1000,
        handleSignals: true,
        anomaly: { warmup: 10, ...(maxSeries !== undefined ? { maxSeries } : {}) },
      });
      const engine = (obs as SightlineInstance).anomalyEngine!;
      const heard: AnomalyEvent[] = [];
      obs.onAnomaly((e) => heard.push(e));
      const orders = obs.metrics.counter('orders.placed', { detect: true });
      // With `jobs`, the orders are requests to POST /orders, and a queue consumer's count goes on
      // beside them, busy in the cycles `jobs` tells from the first.
      const processed = obs.metrics.counter('jobs.processed', { detect: true });
      // With `refreshes`, a timer's work goes on beside the consumer in the cycles it tells.
      const refreshed = obs.metrics.counter('cache.refreshed', { detect: true });
      const duration = obs.metrics.histogram('http.server.request.duration', { unit: 's' });
      const route = {
        'http.request.method': 'POST',
        'http.route': '/orders',
        'http.response.status_code': 201,
      };
      const rand = prng(seed);
      let cycle = 0;
      // Busy or not, or a share of the orders in the cycle of that index.
      const cycles = async (n: number, busy: boolean | ((i: number) => number)) => {
        for (let i = 0; i < n; i++, cycle++) {
          const share = typeof busy === 'function' ? busy(i) : busy ? 1 : 0;
          const placed = share > 0 ? Math.round(share * (40 + Math.round(rand() * 10))) : 0;
          if (jobs === undefined && placed > 0) orders.add(placed);
          for (let r = jobs === undefined ? placed : 0; r < placed; r++) duration.record(0.01, route);
          if (jobs?.(cycle) === true) processed.add(20 + Math.round(rand() * 5));
          if (refreshes?.(cycle) === true) refreshed.add(10 + Math.round(rand() * 3));
          await vi.advanceTimersByTimeAsync(1000);
        }
      };
      await cycles(30, true);
      await run(engine, cycles, heard);
    } finally {
      await getSightline()?.shutdown();
      vi.useRealTimers();
    }
  }

  it('reports no outage in a drain of four minutes', async () => {
    await withEngineTimer(async (engine, cycles, heard) => {
      engine.pauseForDrain('SIGTERM');
      await cycles(240, false);
      expect(heard).toEqual([]);
    });
  });

  // A drain of long-lived connections (a grace period of 15 minutes) takes longer than the pause:
  // still drained after it, the process is still leaving.
  it('reports no outage in a drain of six to fifteen minutes, while the traffic stays away', async () => {
    const reported: number[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      await withEngineTimer(async (engine, cycles, heard) => {
        engine.pauseForDrain('SIGTERM');
        await cycles(360 + (seed - 1) * 36, false);
        if (heard.length > 0) reported.push(seed);
      }, seed);
    }
    expect(reported).toEqual([]);
  }, 60_000);

  // Long-lived connections end one by one over the grace period: the traffic tapers off, and five
  // minutes in it is still half of what it was, inside the band of a rate of forty-five.
  it('reports no outage in a drain whose traffic tapers off over ten minutes', async () => {
    const reported: number[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      await withEngineTimer(async (engine, cycles, heard) => {
        engine.pauseForDrain('SIGTERM');
        await cycles(600, (i) => 1 - i / 600);
        await cycles(60, false);
        if (heard.length > 0) reported.push(seed);
      }, seed);
    }
    expect(reported).toEqual([]);
  }, 60_000);

  // A queue consumer goes on through the drain of the process's HTTP traffic: the requests drained
  // are no outage, nor is the consumer stopping late in the drain, a minute after the pause, as a
  // service's shutdown stops it while its server still drains. Once the routes are back (the drain
  // called off), the consumer stopped in a process that stays is an outage. A timer's work (a cache
  // refreshed every few seconds) going on beside the consumer to the process's exit, back at its
  // level, had the consumer judged, and its stop reported as an outage on 16 of 16 seeded runs.
  it("reports no outage of the requests drained while a consumer's work goes on, nor of its stop in the drain", async () => {
    const reported: string[] = [];
    const late: string[] = [];
    for (const refreshes of [undefined, () => true]) {
      for (let seed = 1; seed <= 16; seed++) {
        const drain = 360 + (seed - 1) * 36;
        const stops = 30 + drain + 60;
        const run = `${refreshes === undefined ? '' : 'refreshes '}${seed}`;
        await withEngineTimer(
          async (engine, cycles, heard) => {
            engine.pauseForDrain('SIGTERM');
            await cycles(drain, false);
            await cycles(120, false);
            if (heard.length > 0) reported.push(`${run} ${heard.map((e) => e.metric).join()}`);
            await cycles(60, true);
            const jobs = heard.filter((e) => e.metric === 'jobs.processed');
            if (jobs.length !== 1) late.push(`${run}: ${jobs.length}`);
          },
          seed,
          (cycle) => cycle < stops,
          undefined,
          refreshes,
        );
      }
    }
    expect(reported).toEqual([]);
    expect(late).toEqual([]);
    // A signal caught with no drain, the requests going on: the consumer stopping two minutes after
    // it is reported once the pause is over.
    for (let seed = 1; seed <= 16; seed++) {
      await withEngineTimer(
        async (engine, cycles, heard) => {
          engine.pauseForDrain('SIGINT');
          await cycles(320, true);
          const jobs = heard.filter((e) => e.metric === 'jobs.processed');
          if (jobs.length !== 1) late.push(`caught ${seed}: ${jobs.length}`);
        },
        seed,
        (cycle) => cycle < 30 + 120,
      );
    }
    expect(late).toEqual([]);
  }, 120_000);

  // With every watched series taken, a series new in the drain (work the consumer began) took the
  // place of a route left unjudged, which is not gone: back after a drain called off, its request
  // rate found every place taken and went unwatched, a fall of it unreported.
  it('keeps the routes left unjudged in a drain over a series new in it, when maxSeries are watched', async () => {
    const missed: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      await withEngineTimer(
        async (engine, cycles, heard) => {
          expect(engine.watchedSeries).toBe(4);
          engine.pauseForDrain('SIGTERM');
          await cycles(330, false);
          const retried = getSightline()!.metrics.counter('jobs.retried', { detect: true });
          const withRetries = async (n: number, busy: boolean | (() => number)) => {
            for (let i = 0; i < n; i++) {
              retried.add(5);
              await cycles(1, busy);
            }
          };
          await withRetries(30, false);
          // The drain called off: the routes are back, then at a third of their traffic.
          await withRetries(10, true);
          expect(heard).toEqual([]);
          await withRetries(30, () => 0.3);
          const fall = heard.filter((e) => e.metric === 'http.server.request.rate');
          if (fall.length !== 1) missed.push(`seed ${seed}: ${heard.map((e) => e.metric).join()}`);
        },
        seed,
        () => true,
        4,
      );
    }
    expect(missed).toEqual([]);
  }, 60_000);

  // With every watched series live or left unjudged in a drain, each series new in a cycle looked
  // through all of them for one to forget, the routes' latency and errors building their request
  // rate's key each time: 299 routes drained and 600 new series took 539,702 looks, some 0.5 s of
  // the event loop each cycle of the drain. A cycle looks at each watched series once.
  it('looks for a series to forget once a cycle, whatever the series new in a drain', async () => {
    await withEngineTimer(
      async (engine, cycles) => {
        const obs = getSightline()!;
        const duration = obs.metrics.histogram('http.server.request.duration', { unit: 's' });
        const routes = Array.from({ length: 299 }, (_, i) => ({
          'http.request.method': 'GET',
          'http.route': `/things/${i}`,
          'http.response.status_code': 200,
        }));
        for (let i = 0; i < 30; i++) {
          for (const route of routes) for (let r = 0; r < 20; r++) duration.record(0.01, route);
          await cycles(1, true);
        }
        expect(engine.watchedSeries).toBe(900);
        engine.pauseForDrain('SIGTERM');
        await cycles(310, false);
        const queued = obs.metrics.counter('jobs.queued', { detect: true });
        const looks = vi.spyOn(engine as unknown as { stillDrained: () => boolean }, 'stillDrained');
        const { diag } = (
          engine as unknown as { options: { diag: { warn: (key: string, message: string) => void } } }
        ).options;
        const warned = vi.spyOn(diag, 'warn');
        for (let q = 0; q < 600; q++) queued.add(1, { queue: `q${q}` });
        await cycles(1, false);
        // The feed's own look at each, and one in the search for a series to forget.
        expect(looks.mock.calls.length).toBeLessThan(3 * 900);
        expect(engine.watchedSeries).toBe(900);
        // Most of them are not live, and the warning says so.
        expect(warned.mock.calls.filter((c) => c[0] === 'anomaly.max_series').map((c) => c[1])).toEqual([
          '600 series not watched this cycle: all 900 watched series (anomaly.maxSeries) are live, busy rates silent or gauges held at their last values for less than a day, or left unjudged in a drain',
        ]);
      },
      11,
      () => true,
      900,
    );
  }, 60_000);

  // A signal caught with no drain, and an outage one to five minutes later: it looks like a drain
  // whose traffic tapered off, and is reported once such a drain would have ended.
  it('reports an outage that starts within five minutes of a signal caught, no drain, within twenty minutes', async () => {
    const late: string[] = [];
    for (let seed = 1; seed <= 16; seed++) {
      await withEngineTimer(async (engine, cycles, heard) => {
        engine.pauseForDrain('SIGINT');
        const on = 60 + (seed - 1) * 16;
        await cycles(on, true);
        await cycles(20 * 60 + 5 - on, false);
        if (heard.length !== 1) late.push(`${seed}: ${heard.length}`);
      }, seed);
    }
    expect(late).toEqual([]);
  }, 120_000);

  /** Pauses at `signal`, runs `phases` of cycles, busy or not, unreported; then the orders stop: an outage. */
  async function outageAfter(signal: string, ...phases: [cycles: number, busy: boolean][]) {
    await withEngineTimer(async (engine, cycles, heard) => {
      engine.pauseForDrain(signal);
      for (const [n, busy] of phases) await cycles(n, busy);
      expect(heard).toEqual([]);
      await cycles(20, false);
      expect(heard.map((e) => `${e.metric} ${e.kind} ${e.observed}`)).toEqual([
        'orders.placed level_shift 0',
      ]);
    });
  }

  it('judges again a drain called off, its traffic back, and a process drained twenty minutes after the signal', async () => {
    // The traffic comes back after seven minutes: the process stayed, and its next outage is one.
    await outageAfter('SIGTERM', [420, false], [30, true]);
    await outageAfter('SIGTERM', [1190, false]);
  }, 60_000);

  it('exports no band in the pause, its last values being no current ones, and again after it', async () => {
    await withEngineTimer(async (engine, cycles) => {
      const observed = () =>
        [...engine.bands()].map((b) => `${b.metric} ${b.observed > 0 ? 'busy' : 'idle'}`);
      expect(observed()).toEqual(['orders.placed busy']);
      engine.pauseForDrain('SIGTERM');
      await cycles(10, false);
      expect(observed()).toEqual([]);
      await cycles(300, false);
      expect(observed()).toEqual([]);
      // The traffic back: the process stayed.
      await cycles(1, true);
      expect(observed()).toEqual(['orders.placed busy']);
    });
  });

  it('judges again a process still serving five minutes after the signal: a signal caught, no drain', async () => {
    // Its orders stop for good after: an outage, as before the signal.
    await outageAfter('SIGINT', [310, true]);
  });

  /** Runs `run` while the service handles SIGINT: a signal sightline pauses its detector at. */
  async function caughtSigint(run: () => Promise<void>): Promise<void> {
    const caught = () => {};
    process.on('SIGINT', caught);
    try {
      await run();
    } finally {
      process.removeListener('SIGINT', caught);
    }
  }

  it('judges again after a SIGINT the service catches and runs on past, and pauses at each one', async () => {
    await withEngineTimer(async (_engine, cycles, heard) => {
      await caughtSigint(async () => {
        process.emit('SIGINT');
        await cycles(310, true);
        process.emit('SIGINT');
        await cycles(10, false);
        expect(heard).toEqual([]);
        await cycles(300, true);
        expect(heard).toEqual([]);
        // Its orders stop for good, five minutes after the last signal.
        await cycles(10, false);
        expect(heard.map((e) => `${e.metric} ${e.kind} ${e.observed}`)).toEqual([
          'orders.placed level_shift 0',
        ]);
      });
    });
  });
});

describe('exportBands', () => {
  it('exports observed, expected and band gauges per watched series', async () => {
    const captured = startCaptured({ metricInterval: 3_600_000, anomaly: { warmup: 30, exportBands: true } });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const gauge = captured.obs.metrics.gauge('temperature', { detect: true });
    for (let cycle = 0; cycle < 50; cycle++) {
      gauge.record(20 + (cycle % 3), { room: 'a' });
      await engine.runCycle();
    }
    await captured.obs.forceFlush();
    const bands = captured.memory
      .metrics()
      .filter(
        (p) => p.name.startsWith('sightline.anomaly.') && p.attributes['sightline.metric'] === 'temperature',
      );
    const byName = Object.fromEntries(bands.map((p) => [p.name, p.value as number]));
    expect(bands.every((p) => p.attributes.room === 'a')).toBe(true);
    expect(byName['sightline.anomaly.observed']).toBe(21);
    expect(byName['sightline.anomaly.expected']).toBeGreaterThan(19);
    expect(byName['sightline.anomaly.expected']).toBeLessThan(23);
    expect(byName['sightline.anomaly.lower']).toBeLessThan(byName['sightline.anomaly.upper']!);
    expect(byName['sightline.anomaly.score']).toBeLessThan(0.5);
  });

  it('exports a band that stays at or above zero for a series that cannot go below it', async () => {
    const captured = startCaptured({ metricInterval: 3_600_000, anomaly: { warmup: 30, exportBands: true } });
    const engine = (captured.obs as SightlineInstance).anomalyEngine!;
    const duration = captured.obs.metrics.histogram('http.server.request.duration', { unit: 's' });
    const route = { 'http.request.method': 'GET', 'http.route': '/rare', 'http.response.status_code': 200 };
    const rand = prng(9);
    // A route called a few times a cycle: its rate's band is wide around a small mean.
    for (let cycle = 0; cycle < 60; cycle++) {
      for (let i = Math.floor(rand() * 4); i > 0; i--) duration.record(0.02, route);
      await engine.runCycle();
    }
    await captured.obs.forceFlush();
    const lower = captured.memory
      .metrics()
      .filter((p) => p.name === 'sightline.anomaly.lower' && p.attributes['http.route'] === '/rare');
    expect(lower.length).toBeGreaterThan(0);
    for (const p of lower)
      expect(p.value as number, String(p.attributes['sightline.metric'])).toBeGreaterThanOrEqual(0);
  });

  it('exports no band gauges unless asked', async () => {
    const { obs, engine, memory } = start();
    obs.metrics.gauge('temperature', { detect: true }).record(1);
    await engine.runCycle();
    await obs.forceFlush();
    expect(memory.metrics().some((p) => p.name === 'sightline.anomaly.expected')).toBe(false);
    expect(memory.metrics().find((p) => p.name === 'sightline.anomaly.series')?.value).toBe(1);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket and clamps to min and max', () => {
    const h = {
      count: 100,
      sum: 0,
      min: 0.001,
      max: 0.9,
      buckets: { boundaries: [0.01, 0.1, 1], counts: [50, 40, 10, 0] },
    };
    expect(histogramQuantile(h, 0.5)).toBeCloseTo(0.01, 5);
    expect(histogramQuantile(h, 0.9)).toBeCloseTo(0.1, 5);
    expect(histogramQuantile(h, 0.95)).toBeCloseTo(0.55, 5);
    expect(histogramQuantile(h, 1)).toBeCloseTo(0.9, 5);
    expect(histogramQuantile({ ...h, count: 0 }, 0.95)).toBeNaN();
  });
});
