import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { type CollectionTruth, recordWorkload } from '../../helpers/wire-workload.js';
import { KEY, nextSecond, start } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
  server = undefined;
});

type Series = {
  metric: string;
  type: number;
  interval?: number;
  points: { value: number }[];
  tags: string[];
};

/** The user's series of the requests from `from` to `to`, those the intake took. */
function seriesOf(server: IntakeServer, from: number, to: number): Series[] {
  return server
    .on('/api/v2/series')
    .slice(from, to)
    .filter((r) => r.status === 202)
    .flatMap((r) => (JSON.parse(r.text) as { series: Series[] }).series)
    .filter((s) => s.metric.startsWith('wv.'));
}

/** `metric|tenant` → [type, value] of one collection's series; a series twice is an error. */
function byKey(series: Series[]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const s of series) {
    const tenant = s.tags.find((t) => t.startsWith('tenant:'))?.slice(7) ?? '-';
    const key = `${s.metric}|${tenant}`;
    expect(out.has(key), `${key} twice in one collection`).toBe(false);
    expect(s.points).toHaveLength(1);
    out.set(key, [s.type, s.points[0]!.value]);
  }
  return out;
}

function expected(t: CollectionTruth): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const [k, v] of t.orders) out.set(`wv.orders|${k}`, [1, v]);
  for (const [k, v] of t.depth) out.set(`wv.depth|${k}`, [3, v]);
  for (const [k, v] of t.temperature) out.set(`wv.temperature|${k}`, [3, v]);
  for (const [k, v] of t.pool) out.set(`wv.pool|${k}`, [3, v]);
  for (const [name, hs] of [
    ['wv.latency', t.latency],
    ['wv.sizes', t.sizes],
  ] as const) {
    for (const [k, h] of hs) {
      out.set(`${name}.count|${k}`, [1, h.count]);
      out.set(`${name}.sum|${k}`, [1, h.sum]);
      out.set(`${name}.min|${k}`, [3, h.min]);
      out.set(`${name}.max|${k}`, [3, h.max]);
      out.set(`${name}.avg|${k}`, [3, h.sum / h.count]);
    }
  }
  return out;
}

describe('datadog: values on the wire against a seeded workload', () => {
  it.each([1, 2, 3, 4])('sends each collection as recorded (seed %i)', async (seed) => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { histograms: { percentiles: [] } });
    const marks: number[] = [];
    const truths = await recordWorkload(obs, seed, 5, async () => {
      marks.push(server!.on('/api/v2/series').length);
      nextSecond();
      await obs.forceFlush();
    });
    marks.push(server.on('/api/v2/series').length);
    for (let c = 0; c < truths.length; c++) {
      const sent = byKey(seriesOf(server, marks[c]!, marks[c + 1]!));
      const want = expected(truths[c]!);
      expect([...sent.keys()].sort(), `collection ${c}`).toEqual([...want.keys()].sort());
      for (const [k, [type, value]] of want) {
        const [gotType, gotValue] = sent.get(k)!;
        expect(gotType, `${k} in collection ${c}`).toBe(type);
        expect(gotValue, `${k} in collection ${c}`).toBeCloseTo(value, 6);
      }
    }
    const last = truths[truths.length - 1]!;
    expect(obs.drops().invalid_value ?? 0).toBe(last.invalid);
    expect(obs.drops().negative_value ?? 0).toBe(last.negative);
    expect(obs.stats().datadog?.metrics?.dropped).toEqual({});
  });
});

describe('datadog: the interval of a count', () => {
  // Datadog turns a count into a rate with its interval: a series with no points in the interval
  // before had the seconds since its first recording, down to 1, and its rate taken that many times too high.
  it('is the time since the previous collection, also for a series not recorded in it', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { histograms: { percentiles: [] } });
    const orders = obs.metrics.counter('wv.orders');
    const latency = obs.metrics.histogram('wv.latency', { unit: 'ms' });
    orders.add(1, { tenant: 'a' });
    await obs.forceFlush();
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    orders.add(1, { tenant: 'a' });
    orders.add(1, { tenant: 'b' });
    latency.record(12, { tenant: 'b' });
    await obs.forceFlush();
    const window = Math.round((Date.now() - before) / 1000);
    const counts = seriesOf(server, 0, server.on('/api/v2/series').length).filter((s) => s.type === 1);
    const intervals = (tenant: string) =>
      counts
        .filter((s) => s.tags.includes(`tenant:${tenant}`) && s.points[0]!.value > 0 && s.interval! > 1)
        .map((s) => s.metric);
    expect(window).toBeGreaterThanOrEqual(3);
    expect(intervals('a')).toEqual(['wv.orders']);
    expect(intervals('b').sort()).toEqual(['wv.latency.count', 'wv.latency.sum', 'wv.orders']);
    for (const s of counts.filter((s) => s.interval! > 1))
      expect(Math.abs(s.interval! - window)).toBeLessThanOrEqual(1);
  });
});

describe('datadog: the interval of the first count', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // The SDK times its points by the wall clock: a first window started by the monotonic one,
  // which a machine asleep or a clock set forward leaves behind, was that much longer.
  it('is the time since init() when the wall clock is ahead of the monotonic one', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_000 });
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { histograms: { percentiles: [] } });
    obs.metrics.counter('wv.orders').add(1, { tenant: 'a' });
    await obs.forceFlush();
    const counts = seriesOf(server, 0, server.on('/api/v2/series').length).filter((s) => s.type === 1);
    expect(counts.map((s) => [s.metric, s.interval])).toEqual([['wv.orders', 1]]);
  });
});

describe('datadog: past cardinalityLimit', () => {
  // The reader has room for twice cardinalityLimit series a collection: in one with more, those
  // recorded last are in the overflow series, kept ones too, and what it sends adds up to what was recorded.
  it('sends in the overflow series what it folded, the kept series recorded last in a crowded interval too', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {}, { cardinalityLimit: 10 });
    const orders = obs.metrics.counter('wv.orders');
    for (let i = 0; i < 9; i++) orders.add(1, { tenant: `kept${i}` });
    await obs.forceFlush();
    const from = server.on('/api/v2/series').length;
    for (let i = 0; i < 30; i++) orders.add(2, { tenant: `new${i}` });
    for (let i = 0; i < 9; i++) orders.add(3, { tenant: `kept${i}` });
    await obs.forceFlush();
    const sent = seriesOf(server, from, server.on('/api/v2/series').length);
    const overflow = sent.filter((s) => s.tags.includes('otel.metric.overflow:true'));
    const own = sent.filter((s) => !s.tags.includes('otel.metric.overflow:true'));
    expect(own.length).toBeLessThanOrEqual(9);
    expect(overflow).toHaveLength(1);
    const total = sent.reduce((sum, s) => sum + s.points[0]!.value, 0);
    expect(total).toBe(30 * 2 + 9 * 3);
    // Not one of the kept series has its 3: they came after twice the limit of new ones.
    expect(own.filter((s) => s.tags.some((t) => t.startsWith('tenant:kept')))).toEqual([]);
  });
});

describe('datadog: a collection while the one before is still being sent', () => {
  it('sends both, each once, and what Datadog keeps adds up to both', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script('/api/v2/series', { delayMs: 400 });
    const { obs } = start(server, { histograms: { percentiles: [] } });
    const orders = obs.metrics.counter('wv.orders');
    orders.add(1, { tenant: 'a' });
    const first = obs.forceFlush();
    await new Promise((r) => setTimeout(r, 100));
    orders.add(2, { tenant: 'a' });
    await Promise.all([first, obs.forceFlush()]);
    const sent = seriesOf(server, 0, server.on('/api/v2/series').length).filter(
      (s) => s.metric === 'wv.orders',
    );
    expect(sent).toHaveLength(2);
    // The second collection sends its count added to the first's if they share their second.
    const kept = server.keptPoints().filter((p) => p.metric === 'wv.orders');
    expect(kept.reduce((sum, p) => sum + p.value, 0)).toBe(3);
    expect(server.on('/api/v2/series').filter((r) => r.status !== 202)).toEqual([]);
  });
});
