import type { Attributes, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { AnomalyEvent } from '../anomaly/event.js';
import type { AdapterStats } from '../export/types.js';

/** Options shared by every instrument. */
export interface InstrumentOptions {
  /** UCUM unit, such as `ms`, `s`, `By` or `{order}`. */
  unit?: string | undefined;
  description?: string | undefined;
  /** Feed this metric's series to the anomaly detector. */
  detect?: boolean | undefined;
}

export interface HistogramOptions extends InstrumentOptions {
  /** Explicit bucket boundaries in increasing order; defaults to OpenTelemetry's, as does a list that is not. */
  buckets?: readonly number[] | undefined;
}

export interface Counter {
  /** Adds a non-negative value. Bad values are dropped and counted, never thrown. */
  add(value: number, attributes?: Attributes): void;
}

export interface UpDownCounter {
  add(value: number, attributes?: Attributes): void;
}

export interface Histogram {
  record(value: number, attributes?: Attributes): void;
  /**
   * Starts a timer; calling the returned function records the elapsed time in the histogram's time
   * unit (`ns`, `us`, `ms`, `s`, `min`, `h`, `d`), in milliseconds for any other unit.
   */
  startTimer(attributes?: Attributes): (extraAttributes?: Attributes) => number;
}

export interface Gauge {
  record(value: number, attributes?: Attributes): void;
}

export interface ObservableResult {
  observe(value: number, attributes?: Attributes): void;
}

export interface Metrics {
  counter(name: string, options?: InstrumentOptions): Counter;
  upDownCounter(name: string, options?: InstrumentOptions): UpDownCounter;
  histogram(name: string, options?: HistogramOptions): Histogram;
  gauge(name: string, options?: InstrumentOptions): Gauge;
  observableGauge(
    name: string,
    options: InstrumentOptions,
    callback: (result: ObservableResult) => void,
  ): void;
}

export interface TraceOptions extends SpanOptions {}

export interface ShutdownOptions {
  /** Deadline for flushing every signal, in ms; default the `shutdownTimeout` option (5,000 unless set). */
  timeoutMs?: number | undefined;
}

export type AnomalyListener = (event: AnomalyEvent) => void;

/** What `obs.trace` returns for a callback that returns `T`: a thenable becomes a promise of its value. */
export type Traced<T> = T extends PromiseLike<unknown> ? Promise<Awaited<T>> : T;

/** The object `init()` returns: one API for metrics, logs and traces. */
export interface Sightline {
  readonly service: string;
  readonly environment: string;
  readonly version: string | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly tracer: Tracer;
  /**
   * Runs `fn` inside a new active span, ends it, records a thrown error and rethrows it. A thenable
   * `fn` returns (an async function's promise, a knex or mongoose query) is awaited through its
   * `then`: a promise of its value comes back, without the query's own methods.
   */
  trace<T>(name: string, fn: (span: Span) => T): Traced<T>;
  trace<T>(name: string, options: TraceOptions | undefined, fn: (span: Span) => T): Traced<T>;
  activeSpan(): Span | undefined;
  onAnomaly(listener: AnomalyListener): () => void;
  /** Export accounting per adapter and signal. */
  stats(): Record<string, AdapterStats>;
  /**
   * Counts of inputs sightline dropped or repaired before export, by reason (bad values, truncated
   * attributes, log lines it could not write, ...). Series past `cardinalityLimit` are not among
   * them: they fold into the overflow series.
   */
  drops(): Record<string, number>;
  forceFlush(options?: ShutdownOptions): Promise<void>;
  shutdown(options?: ShutdownOptions): Promise<void>;
}
