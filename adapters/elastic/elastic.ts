import {
  type AdapterContext,
  type AdapterParts,
  type ChannelOptions,
  createChannel,
  createLogSink,
  createMetricExporter,
  type ExportChannel,
  flattenResourceMetrics,
  type SightlineAdapter,
  statsOf,
} from '../../src/export/index.js';
import { createOtlpTraceExporter } from '../../src/export/otlp.js';
import type { AnomalyEvent } from '../../src/anomaly/event.js';
import { bulkResponseReader, encodeBulk } from './bulk.js';
import { cleanDataStreamPart, type DataStream, dataStream } from './data-stream.js';
import type { Doc } from './ecs-document.js';
import { anomalyToDoc } from './encode-events.js';
import { type DocIdentity, logLineToDoc } from './encode-logs.js';
import { isWritablePoint, metricToDoc, sizeOfMetricDoc } from './encode-metrics.js';
import { elasticLogFormat } from './log-format.js';
import {
  type CheckedElastic,
  type ElasticSettings,
  type ElasticsearchTarget,
  requireSettings,
} from './options.js';

const NAME = 'elastic';

/**
 * Builds the adapter from checked options; `setup` throws what the environment lacks, then wires one
 * `_bulk` channel per signal into the export core.
 */
export function createElasticAdapter({ settings: config, elasticsearch }: CheckedElastic): SightlineAdapter {
  return {
    name: NAME,
    setup(ctx: AdapterContext): AdapterParts {
      const dataset = config.dataset ?? cleanDataStreamPart(ctx.service, 'generic');
      const namespace = config.namespace ?? cleanDataStreamPart(ctx.environment, 'default');
      const channelOptions: ChannelOptions = { ...config.channel, diag: ctx.diag };
      const channels: ExportChannel<unknown>[] = [];
      const parts: AdapterParts = {
        ...(config.metricIntervalMs !== undefined ? { metricIntervalMs: config.metricIntervalMs } : {}),
        logFormat: elasticLogFormat({ environment: ctx.environment, dataset }),
      };
      // Only what goes to Elasticsearch needs its URL and credentials.
      if (sendsToElasticsearch(config, ctx)) {
        const target = requireSettings(elasticsearch);
        Object.assign(
          parts,
          bulkParts(config, target, ctx, { dataset, namespace, channelOptions, channels }),
        );
      }

      // Traces: OTLP/HTTP to APM Server or the managed OTLP endpoint.
      if (config.traces !== undefined) {
        const traces = createOtlpTraceExporter({
          adapter: NAME,
          url: config.traces.url,
          headers: config.traces.authorization ? { Authorization: config.traces.authorization } : {},
          protocol: config.traces.protocol,
          channel: channelOptions,
        });
        channels.push(traces.channel as ExportChannel<unknown>);
        parts.spanExporter = traces.exporter;
      } else {
        ctx.diag.info(
          'elastic.no_traces',
          'elastic: traces are not sent; set traces: { url } or ELASTIC_APM_SERVER_URL (or ELASTIC_OTLP_ENDPOINT) to send them',
        );
      }

      ctx.registerStats(NAME, statsOf(...channels));
      return parts;
    },
  };
}

/**
 * Whether anything goes to Elasticsearch: metrics unless OTEL_METRICS_EXPORTER=none turns them off,
 * log lines by `_bulk` unless turned off, anomaly events unless the detector is.
 */
function sendsToElasticsearch(config: ElasticSettings, ctx: AdapterContext): boolean {
  return (
    !ctx.signalsOff.includes('metrics') ||
    (config.logs === 'bulk' && !ctx.signalsOff.includes('logs')) ||
    ctx.anomalyEvents
  );
}

interface BulkSetup {
  readonly dataset: string;
  readonly namespace: string;
  readonly channelOptions: ChannelOptions;
  /** Takes the channels made, for the adapter's stats. */
  readonly channels: ExportChannel<unknown>[];
}

/** The metric exporter, log sink and event sink, each over a `_bulk` channel of its own. */
function bulkParts(
  config: ElasticSettings,
  target: ElasticsearchTarget,
  ctx: AdapterContext,
  { dataset, namespace, channelOptions, channels }: BulkSetup,
): AdapterParts {
  const streams = {
    logs: dataStream('logs', dataset, namespace),
    metrics: dataStream('metrics', dataset, namespace),
    events: dataStream('logs', config.eventsDataset, namespace),
  };
  const identity: DocIdentity = {
    service: ctx.service,
    environment: ctx.environment,
    version: ctx.version,
    hostname: config.hostname,
    node: instanceId(ctx),
  };
  const headers: Record<string, string> = target.authorization ? { Authorization: target.authorization } : {};

  function bulkChannel<T>(
    signal: 'logs' | 'metrics' | 'events',
    url: URL,
    stream: DataStream,
    toDoc: (item: T) => Doc,
    sizeOf: (item: T) => number,
  ): ExportChannel<T> {
    const channel = createChannel<T>(
      {
        adapter: NAME,
        signal,
        url,
        headers,
        limits: { maxItems: config.maxItems, maxBytes: config.maxBytes },
        encode: (items) => encodeBulk(stream.name, items.map(toDoc)),
        sizeOf,
        splitOn413: true,
        onResponse: bulkResponseReader(ctx.diag, signal),
      },
      channelOptions,
    );
    channels.push(channel as ExportChannel<unknown>);
    return channel;
  }

  // Metrics: one document per series point, built as the collection is queued so bad points are counted early.
  const metrics = bulkChannel<Doc>(
    'metrics',
    target.metricsUrl,
    streams.metrics,
    (doc) => doc,
    sizeOfMetricDoc,
  );
  const metricExporter = createMetricExporter(metrics, {
    temporality: config.temporality,
    // Made as the channel takes them, a thousand a turn: a document costs a few microseconds,
    // and a big collection's all at once would hold the service's requests for tens of ms.
    *toItems(resourceMetrics) {
      let invalid = 0;
      for (const point of flattenResourceMetrics(resourceMetrics, (n) => metrics.discard(n, 'invalid'))) {
        let doc: Doc | undefined;
        try {
          if (isWritablePoint(point)) doc = metricToDoc(point, identity, streams.metrics);
        } catch {
          doc = undefined;
        }
        if (doc === undefined) invalid++;
        else yield doc;
      }
      if (invalid > 0) metrics.discard(invalid, 'invalid');
    },
  });

  const parts: AdapterParts = { metricExporter };

  // Logs: ECS lines on stdout always; shipped by _bulk unless a collector reads stdout.
  if (config.logs === 'bulk') {
    const logs = bulkChannel<string>(
      'logs',
      target.logsUrl,
      streams.logs,
      (line) => logLineToDoc(line, ctx.logKeys, identity, streams.logs, Date.now()),
      (line) => line.length + 200,
    );
    parts.logSink = createLogSink(logs);
  }

  // Anomaly events: ECS alerts in their own logs data stream.
  const events = bulkChannel<AnomalyEvent>(
    'events',
    target.eventsUrl,
    streams.events,
    (event) => anomalyToDoc(event, identity, streams.events),
    () => 900,
  );
  parts.eventSink = (event) => {
    events.push(event);
  };
  parts.flushEvents = () => events.forceFlush();
  parts.forceFlush = () => events.forceFlush();
  parts.shutdown = () => events.shutdown();
  return parts;
}

/** The instance's `service.instance.id`, random per `init()` unless the resource gives one. */
function instanceId(ctx: AdapterContext): string | undefined {
  const id = ctx.resource.attributes['service.instance.id'];
  return id === undefined ? undefined : String(id);
}
