import { describeValue, ErrorCodes, SightlineConfigError } from '../../src/diag/errors.js';
import {
  adapterChannel,
  adapterEnv,
  type AdapterContext,
  type ChannelOptions,
  envValue,
  invalidOption,
  optionalPositiveInt,
  resolveEndpoint,
  invalidCode,
} from '../../src/export/index.js';
import { type NewRelicRegion, REGION_ENDPOINTS } from './endpoints.js';

/** Full URLs replacing the region's intake URLs (a proxy, FedRAMP hosts, a test server). */
export interface NewRelicEndpoints {
  /** Metric API, e.g. `https://metric-api.newrelic.com/metric/v1`. */
  metrics?: string | URL | undefined;
  /** Log API, e.g. `https://log-api.newrelic.com/log/v1`. */
  logs?: string | URL | undefined;
  /** OTLP/HTTP traces, with the path: e.g. `https://otlp.nr-data.net/v1/traces`. */
  traces?: string | URL | undefined;
  /** Event API, e.g. `https://insights-collector.newrelic.com/v1/accounts/123/events`. */
  events?: string | URL | undefined;
}

/** Options of {@link newrelic}. Every one is optional when the matching environment variable is set. */
export interface NewRelicOptions {
  /** Ingest license key. Default: `NEW_RELIC_LICENSE_KEY`. Required. */
  licenseKey?: string | undefined;
  /** Data centre. Default: `NEW_RELIC_REGION`, else `'US'`. */
  region?: NewRelicRegion | undefined;
  /** Account id, needed to send anomaly events to the Event API. Default: `NEW_RELIC_ACCOUNT_ID`. */
  accountId?: string | number | undefined;
  /**
   * The APM agent's app name. Log lines' `entity.name` is the service name spans and metrics carry,
   * which New Relic names the entity after; a different app name is reported once in diagnostics.
   * Default: `NEW_RELIC_APP_NAME` (first name).
   */
  appName?: string | undefined;
  /** `'stdout'` (default): log lines carry New Relic's fields for a log forwarder; `'api'`: also POST them to the Log API. */
  logs?: 'api' | 'stdout' | undefined;
  /** Custom event type of anomaly events. Default `SightlineAnomaly`. */
  eventType?: string | undefined;
  /** Host name on log lines and metrics. Default: `os.hostname()`. */
  hostname?: string | undefined;
  /** Full URLs replacing the region's defaults. */
  endpoints?: NewRelicEndpoints | undefined;
  /** Encoding of OTLP traces. Default `'http/protobuf'`, which New Relic recommends. */
  otlpProtocol?: 'http/protobuf' | 'http/json' | undefined;
  /** Metric collection interval for this adapter. Default: sightline's `metricInterval`. */
  metricIntervalMs?: number | undefined;
  /** Per-request limits for the Metric, Log and Event APIs; defaults follow New Relic's documented 1 MB. */
  limits?: { maxBytes?: number | undefined; maxItems?: number | undefined } | undefined;
  /** Queue, batching, timeout and retry tuning shared by every signal. */
  channel?: ChannelOptions | undefined;
  /** Environment to read instead of `process.env` (tests). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The options after validation and environment reading. */
export interface ResolvedNewRelic {
  /** Absent when neither the option nor the environment gives one: {@link requireLicenseKey} fails at setup. */
  readonly licenseKey: string | undefined;
  readonly region: NewRelicRegion;
  readonly appName: string | undefined;
  readonly logs: 'api' | 'stdout';
  readonly eventType: string;
  readonly hostname: string | undefined;
  readonly metricsUrl: URL;
  readonly logsUrl: URL;
  readonly tracesUrl: URL;
  /** Absent when neither an account id nor an events endpoint is known: anomaly events are not sent. */
  readonly eventsUrl: URL | undefined;
  readonly otlpProtocol: 'http/protobuf' | 'http/json';
  readonly metricIntervalMs: number | undefined;
  readonly maxBytes: number;
  readonly maxItems: number | undefined;
  readonly channel: ChannelOptions;
  /** The key looks like an EU account's while the region is US (a hint only; never changes the region). */
  readonly regionHint: boolean;
}

const KNOWN = new Set([
  'licenseKey',
  'region',
  'accountId',
  'appName',
  'logs',
  'eventType',
  'hostname',
  'endpoints',
  'otlpProtocol',
  'metricIntervalMs',
  'limits',
  'channel',
  'env',
]);
const ENDPOINT_KEYS = new Set(['metrics', 'logs', 'traces', 'events']);

/** New Relic's documented cap per POST: 10^6 bytes. */
export const MAX_PAYLOAD_BYTES = 1_000_000;

/**
 * Validates the factory's options and reads `NEW_RELIC_*` variables (options win). Throws a coded
 * `SightlineConfigError` naming the option and the fix; the license key never appears in a message.
 * A missing license key is left to {@link requireLicenseKey}, so an environment that does not use
 * the adapter needs none.
 */
export function resolveOptions(input: NewRelicOptions | undefined): ResolvedNewRelic {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw invalidOption(
      'newrelic',
      `newrelic(options) expects an object, got ${describeValue(input)}`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const options = input ?? {};
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
        `newrelic.${key}`,
        `newrelic() has no option ${JSON.stringify(key)}; known options: ${[...KNOWN].join(', ')}`,
      );
    }
  }
  const env = adapterEnv('newrelic.env', options.env);
  const licenseKey = resolveLicenseKey(options.licenseKey, env);
  try {
    return resolveRest(options, env, licenseKey);
  } catch (error) {
    throw licenseKey === undefined ? error : scrub(error, licenseKey);
  }
}

/**
 * The license key, or a coded error when none is set. `setup` calls it, so init() fails only in an
 * environment whose exporters include the adapter. With every signal it sends turned off by
 * OTEL_<SIGNAL>_EXPORTER=none (log lines on stdout, and no account id for anomaly events or the
 * detector off by `anomaly: false`) the adapter sends nothing, and an empty key stands in for the
 * one it does not need.
 */
export function requireLicenseKey(
  config: ResolvedNewRelic,
  { signalsOff: off, anomalyEvents }: Pick<AdapterContext, 'signalsOff' | 'anomalyEvents'>,
): string {
  if (config.licenseKey !== undefined) return config.licenseKey;
  const sends =
    !off.includes('metrics') ||
    !off.includes('traces') ||
    (config.logs === 'api' && !off.includes('logs')) ||
    (config.eventsUrl !== undefined && anomalyEvents);
  if (!sends) return '';
  throw new SightlineConfigError(
    ErrorCodes.CONFIG_MISSING_CREDENTIALS,
    'newrelic.licenseKey',
    'New Relic needs an ingest license key; pass newrelic({ licenseKey }) or set NEW_RELIC_LICENSE_KEY',
  );
}

/**
 * A key pasted into the wrong option (a region, an endpoint path) would be echoed by the error
 * describing that option; this takes it out of the message.
 */
function scrub(error: unknown, licenseKey: string): unknown {
  if (!(error instanceof SightlineConfigError) || !error.message.includes(licenseKey)) return error;
  const text = error.message.replace(` [${error.code}]`, '').split(licenseKey).join('<redacted>');
  return new SightlineConfigError(error.code, error.option.split(licenseKey).join('<redacted>'), text);
}

function resolveRest(options: NewRelicOptions, env: Env, licenseKey: string | undefined): ResolvedNewRelic {
  const region = resolveRegion(options.region, env);
  const accountId = resolveAccountId(options.accountId, env);
  const appName = resolveAppName(options.appName, env);
  const logs = options.logs ?? 'stdout';
  if (logs !== 'api' && logs !== 'stdout') {
    throw invalidOption(
      'newrelic.logs',
      `Option newrelic.logs is ${describeValue(logs)}; use 'api' or 'stdout'`,
      invalidCode(logs, 'string'),
    );
  }
  const eventType = options.eventType ?? 'SightlineAnomaly';
  if (typeof eventType !== 'string' || !/^[A-Za-z0-9_:]{1,254}$/.test(eventType)) {
    throw invalidOption(
      'newrelic.eventType',
      `Option newrelic.eventType is ${describeValue(eventType)}; use letters, digits, '_' or ':' (no '.'), under 255 characters`,
      invalidCode(eventType, 'string'),
    );
  }
  if (options.hostname !== undefined && (typeof options.hostname !== 'string' || options.hostname === '')) {
    throw invalidOption(
      'newrelic.hostname',
      `Option newrelic.hostname is ${describeValue(options.hostname)}; use a non-empty string`,
      invalidCode(options.hostname, 'string'),
    );
  }
  const endpoints = resolveEndpoints(options.endpoints, region, accountId);
  const otlpProtocol = options.otlpProtocol ?? 'http/protobuf';
  if (otlpProtocol !== 'http/protobuf' && otlpProtocol !== 'http/json') {
    throw invalidOption(
      'newrelic.otlpProtocol',
      `Option newrelic.otlpProtocol is ${describeValue(otlpProtocol)}; use 'http/protobuf' or 'http/json'`,
      invalidCode(otlpProtocol, 'string'),
    );
  }
  return {
    licenseKey,
    region,
    appName,
    logs,
    eventType,
    hostname: options.hostname,
    ...endpoints,
    otlpProtocol,
    metricIntervalMs: optionalPositiveInt('newrelic.metricIntervalMs', options.metricIntervalMs),
    ...resolveLimits(options.limits),
    channel: adapterChannel('newrelic.channel', options.channel),
    // New Relic EU license keys start with "eu" followed by a region digit; the digest does not
    // confirm it, so this only feeds a setup hint and never picks the region.
    regionHint: region === 'US' && /^eu\d/i.test(licenseKey ?? '') && options.region === undefined,
  };
}

type Env = Readonly<Record<string, string | undefined>>;

function resolveLicenseKey(option: unknown, env: Env): string | undefined {
  if (option !== undefined) {
    // Trimmed, since keys pasted from a secrets file often end with a newline.
    const key = typeof option === 'string' ? option.trim() : '';
    if (!isHeaderSafe(key)) {
      throw new SightlineConfigError(
        invalidCode(option, 'string'),
        'newrelic.licenseKey',
        `Option newrelic.licenseKey is ${describeValue(option, true)}; use your account's ingest license key, a non-empty string without spaces`,
      );
    }
    return key;
  }
  const fromEnv = envValue(env, 'NEW_RELIC_LICENSE_KEY');
  if (fromEnv !== undefined && !isHeaderSafe(fromEnv)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      'NEW_RELIC_LICENSE_KEY',
      `NEW_RELIC_LICENSE_KEY is ${describeValue(fromEnv, true)}; set it to the ingest license key alone, without spaces`,
    );
  }
  return fromEnv;
}

function isHeaderSafe(key: string): boolean {
  return key !== '' && /^[\x21-\x7e]+$/.test(key);
}

function resolveRegion(option: unknown, env: Env): NewRelicRegion {
  if (option !== undefined) {
    const region = typeof option === 'string' ? option.toUpperCase() : '';
    if (region !== 'US' && region !== 'EU') {
      throw invalidOption(
        'newrelic.region',
        `Option newrelic.region is ${describeValue(option)}; use 'US' or 'EU'`,
        invalidCode(option, 'string'),
      );
    }
    return region;
  }
  const fromEnv = envValue(env, 'NEW_RELIC_REGION');
  if (fromEnv === undefined) return 'US';
  const region = fromEnv.toUpperCase();
  if (region !== 'US' && region !== 'EU') {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      'NEW_RELIC_REGION',
      `NEW_RELIC_REGION=${describeValue(fromEnv)} is not a New Relic region; set it to US or EU, or unset it`,
    );
  }
  return region;
}

function resolveAccountId(option: unknown, env: Env): string | undefined {
  if (option !== undefined) {
    const id = typeof option === 'number' || typeof option === 'string' ? String(option).trim() : '';
    if (!/^[1-9]\d{0,18}$/.test(id)) {
      throw invalidOption(
        'newrelic.accountId',
        `Option newrelic.accountId is ${describeValue(option)}; use your numeric New Relic account id`,
        typeof option === 'number' ? ErrorCodes.CONFIG_INVALID_VALUE : invalidCode(option, 'string'),
      );
    }
    return id;
  }
  const fromEnv = envValue(env, 'NEW_RELIC_ACCOUNT_ID');
  if (fromEnv === undefined) return undefined;
  if (!/^[1-9]\d{0,18}$/.test(fromEnv)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      'NEW_RELIC_ACCOUNT_ID',
      `NEW_RELIC_ACCOUNT_ID=${describeValue(fromEnv)} is not an account id; set it to the numeric id, or unset it`,
    );
  }
  return fromEnv;
}

function resolveAppName(option: unknown, env: Env): string | undefined {
  if (option !== undefined) {
    if (typeof option !== 'string' || option.trim() === '') {
      throw invalidOption(
        'newrelic.appName',
        `Option newrelic.appName is ${describeValue(option)}; use a non-empty string`,
        invalidCode(option, 'string'),
      );
    }
    return option.trim();
  }
  // The APM agent accepts "a;b;c" and names the entity after the first.
  const first = envValue(env, 'NEW_RELIC_APP_NAME')?.split(';')[0]?.trim();
  return first === '' ? undefined : first;
}

function resolveEndpoints(
  input: unknown,
  region: NewRelicRegion,
  accountId: string | undefined,
): Pick<ResolvedNewRelic, 'metricsUrl' | 'logsUrl' | 'tracesUrl' | 'eventsUrl'> {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw invalidOption(
      'newrelic.endpoints',
      `Option newrelic.endpoints is ${describeValue(input)}; use an object of URLs`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const given = (input ?? {}) as NewRelicEndpoints;
  for (const key of Object.keys(given)) {
    if (!ENDPOINT_KEYS.has(key)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
        `newrelic.endpoints.${key}`,
        `Option newrelic.endpoints.${key} is not known; use metrics, logs, traces or events`,
      );
    }
  }
  const defaults = REGION_ENDPOINTS[region];
  const url = (key: keyof NewRelicEndpoints, fallback: string) =>
    resolveEndpoint(`newrelic.endpoints.${key}`, given[key] ?? fallback, { credentials: true });
  const events =
    given.events !== undefined
      ? url('events', '')
      : accountId !== undefined
        ? url('events', defaults.events(accountId))
        : undefined;
  return {
    metricsUrl: url('metrics', defaults.metrics),
    logsUrl: url('logs', defaults.logs),
    tracesUrl: url('traces', `${defaults.otlp}/v1/traces`),
    eventsUrl: events,
  };
}

function resolveLimits(input: unknown): { maxBytes: number; maxItems: number | undefined } {
  if (input === undefined) return { maxBytes: MAX_PAYLOAD_BYTES, maxItems: undefined };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidOption(
      'newrelic.limits',
      `Option newrelic.limits is ${describeValue(input)}; use { maxBytes, maxItems }`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  for (const key of Object.keys(input)) {
    if (key !== 'maxBytes' && key !== 'maxItems') {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
        `newrelic.limits.${key}`,
        `Option newrelic.limits.${key} is not known; use maxBytes or maxItems`,
      );
    }
  }
  const limits = input as { maxBytes?: unknown; maxItems?: unknown };
  return {
    maxBytes: optionalPositiveInt('newrelic.limits.maxBytes', limits.maxBytes) ?? MAX_PAYLOAD_BYTES,
    maxItems: optionalPositiveInt('newrelic.limits.maxItems', limits.maxItems),
  };
}
