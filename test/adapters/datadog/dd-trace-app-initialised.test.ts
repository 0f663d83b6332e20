/**
 * dd-trace initialised by the app itself, its plugins on, beside sightline with another trace
 * exporter. dd-trace initialises once per process, so this file holds a test of its own.
 */
import { SpanKind } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDdTrace } from '../../../adapters/datadog/dd-trace.js';
import { init } from '../../../src/index.js';
import { memoryExporter } from '../../../src/testing/index.js';
import { KEY } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterAll(async () => {
  await server?.close();
});

describe('dd-trace initialised by the app', () => {
  it("leaves that dd-trace's calls to its Agent untraced", async () => {
    // Prepare: dd-trace as `require('dd-trace').init()` starts it, sending to a loopback Agent.
    server = await IntakeServer.start({ apiKey: KEY });
    const tracer = loadDdTrace().init({
      url: server.url(''),
      flushInterval: 50,
      startupLogs: false,
    }) as unknown as {
      trace<T>(name: string, fn: () => T): T;
    };
    const memory = memoryExporter();
    const obs = init({
      service: 'checkout',
      exporters: [memory],
      anomaly: false,
      handleSignals: false,
      logStream: { write: () => {} },
    });

    // Act: dd-trace sends a span of its own to the Agent.
    tracer.trace('app-work', () => undefined);
    const isTraces = (p: string) => p === '/v0.4/traces' || p === '/v0.5/traces';
    await server.waitFor(() => server!.requests.some((r) => isTraces(r.path)));
    await obs.shutdown({ timeoutMs: 2000 });

    // Assess: no CLIENT span for those sends, which would each be exported with the next.
    const toAgent = memory
      .spans()
      .filter(
        (s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).startsWith(server!.url('')),
      );
    expect(toAgent.map((s) => s.attributes['url.full'])).toEqual([]);
  });
});
