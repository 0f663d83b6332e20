import {
  type AdapterParts,
  type ExportChannel,
  readTlsFiles,
  type SightlineAdapter,
  statsOf,
} from '../../src/export/index.js';
import { createOtlpTraceExporter } from '../../src/export/otlp.js';
import { assertInstalled, CLOUDWATCH_SDK, LOGS_SDK } from './aws-sdk.js';
import { cloudWatchLogFormat } from './log-format.js';
import { type CloudWatchOptions, resolveCloudWatchOptions } from './options.js';
import { setupApi } from './setup-api.js';
import { setupEmf } from './setup-emf.js';
import { settingsFor } from './settings.js';
import { XRayIdGenerator } from './xray-ids.js';

/**
 * The AWS CloudWatch / X-Ray adapter. In `emf` mode (the default, no network) metrics are written
 * as Embedded Metric Format lines on stdout at each collection; in `api` mode they go by
 * PutMetricData and log lines by PutLogEvents through the AWS SDK v3. Log lines carry the X-Ray
 * form of the trace id; anomaly events become a log line with `AnomalyScore`/`AnomalySeverity`
 * metrics; spans go by OTLP to an ADOT collector or CloudWatch agent when `traces` is on.
 *
 * @throws SightlineConfigError on a bad option, a missing region in api mode
 * (`SL_ERR_CONFIG_INVALID_VALUE`) or a missing AWS SDK package (`SL_ERR_CONFIG_MISSING_DEPENDENCY`).
 * @example
 * import { init } from 'sightline';
 * import { cloudwatch } from 'sightline/cloudwatch';
 * init({ service: 'checkout', exporters: [cloudwatch({ namespace: 'Shop/Checkout', traces: true })] });
 */
export function cloudwatch(options: CloudWatchOptions = {}): SightlineAdapter {
  const resolved = resolveCloudWatchOptions(options);
  if (resolved.mode === 'api') {
    if (resolved.logs || resolved.events) assertInstalled(CLOUDWATCH_SDK, LOGS_SDK);
    else assertInstalled(CLOUDWATCH_SDK);
  }
  return {
    name: 'cloudwatch',
    setup(ctx) {
      if (resolved.tracesUnset !== undefined) throw resolved.tracesUnset;
      const s = settingsFor(resolved, ctx);
      const channels: ExportChannel<unknown>[] = [];
      let parts: AdapterParts;
      let destroy: () => Promise<void> = () => Promise.resolve();
      if (resolved.mode === 'api') {
        const api = setupApi(s, ctx);
        parts = api.parts;
        channels.push(...api.channels);
        destroy = api.destroy;
        ctx.registerStats('cloudwatch', statsOf(...api.channels));
      } else {
        const emf = setupEmf(s, ctx);
        const { stats, ...rest } = emf;
        parts = rest;
        ctx.registerStats('cloudwatch', stats);
      }
      if (resolved.traces) {
        const { exporter, channel } = createOtlpTraceExporter({
          adapter: 'cloudwatch',
          url: resolved.endpoints.traces,
          headers: resolved.tracesHeaders,
          tls: readTlsFiles(resolved.tracesTls),
          protocol: 'http/protobuf',
          channel: resolved.tracesChannel,
          diag: ctx.diag,
          // CloudWatch's OTLP traces endpoint takes at most 10,000 spans and 5 MB per request.
          limits: { maxItems: 512, maxBytes: 4 * 1024 * 1024 },
        });
        parts.spanExporter = exporter;
        channels.push(channel as ExportChannel<unknown>);
        ctx.registerStats('cloudwatch', statsOf(channel));
      }
      if (resolved.xrayIds) {
        parts.idGenerator = new XRayIdGenerator();
        // Its time comes first: the 96 bits after it are random.
        parts.randomTraceIds = true;
      }
      parts.logFormat = cloudWatchLogFormat(resolved.xrayTraceIdKey);
      if (resolved.metricIntervalMs !== undefined) parts.metricIntervalMs = resolved.metricIntervalMs;
      parts.forceFlush = async () => {
        await Promise.all(channels.map((c) => c.forceFlush()));
      };
      parts.shutdown = async () => {
        // The core shuts the metric exporter and log sink down in parallel with this; shutdown is
        // idempotent, so waiting on every channel here keeps the SDK clients alive until all drained.
        await Promise.all(channels.map((c) => c.shutdown()));
        await destroy();
      };
      return parts;
    },
  };
}
