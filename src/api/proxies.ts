import { type Attributes, type Span, trace as otelTrace } from '@opentelemetry/api';
import { getSightline } from './global.js';
import type {
  Counter,
  Gauge,
  Histogram,
  Metrics,
  ObservableResult,
  Sightline,
  TraceOptions,
  UpDownCounter,
} from './types.js';

/** Resolves (and caches per instance) the real object behind a proxy; undefined before `init()`. */
function lazy<T>(make: (s: Sightline) => T): () => T | undefined {
  let owner: Sightline | undefined;
  let real: T | undefined;
  return () => {
    const s = getSightline();
    if (s === undefined) return undefined;
    if (s !== owner) {
      owner = s;
      real = make(s);
    }
    return real;
  };
}

interface PendingGauge {
  name: string;
  options: Parameters<Metrics['observableGauge']>[1];
  callback: (result: ObservableResult) => void;
  owner: Sightline | undefined;
}
const pendingGauges: PendingGauge[] = [];

/** Registers observable gauges declared before `init()` with the instance, once. */
export function applyPendingGauges(instance: Sightline): void {
  for (const g of pendingGauges) {
    if (g.owner === instance) continue;
    g.owner = instance;
    instance.metrics.observableGauge(g.name, g.options, g.callback);
  }
}

/**
 * Instruments usable at module load: cheap no-ops before `init()`, forwarding to the instance
 * after it (the OpenTelemetry API's proxy model).
 *
 * @example
 * import { metrics } from 'sightline';
 * const orders = metrics.counter('orders.placed'); // fine before init()
 */
export const metrics: Metrics = {
  counter(name, options): Counter {
    const get = lazy((s) => s.metrics.counter(name, options));
    return { add: (value, attributes) => get()?.add(value, attributes) };
  },
  upDownCounter(name, options): UpDownCounter {
    const get = lazy((s) => s.metrics.upDownCounter(name, options));
    return { add: (value, attributes) => get()?.add(value, attributes) };
  },
  histogram(name, options): Histogram {
    const get = lazy((s) => s.metrics.histogram(name, options));
    const perMs = options?.unit === 's' ? 1 / 1000 : 1;
    return {
      record: (value, attributes) => get()?.record(value, attributes),
      startTimer(attributes?: Attributes) {
        const start = performance.now();
        return (extra?: Attributes) => {
          const value = (performance.now() - start) * perMs;
          get()?.record(value, extra ? { ...attributes, ...extra } : attributes);
          return value;
        };
      },
    };
  },
  gauge(name, options): Gauge {
    const get = lazy((s) => s.metrics.gauge(name, options));
    return { record: (value, attributes) => get()?.record(value, attributes) };
  },
  observableGauge(name, options, callback) {
    const s = getSightline();
    const pending: PendingGauge = { name, options, callback, owner: s };
    pendingGauges.push(pending);
    s?.metrics.observableGauge(name, options, callback);
  },
};

type LogFn = (objOrMsg?: unknown, ...args: unknown[]) => void;

/** The module-level logger: the same calls as `obs.log`, silent before `init()`. */
export interface ProxyLogger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  child(bindings: Record<string, unknown>): ProxyLogger;
}

function proxyLogger(bindings: readonly Record<string, unknown>[]): ProxyLogger {
  const get = lazy((s) => bindings.reduce((logger, b) => logger.child(b), s.log));
  const level =
    (name: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'): LogFn =>
    (...args: unknown[]) => {
      const logger = get();
      if (logger !== undefined) (logger[name] as (...a: unknown[]) => void)(...args);
    };
  return {
    fatal: level('fatal'),
    error: level('error'),
    warn: level('warn'),
    info: level('info'),
    debug: level('debug'),
    trace: level('trace'),
    child: (b) => proxyLogger([...bindings, b]),
  };
}

/** Logs through the instance once `init()` has run; a no-op before. */
export const log: ProxyLogger = proxyLogger([]);

const NOOP_SPAN_CONTEXT = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 };

/**
 * Runs `fn` in a new span once `init()` has run; before it, runs `fn` with a non-recording span.
 *
 * @example
 * import { trace } from 'sightline';
 * await trace('charge-card', async (span) => { span.setAttribute('amount', 42); });
 */
export function trace<T>(name: string, fn: (span: Span) => T): T;
export function trace<T>(name: string, options: TraceOptions, fn: (span: Span) => T): T;
export function trace<T>(name: string, a: TraceOptions | ((span: Span) => T), b?: (span: Span) => T): T {
  const s = getSightline();
  if (s !== undefined)
    return typeof a === 'function' ? s.trace(name, a) : s.trace(name, a, b as (span: Span) => T);
  const fn = typeof a === 'function' ? a : b;
  if (typeof fn !== 'function') return undefined as T;
  return fn(otelTrace.wrapSpanContext(NOOP_SPAN_CONTEXT));
}
