import { datadog, type DatadogOptions } from '../../../adapters/datadog/index.js';
import type { SightlineConfig } from '../../../src/config/types.js';
import { createRequire } from 'node:module';
import { afterAll, vi } from 'vitest';
import { getSightline, init, type Sightline } from '../../../src/index.js';
import { goldenFiles } from '../harness.js';
import { IntakeServer } from './intake-server.js';
import { decodeTraces, type Span } from './msgpack.js';

/** A made-up API key; tests search every output for it. */
export const KEY = 'ddsentinel0000000000000000000042';

/** Options pointing every intake at the loopback server, with small, fast channels. */
export function loopbackOptions(server: IntakeServer, extra: Partial<DatadogOptions> = {}): DatadogOptions {
  return {
    apiKey: KEY,
    processEnv: {},
    hostname: 'web-01',
    traces: 'none',
    endpoints: {
      metrics: server.url('/api/v2/series'),
      logs: server.url('/api/v2/logs'),
      events: server.url('/api/v1/events'),
    },
    channel: {
      flushIntervalMs: 50,
      timeoutMs: 2000,
      retry: { initialDelayMs: 10, maxDelayMs: 50, maxElapsedMs: 3000 },
    },
    ...extra,
  };
}

/** Starts sightline (service checkout, env prod, version 1.4.2) with the Datadog adapter. */
export function start(
  server: IntakeServer,
  extra: Partial<DatadogOptions> = {},
  config: SightlineConfig = {},
) {
  const lines: string[] = [];
  const obs = init({
    service: 'checkout',
    environment: 'prod',
    version: '1.4.2',
    exporters: [datadog(loopbackOptions(server, extra))],
    logStream: { write: (l: string) => lines.push(l) },
    anomaly: false,
    outbound: false,
    metricInterval: 3_600_000,
    ...config,
  });
  return { obs, lines };
}

/** Series the user recorded (sightline's own `sightline.*` metrics left out). */
export function userSeries(server: IntakeServer): Record<string, any>[] {
  return server
    .on('/api/v2/series')
    .flatMap((r) => (JSON.parse(r.text) as { series: Record<string, any>[] }).series)
    .filter((s) => !String(s.metric).startsWith('sightline.'));
}

/**
 * Sets the wall clock (`Date` alone) a second on, so the next collection has a second of its own:
 * Datadog keeps one point of a series a second, and collections in one second send their counts
 * added up. `vi.useRealTimers()` sets it back.
 */
export function nextSecond(): void {
  const now = Date.now() + 1000;
  if (vi.isFakeTimers()) vi.setSystemTime(now);
  else vi.useFakeTimers({ toFake: ['Date'], now });
}

export const expectGolden = goldenFiles('datadog');

/**
 * The loopback Agent of a file whose tests start dd-trace (once per process), started on the
 * first call; sightline is shut down and the Agent closed after the file's tests.
 */
export function agentOfFile(): () => Promise<IntakeServer> {
  let agent: IntakeServer | undefined;
  afterAll(async () => {
    await getSightline()?.shutdown({ timeoutMs: 2000 });
    await agent?.close();
  });
  return async () => {
    agent ??= await IntakeServer.start();
    return agent;
  };
}

/** Whether dd-trace was loaded in this process, where once started it stays. */
export const ddTraceLoaded = (): boolean =>
  Object.keys(createRequire(import.meta.url).cache).some((file) => /[\\/]dd-trace[\\/]/.test(file));

/** dd-trace mode sending to the loopback Agent, flushing every 50 ms; nothing else exported. */
export function ddTraceOptions(agent: IntakeServer): Partial<DatadogOptions> {
  return {
    metrics: 'none',
    events: false,
    traces: 'dd-trace',
    endpoints: { traces: agent.url('') },
    ddTrace: { flushInterval: 50 },
  };
}

/** The spans of the first trace payload the Agent got with a span named `name`, once it came. */
export async function agentSpans(agent: IntakeServer, name: string): Promise<Span[]> {
  const sent = () => agent.requests.find((r) => /^\/v0\.[45]\/traces$/.test(r.path) && r.raw.includes(name));
  await agent.waitFor(() => sent() !== undefined);
  return decodeTraces(sent()!.raw).flat();
}

/**
 * Starts `n` root spans named `name` at once, as a busy service starts traces, and counts those
 * dd-trace kept (a sampling priority above 0) once the Agent has all of them.
 */
export async function keptOfBurst(
  agent: IntakeServer,
  obs: Sightline,
  name: string,
  n: number,
): Promise<number> {
  for (let i = 0; i < n; i++) obs.trace(name, () => i);
  const roots = (): Span[] =>
    agent.requests
      .filter((r) => /^\/v0\.[45]\/traces$/.test(r.path))
      .flatMap((r) => decodeTraces(r.raw).flat())
      .filter((s) => s.name === name);
  await obs.forceFlush();
  await agent.waitFor(() => roots().length === n);
  return roots().filter((s) => Number(s.metrics._sampling_priority_v1) > 0).length;
}
