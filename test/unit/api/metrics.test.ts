import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline, metrics } from '../../../src/index.js';
import { captureStderr, startCaptured } from '../../helpers/capture.js';
import { recordShuffled } from '../../helpers/shuffled-series.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

describe('obs.metrics', () => {
  it('records every instrument kind with its unit and attributes', async () => {
    const { obs, memory } = startCaptured();
    obs.metrics
      .counter('orders.placed', { unit: '{order}' })
      .add(3, { region: 'eu', plan: 'pro', first: true });
    const inflight = obs.metrics.upDownCounter('jobs.inflight');
    inflight.add(5);
    inflight.add(-2);
    const h = obs.metrics.histogram('checkout.duration', { unit: 'ms', buckets: [10, 100] });
    h.record(5);
    h.record(50);
    h.record(500);
    obs.metrics.gauge('cart.value').record(87.5, { currency: 'eur' });
    obs.metrics.observableGauge('queue.depth', { unit: '{job}' }, (r) => r.observe(11, { queue: 'mail' }));
    await obs.forceFlush();

    const byName = Object.fromEntries(memory.metrics().map((p) => [p.name, p]));
    expect(byName['orders.placed']).toEqual({
      name: 'orders.placed',
      kind: 'counter',
      unit: '{order}',
      attributes: { region: 'eu', plan: 'pro', first: true },
      value: 3,
    });
    expect(byName['jobs.inflight']).toMatchObject({ kind: 'upDownCounter', value: 3 });
    expect(byName['checkout.duration']).toMatchObject({
      kind: 'histogram',
      unit: 'ms',
      value: { count: 3, sum: 555, min: 5, max: 500 },
    });
    expect(byName['cart.value']).toMatchObject({
      kind: 'gauge',
      value: 87.5,
      attributes: { currency: 'eur' },
    });
    expect(byName['queue.depth']).toMatchObject({
      kind: 'observableGauge',
      value: 11,
      attributes: { queue: 'mail' },
    });
  });

  it('startTimer() records the elapsed time in the histogram unit, with extra attributes', async () => {
    const { obs, memory } = startCaptured();
    const ms = obs.metrics.histogram('op.ms', { unit: 'ms' });
    const s = obs.metrics.histogram('op.s', { unit: 's' });
    const stopMs = ms.startTimer({ op: 'a' });
    const stopS = s.startTimer();
    await new Promise((r) => setTimeout(r, 20));
    const elapsedMs = stopMs({ outcome: 'ok' });
    const elapsedS = stopS();
    await obs.forceFlush();
    expect(elapsedMs).toBeGreaterThanOrEqual(15);
    expect(elapsedS).toBeGreaterThan(0.015);
    expect(elapsedS).toBeLessThan(elapsedMs);
    const point = memory.metrics().find((p) => p.name === 'op.ms');
    expect(point?.attributes).toEqual({ op: 'a', outcome: 'ok' });
    expect(point?.value).toMatchObject({ sum: elapsedMs });
  });

  it('startTimer() records in any time unit the histogram has, before init() too', async () => {
    const early = metrics.histogram('op.module.us', { unit: 'us' });
    const { obs, memory } = startCaptured();
    const us = obs.metrics.histogram('op.us', { unit: 'us' });
    const min = obs.metrics.histogram('op.min', { unit: 'min' });
    const ms = obs.metrics.histogram('op.ms', { unit: 'ms' });
    const stops = [us.startTimer(), min.startTimer(), ms.startTimer(), early.startTimer()];
    await new Promise((r) => setTimeout(r, 50));
    const [elapsedUs, elapsedMin, elapsedMs, elapsedModuleUs] = stops.map((stop) => stop());
    await obs.forceFlush();
    expect(elapsedMs).toBeGreaterThanOrEqual(45);
    // Stopped one after the other: each within a tenth of the milliseconds, scaled.
    expect(elapsedUs! / 1000 / elapsedMs!).toBeCloseTo(1, 1);
    expect(elapsedModuleUs! / 1000 / elapsedMs!).toBeCloseTo(1, 1);
    expect((elapsedMin! * 60_000) / elapsedMs!).toBeCloseTo(1, 1);
    const point = (name: string) => memory.metrics().find((p) => p.name === name);
    expect(point('op.us')?.value).toMatchObject({ sum: elapsedUs });
    expect(point('op.module.us')?.value).toMatchObject({ sum: elapsedModuleUs });
    expect(point('op.min')?.value).toMatchObject({ sum: elapsedMin });
  });

  it('names a metric declared through the module-level metrics in two cases as first declared, whichever records first', async () => {
    // Two modules count one metric, each spelling it its own way, declared at load.
    const checkout = metrics.counter('Orders.Placed.Proxied');
    const imports = metrics.counter('orders.placed.proxied');
    const names: string[][] = [];
    for (const first of [checkout, imports]) {
      const { obs, memory } = startCaptured();
      first.add(1);
      checkout.add(1);
      imports.add(1);
      await obs.forceFlush();
      names.push(
        memory
          .metrics()
          .filter((p) => /^orders\.placed\.proxied$/i.test(p.name))
          .map((p) => `${p.name}=${p.value}`),
      );
      await obs.shutdown();
    }
    // Each process, and each init(), under one name: not after whichever the traffic reached first.
    expect(names).toEqual([['Orders.Placed.Proxied=3'], ['Orders.Placed.Proxied=3']]);

    // One of another unit is another metric, under its own spelling.
    const waitMs = metrics.counter('Wait.Proxied', { unit: 'ms' });
    const waitS = metrics.counter('wait.proxied', { unit: 's' });
    const { obs, memory } = startCaptured();
    waitS.add(2);
    waitMs.add(500);
    await obs.forceFlush();
    const waits = memory.metrics().filter((p) => /^wait\.proxied$/i.test(p.name));
    expect(waits.map((p) => `${p.name}=${p.value}`).sort()).toEqual(['Wait.Proxied=500', 'wait.proxied=2']);
  });

  it('names a metric declared through the module-level metrics as declared when obs.metrics creates it in another case', async () => {
    // A module declares its counter at load; a handler elsewhere creates it by its own spelling.
    const declaredAtLoad = metrics.counter('Orders.Mixed');
    const names: string[][] = [];
    for (const handlerFirst of [true, false]) {
      const { obs, memory } = startCaptured();
      const handler = () => obs.metrics.counter('orders.mixed').add(1);
      if (handlerFirst) handler();
      declaredAtLoad.add(1);
      if (!handlerFirst) handler();
      await obs.forceFlush();
      names.push(
        memory
          .metrics()
          .filter((p) => /^orders\.mixed$/i.test(p.name))
          .map((p) => `${p.name}=${p.value}`),
      );
      await obs.shutdown();
    }
    // Each replica under one name, whichever request came first.
    expect(names).toEqual([['Orders.Mixed=2'], ['Orders.Mixed=2']]);
  });

  it('remembers which metrics were created with detect: true', () => {
    const { obs } = startCaptured();
    obs.metrics.counter('watched', { detect: true });
    obs.metrics.counter('unwatched');
    const state = (obs as unknown as { metricsState: { detected: Set<string> } }).metricsState;
    expect([...state.detected]).toEqual(['watched']);
  });

  it('caps series per instrument and folds the rest into the overflow series', async () => {
    const { obs, memory } = startCaptured({ cardinalityLimit: 10 });
    const c = obs.metrics.counter('by.user');
    for (let i = 0; i < 1000; i++) c.add(1, { user: `u${i}` });
    await obs.forceFlush();
    const points = memory.metrics().filter((p) => p.name === 'by.user');
    expect(points).toHaveLength(10);
    const overflow = points.find((p) => p.attributes['otel.metric.overflow'] === true);
    expect(overflow?.value).toBe(991);
    expect(points.reduce((sum, p) => sum + (p.value as number), 0)).toBe(1000);
  });

  // The SDK collects deltas for them, and its delta storage gives its places to the series
  // recorded first in each collection: a kept series recorded late had its counts in the overflow.
  it('gives a cumulative exporter all the counts of each series it keeps apart, whatever order they come in', async () => {
    const { obs, memory } = startCaptured({ cardinalityLimit: 10, anomaly: false });
    await recordShuffled(obs);
    const last = new Map<string, number>();
    for (const p of memory.metrics().filter((p) => p.name === 'orders.placed'))
      last.set(String(p.attributes.region ?? 'overflow'), p.value as number);
    for (const p of memory.metrics().filter((p) => p.name === 'http.server.request.duration'))
      last.set(String(p.attributes['http.route'] ?? '/overflow'), 10 * (p.value as { count: number }).count);
    const kept = [...last].filter(([name, value]) => !name.endsWith('overflow') && value !== 200);
    expect(kept).toEqual([]);
    expect(last.get('overflow')).toBe(3 * 200);
    expect(last.get('/overflow')).toBe(3 * 200);
  });
});

describe('bad input never throws, is dropped or repaired, and is counted', () => {
  it.each([
    ['NaN', Number.NaN, 'invalid_value'],
    ['Infinity', Number.POSITIVE_INFINITY, 'invalid_value'],
    ['-Infinity', Number.NEGATIVE_INFINITY, 'invalid_value'],
    ['a string', '12' as unknown as number, 'invalid_value'],
    ['undefined', undefined as unknown as number, 'invalid_value'],
    ['an object', {} as unknown as number, 'invalid_value'],
    ['a negative increment', -1, 'negative_increment'],
  ])('counter.add(%s)', async (_label, value, reason) => {
    const { obs, memory } = startCaptured();
    const c = obs.metrics.counter('guarded');
    expect(() => c.add(value)).not.toThrow();
    c.add(1);
    await obs.forceFlush();
    expect(obs.drops()[reason]).toBe(1);
    expect(memory.metrics().find((p) => p.name === 'guarded')?.value).toBe(1);
  });

  it('histogram.record(negative) is dropped and counted, as the SDK would drop it uncounted', async () => {
    const { obs, memory } = startCaptured();
    const h = obs.metrics.histogram('temperature.delta');
    h.record(2);
    h.record(-5);
    await obs.forceFlush();
    expect(obs.drops().negative_value).toBe(1);
    expect(memory.metrics().find((p) => p.name === 'temperature.delta')?.value).toMatchObject({ count: 1 });
  });

  it.each([
    ['the default config', {}],
    ['anomaly: false', { anomaly: false as const }],
    ['exportBands', { anomaly: { exportBands: true } }],
  ])('exports the drop counts as sightline.dropped with %s', async (_label, config) => {
    const { obs, memory } = startCaptured(config);
    obs.metrics.counter('orders').add(Number.NaN);
    await obs.forceFlush();
    const dropped = memory.metrics().filter((p) => p.name === 'sightline.dropped');
    expect(dropped.map((p) => [p.attributes.reason, p.value])).toEqual([['invalid_value', 1]]);
  });

  it('removes non-primitive attribute values and truncates long strings', async () => {
    const { obs, memory } = startCaptured({ maxAttributeLength: 16 });
    const c = obs.metrics.counter('attrs');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    c.add(1, {
      ok: 'yes',
      obj: circular as never,
      fn: (() => 1) as never,
      long: 'x'.repeat(100),
      list: ['a', 'b'],
    });
    c.add(1, 'not an object' as never);
    await obs.forceFlush();
    const points = memory.metrics().filter((p) => p.name === 'attrs');
    expect(points.map((p) => p.attributes)).toContainEqual({
      ok: 'yes',
      long: 'x'.repeat(16),
      list: ['a', 'b'],
    });
    expect(obs.drops()).toMatchObject({ invalid_attribute: 3, truncated_attribute: 1 });
  });

  it('leaves out an attribute whose value is undefined (a variable that is not set), uncounted, as spans do', async () => {
    const { obs, memory } = startCaptured();
    obs.metrics.counter('orders').add(1, { plan: 'pro', region: process.env.SIGHTLINE_TEST_UNSET });
    obs.metrics.histogram('checkout.duration').startTimer({ tenant: undefined })({ status: 'ok' });
    obs.trace('checkout', { attributes: { tenant: undefined } }, () => {});
    await obs.forceFlush();
    const points = memory.metrics().filter((p) => ['orders', 'checkout.duration'].includes(p.name));
    expect(points.map((p) => p.attributes)).toEqual([{ plan: 'pro' }, { status: 'ok' }]);
    expect(memory.spans()[0]?.attributes).toEqual({});
    expect(obs.drops()).toEqual({});
  });

  it('truncates long strings inside array attributes, as on spans', async () => {
    const { obs, memory } = startCaptured({ maxAttributeLength: 16 });
    obs.metrics.counter('tagged').add(1, { tags: ['short', 'y'.repeat(100)] });
    await obs.forceFlush();
    const point = memory.metrics().find((p) => p.name === 'tagged');
    expect(point?.attributes).toEqual({ tags: ['short', 'y'.repeat(16)] });
    expect(obs.drops()).toEqual({ truncated_attribute: 1 });
  });

  it('counts no truncation for a NaN attribute kept beside one that is removed', async () => {
    const { obs, memory } = startCaptured();
    obs.metrics.counter('ratios').add(1, { ratio: Number.NaN, obj: {} as never });
    await obs.forceFlush();
    const point = memory.metrics().find((p) => p.name === 'ratios');
    expect(point?.attributes).toEqual({ ratio: Number.NaN });
    expect(obs.drops()).toEqual({ invalid_attribute: 1 });
  });

  it('a histogram whose options cannot be read (a revoked proxy) records nothing, through metrics too', () => {
    const { proxy: options, revoke } = Proxy.revocable({ unit: 's' }, {});
    revoke();
    expect(() => metrics.histogram('early.revoked', options).startTimer()()).not.toThrow();
    const { obs } = startCaptured();
    expect(() => {
      metrics.histogram('late.revoked', options).record(1);
      obs.metrics.histogram('own.revoked', options).startTimer()();
    }).not.toThrow();
    expect(obs.drops().instrument_error).toBe(2);
  });

  it('drops attribute sets and values that are revoked proxies or proxies whose traps throw', async () => {
    const { obs, memory } = startCaptured();
    const { proxy: revoked, revoke } = Proxy.revocable([], {});
    revoke();
    const unlistable = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('ownKeys trap');
        },
      },
    );
    const bad = [revoked, unlistable] as never[];
    const c = obs.metrics.counter('proxied');
    const h = obs.metrics.histogram('proxied.h');
    obs.metrics.observableGauge('proxied.g', {}, (r) => {
      for (const attributes of bad) r.observe(1, attributes);
    });
    for (const attributes of bad) {
      expect(() => c.add(1, attributes)).not.toThrow();
      expect(() => obs.metrics.upDownCounter('proxied.u').add(1, attributes)).not.toThrow();
      expect(() => obs.metrics.gauge('proxied.gauge').record(1, attributes)).not.toThrow();
      expect(() => h.record(1, attributes)).not.toThrow();
      expect(() => h.startTimer()(attributes)).not.toThrow();
    }
    expect(() => c.add(1, { plan: 'pro', list: revoked })).not.toThrow();
    await obs.forceFlush();
    const points = memory.metrics().filter((p) => p.name === 'proxied');
    expect(points.map((p) => [p.attributes, p.value])).toEqual([
      [{}, 2],
      [{ plan: 'pro' }, 1],
    ]);
    expect(obs.drops()).toEqual({ invalid_attribute: 13 });
    expect(memory.metrics().find((p) => p.name === 'proxied.g')?.value).toBe(1);
  });

  it('drops recordings after shutdown', async () => {
    const { obs } = startCaptured();
    const c = obs.metrics.counter('late');
    const h = obs.metrics.histogram('late.h');
    await obs.shutdown();
    expect(() => {
      c.add(1);
      h.record(1);
      h.startTimer()();
      obs.log.info('after shutdown');
      obs.trace('after', () => {});
    }).not.toThrow();
    expect(obs.drops().after_shutdown).toBe(3);
  });

  it('swallows an observable gauge callback that throws', async () => {
    const { obs, memory } = startCaptured();
    obs.metrics.observableGauge('broken', {}, () => {
      throw new Error('callback bug');
    });
    await expect(obs.forceFlush()).resolves.toBeUndefined();
    expect(obs.drops().callback_error).toBeGreaterThanOrEqual(1);
    expect(memory.metrics().find((p) => p.name === 'broken')).toBeUndefined();
  });

  it('waits for an async observable gauge callback, and counts one that rejects', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { obs, memory } = startCaptured();
      obs.metrics.observableGauge('queue.depth', {}, async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        r.observe(7);
      });
      obs.metrics.observableGauge('queue.down', {}, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw new Error('queue service down');
      });
      await obs.forceFlush();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(memory.metrics().find((p) => p.name === 'queue.depth')?.value).toBe(7);
      expect(obs.drops().callback_error).toBe(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('counts a value a gauge callback observes after its collection, from a promise it did not return', async () => {
    const { obs, memory } = startCaptured();
    let settled: Promise<void> | undefined;
    obs.metrics.observableGauge('jobs.waiting', {}, (r) => {
      r.observe(1, { queue: 'mail' });
      // The query's promise is not returned: the collection does not wait for it.
      settled = new Promise<number>((resolve) => setTimeout(() => resolve(4), 5)).then((n) => {
        r.observe(n, { queue: 'sms' });
      });
    });
    await obs.forceFlush();
    await settled;
    expect(
      memory
        .metrics()
        .filter((p) => p.name === 'jobs.waiting')
        .map((p) => p.attributes),
    ).toEqual([{ queue: 'mail' }]);
    expect(obs.drops()).toEqual({ observed_late: 1 });
  });

  it('counts the values of a gauge callback the collection stopped waiting for once, as callback_timeout', async () => {
    const { obs, memory } = startCaptured();
    let observed: Promise<void> | undefined;
    obs.metrics.observableGauge('pool.idle', {}, (r) => {
      // A query slower than the flush can wait for: its value comes once the collection is over.
      observed = new Promise<number>((resolve) => setTimeout(() => resolve(3), 300)).then((n) => {
        r.observe(n);
      });
      return observed;
    });
    await obs.forceFlush({ timeoutMs: 200 });
    await observed;
    expect(memory.metrics().find((p) => p.name === 'pool.idle')).toBeUndefined();
    // One value lost, counted once: the collection's giving up on it, not its coming after too.
    expect(obs.drops()).toEqual({ callback_timeout: 1 });
  });

  it('forceFlush() and shutdown() export the other metrics when a gauge callback never settles', async () => {
    const { obs, memory } = startCaptured();
    obs.metrics.observableGauge('pool.idle', {}, async (r) => {
      r.observe(await new Promise<number>(() => {}));
    });
    obs.metrics.observableGauge('pool.size', {}, async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      r.observe(10);
    });
    const orders = obs.metrics.counter('orders');
    orders.add(5);
    await obs.forceFlush({ timeoutMs: 1000 });
    expect(memory.metrics().find((p) => p.name === 'orders')?.value).toBe(5);
    expect(memory.metrics().find((p) => p.name === 'pool.size')?.value).toBe(10);
    expect(memory.metrics().find((p) => p.name === 'pool.idle')).toBeUndefined();
    expect(obs.drops().callback_timeout).toBe(1);

    memory.reset();
    orders.add(2);
    const started = Date.now();
    await obs.shutdown({ timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(memory.metrics().find((p) => p.name === 'orders')?.value).toBe(7);
    expect(obs.drops().callback_timeout).toBe(2);
  });

  it('counts a gauge callback still pending when a periodic collection gives up on it', async () => {
    const { obs, memory } = startCaptured({ metricInterval: 200 });
    obs.metrics.observableGauge('pool.idle', {}, () => new Promise<void>(() => {}));
    obs.metrics.counter('orders').add(5);
    // Each collection waits for the callback up to its timeout, the interval, then exports the rest.
    await vi.waitFor(() => expect(obs.drops().callback_timeout).toBeGreaterThanOrEqual(1), {
      timeout: 3000,
    });
    await vi.waitFor(() => expect(memory.metrics().find((p) => p.name === 'orders')?.value).toBe(5));
  });

  it('shutdown() stops waiting for a gauge callback under fake timers too (vi.useFakeTimers())', async () => {
    vi.useFakeTimers();
    try {
      const { obs, memory } = startCaptured();
      obs.metrics.observableGauge('pool.idle', {}, () => new Promise<void>(() => {}));
      obs.metrics.counter('orders').add(5);
      await obs.shutdown({ timeoutMs: 1000 });
      expect(memory.metrics().find((p) => p.name === 'orders')?.value).toBe(5);
      expect(obs.drops().callback_timeout).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('logs circular objects, BigInt and errors, and drops a line whose getter throws', () => {
    const { obs, logs } = startCaptured();
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(() => {
      obs.log.info(circular, 'circular');
      obs.log.info({ big: 10n }, 'bigint');
      obs.log.error({ err: new Error('failed') }, 'error');
      obs.log.info(
        {
          get boom() {
            throw new Error('getter');
          },
        },
        'getter',
      );
    }).not.toThrow();
    const lines = logs();
    expect(lines.map((l) => l.msg)).toEqual(['circular', 'bigint', 'error']);
    expect(lines[0]?.self).toEqual({ a: 1, self: '[Circular]' });
    expect(lines[2]?.err).toMatchObject({ type: 'Error', message: 'failed' });
    expect(obs.drops().log_error).toBe(1);
  });

  it('reports a drop reason once through diagnostics, and only when enabled', async () => {
    const stderr = captureStderr();
    try {
      const { obs } = startCaptured({ diagnostics: 'warn' });
      const c = obs.metrics.counter('diag');
      for (let i = 0; i < 100; i++) c.add(Number.NaN);
      await obs.shutdown();
      const quiet = startCaptured().obs;
      quiet.metrics.counter('diag2').add(Number.NaN);
    } finally {
      stderr.restore();
    }
    expect(stderr.writes.filter((w) => w.includes('drop.invalid_value'))).toHaveLength(1);
  });

  it('warns once, at the call, of a name created again as another kind or unit, and exports both', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { obs, memory } = startCaptured();
    let atTheCall: unknown[][];
    let all: unknown[][];
    try {
      obs.metrics.counter('orders').add(1);
      obs.metrics.counter('orders').add(1);
      obs.metrics.histogram('Orders', { unit: 'ms' }).record(5);
      atTheCall = [...warn.mock.calls];
      obs.metrics.histogram('orders', { unit: 'ms' }).record(6);
      obs.metrics.counter('orders', { unit: 'ms' }).add(1);
      obs.metrics.counter('orders.amount').add(1);
    } finally {
      all = [...warn.mock.calls];
      warn.mockRestore();
    }

    expect(atTheCall).toEqual([
      [
        expect.stringMatching(/"Orders" .*histogram \(unit "ms"\).* counter \(no unit\)/),
        expect.objectContaining({ code: 'SLWRN002', type: 'SightlineWarning' }),
      ],
    ]);
    expect(all).toHaveLength(1);
    await obs.forceFlush();
    // Every recording is exported, whichever instrument took it.
    const points = memory.metrics().filter((p) => p.name.toLowerCase() === 'orders');
    const sum = (kind: string) =>
      points
        .filter((p) => p.kind === kind)
        .reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0);
    expect([sum('counter'), sum('histogram')]).toEqual([3, 2]);
  });
  it('warns once, at the call, of a histogram created again with other buckets, which are not used', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { obs } = startCaptured();
    let atTheCall: unknown[][];
    let all: unknown[][];
    try {
      obs.metrics.histogram('latency', { unit: 'ms', buckets: [10, 100] }).record(5);
      // Asked for again as it was, or with no buckets of its own: the one histogram, nothing to tell.
      obs.metrics.histogram('latency', { unit: 'ms', buckets: [10, 100] }).record(6);
      obs.metrics.histogram('latency', { unit: 'ms' }).record(7);
      obs.metrics.histogram('plain', { unit: 'ms' }).record(7);
      expect(warn).not.toHaveBeenCalled();
      // Another module's boundaries: the SDK keeps the first's and records into them.
      obs.metrics.histogram('Latency', { unit: 'ms', buckets: [1, 2, 3] }).record(2);
      obs.metrics.histogram('plain', { unit: 'ms', buckets: [5] }).record(7);
      atTheCall = [...warn.mock.calls];
      obs.metrics.histogram('latency', { unit: 'ms', buckets: [1000] }).record(2);
    } finally {
      all = [...warn.mock.calls];
      warn.mockRestore();
    }
    expect(atTheCall).toEqual([
      [
        expect.stringMatching(/"Latency" .*buckets \[1, 2, 3\].* buckets \[10, 100\]/),
        expect.objectContaining({ code: 'SLWRN002', type: 'SightlineWarning' }),
      ],
      [
        expect.stringMatching(/"plain" .*buckets \[5\].* default buckets/),
        expect.objectContaining({ code: 'SLWRN002', type: 'SightlineWarning' }),
      ],
    ]);
    expect(all).toHaveLength(2);
    await obs.shutdown();
  });
  it('does not warn of a histogram created again with the buckets it records into, spelled out', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { obs } = startCaptured();
    const defaults = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000];
    let calls: unknown[][];
    try {
      // The SDK's default boundaries, as one module leaves them and another writes them out.
      obs.metrics.histogram('latency', { unit: 'ms' }).record(5);
      obs.metrics.histogram('latency', { unit: 'ms', buckets: defaults }).record(6);
      obs.metrics.histogram('size', { unit: 'By', buckets: defaults }).record(5);
      obs.metrics.histogram('size', { unit: 'By' }).record(6);
      // Infinite boundaries, which the SDK leaves out of the buckets it makes.
      obs.metrics.histogram('queue.wait', { unit: 'ms', buckets: [10, 100] }).record(5);
      obs.metrics
        .histogram('queue.wait', { unit: 'ms', buckets: [10, 100, Number.POSITIVE_INFINITY] })
        .record(6);
    } finally {
      calls = [...warn.mock.calls];
      warn.mockRestore();
    }
    expect(calls).toEqual([]);
    await obs.shutdown();
  });
  it('warns once when two callbacks of one observable gauge observe the same series, of which one value is exported', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { obs, memory } = startCaptured();
    let calls: unknown[][];
    try {
      // One per queue, each with its own attributes: nothing to tell.
      obs.metrics.observableGauge('queue.depth', {}, (r) => r.observe(5, { queue: 'mail' }));
      obs.metrics.observableGauge('queue.depth', {}, (r) => r.observe(7, { queue: 'sms' }));
      await obs.forceFlush();
      expect(warn).not.toHaveBeenCalled();
      // Two modules, each reporting its pool's size without attributes: the second overwrites the first.
      obs.metrics.observableGauge('pool.size', {}, (r) => r.observe(3));
      obs.metrics.observableGauge('pool.size', {}, (r) => r.observe(4));
      await obs.forceFlush();
      await obs.forceFlush();
    } finally {
      calls = [...warn.mock.calls];
      warn.mockRestore();
    }
    expect(calls).toEqual([
      [
        expect.stringMatching(/"pool\.size" .*two callbacks.*same attributes/),
        expect.objectContaining({ code: 'SLWRN002', type: 'SightlineWarning' }),
      ],
    ]);
    const values = memory
      .metrics()
      .filter((p) => p.name === 'queue.depth')
      .map((p) => p.value);
    expect(new Set(values)).toEqual(new Set([5, 7]));
    await obs.shutdown();
  });
});
