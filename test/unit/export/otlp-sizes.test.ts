import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { encodeTraceRequest } from '../../../src/export/otlp-encoders.js';
import { spanSize } from '../../../src/export/otlp-sizes.js';

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
