import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type HistogramMetricData,
  InstrumentType,
  MeterProvider,
  MetricReader,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { KeyedHistograms } from '../../../src/metrics/keyed-histograms.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 1];

class Reader extends MetricReader {
  constructor(temporality: AggregationTemporality, producers: MetricProducer[]) {
    super({ aggregationTemporalitySelector: () => temporality, metricProducers: producers });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function setUp(temporalities: AggregationTemporality[], limit = 2000) {
  const resource = resourceFromAttributes({ 'service.name': 'svc' });
  const hub = new KeyedHistograms(resource, { name: 'svc', version: '' }, limit);
  const readers = temporalities.map((t) => new Reader(t, [hub.producer(() => t)]));
  const provider = new MeterProvider({ resource, readers });
  const sdk = provider
    .getMeter('svc')
    .createHistogram('sdk', { unit: 's', advice: { explicitBucketBoundaries: BUCKETS } });
  const keyed = hub.histogram('keyed', { unit: 's', description: 'd', buckets: BUCKETS });
  return { readers, sdk, keyed };
}

async function metric(reader: MetricReader, name: string): Promise<HistogramMetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  for (const sm of resourceMetrics.scopeMetrics)
    for (const m of sm.metrics) if (m.descriptor.name === name) return m as HistogramMetricData;
  return undefined;
}

const byRoute = (route: string) => () => ({ 'http.route': route });

describe('KeyedHistograms', () => {
  it('gives the data points the SDK histogram gives for the same recordings', async () => {
    const { readers, sdk, keyed } = setUp([AggregationTemporality.DELTA]);
    // Boundary values, values between, above the last boundary, zero; NaN is not counted.
    const values = [0, 0.005, 0.0051, 0.01, 0.3, 1, 7, Number.NaN, 0.02];
    for (const [i, v] of values.entries()) {
      const route = i % 2 === 0 ? '/a' : '/b';
      sdk.record(v, { 'http.route': route });
      keyed.record(v, route, byRoute(route));
    }
    const reader = readers[0]!;
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics);
    const fromSdk = all.find((m) => m.descriptor.name === 'sdk') as HistogramMetricData;
    const fromKeyed = all.find((m) => m.descriptor.name === 'keyed') as HistogramMetricData;
    expect(fromKeyed.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(fromKeyed.aggregationTemporality).toBe(AggregationTemporality.DELTA);
    expect((fromKeyed.descriptor as { type?: string }).type).toBe(InstrumentType.HISTOGRAM);
    const points = (m: HistogramMetricData) =>
      m.dataPoints
        .map((dp) => ({ attributes: dp.attributes, value: dp.value }))
        .sort((x, y) => String(x.attributes['http.route']).localeCompare(String(y.attributes['http.route'])));
    expect(points(fromKeyed)).toEqual(points(fromSdk));
    expect(fromKeyed.dataPoints.reduce((n, dp) => n + dp.value.count, 0)).toBe(8);
  });

  it('starts a delta reader from zero each collection and keeps a cumulative one adding up', async () => {
    const { readers, keyed } = setUp([AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE]);
    const [delta, cumulative] = readers as [Reader, Reader];
    keyed.record(0.002, '/a', byRoute('/a'));
    keyed.record(0.5, '/a', byRoute('/a'));
    expect((await metric(delta, 'keyed'))?.dataPoints[0]?.value).toMatchObject({
      count: 2,
      min: 0.002,
      max: 0.5,
    });
    // Nothing recorded since: a delta reader reports nothing, the cumulative one its totals.
    expect(await metric(delta, 'keyed')).toBeUndefined();
    keyed.record(0.02, '/a', byRoute('/a'));
    const d = (await metric(delta, 'keyed'))?.dataPoints[0];
    expect(d?.value).toMatchObject({ count: 1, sum: 0.02, min: 0.02, max: 0.02 });
    expect(d?.value.buckets.counts).toEqual([0, 0, 1, 0, 0, 0, 0]);
    const c = (await metric(cumulative, 'keyed'))?.dataPoints[0];
    expect(c?.value).toMatchObject({ count: 3, min: 0.002, max: 0.5 });
    expect(c?.value.sum).toBeCloseTo(0.522, 12);
    expect(c?.value.buckets.counts).toEqual([1, 0, 1, 0, 0, 1, 0]);
  });

  it('makes the attributes once per series, and folds series past the limit into the overflow series', async () => {
    const { readers, keyed } = setUp([AggregationTemporality.DELTA], 3);
    let made = 0;
    const attributes = (route: string) => () => {
      made++;
      return { 'http.route': route };
    };
    for (let i = 0; i < 3; i++) keyed.record(0.001, '/a', attributes('/a'));
    keyed.record(0.001, '/b', attributes('/b'));
    keyed.record(0.001, '/c', attributes('/c'));
    keyed.record(0.001, '/d', attributes('/d'));
    expect(made).toBe(2);
    const m = await metric(readers[0]!, 'keyed');
    const counts = Object.fromEntries(
      (m?.dataPoints ?? []).map((dp) => [JSON.stringify(dp.attributes), dp.value.count]),
    );
    expect(counts).toEqual({
      '{"http.route":"/a"}': 3,
      '{"http.route":"/b"}': 1,
      '{"otel.metric.overflow":true}': 2,
    });
  });

  // The anomaly engine's reader keeps more apart, to choose the exporters' series itself.
  it("folds the series past a reader's own limit at collection, the others' kept apart", async () => {
    const resource = resourceFromAttributes({ 'service.name': 'svc' });
    const hub = new KeyedHistograms(resource, { name: 'svc', version: '' }, 3);
    const exporter = new Reader(AggregationTemporality.DELTA, [
      hub.producer(() => AggregationTemporality.DELTA),
    ]);
    const engine = new Reader(AggregationTemporality.DELTA, [
      hub.producer(() => AggregationTemporality.DELTA, 6),
    ]);
    new MeterProvider({ resource, readers: [exporter, engine] });
    const keyed = hub.histogram('keyed', { unit: 's', description: 'd', buckets: BUCKETS });
    for (let i = 0; i < 3; i++) keyed.record(0.002, '/a', byRoute('/a'));
    keyed.record(0.02, '/b', byRoute('/b'));
    keyed.record(0.001, '/c', byRoute('/c'));
    keyed.record(0.3, '/d', byRoute('/d'));
    keyed.record(0.07, '/e', byRoute('/e'));
    const points = async (reader: Reader) =>
      Object.fromEntries(
        ((await metric(reader, 'keyed'))?.dataPoints ?? []).map((dp) => [
          JSON.stringify(dp.attributes),
          [dp.value.count, dp.value.min, dp.value.max, dp.value.buckets.counts.join(' ')],
        ]),
      );
    expect(await points(exporter)).toEqual({
      '{"http.route":"/a"}': [3, 0.002, 0.002, '3 0 0 0 0 0 0'],
      '{"http.route":"/b"}': [1, 0.02, 0.02, '0 0 1 0 0 0 0'],
      '{"otel.metric.overflow":true}': [3, 0.001, 0.3, '1 0 0 0 1 1 0'],
    });
    expect(Object.keys(await points(engine))).toEqual(
      ['/a', '/b', '/c', '/d', '/e'].map((r) => JSON.stringify({ 'http.route': r })),
    );
  });

  it('counts the limit per collection for delta readers, as the SDK does, so series seen long ago do not fill it', async () => {
    const { readers, sdk, keyed } = setUp([AggregationTemporality.DELTA, AggregationTemporality.DELTA], 3);
    const first = readers[0];
    // A client calling a new host every few minutes: each collection sees two, never the same again.
    for (let cycle = 0; cycle < 50; cycle++) {
      for (const host of [`h${cycle}a`, `h${cycle}b`]) {
        sdk.record(0.001, { 'server.address': host });
        keyed.record(0.001, host, () => ({ 'server.address': host }));
      }
      for (const reader of readers) {
        const { resourceMetrics } = await reader.collect();
        const points = (name: string) =>
          resourceMetrics.scopeMetrics
            .flatMap((sm) => sm.metrics)
            .filter((m) => m.descriptor.name === name)
            .flatMap((m) => (m as HistogramMetricData).dataPoints.map((dp) => dp.attributes))
            .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
        expect(points('keyed'), `cycle ${cycle}, ${reader === first ? 'first' : 'second'} reader`).toEqual(
          points('sdk'),
        );
      }
    }
  });

  it('keeps a cumulative reader adding up a series a delta reader has collected', async () => {
    const { readers, keyed } = setUp([AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE], 3);
    const [delta, cumulative] = readers as [Reader, Reader];
    keyed.record(0.002, '/a', byRoute('/a'));
    await metric(delta, 'keyed');
    await metric(delta, 'keyed');
    keyed.record(0.004, '/a', byRoute('/a'));
    keyed.record(0.004, '/b', byRoute('/b'));
    keyed.record(0.004, '/c', byRoute('/c'));
    const counts = Object.fromEntries(
      ((await metric(cumulative, 'keyed'))?.dataPoints ?? []).map((dp) => [
        JSON.stringify(dp.attributes),
        dp.value.count,
      ]),
    );
    expect(counts).toEqual({
      '{"http.route":"/a"}': 2,
      '{"http.route":"/b"}': 1,
      '{"otel.metric.overflow":true}': 1,
    });
  });

  it('refuses a producer once histograms exist, since their series are sized for the readers', () => {
    const hub = new KeyedHistograms(resourceFromAttributes({}), { name: 'svc' }, 10);
    hub.producer(() => AggregationTemporality.DELTA);
    hub.histogram('h', { unit: 's', description: '', buckets: BUCKETS });
    expect(() => hub.producer(() => AggregationTemporality.DELTA)).toThrow(/before histograms/);
  });
});
