/**
 * Shared OTLP/HTTP building blocks: channels that encode spans, metric points, log lines and anomaly
 * events and send them through the export core (spans and log records in protobuf with sightline's
 * one-pass encoder, which writes the same bytes as `@opentelemetry/otlp-transformer`; metrics with
 * the transformer itself; JSON from the transformer's requests, written as proto3 JSON wants its
 * non-finite numbers and int64), with OTLP's retry rules (429/502/503/504) and partial-success
 * accounting. Used by the `otlp` adapter and by every vendor adapter that takes OTLP (New Relic,
 * CloudWatch, Elastic, Datadog in OTLP mode).
 */
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InstrumentType, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AnomalyEvent } from '../anomaly/event.js';
import type { Diag } from '../diag/diag.js';
import { createChannel } from './channel.js';
import { createMetricExporter, createSpanExporter } from './otel-exporters.js';
import { encodeLogsRequest, encodeTraceRequest } from './otlp-encoders.js';
import { encodeLogsJson, encodeMetricsJson, encodeTracesJson } from './otlp-json.js';
import { encodeOtlpEventRecord, logLineToRecord, type LogRecordOrigin } from './otlp-logs.js';
import { groupOtlpMetricItems, type OtlpMetricItem, toOtlpMetricItems } from './otlp-metrics.js';
import { isOtlpRetryable, type OtlpSignal, readOtlpPartialSuccess } from './otlp-response.js';
import { eventSize, pointSize, spanSize } from './otlp-sizes.js';
import type {
  ChannelLimits,
  ChannelOptions,
  ChannelSpec,
  ClientTls,
  EncodedBody,
  ExportChannel,
} from './spec.js';
import type { EventSink, LogKeys, LogSink } from './types.js';

export { encodeOtlpEventRecord, logLineToRecord, OTLP_ANOMALY_EVENT_NAME } from './otlp-logs.js';
export type { LogRecordOrigin } from './otlp-logs.js';
export { groupOtlpMetricItems, type OtlpMetricItem, toOtlpMetricItems } from './otlp-metrics.js';
export { isOtlpRetryable, type OtlpSignal, readOtlpPartialSuccess } from './otlp-response.js';

/** The OTLP/HTTP encodings sightline speaks (gRPC is not supported). */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** OTLP temporality preferences (`OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`). */
export type OtlpTemporality = 'cumulative' | 'delta' | 'lowmemory';

const MiB = 1024 * 1024;

/**
 * Default per-request limits. OTLP itself sets none (servers SHOULD accept 20 MiB), so these keep
 * requests well below every vendor's cap we know of except New Relic's 1 MB (pass `limits`).
 */
export const OTLP_DEFAULT_LIMITS: Readonly<Record<OtlpSignal, ChannelLimits>> = {
  traces: { maxItems: 512, maxBytes: 4 * MiB },
  metrics: { maxItems: 1000, maxBytes: 4 * MiB },
  logs: { maxItems: 1000, maxBytes: 4 * MiB },
};

/** The instrumentation scope of log records and events sightline converts itself. */
export const SIGHTLINE_LOG_SCOPE: InstrumentationScope = Object.freeze({ name: 'sightline' });

/** What every OTLP channel needs: where, how, and the knobs passed on to the export core. */
export interface OtlpChannelConfig {
  /** Adapter name shown in stats and diagnostics, e.g. `otlp` or `newrelic`. */
  readonly adapter: string;
  /** The full signal URL (`https://collector:4318/v1/traces`); validate it with `resolveEndpoint` first. */
  readonly url: URL;
  /** Request headers (auth); never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A private CA, a client certificate and key, for an `https:` URL. */
  readonly tls?: ClientTls;
  readonly protocol: OtlpProtocol;
  /** Queue, flush, gzip, timeout and retry tuning. */
  readonly channel?: ChannelOptions;
  /** Where trouble is reported; `channel.diag` wins when both are set. */
  readonly diag?: Diag;
  /** Overrides of {@link OTLP_DEFAULT_LIMITS} (New Relic: `maxBytes: 1_000_000`). */
  readonly limits?: Partial<ChannelLimits>;
  /** Replaces the HTTP POST, e.g. to sign requests (SigV4); see `ChannelSpec.send`. */
  readonly send?: ChannelSpec<unknown>['send'];
}

/** Options of {@link createOtlpTraceExporter}. */
export interface OtlpTraceConfig extends OtlpChannelConfig {
  /**
   * The resource the spans are sent under instead of the tracer provider's: an adapter's own
   * service, environment or version (see `resourceUnder`). Each span is then sent as a view of it
   * holding that resource, made once as it is exported.
   */
  readonly resource?: Resource;
}

/** Options of {@link createOtlpMetricExporter}. */
export interface OtlpMetricConfig extends OtlpChannelConfig {
  /**
   * `cumulative`: everything cumulative. `delta`: counters, observable counters and histograms as
   * deltas. `lowmemory`: counters and histograms as deltas, observable counters cumulative. Up-down
   * counters and gauges stay cumulative in every mode, as the OTLP exporter specification says.
   */
  readonly temporality: OtlpTemporality;
}

/** Options of {@link createOtlpLogSink}. */
export interface OtlpLogConfig extends OtlpChannelConfig {
  /** The keys of sightline's JSON lines; read at encode time (e.g. `() => ctx.logKeys`). */
  readonly logKeys: () => LogKeys;
  readonly resource: Resource;
  /** Defaults to {@link SIGHTLINE_LOG_SCOPE}; keep the object stable. */
  readonly scope?: InstrumentationScope;
}

/** Options of {@link createOtlpEventSink}. */
export interface OtlpEventConfig extends OtlpChannelConfig {
  readonly resource: Resource;
  readonly scope?: InstrumentationScope;
}

const CONTENT_TYPE: Record<OtlpProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
};

function channelFor<T>(
  config: OtlpChannelConfig,
  signal: OtlpSignal | 'events',
  encode: (items: readonly T[]) => EncodedBody,
  sizeOf?: (item: T) => number,
): ExportChannel<T> {
  const wire: OtlpSignal = signal === 'events' ? 'logs' : signal;
  const { protocol } = config;
  return createChannel<T>(
    {
      adapter: config.adapter,
      signal,
      url: config.url,
      headers: config.headers,
      tls: config.tls,
      limits: { ...OTLP_DEFAULT_LIMITS[wire], ...config.limits },
      encode,
      sizeOf,
      // OTLP says 413 must not be retried as is; halves are new, smaller requests.
      splitOn413: true,
      isRetryable: isOtlpRetryable,
      onResponse: (response) => readOtlpPartialSuccess(wire, protocol, response),
      send: config.send,
    },
    { ...config.channel, diag: config.channel?.diag ?? config.diag },
  );
}

function body(bytes: Uint8Array | undefined, protocol: OtlpProtocol): EncodedBody {
  // The serializers return undefined when they fail; the core then isolates the bad items.
  if (bytes === undefined) throw new Error('OTLP serializer produced no body');
  return { body: bytes, contentType: CONTENT_TYPE[protocol] };
}

/**
 * Creates an OTLP/HTTP span exporter (a plain OpenTelemetry `SpanExporter`) and its channel: spans
 * are queued, batched by at most 512 spans / 4 MiB and sent to `url`.
 *
 * @example
 * const { exporter, channel } = createOtlpTraceExporter({
 *   adapter: 'newrelic', url: new URL('https://otlp.nr-data.net/v1/traces'),
 *   headers: { 'api-key': key }, protocol: 'http/protobuf', limits: { maxBytes: 1_000_000 },
 * });
 * ctx.registerStats('newrelic', statsOf(channel));
 * return { spanExporter: exporter };
 */
export function createOtlpTraceExporter(config: OtlpTraceConfig): {
  exporter: SpanExporter;
  channel: ExportChannel<ReadableSpan>;
} {
  const json = config.protocol === 'http/json';
  const encode = json ? encodeTracesJson : encodeTraceRequest;
  // JSON writes ids in hex and wraps every attribute in {key, value:{...}}: about twice the bytes.
  const sizeOf = json ? (span: ReadableSpan) => 2 * spanSize(span) : spanSize;
  const channel = channelFor<ReadableSpan>(
    config,
    'traces',
    (spans) => body(encode(spans), config.protocol),
    sizeOf,
  );
  const { resource } = config;
  const exporter =
    resource === undefined
      ? createSpanExporter(channel)
      : createSpanExporter(channel, (spans) => spans.map((span) => spanUnder(span, resource)));
  return { exporter, channel };
}

/** `span` as it is, its methods and fields read through, but for its resource. */
function spanUnder(span: ReadableSpan, resource: Resource): ReadableSpan {
  return Object.create(span, { resource: { value: resource } }) as ReadableSpan;
}

/**
 * Creates an OTLP/HTTP metric exporter (a plain OpenTelemetry `PushMetricExporter`) and its
 * channel: each collection is split into data points, batched by at most 1,000 points per request.
 *
 * @example
 * const { exporter } = createOtlpMetricExporter({ adapter: 'otlp', url, protocol: 'http/protobuf', temporality: 'cumulative' });
 * new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter })] });
 */
export function createOtlpMetricExporter(config: OtlpMetricConfig): {
  exporter: PushMetricExporter;
  channel: ExportChannel<OtlpMetricItem>;
} {
  const json = config.protocol === 'http/json';
  // As for spans: JSON's hex, quoting and attribute wrappers about double the bytes.
  const factor = json ? 2 : 1;
  const channel = channelFor<OtlpMetricItem>(
    config,
    'metrics',
    (items) =>
      body(
        json ? encodeMetricsJson(groupOtlpMetricItems(items)) : encodeMetricsProtobuf(items),
        config.protocol,
      ),
    (item) => factor * pointSize(item.point),
  );
  const exporter = createMetricExporter(channel, {
    temporality: config.temporality === 'cumulative' ? 'cumulative' : 'delta',
    toItems: toOtlpMetricItems,
  });
  if (config.temporality === 'lowmemory') exporter.selectAggregationTemporality = lowMemoryTemporality;
  return { exporter, channel };
}

function lowMemoryTemporality(type: InstrumentType): AggregationTemporality {
  return type === InstrumentType.COUNTER || type === InstrumentType.HISTOGRAM
    ? AggregationTemporality.DELTA
    : AggregationTemporality.CUMULATIVE;
}

function encodeMetricsProtobuf(items: readonly OtlpMetricItem[]): Uint8Array | undefined {
  const parts = groupOtlpMetricItems(items).map((rm) => ProtobufMetricsSerializer.serializeRequest(rm));
  if (parts.some((p) => p === undefined)) return undefined;
  // Concatenated protobuf messages merge their repeated fields: one request, several resources.
  return parts.length === 1 ? parts[0] : Buffer.concat(parts as Uint8Array[]);
}

function logsSerializer(protocol: OtlpProtocol): {
  serializeRequest(records: ReadableLogRecord[]): Uint8Array | undefined;
} {
  return { serializeRequest: protocol === 'http/json' ? encodeLogsJson : encodeLogsRequest };
}

/**
 * Creates a `LogSink` that ships sightline's JSON log lines as OTLP log records (see
 * {@link logLineToRecord} for the mapping), 1,000 records per request at most. Lines are parsed
 * at encode time, off the logging call; a line that is not a JSON object is dropped as `encode_error`.
 *
 * @example
 * const { sink, channel } = createOtlpLogSink({
 *   adapter: 'otlp', url, protocol: 'http/protobuf', logKeys: () => ctx.logKeys, resource: ctx.resource,
 * });
 * return { logSink: sink };
 */
export function createOtlpLogSink(config: OtlpLogConfig): { sink: LogSink; channel: ExportChannel<string> } {
  const serializer = logsSerializer(config.protocol);
  const origin: LogRecordOrigin = { resource: config.resource, scope: config.scope ?? SIGHTLINE_LOG_SCOPE };
  // An OTLP record is bigger than its line: JSON wraps every attribute in {key, value:{...}}.
  const factor = config.protocol === 'http/json' ? 2 : 1.1;
  const channel = channelFor<string>(
    config,
    'logs',
    (lines) => {
      const keys = config.logKeys();
      const records: ReadableLogRecord[] = new Array(lines.length);
      for (let i = 0; i < lines.length; i++) {
        const record = logLineToRecord(lines[i] as string, keys, origin);
        if (record === undefined) throw new Error('log line is not a JSON object');
        records[i] = record;
      }
      return body(serializer.serializeRequest(records), config.protocol);
    },
    (line) => line.length * factor + 64,
  );
  const sink: LogSink = {
    write: (line) => {
      channel.push(line);
    },
    forceFlush: () => channel.forceFlush(),
    shutdown: () => channel.shutdown(),
  };
  return { sink, channel };
}

/**
 * Creates an `EventSink` that sends anomaly events as OTLP log records with event name
 * `sightline.anomaly` (see {@link encodeOtlpEventRecord}) to a logs endpoint, through its own
 * `events` channel so events show apart from logs in the stats.
 *
 * @example
 * const { sink, channel } = createOtlpEventSink({ adapter: 'otlp', url: logsUrl, protocol: 'http/json', resource: ctx.resource });
 * return { eventSink: sink, forceFlush: () => channel.forceFlush() };
 */
export function createOtlpEventSink(config: OtlpEventConfig): {
  sink: EventSink;
  channel: ExportChannel<AnomalyEvent>;
} {
  const serializer = logsSerializer(config.protocol);
  const origin: LogRecordOrigin = { resource: config.resource, scope: config.scope ?? SIGHTLINE_LOG_SCOPE };
  const factor = config.protocol === 'http/json' ? 2 : 1;
  const channel = channelFor<AnomalyEvent>(
    config,
    'events',
    (events) =>
      body(serializer.serializeRequest(events.map((e) => encodeOtlpEventRecord(e, origin))), config.protocol),
    (event) => factor * eventSize(event),
  );
  return {
    sink: (event) => {
      channel.push(event);
    },
    channel,
  };
}
