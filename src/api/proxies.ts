import { type Attributes, type Span, trace as otelTrace } from '@opentelemetry/api';
import type { ChildLoggerOptions, LevelWithSilentOrString, Logger } from 'pino';
import { realSetImmediate } from '../internal/node-timers.js';
import { FORWARDS_TO } from '../logs/pino-symbols.js';
import { histogramTimer } from '../metrics/histogram-timer.js';
import { declaredSpelling } from '../metrics/instruments.js';
import { runWithoutSpan } from '../traces/run-in-span.js';
import { followInstance, getSightline, REBIND, type Rebindable, rootBindingsCount } from './global.js';
import type {
  Counter,
  Gauge,
  Histogram,
  Metrics,
  ObservableResult,
  Sightline,
  Traced,
  TraceOptions,
  UpDownCounter,
} from './types.js';

type RecordFn = (value: number, attributes?: Attributes) => void;
const noop = (): void => {};

/**
 * An object whose `method` is an empty function before `init()` (as cheap as the OpenTelemetry
 * API's no-op) and forwards to the instrument `make` builds, on first use, once an instance exists.
 */
function proxied<M extends 'add' | 'record'>(
  method: M,
  make: (s: Sightline) => Record<M, RecordFn>,
): Record<M, RecordFn> {
  const proxy = { [method]: noop } as unknown as Record<string, RecordFn> & Rebindable;
  proxy[REBIND] = (s) => {
    if (s === undefined) {
      proxy[method] = noop;
      return;
    }
    let real: Record<M, RecordFn> | undefined;
    proxy[method] = (value, attributes) => {
      real ??= make(s);
      real[method](value, attributes);
    };
  };
  followInstance(proxy);
  return proxy as Record<M, RecordFn>;
}

/**
 * Observable gauges declared through the module-level `metrics`, held here so that their callbacks
 * live: the set of proxies every copy of the package shares only holds them weakly. Through that
 * set, an `init()` made by the other copy (ESM or CJS) registers them too.
 */
const gauges: Rebindable[] = [];

function followingGauge(
  name: string,
  options: Parameters<Metrics['observableGauge']>[1],
  callback: (result: ObservableResult) => void,
): void {
  let owner: Sightline | undefined;
  const gauge: Rebindable = {
    [REBIND](s) {
      if (s === undefined || s === owner) return;
      owner = s;
      s.metrics.observableGauge(name, options, callback);
    },
  };
  gauges.push(gauge);
  followInstance(gauge);
}

/** The spelling the instance is to make the metric under: the first declared here in the process. */
function declared(kind: string, name: string, options: { readonly unit?: unknown } | undefined): string {
  if (typeof name !== 'string') return name;
  let unit: unknown;
  try {
    unit = options?.unit;
  } catch {
    // Options that cannot be read: the instance counts the instrument as an error.
    return name;
  }
  return declaredSpelling(kind, typeof unit === 'string' ? unit : '', name, true);
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
    const spelled = declared('counter', name, options);
    return proxied('add', (s) => s.metrics.counter(spelled, options));
  },
  upDownCounter(name, options): UpDownCounter {
    const spelled = declared('upDownCounter', name, options);
    return proxied('add', (s) => s.metrics.upDownCounter(spelled, options));
  },
  histogram(name, options): Histogram {
    const spelled = declared('histogram', name, options);
    const proxy = proxied('record', (s) => s.metrics.histogram(spelled, options));
    return Object.assign(proxy, {
      startTimer: histogramTimer((v, a) => proxy.record(v, a), options, merged),
    });
  },
  gauge(name, options): Gauge {
    const spelled = declared('gauge', name, options);
    return proxied('record', (s) => s.metrics.gauge(spelled, options));
  },
  observableGauge(name, options, callback) {
    followingGauge(declared('observableGauge', name, options), options, callback);
  },
};

/**
 * The timer's attributes and the stop call's. When they cannot be read (a getter that throws),
 * the stop call's alone: the instrument repairs them and counts the drop, as it does for `record`.
 */
function merged(attributes: Attributes | undefined, extra: Attributes): Attributes {
  try {
    return { ...attributes, ...extra };
  } catch {
    return extra;
  }
}

type LogFn = (objOrMsg?: unknown, ...args: unknown[]) => void;

/** The module-level logger: the same calls as `obs.log`, silent before `init()`. */
export interface ProxyLogger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  /** pino's method for its `silent` level, which writes nothing; frameworks' logger types ask for it. */
  silent: LogFn;
  /** The instance logger's level; before `init()`, the one set here, else `'silent'`. */
  level: LevelWithSilentOrString;
  isLevelEnabled(level: LevelWithSilentOrString): boolean;
  child(bindings: Record<string, unknown>, options?: ChildLoggerOptions): ProxyLogger;
  setBindings(bindings: Record<string, unknown>): void;
  bindings(): Record<string, unknown>;
  /** Calls `cb` once the lines written so far are out, as pino's does; before `init()`, at once. */
  flush(cb?: (error?: Error) => void): void;
}

/** What Fastify's request logger reaches pino's internals through. */
interface Forwarding {
  [FORWARDS_TO](): Logger | undefined;
}

/** One `child()` call between the instance's logger and a proxy. */
interface Link {
  readonly bindings: Record<string, unknown>;
  readonly options?: ChildLoggerOptions | undefined;
}

/**
 * Counts the changes to the module-level logger's bindings while an instance runs. They are set on
 * the instance's logger, and a child already made on it (one that wrote, or was given a level of its
 * own) is made again at its next use to have them, as one made since has: without, which of the
 * children of `log` wrote them depended on that alone. Shared by every copy of the package.
 */
const rootBound = rootBindingsCount();

const GET_LEVEL = Symbol('level');
const SET_LEVEL = Symbol('setLevel');

interface LevelAccess {
  [GET_LEVEL](): string;
  [SET_LEVEL](value: string): void;
}

/** The `level` of every proxy logger, each its own reading and setting it. */
const levelAccessor = {
  get level(): string {
    return (this as unknown as LevelAccess)[GET_LEVEL]();
  },
  set level(value: string) {
    (this as unknown as LevelAccess)[SET_LEVEL](value);
  },
};

/**
 * `lineage`: the `child()` calls from the instance's logger to this one. `rootBindings`: what the
 * module-level logger was given, which its children are made under (its own bindings are set on the
 * instance's logger itself, not repeated in their lineage) and report before `init()`.
 */
function proxyLogger(
  lineage: readonly Link[],
  rootBindings?: () => Record<string, unknown> | undefined,
): ProxyLogger {
  // What this logger itself was given (setBindings, level =), applied to each instance's logger.
  let added: Record<string, unknown> | undefined;
  let level: string | undefined;
  // The instance `level` was applied to: it dies with that instance, the next taking its logLevel.
  let levelOf: Sightline | undefined;
  let instance: Sightline | undefined;
  let real: Logger | undefined;
  // The count of `rootBound` `real` was made at. The module-level logger's own is the instance's,
  // given its bindings once: never made again.
  const isRoot = lineage.length === 0;
  let madeAt = rootBound.count;
  // Whether init() and shutdown() tell this logger of the instance. A child given nothing of its own
  // (a request's logger, one per request) is not told, and asks at its next call: the weak reference
  // and finalizer that being told takes cost each request more than the logger itself.
  let told = isRoot;
  const target = (): Logger | undefined => {
    if (isRoot) {
      if (real !== undefined || instance === undefined) return real;
    } else {
      const s = told ? instance : getSightline();
      if (s === instance && real !== undefined && madeAt === rootBound.count) return real;
      instance = s;
      if (s === undefined) {
        real = undefined;
        return undefined;
      }
    }
    madeAt = rootBound.count;
    const made = lineage.reduce(
      (logger, l) => logger.child(l.bindings, l.options),
      (instance as Sightline).log,
    );
    if (added !== undefined) made.setBindings(added);
    if (level !== undefined) {
      try {
        made.level = level;
      } catch {
        // A level the instance does not know (set before init()): its own level stays.
      }
    }
    real = made;
    return made;
  };
  const ownBindings = isRoot ? () => added : undefined;
  // Its own level or bindings: the instance it was given them under (they die with it), and each
  // new one given them at init(), as obs.log is.
  const tell = (): void => {
    if (told) return;
    told = true;
    followInstance(proxy);
  };
  // The logger's methods are its own functions for its life: one taken before init() (bound, or
  // passed as a callback) writes once there is an instance, and one taken while it ran is a no-op
  // after. Its `level` is the prototype's accessor: one of its own would leave each logger a slow
  // object of its own shape.
  const proxy: ProxyLogger & Rebindable & Forwarding & LevelAccess = Object.assign(
    Object.create(levelAccessor) as ProxyLogger,
    {
      fatal: (...args: unknown[]) => target()?.fatal(...(args as [string])),
      error: (...args: unknown[]) => target()?.error(...(args as [string])),
      warn: (...args: unknown[]) => target()?.warn(...(args as [string])),
      info: (...args: unknown[]) => target()?.info(...(args as [string])),
      debug: (...args: unknown[]) => target()?.debug(...(args as [string])),
      trace: (...args: unknown[]) => target()?.trace(...(args as [string])),
      silent: noop,
      isLevelEnabled: (l: string) => target()?.isLevelEnabled(l) ?? false,
      child: (bindings: Record<string, unknown>, options?: ChildLoggerOptions) => {
        // The module-level logger's bindings and level are set on the instance's logger itself,
        // which its children are made from (now, or at init()): given to them again, a binding was
        // written twice on each of their lines.
        if (isRoot) {
          target();
          return proxyLogger([{ bindings, options }], ownBindings);
        }
        const own: Link[] =
          added === undefined && level === undefined
            ? []
            : [{ bindings: added ?? {}, options: level === undefined ? undefined : { level } }];
        return proxyLogger([...lineage, ...own, { bindings, options }], rootBindings);
      },
      setBindings(bindings: Record<string, unknown>) {
        tell();
        const made = real;
        let held = true;
        try {
          added = { ...added, ...bindings };
        } catch {
          // Unreadable bindings: the instance's logger counts them when given them below.
          held = false;
        }
        if (made !== undefined) made.setBindings(bindings);
        // Made now, with them, while an instance runs: the module-level logger's is the instance's
        // own, whose lines (obs.log's, its children's) would otherwise lack them until this one wrote.
        else if (target() !== undefined && !held) real?.setBindings(bindings);
        if (isRoot && real !== undefined) rootBound.count++;
      },
      bindings: () =>
        target()?.bindings() ?? bindingsOf([rootBindings?.(), ...lineage.map((l) => l.bindings), added]),
      flush(cb?: (error?: Error) => void) {
        const r = target();
        if (r !== undefined) r.flush(cb);
        else if (typeof cb === 'function') realSetImmediate(cb);
      },
      [FORWARDS_TO]: target,
      [GET_LEVEL]: () => target()?.level ?? level ?? 'silent',
      [SET_LEVEL]: (value: string) => {
        tell();
        const r = target();
        if (r !== undefined) r.level = value;
        level = value;
        levelOf = instance;
      },
      [REBIND](s: Sightline | undefined) {
        if (levelOf !== s) {
          if (levelOf !== undefined) level = undefined;
          levelOf = level === undefined ? undefined : s;
        }
        instance = s;
        real = undefined;
        // A level or bindings set on this logger hold from init() on, as they would on obs.log.
        if (added !== undefined || level !== undefined) target();
      },
    },
  );
  if (isRoot) followInstance(proxy);
  return proxy;
}

/** What a chain of bindings writes on a line, the later winning; none when one cannot be read. */
function bindingsOf(chain: readonly (Record<string, unknown> | undefined)[]): Record<string, unknown> {
  try {
    return Object.assign({}, ...chain);
  } catch {
    return {};
  }
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
export function trace<T>(name: string, fn: (span: Span) => T): Traced<T>;
export function trace<T>(name: string, options: TraceOptions | undefined, fn: (span: Span) => T): Traced<T>;
export function trace<T>(
  name: string,
  a: TraceOptions | ((span: Span) => T) | undefined,
  b?: (span: Span) => T,
): Traced<T> {
  const s = getSightline();
  if (s !== undefined)
    return typeof a === 'function' ? s.trace(name, a) : s.trace(name, a, b as (span: Span) => T);
  const fn = typeof a === 'function' ? a : b;
  if (typeof fn !== 'function') return undefined as Traced<T>;
  return runWithoutSpan(otelTrace.wrapSpanContext(NOOP_SPAN_CONTEXT), fn);
}
