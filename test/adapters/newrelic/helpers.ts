import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { expect } from 'vitest';
import { getSightline, init } from '../../../src/index.js';
import type { SightlineConfig } from '../../../src/config/types.js';
import type { Sightline } from '../../../src/api/types.js';
import { newrelic, type NewRelicOptions } from '../../../adapters/newrelic/index.js';
import { endpointsFor, type NrIntake } from './intake-server.js';

/** A license key that must never show up anywhere but the auth header. */
export const LICENSE_KEY = 'eu01xxSENTINELa1b2c3d4e5f6a7b8c9d0NRAL';
export const ACCOUNT_ID = '1234567';

/** Queue, flush and retry timings small enough for tests. */
export const FAST_CHANNEL = {
  flushIntervalMs: 50,
  timeoutMs: 2000,
  shutdownTimeoutMs: 1000,
  retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 5000 },
};

export interface Started {
  obs: Sightline;
  /** Lines written to the log stream (stdout stand-in). */
  lines: string[];
}

/** Starts sightline with the New Relic adapter pointed at the intake. */
export function startWithNewRelic(
  intake: NrIntake | { url: string },
  options: NewRelicOptions = {},
  config: SightlineConfig = {},
): Started {
  const lines: string[] = [];
  const obs = init({
    service: 'checkout',
    environment: 'prod',
    version: '1.4.2',
    metricInterval: 60_000,
    handleSignals: false,
    anomaly: false,
    logStream: { write: (l: string) => lines.push(l) },
    exporters: [
      newrelic({
        licenseKey: LICENSE_KEY,
        hostname: 'web-01',
        endpoints: endpointsFor(intake, ACCOUNT_ID),
        channel: FAST_CHANNEL,
        env: {},
        ...options,
      }),
    ],
    ...config,
  });
  return { obs, lines };
}

export async function stopSightline(): Promise<void> {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
}

/**
 * Compares `actual` with the golden file strictly. Set `UPDATE_GOLDEN=1` to rewrite it, once, from
 * a run whose output was checked by hand.
 */
export function expectGolden(name: string, actual: unknown): void {
  const dir = new URL('../../fixtures/golden/newrelic/', import.meta.url);
  const file = new URL(`${name}.json`, dir);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1')
      throw new Error(`golden file ${name}.json is missing; run with UPDATE_GOLDEN=1`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  expect(JSON.parse(text)).toStrictEqual(JSON.parse(readFileSync(file, 'utf8')));
}

/** Replaces values that change from run to run (times, ids, SDK version) with placeholders. */
export function normalize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v, k);
    // OTLP key/value lists and the instrumentation scope carry release versions.
    if (out.key === 'telemetry.sdk.version') out.value = '<sdk-version>';
    if (key === 'scope' && typeof out.version === 'string') out.version = '<version>';
    return out;
  }
  if (typeof value === 'number' && /timestamp|TimeUnixNano|^time$/.test(key)) return '<time>';
  if (typeof value === 'string' && /TimeUnixNano$/.test(key)) return '<time>';
  if (key === 'interval.ms' && typeof value === 'number' && value > 0) return '<interval>';
  if (typeof value === 'string' && /^(trace\.id|traceId)$/.test(key) && /^[0-9a-f]{32}$/.test(value))
    return '<trace-id>';
  if (
    typeof value === 'string' &&
    /^(span\.id|spanId|parentSpanId)$/.test(key) &&
    /^[0-9a-f]{16}$/.test(value)
  )
    return '<span-id>';
  if (key === 'telemetry.sdk.version') return '<sdk-version>';
  return value;
}
