import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { toXRayTraceId, XRayIdGenerator } from '../../../adapters/cloudwatch/xray-ids.js';
import { getSightline } from '../../../src/index.js';
import { startCollector as startTlsCollector } from '../otlp/intake-server.js';
import { startEmf } from './helpers.js';

// A self-signed certificate for 127.0.0.1, made for these tests only; it serves as its own CA.
const CERT = fileURLToPath(new URL('../../fixtures/tls/intake-cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../../fixtures/tls/intake-key.pem', import.meta.url));

afterEach(async () => {
  await getSightline()?.shutdown();
});

describe('X-Ray ids', () => {
  it('puts the epoch seconds in the first 8 hex digits of each trace id', () => {
    const ids = new XRayIdGenerator(() => 1_700_000_000_999);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = ids.generateTraceId();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(id.slice(0, 8)).toBe((1_700_000_000).toString(16));
      seen.add(id);
      const span = ids.generateSpanId();
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      expect(span).not.toBe('0'.repeat(16));
    }
    expect(seen.size).toBe(1000);
  });

  it('writes a trace id in X-Ray form, 1-<8 hex>-<24 hex>', () => {
    expect(toXRayTraceId('5759e988bd862e3fe1be46a994272793')).toBe('1-5759e988-bd862e3fe1be46a994272793');
    expect(toXRayTraceId('not-a-trace-id')).toBeUndefined();
  });

  it('adds the X-Ray form beside the W3C trace id on log lines inside a span, and nothing outside', () => {
    const { obs, logLines } = startEmf({ xrayIds: true });
    const before = Math.floor(Date.now() / 1000);
    obs.trace('pay', () => obs.log.info('inside'));
    obs.log.info('outside');
    const after = Math.floor(Date.now() / 1000);
    const [inside, outside] = logLines.map((l) => JSON.parse(l));
    expect(inside.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(inside.xray_trace_id).toBe(`1-${inside.trace_id.slice(0, 8)}-${inside.trace_id.slice(8)}`);
    const seconds = Number.parseInt(inside.trace_id.slice(0, 8), 16);
    expect(seconds).toBeGreaterThanOrEqual(before);
    expect(seconds).toBeLessThanOrEqual(after);
    expect(outside.trace_id).toBeUndefined();
    expect(outside.xray_trace_id).toBeUndefined();
  });

  it('sets the random trace-id flag on a trace it starts, the 96 bits after the time being random', async () => {
    const { obs } = startEmf({ xrayIds: true });
    expect(obs.trace('pay', (span) => span.spanContext().traceFlags)).toBe(3);
    await obs.shutdown();
    // Not sampled: the flag alone, as a call out's traceparent then sends it (`-02`).
    const unsampled = startEmf({ xrayIds: true }, { sampling: 0 }).obs;
    expect(unsampled.trace('pay', (span) => span.spanContext().traceFlags)).toBe(2);
  });

  it('uses the configured field name for the X-Ray id', () => {
    const { obs, logLines } = startEmf({ xrayTraceIdKey: 'AWS-XRAY-TRACE-ID' });
    obs.trace('pay', () => obs.log.info('inside'));
    const line = JSON.parse(logLines[0]!);
    expect(line['AWS-XRAY-TRACE-ID']).toBe(toXRayTraceId(line.trace_id));
  });

  it('sends spans with X-Ray ids by OTLP/HTTP protobuf to the collector endpoint', async () => {
    const collector = await startCollector();
    try {
      const { obs } = startEmf({
        traces: true,
        endpoints: { traces: `${collector.origin}/v1/traces` },
        channel: { gzip: false },
      });
      const traceId = obs.trace('checkout', (span) => span.spanContext().traceId);
      expect(Number.parseInt(traceId.slice(0, 8), 16)).toBeCloseTo(Date.now() / 1000, -2);
      await obs.forceFlush();
      const { bodies } = collector;
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatchObject({ path: '/v1/traces', type: 'application/x-protobuf' });
      // The raw 16-byte trace id is inside the protobuf body.
      expect(bodies[0]!.body.includes(Buffer.from(traceId, 'hex'))).toBe(true);
      expect(getSightline()!.stats().cloudwatch!.traces).toMatchObject({ produced: 1, delivered: 1 });
    } finally {
      await collector.close();
    }
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '/agent/v1/traces', '/agent/v1/traces'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', '/agent', '/agent/v1/traces'],
  ])(
    'sends spans to the collector %s names, as ADOT is set up, without endpoints',
    async (name, path, sentTo) => {
      const collector = await startCollector();
      try {
        const { obs } = startEmf({
          traces: true,
          env: { [name]: `${collector.origin}${path}` },
          channel: { gzip: false },
        });
        obs.trace('checkout', () => undefined);
        await obs.forceFlush();
        expect(collector.bodies.map((b) => b.path)).toEqual([sentTo]);
      } finally {
        await collector.close();
      }
    },
  );

  it('sends the collector the standard variables name the headers OTEL_EXPORTER_OTLP_[TRACES_]HEADERS give, as otlp() does', async () => {
    const collector = await startCollector({ authorization: 'Bearer S3CRET', 'x-tenant': 'shop' });
    try {
      const { obs } = startEmf({
        traces: true,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.origin,
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20S3CRET,x-tenant=other',
          OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=shop',
        },
        channel: { gzip: false },
      });
      obs.trace('checkout', () => undefined);
      await obs.forceFlush();
      expect(obs.stats().cloudwatch!.traces).toMatchObject({ produced: 1, delivered: 1, dropped: {} });
      expect(collector.bodies).toHaveLength(1);
    } finally {
      await collector.close();
    }
  });

  it('trusts the CA and presents the client certificate OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE, _CLIENT_CERTIFICATE and _CLIENT_KEY name, as otlp() does', async () => {
    const served = { cert: readFileSync(CERT), key: readFileSync(KEY) };
    const collector = await startTlsCollector(0, {
      ...served,
      ca: served.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    try {
      const { obs } = startEmf({
        traces: true,
        env: {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
          OTEL_EXPORTER_OTLP_CERTIFICATE: CERT,
          OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: CERT,
          OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: KEY,
        },
        channel: { retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 200 } },
      });
      obs.trace('checkout', () => undefined);
      await obs.forceFlush({ timeoutMs: 2000 });
      expect(collector.accepted('traces')).toHaveLength(1);
      expect(obs.stats().cloudwatch!.traces).toMatchObject({ produced: 1, delivered: 1 });
    } finally {
      await getSightline()?.shutdown();
      await collector.close();
    }
  });

  it('fails init() on a certificate file the variables name that cannot be read', () => {
    const missing = fileURLToPath(new URL('./missing.pem', import.meta.url));
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_CERTIFICATE: missing,
    };
    expect(() => startEmf({ traces: true, env })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_INVALID_ENV',
        option: 'OTEL_EXPORTER_OTLP_CERTIFICATE',
      }),
    );
  });

  it.each([
    [
      'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=none',
      { OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' },
      {},
      undefined,
    ],
    ['channel.gzip over the variable', { OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }, { gzip: true }, 'gzip'],
  ])(
    'compresses spans to the collector the variables name as %s says',
    async (_, vars, channel, encoding) => {
      const collector = await startCollector();
      try {
        const { obs } = startEmf({
          traces: true,
          env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.origin, ...vars },
          channel,
        });
        obs.trace('checkout', () => undefined);
        await obs.forceFlush();
        expect(collector.bodies.map((b) => b.encoding)).toEqual([encoding]);
      } finally {
        await collector.close();
      }
    },
  );

  it('gives up on a request to the collector the variables name after OTEL_EXPORTER_OTLP_TIMEOUT', async () => {
    const stalled = createServer((req) => req.resume());
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    try {
      const { obs } = startEmf({
        traces: true,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(stalled.address() as AddressInfo).port}`,
          OTEL_EXPORTER_OTLP_TIMEOUT: '150',
        },
        channel: { retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 100 } },
      });
      obs.trace('checkout', () => undefined);
      const started = performance.now();
      await obs.forceFlush({ timeoutMs: 3000 });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(obs.stats().cloudwatch!.traces).toMatchObject({
        delivered: 0,
        dropped: { retries_exhausted: 1 },
      });
    } finally {
      await getSightline()?.shutdown();
      stalled.closeAllConnections();
      await new Promise<void>((r) => stalled.close(() => r()));
    }
  });

  it('applies none of the variables to a collector endpoints.traces names', async () => {
    const collector = await startCollector();
    try {
      const { obs } = startEmf({
        traces: true,
        endpoints: { traces: `${collector.origin}/v1/traces` },
        env: {
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20S3CRET',
          OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
          OTEL_EXPORTER_OTLP_TIMEOUT: '1',
          OTEL_EXPORTER_OTLP_CERTIFICATE: fileURLToPath(new URL('./missing.pem', import.meta.url)),
        },
      });
      obs.trace('checkout', () => undefined);
      await obs.forceFlush();
      expect(collector.bodies.map((b) => [b.encoding, b.authorization])).toEqual([['gzip', undefined]]);
    } finally {
      await collector.close();
    }
  });
});

/**
 * A loopback OTLP/HTTP receiver, as an ADOT collector or the CloudWatch agent runs, keeping each body;
 * given the headers it requires (a collector behind auth), it refuses a request without them with a 401.
 */
async function startCollector(requires: Record<string, string> = {}) {
  const bodies: {
    path: string;
    type: string | undefined;
    encoding: string | undefined;
    authorization: string | undefined;
    body: Buffer;
  }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (Object.entries(requires).some(([name, value]) => req.headers[name] !== value)) {
        res.writeHead(401).end();
        return;
      }
      bodies.push({
        path: req.url ?? '',
        type: req.headers['content-type'],
        encoding: req.headers['content-encoding'],
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    bodies,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await getSightline()?.shutdown();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
