import {
  type AdapterContext,
  type AdapterParts,
  createChannel,
  createLogSink,
  createMetricExporter,
  type ExportChannel,
  flattenResourceMetrics,
} from '../../src/export/index.js';
import { createLogsClient, createMetricsClient } from './api-clients.js';
import { sdkSend } from './aws-sdk.js';
import { reportLeftOut } from './dimensions.js';
import { encodeAnomalyEvent } from './encode-events.js';
import {
  countRejected,
  encodeLogEvents,
  type LogEvent,
  lineToLogEvent,
  logEventSize,
  PUT_LOG_EVENTS_MAX_BYTES,
  PUT_LOG_EVENTS_MAX_ITEMS,
} from './encode-logs.js';
import {
  datumExpired,
  encodeMetricData,
  type MetricDatum,
  PUT_METRIC_DATA_MAX_BYTES,
  PUT_METRIC_DATA_MAX_ITEMS,
  toMetricData,
} from './encode-metric-data.js';
import type { AdapterSettings } from './settings.js';

/** What api mode adds to the adapter's parts: its channels, for stats, flush and shutdown. */
export interface ApiParts {
  readonly parts: AdapterParts;
  readonly channels: ExportChannel<unknown>[];
  /** Releases the SDK clients once every channel is shut down. */
  destroy(): Promise<void>;
}

/**
 * Api mode: metrics by PutMetricData, log lines and anomaly events by PutLogEvents, each through
 * an export-core channel whose `send` is the AWS SDK call, so queueing, retries, accounting and
 * the shutdown deadline stay in the core. The bodies the core sizes are built to the services'
 * own limits (1,000 metrics and 1 MB; 10,000 events and 1,048,576 bytes with 26 per event).
 */
export function setupApi(s: AdapterSettings, ctx: AdapterContext): ApiParts {
  const { options } = s;
  const region = options.region as string;
  const channelOptions = { ...options.channel, gzip: false, diag: ctx.diag };
  const credentials = options.credentials;
  const metricsClient = createMetricsClient(
    { region, endpoint: options.endpoints.metrics, credentials },
    s.namespace,
  );
  const metrics = createChannel<MetricDatum>(
    {
      adapter: 'cloudwatch',
      signal: 'metrics',
      url: options.endpoints.metrics ?? new URL(`https://monitoring.${region}.amazonaws.com/`),
      limits: { maxItems: PUT_METRIC_DATA_MAX_ITEMS, maxBytes: PUT_METRIC_DATA_MAX_BYTES },
      encode: encodeMetricData,
      sizeOf: (d) => 160 + d.MetricName.length + (d.Values?.length ?? 0) * 24 + d.Dimensions.length * 40,
      expired: datumExpired,
      send: sdkSend(metricsClient.put),
    },
    channelOptions,
  );
  const metricsLeftOut = reportLeftOut(ctx, 'metrics');
  const metricExporter = createMetricExporter(metrics, {
    temporality: 'delta',
    toItems: (rm) => {
      const invalid = (n: number) => metrics.discard(n, 'invalid');
      return toMetricData(flattenResourceMetrics(rm, invalid), s, invalid, metricsLeftOut);
    },
  });
  const channels: ExportChannel<unknown>[] = [metrics as ExportChannel<unknown>];
  const parts: AdapterParts = { metricExporter };

  const logsClient =
    options.logs || options.events
      ? createLogsClient(
          { region, endpoint: options.endpoints.logs, credentials },
          { logGroup: s.logGroup, logStream: s.logStream, create: options.createLogGroup },
        )
      : undefined;
  const logsUrl = options.endpoints.logs ?? new URL(`https://logs.${region}.amazonaws.com/`);
  const logChannel = <T>(
    signal: 'logs' | 'events',
    toEvent: (item: T) => LogEvent,
    size: (item: T) => number,
  ) =>
    createChannel<T>(
      {
        adapter: 'cloudwatch',
        signal,
        url: logsUrl,
        limits: { maxItems: PUT_LOG_EVENTS_MAX_ITEMS, maxBytes: PUT_LOG_EVENTS_MAX_BYTES },
        encode: (items) => encodeLogEvents(items.map(toEvent)),
        sizeOf: size,
        send: sdkSend((body, abort) => (logsClient as NonNullable<typeof logsClient>).put(body, abort)),
        onResponse: (response, items) => {
          if (response.body === '') return undefined;
          return {
            rejected: countRejected(JSON.parse(response.body) as Record<string, unknown>, items.length),
          };
        },
      },
      channelOptions,
    );

  if (options.logs) {
    const logs = logChannel<string>(
      'logs',
      (line) => lineToLogEvent(line, ctx.logKeys),
      (line) => logEventSize(line),
    );
    channels.push(logs as ExportChannel<unknown>);
    parts.logSink = createLogSink(logs);
  }
  if (options.events) {
    const events = logChannel<LogEvent>(
      'events',
      (e) => e,
      (e) => logEventSize(e.message),
    );
    channels.push(events as ExportChannel<unknown>);
    const onLeftOut = reportLeftOut(ctx, 'events');
    parts.eventSink = (event) => {
      let encoded: LogEvent;
      try {
        encoded = encodeAnomalyEvent(event, s, onLeftOut);
      } catch {
        events.discard(1, 'encode_error');
        return;
      }
      events.push(encoded);
    };
    parts.flushEvents = () => events.forceFlush();
  }
  return {
    parts,
    channels,
    async destroy() {
      await Promise.all([metricsClient.destroy(), logsClient?.destroy()]);
    },
  };
}
