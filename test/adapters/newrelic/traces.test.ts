import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newrelic } from '../../../adapters/newrelic/index.js';
import { clampSpans } from '../../../adapters/newrelic/span-limits.js';
import { memoryExporter } from '../../../src/testing/index.js';
import {
  ACCOUNT_ID,
  expectGolden,
  FAST_CHANNEL,
  LICENSE_KEY,
  normalize,
  startWithNewRelic,
  stopSightline,
} from './helpers.js';
import { startWith } from '../harness.js';
import { endpointsFor, type NrIntake, startNrIntake } from './intake-server.js';

/** Reads protobuf wire format into field number → raw values (enough to walk an OTLP request). */
function fields(buf: Uint8Array): Map<number, (Uint8Array | bigint)[]> {
  const out = new Map<number, (Uint8Array | bigint)[]>();
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const field = tag >> 3;
    const wire = tag & 7;
    let value: Uint8Array | bigint;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = Number(varint());
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 1) {
      value = buf.subarray(i, i + 8);
      i += 8;
    } else if (wire === 5) {
      value = buf.subarray(i, i + 4);
      i += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}
const bytes = (m: Map<number, (Uint8Array | bigint)[]>, f: number) => (m.get(f) ?? []) as Uint8Array[];
const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

/** Spans and resource attributes of an OTLP ExportTraceServiceRequest in protobuf. */
function decodeTraces(body: Uint8Array) {
  const spans: { traceId?: string; spanId?: string; parentSpanId?: string; name?: string }[] = [];
  const resource: Record<string, string | undefined> = {};
  for (const rs of bytes(fields(body), 1)) {
    const rsFields = fields(rs);
    for (const res of bytes(rsFields, 1)) {
      for (const kv of bytes(fields(res), 1)) {
        const kvFields = fields(kv);
        const key = text(bytes(kvFields, 1)[0])!;
        resource[key] = text(bytes(fields(bytes(kvFields, 2)[0]!), 1)[0]);
      }
    }
    for (const ss of bytes(rsFields, 2)) {
      for (const span of bytes(fields(ss), 2)) {
        const f = fields(span);
        spans.push({
          traceId: hex(bytes(f, 1)[0]),
          spanId: hex(bytes(f, 2)[0]),
          parentSpanId: hex(bytes(f, 4)[0]),
          name: text(bytes(f, 5)[0]),
        });
      }
    }
  }
  return { spans, resource };
}

let intake: NrIntake;
beforeEach(async () => {
  intake = await startNrIntake({ licenseKey: LICENSE_KEY });
});
afterEach(async () => {
  await stopSightline();
  await intake.close();
});

describe('newrelic traces → OTLP/HTTP', () => {
  it('POSTs protobuf spans to /v1/traces with the api-key header, gzipped', async () => {
    const { obs } = startWithNewRelic(intake);
    let ids: { traceId: string; root: string; child: string } | undefined;
    obs.trace('POST /orders', (root) => {
      obs.trace('db.insert', (child) => {
        ids = {
          traceId: root.spanContext().traceId,
          root: root.spanContext().spanId,
          child: child.spanContext().spanId,
        };
      });
    });
    await obs.forceFlush();

    const accepted = intake.accepted('traces');
    expect(accepted).toHaveLength(1);
    const req = accepted[0]!;
    expect(req.path).toBe('/v1/traces');
    expect(req.headers['api-key']).toBe(LICENSE_KEY);
    expect(req.headers['content-type']).toBe('application/x-protobuf');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(Number(req.headers['content-length'])).toBe(req.wire.byteLength);

    const { spans, resource } = decodeTraces(req.body);
    expect(resource['service.name']).toBe('checkout');
    expect(spans.map((s) => s.name).sort()).toEqual(['POST /orders', 'db.insert']);
    const child = spans.find((s) => s.name === 'db.insert')!;
    expect(child).toMatchObject({ traceId: ids!.traceId, spanId: ids!.child, parentSpanId: ids!.root });
    expect(obs.stats().newrelic?.traces).toMatchObject({ produced: 2, delivered: 2, queued: 0 });
  });

  it("sends OTLP JSON with otlpProtocol: 'http/json' (golden body)", async () => {
    const { obs } = startWithNewRelic(intake, { otlpProtocol: 'http/json' });
    obs.trace('POST /orders', (span) => {
      span.setAttribute('order.id', 'o-123');
    });
    await obs.forceFlush();

    const req = intake.accepted('traces')[0]!;
    expect(req.headers['content-type']).toBe('application/json');
    const body = req.json as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    const span = body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    // Durations and timestamps vary; keep the shape, not the numbers.
    for (const k of ['startTimeUnixNano', 'endTimeUnixNano']) expect(typeof span[k]).toBe('string');
    expectGolden('traces', normalize(body));
  });

  it("keeps span and event attributes within New Relic's OTLP limits, leaving other exporters' spans whole", async () => {
    const memory = memoryExporter();
    const adapter = newrelic({
      licenseKey: LICENSE_KEY,
      endpoints: endpointsFor(intake, ACCOUNT_ID),
      channel: FAST_CHANNEL,
      otlpProtocol: 'http/json',
      env: {},
    });
    const { obs } = startWith(adapter, { exporters: [adapter, memory] });
    const longName = `k${'x'.repeat(299)}`;
    obs.trace('GET /search', (span) => {
      span.setAttribute('db.statement', 's'.repeat(10_000));
      span.setAttribute(
        'item.ids',
        Array.from({ length: 100 }, (_, i) => `id-${i}`),
      );
      span.setAttribute(longName, 'v');
      span.setAttribute('order.id', 'o-123');
      span.addEvent('cache.miss', { 'cache.key': 'c'.repeat(5000) });
    });
    await obs.forceFlush();

    const body = intake.accepted('traces')[0]!.json as any;
    const span = body.resourceSpans[0].scopeSpans[0].spans[0];
    const attr = (list: any[], key: string) => list.find((a) => a.key === key)?.value;
    expect(attr(span.attributes, 'db.statement').stringValue).toHaveLength(4095);
    expect(attr(span.attributes, 'item.ids').arrayValue.values).toHaveLength(64);
    expect(attr(span.attributes, longName.slice(0, 255)).stringValue).toBe('v');
    expect(attr(span.attributes, 'order.id').stringValue).toBe('o-123');
    expect(attr(span.events[0].attributes, 'cache.key').stringValue).toHaveLength(4095);
    expect(obs.stats().newrelic?.traces).toMatchObject({ produced: 1, delivered: 1 });
    expect(obs.stats().newrelic?.traces?.dropped).toEqual({});

    const [whole] = memory.spans();
    expect(whole!.attributes['db.statement']).toHaveLength(4096);
    expect(whole!.attributes['item.ids']).toHaveLength(100);
    expect(whole!.attributes[longName]).toBe('v');
  });

  it('passes spans within the limits on as they are, without copying them', async () => {
    const memory = memoryExporter();
    const { obs } = startWith(memory);
    obs.trace('GET /search', (span) => {
      span.setAttribute('db.statement', 's'.repeat(4095));
      span.setAttribute(
        'item.ids',
        Array.from({ length: 64 }, (_, i) => `id-${i}`),
      );
    });
    await obs.forceFlush();
    const spans = memory.spans();
    expect(clampSpans(spans)).toBe(spans);
  });
});
