import { expect } from 'vitest';
import { type OtlpOptions, otlp } from '../../../adapters/otlp/index.js';
import type { AnomalyEvent } from '../../../src/anomaly/event.js';
import type { Sightline } from '../../../src/api/types.js';
import type { SightlineConfig } from '../../../src/config/types.js';
import { FAST_CHANNEL, type Started, goldenFiles, startWith } from '../harness.js';
import type { OtlpCollector } from './intake-server.js';

export { stopSightline } from '../harness.js';

/** A header value that must never appear anywhere but in the request header. */
export const SECRET = 'Bearer sk-SENTINEL-5f0e1d2c3b4a';

/** Starts sightline with only the OTLP adapter, pointed at the collector. */
export function startWithOtlp(
  collector: OtlpCollector | { url: string },
  options: OtlpOptions = {},
  config: SightlineConfig = {},
): Started {
  return startWith(otlp({ url: collector.url, channel: FAST_CHANNEL, env: {}, ...options }), config);
}

export const ANOMALY: AnomalyEvent = {
  metric: 'orders.placed',
  attributes: { region: 'eu' },
  time: 1_700_000_000_000,
  observed: 2,
  expected: 40.5,
  band: { lower: 30.25, upper: 50.75 },
  score: 0.995,
  severity: 87,
  kind: 'dip',
  explanation: 'orders.placed{region=eu} fell to 2, expected 40.5 (30.25..50.75)',
  service: 'checkout',
  environment: 'prod',
};

/** Records the same telemetry in every golden test: metrics, a span tree with logs inside, an anomaly event. */
export function recordScenario(obs: Sightline): void {
  const orders = obs.metrics.counter('orders.placed', { unit: '{order}', description: 'Orders placed' });
  orders.add(3, { region: 'eu' });
  orders.add(2, { region: 'us' });
  obs.metrics.histogram('checkout.latency', { unit: 'ms', buckets: [5, 15] }).record(12, { route: '/pay' });
  obs.metrics.gauge('cart.value', { unit: 'EUR' }).record(87.5);
  obs.trace('POST /orders', (span) => {
    span.setAttribute('http.request.method', 'POST');
    obs.log.info({ order: { id: 'o-123', items: 2 } }, 'order placed');
    obs.trace('db.insert', (child) => {
      child.setAttribute('db.system', 'postgresql');
      child.setStatus({ code: 2, message: 'deadlock' });
    });
  });
  obs.log.warn({ attempt: 2, big: 2 ** 60 }, 'retrying payment');
  (obs as unknown as { emitAnomaly(e: AnomalyEvent): void }).emitAnomaly(ANOMALY);
}

const TIME_KEYS = new Set(['timeUnixNano', 'startTimeUnixNano', 'endTimeUnixNano', 'observedTimeUnixNano']);
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * Replaces what changes from run to run: timestamps (`<time>`, or kept when fixed by the test),
 * ids (numbered by first appearance; share `ids` between bodies so a log's span id can be matched
 * with its span), the SDK version and the instance id.
 */
export function normalize(
  body: unknown,
  keepTimes: ReadonlySet<string> = new Set(),
  ids: Map<string, string> = new Map(),
): unknown {
  const walk = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value !== null && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) out[k] = walk(obj[k], k);
      // Resource attribute telemetry.sdk.version changes with every SDK upgrade, service.instance.id
      // with every init().
      if (obj.key === 'telemetry.sdk.version') out.value = { stringValue: '<sdk-version>' };
      if (obj.key === 'service.instance.id') out.value = { stringValue: '<instance-id>' };
      return out;
    }
    if (key !== undefined && TIME_KEYS.has(key) && typeof value === 'string')
      return keepTimes.has(value) ? value : '<time>';
    if (key !== undefined && ID_KEYS.has(key) && typeof value === 'string' && value !== '') {
      let id = ids.get(value);
      if (id === undefined) {
        id = `<${key === 'traceId' ? 'trace' : 'span'}-${ids.size + 1}>`;
        ids.set(value, id);
      }
      return id;
    }
    return value;
  };
  return walk(body);
}

export const expectGolden = goldenFiles('otlp');

/** Asserts produced = delivered + sum(dropped) + queued for every signal. */
export function expectIdentity(stats: Record<string, unknown> | undefined): void {
  for (const s of Object.values(stats ?? {}) as {
    produced: number;
    delivered: number;
    queued: number;
    dropped: Record<string, number>;
  }[]) {
    const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
    expect(s.produced).toBe(s.delivered + dropped + s.queued);
  }
}
