import { SpanStatusCode } from '@opentelemetry/api';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationType,
  type DataPoint,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { AnomalyEvent } from '../../../src/anomaly/event.js';
import { explain } from '../../../src/anomaly/explain.js';
import { encodeLogsRequest, encodeTraceRequest } from '../../../src/export/otlp-encoders.js';
import { encodeOtlpEventRecord } from '../../../src/export/otlp-logs.js';
import { eventSize, pointSize, spanSize } from '../../../src/export/otlp-sizes.js';

function finishedSpans() {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer(
    't',
  );
  tracer.startSpan('bare').end();
  tracer
    .startSpan('GET /orders/:id', {
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/orders/:id',
        'http.response.status_code': 200,
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
      },
    })
    .end();
  tracer.startSpan('db', { attributes: { 'db.query.text': 'x'.repeat(4000), tags: ['a', 'b'] } }).end();
  const failed = tracer.startSpan('pay');
  for (let i = 0; i < 5; i++) failed.recordException(new Error(`declined ${'y'.repeat(2000)}`));
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'declined' });
  failed.end();
  return exporter.getFinishedSpans();
}

describe('spanSize', () => {
  it('estimates what a span adds to a protobuf request within a third, without encoding it', () => {
    for (const span of finishedSpans()) {
      const added = encodeTraceRequest([span, span]).byteLength - encodeTraceRequest([span]).byteLength;
      expect(spanSize(span), span.name).toBeGreaterThan(added * 0.67);
      expect(spanSize(span), span.name).toBeLessThan(added * 1.5);
    }
  });
});

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collected(): Promise<ResourceMetrics> {
  const reader = new TestReader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [{ instrumentName: 'spread', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('t');
  meter.createCounter('bare').add(1);
  meter.createUpDownCounter('depth').add(-2.5, { queue: 'orders' });
  meter.createCounter('searches').add(3, {
    'http.route': '/search',
    'url.full': `https://shop.example/search?q=${'z'.repeat(1000)}`,
    page: 5,
  });
  meter.createHistogram('latency').record(12, { route: '/pay' });
  const spread = meter.createHistogram('spread');
  for (const v of [0.01, 1, 5, 50, 500, 5000]) spread.record(v);
  return (await reader.collect()).resourceMetrics;
}

describe('pointSize', () => {
  it('estimates what a metric point adds to a protobuf request within a third, without encoding it', async () => {
    const rm = await collected();
    for (const scope of rm.scopeMetrics) {
      for (const metric of scope.metrics) {
        const point = metric.dataPoints[0] as DataPoint<unknown>;
        const encoded = (n: number) => {
          const dataPoints = Array(n).fill(point);
          const request = { ...rm, scopeMetrics: [{ ...scope, metrics: [{ ...metric, dataPoints }] }] };
          return ProtobufMetricsSerializer.serializeRequest(request as ResourceMetrics)?.byteLength ?? 0;
        };
        const added = encoded(2) - encoded(1);
        expect(pointSize(point), metric.descriptor.name).toBeGreaterThan(added * 0.67);
        expect(pointSize(point), metric.descriptor.name).toBeLessThan(added * 1.5);
      }
    }
  });
});

describe('eventSize', () => {
  it('estimates what an anomaly event adds to a protobuf request within a third, without encoding it', () => {
    const origin = { resource: emptyResource(), scope: { name: 'sightline' } };
    const event = (attributes: Record<string, string>): AnomalyEvent => ({
      metric: 'http.server.request.duration.p95',
      attributes,
      time: 1_700_000_000_000,
      observed: 912.5,
      expected: 120.25,
      band: { lower: 80.5, upper: 160.75 },
      score: 0.997,
      severity: 91,
      kind: 'level_shift',
      explanation: explain(
        'http.server.request.duration.p95',
        attributes,
        'level_shift',
        912.5,
        120.25,
        80.5,
        160.75,
        91,
      ),
      service: 'checkout',
      environment: 'production',
    });
    const events = [
      event({}),
      event({ 'http.request.method': 'GET', 'http.route': '/orders/:id' }),
      event({ tenant: 't-42', 'url.full': `https://shop.example/search?q=${'z'.repeat(2000)}` }),
    ];
    for (const e of events) {
      const record = encodeOtlpEventRecord(e, origin);
      const added = encodeLogsRequest([record, record]).byteLength - encodeLogsRequest([record]).byteLength;
      expect(eventSize(e), e.explanation.slice(0, 40)).toBeGreaterThan(added * 0.67);
      expect(eventSize(e), e.explanation.slice(0, 40)).toBeLessThan(added * 1.5);
    }
  });
});
