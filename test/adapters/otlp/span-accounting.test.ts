import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OtlpCollector, startCollector } from './intake-server.js';
import { decodeProtobuf, TRACES_REQUEST } from './protobuf-decode.js';
import { startWithOtlp, stopSightline } from './helpers.js';

/** The spans the collector took in http/protobuf requests, decoded. */
function protobufSpans(collector: OtlpCollector) {
  type Span = {
    name: string;
    attributes?: { key: string }[];
    events?: { name: string; attributes?: { key: string }[] }[];
    links?: { spanId: string; attributes?: { key: string }[] }[];
  };
  return collector.accepted('traces').flatMap((r) => {
    const body = decodeProtobuf(r.body, TRACES_REQUEST) as {
      resourceSpans: { scopeSpans: { spans: Span[] }[] }[];
    };
    return body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  });
}

describe('span drop accounting', () => {
  let collector: OtlpCollector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await stopSightline();
    await collector.close();
  });

  it('counts a method called off its span as detached_span_method, not as the value it was given', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const span = obs.tracer.startSpan('checkout');
    const { setAttribute, setAttributes, addEvent, setStatus, addLink, recordException } = span;
    const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    // Values a span takes, given with no span to take them.
    expect(() => {
      setAttribute('order.items', 2);
      setAttributes({ plan: 'pro' });
      addEvent('paid', { amount: 10 });
      setStatus({ code: 2 });
      addLink({ context: producer });
      recordException(new Error('declined'));
    }).not.toThrow();
    const detached = obs.tracer.startSpan('detached');
    const { end } = detached;
    expect(() => end()).not.toThrow();
    span.end();
    await obs.forceFlush();
    expect(protobufSpans(collector).map((s) => s.name)).toEqual(['checkout']);
    // The span a detached end() could not end is never sent: counted with the rest.
    expect(obs.drops()).toEqual({ detached_span_method: 7 });
  });
});
