import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline } from '../../../src/index.js';
import type { DatadogOptions } from '../../../adapters/datadog/index.js';
import { KEY, start, userSeries } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
  server = undefined;
});

/** Starts sightline with spans alone going by OTLP to the loopback Agent. */
function toAgent(intake: IntakeServer, extra: Partial<DatadogOptions> = {}) {
  return start(intake, {
    metrics: 'none',
    events: false,
    traces: 'otlp',
    endpoints: { traces: intake.url('/v1/traces') },
    ...extra,
  });
}

describe("traces: 'otlp' → the Agent's OTLP receiver", () => {
  it('posts OTLP/protobuf spans with the service resource and no API key', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = toAgent(server);
    obs.trace('place-order', (span) => span.setAttribute('order.id', 'o-42'));
    await obs.forceFlush();
    const requests = server.on('/v1/traces');
    expect(requests).toHaveLength(1);
    const r = requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/x-protobuf');
    expect(r.headers['dd-api-key']).toBeUndefined();
    for (const text of [
      'place-order',
      'order.id',
      'o-42',
      'service.name',
      'checkout',
      'deployment.environment.name',
      'prod',
      '1.4.2',
    ]) {
      expect(r.raw.includes(Buffer.from(text))).toBe(true);
    }
    expect(obs.stats().datadog?.traces).toMatchObject({ produced: 1, delivered: 1 });
    expect(obs.stats().datadog?.traces?.dropped).toEqual({});
  });

  it("sends spans under the adapter's own service, env and version, as its metrics and logs carry them", async () => {
    // Prepare: sightline's identity is cart/production/1.0.0; the adapter's own is checkout-eu/prod-eu/2.0.0.
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(
      server,
      {
        service: 'checkout-eu',
        env: 'prod-eu',
        version: '2.0.0',
        events: false,
        traces: 'otlp',
        endpoints: { traces: server.url('/v1/traces'), metrics: server.url('/api/v2/series') },
      },
      { service: 'cart', environment: 'production', version: '1.0.0' },
    );
    obs.metrics.counter('orders').add(1);
    obs.trace('place-order', () => obs.log.info('placed'));
    await obs.forceFlush();
    // The Agent reads env, service and version of a span from these resource attributes.
    const body = server.on('/v1/traces')[0]!.raw;
    for (const text of ['checkout-eu', 'prod-eu', '2.0.0'])
      expect(body.includes(Buffer.from(text))).toBe(true);
    for (const text of ['cart', 'production', '1.0.0']) expect(body.includes(Buffer.from(text))).toBe(false);
    expect(userSeries(server)[0]?.tags).toEqual(
      expect.arrayContaining(['service:checkout-eu', 'env:prod-eu', 'version:2.0.0']),
    );
    expect(JSON.parse(lines.find((l) => l.includes('placed'))!)).toMatchObject({
      'dd.service': 'checkout-eu',
      'dd.env': 'prod-eu',
      'dd.version': '2.0.0',
    });
  });

  it.each(['false', '0'])(
    'sends the Agent no spans with DD_TRACE_ENABLED=%s, as dd-trace sends none',
    async (value) => {
      server = await IntakeServer.start({ apiKey: KEY });
      const { obs } = toAgent(server, {
        processEnv: { DD_TRACE_ENABLED: value },
      });
      obs.trace('place-order', () => undefined);
      await obs.forceFlush();
      expect(server.on('/v1/traces')).toEqual([]);
      expect(obs.stats().datadog?.traces).toBeUndefined();
    },
  );

  it('samples new traces at DD_TRACE_SAMPLE_RATE, as dd-trace does, so 0 sends the Agent none', async () => {
    vi.stubEnv('DD_TRACE_SAMPLE_RATE', '0');
    try {
      server = await IntakeServer.start({ apiKey: KEY });
      const { obs } = toAgent(server);
      for (let i = 0; i < 20; i++) obs.trace('place-order', () => undefined);
      await obs.forceFlush();
      expect(server.on('/v1/traces')).toEqual([]);
      expect(obs.stats().datadog?.traces?.produced).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('counts spans it could not deliver when the Agent is not listening', async () => {
    server = await IntakeServer.start();
    await server.close();
    const { obs } = toAgent(server, {
      channel: {
        flushIntervalMs: 20,
        shutdownTimeoutMs: 200,
        retry: { initialDelayMs: 5, maxElapsedMs: 100 },
      },
    });
    for (let i = 0; i < 5; i++) obs.trace(`s${i}`, () => undefined);
    await obs.forceFlush({ timeoutMs: 1000 });
    await obs.shutdown({ timeoutMs: 1000 });
    const s = obs.stats().datadog?.traces;
    expect(s?.delivered).toBe(0);
    expect(s?.produced).toBe(5);
    expect(Object.values(s?.dropped ?? {}).reduce((a, b) => a + (b ?? 0), 0) + (s?.queued ?? 0)).toBe(5);
    server = undefined;
  });
});
