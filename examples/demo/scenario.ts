/**
 * What a demo run does and when: metric interval, detector warm-up, the load on each route (a
 * compressed "day": quiet at the start, busiest in the middle) and the faults injected after it.
 */

export type ServiceName = 'checkout-api' | 'inventory-api';

/** One route the load generator calls on the checkout API. */
export interface LoadRoute {
  /** Route template, as the series are named: `GET /orders/:id`. */
  readonly route: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  /** Mean requests per second over the run. */
  readonly rate: number;
}

/** A series a fault is expected to move: an alert on it during the fault is explained by it. */
export interface SeriesRef {
  readonly service: ServiceName;
  readonly metric: string;
  readonly route: string;
}

export interface FaultSpec {
  readonly id: 'latency' | 'errors' | 'traffic-drop';
  readonly title: string;
  /** Where the fault is applied. */
  readonly service: ServiceName;
  readonly route: string;
  readonly startS: number;
  readonly endS: number;
  readonly latencyMs?: number;
  readonly errorRatio?: number;
  /** The series the fault is about (first) and the ones it moves on the way. */
  readonly affects: readonly SeriesRef[];
}

export interface Scenario {
  readonly name: string;
  readonly durationS: number;
  /** Seconds of the daily-like rate pattern, when it differs from the run's duration. */
  readonly dayS?: number;
  readonly intervalMs: number;
  /** Collection cycles the detector learns from before it may alert. */
  readonly warmup: number;
  /** Relative amplitude of the daily-like rate pattern (0.3: from 70 % to 130 % of the mean). */
  readonly amplitude: number;
  readonly routes: readonly LoadRoute[];
  readonly faults: readonly FaultSpec[];
}

const P95 = 'http.server.request.duration.p95';
const RATE = 'http.server.request.rate';
const ERRORS = 'http.server.error.rate';

function routes(rate: number): LoadRoute[] {
  return [
    { route: 'POST /checkout/:sku', method: 'POST', path: '/checkout/book', body: '{"quantity":1}', rate },
    { route: 'GET /products', method: 'GET', path: '/products', rate },
    { route: 'GET /orders/:id', method: 'GET', path: '/orders/o-1001', rate },
  ];
}

/** The three faults at the given times (seconds since the start of the load). */
function faults(t: {
  latency: [number, number];
  errors: [number, number];
  drop: [number, number];
}): FaultSpec[] {
  return [
    {
      id: 'latency',
      title: 'Latency regression: +600 ms on inventory GET /v1/items/:sku',
      service: 'inventory-api',
      route: 'GET /v1/items/:sku',
      startS: t.latency[0],
      endS: t.latency[1],
      latencyMs: 600,
      affects: [
        { service: 'inventory-api', metric: P95, route: 'GET /v1/items/:sku' },
        { service: 'checkout-api', metric: P95, route: 'POST /checkout/:sku' },
      ],
    },
    {
      id: 'errors',
      title: 'Error burst: half of checkout GET /products answer 503',
      service: 'checkout-api',
      route: 'GET /products',
      startS: t.errors[0],
      endS: t.errors[1],
      errorRatio: 0.5,
      affects: [
        { service: 'checkout-api', metric: ERRORS, route: 'GET /products' },
        // Failed requests skip the inventory call: its rate dips while the burst lasts.
        { service: 'inventory-api', metric: RATE, route: 'GET /v1/items' },
      ],
    },
    {
      id: 'traffic-drop',
      title: 'Traffic drop: no more calls to checkout GET /orders/:id',
      service: 'checkout-api',
      route: 'GET /orders/:id',
      startS: t.drop[0],
      endS: t.drop[1],
      affects: [{ service: 'checkout-api', metric: RATE, route: 'GET /orders/:id' }],
    },
  ];
}

export const SCENARIOS: Record<string, Scenario> = {
  default: {
    name: 'default',
    durationS: 96,
    intervalMs: 500,
    warmup: 40,
    amplitude: 0.3,
    routes: routes(24),
    faults: faults({ latency: [24, 36], errors: [44, 54], drop: [62, 72] }),
  },
  /** The end-to-end test's run: a faster clock and shorter phases, the same story. */
  quick: {
    name: 'quick',
    durationS: 41,
    intervalMs: 500,
    warmup: 20,
    amplitude: 0.2,
    routes: routes(24),
    faults: faults({ latency: [11, 17], errors: [19, 25], drop: [27, 36] }),
  },
};

/** The rate of `route` at `t` seconds: a compressed day, quiet first, busiest halfway. */
export function rateAt(scenario: Scenario, route: LoadRoute, t: number): number {
  const dayS = scenario.dayS ?? scenario.durationS;
  const day = 1 - scenario.amplitude * Math.cos((2 * Math.PI * t) / dayS);
  const dropped = scenario.faults.some(
    (f) => f.id === 'traffic-drop' && f.route === route.route && t >= f.startS && t < f.endS,
  );
  return dropped ? 0 : route.rate * day;
}

/** Faults in effect at `t`, for one service. */
export function activeFaults(scenario: Scenario, service: ServiceName, t: number): FaultSpec[] {
  return scenario.faults.filter(
    (f) => f.service === service && f.id !== 'traffic-drop' && t >= f.startS && t < f.endS,
  );
}

/** The fewest collection cycles the detector accepts as its warm-up. */
const MIN_WARMUP = 10;

/**
 * Scales a scenario to a shorter or longer run, keeping every phase at the same fraction, the
 * warm-up included: a fault that began while the detector still learned would be learned as normal.
 */
export function withDuration(scenario: Scenario, durationS: number): Scenario {
  const k = durationS / scenario.durationS;
  return {
    ...scenario,
    durationS,
    warmup: Math.max(MIN_WARMUP, Math.floor(scenario.warmup * k)),
    faults: scenario.faults.map((f) => ({ ...f, startS: f.startS * k, endS: f.endS * k })),
  };
}
