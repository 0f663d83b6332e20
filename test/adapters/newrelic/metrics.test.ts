import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  expectGolden,
  FAST_CHANNEL,
  LICENSE_KEY,
  normalize,
  startWithNewRelic,
  stopSightline,
} from './helpers.js';
import { type NrIntake, type NrRequest, startNrIntake } from './intake-server.js';

interface Body {
  common: { attributes: Record<string, unknown> };
  metrics: {
    name: string;
    type: string;
    value: unknown;
    timestamp: number;
    'interval.ms'?: number;
    attributes?: Record<string, unknown>;
  }[];
}

const ours = (requests: NrRequest[]) =>
  requests.flatMap((r) => (r.json as Body[])[0]!.metrics).filter((m) => !m.name.startsWith('sightline.'));

let intake: NrIntake;
beforeEach(async () => {
  intake = await startNrIntake({ licenseKey: LICENSE_KEY });
});
afterEach(async () => {
  vi.useRealTimers();
  await stopSightline();
  await intake.close();
});

describe('newrelic metrics → Metric API', () => {
  it('POSTs gzipped JSON with Api-Key and Content-Length to /metric/v1, in the documented shape', async () => {
    const { obs } = startWithNewRelic(intake);
    const orders = obs.metrics.counter('checkout.orders.placed', { unit: '{order}' });
    const depth = obs.metrics.upDownCounter('checkout.queue.depth');
    const latency = obs.metrics.histogram('checkout.latency', { unit: 'ms' });
    const cart = obs.metrics.gauge('checkout.cart.value');
    orders.add(40, { region: 'eu' });
    orders.add(2, { region: 'eu' });
    orders.add(1, { region: 'us', 'user-agent': 'curl', count: 7 });
    depth.add(5);
    depth.add(-2);
    for (const v of [0.5, 1.7, 0.9, 0.6, 0.6]) latency.record(v, { route: '/orders' });
    cart.record(87.5);
    await obs.forceFlush();

    const accepted = intake.accepted('metrics');
    expect(accepted.length).toBeGreaterThan(0);
    const req = accepted[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/metric/v1');
    expect(req.headers['api-key']).toBe(LICENSE_KEY);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(Number(req.headers['content-length'])).toBe(req.wire.byteLength);
    expect(gunzipSync(req.wire).equals(req.body)).toBe(true);
    expect(req.status).toBe(202);

    const body = req.json as Body[];
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(1);
    const common = body[0]!.common.attributes;
    expect(common['service.name']).toBe('checkout');
    expect(common['service.version']).toBe('1.4.2');
    expect(common.environment).toBe('prod');
    expect(common['host.name']).toBe('web-01');

    const metrics = ours(accepted).sort((a, b) =>
      (a.name + JSON.stringify(a.attributes)).localeCompare(b.name + JSON.stringify(b.attributes)),
    );
    for (const m of metrics) {
      if (m.type !== 'gauge') expect(m['interval.ms']).toBeGreaterThan(0);
      expect(Number.isInteger(m.timestamp)).toBe(true);
    }
    expectGolden('metrics', normalize([{ common: body[0]!.common, metrics }]));
    expect(obs.stats().newrelic?.metrics?.delivered).toBeGreaterThanOrEqual(metrics.length);
  });

  it('drops points queued past the 48 hours the Metric API takes them (a paused process), counting them as expired', async () => {
    const { obs } = startWithNewRelic(intake, {
      metricIntervalMs: 100,
      channel: { ...FAST_CHANNEL, flushIntervalMs: 3_600_000 },
    });
    obs.metrics.counter('checkout.orders.placed').add(1);
    while ((obs.stats().newrelic?.metrics?.queued ?? 0) === 0) await new Promise((r) => setTimeout(r, 10));
    // The process stood still for two days (SIGSTOP, a paused container) with the points queued.
    const resumedAt = Date.now() + 49 * 3_600_000;
    vi.useFakeTimers({ toFake: ['Date'], now: resumedAt });
    await obs.forceFlush();
    const points = intake.requests
      .filter((r) => r.path === '/metric/v1')
      .flatMap((r) => (r.json as Body[])[0]!.metrics);
    // The Metric API drops points more than 48 hours old: none sent is, and none is lost uncounted.
    expect(points.filter((p) => p.timestamp < resumedAt - 48 * 3_600_000)).toEqual([]);
    const stats = obs.stats().newrelic?.metrics;
    expect(stats?.dropped.expired).toBeGreaterThan(0);
    expect(stats?.delivered).toBe(points.length);
  });

  it('delivers a collection of 6,000 series whole, with the intake healthy', async () => {
    const { obs } = startWithNewRelic(intake);
    for (const name of ['a.count', 'b.count', 'c.count']) {
      const counter = obs.metrics.counter(name);
      for (let i = 0; i < 2000; i++) counter.add(1, { shard: String(i) });
    }
    await obs.forceFlush();
    const stats = obs.stats().newrelic?.metrics;
    expect(stats?.dropped).toEqual({});
    expect(stats?.delivered).toBe(stats?.produced);
    expect(ours(intake.requests.filter((r) => r.api === 'metrics'))).toHaveLength(6000);
  });

  it('takes a metric interval beyond the timer range as the longest one, not as every millisecond', async () => {
    const { obs } = startWithNewRelic(intake, { metricIntervalMs: 2 ** 31 });
    obs.metrics.counter('orders').add(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(intake.requests.filter((r) => r.api === 'metrics')).toHaveLength(0);
  });

  it('sends counters and histograms as deltas and up-down counters as the current level', async () => {
    const { obs } = startWithNewRelic(intake);
    const orders = obs.metrics.counter('orders');
    const depth = obs.metrics.upDownCounter('queue.depth');
    const latency = obs.metrics.histogram('latency');
    orders.add(5);
    depth.add(10);
    latency.record(4);
    latency.record(6);
    await obs.forceFlush();
    orders.add(3);
    depth.add(-4);
    latency.record(1);
    await obs.forceFlush();

    const all = ours(intake.accepted('metrics'));
    const byName = (name: string) => all.filter((m) => m.name === name);
    expect(byName('orders').map((m) => [m.type, m.value])).toEqual([
      ['count', 5],
      ['count', 3],
    ]);
    expect(byName('queue.depth').map((m) => [m.type, m.value])).toEqual([
      ['gauge', 10],
      ['gauge', 6],
    ]);
    expect(byName('latency').map((m) => [m.type, m.value])).toEqual([
      ['summary', { count: 2, sum: 10, min: 4, max: 6 }],
      ['summary', { count: 1, sum: 1, min: 1, max: 1 }],
    ]);
    // Consecutive delta windows touch: the second starts where the first ended.
    const [first, second] = byName('orders');
    expect(second!.timestamp).toBeGreaterThanOrEqual(first!.timestamp + first!['interval.ms']! - 1);
  });

  it('keeps an attribute named __proto__ (from parsed JSON), so the series it tells apart stay apart', async () => {
    const { obs } = startWithNewRelic(intake);
    const orders = obs.metrics.counter('orders.tenant', {});
    orders.add(2, JSON.parse('{"__proto__":"tenant-7","region":"eu"}'));
    orders.add(5, JSON.parse('{"__proto__":"tenant-8","region":"eu"}'));
    await obs.forceFlush();
    const sent = ours(intake.accepted('metrics')).filter((m) => m.name === 'orders.tenant');
    const tenants = sent.map((m) => [
      Object.getOwnPropertyDescriptor(m.attributes, '__proto__')?.value,
      m.value,
    ]);
    expect(tenants.sort()).toEqual([
      ['tenant-7', 2],
      ['tenant-8', 5],
    ]);
  });

  it('counts attributes past the Metric API limit of 100, keeping apart the series only they tell apart', async () => {
    const { obs } = startWithNewRelic(intake);
    const orders = obs.metrics.counter('orders.wide', {});
    const wide = (tenant: string) => {
      const attributes: Record<string, string | number> = {};
      for (let i = 0; i < 120; i++) attributes[`k${String(i).padStart(3, '0')}`] = i;
      attributes.tenant = tenant;
      return attributes;
    };
    orders.add(2, wide('tenant-7'));
    orders.add(5, wide('tenant-8'));
    await obs.forceFlush();

    const sent = ours(intake.accepted('metrics')).filter((m) => m.name === 'orders.wide');
    const common = (intake.accepted('metrics')[0]!.json as Body[])[0]!.common.attributes;
    const room = 100 - Object.keys(common).length;
    expect(sent.map((m) => m.value).sort()).toEqual([2, 5]);
    expect(new Set(sent.map((m) => JSON.stringify(m.attributes))).size).toBe(2);
    for (const m of sent) expect(Object.keys(m.attributes!)).toHaveLength(room);
    // All but one place for the attributes that fit; the last tells apart what the rest did.
    expect(obs.drops().attribute_count_limit).toBe(2 * (121 - (room - 1)));
  });

  it('keeps apart series whose attribute names differ only past the 254 characters the Metric API takes, and counts the cut', async () => {
    const { obs } = startWithNewRelic(intake);
    const long = `cache.${'k'.repeat(260)}`;
    const lookups = obs.metrics.counter('cache.lookups', {});
    lookups.add(2, { [`${long}.hit`]: 'yes', [`${long}.miss`]: 'no' });
    lookups.add(5, { [`${long}.hit`]: 'no', [`${long}.miss`]: 'no' });
    await obs.forceFlush();

    const sent = ours(intake.accepted('metrics')).filter((m) => m.name === 'cache.lookups');
    expect(sent.map((m) => m.value).sort()).toEqual([2, 5]);
    expect(new Set(sent.map((m) => JSON.stringify(m.attributes))).size).toBe(2);
    for (const m of sent) {
      const names = Object.keys(m.attributes!);
      expect(names).toHaveLength(2);
      for (const k of names) expect(k).toMatch(/^cache\.k{200,}[A-Za-z0-9:._]*$/);
      for (const k of names) expect(k.length).toBeLessThanOrEqual(254);
    }
    expect(obs.drops().truncated_attribute).toBe(4);
  });

  it('keeps apart metrics whose names differ only past the 254 characters the Metric API takes, and counts the cut', async () => {
    const { obs } = startWithNewRelic(intake);
    const long = `orders.${'x'.repeat(300)}`;
    obs.metrics.counter(`${long}.placed`, {}).add(2);
    obs.metrics.counter(`${long}.cancelled`, {}).add(5);
    await obs.forceFlush();

    const sent = ours(intake.accepted('metrics')).filter((m) => m.name.startsWith('orders.'));
    expect(sent.map((m) => m.value).sort()).toEqual([2, 5]);
    expect(new Set(sent.map((m) => m.name)).size).toBe(2);
    for (const m of sent) expect(m.name.length).toBeLessThanOrEqual(254);
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('keeps apart series whose attribute values differ only past the 4,096 characters the Metric API takes, and counts the cut', async () => {
    const { obs } = startWithNewRelic(intake, {}, { maxAttributeLength: 10_000 });
    const query = `select ${'c'.repeat(5000)}`;
    const queries = obs.metrics.counter('db.queries', {});
    queries.add(2, { 'db.query.text': `${query} from orders` });
    queries.add(5, { 'db.query.text': `${query} from refunds` });
    await obs.forceFlush();

    const sent = ours(intake.accepted('metrics')).filter((m) => m.name === 'db.queries');
    expect(sent.map((m) => m.value).sort()).toEqual([2, 5]);
    const values = sent.map((m) => m.attributes!['db.query.text'] as string);
    expect(new Set(values).size).toBe(2);
    for (const v of values) expect(v.length).toBeLessThanOrEqual(4096);
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('keeps both attributes whose names the Metric API rules make one (user-id and user_id, value and attr.value)', async () => {
    const { obs } = startWithNewRelic(intake);
    const logins = obs.metrics.counter('logins', {});
    logins.add(2, { 'user-id': 'u-1', user_id: 'legacy', value: 'gold', 'attr.value': 'x' });
    logins.add(5, { 'user-id': 'u-2', user_id: 'legacy', value: 'gold', 'attr.value': 'x' });
    logins.add(7, { 'user-id': 'u-3', 'user id': 'u-9' });
    await obs.forceFlush();

    const sent = ours(intake.accepted('metrics')).filter((m) => m.name === 'logins');
    expect(sent.map((m) => m.value).sort()).toEqual([2, 5, 7]);
    expect(new Set(sent.map((m) => JSON.stringify(m.attributes))).size).toBe(3);
    for (const m of sent) {
      const values = Object.values(m.attributes!).map(String).sort();
      expect(values).toEqual(
        m.value === 7 ? ['u-3', 'u-9'] : ['gold', 'legacy', `u-${m.value === 2 ? 1 : 2}`, 'x'],
      );
      for (const k of Object.keys(m.attributes!)) expect(k).toMatch(/^[A-Za-z0-9:._]{1,254}$/);
    }
    const [two] = sent.filter((m) => m.value === 2);
    // The attribute whose name had to change gives way to the one named so.
    expect(two!.attributes).toMatchObject({ user_id: 'legacy', 'attr.value': 'x' });
  });

  it("keeps the service's entity and host on a point whose attributes name them with other values", async () => {
    const { obs } = startWithNewRelic(intake);
    // A gateway counting calls per downstream service, under the resource attribute's name.
    const calls = obs.metrics.counter('gateway.calls');
    calls.add(3, { 'service.name': 'payments', 'host.name': 'db-7', route: '/pay' });
    calls.add(4, { 'service.name': 'checkout', route: '/cart' });
    await obs.forceFlush();

    const [request] = intake.accepted('metrics');
    const common = (request!.json as Body[])[0]!.common.attributes;
    // What New Relic stores: a point's attribute replaces the one of that name in `common`.
    const stored = ours(intake.accepted('metrics'))
      .filter((m) => m.name === 'gateway.calls')
      .map((m): Record<string, unknown> => ({ value: m.value, ...common, ...m.attributes }))
      .sort((a, b) => Number(a.value) - Number(b.value));
    expect(stored.map((m) => [m.value, m['service.name'], m['host.name']])).toEqual([
      [3, 'checkout', 'web-01'],
      [4, 'checkout', 'web-01'],
    ]);
    expect(stored[0]).toMatchObject({
      'attr.service.name': 'payments',
      'attr.host.name': 'db-7',
      route: '/pay',
    });
    expect(stored[1]).not.toHaveProperty('attr.service.name');
  });

  it('keeps attributes within the Metric API rules: names, reserved keys, value length, count', async () => {
    const { obs } = startWithNewRelic(intake);
    const attributes: Record<string, string | number | boolean | string[]> = {
      'user id': 'u-1',
      value: 'reserved',
      tags: ['a', 'b'],
      long: 'x'.repeat(5000),
      ok: true,
    };
    for (let i = 0; i < 150; i++) attributes[`k${String(i).padStart(3, '0')}`] = i;
    obs.metrics.counter('wide', {}).add(1, attributes);
    await obs.forceFlush();

    const [m] = ours(intake.accepted('metrics')).filter((x) => x.name === 'wide');
    const common = (intake.accepted('metrics')[0]!.json as Body[])[0]!.common.attributes;
    const attrs = m!.attributes!;
    expect(attrs['user_id']).toBe('u-1');
    expect(attrs['attr.value']).toBe('reserved');
    expect(attrs.value).toBeUndefined();
    expect(attrs.tags).toBe('["a","b"]');
    expect(attrs.long).toBe('x'.repeat(4096));
    expect(attrs.ok).toBe(true);
    expect(Object.keys(attrs).length + Object.keys(common).length).toBeLessThanOrEqual(100);
    for (const k of Object.keys(attrs)) expect(k).toMatch(/^[A-Za-z0-9:._]{1,254}$/);
  });
});
