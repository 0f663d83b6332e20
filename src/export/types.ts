import type { TextMapPropagator, TracerProvider } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Diag } from '../diag/diag.js';
import type { AnomalyEvent } from '../anomaly/event.js';

/** The four kinds of telemetry an adapter may carry. */
export type Signal = 'metrics' | 'traces' | 'logs' | 'events';

/** Why an item was dropped instead of delivered. */
export type DropReason =
  | 'queue_full'
  | 'rejected'
  | 'retries_exhausted'
  | 'too_large'
  | 'shutdown'
  | 'encode_error'
  | 'invalid'
  /** Older, or further ahead, than the backend takes when its turn to be sent came. */
  | 'expired'
  /** The client a backend is sent through could not be loaded (an installed SDK that fails to import). */
  | 'client_unavailable';

/**
 * What an adapter counts in `obs.drops()`: a part of an input it left out or cut to fit its backend's
 * limits. The other reasons there are sightline's own, counted where they happen.
 */
type AdapterDropReason =
  | 'truncated_attribute'
  | 'attribute_count_limit'
  | 'invalid_attribute'
  | 'baggage_limit'
  | 'after_span_end'
  | 'detached_span_method';

/** Per adapter and signal: produced = delivered + dropped + queued, at every moment. */
export interface SignalStats {
  produced: number;
  delivered: number;
  retried: number;
  queued: number;
  dropped: Partial<Record<DropReason, number>>;
}

export type AdapterStats = Partial<Record<Signal, SignalStats>>;

/** The names of the keys in the JSON log lines sightline writes, as the primary log format set them. */
export interface LogKeys {
  readonly messageKey: string;
  readonly levelKey: string;
  readonly timeKey: string;
  /** How the time is written: epoch milliseconds or an ISO-8601 string. */
  readonly timeFormat: 'epoch' | 'iso';
  /**
   * The value of a level of a child logger's own (pino's `customLevels: { audit: 35 }`), which a
   * line names only; undefined for pino's levels.
   */
  readonly levelValue?: (label: string) => number | undefined;
}

/**
 * How an adapter wants log lines shaped. The first adapter (in the configured order) that sets
 * `messageKey`, `levelKey` or `timeKey` decides the line shape on stdout; `base` and `correlate`
 * fields of every adapter are merged into every line.
 */
export interface LogFormat {
  messageKey?: string;
  levelKey?: string;
  timeKey?: string;
  timeFormat?: 'epoch' | 'iso';
  /** Static fields added to every line (service tags, schema versions). */
  base?: Record<string, unknown>;
  /** Fields tying the line to the active span; called only while a span is active. */
  correlate?(traceId: string, spanId: string, traceFlags: number): Record<string, unknown>;
  /**
   * The fields that replace a line's error (`err`), given pino's serialised form of it (`type`,
   * `message`, `stack` and the error's own fields). Only the format that names the message key
   * applies it, since the error is part of the line's shape; without one, `err` stays.
   */
  errorFields?(error: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /**
   * The backend indexes the message as text (ECS's `message`): a message that is no string, an
   * object or a number, is written as its JSON text, where a field of that name made an object or a
   * number would refuse the lines whose message is text. Only the format that names the message key
   * applies it.
   */
  messageAsText?: boolean;
  /**
   * The fields that write a level of a child logger's own (`audit`, 35), where its name would read
   * as another severity. Only the format that names the level key applies it; without one, the
   * line names the level under that key.
   */
  levelFields?(label: string, value: number): Record<string, unknown>;
  /**
   * Names the backend reads from a line itself (Datadog's `service` and `host`), or that the line's
   * own dotted keys make objects (ECS's `service`, `log`), each with the name a user field so named
   * is written under instead, unless its value is an object, which merges with the line's own.
   */
  ownFields?: Readonly<Record<string, string>>;
}

/** Receives each log line as written (one JSON object, no trailing newline). Must not block or throw. */
export interface LogSink {
  write(line: string): void;
  forceFlush?(): Promise<void>;
  shutdown?(): Promise<void>;
}

/** Receives anomaly events. Must not block or throw. */
export type EventSink = (event: AnomalyEvent) => void;

/** The option (`service`) or variable (`DD_SERVICE`) each part of the service's identity came from. */
export type IdentitySources = Readonly<Record<'service' | 'environment' | 'version', string>>;

/** What sightline hands an adapter at `init()`. */
export interface AdapterContext {
  readonly service: string;
  readonly environment: string;
  readonly version: string | undefined;
  /**
   * The option or variable `service`, `environment` and `version` came from, for an adapter that
   * refuses one of them to name where it was set.
   * @internal
   */
  readonly identitySources: IdentitySources;
  readonly resource: Resource;
  readonly diag: Diag;
  /** Filled in before the first log line is written; read it lazily (at encode time), not in `setup`. */
  readonly logKeys: LogKeys;
  /**
   * The signals OTEL_<SIGNAL>_EXPORTER=none turns off: what the adapter makes for them is shut down
   * unused, so none of them is sent and they need no credentials.
   */
  readonly signalsOff: readonly Exclude<Signal, 'events'>[];
  /**
   * `false` when `anomaly: false` turns the detector off: no anomaly event ever reaches `eventSink`,
   * so events need no credentials either.
   */
  readonly anomalyEvents: boolean;
  /**
   * The share of new traces kept (`sampling`), for a tracer provider of the adapter's own, which
   * sightline's sampler does not decide.
   */
  readonly sampling: number;
  /**
   * `sampling` is DD_TRACE_SAMPLE_RATE's, no option or variable ranked above it having set one:
   * dd-trace, which reads the variable itself, then samples as that variable has it sample.
   * @internal
   */
  readonly samplingIsDdTraceSampleRate: boolean;
  /** Registers a stats source so `obs.stats()` and `sightline.export.*` metrics include it. */
  registerStats(adapterName: string, source: () => AdapterStats): void;
  /** Counts, in `obs.drops()`, parts of inputs left out or repaired to fit the backend's limits. */
  countDrop(reason: AdapterDropReason, n: number): void;
  /**
   * A span's string value (an exception's message or stack) as sightline's own tracer provider
   * sends it: URL secrets redacted, cut to `maxAttributeLength` and counted; for a tracer provider
   * of the adapter's own, which sightline's span processors never see.
   * @internal
   */
  fitSpanText(key: string, value: string): string;
  /**
   * Writes one line (ending in a newline) to stdout through the writer log lines use, whose buffer
   * is bounded; `false` when the buffer is full or stdout's reader has gone (a closed pipe) and the
   * line was dropped. Never throws.
   * @internal
   */
  writeStdout(line: string): boolean;
  /**
   * The longest line (its newline included) `writeStdout` puts in whole between the writes of other
   * processes sharing stdout (`node:cluster` workers, a sidecar): the pipe's atomic size when stdout
   * is a pipe, undefined otherwise. A longer line can be cut by another process's write.
   * @internal
   */
  readonly stdoutWholeLineBytes?: number | undefined;
}

/** What an adapter contributes once set up. Every part is optional. */
export interface AdapterParts {
  /** Push exporter driven by a periodic reader; its `selectAggregationTemporality` decides delta or cumulative. */
  metricExporter?: PushMetricExporter;
  /** Collection interval for this adapter's reader; defaults to the `metricInterval` option. */
  metricIntervalMs?: number;
  spanExporter?: SpanExporter;
  /** Trace and span id generator for sightline's tracer provider (e.g. X-Ray's time-prefixed trace ids). */
  idGenerator?: IdGenerator;
  /**
   * Whether the trace ids `idGenerator` makes have at least their right 56 bits random, which W3C
   * Trace Context Level 2's random flag on a trace sightline starts says. OpenTelemetry's own ids
   * are random whole.
   */
  randomTraceIds?: boolean;
  /** A tracer provider to register instead of sightline's own (for vendor-native tracers such as dd-trace). */
  tracerProvider?: TracerProvider;
  /** The propagator that goes with `tracerProvider`, for the headers of requests and calls out. */
  propagator?: TextMapPropagator;
  /**
   * URLs of backends a vendor client the adapter starts calls on its own, outside the export
   * channels (dd-trace's Agent). Outgoing calls to their origins are not traced: each send would
   * otherwise be a span the next send exports.
   * @internal
   */
  untracedOrigins?: readonly string[];
  logFormat?: LogFormat;
  logSink?: LogSink;
  eventSink?: EventSink;
  /**
   * Sends the anomaly events already queued, and nothing else. Called before the providers flush or
   * shut down, so a backend hanging on spans or metrics leaves them the deadline; `forceFlush` may
   * flush more (dd-trace's writer), which must wait for the providers.
   */
  flushEvents?(): Promise<void>;
  forceFlush?(): Promise<void>;
  shutdown?(): Promise<void>;
}

/**
 * A backend adapter: a factory such as `datadog(options)` validates its options (throwing a coded
 * `SightlineConfigError` on a mistake) and returns this object; `init()` calls `setup` once.
 */
export interface SightlineAdapter {
  readonly name: string;
  setup(ctx: AdapterContext): AdapterParts;
}
