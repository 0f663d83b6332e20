import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import http from 'node:http';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OtlpCollector, startCollector } from './intake-server.js';
import { decodeProtobuf, LOGS_REQUEST, TRACES_REQUEST } from './protobuf-decode.js';
import type { AnomalyEvent } from '../../../src/anomaly/event.js';
import { explain } from '../../../src/anomaly/explain.js';
import type { SightlineInstance } from '../../../src/api/sightline.js';
import { startHungBackend } from '../../helpers/hung-backend.js';
import { otlp } from '../../../adapters/otlp/index.js';
import { FAST_CHANNEL, startWith } from '../harness.js';
import { ANOMALY, expectIdentity, SECRET, startWithOtlp, stopSightline } from './helpers.js';

/** The spans the collector took in http/protobuf requests, decoded. */
function protobufSpans(collector: OtlpCollector) {
  type Span = {
    name: string;
    links?: { spanId: string; attributes?: { key: string }[] }[];
    droppedLinksCount?: number;
    attributes?: { key: string }[];
    events?: { name: string; attributes?: { key: string }[] }[];
  };
  return collector.accepted('traces').flatMap((r) => {
    const body = decodeProtobuf(r.body, TRACES_REQUEST) as {
      resourceSpans: { scopeSpans: { spans: Span[] }[] }[];
    };
    return body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  });
}

type JsonAttribute = {
  key: string;
  value: { stringValue?: string; arrayValue?: { values: { stringValue: string }[] } };
};

/** The names of a span's or event's attributes, sorted. */
const attributeKeys = (list: { key: string }[] | undefined) => (list ?? []).map((a) => a.key).sort();

/** An object every look at throws from: its keys, its properties, its prototype. */
function throwingProxy(): object {
  const fail = () => {
    throw new Error('proxy trap');
  };
  const traps = { ownKeys: fail, get: fail, has: fail, getPrototypeOf: fail, getOwnPropertyDescriptor: fail };
  return new Proxy({}, traps);
}

/** Every attribute the collector took in http/json requests of `signal`, at any depth. */
function jsonAttributes(collector: OtlpCollector, signal: 'traces' | 'metrics'): JsonAttribute[] {
  const out: JsonAttribute[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const obj = value as Record<string, unknown>;
    if (typeof obj.key === 'string' && obj.value !== undefined) out.push(obj as unknown as JsonAttribute);
    for (const v of Object.values(obj)) walk(v);
  };
  for (const r of collector.accepted(signal)) walk(r.json);
  return out;
}

describe('otlp delivery', () => {
  let collector: OtlpCollector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await stopSightline();
    await collector.close();
  });

  it('sends the configured and environment headers, and keeps them out of stats and diagnostics', async () => {
    const diagLines: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      diagLines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const { obs } = startWithOtlp(
        collector,
        {
          headers: { Authorization: SECRET },
          env: { OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=tenant%201' },
        },
        { diagnostics: 'debug' },
      );
      collector.script('logs', { status: 400, message: 'bad' });
      obs.log.info('hello');
      await obs.forceFlush();
      const [request] = collector
        .accepted('traces')
        .concat(collector.requests.filter((r) => r.signal === 'logs'));
      expect(request?.headers.authorization).toBe(SECRET);
      expect(request?.headers['x-scope-orgid']).toBe('tenant 1');
      expect(JSON.stringify(obs.stats())).not.toContain('SENTINEL');
    } finally {
      process.stderr.write = original;
    }
    expect(diagLines.join('')).toContain('HTTP 400');
    expect(diagLines.join('')).not.toContain('SENTINEL');
  });

  it('gzips bodies with compression gzip and sends them plain by default to a loopback collector', async () => {
    const { obs } = startWithOtlp(collector, { signals: ['logs'], compression: 'gzip' });
    obs.log.info('zipped');
    await obs.forceFlush();
    const [zipped] = collector.accepted('logs');
    expect(zipped?.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped?.wire as Buffer).equals(zipped?.body as Buffer)).toBe(true);
    await stopSightline();

    const plain = startWithOtlp(collector, { signals: ['logs'] }).obs;
    plain.log.info('plain');
    await plain.forceFlush();
    const last = collector.accepted('logs').at(-1);
    expect(last?.headers['content-encoding']).toBeUndefined();
    const record = decodeProtobuf(last?.wire as Buffer, LOGS_REQUEST) as {
      resourceLogs: { scopeLogs: { logRecords: { body: { stringValue: string } }[] }[] }[];
    };
    expect(record.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.body.stringValue).toBe('plain');
  });

  it("delivers over a global agent whose connections are streams with no unref (a tunnel's), as Node's agents allow", async () => {
    // An agent that reaches the collector through a plain stream, as one tunnelling over SSH does.
    class TunnelAgent extends http.Agent {
      override createConnection(options: http.ClientRequestArgs): Duplex {
        const socket = connect({ host: options.host as string, port: Number(options.port) });
        return Duplex.from({ readable: socket, writable: socket });
      }
    }
    const original = http.globalAgent;
    http.globalAgent = new TunnelAgent();
    try {
      const { obs } = startWithOtlp(collector, { signals: ['logs'] });
      obs.log.info('tunnelled');
      await obs.forceFlush();
      await stopSightline();
      expect(collector.accepted('logs')).toHaveLength(1);
    } finally {
      http.globalAgent = original;
    }
  });

  it('retries 429 after the Retry-After delay and delivers', async () => {
    const { obs } = startWithOtlp(collector, { signals: ['traces'] });
    collector.script('traces', { status: 429, headers: { 'retry-after': '1' } });
    obs.trace('rate limited', () => {});
    await obs.forceFlush();
    await collector.waitFor('traces', 2);
    await obs.forceFlush();
    const [first, second] = collector.requests.filter((r) => r.signal === 'traces');
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    // Retry-After: 1 (second) is honoured rather than the 5-20 ms back-off configured for the test.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(second?.body.equals(first?.body as Buffer)).toBe(true);
    const stats = obs.stats().otlp?.traces;
    expect(stats).toMatchObject({ produced: 1, delivered: 1, retried: 1, queued: 0 });
  });

  it.each([502, 503, 504])('retries %i', async (status) => {
    const { obs } = startWithOtlp(collector, { signals: ['traces'] });
    collector.script('traces', { status });
    obs.trace('flaky', () => {});
    await obs.forceFlush({ timeoutMs: 5000 });
    expect(collector.requests.map((r) => r.status)).toEqual([status, 200]);
    expect(obs.stats().otlp?.traces?.delivered).toBe(1);
  });

  it.each([400, 401, 403, 500])(
    'drops on %i without retrying (OTLP retries 429/502/503/504 only)',
    async (status) => {
      const { obs } = startWithOtlp(collector, { signals: ['traces'] });
      collector.script('traces', { status, message: 'invalid span' });
      obs.trace('a', () => {});
      obs.trace('b', () => {});
      await obs.forceFlush();
      await new Promise((r) => setTimeout(r, 100));
      expect(collector.requests.filter((r) => r.signal === 'traces')).toHaveLength(1);
      const stats = obs.stats().otlp?.traces;
      expect(stats).toMatchObject({ produced: 2, delivered: 0, retried: 0, dropped: { rejected: 2 } });
    },
  );

  it.each(['http/json', 'http/protobuf'] as const)(
    'counts a %s partial success as rejected items, without retrying',
    async (protocol) => {
      const { obs } = startWithOtlp(collector, { signals: ['logs'], protocol, events: false });
      collector.script('logs', { partial: 2 });
      for (let i = 0; i < 5; i++) obs.log.info({ i }, 'line');
      await obs.forceFlush();
      expect(collector.requests).toHaveLength(1);
      expect(obs.stats().otlp?.logs).toMatchObject({ produced: 5, delivered: 3, dropped: { rejected: 2 } });
    },
  );

  it('reads a protobuf partial success whose count needs a multi-byte varint', async () => {
    const { obs } = startWithOtlp(collector, { signals: ['logs'], protocol: 'http/protobuf', events: false });
    collector.script('logs', { partial: 150 });
    for (let i = 0; i < 200; i++) obs.log.info({ i }, 'line');
    await obs.forceFlush();
    expect(collector.requests).toHaveLength(1);
    expect(obs.stats().otlp?.logs).toMatchObject({
      produced: 200,
      delivered: 50,
      dropped: { rejected: 150 },
    });
  });

  it('counts a partial success with rejected 0 (a warning) as delivered', async () => {
    const { obs } = startWithOtlp(collector, { signals: ['metrics'], protocol: 'http/json' });
    collector.script('metrics', { partial: 0 });
    obs.metrics.counter('orders').add(1);
    await obs.forceFlush();
    const stats = obs.stats().otlp?.metrics;
    expect(stats?.dropped).toEqual({});
    expect(stats?.delivered).toBe(stats?.produced);
    expect(stats?.produced).toBeGreaterThan(0);
  });

  it('delivers a collection of 6,000 series whole, with the collector healthy', async () => {
    const { obs } = startWithOtlp(collector, { signals: ['metrics'], protocol: 'http/json' });
    for (const name of ['a.count', 'b.count', 'c.count']) {
      const counter = obs.metrics.counter(name);
      for (let i = 0; i < 2000; i++) counter.add(1, { shard: String(i) });
    }
    await obs.forceFlush();
    const stats = obs.stats().otlp?.metrics;
    expect(stats?.dropped).toEqual({});
    expect(stats?.delivered).toBe(stats?.produced);
    type Body = {
      resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: unknown[] } }[] }[] }[];
    };
    const points = collector
      .accepted('metrics')
      .flatMap((r) =>
        (r.json as Body).resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics)),
      )
      .filter((m) => m.name.endsWith('.count'))
      .reduce((n, m) => n + (m.sum?.dataPoints.length ?? 0), 0);
    expect(points).toBe(6000);
  });

  it('writes integers outside int64 as doubles and those past 2^53 as decimal strings in http/json', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/json' });
    obs.trace('big', (span) => {
      span.setAttribute('bytes.total', 2 ** 64);
      span.setAttribute('ids.seen', 2 ** 60);
      span.setAttribute('ok', 42);
    });
    obs.metrics.counter('big.keys').add(1, { shard: 2 ** 70 });
    await obs.forceFlush();
    const text = [...collector.accepted('traces'), ...collector.accepted('metrics')]
      .map((r) => JSON.stringify(r.json))
      .join('\n');
    const ints = [...text.matchAll(/"intValue":("?-?\d+"?)/g)].map((m) => m[1]);
    expect(ints).toContain('42');
    expect(ints).toContain('"1152921504606846976"');
    for (const v of ints) expect(BigInt(String(v).replace(/"/g, '')) < 2n ** 63n).toBe(true);
    expect(text).toContain('"doubleValue":18446744073709552000');
    expect(text).toContain('"doubleValue":1.1805916207174113e+21');
  });

  it('sends a log field named __proto__ (a logged parsed body) as an attribute of that name, in both encodings', async () => {
    type Attr = { key: string; value: Record<string, unknown> };
    type Body = { resourceLogs: { scopeLogs: { logRecords: { attributes: Attr[] }[] }[] }[] };
    const records = (body: Body) =>
      body.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords));
    const proto = (attrs: Attr[] | undefined) => attrs?.find((a) => a.key === '__proto__')?.value;
    for (const protocol of ['http/json', 'http/protobuf'] as const) {
      const { obs } = startWithOtlp(collector, { protocol, signals: ['logs'] });
      obs.log.info(JSON.parse('{"__proto__":"tenant-7","query":{"__proto__":"x","page":"2"}}'), 'listed');
      await obs.forceFlush();
      const request = collector.accepted('logs').at(-1)!;
      const body = (
        protocol === 'http/json' ? request.json : decodeProtobuf(request.body, LOGS_REQUEST)
      ) as Body;
      const [record] = records(body);
      expect(proto(record?.attributes)).toEqual({ stringValue: 'tenant-7' });
      const query = record?.attributes.find((a) => a.key === 'query')?.value.kvlistValue as {
        values: Attr[];
      };
      expect(proto(query.values)).toEqual({ stringValue: 'x' });
      await stopSightline();
    }
  });

  it('keeps a logged trace_id, span_id or trace_flags that names no span as attributes of the record', async () => {
    type Attr = { key: string; value: Record<string, unknown> };
    type LogRecord = { traceId?: string; attributes: Attr[] };
    type Body = { resourceLogs: { scopeLogs: { logRecords: LogRecord[] }[] }[] };
    const { obs } = startWithOtlp(collector, { protocol: 'http/json', signals: ['logs'] });
    obs.log.info({ trace_id: 'req-7f3a', orderId: 'o-1' }, 'from the queue');
    obs.log.info({ span_id: 'step-2', trace_flags: 'sampled' }, 'a step');
    await obs.forceFlush();
    const body = collector.accepted('logs').at(-1)!.json as Body;
    const records = body.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords));
    const attributes = records.map((r) => Object.fromEntries(r.attributes.map((a) => [a.key, a.value])));
    expect(attributes).toEqual([
      { trace_id: { stringValue: 'req-7f3a' }, orderId: { stringValue: 'o-1' } },
      { span_id: { stringValue: 'step-2' }, trace_flags: { stringValue: 'sampled' } },
    ]);
    expect(records.map((r) => r.traceId ?? '')).toEqual(['', '']);
  });

  it('links a record to the span a trace_id and span_id logged outside any span name, as the README says', async () => {
    type Attr = { key: string; value: Record<string, unknown> };
    type LogRecord = { traceId?: string; spanId?: string; flags?: number; attributes: Attr[] };
    type Body = { resourceLogs: { scopeLogs: { logRecords: LogRecord[] }[] }[] };
    const { obs } = startWithOtlp(collector, { protocol: 'http/json', signals: ['logs'] });
    const upstream = { trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736', span_id: '00f067aa0ba902b7' };
    obs.log.info({ ...upstream, trace_flags: '01', orderId: 'o-1' }, 'from the queue');
    await obs.forceFlush();
    const body = collector.accepted('logs').at(-1)!.json as Body;
    const [record] = body.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords));
    expect(record).toMatchObject({ flags: 1 });
    expect([record!.traceId, record!.spanId]).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', upstream.span_id]);
    expect(record!.attributes.map((a) => a.key)).toEqual(['orderId']);
  });

  it("sends a line at a child's own level (audit: 35) with a severity number between INFO and WARN and its name", async () => {
    type Record = { severityNumber?: number; severityText?: string; body?: { stringValue: string } };
    type Body = { resourceLogs: { scopeLogs: { logRecords: Record[] }[] }[] };
    const { obs } = startWithOtlp(
      collector,
      { protocol: 'http/json', signals: ['logs'] },
      { logLevel: 'trace' },
    );
    const audited = obs.log.child({}, { customLevels: { audit: 35, verbose: 15, emergency: 70 } });
    audited.audit('role granted');
    audited.verbose('cache warmed');
    audited.emergency('disk gone');
    await obs.forceFlush();
    const body = collector.accepted('logs').at(-1)!.json as Body;
    const records = body.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((s) => s.logRecords));
    expect(records.map((r) => [r.body?.stringValue, r.severityNumber, r.severityText])).toEqual([
      ['role granted', 11, 'AUDIT'], // INFO3
      ['cache warmed', 3, 'VERBOSE'], // TRACE3
      ['disk gone', 24, 'EMERGENCY'], // FATAL4
    ]);
  });

  it('sends an anomaly event on a series with an attribute named __proto__ (from parsed JSON) with that attribute', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/json', signals: ['logs'] });
    const attributes = JSON.parse('{"__proto__":"tenant-7","region":"eu"}');
    (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly({ ...ANOMALY, attributes });
    await obs.forceFlush();
    const text = collector
      .accepted('logs')
      .map((r) => JSON.stringify(r.json))
      .find((t) => t.includes('sightline.anomaly'));
    expect(text).toContain('{"key":"__proto__","value":{"stringValue":"tenant-7"}}');
  });

  it('sends span attributes cut at OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, as the SDK alone would cut them', async () => {
    vi.stubEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '64');
    try {
      const { obs } = startWithOtlp(collector, { protocol: 'http/json', signals: ['traces'] });
      obs.trace('long', (span) => span.setAttribute('sql', 'x'.repeat(1000)));
      await obs.forceFlush();
      const text = JSON.stringify(collector.accepted('traces').map((r) => r.json));
      expect(text).toContain(`"stringValue":"${'x'.repeat(64)}"`);
      expect(text).not.toContain('x'.repeat(65));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('sends at most OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT attributes a span, as the SDK reads it', async () => {
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '2');
    try {
      const { obs } = startWithOtlp(collector, { protocol: 'http/json', signals: ['traces'] });
      obs.trace('wide', (span) => span.setAttributes({ a: 1, b: 2, c: 3 }));
      await obs.forceFlush();
      const text = JSON.stringify(collector.accepted('traces').map((r) => r.json));
      expect([...text.matchAll(/"key":"([abc])"/g)].map((m) => m[1])).toEqual(['a', 'b']);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('counts the attributes, events and links the SDK count limits leave out of a span in obs.drops()', async () => {
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '2');
    vi.stubEnv('OTEL_SPAN_EVENT_COUNT_LIMIT', '1');
    vi.stubEnv('OTEL_SPAN_LINK_COUNT_LIMIT', '2');
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT', '1');
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT', '1');
    try {
      const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
      const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
      // The SDK keeps the latest events and links.
      const links = [
        { context: { ...producer, spanId: 'c'.repeat(16) } },
        { context: producer, attributes: { a: 1, b: 2, c: 3 } },
        { context: undefined as never },
      ];
      obs.trace('wide', { links }, (span) => {
        span.setAttributes({ a: 1, b: 2, c: 3, d: 4 });
        for (let i = 0; i < 3; i++) span.addEvent('earlier');
        span.addEvent('last', { a: 1, b: 2 });
      });
      await obs.forceFlush();
      const spans = protobufSpans(collector);
      expect(spans.map((s) => [s.events?.map((e) => e.name), s.links?.map((l) => l.spanId)])).toEqual([
        [['last'], [producer.spanId]],
      ]);
      // Each also in the span's dropped counts, which only an OTLP trace UI shows; the link to no span
      // context is counted as invalid_link alone.
      expect(obs.drops()).toEqual({
        attribute_count_limit: 2 + 1 + 2,
        event_count_limit: 3,
        link_count_limit: 1,
        invalid_link: 1,
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('counts a link to no span context as invalid_link alone, the attributes its limit left out of it with it', async () => {
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT', '1');
    try {
      const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
      const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
      const nowhere = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 };
      const links = [
        { context: nowhere, attributes: { a: 1, b: 2, c: 3 } },
        { context: producer, attributes: { a: 1, b: 2 } },
      ];
      obs.trace('linked', { links }, () => {});
      await obs.forceFlush();
      expect(protobufSpans(collector).map((s) => s.links?.map((l) => l.spanId))).toEqual([[producer.spanId]]);
      // The kept link's attribute past the limit is counted; the removed link is counted once, whole.
      expect(obs.drops()).toEqual({ attribute_count_limit: 1, invalid_link: 1 });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('writes NaN and infinite attribute values as "NaN", "Infinity" and "-Infinity" in http/json', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/json' });
    obs.trace('ratios', (span) => {
      span.setAttribute('ratio', Number.NaN);
      span.setAttribute('limit', Number.POSITIVE_INFINITY);
      span.setAttribute('bounds', [Number.NEGATIVE_INFINITY, 1.5]);
      span.addEvent('scored', { score: Number.NaN });
    });
    obs.metrics.counter('scored').add(1, { score: Number.POSITIVE_INFINITY });
    await obs.forceFlush();
    type KeyValue = { key: string; value: Record<string, unknown> };
    type Body = {
      resourceSpans: {
        scopeSpans: { spans: { attributes: KeyValue[]; events: { attributes: KeyValue[] }[] }[] }[];
      }[];
    };
    const body = collector.accepted('traces')[0]?.json as Body | undefined;
    const span = body?.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    const attribute = (list: KeyValue[] | undefined, key: string) => list?.find((a) => a.key === key)?.value;
    expect(attribute(span?.attributes, 'ratio')).toEqual({ doubleValue: 'NaN' });
    expect(attribute(span?.attributes, 'limit')).toEqual({ doubleValue: 'Infinity' });
    expect(attribute(span?.attributes, 'bounds')).toEqual({
      arrayValue: { values: [{ doubleValue: '-Infinity' }, { doubleValue: 1.5 }] },
    });
    expect(attribute(span?.events[0]?.attributes, 'score')).toEqual({ doubleValue: 'NaN' });
    const metrics = JSON.stringify(collector.accepted('metrics').map((r) => r.json));
    expect(metrics).toContain('{"key":"score","value":{"doubleValue":"Infinity"}}');
    for (const r of [...collector.accepted('traces'), ...collector.accepted('metrics')]) {
      expect(r.body.toString('utf8')).not.toMatch(/:null\b/);
    }
  });

  it('sends a span with its valid links when others link to no span context, removing and counting those', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    // What JavaScript lets through: no producer span found, and an id that is no span id.
    const links = [
      { context: undefined as never },
      { context: { ...producer, spanId: 'order-1234' } },
      { context: producer, attributes: { kind: 'producer' } },
    ];
    obs.trace('consume', { links }, () => {});
    obs.trace('after', () => {});
    await obs.forceFlush();
    expect(obs.stats().otlp?.traces).toMatchObject({ produced: 2, delivered: 2, dropped: {} });
    const spans = protobufSpans(collector);
    expect(spans.map((s) => [s.name, (s.links ?? []).map((l) => l.spanId)])).toEqual([
      ['consume', [producer.spanId]],
      ['after', []],
    ]);
    // As the SDK counts links past its limit: a trace UI shows the span lost some.
    expect(spans.map((s) => s.droppedLinksCount ?? 0)).toEqual([2, 0]);
    expect(obs.drops()).toMatchObject({ invalid_link: 2 });
  });

  it("writes a span kind or status code that is none of OpenTelemetry's as INTERNAL or UNSET in http/json", async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/json', signals: ['traces'] });
    // What JavaScript lets through: names where the enums' numbers belong.
    obs.trace('named', { kind: 'server' as never }, (span) => span.setStatus({ code: 'error' as never }));
    obs.trace('failed', { kind: 2 }, (span) => span.setStatus({ code: 2, message: 'declined' }));
    await obs.forceFlush();
    type Body = {
      resourceSpans: { scopeSpans: { spans: { name: string; kind: unknown; status: unknown }[] }[] }[];
    };
    const spans = collector
      .accepted('traces')
      .flatMap((r) =>
        (r.json as Body).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
      );
    expect(spans.map((s) => [s.name, s.kind, s.status])).toEqual([
      ['named', 1, { code: 0 }],
      ['failed', 3, { code: 2, message: 'declined' }],
    ]);
  });

  it('sends the span of an obs.trace whose error quotes megabytes, its status message cut as its exception event', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    // An ORM's error quoting the rows of a bulk insert it was given: 5 MB of message.
    const failed = new Error(`Invalid createMany() invocation: ${'{"sku":"A-1"},'.repeat(360_000)}`);
    expect(() =>
      obs.trace('orders.import', () => {
        throw failed;
      }),
    ).toThrow(failed);
    await obs.forceFlush();
    expect(obs.stats().otlp?.traces).toMatchObject({ produced: 1, delivered: 1, dropped: {} });
    const [span] = protobufSpans(collector) as { status?: { message?: string } }[];
    expect(span?.status?.message).toBe(failed.message.slice(0, 4096));
    expect(obs.drops().truncated_attribute).toBe(3);
  });

  it("throws nothing into obs.trace's callback from the span's methods, keeping the rest, each loss counted", async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const result = obs.trace('checkout', (span) => {
      span.setAttribute('order.items', 2);
      span.recordException(Symbol('declined') as never);
      span.addEvent('retry', throwingProxy() as never);
      span.setAttributes(throwingProxy() as never);
      span.addLink(undefined as never);
      span.setStatus(undefined as never);
      span.setAttribute('plan', 'pro');
      return 'done';
    });
    expect(result).toBe('done');
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    obs.tracer.startSpan('ended').end(revoked as never);
    // Taken off its span, as `const { end } = span` does, it has no span to end: that one is lost.
    const { end } = obs.tracer.startSpan('detached');
    expect(() => end()).not.toThrow();
    await obs.forceFlush();
    const [span, ended] = protobufSpans(collector);
    expect(ended?.name).toBe('ended');
    expect(attributeKeys(span?.attributes)).toEqual(['order.items', 'plan']);
    // The event whose attributes cannot be read is kept without them.
    expect(span?.events?.map((e) => [e.name, attributeKeys(e.attributes)])).toEqual([['retry', []]]);
    expect(obs.drops()).toEqual({
      invalid_event: 1,
      invalid_attribute: 2,
      invalid_link: 1,
      invalid_status: 1,
      detached_span_method: 1,
    });
  });

  it('counts what is given to a span after it ended as after_span_end, the SDK keeping none of it', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    let kept: Span | undefined;
    await obs.trace('checkout', async (span) => {
      kept = span;
      span.setAttribute('order.items', 2);
    });
    // Work the span did not wait for (a callback, a promise not awaited), still holding it.
    const late = kept as Span;
    late.setAttribute('order.total', 10);
    late.setAttributes({ currency: 'EUR', coupon: 'SPRING', unset: undefined });
    late.addEvent('paid');
    late.recordException(new Error('declined'));
    late.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 } });
    late.setStatus({ code: SpanStatusCode.ERROR });
    // Unset, as before it ended: no value lost.
    late.setAttribute('region', undefined as never);
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(attributeKeys(span?.attributes)).toEqual(['order.items']);
    expect(span?.events ?? []).toEqual([]);
    expect(obs.drops()).toEqual({ after_span_end: 7 });
  });

  it('counts an attribute value the SDK leaves out of a span or its event as invalid_attribute', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    obs.trace('checkout', (span) => {
      span.setAttribute('customer', { id: 7 } as never);
      span.setAttribute('total', 10n as never);
      span.setAttribute('tags', ['a', 1] as never);
      span.setAttribute('', 'nameless');
      span.setAttribute('unset', undefined as never);
      span.setAttribute('sizes', [1, 2]);
      span.setAttributes({ region: 'eu', at: new Date() as never });
      span.addEvent('paid', { amount: 10, card: { last4: '4242' } as never });
      span.addEvent('queued', new Date());
      // The active span, reached through the OpenTelemetry API, is the same span.
      trace.getActiveSpan()?.setAttribute('cart', {} as never);
    });
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(attributeKeys(span?.attributes)).toEqual(['region', 'sizes']);
    expect(span?.events?.map((e) => [e.name, attributeKeys(e.attributes)])).toEqual([
      ['paid', ['amount']],
      ['queued', []],
    ]);
    expect(obs.drops()).toEqual({ invalid_attribute: 7 });
  });

  it("counts an attribute value the SDK leaves out of a span's link as invalid_attribute", async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    const message = { id: 'm-1' };
    const links = [{ context: producer, attributes: { queue: 'orders', message: message as never } }];
    obs.trace('consume', { links }, (span) => {
      span.addLink({ context: producer, attributes: { batch: 2, at: new Date() as never } });
    });
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(span?.links?.map((l) => attributeKeys(l.attributes))).toEqual([['queue'], ['batch']]);
    expect(obs.drops()).toEqual({ invalid_attribute: 2 });
    // The caller's link is left as it was given.
    expect(links[0]?.attributes.message).toBe(message);
  });

  it('counts a link to no span context with an attribute no span takes as invalid_link alone', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    const producer = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };
    const nowhere = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 };
    const links = [
      { context: nowhere, attributes: { message: { id: 'm-1' } as never } },
      { context: undefined as never, attributes: { queue: 'orders' } },
    ];
    obs.trace('consume', { links, attributes: { order: { id: 7 } as never } }, (span) => {
      span.addLink({ context: { ...nowhere, spanId: 'short' }, attributes: { at: new Date() as never } });
      span.addLink({ context: producer, attributes: { batch: 2 } });
    });
    await obs.forceFlush();
    expect(protobufSpans(collector).map((s) => s.links?.map((l) => l.spanId))).toEqual([[producer.spanId]]);
    // Each removed link is counted once, whole, as one whose attributes the limit cut is.
    expect(obs.drops()).toEqual({ invalid_attribute: 1, invalid_link: 3 });
  });

  it('counts an exception recorded on a span with neither a type nor a message as invalid_event', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    obs.trace('checkout', (span) => {
      span.recordException(42 as never);
      span.recordException({ retryable: true } as never);
      // Nothing thrown (`throw undefined`) is nothing lost.
      span.recordException(undefined as never);
      span.recordException(new Error('declined'));
      span.recordException('timed out');
    });
    await obs.forceFlush();
    const [span] = protobufSpans(collector);
    expect(span?.events?.map((e) => e.name)).toEqual(['exception', 'exception']);
    expect(obs.drops()).toEqual({ invalid_event: 2 });
  });

  it('sends a span renamed, or given an event named, with no string, under that value as a string', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/protobuf', signals: ['traces'] });
    // What JavaScript lets through: a route that was not found, a status code.
    obs.trace('GET', (span) => {
      span.updateName(undefined as never);
      span.addEvent(404 as never);
    });
    await obs.forceFlush();
    expect(obs.stats().otlp?.traces).toMatchObject({ produced: 1, delivered: 1, dropped: {} });
    const spans = protobufSpans(collector);
    expect(spans.map((s) => [s.name, s.events?.map((e) => e.name)])).toEqual([['undefined', ['404']]]);
  });

  it("sends a span given an invalid date as its start or an event's time at the time it ended, in http/json", async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/json', signals: ['traces'] });
    // What new Date() makes of a time it cannot read, such as a job's startedAt never set.
    const unread = new Date('not a date');
    obs.trace('job', { startTime: unread }, (span) => span.addEvent('retried', unread));
    obs.trace('next', () => {});
    await obs.forceFlush();
    expect(obs.stats().otlp?.traces).toMatchObject({ produced: 2, delivered: 2, dropped: {} });
    type Span = {
      name: string;
      startTimeUnixNano: string;
      endTimeUnixNano: string;
      events: { timeUnixNano: string }[];
    };
    const [job] = collector
      .accepted('traces')
      .flatMap((r) => (r.json as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans)
      .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
      .filter((s) => s.name === 'job');
    const ms = (nanos: string | undefined) => Number(BigInt(nanos ?? '0') / 1_000_000n);
    expect(Math.abs(ms(job?.endTimeUnixNano) - Date.now())).toBeLessThan(60_000);
    expect([job?.startTimeUnixNano, job?.events[0]?.timeUnixNano]).toEqual([
      job?.endTimeUnixNano,
      job?.endTimeUnixNano,
    ]);
  });

  it('sends a histogram whose buckets are not increasing numbers with the default buckets, and counts it', async () => {
    const { obs } = startWithOtlp(collector, { protocol: 'http/json' });
    const mistakes: unknown[] = [[1, 'x'], [Number.NaN], [10, 1], [1, 1, 2], 'fast'];
    for (const [i, buckets] of mistakes.entries()) {
      obs.metrics.histogram(`latency.${i}`, { buckets: buckets as number[] }).record(7);
    }
    obs.metrics.histogram('latency.ok', { buckets: [1, 10, Number.POSITIVE_INFINITY] }).record(7);
    await obs.forceFlush();
    type Point = { explicitBounds?: unknown[]; count: string | number };
    type Body = {
      resourceMetrics: {
        scopeMetrics: { metrics: { name: string; histogram?: { dataPoints: Point[] } }[] }[];
      }[];
    };
    const sent = new Map<string, Point | undefined>();
    for (const r of collector.accepted('metrics')) {
      for (const rm of (r.json as Body).resourceMetrics)
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics) if (m.histogram) sent.set(m.name, m.histogram.dataPoints[0]);
    }
    const defaults = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
    for (const i of mistakes.keys()) {
      expect(sent.get(`latency.${i}`)).toMatchObject({ explicitBounds: defaults, count: 1 });
    }
    expect(sent.get('latency.ok')?.explicitBounds).toEqual([1, 10]);
    expect(obs.drops()).toEqual({ invalid_buckets: mistakes.length });
  });

  it('sends a queued anomaly event within the shutdown deadline while the traces endpoint hangs', async () => {
    const hung = await startHungBackend();
    try {
      const { obs } = startWithOtlp(collector, {
        endpoints: { traces: `${hung.url}/v1/traces` },
        // Nothing is sent before shutdown() asks for it.
        channel: { flushIntervalMs: 60_000 },
      });
      obs.trace('checkout', () => {});
      (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(ANOMALY);
      await obs.shutdown({ timeoutMs: 500 });
      expect(collector.accepted('logs').some((r) => r.body.includes('sightline.anomaly'))).toBe(true);
      expect(obs.stats().otlp?.events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
      expect(obs.stats().otlp?.events?.dropped).toEqual({});
    } finally {
      await hung.close();
    }
  });

  it('sends an anomaly event a detection cycle emits as shutdown starts within the deadline while the traces endpoint hangs', async () => {
    // Prepare: a watched gauge past its warm-up, whose collection takes a moment.
    const hung = await startHungBackend();
    try {
      const { obs } = startWithOtlp(
        collector,
        { endpoints: { traces: `${hung.url}/v1/traces` }, channel: { flushIntervalMs: 60_000 } },
        { anomaly: { warmup: 10, confirm: 1 } },
      );
      const engine = (obs as SightlineInstance).anomalyEngine!;
      let waiting = 0;
      let slow = false;
      obs.metrics.observableGauge('pool.waiting', { detect: true }, async (result) => {
        if (slow) await new Promise((r) => setTimeout(r, 100));
        result.observe(waiting);
      });
      for (let cycle = 0; cycle < 30; cycle++) {
        waiting = 48 + (cycle % 5);
        await engine.runCycle();
      }
      obs.trace('checkout', () => {});

      // Act: the cycle that sees the pool fill up is still collecting when shutdown() starts.
      slow = true;
      waiting = 5000;
      const cycle = engine.runCycle();
      await obs.shutdown({ timeoutMs: 600 });
      await cycle;

      // Assess
      expect(collector.accepted('logs').some((r) => r.body.includes('sightline.anomaly'))).toBe(true);
      expect(obs.stats().otlp?.events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
    } finally {
      await hung.close();
    }
  });

  it('sends no spans with OTEL_TRACES_EXPORTER=none, nor metrics with OTEL_METRICS_EXPORTER=none, and the logs', async () => {
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none');
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'none');
    try {
      const { obs } = startWithOtlp(collector);
      obs.metrics.counter('orders').add(1);
      obs.trace('op', () => obs.log.info('in span'));
      await obs.forceFlush();
      expect(collector.requests.map((r) => r.signal)).toEqual(['logs']);
      expect(obs.stats().otlp?.traces?.produced ?? 0).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('sends no log records with OTEL_LOGS_EXPORTER=none, and the spans and metrics', async () => {
    vi.stubEnv('OTEL_LOGS_EXPORTER', 'none');
    try {
      const { obs, lines } = startWithOtlp(collector);
      obs.metrics.counter('orders').add(1);
      obs.trace('op', () => obs.log.info('in span'));
      await obs.forceFlush();
      expect(collector.requests.map((r) => r.signal).sort()).toEqual(['metrics', 'traces']);
      expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['in span']);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('splits a batch into requests of at most the configured number of items', async () => {
    const { obs } = startWithOtlp(collector, {
      signals: ['traces'],
      protocol: 'http/json',
      limits: { traces: { maxItems: 3 } },
    });
    for (let i = 0; i < 7; i++) obs.trace(`s${i}`, () => {});
    await obs.forceFlush();
    const sizes = collector
      .accepted('traces')
      .map(
        (r) =>
          (r.json as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] }).resourceSpans[0]
            ?.scopeSpans[0]?.spans.length,
      );
    expect(sizes.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(7);
    expect(Math.max(...(sizes as number[]))).toBeLessThanOrEqual(3);
  });

  it('sends to a second collector named apart in the same environment, which SIGHTLINE_EXPORTERS picks by its name', async () => {
    const audit = await startCollector();
    const first = () => otlp({ url: collector.url, channel: FAST_CHANNEL, env: {}, signals: ['logs'] });
    const second = () =>
      otlp({ url: audit.url, channel: FAST_CHANNEL, env: {}, signals: ['logs'], name: 'otlp-audit' });
    try {
      // Act: both collectors listed for the running environment, then the second picked by name.
      const both = startWith(first(), { exporters: { prod: [first(), second()] } }).obs;
      both.log.info('to both');
      await both.forceFlush();
      const bothStats = Object.keys(both.stats()).sort();
      await stopSightline();
      vi.stubEnv('SIGHTLINE_EXPORTERS', 'otlp-audit');
      const picked = startWith(first(), { exporters: [first(), second()] }).obs;
      picked.log.info('to the audit collector');
      await picked.forceFlush();

      // Assert: each collector got what was sent to it, under the adapter's own name.
      expect(bothStats).toEqual(['otlp', 'otlp-audit']);
      expect(Object.keys(picked.stats())).toEqual(['otlp-audit']);
      expect(collector.accepted('logs')).toHaveLength(1);
      expect(audit.accepted('logs')).toHaveLength(2);
    } finally {
      vi.unstubAllEnvs();
      await audit.close();
    }
  });

  // 'a' then emoji: the 16th UTF-16 unit is the first half of an emoji.
  const emojiTenant = `a${'😀'.repeat(20)}`;
  const emojiCut = `a${'😀'.repeat(7)}`;

  it('cuts a metric attribute at maxAttributeLength between characters, never inside an emoji', async () => {
    const { obs } = startWithOtlp(
      collector,
      { signals: ['metrics'], protocol: 'http/json' },
      { maxAttributeLength: 16 },
    );
    obs.metrics.counter('orders.placed').add(1, { tenant: emojiTenant, tags: ['x', emojiTenant] });
    await obs.forceFlush();
    const sent = jsonAttributes(collector, 'metrics');
    expect(sent.find((a) => a.key === 'tenant')?.value.stringValue).toBe(emojiCut);
    const list = sent.find((a) => a.key === 'tags')?.value.arrayValue?.values.map((v) => v.stringValue);
    expect(list).toEqual(['x', emojiCut]);
    expect(obs.drops()).toEqual({ truncated_attribute: 2 });
  });

  it('cuts a span attribute and status message at maxAttributeLength between characters, never inside an emoji', async () => {
    const { obs } = startWithOtlp(
      collector,
      { signals: ['traces'], protocol: 'http/json' },
      { maxAttributeLength: 16 },
    );
    obs.trace('checkout', (span) => {
      span.setAttribute('tenant', emojiTenant);
      span.setAttribute('tags', ['x', emojiTenant]);
      span.setStatus({ code: 2, message: emojiTenant });
    });
    await obs.forceFlush();
    const sent = jsonAttributes(collector, 'traces');
    expect(sent.find((a) => a.key === 'tenant')?.value.stringValue).toBe(emojiCut);
    const list = sent.find((a) => a.key === 'tags')?.value.arrayValue?.values.map((v) => v.stringValue);
    expect(list).toEqual(['x', emojiCut]);
    type Body = { resourceSpans: { scopeSpans: { spans: { status: { message: string } }[] }[] }[] };
    const body = collector.accepted('traces')[0]?.json as Body;
    expect(body.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.status.message).toBe(emojiCut);
  });
});

describe('otlp with the collector unavailable', () => {
  afterEach(stopSightline);

  it('never blocks the service while the collector is down for the whole run; queues stay bounded', async () => {
    const gone = await startCollector();
    const url = gone.url;
    await gone.close();
    const { obs } = startWithOtlp(
      { url },
      {
        signals: ['logs', 'traces'],
        channel: {
          queueSize: 20,
          flushIntervalMs: 20,
          shutdownTimeoutMs: 300,
          retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 200 },
        },
      },
    );
    const started = performance.now();
    for (let i = 0; i < 500; i++) {
      obs.log.info({ i }, 'order placed');
      obs.trace('work', () => {});
    }
    const elapsed = performance.now() - started;
    // Not a speed assertion: 1,000 calls against a dead collector finish without waiting on any I/O.
    expect(elapsed).toBeLessThan(5000);
    await obs.forceFlush({ timeoutMs: 500 });
    const stats = obs.stats().otlp;
    expect(stats?.logs?.produced).toBe(500);
    expect(stats?.traces?.produced).toBe(500);
    for (const s of [stats?.logs, stats?.traces]) {
      expect(s?.delivered).toBe(0);
      expect(s?.queued).toBeLessThanOrEqual(20);
      expect(s?.dropped.queue_full ?? 0).toBeGreaterThan(0);
    }
    expectIdentity(stats);
    await obs.shutdown({ timeoutMs: 1000 });
    const after = obs.stats().otlp;
    expectIdentity(after);
    expect(after?.logs?.queued).toBe(0);
  });

  it('holds at most its 32 MiB budget of big log lines while the collector hangs, counting the rest as queue_full', async () => {
    const hung = await startHungBackend();
    const MiB = 1024 * 1024;
    const bodySize = 160 * 1024;
    try {
      const { obs } = startWithOtlp({ url: hung.url }, { signals: ['logs'] }, { logStream: { write() {} } });
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      // Lines carrying request bodies: 1,024 of 160 KB would be 160 MB if the queue held them all.
      for (let i = 0; i < 1024; i++) {
        obs.log.info({ body: String.fromCharCode(97 + (i % 26)).repeat(bodySize) }, 'request');
      }
      globalThis.gc?.();
      const growth = process.memoryUsage().heapUsed - before;
      const stats = obs.stats().otlp;
      const logs = stats?.logs;
      expect(logs?.produced).toBe(1024);
      expect((logs?.queued ?? 0) * bodySize).toBeLessThanOrEqual(32 * MiB);
      expect(logs?.dropped.queue_full).toBeGreaterThan(800);
      expectIdentity(stats);
      expect(growth).toBeLessThan(64 * MiB);
    } finally {
      await stopSightline();
      await hung.close();
    }
  });

  it('holds at most its 32 MiB budget of big spans while the collector hangs, counting the rest as queue_full', async () => {
    const hung = await startHungBackend();
    try {
      const { obs } = startWithOtlp({ url: hung.url }, { signals: ['traces'] });
      // 16 attributes of 4,000 characters (SQL, payloads): 64 KB a span, 64 MB for 1,024 of them.
      const text = 'q'.repeat(4000);
      const attributes = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`payload.${i}`, text]));
      for (let i = 0; i < 1024; i++) obs.tracer.startSpan('query', { attributes }).end();
      const stats = obs.stats().otlp;
      const traces = stats?.traces;
      expect(traces?.produced).toBe(1024);
      expect((traces?.queued ?? 0) * 16 * 4000).toBeLessThanOrEqual(32 * 1024 * 1024);
      expect(traces?.dropped.queue_full).toBeGreaterThan(400);
      expectIdentity(stats);
    } finally {
      await stopSightline();
      await hung.close();
    }
  });

  it('holds at most its 64 MiB budget of metric points with long attribute values while the collector hangs', async () => {
    const hung = await startHungBackend();
    const MiB = 1024 * 1024;
    try {
      const { obs } = startWithOtlp({ url: hung.url }, { signals: ['metrics'], temporality: 'delta' });
      const requests = obs.metrics.counter('requests');
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      // 2,000 series of four 1,000-character values (URLs, user agents): 4 KB a point, 8 MB a
      // collection, each delta collection holding its own values; 20 would be 160 MB if queued whole.
      for (let cycle = 0; cycle < 20; cycle++) {
        for (let s = 0; s < 2000; s++) {
          const value = String(s).padStart(1000, String(cycle % 10));
          requests.add(1, { a: `a${value}`, b: `b${value}`, c: `c${value}`, d: `d${value}` });
        }
        await obs.forceFlush({ timeoutMs: 10 });
      }
      globalThis.gc?.();
      const growth = process.memoryUsage().heapUsed - before;
      const stats = obs.stats().otlp;
      const metrics = stats?.metrics;
      expect(metrics?.produced).toBeGreaterThan(30_000);
      expect((metrics?.queued ?? 0) * 4000).toBeLessThanOrEqual(64 * MiB);
      expect(metrics?.dropped.queue_full).toBeGreaterThan(10_000);
      expectIdentity(stats);
      expect(growth).toBeLessThan(128 * MiB);
    } finally {
      await stopSightline();
      await hung.close();
    }
  });

  it('holds at most its 32 MiB budget of anomaly events on series with long attribute values while the collector hangs', async () => {
    const hung = await startHungBackend();
    try {
      const { obs } = startWithOtlp({ url: hung.url }, { signals: ['logs'] });
      const emit = (event: AnomalyEvent) =>
        (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(event);
      // Series with four values at the 4,096-character limit: an event holds them and an
      // explanation naming them, 32 KB; 2,048 of them would be 64 MB.
      for (let i = 0; i < 2048; i++) {
        const value = String(i).padStart(4096, 'v');
        const attributes = { a: value, b: value, c: value, d: value };
        const explanation = explain(ANOMALY.metric, attributes, 'spike', 90, 40.5, 30.25, 50.75, 87);
        emit({ ...ANOMALY, attributes, explanation });
      }
      const stats = obs.stats().otlp;
      const events = stats?.events;
      expect(events?.produced).toBe(2048);
      expect((events?.queued ?? 0) * 32 * 1024).toBeLessThanOrEqual(32 * 1024 * 1024);
      expect(events?.dropped.queue_full).toBeGreaterThan(800);
      expectIdentity(stats);
    } finally {
      await stopSightline();
      await hung.close();
    }
  });

  it('delivers what was queued once the collector comes back', async () => {
    const first = await startCollector();
    const port = first.port;
    await first.close();
    const { obs } = startWithOtlp(
      { url: `http://127.0.0.1:${port}` },
      {
        signals: ['traces'],
        protocol: 'http/protobuf',
        channel: { flushIntervalMs: 20, retry: { initialDelayMs: 20, maxDelayMs: 50, maxElapsedMs: 30_000 } },
      },
    );
    for (let i = 0; i < 5; i++) obs.trace(`queued-${i}`, () => {});
    await obs.forceFlush({ timeoutMs: 200 });
    expect(obs.stats().otlp?.traces?.delivered).toBe(0);

    const back = await startCollector(port);
    try {
      await obs.forceFlush({ timeoutMs: 5000 });
      expect(obs.stats().otlp?.traces).toMatchObject({ produced: 5, delivered: 5, queued: 0 });
      expect(obs.stats().otlp?.traces?.dropped).toEqual({});
      const names = back.accepted('traces').flatMap((r) => {
        const body = decodeProtobuf(r.body, TRACES_REQUEST) as {
          resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
        };
        return body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.name)));
      });
      expect(names.sort()).toEqual(['queued-0', 'queued-1', 'queued-2', 'queued-3', 'queued-4']);
    } finally {
      await stopSightline();
      await back.close();
    }
  });
});
