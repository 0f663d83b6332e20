import type { Attributes, Meter, Histogram as OtelHistogram } from '@opentelemetry/api';
import type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  InstrumentOptions,
  Metrics,
  ObservableResult,
  UpDownCounter,
} from '../api/types.js';
import { declaredSpellings } from '../api/global.js';
import { describeValue } from '../diag/errors.js';
import { warn } from '../diag/warning.js';
import type { DropCounter } from '../internal/drops.js';
import { callGuarded } from '../internal/guarded-call.js';
import { cleanAttributes, seriesKey } from './attributes.js';
import type { CallbackWaits } from './callback-waits.js';
import { histogramTimer } from './histogram-timer.js';

/** What the instruments need from the instance; `closed` flips at shutdown. */
export interface MetricsState {
  closed: boolean;
  readonly drops: DropCounter;
  readonly maxAttributeLength: number;
  /** Names of metrics created with `detect: true`, read by the anomaly engine. */
  readonly detected: Set<string>;
  /** How long collections wait for async observable gauge callbacks. */
  readonly callbackWaits: CallbackWaits;
}

/**
 * The anomaly engine's own meter and the instruments it reads. A watched instrument records into
 * both meters; any other records once, as it would with the SDK alone.
 */
export interface WatchedMeter {
  readonly meter: Meter;
  watches(name: string, options: InstrumentOptions | undefined): boolean;
}

/**
 * Boundaries the SDK keeps as given: a string or NaN among them is exported as it is (an OTLP
 * collector refuses the whole request over it), and a repeated one makes an empty bucket.
 */
function increasingNumbers(buckets: unknown): buckets is number[] {
  if (!Array.isArray(buckets)) return false;
  let previous = Number.NEGATIVE_INFINITY;
  for (const [i, b] of buckets.entries()) {
    if (typeof b !== 'number' || Number.isNaN(b) || (i > 0 && b <= previous)) return false;
    previous = b;
  }
  return true;
}

type InstrumentKind = 'counter' | 'upDownCounter' | 'histogram' | 'gauge' | 'observableGauge';

const stringOrUndefined = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

const noop = (): void => {};
const noopInstrument = { add: noop, record: noop, startTimer: () => () => 0 };

/**
 * Distinct metric names an instance makes instruments for. Each is kept, and reported at each
 * collection, for the life of the process: a name made at run time (`orders.${customerId}`) would
 * grow both without end, as an attribute value would without `cardinalityLimit`.
 */
export const MAX_METRIC_NAMES = 2000;

/**
 * The spelling a metric of this kind and unit was first declared with through the module-level
 * `metrics`, recording `name` as it when there is none, or, with `declare` false, only looking it
 * up. Those instruments are made at their first recording, in the order traffic comes, as are
 * those a handler creates through `obs.metrics`: `counter('Orders')` declared in one module and
 * `counter('orders')` in another, or created in a handler, would be sent under whichever recorded
 * first, in each process and after each `init()`, so replicas split the metric between two names.
 * One of another kind or unit is another metric, under its own spelling. Held for as many names as
 * an instance makes instruments for, in the process's slot: a library's copy of the package (the
 * CommonJS build beside the application's ES module one) declares into the same metrics.
 */
export function declaredSpelling(kind: string, unit: string, name: string, declare: boolean): string {
  const spellings = declaredSpellings();
  const key = `${kind}\u0000${unit}\u0000${name.toLowerCase()}`;
  const first = spellings.get(key);
  if (first !== undefined) return first;
  if (declare && spellings.size < MAX_METRIC_NAMES) spellings.set(key, name);
  return name;
}

/**
 * The metrics the Express and Fastify integrations make through `obs.metrics`, at the first request
 * or refusal, which may come after an app has used up its names: they are not among them.
 */
const OWN_METRIC_NAMES: ReadonlySet<string> = new Set([
  'http.server.active_requests',
  'sightline.http.server.active_requests.sync',
  'http.server.rejected_requests',
]);

/**
 * The `obs.metrics` facade: OpenTelemetry instruments behind a guard that drops and counts
 * bad input instead of throwing, and repairs attributes only when they need it.
 */
export function createMetrics(meter: Meter, state: MetricsState, watch?: WatchedMeter): Metrics {
  const { drops, maxAttributeLength } = state;

  // The instrument, and its twin in the engine's meter when the engine watches it.
  const pair = <T>(name: string, options: InstrumentOptions | undefined, create: (m: Meter) => T) =>
    [create(meter), watch?.watches(name, options) ? create(watch.meter) : undefined] as const;

  // One guard for every instrument kind: finite numbers only, and non-negative where a reason is
  // given (counters, and histograms, whose negative values the SDK would drop without a count).
  const accept = (value: number, negative?: 'negative_increment' | 'negative_value'): boolean => {
    if (state.closed) {
      drops.add('after_shutdown');
      return false;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      drops.add('invalid_value');
      return false;
    }
    if (negative !== undefined && value < 0) {
      drops.add(negative);
      return false;
    }
    return true;
  };

  // The spelling, kind and unit each name was first created with, and a histogram's buckets. Names
  // are case-insensitive in OpenTelemetry, and the SDK exports an instrument created again as
  // another kind or unit beside the first, under the same name: backends mix the two or refuse one
  // (Elastic, a field both a number and an object). One created again as the same histogram with
  // buckets of its own records into the first's boundaries, without a word.
  const identities = new Map<
    string,
    {
      name: string;
      kind: InstrumentKind;
      unit: string;
      buckets: readonly number[] | undefined;
      warned: boolean;
    }
  >();
  const checkIdentity = (
    kind: InstrumentKind,
    name: string,
    options: InstrumentOptions | undefined,
    buckets: readonly number[] | undefined,
  ): string => {
    const key = name.toLowerCase();
    const unit = typeof options?.unit === 'string' ? options.unit : '';
    const first = identities.get(key);
    if (first === undefined) {
      const spelled = declaredSpelling(kind, unit, name, false);
      identities.set(key, { name: spelled, kind, unit, buckets, warned: false });
      return spelled;
    }
    // One of another kind or unit is a metric of its own to the SDK, whatever its spelling: under
    // the first's, its values would be taken for the first's (a count in seconds added to one in
    // milliseconds), where its own keeps them apart in the backends that tell case apart.
    const other = first.kind !== kind || first.unit !== unit;
    if (first.warned) return other ? name : first.name;
    let message: string | undefined;
    if (other)
      message =
        `metrics: ${describeValue(name)} was created as ${describeInstrument(kind, unit)} after ` +
        `${describeInstrument(first.kind, first.unit)} of that name; both are exported under the one ` +
        'name, which backends mix or refuse: give each its own name';
    else if (buckets !== undefined && !sameNumbers(boundariesOf(buckets), boundariesOf(first.buckets)))
      message =
        `metrics: ${describeValue(name)} was created as a histogram with ${describeBuckets(buckets)} ` +
        `after one of that name with ${describeBuckets(first.buckets)}, which it records into: ` +
        'give it the same buckets, or a name of its own';
    if (message !== undefined) {
      first.warned = true;
      warn('SLWRN002', message);
    }
    // The SDK keeps a metric per spelling: `Orders` after `orders` would split one metric in two,
    // each backend seeing part of the values under either name.
    return other ? name : first.name;
  };

  // Observable gauges created more than once under a name and unit (one per queue, or one in each
  // of two modules) share one metric, whose series keep the value of the callback that observed
  // them last: two callbacks observing the same attributes lose one's value without a word. Only a
  // gauge with more than one callback pays for telling it, at collection, once per observation.
  const gaugeCallbacks = new Map<
    string,
    { callbacks: number; seen: Map<string, number>[]; warned: boolean }
  >();
  const noteObserved = (
    shared: { seen: Map<string, number>[]; warned: boolean },
    meterIndex: number,
    callbackIndex: number,
    name: string,
    attributes: Attributes | undefined,
  ) => {
    let seen = shared.seen[meterIndex];
    if (seen === undefined) {
      seen = new Map();
      shared.seen[meterIndex] = seen;
    }
    const key = seriesKey(attributes);
    const before = seen.get(key);
    seen.set(key, callbackIndex);
    if (before === undefined || before === callbackIndex || shared.warned) return;
    shared.warned = true;
    shared.seen.length = 0;
    // Attribute names only: their values are the service's data.
    const names = attributes === undefined ? [] : Object.keys(attributes);
    warn(
      'SLWRN002',
      `metrics: ${describeValue(name)} has two callbacks observing the same attributes ` +
        `(${names.length === 0 ? 'none' : names.join(', ')}), of which one value is exported: ` +
        'give each its own attributes or name',
    );
  };

  // Buckets that are not increasing numbers give the default ones, as a bad value is dropped.
  const checkedBuckets = (buckets: unknown): number[] | undefined => {
    if (buckets === undefined || increasingNumbers(buckets)) return buckets;
    drops.add('invalid_buckets');
    return undefined;
  };

  // An instrument past MAX_METRIC_NAMES: each recording it is given is lost, so each is counted.
  const pastLimit = (): void => drops.add('metric_name_limit');
  const overLimit = {
    add: pastLimit,
    record: pastLimit,
    startTimer: () => () => {
      pastLimit();
      return 0;
    },
  };

  const safely = <T>(
    kind: InstrumentKind,
    name: string,
    options: InstrumentOptions | undefined,
    make: (name: string, buckets: number[] | undefined) => T,
  ): T => {
    // The SDK takes a name of any type, which an exporter then fails on with the whole collection
    // (Datadog's series) or writes where a collector wants a string (OTLP/JSON, for the request).
    if (typeof name !== 'string') {
      drops.add('instrument_error');
      return noopInstrument as unknown as T;
    }
    try {
      if (
        identities.size >= MAX_METRIC_NAMES &&
        !identities.has(name.toLowerCase()) &&
        !OWN_METRIC_NAMES.has(name)
      ) {
        if (kind === 'observableGauge') drops.add('metric_name_limit');
        return overLimit as unknown as T;
      }
      const buckets =
        kind === 'histogram' ? checkedBuckets((options as HistogramOptions | undefined)?.buckets) : undefined;
      const metricName = checkIdentity(kind, name, options, buckets);
      if (options?.detect === true) state.detected.add(metricName);
      return make(metricName, buckets);
    } catch {
      drops.add('instrument_error');
      return noopInstrument as unknown as T;
    }
  };

  // Spreading reads every property: a getter that throws costs the attributes, not the caller.
  const merge = (a: Attributes | undefined, b: Attributes): Attributes | undefined => {
    try {
      return { ...a, ...b };
    } catch {
      drops.add('invalid_attribute');
      return undefined;
    }
  };

  // The SDK keeps a unit or description of any type, on which an exporter fails with the whole
  // collection (CloudWatch's units); one that is no string is left out.
  const descriptor = (options: InstrumentOptions | undefined) => ({
    unit: stringOrUndefined(options?.unit),
    description: stringOrUndefined(options?.description),
  });

  return {
    counter(name, options): Counter {
      return safely('counter', name, options, (name) => {
        const [inner, watched] = pair(name, options, (m) => m.createCounter(name, descriptor(options)));
        return {
          add(value: number, attributes?: Attributes) {
            if (!accept(value, 'negative_increment')) return;
            const clean = cleanAttributes(attributes, maxAttributeLength, drops);
            inner.add(value, clean);
            watched?.add(value, clean);
          },
        };
      });
    },

    upDownCounter(name, options): UpDownCounter {
      return safely('upDownCounter', name, options, (name) => {
        const [inner, watched] = pair(name, options, (m) => m.createUpDownCounter(name, descriptor(options)));
        return {
          add(value: number, attributes?: Attributes) {
            if (!accept(value)) return;
            const clean = cleanAttributes(attributes, maxAttributeLength, drops);
            inner.add(value, clean);
            watched?.add(value, clean);
          },
        };
      });
    },

    histogram(name, options?: HistogramOptions): Histogram {
      return safely('histogram', name, options, (name, buckets) => {
        const [inner, watched] = pair(
          name,
          options,
          (m): OtelHistogram =>
            m.createHistogram(name, {
              ...descriptor(options),
              ...(buckets ? { advice: { explicitBucketBoundaries: buckets } } : {}),
            }),
        );
        const record = (value: number, attributes?: Attributes) => {
          if (!accept(value, 'negative_value')) return;
          const clean = cleanAttributes(attributes, maxAttributeLength, drops);
          inner.record(value, clean);
          watched?.record(value, clean);
        };
        return {
          record,
          startTimer: histogramTimer(record, options, merge),
        };
      });
    },

    gauge(name, options): Gauge {
      return safely('gauge', name, options, (name) => {
        const [inner, watched] = pair(name, options, (m) => m.createGauge(name, descriptor(options)));
        return {
          record(value: number, attributes?: Attributes) {
            if (!accept(value)) return;
            const clean = cleanAttributes(attributes, maxAttributeLength, drops);
            inner.record(value, clean);
            watched?.record(value, clean);
          },
        };
      });
    },

    observableGauge(name, options, callback) {
      safely('observableGauge', name, options, (name) => {
        const { unit } = descriptor(options);
        const sharedKey = `${name.toLowerCase()}\u0000${unit ?? ''}`;
        const tracked = gaugeCallbacks.get(sharedKey) ?? { callbacks: 0, seen: [], warned: false };
        gaugeCallbacks.set(sharedKey, tracked);
        const callbackIndex = tracked.callbacks++;
        // Each meter's collection calls the callback, as each reader's did on one meter.
        const inners = pair(name, options, (m) => m.createObservableGauge(name, descriptor(options)));
        for (const [meterIndex, inner] of inners.entries()) {
          inner?.addCallback((result) => {
            const told = tracked.callbacks > 1 && !tracked.warned;
            // The first callback starts each collection: what the others observe is of this one.
            if (told && callbackIndex === 0) tracked.seen[meterIndex]?.clear();
            // The SDK has read this collection's values once the callback is done (or no longer
            // waited for): a value observed later (from a promise the callback did not return) is
            // ignored, saying nothing. A callback given up on has its cycle's values counted once,
            // as that: not each of them again as it comes.
            let over = false;
            let givenUp = false;
            const facade: ObservableResult = {
              observe(value, attributes) {
                if (over) {
                  if (!givenUp) drops.add('observed_late');
                  return;
                }
                if (!accept(value)) return;
                const clean = cleanAttributes(attributes, maxAttributeLength, drops);
                if (told) noteObserved(tracked, meterIndex, callbackIndex, name, clean);
                result.observe(value, clean);
              },
            };
            // The SDK waits for a returned promise, so values observed after an await still count.
            const pending = callGuarded(callback, facade, () => drops.add('callback_error'));
            if (pending === undefined) {
              over = true;
              return undefined;
            }
            return state.callbackWaits
              .wait(pending, () => {
                givenUp = true;
                drops.add('callback_timeout');
              })
              .then(() => {
                over = true;
              });
          });
        }
      });
    },
  };
}

/** `a histogram (unit "ms")`, `an up-down counter (no unit)`. */
function describeInstrument(kind: InstrumentKind, unit: string): string {
  const words = {
    counter: 'a counter',
    upDownCounter: 'an up-down counter',
    histogram: 'a histogram',
    gauge: 'a gauge',
    observableGauge: 'an observable gauge',
  }[kind];
  return `${words} (${unit === '' ? 'no unit' : `unit ${describeValue(unit)}`})`;
}

/** `buckets [10, 100]`, or `default buckets`. */
function describeBuckets(buckets: readonly number[] | undefined): string {
  return buckets === undefined ? 'default buckets' : `buckets [${buckets.join(', ')}]`;
}

/** The SDK's boundaries for a histogram without buckets of its own. */
const DEFAULT_BOUNDARIES: readonly number[] = [
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000,
];

/**
 * The boundaries the SDK makes of `buckets`: its defaults for none, and infinite ones left out, so
 * that buckets written out as the ones in use are not told as others.
 */
function boundariesOf(buckets: readonly number[] | undefined): readonly number[] {
  return buckets === undefined ? DEFAULT_BOUNDARIES : buckets.filter(Number.isFinite);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
