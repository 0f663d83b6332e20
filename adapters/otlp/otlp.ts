import type { SightlineAdapter } from '../../src/export/index.js';
import { readTlsFiles, statsOf } from '../../src/export/index.js';
import {
  createOtlpEventSink,
  createOtlpLogSink,
  createOtlpMetricExporter,
  createOtlpTraceExporter,
  type OtlpChannelConfig,
} from '../../src/export/otlp.js';
import { type OtlpOptions, type OtlpSignalName, resolveOtlpOptions, type SignalTarget } from './options.js';

/**
 * The OTLP/HTTP adapter: spans to `/v1/traces`, metrics to `/v1/metrics`, log lines and anomaly
 * events (log records with event name `sightline.anomaly`) to `/v1/logs` of any OpenTelemetry
 * collector or OTLP intake, in protobuf (default) or JSON. Options are validated here, so a mistake
 * fails at `init()` with a `SightlineConfigError`.
 *
 * @throws SightlineConfigError for a bad option or `OTEL_EXPORTER_OTLP_*` variable (`SL_ERR_CONFIG_*`).
 * @example
 * init({
 *   service: 'checkout',
 *   exporters: [otlp({ url: 'https://collector.internal:4318', headers: { authorization: `Bearer ${token}` } })],
 * });
 */
export function otlp(options: OtlpOptions = {}): SightlineAdapter {
  const resolved = resolveOtlpOptions(options);
  const { name, targets } = resolved;
  return {
    name,
    setup(ctx) {
      if (resolved.unset !== undefined) throw resolved.unset;
      const config = (signal: OtlpSignalName, target: SignalTarget): OtlpChannelConfig => ({
        adapter: name,
        url: target.url,
        headers: target.headers,
        tls: readTlsFiles(target.tls),
        protocol: target.protocol,
        limits: resolved.limits[signal],
        diag: ctx.diag,
        channel: { ...resolved.channel, timeoutMs: target.timeoutMs, gzip: target.gzip },
      });
      const channels: Parameters<typeof statsOf> = [];
      const traces = targets.traces && createOtlpTraceExporter(config('traces', targets.traces));
      const metrics =
        targets.metrics &&
        createOtlpMetricExporter({
          ...config('metrics', targets.metrics),
          temporality: resolved.temporality,
        });
      const logs =
        targets.logs &&
        createOtlpLogSink({
          ...config('logs', targets.logs),
          logKeys: () => ctx.logKeys,
          resource: ctx.resource,
        });
      const events =
        targets.logs && resolved.events
          ? createOtlpEventSink({ ...config('logs', targets.logs), resource: ctx.resource })
          : undefined;
      for (const part of [traces, metrics, logs, events]) if (part) channels.push(part.channel);
      ctx.registerStats(name, statsOf(...channels));
      return {
        spanExporter: traces?.exporter,
        metricExporter: metrics?.exporter,
        metricIntervalMs: resolved.metricIntervalMs,
        logSink: logs?.sink,
        eventSink: events?.sink,
        flushEvents: events && (() => events.channel.forceFlush()),
        forceFlush: async () => {
          await events?.channel.forceFlush();
        },
        shutdown: async () => {
          await events?.channel.shutdown();
        },
      };
    },
  };
}
