import { hostname as osHostname } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import {
  type AdapterContext,
  type AdapterParts,
  type ChannelOptions,
  createChannel,
  createLogSink,
  createMetricExporter,
  createSpanExporter,
  type ExportChannel,
  flattenResourceMetrics,
  lineExpired,
  outsideWindow,
  type SightlineAdapter,
  statsOf,
  type TimeWindow,
} from '../../src/export/index.js';
import { createOtlpTraceExporter } from '../../src/export/otlp.js';
import { type AttributeCuts, countCuts, type NrValue, toNrValue, MAX_VALUE_CHARS } from './attributes.js';
import { encodeEvents, type NrEvent, sizeOfEvent, toNrEvent } from './encode-events.js';
import { encodeLogs, type NrLogLine, sizeOfLine } from './encode-logs.js';
import {
  encodeMetrics,
  MAX_METRIC_ATTRIBUTES,
  metricAttributeName,
  metricExpired,
  type NrMetric,
  sizeOfMetric,
  toNrMetrics,
} from './encode-metrics.js';
import { entityFields, newRelicLogFormat } from './log-format.js';
import { type ResolvedNewRelic, requireLicenseKey } from './options.js';
import { clampSpans } from './span-limits.js';
import { reportAccepted } from './responses.js';

const NAME = 'newrelic';

/**
 * How old a record the Log API and the Event API keep: 48 hours and 24. Neither states a limit
 * ahead; one the Event API refuses only shows as an NrIntegrationError after a 200.
 */
const LOG_WINDOW: TimeWindow = { pastMs: 48 * 3_600_000, aheadMs: Number.POSITIVE_INFINITY };
const EVENT_WINDOW: TimeWindow = { pastMs: 24 * 3_600_000, aheadMs: Number.POSITIVE_INFINITY };

/** Builds the adapter from resolved options; `setup` wires one channel per signal into the export core. */
export function createNewRelicAdapter(config: ResolvedNewRelic): SightlineAdapter {
  return {
    name: NAME,
    setup(ctx: AdapterContext): AdapterParts {
      const licenseKey = requireLicenseKey(config, ctx);
      const host = config.hostname ?? safeHostname();
      // New Relic names a service's entity after the service.name its spans and metrics carry: a log
      // line naming another would point logs in context at an entity without those traces.
      const entityName = ctx.service;
      if (config.appName !== undefined && config.appName !== entityName) {
        ctx.diag.once(
          'newrelic.app_name',
          `newrelic: the app name ${JSON.stringify(config.appName)} (appName or NEW_RELIC_APP_NAME) differs from ` +
            `the service in use (${JSON.stringify(entityName)}), which names the entity of spans, metrics and log lines; ` +
            'set service (or OTEL_SERVICE_NAME) to that name to keep it',
        );
      }
      if (config.regionHint) {
        ctx.diag.once(
          'newrelic.region_hint',
          "newrelic: the license key looks like an EU account's key but the region is US; " +
            "set region: 'EU' (or NEW_RELIC_REGION=EU) if your account is in the EU data centre",
        );
      }
      const channelOptions: ChannelOptions = { ...config.channel, diag: ctx.diag };
      const headers = { 'Api-Key': licenseKey };
      const limits = (maxItems: number) => ({
        maxItems: config.maxItems ?? maxItems,
        maxBytes: config.maxBytes,
        maxCompressedBytes: config.maxBytes,
      });
      const debug = ctx.diag.level === 'debug';
      const countDrop: AdapterContext['countDrop'] = (reason, n) => ctx.countDrop(reason, n);
      const channels: Pick<ExportChannel<unknown>, 'signal' | 'stats' | 'shutdown'>[] = [];

      // Metrics: Metric API, delta counters and histograms, shared attributes once per request.
      const commonMetric = metricCommon(ctx, host);
      const pointBudget = Math.max(0, MAX_METRIC_ATTRIBUTES - Object.keys(commonMetric).length);
      const metricsChannel = createChannel<NrMetric>(
        {
          adapter: NAME,
          signal: 'metrics',
          url: config.metricsUrl,
          headers,
          limits: limits(20_000),
          encode: (items) => encodeMetrics(items, commonMetric),
          sizeOf: sizeOfMetric,
          expired: metricExpired,
          splitOn413: true,
          ...(debug ? { onResponse: reportAccepted(ctx.diag, 'metrics') } : {}),
        },
        channelOptions,
      );
      channels.push(metricsChannel);
      const metricExporter = createMetricExporter(metricsChannel, {
        temporality: 'delta',
        toItems: (resourceMetrics) => {
          const points = flattenResourceMetrics(resourceMetrics, (n) => metricsChannel.discard(n, 'invalid'));
          const { metrics, invalid, leftOut, cut } = toNrMetrics(points, pointBudget, commonMetric);
          if (invalid > 0) metricsChannel.discard(invalid, 'invalid');
          countCuts({ leftOut, cut }, countDrop);
          return metrics;
        },
      });

      // Logs: New Relic's fields on every stdout line; shipped to the Log API only when asked.
      const entity = entityFields(entityName, host);
      const parts: AdapterParts = {
        metricExporter,
        ...(config.metricIntervalMs !== undefined ? { metricIntervalMs: config.metricIntervalMs } : {}),
        logFormat: newRelicLogFormat(entity),
      };
      if (config.logs === 'api') {
        const commonLog: Record<string, NrValue> = {
          'service.name': ctx.service,
          'deployment.environment.name': ctx.environment,
          ...(ctx.version !== undefined ? { 'service.version': ctx.version } : {}),
          ...entity,
        };
        const logsChannel = createChannel<NrLogLine>(
          {
            adapter: NAME,
            signal: 'logs',
            url: config.logsUrl,
            headers,
            limits: limits(10_000),
            encode: (lines) => encodeLogs(lines, ctx.logKeys, commonLog, countDrop),
            sizeOf: sizeOfLine,
            expired: lineExpired(LOG_WINDOW, () => ctx.logKeys),
            splitOn413: true,
            ...(debug ? { onResponse: reportAccepted(ctx.diag, 'logs') } : {}),
          },
          channelOptions,
        );
        channels.push(logsChannel);
        parts.logSink = createLogSink(logsChannel, (line) => ({ line, counted: false }));
      }

      // Traces: OTLP/HTTP to the region's OTLP endpoint, cut under New Relic's 1 MB, attributes
      // within its OTLP limits.
      const traces = createOtlpTraceExporter({
        adapter: NAME,
        url: config.tracesUrl,
        headers: { 'api-key': licenseKey },
        protocol: config.otlpProtocol,
        limits: { maxBytes: config.maxBytes, maxCompressedBytes: config.maxBytes },
        channel: channelOptions,
      });
      channels.push(traces.channel);
      parts.spanExporter = createSpanExporter(traces.channel, clampSpans);

      // Anomaly events: custom events through the Event API, when an account id (or URL) is known.
      let eventsChannel: ExportChannel<NrEvent> | undefined;
      if (config.eventsUrl !== undefined) {
        const events = createChannel<NrEvent>(
          {
            adapter: NAME,
            signal: 'events',
            url: config.eventsUrl,
            headers,
            limits: limits(1000),
            encode: encodeEvents,
            sizeOf: sizeOfEvent,
            expired: (event, nowMs) =>
              typeof event.timestamp === 'number' && outsideWindow(event.timestamp, nowMs, EVENT_WINDOW),
            splitOn413: true,
            ...(debug ? { onResponse: reportAccepted(ctx.diag, 'events') } : {}),
          },
          channelOptions,
        );
        eventsChannel = events;
        channels.push(events);
        const identity = { eventType: config.eventType, hostname: host, version: ctx.version };
        parts.eventSink = (event) => {
          let encoded: NrEvent;
          const cuts: AttributeCuts = { leftOut: 0, cut: 0 };
          try {
            encoded = toNrEvent(event, identity, cuts);
          } catch {
            events.discard(1, 'encode_error');
            return;
          }
          countCuts(cuts, countDrop);
          events.push(encoded);
        };
        parts.flushEvents = () => events.forceFlush();
      } else {
        ctx.diag.info(
          'newrelic.no_events',
          'newrelic: anomaly events are not sent to the Event API; set accountId or NEW_RELIC_ACCOUNT_ID to send them',
        );
      }
      parts.forceFlush = async () => {
        await eventsChannel?.forceFlush();
      };
      parts.shutdown = async () => {
        await eventsChannel?.shutdown();
      };

      ctx.registerStats(NAME, statsOf(...channels));
      return parts;
    },
  };
}

/**
 * The `common` block of every Metric API request: the resource (service name, version,
 * `deployment.environment.name`, SDK), plus `environment` and `host.name` as New Relic's examples
 * name them.
 */
function metricCommon(ctx: AdapterContext, host: string): Record<string, NrValue> {
  const common: Record<string, NrValue> = {};
  const attributes: Attributes = { ...ctx.resource.attributes, environment: ctx.environment };
  if (attributes['host.name'] === undefined) attributes['host.name'] = host;
  for (const key in attributes) {
    const value = toNrValue(attributes[key], MAX_VALUE_CHARS);
    const name = metricAttributeName(key, '');
    if (value !== undefined && name !== undefined) common[name] = value;
    if (Object.keys(common).length >= MAX_METRIC_ATTRIBUTES / 2) break;
  }
  return common;
}

function safeHostname(): string {
  try {
    return osHostname();
  } catch {
    return 'unknown';
  }
}
