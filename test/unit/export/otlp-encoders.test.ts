import { type Attributes, context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { TraceState } from '@opentelemetry/core';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeLogsRequest, encodeTraceRequest } from '../../../src/export/otlp-encoders.js';

// The reference is the OpenTelemetry serializer itself: every request must match it byte for byte.
const reference = {
  traces: (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
  logs: (records: ReadableLogRecord[]) => Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!),
};

const hostile: Attributes = {
  ascii: 'GET',
  empty: '',
  unicode: 'café – 東京 🚀',
  long: 'x'.repeat(300),
  longUnicode: 'é'.repeat(200),
  int: 42,
  zero: 0,
  negative: -7,
  bigInt: 2 ** 40 + 3,
  hugeNegative: -(2 ** 52),
  double: 0.125,
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  yes: true,
  no: false,
  strings: ['a', 'b', ''],
  numbers: [1, 2.5, -3],
  mixed: ['a', 1, true, null, undefined] as never,
  emptyArray: [],
  // Where a KeyValue's lengths stop fitting one byte each: 127 bytes of key and value, then 128.
  atEdge: 'y'.repeat(115),
  pastEdge: 'y'.repeat(114),
  lateUnicode: 'abcdefé',
  [`long${'k'.repeat(130)}`]: 'v',
  oneByte: 127,
  twoBytes: 128,
  lastTwoBytes: 16383,
  threeBytes: 16384,
};

function makeSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const makeProvider = (service: string) =>
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'process.pid': 1234 }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
  const first = makeProvider('checkout');
  const second = makeProvider('billing');
  const tracer = first.getTracer('sightline', '1.2.3');
  const other = first.getTracer('plain');
  const billing = second.getTracer('sightline', '1.2.3', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
  });

  const root = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER, attributes: hostile });
  root.addEvent('exception', { 'exception.message': 'boom – ünïcode', 'exception.type': 'Error' });
  root.addEvent('no attributes');
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  root.end();
  const child = tracer.startSpan(
    'SELECT',
    {
      kind: SpanKind.CLIENT,
      links: [
        {
          context: {
            traceId: 'ABCDEF0123456789abcdef0123456789',
            spanId: '0123456789abcdef',
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
          },
          attributes: { reason: 'batch' },
        },
      ],
    },
    undefined,
  );
  child.end();
  other.startSpan('internal').end();
  const remoteParent = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    traceState: new TraceState('vendor=abc,other=1'),
    isRemote: true,
  };
  billing
    .startSpan(
      'from remote',
      { kind: SpanKind.CONSUMER },
      trace.setSpanContext(context.active(), remoteParent),
    )
    .end();
  return exporter.getFinishedSpans() as ReadableSpan[];
}

describe('OTLP protobuf encoders', () => {
  it('encode spans exactly as the OpenTelemetry serializer does', () => {
    const spans = makeSpans();
    expect(spans.length).toBe(4);
    expect(Buffer.from(encodeTraceRequest(spans))).toEqual(reference.traces(spans));
    // Each alone too (one resource, one scope), and a large batch whose lengths need three bytes.
    for (const span of spans)
      expect(Buffer.from(encodeTraceRequest([span]))).toEqual(reference.traces([span]));
    const many = Array.from({ length: 400 }, (_, i) => spans[i % spans.length]!);
    expect(Buffer.from(encodeTraceRequest(many))).toEqual(reference.traces(many));
  });

  it('return a request of their own, not a view the next request overwrites', () => {
    const spans = makeSpans();
    const first = encodeTraceRequest(spans.slice(0, 1));
    const copy = Buffer.from(first);
    encodeTraceRequest(spans.slice(1));
    expect(Buffer.from(first)).toEqual(copy);
  });

  it('encode log records exactly as the OpenTelemetry serializer does', () => {
    const resource = resourceFromAttributes({ 'service.name': 'checkout' });
    const scope = { name: 'sightline' };
    const record = (overrides: Partial<ReadableLogRecord>): ReadableLogRecord => ({
      hrTime: [1_764_331_200, 123_456_789],
      hrTimeObserved: [1_764_331_200, 123_456_789],
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'GET /users/:id 200',
      resource,
      instrumentationScope: scope,
      attributes: { method: 'GET', status: 200, duration_ms: 0.25 },
      droppedAttributesCount: 0,
      ...overrides,
    });
    const records: ReadableLogRecord[] = [
      record({
        spanContext: {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          traceFlags: 1,
        },
      }),
      record({ severityNumber: SeverityNumber.UNSPECIFIED, severityText: undefined, body: undefined }),
      record({ body: { nested: { deep: [1, 'two'] } } as never, attributes: hostile as never }),
      record({ eventName: 'sightline.anomaly', instrumentationScope: { name: 'other', version: '2' } }),
      record({ resource: resourceFromAttributes({ 'service.name': 'billing' }), body: 'ünïcode – 東京' }),
    ];
    expect(Buffer.from(encodeLogsRequest(records))).toEqual(reference.logs(records));
    const many = Array.from({ length: 1000 }, (_, i) => records[i % records.length]!);
    expect(Buffer.from(encodeLogsRequest(many))).toEqual(reference.logs(many));
  });
});
