import { createHash } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { TextMapPropagator } from '@opentelemetry/api';
import {
  type AdapterContext,
  type AdapterParts,
  createLogSink,
  createMetricExporter,
  type ExportChannel,
  flattenResourceMetrics,
  resourceUnder,
  type SightlineAdapter,
  statsOf,
} from '../../src/export/index.js';
import { createOtlpTraceExporter } from '../../src/export/otlp.js';
import {
  checkIntakeOptions,
  createEventsChannel,
  createLogsChannel,
  createMetricsChannel,
  type IntakeConfig,
} from './channels.js';
import {
  type DdHostConfig,
  type DdTraceProvider,
  type DdTraceTracer,
  flushDdTrace,
  loadDdHostConfig,
  loadDdTrace,
  tracerIdentity,
} from './dd-trace.js';
import { bridgeDdTraceSpans } from './dd-trace-bridge.js';
import { ddTracePropagator } from './dd-trace-propagation.js';
import { encodeEvent } from './encode-events.js';
import { createSeriesEncoder } from './encode-metrics.js';
import { datadogLogFormat } from './log-format.js';
import {
  checkIdentity,
  type DatadogOptions,
  type ResolvedOptions,
  requireApiKey,
  resolveOptions,
} from './options.js';
import { namesUnifiedTag, type ServiceTags, unifiedTags } from './tags.js';

/**
 * Sends sightline's signals to Datadog: metrics to `/api/v2/series`, logs as Agent-ready JSON lines
 * on stdout (or to `/api/v2/logs`), spans through the Agent (OTLP, or dd-trace's tracer), and
 * anomalies to the Events API, all under unified service tags (`env`, `service`, `version`).
 * Options are checked here; a mistake throws a coded `SightlineConfigError` that never shows the key.
 * A missing API key fails at `init()`, and only in an environment whose exporters include the adapter.
 *
 * @example
 * import { init } from 'sightline';
 * import { datadog } from 'sightline/datadog';
 *
 * init({
 *   service: 'checkout',
 *   exporters: { development: [], default: [datadog({ site: 'datadoghq.eu' })] }, // key from DD_API_KEY
 * });
 */
export function datadog(options?: DatadogOptions): SightlineAdapter {
  const resolved = resolveOptions(options);
  return {
    name: 'datadog',
    setup: (ctx) => setUp(resolved, ctx),
  };
}

function identityOf(opts: ResolvedOptions, ctx: AdapterContext): ServiceTags {
  const identity = {
    service: opts.service ?? ctx.service,
    env: opts.env ?? ctx.environment,
    version: opts.version ?? ctx.version ?? opts.ddIdentity.version,
  };
  const from = ctx.identitySources;
  checkIdentity(identity, {
    service: opts.service === undefined ? from.service : 'service',
    env: opts.env === undefined ? from.environment : 'env',
    version: opts.version !== undefined ? 'version' : ctx.version !== undefined ? from.version : 'DD_VERSION',
  });
  // One set in `ddTrace` is dd-trace's, and so every signal's: checked as those, before dd-trace starts.
  if (opts.traces === 'dd-trace') {
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const { service, env, version } = opts.ddTrace;
    checkIdentity(
      { service: text(service), env: text(env), version: text(version) },
      { service: 'ddTrace.service', env: 'ddTrace.env', version: 'ddTrace.version' },
    );
  }
  return identity;
}

/**
 * The identity in use wins so logs, OTLP resources and tags agree; says so when DD_* disagrees.
 * Told once it is settled: with `traces: 'dd-trace'`, the one dd-trace's tracer took.
 */
function warnOfDdIdentity(identity: ServiceTags, opts: ResolvedOptions, ctx: AdapterContext): void {
  for (const key of ['service', 'env'] as const) {
    const dd = opts.ddIdentity[key];
    if (dd !== undefined && dd !== identity[key]) {
      ctx.diag.once(
        `datadog.identity.${key}`,
        `datadog: DD_${key.toUpperCase()}=${JSON.stringify(dd)} differs from the ${key} in use ` +
          `(${JSON.stringify(identity[key])}); pass datadog({ ${key} }) or align the variables`,
      );
    }
  }
}

function setUp(opts: ResolvedOptions, ctx: AdapterContext): AdapterParts {
  requireApiKey(opts, ctx);
  let identity = identityOf(opts, ctx);
  const intake: IntakeConfig | undefined =
    opts.apiKey === undefined ? undefined : { apiKey: opts.apiKey, channel: opts.channel, diag: ctx.diag };
  let ddTrace: (ReturnType<typeof startDdTrace> & { tracer: DdTraceTracer }) | undefined;
  if (opts.traces === 'dd-trace') {
    // dd-trace, once started, stays for the life of the process: a channel option the first
    // channel below would refuse fails init() before it starts.
    const first =
      opts.metrics === 'api' ? 'metrics' : opts.logs === 'http' ? 'logs' : opts.events ? 'events' : undefined;
    if (intake && first) checkIntakeOptions(intake, first);
    const tracer = loadDdTrace();
    ddTrace = { tracer, ...startDdTrace(tracer, opts, identity, ctx) };
    // Its spans carry what its tracer settled on: with no version given, the app's package.json
    // version, which the metrics, logs and events must carry too for Datadog to tie them together.
    identity = tracerIdentity(tracer, identity);
  }
  warnOfDdIdentity(identity, opts, ctx);
  let tagsCut = 0;
  const tags = unifiedTags(identity, opts.tags, () => {
    tagsCut++;
  });
  const hostname = opts.hostname ?? safeHostname();
  const parts: AdapterParts = { logFormat: datadogLogFormat(identity, opts.logs === 'stdout') };
  const channels: ExportChannel<unknown>[] = [];

  if (opts.metrics === 'api' && intake) {
    const channel = createMetricsChannel(intake, opts.urls.metrics);
    const encoder = createSeriesEncoder({
      tags,
      tagsCut,
      percentiles: opts.percentiles,
      hostname,
      // The key's digest: what was sent is kept on a global symbol, where any code can read it.
      intake: `${opts.urls.metrics}\n${createHash('sha256').update(intake.apiKey).digest('hex')}`,
    });
    const onInvalid = (n: number) => channel.discard(n, 'invalid');
    parts.metricExporter = createMetricExporter(channel, {
      // Counters and histograms as deltas (Datadog counts); up-down counters and gauges cumulative,
      // so an up-down counter's point is its current level, sent as a gauge.
      temporality: 'delta',
      toItems: (rm) =>
        encoder.encode(flattenResourceMetrics(rm, onInvalid), onInvalid, (n) =>
          ctx.countDrop('truncated_attribute', n),
        ),
    });
    if (opts.metricIntervalMs !== undefined) parts.metricIntervalMs = opts.metricIntervalMs;
    channels.push(channel);
  }

  if (opts.logs === 'http' && intake) {
    const ddtags = tags.join(',');
    const channel = createLogsChannel(
      intake,
      opts.urls.logs,
      { service: identity.service, hostname, ddtags, tagsCut },
      () => ctx.logKeys,
      (n) => ctx.countDrop('truncated_attribute', n),
    );
    parts.logSink = createLogSink(channel, (line) => ({ line, counted: false }));
    channels.push(channel);
  }

  let events: ExportChannel<unknown> | undefined;
  if (opts.events && intake) {
    const channel = createEventsChannel(intake, opts.urls.events);
    const defaults = { tags, service: identity.service, env: identity.env, hostname };
    const onCut = () => ctx.countDrop('truncated_attribute', 1);
    parts.eventSink = (event) => {
      let body: string;
      try {
        body = encodeEvent(event, defaults, onCut);
      } catch {
        channel.discard(1, 'encode_error');
        return;
      }
      if (tagsCut > 0) ctx.countDrop('truncated_attribute', tagsCut);
      channel.push(body);
    };
    events = channel;
    channels.push(channel);
  }

  let flushTraces: (() => Promise<void>) | undefined;
  if (opts.traces === 'otlp') {
    const resource = resourceUnder(ctx.resource, { ...identity, environment: identity.env });
    const { exporter, channel } = createOtlpTraceExporter({
      adapter: 'datadog',
      url: opts.urls.traces as URL,
      protocol: 'http/protobuf',
      channel: opts.channel,
      diag: ctx.diag,
      // The Agent reads a span's env, service and version from its resource: the adapter's own,
      // as its metrics and logs carry them, where they differ from sightline's.
      ...(resource === undefined ? {} : { resource }),
    });
    parts.spanExporter = exporter;
    channels.push(channel);
  } else if (ddTrace) {
    const { tracer, provider, propagator, agentUrl } = ddTrace;
    parts.tracerProvider = bridgeDdTraceSpans(provider, ctx.fitSpanText, ctx.countDrop);
    parts.propagator = propagator;
    // dd-trace sends to its Agent from its own timers, outside sightline's suppressed export context.
    parts.untracedOrigins = [agentUrl];
    flushTraces = () => flushDdTrace(tracer, provider);
  }

  ctx.registerStats('datadog', statsOf(...channels));
  parts.forceFlush = async () => {
    await Promise.all([events?.forceFlush(), flushTraces?.()]);
  };
  parts.shutdown = async () => {
    // dd-trace's provider shutdown leaves its writer's buffer unsent; flushing sends it to the Agent.
    await Promise.all([events?.shutdown(), flushTraces?.()]);
  };
  return parts;
}

function startDdTrace(
  tracer: DdTraceTracer,
  opts: ResolvedOptions,
  identity: ServiceTags,
  { diag, sampling, samplingIsDdTraceSampleRate, countDrop }: AdapterContext,
): { provider: DdTraceProvider; propagator: TextMapPropagator; agentUrl: string } {
  const tags: Record<string, string> = {};
  for (const t of opts.tags) {
    const i = t.indexOf(':');
    // A tag without a value (`canary`) is one with an empty value to dd-trace, as it reads DD_TAGS,
    // which this list replaces; one without a key has none.
    if (i < 0) tags[t] = '';
    else if (i > 0 && !otherCaseOfUnified(t.slice(0, i))) tags[t.slice(0, i)] = t.slice(i + 1);
  }
  // dd-trace takes an option given in code over the host's configuration as over its variables:
  // those sightline gives only where neither sets them are read from both.
  const host = loadDdHostConfig();
  const options: Record<string, unknown> = {
    service: identity.service,
    env: identity.env,
    ...(identity.version ? { version: identity.version } : {}),
    url: String(opts.urls.traces),
    tags,
    // sightline instruments HTTP itself; dd-trace's plugins would trace every request twice.
    plugins: false,
    logInjection: false,
    startupLogs: false,
    ...samplingOptions(sampling, samplingIsDdTraceSampleRate, opts.ddTrace, host),
    ...baggageOptions(host),
    ...opts.ddTrace,
  };
  tracer.init(options);
  const provider = new tracer.TracerProvider();
  // dd-trace's context manager must be the global one, so spans dd-trace starts on its own and
  // sightline's log correlation see the same active span.
  const propagator = ddTracePropagator(tracer, { add: countDrop });
  provider.register({ propagator });
  diag.debug('datadog.dd-trace', 'datadog: dd-trace tracer provider registered');
  return { provider, propagator, agentUrl: String(options.url) };
}

/**
 * A key naming the service, env or version in another case (`Service:payments`), which the
 * metrics, logs and events leave out: dd-trace put it on every span beside its own, a second
 * service to Datadog, which reads tag keys in lower case. The lower-case ones dd-trace reads as its
 * unified tags, in place of none given, as sightline's core reads DD_TAGS.
 */
function otherCaseOfUnified(key: string): boolean {
  return namesUnifiedTag(key) && key !== key.toLowerCase();
}

/** W3C Baggage's count of entries a receiver takes, and so one sightline sends without dd-trace. */
const BAGGAGE_MAX_ITEMS = 180;

/**
 * dd-trace keeps 64 entries of a caller's baggage and sends as many, where W3C Baggage takes 180:
 * a caller's 65th entry on never reached the handler nor the services called. dd-trace's own
 * variable, set (empty is unset, as sightline reads every variable), decides as it says.
 */
function baggageOptions(host: DdHostConfig): { baggageMaxItems?: number } {
  const emptied = emptiedNumber(host, 'DD_TRACE_BAGGAGE_MAX_ITEMS');
  if (emptied !== undefined)
    return { baggageMaxItems: Number.isFinite(emptied) ? emptied : BAGGAGE_MAX_ITEMS };
  return ddSetting(host, 'DD_TRACE_BAGGAGE_MAX_ITEMS') ? {} : { baggageMaxItems: BAGGAGE_MAX_ITEMS };
}

/**
 * A number dd-trace reads from a variable left empty, which is unset to sightline: dd-trace reads
 * it as 0, over the host's local configuration (not its fleet-managed one), so sightline gives the
 * option in code. That configuration's number, NaN where it sets none, or undefined where the
 * variable is not empty or the fleet-managed configuration sets it.
 */
function emptiedNumber(host: DdHostConfig, name: string): number | undefined {
  if (process.env[name]?.trim() !== '' || host.fleet[name]?.trim()) return undefined;
  const local = host.local[name]?.trim();
  return local ? Number(local) : Number.NaN;
}

/**
 * dd-trace's own setting: the host's fleet-managed configuration, the variable, then the host's
 * local configuration, as dd-trace ranks them; one left empty is unset, as sightline reads every
 * variable.
 */
function ddSetting(host: DdHostConfig, name: string): string | undefined {
  for (const value of [host.fleet[name], process.env[name], host.local[name]])
    if (value?.trim()) return value;
  return undefined;
}

/** dd-trace's own settings of its sampling, besides DD_TRACE_SAMPLE_RATE, whose cap stays. */
const DD_SAMPLING_ENV = ['DD_TRACE_SAMPLING_RULES', 'DD_TRACE_RATE_LIMIT'];
const DD_SAMPLING_OPTIONS = ['sampleRate', 'samplingRules', 'rateLimit', 'ingestion'];
/** dd-trace's cap on the traces its rules and sample rate keep, a second, when DD_TRACE_RATE_LIMIT is unset. */
const DD_DEFAULT_RATE_LIMIT = 100;

/**
 * The sampling dd-trace is given. Its own sampler decides its spans: without the ratio, a
 * profile's `sampling: 0.1` kept every trace dd-trace's default kept. dd-trace reads its variables
 * from the process's environment, whatever `processEnv` says: a ratio chosen over
 * DD_TRACE_SAMPLE_RATE (in code, SIGHTLINE_SAMPLING) is given even at 1, where the variable would
 * otherwise decide; at 1 without it, dd-trace's default stays.
 *
 * dd-trace keeps at most 100 traces a second (DD_TRACE_RATE_LIMIT) of those its rules and sample
 * rate keep: `sampling` at 0.5 kept 100 of 1000 traces started in a second, where it is a ratio,
 * as in otlp mode. Where dd-trace's own settings decide (its variables, or `ddTrace`), its cap
 * stays, as they set it.
 */
function samplingOptions(
  sampling: number,
  fromVariable: boolean,
  ddTrace: Readonly<Record<string, unknown>> | undefined,
  host: DdHostConfig,
): { sampleRate?: number; rateLimit?: number } {
  const options = ratioOptions(sampling, fromVariable, ddTrace, host);
  // Where dd-trace's cap stays, a DD_TRACE_RATE_LIMIT left empty is unset, as sightline reads every
  // variable: dd-trace reads it as a limit of 0 (over the host's local configuration), which kept
  // none of the traces its own sample rate or rules kept. A limit given in `ddTrace` is spread
  // after these and still wins; one the host's fleet-managed configuration sets wins over the variable.
  const emptied = emptiedNumber(host, 'DD_TRACE_RATE_LIMIT');
  const ownLimit =
    ddTrace !== undefined && (ddTrace.rateLimit !== undefined || ddTrace.ingestion !== undefined);
  return options.rateLimit === undefined && emptied !== undefined && !ownLimit
    ? { ...options, rateLimit: Number.isFinite(emptied) ? emptied : DD_DEFAULT_RATE_LIMIT }
    : options;
}

/** The ratio, with dd-trace's cap lifted where it alone decides, as a ratio is in otlp mode. */
function ratioOptions(
  sampling: number,
  fromVariable: boolean,
  ddTrace: Readonly<Record<string, unknown>> | undefined,
  host: DdHostConfig,
): { sampleRate?: number; rateLimit?: number } {
  // The variable dd-trace reads, unless `sampling` was taken from it; a rate the host's
  // configuration sets decides at 1. Told by where `sampling` came from, not by its value: a ratio
  // in code equal to the variable's is chosen over it as much as any other.
  const variable = process.env.DD_TRACE_SAMPLE_RATE;
  const overridden = variable !== undefined && !fromVariable;
  if (sampling >= 1 && !overridden) return {};
  const ddDecides =
    (variable !== undefined && !overridden) ||
    // One left empty is unset, as sightline reads every variable; dd-trace reads it as 0, and an
    // empty DD_TRACE_RATE_LIMIT kept no trace at all.
    DD_SAMPLING_ENV.some((name) => ddSetting(host, name) !== undefined) ||
    (ddTrace !== undefined && DD_SAMPLING_OPTIONS.some((name) => ddTrace[name] !== undefined));
  return ddDecides ? { sampleRate: sampling } : { sampleRate: sampling, rateLimit: -1 };
}

function safeHostname(): string | undefined {
  try {
    return osHostname();
  } catch {
    return undefined;
  }
}
