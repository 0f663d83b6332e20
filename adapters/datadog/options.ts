import type { AdapterContext, ChannelOptions } from '../../src/export/index.js';
import {
  adapterChannel,
  envValue,
  parseTagList,
  resolveEndpoint,
  invalidCode,
  stripUndefined,
} from '../../src/export/index.js';
import { type ErrorCode, ErrorCodes, SightlineConfigError, describeValue } from '../../src/diag/errors.js';
import { type DatadogSite, resolveSite, siteUrls } from './sites.js';
import { fitsTag, rawTag, tag } from './tags.js';

/** Most characters of a host name (DNS's 255), sent with every series, HTTP log and event. */
const MAX_HOSTNAME = 255;
/**
 * Most bytes of the `DD_TAGS` and `tags` entries together, as sent (each cut to 200 characters):
 * they go with every series, HTTP log and event, and an event must still fit the 64 KB it is sent in.
 */
const MAX_TAGS_BYTES = 32_768;

/** Full URLs replacing the site's intake URLs (a local proxy, a test server). */
export interface DatadogEndpoints {
  /** Replaces `https://api.<site>/api/v2/series`. */
  readonly metrics?: string | URL | undefined;
  /** Replaces `https://http-intake.logs.<site>/api/v2/logs` (with `logs: 'http'`). */
  readonly logs?: string | URL | undefined;
  /**
   * With `traces: 'otlp'`, the Agent's OTLP/HTTP traces URL (`http://localhost:4318/v1/traces`);
   * with `traces: 'dd-trace'`, the Agent's base URL (`http://localhost:8126`).
   */
  readonly traces?: string | URL | undefined;
  /** Replaces `https://api.<site>/api/v1/events`. */
  readonly events?: string | URL | undefined;
}

/** How histograms become Datadog series. */
export interface DatadogHistogramOptions {
  /** Percentiles (0 < p < 100) sent as gauges `<name>.p<p>`, estimated from the buckets. Default `[50, 95, 99]`. */
  readonly percentiles?: readonly number[] | undefined;
}

/** Options of {@link datadog}; every one is optional and most fall back to the usual `DD_*` variables. */
export interface DatadogOptions {
  /** API key for metrics, HTTP logs and events. Default `DD_API_KEY`. Sent only in `DD-API-KEY`. */
  readonly apiKey?: string | undefined;
  /** Datadog site, e.g. `datadoghq.eu`. Default `DD_SITE`, then `datadoghq.com`. */
  readonly site?: DatadogSite | (string & {}) | undefined;
  /**
   * `service` tag. Default: the sightline service (which itself falls back to `DD_SERVICE`), so
   * every signal, the log lines and the OTLP resource name the same service.
   */
  readonly service?: string | undefined;
  /** `env` tag. Default: the sightline environment (which falls back to `DD_ENV`). */
  readonly env?: string | undefined;
  /** `version` tag. Default: the sightline version, then `DD_VERSION`. */
  readonly version?: string | undefined;
  /** Extra tags on every signal, added to those in `DD_TAGS`. */
  readonly tags?: Readonly<Record<string, string | number | boolean>> | readonly string[] | undefined;
  /**
   * The host of metric series (a `host` resource), HTTP logs and events. Default `DD_HOSTNAME`,
   * then the machine's host name.
   */
  readonly hostname?: string | undefined;
  /**
   * `'otlp'` (default): spans go by OTLP/HTTP to the Agent's OTLP receiver (port 4318).
   * `'dd-trace'`: dd-trace's tracer provider replaces sightline's (dd-trace must be installed).
   * `'none'`: no spans leave the process through this adapter.
   */
  readonly traces?: 'otlp' | 'dd-trace' | 'none' | undefined;
  /** `'stdout'` (default): JSON lines shaped for the Agent. `'http'`: batches to the logs intake. */
  readonly logs?: 'stdout' | 'http' | undefined;
  /** `'api'` (default): `POST /api/v2/series`. `'none'`: no metrics through this adapter. */
  readonly metrics?: 'api' | 'none' | undefined;
  /** Send anomaly events to the Events API. Default: on when an API key is set. */
  readonly events?: boolean | undefined;
  readonly endpoints?: DatadogEndpoints | undefined;
  readonly histograms?: DatadogHistogramOptions | undefined;
  /** Metric collection interval for this adapter, in ms. Default: sightline's `metricInterval`. */
  readonly metricIntervalMs?: number | undefined;
  /** Queue, batching, timeout and retry tuning, applied to every signal's channel. */
  readonly channel?: ChannelOptions | undefined;
  /** Extra `tracer.init()` options for `traces: 'dd-trace'` (e.g. `{ plugins: true }`). */
  readonly ddTrace?: Readonly<Record<string, unknown>> | undefined;
  /** Where the `DD_*` variables are read from. Default `process.env`. */
  readonly processEnv?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Options after validation, with the environment applied. Never logged: holds the key. */
export interface ResolvedOptions {
  readonly apiKey: string | undefined;
  readonly site: DatadogSite;
  readonly service: string | undefined;
  readonly env: string | undefined;
  readonly version: string | undefined;
  /** `DD_SERVICE`, `DD_ENV`, `DD_VERSION` as set in the environment (checked against the identity at setup). */
  readonly ddIdentity: {
    readonly service: string | undefined;
    readonly env: string | undefined;
    readonly version: string | undefined;
  };
  /** `key:value` tags from `DD_TAGS` and `tags`, already sanitised. */
  readonly tags: readonly string[];
  readonly hostname: string | undefined;
  readonly traces: 'otlp' | 'dd-trace' | 'none';
  readonly logs: 'stdout' | 'http';
  readonly metrics: 'api' | 'none';
  readonly events: boolean;
  readonly urls: {
    readonly metrics: URL;
    readonly logs: URL;
    readonly events: URL;
    /** OTLP traces URL, or the Agent's base URL for dd-trace (a `unix:` socket URL is kept as text). */
    readonly traces: URL | string;
  };
  readonly percentiles: readonly number[];
  readonly metricIntervalMs: number | undefined;
  readonly channel: ChannelOptions;
  readonly ddTrace: Readonly<Record<string, unknown>>;
}

const KNOWN = new Set([
  'apiKey',
  'site',
  'service',
  'env',
  'version',
  'tags',
  'hostname',
  'traces',
  'logs',
  'metrics',
  'events',
  'endpoints',
  'histograms',
  'metricIntervalMs',
  'channel',
  'ddTrace',
  'processEnv',
]);

function fail(option: string, message: string, code: ErrorCode = ErrorCodes.CONFIG_INVALID_VALUE): never {
  throw new SightlineConfigError(code, option, `datadog(): ${message}`);
}

function optString(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  // A string of blanks is of the right type, as init()'s `service: ''` is: a bad value.
  if (typeof value !== 'string' || value.trim() === '') {
    fail(
      option,
      `option ${option} is ${describeValue(value)}; pass a non-empty string`,
      invalidCode(value, 'string'),
    );
  }
  return value.trim();
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  return fail(
    option,
    `option ${option} is ${describeValue(value)}; use ${allowed.map((a) => `'${a}'`).join(' or ')}`,
    invalidCode(value, 'string'),
  );
}

function resolveApiKey(options: DatadogOptions): string | undefined {
  const fromEnv = options.apiKey === undefined;
  const raw = fromEnv ? envValue(options.processEnv, 'DD_API_KEY') : options.apiKey;
  if (raw === undefined) return undefined;
  const option = fromEnv ? 'DD_API_KEY' : 'apiKey';
  // The key goes into a header: anything but visible ASCII would break every request.
  if (typeof raw !== 'string' || !/^[\x21-\x7e]+$/.test(raw.trim())) {
    fail(
      option,
      `${option} is ${describeValue(raw, true)}, which is not a usable API key (empty, not a string, or with ` +
        'spaces or control characters); copy the key from Organization Settings > API Keys',
      fromEnv ? ErrorCodes.CONFIG_INVALID_ENV : invalidCode(raw, 'string'),
    );
  }
  return raw.trim();
}

function resolveTags(options: DatadogOptions): string[] {
  const out: string[] = [];
  const fromEnv = envValue(options.processEnv, 'DD_TAGS');
  if (fromEnv !== undefined) out.push(...parseTagList(fromEnv));
  const t = options.tags;
  if (t === undefined) return out;
  if (Array.isArray(t)) {
    for (const item of t) {
      if (typeof item !== 'string' || item === '') {
        fail('tags', `option tags holds ${describeValue(item)}; use 'key:value' strings`);
      }
      out.push(item);
    }
  } else if (t !== null && typeof t === 'object') {
    for (const [k, v] of Object.entries(t)) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) {
        fail(`tags.${k}`, `option tags.${k} is ${describeValue(v)}; use a string, number or boolean`);
      }
      // Cut at setup, where the cut is counted on what is sent with the tag.
      out.push(tag(k, v, undefined, Number.POSITIVE_INFINITY));
    }
  } else {
    fail('tags', `option tags is ${describeValue(t)}; pass { key: value } or ['key:value']`);
  }
  return out;
}

/** Fails on tags too many to go with every signal: an HTTP log or event carrying them all would not fit. */
function checkTagsSize(tags: readonly string[], fromOption: boolean): void {
  const bytes = Buffer.byteLength(tags.map((t) => rawTag(t)).join(','));
  if (bytes <= MAX_TAGS_BYTES) return;
  const option = fromOption ? 'tags' : 'DD_TAGS';
  fail(
    option,
    `the DD_TAGS and tags entries are ${bytes} bytes together, over the ${MAX_TAGS_BYTES} that go with ` +
      'every series, HTTP log and event; keep the tags that tell services and replicas apart',
    fromOption ? ErrorCodes.CONFIG_INVALID_VALUE : ErrorCodes.CONFIG_INVALID_ENV,
  );
}

function resolveHostname(options: DatadogOptions): string | undefined {
  const fromOption = optString('hostname', options.hostname);
  const hostname = fromOption ?? envValue(options.processEnv, 'DD_HOSTNAME');
  if (hostname === undefined || hostname.length <= MAX_HOSTNAME) return hostname;
  const option = fromOption === undefined ? 'DD_HOSTNAME' : 'hostname';
  return fail(
    option,
    `${option} is ${describeValue(hostname)} (${hostname.length} characters); a host name has at most ${MAX_HOSTNAME}`,
    fromOption === undefined ? ErrorCodes.CONFIG_INVALID_ENV : ErrorCodes.CONFIG_INVALID_VALUE,
  );
}

/**
 * Fails when the service, env or version is too long to be sent as one tag whole: cut, it would no
 * longer be the `service` of the HTTP logs and traces that unified service tagging ties the series to.
 * `sources` names the option or variable each value came from.
 */
export function checkIdentity(
  identity: Readonly<Record<'service' | 'env' | 'version', string | undefined>>,
  sources: Readonly<Record<'service' | 'env' | 'version', string>>,
): void {
  for (const key of ['service', 'env', 'version'] as const) {
    const value = identity[key];
    if (value === undefined || fitsTag(key, value)) continue;
    const option = sources[key];
    // Variables are named in capitals (DD_VERSION, OTEL_SERVICE_NAME), options not; a variable may
    // hold more than this value (DD_TAGS, OTEL_RESOURCE_ATTRIBUTES).
    const variable = option === option.toUpperCase();
    fail(
      option,
      `${option} ${variable ? `gives the ${key}` : 'is'} ${describeValue(value)} (${value.length} characters); ` +
        `Datadog takes tags of 200 characters, so the ${key}:<value> tag needs one of at most ${199 - key.length}`,
      variable ? ErrorCodes.CONFIG_INVALID_ENV : ErrorCodes.CONFIG_INVALID_VALUE,
    );
  }
}

/** Fails on a key `known` lacks: a misspelt nested option must not fall back to its default unnoticed. */
function checkKeys(option: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      fail(
        `${option}.${key}`,
        `unknown option ${JSON.stringify(`${option}.${key}`)}; use ${known.join(', ').replace(/, (?=[^,]*$)/, ' or ')}`,
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
      );
    }
  }
}

function resolvePercentiles(h: DatadogOptions['histograms']): number[] {
  if (h === undefined) return [50, 95, 99];
  if (typeof h !== 'object' || h === null || Array.isArray(h)) {
    fail('histograms', `option histograms is ${describeValue(h)}; pass { percentiles: [50, 95, 99] }`);
  }
  checkKeys('histograms', h, ['percentiles']);
  if (h.percentiles === undefined) return [50, 95, 99];
  const p = h.percentiles;
  if (!Array.isArray(p) || p.length > 10 || p.some((x) => typeof x !== 'number' || !(x > 0 && x < 100))) {
    fail(
      'histograms.percentiles',
      `option histograms.percentiles is ${describeValue(p)}; pass up to 10 numbers between 0 and 100, e.g. [50, 95, 99]`,
    );
  }
  return [...new Set(p)].sort((a, b) => a - b);
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** DD_TRACE_ENABLED=false or 0, as dd-trace reads it; another value leaves tracing on, as there. */
function tracingDisabled(env: DatadogOptions['processEnv']): boolean {
  const value = envValue(env, 'DD_TRACE_ENABLED')?.toLowerCase();
  return value === 'false' || value === '0';
}

/**
 * The Agent's URL and host as dd-trace names them, each under its older name too, which dd-trace
 * still reads: a service moved from dd-trace alone sent its spans to the Agent these name.
 */
const AGENT_URL = ['DD_TRACE_AGENT_URL', 'DD_TRACE_URL'] as const;
const AGENT_HOST = ['DD_AGENT_HOST', 'DD_TRACE_AGENT_HOSTNAME'] as const;

/** The first of `names` set, with its name, for errors to name the variable given. */
function firstEnv(
  env: DatadogOptions['processEnv'],
  names: readonly string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = envValue(env, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

/** The Agent's host, from DD_AGENT_HOST or DD_TRACE_AGENT_URL, as dd-trace itself resolves it. */
function agentHost(env: DatadogOptions['processEnv']): string {
  const host = firstEnv(env, AGENT_HOST)?.value;
  if (host !== undefined) return bracket(host);
  const url = firstEnv(env, AGENT_URL)?.value;
  if (url !== undefined && /^https?:/i.test(url)) {
    try {
      return new URL(url).hostname;
    } catch {
      // Reported below when dd-trace mode uses it; for OTLP fall back to localhost.
    }
  }
  return 'localhost';
}

function resolveTraceUrl(options: DatadogOptions, mode: ResolvedOptions['traces']): URL | string {
  const env = options.processEnv;
  if (options.endpoints?.traces !== undefined) {
    return resolveEndpoint('endpoints.traces', options.endpoints.traces, { credentials: false });
  }
  if (mode === 'dd-trace') {
    const url = firstEnv(env, AGENT_URL);
    if (url !== undefined) {
      if (/^unix:/i.test(url.value)) return url.value;
      return resolveEndpoint(url.name, url.value, { credentials: false });
    }
    const port = envValue(env, 'DD_TRACE_AGENT_PORT') ?? '8126';
    return resolveEndpoint('DD_TRACE_AGENT_PORT', `http://${agentHost(env)}:${port}`, { credentials: false });
  }
  // The Agent's receiver setting is a listen address (`0.0.0.0:4318`): only its port applies here.
  const listen = envValue(env, 'DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT');
  const port = listen?.match(/:(\d{1,5})$/)?.[1] ?? '4318';
  return resolveEndpoint(
    'DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT',
    `http://${agentHost(env)}:${port}/v1/traces`,
    { credentials: false },
  );
}

/**
 * Validates {@link DatadogOptions} and applies the `DD_*` variables (options win over variables).
 *
 * A missing API key is left to {@link requireApiKey}, so an environment that does not use the adapter
 * needs none.
 *
 * @throws SightlineConfigError on an unknown option, a bad value or site, or an insecure endpoint.
 * Messages never contain the key.
 */
export function resolveOptions(input: DatadogOptions | undefined): ResolvedOptions {
  const options: DatadogOptions = input ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail('options', 'pass an options object', ErrorCodes.CONFIG_INVALID_TYPE);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      fail(
        key,
        `unknown option ${JSON.stringify(key)}; check its spelling`,
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
      );
    }
  }
  const env = options.processEnv ?? process.env;
  const withEnv: DatadogOptions = { ...options, processEnv: env };

  const siteFromEnv = options.site === undefined ? envValue(env, 'DD_SITE') : undefined;
  const site =
    options.site !== undefined
      ? resolveSite(options.site, 'site', false)
      : siteFromEnv !== undefined
        ? resolveSite(siteFromEnv, 'DD_SITE', true)
        : 'datadoghq.com';

  const apiKey = resolveApiKey(withEnv);
  const chosenTraces = oneOf('traces', options.traces, ['otlp', 'dd-trace', 'none'] as const, 'otlp');
  // dd-trace's own switch, which dd-trace obeys over its code: the Agent gets no spans in either mode.
  const traces = tracingDisabled(env) ? 'none' : chosenTraces;
  const logs = oneOf('logs', options.logs, ['stdout', 'http'] as const, 'stdout');
  const metrics = oneOf('metrics', options.metrics, ['api', 'none'] as const, 'api');
  if (options.events !== undefined && typeof options.events !== 'boolean') {
    fail(
      'events',
      `option events is ${describeValue(options.events)}; pass true or false`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const events = options.events ?? apiKey !== undefined;

  const endpoints = options.endpoints ?? {};
  if (typeof endpoints !== 'object' || endpoints === null) {
    fail('endpoints', 'option endpoints must be an object of URLs', ErrorCodes.CONFIG_INVALID_TYPE);
  }
  checkKeys('endpoints', endpoints, ['metrics', 'logs', 'traces', 'events']);
  const defaults = siteUrls(site);
  const creds = { credentials: true };
  const urls = {
    metrics: resolveEndpoint('endpoints.metrics', endpoints.metrics ?? defaults.metrics, creds),
    logs: resolveEndpoint('endpoints.logs', endpoints.logs ?? defaults.logs, creds),
    events: resolveEndpoint('endpoints.events', endpoints.events ?? defaults.events, creds),
    traces: resolveTraceUrl(withEnv, traces),
  };

  const interval = options.metricIntervalMs;
  if (interval !== undefined && (!Number.isInteger(interval) || interval < 100)) {
    fail(
      'metricIntervalMs',
      `option metricIntervalMs is ${describeValue(interval)}; use whole ms, at least 100`,
      invalidCode(interval, 'number'),
    );
  }
  if (options.ddTrace !== undefined && (typeof options.ddTrace !== 'object' || options.ddTrace === null)) {
    fail(
      'ddTrace',
      'option ddTrace must be an object of dd-trace init options',
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }

  const tags = resolveTags(withEnv);
  checkTagsSize(tags, options.tags !== undefined);

  return {
    apiKey,
    site,
    service: optString('service', options.service),
    env: optString('env', options.env),
    version: optString('version', options.version),
    ddIdentity: {
      service: envValue(env, 'DD_SERVICE'),
      env: envValue(env, 'DD_ENV'),
      version: envValue(env, 'DD_VERSION'),
    },
    tags,
    hostname: resolveHostname(withEnv),
    traces,
    logs,
    metrics,
    events,
    urls,
    percentiles: resolvePercentiles(options.histograms),
    metricIntervalMs: interval,
    channel: adapterChannel('channel', options.channel),
    // An option set to undefined is unset, as dd-trace reads it: spread over those sightline gives
    // dd-trace, it took the place of sightline's own (its sampling ratio, its Agent's address).
    ddTrace: stripUndefined(options.ddTrace ?? {}),
  };
}

/**
 * Fails when a signal sent to the intake has no API key. `setup` calls it, so init() fails only in
 * an environment whose exporters include the adapter; a signal OTEL_<SIGNAL>_EXPORTER=none turns
 * off is not sent, nor are events with `anomaly: false`.
 */
export function requireApiKey(
  opts: ResolvedOptions,
  { signalsOff: off, anomalyEvents }: Pick<AdapterContext, 'signalsOff' | 'anomalyEvents'>,
): void {
  const needKey = [
    opts.metrics === 'api' && !off.includes('metrics') ? "metrics: 'api'" : '',
    opts.logs === 'http' && !off.includes('logs') ? "logs: 'http'" : '',
    opts.events && anomalyEvents ? 'events: true' : '',
  ].filter((s) => s !== '');
  if (opts.apiKey === undefined && needKey.length > 0) {
    fail(
      'apiKey',
      `no API key for ${needKey.join(', ')}; set the DD_API_KEY environment variable or the apiKey option, ` +
        "or use metrics: 'none' and logs: 'stdout' to send through the Datadog Agent only",
      ErrorCodes.CONFIG_MISSING_CREDENTIALS,
    );
  }
}
