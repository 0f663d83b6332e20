import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/export/channel.js';
import type { MetricPoint } from '../../../src/export/metric-points.js';
import {
  createLogSink,
  createMetricExporter,
  createSpanExporter,
} from '../../../src/export/otel-exporters.js';
import type { Signal } from '../../../src/export/types.js';
import { encodeJson, identityHolds, type Intake, startIntake } from './intake-server.js';

let intake: Intake;
afterEach(async () => {
  await intake?.close();
});

function channelOf<T>(signal: Signal) {
  return createChannel<T>(
    {
      adapter: 'test',
      signal,
      url: new URL(`${intake.url}/v1/${signal}`),
      limits: { maxItems: 100, maxBytes: 1_000_000 },
      encode: encodeJson,
    },
    { flushIntervalMs: 60_000 },
  );
}

const exportOnce = (exporter: { export(x: never, cb: (r: ExportResult) => void): void }, data: unknown) =>
  new Promise<ExportResult>((resolve) => exporter.export(data as never, resolve));

describe('createMetricExporter', () => {
  it('delivers flattened points through a periodic reader, with delta temporality where asked', async () => {
    intake = await startIntake();
    const channel = channelOf<MetricPoint>('metrics');
    const exporter = createMetricExporter(channel, { temporality: 'delta' });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('app');
    meter.createCounter('orders').add(2, { plan: 'pro' });
    meter.createUpDownCounter('inflight').add(3);
    meter.createHistogram('latency').record(12);

    await provider.forceFlush();

    const points = intake.requests.flatMap((r) => JSON.parse(r.text) as MetricPoint[]);
    const byName = Object.fromEntries(points.map((p) => [p.name, p]));
    expect(byName.orders).toMatchObject({
      kind: 'counter',
      temporality: 'delta',
      value: 2,
      attributes: { plan: 'pro' },
    });
    expect(byName.inflight).toMatchObject({ kind: 'upDownCounter', temporality: 'cumulative', value: 3 });
    expect(byName.latency).toMatchObject({
      kind: 'histogram',
      temporality: 'delta',
      histogram: { count: 1, sum: 12 },
    });
    expect(channel.stats()).toMatchObject({ produced: 3, delivered: 3, queued: 0 });

    await provider.shutdown();
    expect(await exportOnce(exporter, { resource: {}, scopeMetrics: [] })).toMatchObject({
      code: ExportResultCode.FAILED,
    });
  });

  it('queues a collection of 6,000 series whole with the default queue size', async () => {
    intake = await startIntake();
    const channel = createChannel<MetricPoint>({
      adapter: 'test',
      signal: 'metrics',
      url: new URL(`${intake.url}/v1/metrics`),
      limits: { maxItems: 1000, maxBytes: 5_000_000 },
      encode: encodeJson,
    });
    const exporter = createMetricExporter(channel, { temporality: 'delta' });
    const provider = new MeterProvider({
      readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })],
    });
    const meter = provider.getMeter('app');
    // Three instruments at the default cardinality limit's scale: the collection arrives in one call.
    for (const name of ['a', 'b', 'c']) {
      const counter = meter.createCounter(name);
      for (let i = 0; i < 2000; i++) counter.add(1, { shard: i });
    }
    await provider.forceFlush();
    await channel.forceFlush();

    const s = channel.stats();
    expect(s.dropped).toEqual({});
    expect(s).toMatchObject({ produced: 6000, delivered: 6000, queued: 0 });
    expect(intake.requests.reduce((n, r) => n + (JSON.parse(r.text) as unknown[]).length, 0)).toBe(6000);
    await provider.shutdown();
  });

  it.each([
    ['delta', InstrumentType.COUNTER, AggregationTemporality.DELTA],
    ['delta', InstrumentType.OBSERVABLE_COUNTER, AggregationTemporality.DELTA],
    ['delta', InstrumentType.HISTOGRAM, AggregationTemporality.DELTA],
    ['delta', InstrumentType.UP_DOWN_COUNTER, AggregationTemporality.CUMULATIVE],
    ['delta', InstrumentType.OBSERVABLE_GAUGE, AggregationTemporality.CUMULATIVE],
    ['cumulative', InstrumentType.COUNTER, AggregationTemporality.CUMULATIVE],
    ['cumulative', InstrumentType.HISTOGRAM, AggregationTemporality.CUMULATIVE],
  ] as const)('with %s preference selects for %s: %s', (temporality, type, expected) => {
    intake = undefined as unknown as Intake;
    const channel = createChannel<MetricPoint>({
      adapter: 't',
      signal: 'metrics',
      url: new URL('http://127.0.0.1:9/'),
      limits: { maxItems: 1, maxBytes: 10 },
      encode: encodeJson,
    });
    expect(createMetricExporter(channel, { temporality }).selectAggregationTemporality?.(type)).toBe(
      expected,
    );
  });

  it('answers SUCCESS at once and counts a collection it cannot convert as encode_error', async () => {
    intake = await startIntake();
    const channel = channelOf<string>('metrics');
    const exporter = createMetricExporter(channel, {
      temporality: 'cumulative',
      toItems: () => {
        throw new Error('bad data');
      },
    });
    expect(await exportOnce(exporter, { resource: {}, scopeMetrics: [] })).toEqual({
      code: ExportResultCode.SUCCESS,
    });
    const s = channel.stats();
    expect(s).toMatchObject({ produced: 1, dropped: { encode_error: 1 } });
    expect(identityHolds(s)).toBe(true);
  });
});

describe('createSpanExporter', () => {
  it('delivers spans from a BatchSpanProcessor, mapped by toItems', async () => {
    intake = await startIntake();
    const channel = channelOf<{ name: string; traceId: string }>('traces');
    const exporter = createSpanExporter(channel, (spans: ReadableSpan[]) =>
      spans.map((s) => ({ name: s.name, traceId: s.spanContext().traceId })),
    );
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
    const tracer = provider.getTracer('app');
    tracer.startSpan('GET /a').end();
    tracer.startSpan('GET /b').end();

    // BatchSpanProcessor.forceFlush hands spans to the exporter but does not flush the exporter itself.
    await provider.forceFlush();
    await exporter.forceFlush?.();

    const sent = intake.requests.flatMap((r) => JSON.parse(r.text) as { name: string; traceId: string }[]);
    expect(sent.map((s) => s.name)).toEqual(['GET /a', 'GET /b']);
    expect(sent[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(channel.stats()).toMatchObject({ produced: 2, delivered: 2, queued: 0 });

    await provider.shutdown();
    expect(await exportOnce(exporter, [])).toMatchObject({ code: ExportResultCode.FAILED });
  });
});

describe('createLogSink', () => {
  it('ships written lines and flushes them on demand', async () => {
    intake = await startIntake();
    const channel = channelOf<string>('logs');
    const sink = createLogSink(channel);
    sink.write('{"msg":"a"}');
    sink.write('{"msg":"b"}');
    await sink.forceFlush?.();
    expect(JSON.parse(intake.requests[0]?.text ?? '[]')).toEqual(['{"msg":"a"}', '{"msg":"b"}']);
    await sink.shutdown?.();
    sink.write('late');
    expect(channel.stats()).toMatchObject({ produced: 3, delivered: 2, dropped: { shutdown: 1 } });
  });
});
