import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type ElasticOptions, elastic } from '../../../adapters/elastic/index.js';
import type { Sightline } from '../../../src/api/types.js';
import type { SightlineConfig } from '../../../src/config/types.js';
import { getSightline, init } from '../../../src/index.js';

/** Secrets that must never show up anywhere but the auth header. */
export const API_KEY = 'SENTINELa1b2c3ELASTICd4e5f6APIKEYg7h8==';
export const AUTH = `ApiKey ${API_KEY}`;
export const PASSWORD = 'SENTINEL-pa55w0rd-ELASTIC';
export const SECRET_TOKEN = 'SENTINELapmSECRETtoken42';

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

/** Starts sightline with the Elastic adapter pointed at the intake (`node`), traces off unless asked. */
export function startWithElastic(
  intake: { url: string },
  options: ElasticOptions = {},
  config: SightlineConfig = {},
): Started {
  const lines: string[] = [];
  const obs = init({
    service: 'checkout',
    environment: 'production',
    version: '1.4.2',
    metricInterval: 60_000,
    handleSignals: false,
    anomaly: false,
    logStream: { write: (l: string) => lines.push(l) },
    exporters: [
      elastic({
        node: intake.url,
        apiKey: API_KEY,
        hostname: 'web-01',
        traces: false,
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
  kind: 'drop',
  explanation: 'orders.placed fell to 3 (expected 42.5, usual 30..55)',
  service: 'checkout',
  environment: 'production',
};

/**
 * Compares `actual` with the golden file strictly. Set `UPDATE_GOLDEN=1` to rewrite it, once, from
 * a run whose output was checked by hand.
 */
export function expectGolden(name: string, actual: unknown): void {
  const dir = new URL('../../fixtures/golden/elastic/', import.meta.url);
  const file = new URL(`${name}.json`, dir);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden file ${name}.json is missing; run with UPDATE_GOLDEN=1`);
  expect(JSON.parse(text)).toStrictEqual(JSON.parse(readFileSync(file, 'utf8')));
}

/** Replaces values that change from run to run (times, ids) with placeholders. */
export function normalize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v, k);
    return out;
  }
  if (key === '@timestamp' && typeof value === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(value))
    return '<time>';
  if (key === 'id' && typeof value === 'string' && /^[0-9a-f]{32}$/.test(value)) return '<trace-id>';
  if (key === 'id' && typeof value === 'string' && /^[0-9a-f]{16}$/.test(value)) return '<span-id>';
  if (key === 'stack_trace' && typeof value === 'string') return '<stack>';
  return value;
}
