import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  InstrumentType,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createOtlpLogSink,
  createOtlpMetricExporter,
  createOtlpTraceExporter,
  type OtlpProtocol,
} from '../../../src/export/otlp.js';
import { type OtlpCollector, type OtlpRequest, startCollector } from './intake-server.js';
import {
  canonical,
  decodeProtobuf,
  LOGS_REQUEST,
  METRICS_REQUEST,
  TRACES_REQUEST,
} from './protobuf-decode.js';

const resource = resourceFromAttributes({ 'service.name': 'billing', 'service.version': '2.0.0' });
const channel = { gzip: false, flushIntervalMs: 20 };
const KEYS = { messageKey: 'msg', levelKey: 'level', timeKey: 'time', timeFormat: 'epoch' } as const;

class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function bodyOf(r: OtlpRequest | undefined, schema: typeof TRACES_REQUEST): unknown {
  if (r === undefined) throw new Error('no request');
  return r.headers['content-type'] === 'application/json' ? r.json : decodeProtobuf(r.body, schema);
}

describe('the shared OTLP exporters in a plain OpenTelemetry SDK', () => {
  let collector: OtlpCollector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await collector.close();
  });

  const url = (signal: string) => new URL(`${collector.url}/v1/${signal}`);
  const config = (signal: string, protocol: OtlpProtocol) => ({
    adapter: 'plain',
    url: url(signal),
    protocol,
    channel,
  });

  it('exports spans from a NodeTracerProvider with a SimpleSpanProcessor, identically in protobuf and JSON', async () => {
    const json = createOtlpTraceExporter(config('traces', 'http/json'));
    const proto = createOtlpTraceExporter(config('traces', 'http/protobuf'));
    const provider = new NodeTracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor(json.exporter), new SimpleSpanProcessor(proto.exporter)],
    });
    const tracer = provider.getTracer('billing-lib', '3.1.0');
    tracer.startActiveSpan('charge card', { kind: SpanKind.SERVER, attributes: { amount: 12.5 } }, (span) => {
      span.addEvent('retry', { attempt: 2 });
      tracer.startSpan('http POST', { kind: SpanKind.CLIENT }).end();
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'declined' });
      span.end();
    });
    await provider.forceFlush();
    await provider.shutdown();

    const [jsonReq] = collector.requests.filter((r) => r.headers['content-type'] === 'application/json');
    const [protoReq] = collector.requests.filter(
      (r) => r.headers['content-type'] === 'application/x-protobuf',
    );
    const fromJson = bodyOf(jsonReq, TRACES_REQUEST) as {
      resourceSpans: { scopeSpans: { scope: { name: string }; spans: { name: string; kind: number }[] }[] }[];
    };
    const scopeSpans = fromJson.resourceSpans[0]?.scopeSpans[0];
    expect(scopeSpans?.scope.name).toBe('billing-lib');
    expect(scopeSpans?.spans.map((s) => [s.name, s.kind])).toEqual([
      ['http POST', 3],
      ['charge card', 2],
    ]);
    expect(canonical(bodyOf(protoReq, TRACES_REQUEST))).toEqual(canonical(fromJson));
    expect(json.channel.stats()).toMatchObject({ produced: 2, delivered: 2 });
    expect(proto.channel.stats()).toMatchObject({ produced: 2, delivered: 2 });
  });

  it('exports a metric collection identically in protobuf and JSON, and plugs into a PeriodicExportingMetricReader', async () => {
    const reader = new ManualReader();
    const provider = new MeterProvider({ resource, readers: [reader] });
    const meter = provider.getMeter('billing-lib');
    meter.createCounter('invoices', { unit: '{invoice}' }).add(7, { plan: 'pro' });
    meter.createUpDownCounter('open.sessions').add(-2);
    meter.createHistogram('charge.amount', { advice: { explicitBucketBoundaries: [10, 100] } }).record(42);
    meter.createObservableGauge('queue.depth').addCallback((r) => r.observe(5, { queue: 'a' }));
    const { resourceMetrics } = await reader.collect();

    const json = createOtlpMetricExporter({ ...config('metrics', 'http/json'), temporality: 'cumulative' });
    const proto = createOtlpMetricExporter({
      ...config('metrics', 'http/protobuf'),
      temporality: 'cumulative',
    });
    const done: number[] = [];
    json.exporter.export(resourceMetrics as ResourceMetrics, (r) => done.push(r.code));
    proto.exporter.export(resourceMetrics as ResourceMetrics, (r) => done.push(r.code));
    await Promise.all([json.exporter.forceFlush(), proto.exporter.forceFlush()]);
    expect(done).toEqual([0, 0]);
    const jsonBody = bodyOf(
      collector.requests.find((r) => r.json !== undefined),
      METRICS_REQUEST,
    );
    const protoBody = bodyOf(
      collector.requests.find((r) => r.json === undefined),
      METRICS_REQUEST,
    );
    expect(canonical(protoBody)).toEqual(canonical(jsonBody));
    expect(JSON.stringify(jsonBody)).toContain('"charge.amount"');
    expect(json.channel.stats()).toMatchObject({ produced: 4, delivered: 4 });
    await Promise.all([json.exporter.shutdown(), proto.exporter.shutdown(), provider.shutdown()]);

    // The same exporter driven by the SDK's own periodic reader.
    const periodic = createOtlpMetricExporter({
      ...config('metrics', 'http/protobuf'),
      temporality: 'delta',
    });
    const sdk = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({ exporter: periodic.exporter, exportIntervalMillis: 60_000 }),
      ],
    });
    sdk.getMeter('m').createCounter('pings').add(1);
    await sdk.forceFlush();
    expect(periodic.channel.stats()).toMatchObject({ produced: 1, delivered: 1 });
    const last = decodeProtobuf(collector.requests.at(-1)?.body as Buffer, METRICS_REQUEST);
    expect(JSON.stringify(last)).toContain('"aggregationTemporality":1');
    await sdk.shutdown();
  });

  it('chooses temporality per instrument as the OTLP exporter specification says', () => {
    const pick = (temporality: 'cumulative' | 'delta' | 'lowmemory') => {
      const { exporter, channel: c } = createOtlpMetricExporter({
        ...config('metrics', 'http/json'),
        temporality,
      });
      void c.shutdown(0);
      const select = exporter.selectAggregationTemporality as (t: InstrumentType) => AggregationTemporality;
      return [
        InstrumentType.COUNTER,
        InstrumentType.OBSERVABLE_COUNTER,
        InstrumentType.HISTOGRAM,
        InstrumentType.UP_DOWN_COUNTER,
        InstrumentType.OBSERVABLE_GAUGE,
      ].map((t) => (select(t) === AggregationTemporality.DELTA ? 'D' : 'C'));
    };
    expect(pick('cumulative')).toEqual(['C', 'C', 'C', 'C', 'C']);
    expect(pick('delta')).toEqual(['D', 'D', 'D', 'C', 'C']);
    expect(pick('lowmemory')).toEqual(['D', 'C', 'D', 'C', 'C']);
  });

  it('ships JSON log lines as log records, identically in protobuf and JSON; a non-JSON line is an encode_error', async () => {
    const lines = [
      JSON.stringify({
        level: 'error',
        time: 1_700_000_000_123,
        msg: 'card declined',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n at x' },
        'service.name': 'billing',
        code: 'D05',
      }),
      JSON.stringify({
        level: 'debug',
        time: 1_700_000_000_124,
        msg: 'inside',
        trace_id: '5b8efff798038103d269b633813fc60c',
        span_id: 'eee19b7ec3c1b174',
        trace_flags: '01',
      }),
    ];
    const sinks = (['http/json', 'http/protobuf'] as const).map((protocol) =>
      createOtlpLogSink({ ...config('logs', protocol), logKeys: () => KEYS, resource }),
    );
    for (const { sink } of sinks) for (const line of lines) sink.write(line);
    await Promise.all(sinks.map((s) => s.sink.forceFlush?.()));
    const jsonBody = bodyOf(
      collector.requests.find((r) => r.json !== undefined),
      LOGS_REQUEST,
    ) as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    const protoBody = bodyOf(
      collector.requests.find((r) => r.json === undefined),
      LOGS_REQUEST,
    );
    expect(canonical(protoBody)).toEqual(canonical(jsonBody));
    const [error, debug] = jsonBody.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
    expect(error).toMatchObject({
      timeUnixNano: '1700000000123000000',
      severityNumber: 17,
      severityText: 'ERROR',
      body: { stringValue: 'card declined' },
      attributes: [
        { key: 'exception.type', value: { stringValue: 'Error' } },
        { key: 'exception.message', value: { stringValue: 'boom' } },
        { key: 'exception.stacktrace', value: { stringValue: 'Error: boom\n at x' } },
        { key: 'code', value: { stringValue: 'D05' } },
      ],
    });
    expect(debug).toMatchObject({
      severityNumber: 5,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      flags: 1,
    });

    const [first] = sinks;
    first?.sink.write('not json');
    first?.sink.write(lines[0] as string);
    await first?.sink.forceFlush?.();
    expect(first?.channel.stats()).toMatchObject({ produced: 4, delivered: 3, dropped: { encode_error: 1 } });
    await Promise.all(sinks.map((s) => s.sink.shutdown?.()));
  });
});
