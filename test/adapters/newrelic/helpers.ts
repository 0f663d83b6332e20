import { type NewRelicOptions, newrelic } from '../../../adapters/newrelic/index.js';
import type { SightlineConfig } from '../../../src/config/types.js';
import { FAST_CHANNEL, type Started, goldenFiles, startWith } from '../harness.js';
import { type NrIntake, endpointsFor } from './intake-server.js';

export { FAST_CHANNEL, stopSightline } from '../harness.js';

/** A license key that must never show up anywhere but the auth header. */
export const LICENSE_KEY = 'eu01xxSENTINELa1b2c3d4e5f6a7b8c9d0NRAL';
export const ACCOUNT_ID = '1234567';

/** Starts sightline with the New Relic adapter pointed at the intake. */
export function startWithNewRelic(
  intake: NrIntake | { url: string },
  options: NewRelicOptions = {},
  config: SightlineConfig = {},
): Started {
  const adapter = newrelic({
    licenseKey: LICENSE_KEY,
    hostname: 'web-01',
    endpoints: endpointsFor(intake, ACCOUNT_ID),
    channel: FAST_CHANNEL,
    env: {},
    ...options,
  });
  return startWith(adapter, config);
}

export const expectGolden = goldenFiles('newrelic');

/** Replaces values that change from run to run (times, ids, SDK version, instance id) with placeholders. */
export function normalize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v, k);
    // OTLP key/value lists and the instrumentation scope carry release versions.
    if (out.key === 'telemetry.sdk.version') out.value = '<sdk-version>';
    if (out.key === 'service.instance.id') out.value = '<instance-id>';
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
  if (key === 'service.instance.id') return '<instance-id>';
  return value;
}
