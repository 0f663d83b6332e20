/**
 * The internal export API adapters import: adapters encode, this core sends.
 *
 * An adapter builds one channel per signal with {@link createChannel} (url, headers, limits,
 * `encode`, optional hooks), wraps it with {@link createMetricExporter}, {@link createSpanExporter}
 * or {@link createLogSink}, and registers {@link statsOf} its channels with `ctx.registerStats`.
 */
export {
  adapterChannel,
  adapterLimits,
  adapterEnv,
  type AdapterEnv,
  envValue,
  invalidCode,
  invalidOption,
  optionalPositiveInt,
} from './adapter-options.js';
export { envVerbatim, parseTagList } from '../config/env.js';
export { checkChannelOptions, createChannel } from './channel.js';
export { resourceUnder } from './identity.js';
export { ClientUnavailableError } from './client-unavailable.js';
export { cutDistinct, DIGEST_CHARS, keepNamesApart, withDigest } from './distinct-cut.js';
export { encodeTurn } from './encode-turns.js';
export { ItemTooLargeError } from './item-too-large.js';
export { setField } from './own-field.js';
export { lineExpired, lineTime, outsideWindow, type TimeWindow } from './log-time.js';
export { defaultLevelName, isDefaultLevel } from './log-levels.js';
export { MAX_TIMER_MS } from '../internal/timer-ms.js';
export { cutText, cutUtf8 } from '../internal/cut-text.js';
export { stripUndefined } from '../internal/strip-undefined.js';
export type {
  ChannelLimits,
  ChannelOptions,
  ChannelSpec,
  ClientTls,
  EncodedBody,
  ExportChannel,
  ExportResponse,
  OutgoingRequest,
  ResponseVerdict,
} from './spec.js';
export { DEFAULT_RETRY, parseRetryAfter, type RetryPolicy } from './retry.js';
export { defaultIsRetryable, describeUrl } from './transport.js';
export { isLoopback, resolveEndpoint, type EndpointOptions } from './endpoint.js';
export {
  HEADER_NAME,
  leftUnset,
  otlpEndpointFromEnv,
  otlpGzipFromEnv,
  otlpHeadersFromEnv,
  otlpTimeoutFromEnv,
  otlpTlsFilesFromEnv,
  otlpVariable,
  type TlsFiles,
  underBase,
} from './otlp-env.js';
export { readTlsFiles } from './otlp-tls.js';
export {
  addHistogramDeltas,
  flattenResourceMetrics,
  type HistogramPoint,
  type MetricKind,
  type MetricPoint,
  type NumberPoint,
} from './metric-points.js';
export {
  createLogSink,
  createMetricExporter,
  createSpanExporter,
  type MetricExporterOptions,
} from './otel-exporters.js';
export { createStatsRegistry, registerExportMetrics, statsOf, type StatsRegistry } from './stats.js';
export type * from './types.js';
