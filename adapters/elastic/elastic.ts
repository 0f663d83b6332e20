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
import { type MissingSetting, type ResolvedElastic, requireSettings } from './options.js';

const NAME = 'elastic';

/**
 * Builds the adapter from checked options; `setup` throws what the environment lacks, then wires one
 * `_bulk` channel per signal into the export core.
 */
export function createElasticAdapter(checked: ResolvedElastic | MissingSetting): SightlineAdapter {
  return {
    name: NAME,
    setup(ctx: AdapterContext): AdapterParts {
      const config = requireSettings(checked);
      const dataset = config.dataset ?? cleanDataStreamPart(ctx.service, 'generic');
      const namespace = config.namespace ?? cleanDataStreamPart(ctx.environment, 'default');
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
      };
      const channelOptions: ChannelOptions = { ...config.channel, diag: config.channel.diag ?? ctx.diag };
      const headers: Record<string, string> = config.authorization
        ? { Authorization: config.authorization }
        : {};
      const channels: ExportChannel<unknown>[] = [];

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
        config.metricsUrl,
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

      const parts: AdapterParts = {
        metricExporter,
        ...(config.metricIntervalMs !== undefined ? { metricIntervalMs: config.metricIntervalMs } : {}),
        logFormat: elasticLogFormat({ environment: ctx.environment, dataset }),
      };

      // Logs: ECS lines on stdout always; shipped by _bulk unless a collector reads stdout.
      if (config.logs === 'bulk') {
        const logs = bulkChannel<string>(
          'logs',
          config.logsUrl,
          streams.logs,
          (line) => logLineToDoc(line, ctx.logKeys, identity, streams.logs, Date.now()),
          (line) => line.length + 200,
        );
        parts.logSink = createLogSink(logs);
      }

      // Anomaly events: ECS alerts in their own logs data stream.
      const events = bulkChannel<AnomalyEvent>(
        'events',
        config.eventsUrl,
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
