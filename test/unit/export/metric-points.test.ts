import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  flattenResourceMetrics,
  type HistogramPoint,
  type MetricPoint,
  type NumberPoint,
} from '../../../src/export/metric-points.js';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collect(
  record: (provider: MeterProvider) => void,
  temporality = AggregationTemporality.CUMULATIVE,
  views: ConstructorParameters<typeof MeterProvider>[0] = {},
): Promise<{ rm: ResourceMetrics; reader: TestReader }> {
  const reader = new TestReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({ ...views, readers: [reader] });
  record(provider);
  const { resourceMetrics } = await reader.collect();
  return { rm: resourceMetrics, reader };
}

const byName = (points: MetricPoint[], name: string) => points.filter((p) => p.name === name);

describe('flattenResourceMetrics', () => {
  it('flattens every instrument kind with its attributes, unit, temporality and times', async () => {
    const before = Date.now();
    const { rm } = await collect((provider) => {
      const m = provider.getMeter('test');
      m.createCounter('orders', { unit: '{order}', description: 'Orders placed' }).add(3, { region: 'eu' });
      m.createUpDownCounter('inflight').add(-2);
      m.createGauge('temperature', { unit: 'Cel' }).record(21.5);
      m.createObservableCounter('bytes').addCallback((r) => r.observe(1024));
      m.createObservableUpDownCounter('connections').addCallback((r) => r.observe(7));
      m.createObservableGauge('heap').addCallback((r) => r.observe(99, { space: 'old' }));
      const h = m.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
      for (const v of [5, 50, 500]) h.record(v, { route: '/a' });
    });
    const points = flattenResourceMetrics(rm);

    expect(byName(points, 'orders')).toEqual([
      expect.objectContaining({
        kind: 'counter',
        unit: '{order}',
        description: 'Orders placed',
        temporality: 'cumulative',
        monotonic: true,
        attributes: { region: 'eu' },
        value: 3,
      }),
    ]);
    const kinds = Object.fromEntries(points.map((p) => [p.name, p.kind]));
    expect(kinds).toEqual({
      orders: 'counter',
      inflight: 'upDownCounter',
      temperature: 'gauge',
      bytes: 'observableCounter',
      connections: 'observableUpDownCounter',
      heap: 'observableGauge',
      latency: 'histogram',
    });
    expect((byName(points, 'inflight')[0] as NumberPoint).value).toBe(-2);
    expect(byName(points, 'inflight')[0]?.monotonic).toBe(false);
    expect((byName(points, 'heap')[0] as NumberPoint).attributes).toEqual({ space: 'old' });

    const latency = byName(points, 'latency')[0] as HistogramPoint;
    expect(latency.histogram).toEqual({
      count: 3,
      sum: 555,
      min: 5,
      max: 500,
      buckets: { boundaries: [10, 100], counts: [1, 1, 1] },
    });
    for (const p of points) {
      expect(p.timeMs).toBeGreaterThanOrEqual(before - 1);
      expect(p.timeMs).toBeLessThanOrEqual(Date.now() + 1);
      expect(p.startTimeMs).toBeLessThanOrEqual(p.timeMs);
    }
  });

  it('reports delta temporality as the reader chose it', async () => {
    const { rm } = await collect(
      (p) => p.getMeter('t').createCounter('c').add(1),
      AggregationTemporality.DELTA,
    );
    expect(flattenResourceMetrics(rm)[0]?.temporality).toBe('delta');
  });

  it('copies histogram buckets, so a later cumulative collection does not change queued points', async () => {
    const reader = new TestReader({
      aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
    });
    const provider = new MeterProvider({ readers: [reader] });
    const h = provider.getMeter('t').createHistogram('h', { advice: { explicitBucketBoundaries: [10] } });
    h.record(1);
    const first = flattenResourceMetrics((await reader.collect()).resourceMetrics)[0] as HistogramPoint;
    h.record(1);
    h.record(20);
    await reader.collect();
    expect(first.histogram.buckets.counts).toEqual([1, 0]);
    expect(first.histogram.count).toBe(1);
  });

  it('omits min and max of a histogram point with no finite extremes', async () => {
    const { rm } = await collect((p) => p.getMeter('t').createHistogram('h').record(3));
    // The SDK marks "no value" with ±Infinity; those must not reach an encoder as numbers.
    const metric = rm.scopeMetrics[0]!.metrics[0]!;
    const dp = metric.dataPoints[0]!;
    const emptied = {
      ...rm,
      scopeMetrics: [
        {
          ...rm.scopeMetrics[0]!,
          metrics: [
            {
              ...metric,
              dataPoints: [
                {
                  ...dp,
                  value: {
                    count: 0,
                    sum: 0,
                    min: Infinity,
                    max: -Infinity,
                    buckets: { boundaries: [1], counts: [0, 0] },
                  },
                },
              ],
            },
          ],
        },
      ],
    } as ResourceMetrics;
    const point = flattenResourceMetrics(emptied)[0] as HistogramPoint;
    expect(point.histogram).toEqual({ count: 0, sum: 0, buckets: { boundaries: [1], counts: [0, 0] } });
    expect('min' in point.histogram).toBe(false);
  });

  it('skips exponential histograms and reports how many points it skipped', async () => {
    const { rm } = await collect(
      (p) => {
        const h = p.getMeter('t').createHistogram('exp');
        h.record(1, { a: '1' });
        h.record(2, { a: '2' });
        p.getMeter('t').createCounter('kept').add(1);
      },
      AggregationTemporality.CUMULATIVE,
      {
        views: [{ instrumentName: 'exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
      },
    );
    let skipped = 0;
    const points = flattenResourceMetrics(rm, (n) => {
      skipped += n;
    });
    expect(points.map((p) => p.name)).toEqual(['kept']);
    expect(skipped).toBe(2);
  });
});
