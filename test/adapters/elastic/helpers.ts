import { type ElasticOptions, elastic } from '../../../adapters/elastic/index.js';
import type { SightlineConfig } from '../../../src/config/types.js';
import { FAST_CHANNEL, type Started, goldenFiles, startWith } from '../harness.js';

export { FAST_CHANNEL, stopSightline } from '../harness.js';

/** Secrets that must never show up anywhere but the auth header. */
export const API_KEY = 'SENTINELa1b2c3ELASTICd4e5f6APIKEYg7h8==';
export const AUTH = `ApiKey ${API_KEY}`;
export const PASSWORD = 'SENTINEL-pa55w0rd-ELASTIC';
export const SECRET_TOKEN = 'SENTINELapmSECRETtoken42';

/** Starts sightline with the Elastic adapter pointed at the intake (`node`), traces off unless asked. */
export function startWithElastic(
  intake: { url: string },
  options: ElasticOptions = {},
  config: SightlineConfig = {},
): Started {
  const adapter = elastic({
    node: intake.url,
    apiKey: API_KEY,
    hostname: 'web-01',
    traces: false,
    channel: FAST_CHANNEL,
    env: {},
    ...options,
  });
  return startWith(adapter, { environment: 'production', ...config });
}

/** A sample anomaly event. */
export const ANOMALY = {
  metric: 'orders.placed',
  attributes: { region: 'eu', 'payment.method': 'card' },
  time: Date.UTC(2024, 4, 1, 12, 0, 0),
  observed: 3,
  expected: 42.5,
  band: { lower: 30, upper: 55 },
  score: 0.97,
  severity: 81.6,
  kind: 'dip',
  explanation: 'orders.placed fell to 3 (expected 42.5, usual 30..55)',
  service: 'checkout',
  environment: 'production',
};

export const expectGolden = goldenFiles('elastic');

/** Replaces the random `service.instance.id` documents name as `service.node.name` with a placeholder. */
export function placeInstance(value: unknown): unknown {
  return normalize(value, '', false);
}

/**
 * Replaces values that change from run to run (times, ids) with placeholders; with `timesAndIds`
 * false, only the instance.
 */
export function normalize(value: unknown, key = '', timesAndIds = true): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v, key, timesAndIds));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v, k, timesAndIds);
    if (key === 'node' && typeof out.name === 'string') out.name = '<instance-id>';
    if (key === 'process' && typeof out.pid === 'number') out.pid = '<pid>';
    if (key === 'host' && typeof out.hostname === 'string') out.hostname = '<hostname>';
    return out;
  }
  if (!timesAndIds) return value;
  if (key === '@timestamp' && typeof value === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(value))
    return '<time>';
  if (key === 'id' && typeof value === 'string' && /^[0-9a-f]{32}$/.test(value)) return '<trace-id>';
  if (key === 'id' && typeof value === 'string' && /^[0-9a-f]{16}$/.test(value)) return '<span-id>';
  if (key === 'stack_trace' && typeof value === 'string') return '<stack>';
  return value;
}
