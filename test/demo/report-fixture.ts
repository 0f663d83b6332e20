/**
 * A demo report made without running the demo: two routes' series fed through the real
 * detector (so bands and markers are the detector's own), one fault each, and a small trace.
 */
import { createDetector } from 'sightline/anomaly';
import { Recorder } from '../../examples/demo/recorder.js';
import type { ReportData } from '../../examples/demo/report.js';
import { SCENARIOS, type Scenario } from '../../examples/demo/scenario.js';
import { judge } from '../../examples/demo/verdict.js';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function fixtureReport(): ReportData {
  const base = SCENARIOS.quick as Scenario;
  const scenario: Scenario = { ...base, faults: base.faults.filter((f) => f.id !== 'traffic-drop') };
  const start = Date.UTC(2026, 0, 5, 10, 0, 0);
  const recorder = new Recorder(start);
  const rand = prng(5);
  const routes = [
    ['inventory-api', 'GET /v1/items/:sku'],
    ['checkout-api', 'GET /products'],
  ] as const;
  const series = {
    'http.server.request.rate': (t: number) => 24 + Math.round((rand() - 0.5) * 6) + 0 * t,
    'http.server.request.duration.p95': (t: number, route: string) =>
      0.012 + rand() * 0.004 + (route === 'GET /v1/items/:sku' && t >= 14 && t < 20 ? 0.3 : 0),
    'http.server.error.rate': (t: number, route: string) =>
      route === 'GET /products' && t >= 22 && t < 28 ? 0.5 : 0,
  };
  for (const [service, route] of routes) {
    for (const [metric, value] of Object.entries(series)) {
      const detector = createDetector({
        warmup: scenario.warmup,
        direction: metric.endsWith('rate') && !metric.includes('error') ? 'both' : 'up',
        transform: metric.includes('request.rate') ? 'auto' : 'none',
      });
      for (let i = 1; i * 0.5 < scenario.durationS; i++) {
        const t = i * 0.5;
        const v = value(t, route);
        const time = start + t * 1000;
        const r = detector.update(v, time);
        const [method, path] = route.split(' ') as [string, string];
        recorder.addBands(service, time, [
          {
            metric,
            method,
            route: path,
            observed: v,
            expected: r.expected,
            lower: r.lower,
            upper: r.upper,
            score: r.score,
          },
        ]);
        if (r.episodeStart)
          recorder.addAnomaly(service, {
            metric,
            attributes: { 'http.request.method': method, 'http.route': path },
            time,
            observed: v,
            expected: r.expected,
            band: { lower: r.lower, upper: r.upper },
            score: r.score,
            severity: r.severity,
            kind: r.kind ?? 'spike',
            explanation: `${metric} on ${route}: ${r.kind ?? 'spike'} up, observed ${v}`,
            service,
            environment: 'demo',
          });
      }
    }
  }
  const traceId = 'a'.repeat(32);
  const span = (
    service: string,
    spanId: string,
    parentSpanId: string | undefined,
    name: string,
    kind: number,
    startMs: number,
    durationMs: number,
  ) => ({
    service,
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    startMs: start + startMs,
    durationMs,
    error: false,
    route: undefined,
  });
  return {
    scenario,
    startedAt: start,
    wallS: 46,
    recorder,
    verdict: judge(scenario, recorder.alerts),
    load: [{ route: 'GET /products', sent: 900, non2xx: 80, timeouts: 0 }],
    trace: {
      traceId,
      route: 'POST /checkout/:sku',
      durationMs: 330,
      spans: [
        span('checkout-api', '1'.repeat(16), undefined, 'POST /checkout/:sku', 1, 0, 330),
        span('checkout-api', '2'.repeat(16), '1'.repeat(16), 'GET', 2, 2, 318),
        span('inventory-api', '3'.repeat(16), '2'.repeat(16), 'GET /v1/items/:sku', 1, 4, 312),
        span('inventory-api', '4'.repeat(16), '3'.repeat(16), 'demo.injected-latency', 0, 5, 300),
        span('checkout-api', '5'.repeat(16), '1'.repeat(16), 'charge-card', 0, 322, 6),
      ],
      logs: [
        {
          service: 'inventory-api',
          time: start + 310,
          level: 'info',
          msg: 'stock looked up',
          spanId: '3'.repeat(16),
          fields: { sku: 'book', available: 12 },
        },
        {
          service: 'checkout-api',
          time: start + 329,
          level: 'info',
          msg: 'order placed',
          spanId: '1'.repeat(16),
          fields: { sku: 'book' },
        },
      ],
    },
  };
}
