import { type ErrorCode, ErrorCodes, SightlineConfigError, describeValue } from '../../src/diag/errors.js';
import type { ChannelLimits, ChannelOptions } from '../../src/export/index.js';
import {
  adapterChannel,
  adapterLimits,
  envValue,
  isLoopback,
  MAX_TIMER_MS,
  otlpEndpointFromEnv,
  otlpGzipFromEnv,
  otlpHeadersFromEnv,
  otlpTimeoutFromEnv,
  otlpTlsFilesFromEnv,
  otlpVariable,
  resolveEndpoint,
  type TlsFiles,
  underBase,
  invalidCode,
} from '../../src/export/index.js';
import type { OtlpProtocol, OtlpTemporality } from '../../src/export/otlp.js';
import { validateHeaders } from './headers.js';

/** The signals an OTLP collector takes; anomaly events ride on `logs`. */
export type OtlpSignalName = 'traces' | 'metrics' | 'logs';

/** Full URLs per signal, used as they are (no `/v1/...` appended). */
export interface OtlpEndpoints {
  readonly traces?: string | URL | undefined;
  readonly metrics?: string | URL | undefined;
  readonly logs?: string | URL | undefined;
}

/** Options of `otlp()`. Every one is optional; most fall back to the standard `OTEL_EXPORTER_OTLP_*` variables. */
export interface OtlpOptions {
  /**
   * Base URL of the collector, e.g. `http://collector:4318`; signals go to `/v1/traces`,
   * `/v1/metrics` and `/v1/logs` under it. Default: `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT` (as is),
   * then `OTEL_EXPORTER_OTLP_ENDPOINT` (plus `/v1/<signal>`), then `http://localhost:4318`.
   */
  readonly url?: string | URL | undefined;
  /** Full per-signal URLs, winning over `url` and the environment. */
  readonly endpoints?: OtlpEndpoints | undefined;
  /**
   * Request headers (auth). Merged over `OTEL_EXPORTER_OTLP_HEADERS` and the per-signal
   * `_HEADERS` variables, key by key. Never logged; with headers, a non-loopback endpoint must be HTTPS.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Default `OTEL_EXPORTER_OTLP_[<SIGNAL>_]PROTOCOL`, then `http/protobuf`. `grpc` is not supported. */
  readonly protocol?: OtlpProtocol | undefined;
  /** Which signals to send. Default all three. Anomaly events go with `logs`. */
  readonly signals?: readonly OtlpSignalName[] | undefined;
  /** Send anomaly events as OTLP log records (event name `sightline.anomaly`) when logs are on. Default true. */
  readonly events?: boolean | undefined;
  /**
   * Default `OTEL_EXPORTER_OTLP_[<SIGNAL>_]COMPRESSION`, then `gzip`, or `none` to a loopback
   * endpoint (a collector or agent on the same host), where compressing costs CPU and saves nothing.
   */
  readonly compression?: 'gzip' | 'none' | undefined;
  /** Default `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, then `cumulative`. */
  readonly temporality?: OtlpTemporality | undefined;
  /** Per-request timeout in ms. Default `OTEL_EXPORTER_OTLP_[<SIGNAL>_]TIMEOUT`, then 10,000. */
  readonly timeoutMs?: number | undefined;
  /** Per-request limits by signal; defaults 512 spans, 1,000 points, 1,000 log records, 4 MiB each. */
  readonly limits?: Readonly<Partial<Record<OtlpSignalName, Partial<ChannelLimits>>>> | undefined;
  /** Metric collection interval for this adapter, in ms. Default: sightline's `metricInterval`. */
  readonly metricIntervalMs?: number | undefined;
  /** Queue, batching and retry tuning for every channel. */
  readonly channel?: ChannelOptions | undefined;
  /** Adapter name in stats and diagnostics, to tell two collectors apart. Default `otlp`. */
  readonly name?: string | undefined;
  /** Where the `OTEL_EXPORTER_OTLP_*` variables are read from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** One signal's resolved destination. Never logged: the headers hold credentials. */
export interface SignalTarget {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsFiles;
  readonly protocol: OtlpProtocol;
  readonly timeoutMs: number;
  readonly gzip: boolean;
}

export interface ResolvedOtlpOptions {
  readonly name: string;
  readonly targets: Readonly<Partial<Record<OtlpSignalName, SignalTarget>>>;
  readonly events: boolean;
  readonly temporality: OtlpTemporality;
  readonly limits: Readonly<Partial<Record<OtlpSignalName, Partial<ChannelLimits>>>>;
  readonly metricIntervalMs: number | undefined;
  readonly channel: ChannelOptions;
  /**
   * A header that a variable left unset made, thrown at setup: init() fails in an environment whose
   * exporters include the adapter only, as for a missing API key.
   */
  readonly unset: SightlineConfigError | undefined;
}

const SIGNALS: readonly OtlpSignalName[] = ['traces', 'metrics', 'logs'];
const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];
const TEMPORALITIES: readonly OtlpTemporality[] = ['cumulative', 'delta', 'lowmemory'];
const DEFAULT_BASE = 'http://localhost:4318';
const DEFAULT_TIMEOUT_MS = 10_000;
const KNOWN = new Set([
  'url',
  'endpoints',
  'headers',
  'protocol',
  'signals',
  'events',
  'compression',
  'temporality',
  'timeoutMs',
  'limits',
  'metricIntervalMs',
  'channel',
  'name',
  'env',
]);

function fail(option: string, message: string, code: ErrorCode = ErrorCodes.CONFIG_INVALID_VALUE): never {
  throw new SightlineConfigError(code, option, `otlp(): ${message}`);
}

function endpointOf(options: OtlpOptions, env: OtlpOptions['env'], signal: OtlpSignalName) {
  const explicit = options.endpoints?.[signal];
  if (explicit !== undefined) return { option: `endpoints.${signal}`, url: explicit };
  if (options.url !== undefined) return { option: 'url', url: underBase(options.url, signal) };
  return otlpEndpointFromEnv(env, signal) ?? { option: 'url', url: underBase(DEFAULT_BASE, signal) };
}

function protocolOf(options: OtlpOptions, env: OtlpOptions['env'], signal: OtlpSignalName): OtlpProtocol {
  if (options.protocol !== undefined) return options.protocol;
  const v = otlpVariable(env, signal, 'PROTOCOL');
  if (v === undefined) return 'http/protobuf';
  if ((PROTOCOLS as readonly string[]).includes(v.value)) return v.value as OtlpProtocol;
  fail(
    v.name,
    `${v.name}=${describeValue(v.value)} is not supported; use http/protobuf or http/json (gRPC is not supported)`,
    ErrorCodes.CONFIG_INVALID_ENV,
  );
}

function timeoutOf(options: OtlpOptions, env: OtlpOptions['env'], signal: OtlpSignalName): number {
  if (options.timeoutMs !== undefined) return options.timeoutMs;
  if (options.channel?.timeoutMs !== undefined) return options.channel.timeoutMs;
  return otlpTimeoutFromEnv(env, signal) ?? DEFAULT_TIMEOUT_MS;
}

function gzipOf(options: OtlpOptions, env: OtlpOptions['env'], signal: OtlpSignalName, url: URL): boolean {
  if (options.compression !== undefined) return options.compression === 'gzip';
  if (options.channel?.gzip !== undefined) return options.channel.gzip;
  return otlpGzipFromEnv(env, signal) ?? !isLoopback(url.hostname);
}

function temporalityOf(options: OtlpOptions, env: OtlpOptions['env']): OtlpTemporality {
  if (options.temporality !== undefined) return options.temporality;
  const name = 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE';
  const v = envValue(env, name)?.toLowerCase();
  if (v === undefined) return 'cumulative';
  if ((TEMPORALITIES as readonly string[]).includes(v)) return v as OtlpTemporality;
  fail(
    name,
    `${name}=${describeValue(v)} is not supported; use cumulative, delta or lowmemory`,
    ErrorCodes.CONFIG_INVALID_ENV,
  );
}

function headersOf(
  options: OtlpOptions,
  env: OtlpOptions['env'],
  signal: OtlpSignalName,
  unset: SightlineConfigError[],
): Record<string, string> {
  const given = lowerKeys(options.headers ?? {});
  return { ...otlpHeadersFromEnv(env, signal, Object.keys(given), unset), ...given };
}

function lowerKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

function checkShape(options: OtlpOptions, unset: SightlineConfigError[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(
      'options',
      `options are ${describeValue(options)}; pass an object such as { url: 'http://collector:4318' }`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      fail(
        key,
        `unknown option ${JSON.stringify(key)}; known options are ${[...KNOWN].join(', ')}`,
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
      );
    }
  }
  const oneOf = (option: string, value: unknown, allowed: readonly string[]) => {
    if (value !== undefined && !allowed.includes(value as string))
      fail(
        option,
        `option ${option} is ${describeValue(value)}; use one of ${allowed.join(', ')}`,
        invalidCode(value, 'string'),
      );
  };
  oneOf('protocol', options.protocol, PROTOCOLS);
  oneOf('compression', options.compression, ['gzip', 'none']);
  oneOf('temporality', options.temporality, TEMPORALITIES);
  if (options.signals !== undefined) {
    if (!Array.isArray(options.signals))
      fail(
        'signals',
        `option signals is ${describeValue(options.signals)}; pass an array such as ['traces', 'metrics', 'logs']`,
        ErrorCodes.CONFIG_INVALID_TYPE,
      );
    for (const s of options.signals) oneOf('signals', s, SIGNALS);
  }
  for (const key of ['timeoutMs', 'metricIntervalMs'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > MAX_TIMER_MS))
      fail(
        key,
        `option ${key} is ${describeValue(v)}; use a whole number of milliseconds from 1 to ${MAX_TIMER_MS}`,
        invalidCode(v, 'number'),
      );
  }
  if (options.events !== undefined && typeof options.events !== 'boolean')
    fail(
      'events',
      `option events is ${describeValue(options.events)}; use true or false`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  if (
    options.name !== undefined &&
    (typeof options.name !== 'string' || !/^[\w.-]{1,64}$/.test(options.name))
  )
    fail(
      'name',
      `option name is ${describeValue(options.name)}; use letters, digits, '.', '_' or '-'`,
      invalidCode(options.name, 'string'),
    );
  if (options.endpoints !== undefined) {
    if (
      options.endpoints === null ||
      typeof options.endpoints !== 'object' ||
      Array.isArray(options.endpoints)
    )
      fail(
        'endpoints',
        `option endpoints is ${describeValue(options.endpoints)}; pass an object such as { traces: 'http://collector:4318/v1/traces' }`,
        ErrorCodes.CONFIG_INVALID_TYPE,
      );
    for (const key of Object.keys(options.endpoints)) oneOf(`endpoints.${key}`, key, SIGNALS);
  }
  if (options.headers !== undefined) validateHeaders('headers', options.headers, unset);
}

/**
 * Validates `otlp()` options and applies the `OTEL_EXPORTER_OTLP_*` variables: code options win,
 * then the per-signal variable, then the general one, then the defaults.
 *
 * @throws SightlineConfigError on a bad option or variable; messages never contain header values.
 * @example
 * resolveOtlpOptions({ url: 'http://127.0.0.1:4318', signals: ['traces'] }).targets.traces?.url.href;
 * // 'http://127.0.0.1:4318/v1/traces'
 */
export function resolveOtlpOptions(options: OtlpOptions = {}): ResolvedOtlpOptions {
  const unset: SightlineConfigError[] = [];
  checkShape(options, unset);
  const env = options.env ?? process.env;
  const signals = options.signals ?? SIGNALS;
  const targets: Partial<Record<OtlpSignalName, SignalTarget>> = {};
  for (const signal of SIGNALS) {
    if (!signals.includes(signal)) continue;
    const headers = headersOf(options, env, signal, unset);
    const { option, url } = endpointOf(options, env, signal);
    const resolved = resolveEndpoint(option, url, { credentials: Object.keys(headers).length > 0 });
    targets[signal] = {
      url: resolved,
      headers,
      tls: otlpTlsFilesFromEnv(env, signal),
      protocol: protocolOf(options, env, signal),
      timeoutMs: timeoutOf(options, env, signal),
      gzip: gzipOf(options, env, signal, resolved),
    };
  }
  return {
    name: options.name ?? 'otlp',
    targets,
    events: options.events ?? true,
    temporality: temporalityOf(options, env),
    limits: adapterLimits('limits', options.limits, SIGNALS),
    metricIntervalMs: options.metricIntervalMs,
    channel: adapterChannel('channel', options.channel),
    unset: unset[0],
  };
}
