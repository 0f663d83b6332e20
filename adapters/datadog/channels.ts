import type { Diag } from '../../src/diag/diag.js';
import {
  type ChannelOptions,
  type ChannelSpec,
  checkChannelOptions,
  createChannel,
  type ExportChannel,
  type ExportResponse,
  type LogKeys,
  lineExpired,
  type Signal,
  type TimeWindow,
} from '../../src/export/index.js';
import { eventExpired } from './encode-events.js';
import { createLogEncoder, type DdLogLine, type LogEntryDefaults, logsBody } from './encode-logs.js';
import { pointExpired, seriesBody } from './encode-metrics.js';

const ADAPTER = 'datadog';
const JSON_TYPE = 'application/json';

/**
 * Queue sizes per signal unless `channel.queueSize` says otherwise. A whole collection is queued at
 * once, before anything is sent, and a histogram series becomes 5 + percentiles Datadog series: the
 * metrics queue must hold the largest collection (50,000 series of about 250 bytes: ~12 MB at most).
 * Events keep the core's 2,048 (and its 32 MiB): a detection cycle pushes an outage's events at
 * once, up to two per route of a few hundred routes, about 1 KB each.
 */
const QUEUE_SIZE: { readonly [signal in Signal]?: number } = { metrics: 50_000, logs: 10_000 };

/** Log timestamps `/api/v2/logs` takes: up to 18 hours past and 2 hours ahead. */
const LOG_WINDOW: TimeWindow = { pastMs: 18 * 3_600_000, aheadMs: 2 * 3_600_000 };

/**
 * Datadog answers 429 with `X-RateLimit-Reset` (seconds until the window resets) rather than
 * `Retry-After`; `undefined` lets the core fall back to `Retry-After`, then to back-off.
 *
 * @example
 * rateLimitDelayMs({ status: 429, headers: new Headers({ 'x-ratelimit-reset': '2' }), body: '', truncated: false }); // 2000
 */
export function rateLimitDelayMs(response: ExportResponse): number | undefined {
  if (response.status !== 429) return undefined;
  const raw = response.headers.get('x-ratelimit-reset');
  if (raw === null || !/^\s*\d+(\.\d+)?\s*$/.test(raw)) return undefined;
  return Math.ceil(Number(raw) * 1000);
}

/** Shared by the three intake channels: where, the key header, and Datadog's answers. */
export interface IntakeConfig {
  readonly apiKey: string;
  readonly channel: ChannelOptions;
  readonly diag: Diag;
}

function common<T>(
  config: IntakeConfig,
  url: URL,
): Pick<ChannelSpec<T>, 'adapter' | 'url' | 'headers' | 'splitOn413' | 'retryDelayMs'> {
  return {
    adapter: ADAPTER,
    url,
    headers: { 'DD-API-KEY': config.apiKey },
    splitOn413: true,
    retryDelayMs: rateLimitDelayMs,
  };
}

function options(config: IntakeConfig, signal: Signal): ChannelOptions {
  return {
    ...config.channel,
    queueSize: config.channel.queueSize ?? QUEUE_SIZE[signal],
    diag: config.diag,
  };
}

/**
 * Checks the channel options as the intake channel of `signal` will be made with them, throwing
 * its coded error now.
 */
export function checkIntakeOptions(config: IntakeConfig, signal: Signal): void {
  checkChannelOptions(ADAPTER, signal, options(config, signal));
}

/** Reads a 202 `{"errors": [...]}`: Datadog accepted the payload but says something was off. */
function reportErrors(diag: Diag, signal: string) {
  return (response: ExportResponse): undefined => {
    if (!response.body.includes('"errors"')) return undefined;
    let errors: unknown;
    try {
      errors = (JSON.parse(response.body) as { errors?: unknown }).errors;
    } catch {
      return undefined;
    }
    if (Array.isArray(errors) && errors.length > 0) {
      const first = String(errors[0]).slice(0, 200);
      diag.warn(
        `export.datadog.${signal}.errors`,
        `datadog ${signal}: intake accepted with errors: ${first}`,
      );
    }
    return undefined;
  };
}

/**
 * The `/api/v2/series` channel. Items are serialised series; a request holds at most 5,000 of them,
 * 5 MB before compression and 512,000 bytes after (Datadog's payload limit), split further on 413.
 * A point that waited past the hour Datadog takes it (an outage, a paused process) is not sent.
 */
export function createMetricsChannel(config: IntakeConfig, url: URL): ExportChannel<string> {
  return createChannel<string>(
    {
      ...common<string>(config, url),
      signal: 'metrics',
      limits: { maxItems: 5000, maxBytes: 5_000_000, maxCompressedBytes: 512_000 },
      encode: (items) => ({ body: seriesBody(items), contentType: JSON_TYPE }),
      sizeOf: (item) => item.length + 1,
      expired: pointExpired,
      onResponse: reportErrors(config.diag, 'metrics'),
    },
    options(config, 'metrics'),
  );
}

/**
 * The `/api/v2/logs` channel. Items are sightline's JSON log lines, remapped at encode time; a
 * request holds at most 1,000 entries and 5 MB before compression; an entry over 1 MB is cut, and
 * counted through `onCut` once per line, as are the tags cut to 200 characters it carries: a batch
 * cut in halves (413) is encoded again. One that cannot fit even cut is dropped by the core as
 * `too_large`; one that waited past the 18 hours Datadog takes it, as `expired`.
 */
export function createLogsChannel(
  config: IntakeConfig,
  url: URL,
  defaults: LogEntryDefaults,
  keys: () => LogKeys,
  onCut: (count: number) => void,
): ExportChannel<DdLogLine> {
  const encoder = createLogEncoder(defaults, keys);
  const tagsCut = defaults.tagsCut ?? 0;
  const headSize = JSON.stringify(defaults).length + 64;
  return createChannel<DdLogLine>(
    {
      ...common<DdLogLine>(config, url),
      signal: 'logs',
      limits: { maxItems: 1000, maxBytes: 5_000_000 },
      encode: (items) => {
        let cut = 0;
        let fresh = 0;
        const countCut = () => {
          cut++;
        };
        const body = logsBody(
          items.map((item) => {
            if (item.counted) return encoder.entry(item.line);
            item.counted = true;
            fresh++;
            return encoder.entry(item.line, countCut);
          }),
        );
        if (cut + fresh * tagsCut > 0) onCut(cut + fresh * tagsCut);
        if (cut > 0) {
          config.diag.warn(
            'export.datadog.logs.truncated',
            `datadog logs: ${cut} entries over 1 MB were cut`,
          );
        }
        return { body, contentType: JSON_TYPE };
      },
      sizeOf: (item) => item.line.length + headSize,
      expired: lineExpired(LOG_WINDOW, keys),
    },
    options(config, 'logs'),
  );
}

/**
 * The `/api/v1/events` channel: one anomaly per request, as the Events API takes them, several
 * requests in flight (the core's default for such channels). Items are bodies made by `encodeEvent`
 * when the anomaly is detected, so a tag it cuts is counted once however often the request is sent;
 * one that waited past the 18 hours Datadog takes it is dropped as `expired`.
 */
export function createEventsChannel(config: IntakeConfig, url: URL): ExportChannel<string> {
  return createChannel<string>(
    {
      ...common<string>(config, url),
      signal: 'events',
      limits: { maxItems: 1, maxBytes: 64 * 1024 },
      encode: (bodies) => ({ body: bodies[0] as string, contentType: JSON_TYPE }),
      expired: eventExpired,
      sizeOf: (body) => body.length,
    },
    options(config, 'events'),
  );
}
