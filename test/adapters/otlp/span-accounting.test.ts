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

  it('never throws from a span method called off its span, and counts the name it could not set', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const span = obs.tracer.startSpan('checkout');
    const { updateName, spanContext, isRecording } = span;
    expect(() => updateName('checkout paid')).not.toThrow();
    // Nothing given, nothing lost: the answers of no span.
    expect(spanContext()).toEqual({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
    expect(isRecording()).toBe(false);
    expect(span.isRecording()).toBe(true);
    span.end();
    await obs.forceFlush();
    expect(protobufSpans(collector).map((s) => s.name)).toEqual(['checkout']);
    expect(obs.drops()).toEqual({ detached_span_method: 1 });
  });

  it('never throws from a span method called off a span its sampler left out', async () => {
    const { obs } = startWithOtlp(
      collector,
      { protocol: 'http/protobuf', signals: ['traces'] },
      { sampling: 0 },
    );
    const span = obs.tracer.startSpan('checkout');
    expect(span.isRecording()).toBe(false);
    const { updateName, spanContext, isRecording, setAttribute, end } = span;
    expect(() => updateName('checkout paid')).not.toThrow();
    expect(() => setAttribute('order.items', 2)).not.toThrow();
    expect(() => end()).not.toThrow();
    expect(isRecording()).toBe(false);
    // As no span does, as one sampled answers off its span.
    expect(() => spanContext()).not.toThrow();
    expect(spanContext()).toEqual({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanContext().traceId).not.toBe('0'.repeat(32));
    await obs.forceFlush();
    expect(protobufSpans(collector)).toEqual([]);
    expect(obs.drops()).toEqual({});
  });

  it('counts a name given to a span after it ended as after_span_end, as its other values', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const span = obs.tracer.startSpan('checkout');
    span.end();
    span.updateName('checkout paid');
    await obs.forceFlush();
    expect(protobufSpans(collector).map((s) => s.name)).toEqual(['checkout']);
    expect(obs.drops()).toEqual({ after_span_end: 1 });
  });

  it("counts nothing after_span_end for obs.trace's own error on a span its callback ended", async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    // As with OpenTelemetry's startActiveSpan: the callback records its error and ends the span.
    const checkout = async () =>
      obs.trace('checkout', async (span) => {
        try {
          throw new Error('declined');
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: 2, message: 'declined' });
          throw error;
        } finally {
          span.end();
        }
      });
    await expect(checkout()).rejects.toThrow('declined');
    expect(() =>
      obs.trace('sync', (span) => {
        span.end();
        throw new Error('late');
      }),
    ).toThrow('late');
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(span?.events?.map((e) => e.name)).toEqual(['exception']);
    // The callback gave its span nothing once it had ended: nothing it gave was lost.
    expect(obs.drops()).toEqual({});
  });

  it('counts an event evicted by the event count limit once, its invalid attribute with it', async () => {
    vi.stubEnv('OTEL_SPAN_EVENT_COUNT_LIMIT', '1');
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    obs.trace('checkout', (span) => {
      span.addEvent('paid', { amount: 10, card: { last4: '4242' } as never });
      span.addEvent('shipped', { carrier: 'ups' });
    });
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(span?.events?.map((e) => e.name)).toEqual(['shipped']);
    expect(obs.drops()).toEqual({ event_count_limit: 1 });
  });

  it('counts the invalid attribute of an event kept once, as invalid_attribute', async () => {
    vi.stubEnv('OTEL_SPAN_EVENT_COUNT_LIMIT', '1');
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    obs.trace('checkout', (span) => {
      span.addEvent('paid', { amount: 10 });
      span.addEvent('shipped', { carrier: 'ups', at: new Date() as never, box: {} as never });
    });
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(span?.events?.map((e) => [e.name, e.attributes?.map((a) => a.key)])).toEqual([
      ['shipped', ['carrier']],
    ]);
    expect(obs.drops()).toEqual({ event_count_limit: 1, invalid_attribute: 2 });
  });

  it('counts a link evicted by the link count limit once, its invalid attribute with it', async () => {
    vi.stubEnv('OTEL_SPAN_LINK_COUNT_LIMIT', '1');
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    obs.trace('consume', (span) => {
      span.addLink({ context: producer, attributes: { batch: 2, at: new Date() as never } });
      span.addLink({ context: { ...producer, spanId: 'c'.repeat(16) }, attributes: { batch: 3 } });
    });
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(span?.links?.map((l) => l.spanId)).toEqual(['c'.repeat(16)]);
    expect(obs.drops()).toEqual({ link_count_limit: 1 });
  });

  it("counts a link of obs.trace's options evicted by the link count limit once, its invalid attribute with it", async () => {
    vi.stubEnv('OTEL_SPAN_LINK_COUNT_LIMIT', '1');
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    const links = [
      { context: producer, attributes: { batch: 2, at: new Date() as never } },
      { context: { ...producer, spanId: 'c'.repeat(16) }, attributes: { batch: 3 } },
    ];
    obs.trace('consume', { links }, () => {});
    // Kept at the start, then evicted by one the callback adds.
    obs.trace('consume', { links: links.slice(0, 1) }, (span) => {
      span.addLink({ context: { ...producer, spanId: 'd'.repeat(16) } });
    });
    await obs.forceFlush();
    const spans = protobufSpans(collector);
    expect(spans.map((s) => s.links?.map((l) => l.spanId))).toEqual([['c'.repeat(16)], ['d'.repeat(16)]]);
    expect(obs.drops()).toEqual({ link_count_limit: 2 });
  });

  it("counts the invalid attribute of a link of obs.trace's options kept once, as invalid_attribute", async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    obs.trace(
      'consume',
      { links: [{ context: producer, attributes: { batch: 2, at: new Date() as never } }] },
      () => {},
    );
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(span?.links?.map((l) => l.attributes?.map((a) => a.key))).toEqual([['batch']]);
    expect(obs.drops()).toEqual({ invalid_attribute: 1 });
  });

  it('counts an event whose time cannot be read once, as invalid_event, its invalid attribute with it', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    obs.trace('checkout', (span) => {
      span.addEvent('paid', { amount: 10, card: { last4: '4242' } as never }, revoked as never);
    });
    await obs.forceFlush();
    expect(obs.drops()).toEqual({ invalid_event: 1 });
  });
});
