import { randomUUID } from 'node:crypto';
import {
  type Context,
  type ContextManager,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  context,
  trace,
} from '@opentelemetry/api';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InstrumentType, type MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { AnomalyEngine } from '../anomaly/engine.js';
import { type AnomalyEvent, copyEvent } from '../anomaly/event.js';
import { isRedactPath } from '../config/redact-paths.js';
import type { ResolvedConfig } from '../config/types.js';
import { createDiag, type Diag } from '../diag/diag.js';
import { ErrorCodes, SightlineConfigError, SightlineError } from '../diag/errors.js';
import type {
  AdapterContext,
  AdapterParts,
  AdapterStats,
  LogKeys,
  SightlineAdapter,
} from '../export/types.js';
import { DROPS, DropCounter } from '../internal/drops.js';
import { cleanAttributes } from '../metrics/attributes.js';
import { callGuarded } from '../internal/guarded-call.js';
import { addFlushDeadline } from '../export/deadline.js';
import { identityAttributes } from '../export/identity.js';
import { realNow } from '../internal/node-timers.js';
import { MAX_TIMER_MS } from '../internal/timer-ms.js';
import {
  type CountedChannel,
  channelsOf,
  createStatsRegistry,
  registerExportMetrics,
  type StatsRegistry,
} from '../export/stats.js';
import { createDestination, createSharedStdout, type FanoutDestination } from '../logs/destination.js';
import { CustomLevels } from '../export/log-levels.js';
import { DEFAULT_LOG_KEYS, mergeLogKeys } from '../logs/format.js';
import { createLogger } from '../logs/logger.js';
import { createKeyMatcher } from '../logs/redact.js';
import { CallbackWaits } from '../metrics/callback-waits.js';
import { createMetrics, type MetricsState } from '../metrics/instruments.js';
import { KEYED_HISTOGRAMS, KeyedHistograms } from '../metrics/keyed-histograms.js';
import { UNTRACED_ORIGINS, untracedOrigins } from '../integrations/outbound/untraced-origins.js';
import { PROPAGATOR } from '../integrations/shared/propagator.js';
import { buildMeterProvider, buildWatchedMeter, type MeterPipeline } from './build-metrics.js';
import { buildTracerProvider } from './build-traces.js';
import { exportedParts } from './exported-parts.js';
import { HAND_OVER } from './global.js';
import {
  claimVendorGlobals,
  type GlobalsBefore,
  globalsBefore,
  noGlobals,
  unregisterGlobals,
} from './otel-globals.js';
import type { AnomalyListener, Metrics, Sightline, ShutdownOptions, Traced, TraceOptions } from './types.js';
import { cleanStartLinks, holdStartLinkCounts, invalidAttributesOfLinks } from '../traces/guarded-span.js';
import { runInSpan, runWithoutSpan } from '../traces/run-in-span.js';
import { spanName } from '../traces/span-name.js';
import { fitSpanText } from '../traces/span-processors.js';
import { askThreadsToFlush } from './thread-flush.js';
import { safeCall, settleWithin } from './wait.js';

export const SIGHTLINE_VERSION = '0.1.0';

interface SetUpAdapter {
  readonly name: string;
  readonly parts: AdapterParts;
}

/** Extra pipeline pieces the composition root adds (the console adapter). */
export interface InstanceExtras {
  readonly adapters: readonly SightlineAdapter[];
}

/** The object `init()` returns. Build it through `init()`, never directly. */
export class SightlineInstance implements Sightline {
  readonly service: string;
  readonly environment: string;
  readonly version: string | undefined;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly tracer: Tracer;
  readonly diag: Diag;
  readonly resource: Resource;
  readonly config: ResolvedConfig;
  /** The meter behind sightline's own metrics and the integrations' HTTP metrics. */
  readonly meter: Meter;
  readonly metricsState: MetricsState;

  private readonly dropCounter: DropCounter;
  private readonly adapters: SetUpAdapter[] = [];
  private readonly statsRegistry: StatsRegistry = createStatsRegistry();
  /** The adapters' export channels, ended at the shutdown deadline. */
  private readonly channels: CountedChannel[] = [];
  private readonly listeners = new Set<AnomalyListener>();
  private readonly destination: FanoutDestination;
  private readonly meterPipeline: MeterPipeline;
  /** The anomaly engine's provider, which only the watched instruments record into. */
  private readonly watchedProvider: MeterProvider | undefined;
  private readonly tracerProvider: TracerProvider & {
    forceFlush?(): Promise<void>;
    shutdown?(): Promise<void>;
  };
  private readonly cleanups: (() => void)[] = [];
  private readonly releases: (() => void)[] = [];
  private readonly shutdownWaits: (() => Promise<unknown> | undefined)[] = [];
  /** When, on `realNow()`'s clock, a shutdown given no timeout counts its deadline from. */
  private sharedStart: (() => number | undefined) | undefined;
  private readonly globals = noGlobals();
  /** The in-process detector's reader, when `anomaly` is on. */
  readonly anomalyEngine: AnomalyEngine | undefined;
  /** The HTTP duration histograms, recorded outside the SDK and collected by every reader. */
  readonly [KEYED_HISTOGRAMS]: KeyedHistograms;
  /** Origins the adapters' own clients call, which outgoing-call tracing leaves alone. */
  readonly [UNTRACED_ORIGINS]: ReadonlySet<string>;
  /** The propagator of this instance's spans, for requests and calls out. */
  readonly [PROPAGATOR]: TextMapPropagator;
  /** The drop counter, for the integrations' drops. */
  readonly [DROPS]: DropCounter;
  private shutdownPromise: Promise<void> | undefined;

  constructor(config: ResolvedConfig, extras: InstanceExtras) {
    this.config = config;
    this.service = config.service;
    this.environment = config.environment;
    this.version = config.version;
    this.diag = createDiag({ level: config.diagnostics });
    this.dropCounter = new DropCounter(this.diag);
    this[DROPS] = this.dropCounter;
    this.resource = defaultResource().merge(
      // The resolved identity comes last, so spans and metrics name the service its log lines do.
      resourceFromAttributes({
        // Each process an instance of its own, as OpenTelemetry asks: node:cluster workers, or
        // replicas on one host, would otherwise send the same series, their cumulative sums mixed.
        'service.instance.id': randomUUID(),
        ...config.resource,
        ...identityAttributes(config, config.resource),
      }),
    );

    let before: GlobalsBefore | undefined;
    try {
      let logKeys: LogKeys = DEFAULT_LOG_KEYS;
      const stdout = createSharedStdout(this.dropCounter);
      const isSensitive = createKeyMatcher(config.redact);
      const ctx: AdapterContext = {
        service: config.service,
        environment: config.environment,
        version: config.version,
        identitySources: config.identitySources,
        resource: this.resource,
        diag: this.diag,
        get logKeys() {
          return logKeys;
        },
        signalsOff: config.signalsOff,
        anomalyEvents: config.anomaly !== false,
        sampling: config.sampling,
        samplingIsDdTraceSampleRate: config.samplingIsDdTraceSampleRate,
        registerStats: (name, source) => {
          this.statsRegistry.register(name, source);
          this.channels.push(...channelsOf(source));
        },
        countDrop: (reason, n) => this.dropCounter.add(reason, n),
        fitSpanText: (key, value) =>
          fitSpanText(key, value, isSensitive, config.maxAttributeLength, this.dropCounter),
        writeStdout: (line) => {
          try {
            return stdout.writeLine(line);
          } catch {
            return false;
          }
        },
        stdoutWholeLineBytes: stdout.wholeLineBytes(),
      };
      before = globalsBefore();
      for (const adapter of extras.adapters)
        this.adapters.push({
          name: adapter.name,
          parts: exportedParts(setUp(adapter, ctx), config.signalsOff),
        });

      this[UNTRACED_ORIGINS] = untracedOrigins(this.adapters.map((a) => a.parts.untracedOrigins));
      const formats = this.adapters.flatMap((a) => (a.parts.logFormat ? [a.parts.logFormat] : []));
      const customLevels = new CustomLevels();
      logKeys = mergeLogKeys(formats, customLevels);

      const traces = buildTracerProvider(
        config,
        this.resource,
        this.adapters.map((a) => a.parts),
        this.dropCounter,
        this.globals,
        before,
        isSensitive,
      );
      this.tracerProvider = traces.provider;
      this[PROPAGATOR] = traces.propagator;
      this.tracer = this.tracerProvider.getTracer('sightline', SIGHTLINE_VERSION);

      // Same scope as `obs.metrics`, so the HTTP durations export as they did when the SDK recorded them.
      const histograms = new KeyedHistograms(
        this.resource,
        { name: config.service, version: '' },
        config.cardinalityLimit,
      );
      this[KEYED_HISTOGRAMS] = histograms;
      const detected = new Set<string>();
      this.anomalyEngine =
        config.anomaly === false
          ? undefined
          : new AnomalyEngine({
              intervalMs: config.metricInterval,
              maxSeries: config.anomaly.maxSeries,
              cardinalityLimit: config.cardinalityLimit,
              sensitivity: config.anomaly.sensitivity,
              ...(config.anomaly.warmup !== undefined ? { warmup: config.anomaly.warmup } : {}),
              ...(config.anomaly.confirm !== undefined ? { confirmCycles: config.anomaly.confirm } : {}),
              ...(config.anomaly.timeZone !== undefined ? { timeZone: config.anomaly.timeZone } : {}),
              watchHttp: config.anomaly.http,
              detected,
              service: config.service,
              environment: config.environment,
              emit: (event) => this.emitAnomaly(event),
              diag: this.diag,
              drops: this.dropCounter,
              onDisconnect: () => askThreadsToFlush(config.shutdownTimeout),
              metricProducers: [
                histograms.producer(
                  () =>
                    this.anomalyEngine?.selectAggregationTemporality(InstrumentType.HISTOGRAM) ??
                    AggregationTemporality.DELTA,
                  AnomalyEngine.histogramLimit(config.cardinalityLimit),
                ),
              ],
            });
      this.meterPipeline = buildMeterProvider(
        config,
        this.resource,
        this.adapters.map((a) => a.parts),
        histograms,
      );
      this.globals.metrics = this.meterPipeline.registeredGlobal;
      const watched =
        this.anomalyEngine && config.anomaly !== false
          ? buildWatchedMeter(this.resource, this.anomalyEngine, config.service, config.anomaly.http)
          : undefined;
      this.watchedProvider = watched?.provider;
      this.meter = this.meterPipeline.provider.getMeter('sightline', SIGHTLINE_VERSION);
      this.metricsState = {
        closed: false,
        drops: this.dropCounter,
        maxAttributeLength: config.maxAttributeLength,
        detected,
        callbackWaits: new CallbackWaits(this.meterPipeline.collectTimeoutMs),
      };
      this.metrics = createMetrics(
        this.meterPipeline.provider.getMeter(config.service),
        this.metricsState,
        watched?.watch,
      );

      this.destination = createDestination({
        stream: config.logStream,
        pretty:
          config.console && config.logStream === undefined && process.stdout.isTTY === true
            ? logKeys
            : undefined,
        sinks: this.adapters.flatMap((a) => (a.parts.logSink ? [a.parts.logSink] : [])),
        stdout,
        drops: this.dropCounter,
      });
      const base: Record<string, unknown> = {
        'service.name': config.service,
        'deployment.environment.name': config.environment,
      };
      if (config.version) base['service.version'] = config.version;
      for (const f of formats) Object.assign(base, f.base);
      this.log = createLogger({
        level: config.logLevel,
        keys: logKeys,
        formats,
        base,
        redactKeys: config.redact.filter((p) => !isRedactPath(p)),
        redactPaths: config.redact.filter(isRedactPath),
        drops: this.dropCounter,
        destination: this.destination,
        activeContext: directContext(traces.contextManager),
        customLevels,
      });

      this.registerOwnMetrics();
    } catch (error) {
      // Nothing of a failed init() may stay registered or running: the OpenTelemetry API would
      // keep handing out this instance's tracer after the next init(), or a vendor's tracer that
      // an adapter started before it, or one after it, failed.
      if (before !== undefined) claimVendorGlobals(this.globals, before);
      this.abandon();
      throw error;
    }
  }

  trace<T>(
    name: string,
    optionsOrFn: TraceOptions | ((span: Span) => T) | undefined,
    maybeFn?: (span: Span) => T,
  ): Traced<T> {
    const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
    const options = typeof optionsOrFn === 'function' ? {} : (optionsOrFn ?? {});
    if (typeof fn !== 'function') {
      this.dropCounter.add('invalid_function');
      return undefined as Traced<T>;
    }
    if (this.metricsState.closed)
      return runWithoutSpan(
        trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
        fn,
      );
    const spanOptions = this.spanOptions(options);
    const links = spanOptions === options ? undefined : spanOptions.links;
    if (links === undefined || invalidAttributesOfLinks(links) === 0)
      return runInSpan(this.tracer, spanName(name), spanOptions, fn);
    // Counted once the span has started: a link its count limit leaves out is counted as that alone.
    return runInSpan(this.tracer, spanName(name), spanOptions, (span) => {
      holdStartLinkCounts(span, links, this.dropCounter);
      return fn(span);
    });
  }

  /**
   * The options with their attributes, and their links', as metrics take them: OpenTelemetry's SDK
   * leaves out an attribute of no attribute type (an object, a BigInt, a Date, an array of mixed
   * types) saying nothing, and all the options, kind and links too, when one cannot be read; each
   * such attribute is dropped alone and counted. Attributes that are all fine are passed on as they
   * are. Long strings are left whole:
   * the span processor cuts them as it does every span's, after hiding a URL's credentials, where a
   * cut before that would leave the start of a password whose `@` it lost.
   */
  private spanOptions(options: TraceOptions): TraceOptions {
    try {
      const { attributes, links } = options;
      if (attributes === undefined && links === undefined) return options;
      const clean =
        attributes === undefined
          ? undefined
          : cleanAttributes(attributes, Number.POSITIVE_INFINITY, this.dropCounter, true);
      const cleanLinks = links === undefined ? undefined : cleanStartLinks(links, this.dropCounter);
      if (clean === attributes && (cleanLinks === undefined || cleanLinks.every((l, i) => l === links?.[i])))
        return options;
      return { ...options, attributes: clean, links: cleanLinks };
    } catch {
      // Options that cannot be read at all: the span starts without them.
      return options;
    }
  }

  activeSpan(): Span | undefined {
    return trace.getSpan(context.active());
  }

  onAnomaly(listener: AnomalyListener): () => void {
    if (typeof listener !== 'function') {
      this.dropCounter.add('invalid_function');
      return () => {};
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Delivers one anomaly event to listeners, the log and every adapter's event sink. */
  emitAnomaly(event: AnomalyEvent): void {
    // Each listener gets a copy of its own: one that changes what it was given (deletes a field,
    // adds an attribute, now or after an await) must not change what is logged and exported, break
    // an adapter's encoder or what the next listener reads.
    // Those subscribed when it came: one a listener subscribes now waits for the next event, as an
    // EventEmitter's does, where a Set's iteration would hand it this one, and one that unsubscribes
    // and subscribes itself again this one again, without end. One unsubscribed meanwhile is not
    // called.
    for (const listener of [...this.listeners]) {
      if (!this.listeners.has(listener)) continue;
      void callGuarded(
        (e: AnomalyEvent) => listener(copyEvent(e)),
        event,
        () => this.dropCounter.add('listener_error'),
      );
    }
    this.log.warn({ anomaly: event }, event.explanation);
    for (const { parts } of this.adapters) {
      if (!parts.eventSink) continue;
      try {
        parts.eventSink(event);
      } catch {
        // Each sink counts its own failures; one failing sink must not starve the others.
      }
    }
  }

  stats(): Record<string, AdapterStats> {
    return this.statsRegistry.snapshot();
  }

  drops(): Record<string, number> {
    return this.dropCounter.snapshot();
  }

  /** Registers work to undo at shutdown (signal handlers, the exit flush). */
  addCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /** Registers work begun elsewhere that shutdown waits for, within its deadline (worker threads' flush). */
  awaitAtShutdown(fn: () => Promise<unknown> | undefined): void {
    this.shutdownWaits.push(fn);
  }

  /**
   * Registers an earlier start a shutdown given no timeout of its own counts `shutdownTimeout` from:
   * that of the shutdowns of the process's worker threads that have just ended, whose end it was
   * waiting for.
   */
  shareShutdownStart(fn: () => number | undefined): void {
    this.sharedStart = fn;
  }

  /**
   * Registers what ties the process to this instance (the global slot, outgoing-call tracing):
   * undone at the end of shutdown, or as soon as a new `init()` comes while it shuts down.
   */
  onRelease(fn: () => void): void {
    this.releases.push(fn);
  }

  [HAND_OVER](): boolean {
    if (this.shutdownPromise === undefined) return false;
    this.release();
    return true;
  }

  private release(): void {
    for (const fn of this.releases.splice(0)) {
      try {
        fn();
      } catch {
        // Best effort, as cleanups are; the next instance must still start.
      }
    }
    this.unregisterGlobals();
  }

  async forceFlush(options?: ShutdownOptions): Promise<void> {
    await this.withDeadline(this.timeoutOf(options), () => this.flushAll());
  }

  /**
   * Starts sending what is queued, waiting for none of it: for a drain the service runs itself,
   * which ends the process once done, the shutdown as it ends having all of `shutdownTimeout`.
   * A flush that waited for a backend down would hold the process until its own deadline (the
   * SDK's timers stay set while an exporter's flush is pending), and only then shut down.
   */
  flushWithoutWaiting(): Promise<void> {
    return this.withDeadline(this.config.shutdownTimeout, () => this.flushAll(), false);
  }

  /** The caller's timeout, or the configured one when it is not a number of ms a timer can hold. */
  private timeoutOf(options: ShutdownOptions | undefined): number {
    return this.givenTimeoutOf(options) ?? this.config.shutdownTimeout;
  }

  private givenTimeoutOf(options: ShutdownOptions | undefined): number | undefined {
    let t: unknown;
    try {
      t = options?.timeoutMs;
    } catch {
      // A getter that throws, a revoked proxy: read as unset, as flushing must never throw.
    }
    if (typeof t !== 'number' || !(t >= 0)) return undefined;
    return Math.min(t, MAX_TIMER_MS);
  }

  /**
   * Runs flush work under a deadline the export channels also read (the SDK calls exporters
   * without one), leaving them a margin to count what they could not send before we return.
   */
  private async withDeadline(
    timeoutMs: number,
    work: () => Promise<unknown>,
    channelsWait = true,
  ): Promise<void> {
    const margin = Math.min(50, timeoutMs / 10);
    const deadline = realNow() + timeoutMs - margin;
    // A deadline already come has the channels send what they hold and return at once.
    const release = addFlushDeadline(channelsWait ? deadline : realNow());
    const endWaits = this.metricsState.callbackWaits.flushing(deadline);
    try {
      await settleWithin(work(), timeoutMs);
    } finally {
      release();
      endWaits();
    }
  }

  private async flushAll(): Promise<void> {
    this.startEarlyFlush();
    // Collect first: metric readers push into the adapters' queues, which the adapters then drain.
    await Promise.all([
      safeCall(() => this.meterPipeline.provider.forceFlush()),
      safeCall(() => this.tracerProvider.forceFlush?.()),
    ]);
    await Promise.all([
      ...this.adapters.map((a) => safeCall(() => a.parts.logSink?.forceFlush?.())),
      ...this.adapters.map((a) => safeCall(() => a.parts.forceFlush?.())),
      safeCall(() => this.destination.flush()),
    ]);
  }

  /**
   * Starts sending the log lines and anomaly events already queued, before the providers flush or
   * shut down: a backend that hangs on spans or metrics would otherwise leave them none of the
   * deadline, even on a healthy backend. Not awaited, so an adapter whose flush hangs still gets
   * its shutdown(). A detection cycle under way sends its events and their log lines as it ends.
   */
  private startEarlyFlush(): void {
    const flushQueued = () => {
      for (const a of this.adapters) {
        void safeCall(() => a.parts.logSink?.forceFlush?.());
        void safeCall(() => a.parts.flushEvents?.());
      }
    };
    flushQueued();
    void this.anomalyEngine?.cycleInProgress?.then(flushQueued);
  }

  shutdown(options?: ShutdownOptions): Promise<void> {
    this.shutdownPromise ??= this.shutdownOnce(this.shutdownTimeoutOf(options));
    return this.shutdownPromise;
  }

  /**
   * The caller's timeout, or the configured one counted from the start of the shutdowns of the
   * worker threads that have just ended: the process's end waited for theirs, and a backend down
   * would otherwise take `shutdownTimeout` twice, theirs then this one's.
   */
  private shutdownTimeoutOf(options: ShutdownOptions | undefined): number {
    const given = this.givenTimeoutOf(options);
    if (given !== undefined) return given;
    const timeout = this.config.shutdownTimeout;
    const start = this.sharedStart?.();
    return start === undefined ? timeout : Math.max(0, Math.min(timeout, start + timeout - realNow()));
  }

  private async shutdownOnce(timeoutMs: number): Promise<void> {
    const work = () =>
      (async () => {
        this.startEarlyFlush();
        await Promise.all([
          safeCall(() => this.meterPipeline.provider.shutdown()),
          safeCall(() => this.watchedProvider?.shutdown()),
          safeCall(() => this.tracerProvider.shutdown?.()),
        ]);
        this.closeMetrics();
        await Promise.all([
          ...this.adapters.map((a) => safeCall(() => a.parts.logSink?.shutdown?.())),
          ...this.adapters.map((a) => safeCall(() => a.parts.shutdown?.())),
          safeCall(() => this.destination.close()),
        ]);
      })();
    // Alongside its own, not before: a wait to the deadline would leave its own none of it.
    const waits = () => Promise.all([work(), ...this.shutdownWaits.map((wait) => safeCall(wait))]);
    await this.withDeadline(timeoutMs, waits);
    // A channel the SDK had not reached by the deadline (its collection still under way), or whose
    // own wait ends a tick later, ends now: nothing stays queued or in flight once this returns.
    for (const channel of this.channels) void safeCall(() => channel.shutdown(0));
    this.closeMetrics();
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch {
        // Cleanup is best effort; shutdown must resolve.
      }
    }
    this.release();
  }

  /** Recordings from now on, the HTTP durations' included, are dropped as after_shutdown. */
  private closeMetrics(): void {
    this.metricsState.closed = true;
    this[KEYED_HISTOGRAMS].close(() => this.dropCounter.add('after_shutdown'));
  }

  /**
   * Writes buffered log lines synchronously: for the last moments of a dying process. `atExit`:
   * the lines stdout's reader leaves are lost, and counted.
   */
  flushLogsSync(atExit = false): void {
    this.destination.flushSync(atExit);
  }

  /** Undoes a constructor that failed part way; fields it did not reach are skipped. */
  private abandon(): void {
    this.unregisterGlobals();
    void safeCall(() => this.meterPipeline.provider.shutdown());
    void safeCall(() => this.watchedProvider?.shutdown());
    void safeCall(() => this.tracerProvider.shutdown?.());
    for (const a of this.adapters) void safeCall(() => a.parts.shutdown?.());
    void safeCall(() => this.destination.close());
  }

  private unregisterGlobals(): void {
    unregisterGlobals(this.globals);
  }

  private registerOwnMetrics(): void {
    registerExportMetrics(this.meter, this.statsRegistry);
    const dropped = this.meter.createObservableCounter('sightline.dropped', {
      description: 'Inputs sightline dropped or repaired before export, by reason',
      unit: '{item}',
    });
    dropped.addCallback((result) => {
      for (const [reason, count] of Object.entries(this.dropCounter.counts))
        result.observe(count, { reason });
    });
    const engine = this.anomalyEngine;
    if (engine) {
      const episodes = this.meter.createObservableCounter('sightline.anomaly.episodes', {
        description: 'Anomaly episodes flagged by the in-process detector',
        unit: '{episode}',
      });
      const watched = this.meter.createObservableGauge('sightline.anomaly.series', {
        description: 'Series the anomaly detector watches',
        unit: '{series}',
      });
      const active = this.meter.createObservableGauge('sightline.anomaly.active', {
        description: 'Series currently in an anomaly episode',
        unit: '{series}',
      });
      this.meter.addBatchObservableCallback(
        (result) => {
          result.observe(episodes, engine.episodes);
          result.observe(watched, engine.watchedSeries);
          result.observe(active, engine.activeEpisodes);
        },
        [episodes, watched, active],
      );
      if (this.config.anomaly !== false && this.config.anomaly.exportBands) this.registerBandMetrics(engine);
    }
  }

  /** One gauge per band edge and watched series, so every backend can chart the learned baseline. */
  private registerBandMetrics(engine: AnomalyEngine): void {
    const names = ['observed', 'expected', 'lower', 'upper', 'score'] as const;
    const gauges = names.map((n) =>
      this.meter.createObservableGauge(`sightline.anomaly.${n}`, {
        description: `The ${n} value of each series the anomaly detector watches`,
      }),
    );
    this.meter.addBatchObservableCallback((result) => {
      for (const band of engine.bands()) {
        const attributes = { ...band.attributes, 'sightline.metric': band.metric };
        names.forEach((n, i) => {
          const v = band[n];
          if (Number.isFinite(v)) result.observe(gauges[i]!, v, attributes);
        });
      }
    }, gauges);
  }
}

/**
 * Reading the context manager directly skips the OpenTelemetry API's global lookups on every log
 * line; it is only done when that manager is the one the API uses (a vendor tracer may have
 * registered its own).
 */
function directContext(manager: ContextManager): (() => Context) | undefined {
  const probe = ROOT_CONTEXT.setValue(Symbol('sightline.probe'), true);
  const trusted = context.with(probe, () => manager.active() === probe);
  return trusted ? () => manager.active() : undefined;
}

function setUp(adapter: SightlineAdapter, ctx: AdapterContext): AdapterParts {
  try {
    return adapter.setup(ctx) ?? {};
  } catch (error) {
    if (error instanceof SightlineError) throw error;
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ADAPTER,
      'exporters',
      `adapter ${JSON.stringify(adapter.name)} failed to set up (${error instanceof Error ? error.name : 'error'}); check its options`,
    );
  }
}
