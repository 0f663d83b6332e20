import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { estimatePercentile, metricName } from '../../../adapters/datadog/encode-metrics.js';
import { recordShuffled } from '../../helpers/shuffled-series.js';
import { everyTurn } from '../../helpers/turns.js';
import { expectGolden, KEY, nextSecond, start, userSeries } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
  server = undefined;
});

function normalise(series: Record<string, any>[]) {
  return series
    .map(
      (s): Record<string, any> => ({
        ...s,
        ...(s.interval !== undefined ? { interval: 'N' } : {}),
        points: s.points.map((p: { timestamp: number; value: number }) => ({
          timestamp: 'T',
          value: p.value,
        })),
      }),
    )
    .sort((a, b) =>
      a.metric === b.metric
        ? JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags))
        : a.metric < b.metric
          ? -1
          : 1,
    );
}

describe('datadog metrics → POST /api/v2/series', () => {
  it('sends counts, gauges, up-down levels and histogram summaries with unified tags (golden)', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { tags: { team: 'payments' } });
    const t0 = Math.floor(Date.now() / 1000);
    obs.metrics.counter('orders.placed').add(3, { region: 'eu' });
    obs.metrics.counter('orders.placed').add(2, { region: 'eu' });
    obs.metrics.gauge('cart.value').record(87.5);
    const depth = obs.metrics.upDownCounter('queue.depth');
    depth.add(5);
    depth.add(-2);
    const latency = obs.metrics.histogram('http.latency', { unit: 'ms', buckets: [10, 50, 100, 500] });
    for (const v of [5, 20, 40, 60, 80, 120, 300]) latency.record(v, { 'http.route': '/users/:id' });
    await obs.forceFlush();

    const requests = server.on('/api/v2/series');
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) {
      expect(r.method).toBe('POST');
      expect(r.headers['dd-api-key']).toBe(KEY);
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.status).toBe(202);
    }
    const series = userSeries(server);
    for (const s of series) {
      const ts = s.points[0].timestamp;
      expect(Number.isInteger(ts)).toBe(true);
      expect(Math.abs(ts - t0)).toBeLessThan(60);
      if (s.type === 1) expect(s.interval).toBeGreaterThanOrEqual(1);
    }
    expectGolden('metrics', normalise(series));
    const stats = obs.stats().datadog?.metrics;
    expect(stats?.dropped).toEqual({});
    expect(stats?.produced).toBe(stats?.delivered);
  });

  it('keeps apart series whose tags differ only past the 200 characters a tag takes, and counts the cut', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    const search = `https://shop.example/search/${'z'.repeat(250)}`;
    const hits = obs.metrics.counter('search.hits');
    hits.add(2, { 'url.full': `${search}/page/1` });
    hits.add(5, { 'url.full': `${search}/page/2` });
    await obs.forceFlush();
    hits.add(1, { 'url.full': `${search}/page/1` });
    nextSecond();
    await obs.forceFlush();

    const sent = userSeries(server).filter((s) => s.metric === 'search.hits');
    const tagOf = (s: Record<string, any>) => (s.tags as string[]).find((t) => t.startsWith('url.full:'))!;
    expect(sent.map((s) => s.points[0].value).sort()).toEqual([1, 2, 5]);
    expect(new Set(sent.map(tagOf)).size).toBe(2);
    for (const s of sent) expect(tagOf(s).length).toBeLessThanOrEqual(200);
    // Each point sent with a cut tag is counted.
    expect(obs.drops().truncated_attribute).toBe(3);
  });

  it('cuts DD_TAGS and tags entries past 200 characters as tags on series are cut, and counts them for each point', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    // Two replicas' build URLs (key:value) and notes (bare values) share their first 200 characters.
    const url = `build.url:https://ci.example/pipelines/${'p'.repeat(200)}`;
    const note = `deploy-note-${'n'.repeat(200)}`;
    const allSeries = () =>
      server!.on('/api/v2/series').flatMap((r) => (JSON.parse(r.text) as { series: unknown[] }).series);
    const tagsOf = async (replica: number) => {
      const before = allSeries().length;
      const { obs } = start(server!, {
        processEnv: { DD_TAGS: `${url}/${replica} ${note}${replica}` },
        tags: { release: `${'r'.repeat(200)}${replica}` },
      });
      obs.metrics.counter('orders').add(1);
      obs.metrics.counter('orders').add(1, { region: 'eu' });
      await obs.forceFlush();
      // One cut each for the build URL, the note and the release, on each point sent (sightline's own too).
      const sent = allSeries().length - before;
      expect(sent).toBeGreaterThanOrEqual(2);
      expect(obs.drops().truncated_attribute).toBe(3 * sent);
      await obs.shutdown();
      const [series] = userSeries(server!)
        .filter((s) => s.metric === 'orders')
        .slice(-1);
      return (series!.tags as string[]).filter((t) => t.length > 100);
    };
    const first = await tagsOf(1);
    const second = await tagsOf(2);
    expect(first).toHaveLength(3);
    for (const t of [...first, ...second]) expect(t).toMatch(/^.{183}_[0-9a-f]{16}$/);
    expect(first.filter((t) => second.includes(t))).toEqual([]);
  });

  it('keeps apart metrics whose names differ only past the 200 characters a name takes, and counts the cut', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    // Names made from a long prefix, as a generated client names its operations.
    const prefix = `checkout.${'storefront_graphql_'.repeat(12)}`;
    obs.metrics.counter(`${prefix}orders.placed`).add(2);
    obs.metrics.counter(`${prefix}orders.cancelled`).add(5);
    obs.metrics.histogram(`${prefix}orders.value`).record(40);
    await obs.forceFlush();

    const sent = userSeries(server).filter((s) => String(s.metric).startsWith('checkout.'));
    for (const s of sent) expect(s.metric.length).toBeLessThanOrEqual(200);
    const counts = sent.filter((s) => s.type === 1 && !/\.(count|sum)$/.test(s.metric));
    expect(counts.map((s) => s.points[0].value).sort()).toEqual([2, 5]);
    expect(new Set(counts.map((s) => s.metric)).size).toBe(2);
    expect(sent.filter((s) => String(s.metric).endsWith('.count'))).toHaveLength(1);
    // Each point sent under a cut name is counted.
    expect(obs.drops().truncated_attribute).toBe(3);
  });

  it('keeps apart metrics whose names differ only in characters Datadog does not take, or in the digits they start with', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    obs.metrics.counter('orders.北京').add(2);
    obs.metrics.counter('orders.上海').add(5);
    obs.metrics.counter('4xx.responses').add(7);
    obs.metrics.counter('5xx.responses').add(1);
    obs.metrics.counter('orders-placed').add(3);
    await obs.forceFlush();

    const sent = userSeries(server).filter((s) => /^(orders|xx)/.test(String(s.metric)));
    const byValue = new Map(sent.map((s) => [s.points[0].value as number, String(s.metric)]));
    expect(sent).toHaveLength(5);
    expect(new Set(sent.map((s) => s.metric)).size).toBe(5);
    expect(byValue.get(2)).toMatch(/^orders\.___[0-9a-f]{16}$/);
    expect(byValue.get(7)).toMatch(/^xx\.responses_[0-9a-f]{16}$/);
    // A name that loses no letter or digit keeps its name: only punctuation became `_`.
    expect(byValue.get(3)).toBe('orders_placed');
  });

  it('sends a metric created again under a name in another case as one, under its first name', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    // One module counts `Orders.Placed`, another `orders.placed`: one instrument to OpenTelemetry.
    obs.metrics.counter('Orders.Placed').add(1, { region: 'eu' });
    obs.metrics.counter('orders.placed').add(2, { region: 'eu' });
    const first = obs.metrics.histogram('Checkout.Latency', { unit: 'ms' });
    obs.metrics.histogram('checkout.latency', { unit: 'ms' }).record(30);
    first.record(10);
    await obs.forceFlush();

    const sent = userSeries(server).filter((s) => /^orders|^checkout\.latency\.count$/i.test(s.metric));
    expect(sent.map((s) => [s.metric, s.points[0].value])).toEqual([
      ['Orders.Placed', 3],
      ['Checkout.Latency.count', 2],
    ]);
  });

  it('keeps a metric created again in another case as another unit apart from the first, as it records on its own', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    obs.metrics.counter('Wait.Total', { unit: 'ms' }).add(500);
    obs.metrics.counter('wait.total', { unit: 's' }).add(2);
    await obs.forceFlush();

    const sent = userSeries(server).filter((s) => /^wait\.total$/i.test(s.metric));
    // Counts of one name and tags at one second are added up: 500 ms and 2 s are not 502 of either.
    expect(sent.map((s) => `${s.metric}=${s.points[0].value} ${s.unit}`).sort()).toEqual([
      'Wait.Total=500 millisecond',
      'wait.total=2 second',
    ]);
  });

  it('keeps a series to its own service, env and version when its attributes name them with other values', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    // A gateway counting calls per downstream service, under the unified tag's name.
    const calls = obs.metrics.counter('gateway.calls');
    calls.add(3, { service: 'payments', Env: 'staging', route: '/pay' });
    calls.add(4, { service: 'checkout', version: '1.4.2', route: '/cart' });
    await obs.forceFlush();

    const sent = userSeries(server).filter((s) => s.metric === 'gateway.calls');
    const tagsOf = (value: number) =>
      [...((sent.find((s) => s.points[0].value === value)?.tags as string[] | undefined) ?? [])].sort();
    // Datadog reads tags in lower case, and a series with two service tags as one of each service.
    expect(tagsOf(3)).toEqual([
      'attr.Env:staging',
      'attr.service:payments',
      'env:prod',
      'route:/pay',
      'service:checkout',
      'version:1.4.2',
    ]);
    expect(tagsOf(4)).toEqual(['env:prod', 'route:/cart', 'service:checkout', 'version:1.4.2']);
  });

  it('keeps a series of a service without a version to none when its attributes name one', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {}, { version: undefined });
    // An API version, under the unified tag's name.
    obs.metrics.counter('gateway.calls').add(1, { version: 'v2', route: '/pay' });
    await obs.forceFlush();

    const tags: string[] = userSeries(server)[0]?.tags ?? [];
    // Datadog would read the series as one of the service's deployment v2.
    expect(tags.filter((t) => /^version:/i.test(t))).toEqual([]);
    expect(tags).toEqual(expect.arrayContaining(['attr.version:v2', 'route:/pay', 'service:checkout']));
  });

  it('sends a comma-separated DD_TAGS value with a blank inside as one tag, as dd-trace tags its spans', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { processEnv: { DD_TAGS: 'team:core payments,tier:1' } });
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();

    const tags: string[] = userSeries(server)[0]?.tags ?? [];
    expect(tags).toEqual(expect.arrayContaining(['team:core_payments', 'tier:1']));
    expect(tags).not.toContain('payments');
  });

  it('keeps a series to its own service, env and version when the tags option or DD_TAGS names them in another case', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {
      tags: { Service: 'payments', team: 'core' },
      processEnv: { DD_TAGS: 'ENV:staging,Version:9' },
    });
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();

    const tags: string[] = userSeries(server)[0]?.tags ?? [];
    // Datadog reads tag keys in lower case: `Service:payments` would be a second service tag.
    expect(tags.filter((t) => /^(service|env|version):/i.test(t)).sort()).toEqual([
      'env:prod',
      'service:checkout',
      'version:1.4.2',
    ]);
    expect(tags).toContain('team:core');
  });

  it('sends deltas for counters but the current level for up-down counters', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    const orders = obs.metrics.counter('orders.placed');
    const depth = obs.metrics.upDownCounter('queue.depth');
    orders.add(4);
    depth.add(10);
    await obs.forceFlush();
    orders.add(1);
    depth.add(-3);
    nextSecond();
    await obs.forceFlush();
    const values = (name: string) =>
      userSeries(server!)
        .filter((s) => s.metric === name)
        .map((s) => [s.type, s.points[0].value]);
    expect(values('orders.placed')).toEqual([
      [1, 4],
      [1, 1],
    ]);
    expect(values('queue.depth')).toEqual([
      [3, 10],
      [3, 7],
    ]);
  });

  it('names the host of every series (DD_HOSTNAME, else the machine), so replicas keep their own points', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { hostname: undefined });
    obs.metrics.counter('orders.placed').add(1);
    obs.metrics.histogram('http.latency', { unit: 'ms' }).record(12);
    await obs.forceFlush();
    await obs.shutdown();
    const machine = [{ name: hostname(), type: 'host' }];
    const series = userSeries(server);
    expect(series.length).toBeGreaterThan(1);
    for (const s of series) expect(s.resources).toEqual(machine);

    const replica = start(server, {
      hostname: undefined,
      processEnv: { DD_HOSTNAME: 'checkout-7d9f-xk2lp' },
    }).obs;
    replica.metrics.counter('orders.placed').add(1);
    await replica.forceFlush();
    const last = userSeries(server)
      .filter((s) => s.metric === 'orders.placed')
      .at(-1);
    expect(last?.resources).toEqual([{ name: 'checkout-7d9f-xk2lp', type: 'host' }]);
  });

  it("collects at the adapter's metricIntervalMs, not at sightline's metricInterval of an hour", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { metricIntervalMs: 200 });
    obs.metrics.counter('orders.placed').add(1);
    await new Promise((r) => setTimeout(r, 1000));
    expect(userSeries(server).map((s) => s.metric)).toContain('orders.placed');
  });

  it('drops points queued past the hour Datadog takes them (a paused process), counting them as expired', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {
      metricIntervalMs: 100,
      channel: { flushIntervalMs: 3_600_000, timeoutMs: 2000 },
    });
    obs.metrics.counter('orders.placed').add(1);
    await server.waitFor(() => (obs.stats().datadog?.metrics?.queued ?? 0) > 0);
    // The process stood still for two hours (SIGSTOP, a paused container) with the points queued.
    const resumedAt = Date.now() + 2 * 3_600_000;
    vi.useFakeTimers({ toFake: ['Date'], now: resumedAt });
    await obs.forceFlush();
    const points = server
      .on('/api/v2/series')
      .flatMap((r) => (JSON.parse(r.text) as { series: { points: { timestamp: number }[] }[] }).series)
      .flatMap((s) => s.points);
    // Datadog takes points at most an hour old: none sent is older, and none is lost uncounted.
    expect(points.filter((p) => p.timestamp < resumedAt / 1000 - 3600)).toEqual([]);
    const stats = obs.stats().datadog?.metrics;
    expect(stats?.dropped.expired).toBeGreaterThan(0);
    expect(stats?.delivered).toBe(points.length);
  });

  it('sends the collection when an instrument was named with no string, which records nothing and is counted', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    obs.metrics.counter('orders.placed').add(1);
    // A name read from a setting that is not there, or given as a number.
    for (const name of [undefined, 404] as unknown as string[]) {
      obs.metrics.counter(name).add(1);
      obs.metrics.gauge(name).record(1);
    }
    await obs.forceFlush();
    expect(obs.stats().datadog?.metrics?.dropped).toEqual({});
    expect(userSeries(server).map((s) => s.metric)).toEqual(['orders.placed']);
    expect(obs.drops()).toEqual({ instrument_error: 4 });
  });

  it('turns a big collection into series over several turns of the event loop, not in one stretch', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    const orders = obs.metrics.counter('orders.placed');
    // 1,800 series, under the cardinality limit of one instrument.
    for (let i = 0; i < 1800; i++) orders.add(1, { customer: `c-${i}` });
    const made = () => obs.stats().datadog?.metrics?.produced ?? 0;
    const seen = everyTurn(made);
    await obs.forceFlush();
    expect(made()).toBeGreaterThanOrEqual(1800);
    // A turn came while the series were being made: the service's requests were not held for all.
    expect(seen.stop().some((n) => n > 0 && n < 1800)).toBe(true);
  });

  // Datadog takes deltas: the SDK's delta storage gave its places to the series recorded first in
  // each collection, so a region kept apart in one had its counts in the overflow series in the next.
  it('keeps the same series apart past cardinalityLimit in every collection, whatever order they come in', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {}, { cardinalityLimit: 10 });
    await recordShuffled(obs);
    const totals = new Map<string, number>();
    const add = (key: string, value: number) => totals.set(key, (totals.get(key) ?? 0) + value);
    // What Datadog keeps: the collections of one second send their counts added up.
    for (const { metric, tags, value } of server.keptPoints()) {
      const overflow = tags.includes('otel.metric.overflow:true');
      if (metric === 'orders.placed') {
        add(overflow ? 'overflow' : tags.find((t) => t.startsWith('region:'))!, value);
      } else if (metric === 'http.server.request.duration.count') {
        add(overflow ? '/overflow' : tags.find((t) => t.startsWith('http.route:'))!, 10 * value);
      }
    }
    const kept = [...totals].filter(([name]) => !name.endsWith('overflow'));
    expect(kept.length).toBe(18);
    expect(kept.filter(([, value]) => value !== 200)).toEqual([]);
    expect(totals.get('overflow')).toBe(3 * 200);
    expect(totals.get('/overflow')).toBe(3 * 200);
  });

  it('keeps every request under 512,000 compressed bytes by splitting a large collection', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { channel: { flushIntervalMs: 50, timeoutMs: 5000 } });
    // Random tag values barely compress: 6,000 series weigh well over 512 KB after gzip.
    const noise = () => Array.from({ length: 12 }, () => Math.random().toString(36).slice(2)).join('');
    for (let g = 0; g < 4; g++) {
      const gauge = obs.metrics.gauge(`load.g${g}`);
      for (let i = 0; i < 1500; i++) gauge.record(i, { id: noise() });
    }
    await obs.forceFlush({ timeoutMs: 10_000 });
    const requests = server.on('/api/v2/series');
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) {
      expect(r.wireBytes).toBeLessThanOrEqual(512_000);
      expect(r.status).toBe(202);
    }
    expect(userSeries(server).length).toBe(6000);
    const stats = obs.stats().datadog?.metrics;
    expect(stats?.dropped).toEqual({});
  });
});

describe('metric names and percentiles', () => {
  it('sends no unit for a unit named as an Object method (toString, constructor)', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server);
    obs.metrics.counter('jobs.toString', { unit: 'toString' }).add(2);
    obs.metrics.gauge('jobs.constructor', { unit: 'constructor' }).record(5);
    obs.metrics.histogram('jobs.took', { unit: 'valueOf' }).record(3);
    obs.metrics.counter('jobs.ran', { unit: 'ms' }).add(1);
    await obs.forceFlush();
    const units = Object.fromEntries(userSeries(server).map((s) => [s.metric, s.unit ?? null]));
    expect(units).toMatchObject({
      'jobs.toString': null,
      'jobs.constructor': null,
      'jobs.took.sum': null,
      'jobs.took.max': null,
      'jobs.ran': 'millisecond',
    });
  });

  it('sanitises names as Datadog requires', () => {
    expect(metricName('http.server.request.duration')).toBe('http.server.request.duration');
    expect(metricName('orders-placed/sec')).toBe('orders_placed_sec');
    expect(metricName('_orders')).toBe('orders');
    expect(metricName('2xx responses/sec')).toMatch(/^xx_responses_sec_[0-9a-f]{16}$/);
    expect(metricName('ünïcode')).toMatch(/^n_code_[0-9a-f]{16}$/);
    expect(metricName(`é${'b'.repeat(300)}`)?.length).toBe(200);
    expect(metricName('___')).toBeUndefined();
    expect(metricName(`a${'b'.repeat(300)}`)?.length).toBe(200);
  });

  it('sends a name that loses only punctuation or symbols, of any script, as before, without a digest', () => {
    // Dashboards and monitors query these names: one that loses no letter or digit must not change.
    expect(metricName('orders\u2013placed')).toBe('orders_placed'); // en dash
    expect(metricName('checkout \u2192 payment')).toBe('checkout___payment');
    expect(metricName('queue\u00a0depth')).toBe('queue_depth'); // no-break space
    expect(metricName('latency\u00b7p99')).toBe('latency_p99'); // middle dot
    expect(metricName('temperature.\u00b0c')).toBe('temperature._c');
    // Letters, marks and digits of any script are lost, so those names keep a digest.
    expect(metricName('latency.\u00b5s')).toMatch(/^latency\._s_[0-9a-f]{16}$/); // micro sign
    expect(metricName('cafe\u0301.orders')).toMatch(/^cafe_\.orders_[0-9a-f]{16}$/); // combining accent
    expect(metricName('orders.\u0663')).toMatch(/^orders\.__[0-9a-f]{16}$/); // Arabic-Indic three
  });

  it('estimates percentiles inside the bucket holding the rank, within min and max', () => {
    // 10 values in (10, 100]: the median sits halfway through the bucket.
    expect(estimatePercentile(50, [10, 100], [0, 10, 0], undefined, undefined)).toBe(55);
    expect(estimatePercentile(50, [10, 100], [0, 10, 0], 12, 80)).toBe(46);
    // Everything in the overflow bucket: bounded by max.
    expect(estimatePercentile(99, [10], [0, 4], 20, 40)).toBeCloseTo(39.8);
    expect(estimatePercentile(50, [10], [0, 0], undefined, undefined)).toBeUndefined();
  });
});
