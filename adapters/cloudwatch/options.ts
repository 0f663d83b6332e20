import type { ChannelOptions } from '../../src/export/index.js';
import {
  adapterChannel,
  envValue,
  otlpEndpointFromEnv,
  otlpGzipFromEnv,
  otlpHeadersFromEnv,
  otlpTimeoutFromEnv,
  otlpTlsFilesFromEnv,
  resolveEndpoint,
  type TlsFiles,
  invalidCode,
} from '../../src/export/index.js';
import { describeValue, type ErrorCode, ErrorCodes, SightlineConfigError } from '../../src/diag/errors.js';

/** Static AWS credentials for api mode; without them the AWS SDK's default credential chain is used. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** Options of {@link cloudwatch}. */
export interface CloudWatchOptions {
  /**
   * `emf` (default): metrics as Embedded Metric Format JSON lines on stdout, for Lambda, ECS and EKS
   * with the CloudWatch agent; no network, no AWS SDK. `api`: PutMetricData and PutLogEvents
   * through the AWS SDK for JavaScript v3 (optional peer dependencies).
   */
  mode?: 'emf' | 'api' | undefined;
  /** CloudWatch namespace of every metric; default `Sightline/<service>`. Must not start with `AWS/`. */
  namespace?: string | undefined;
  /** AWS region for api mode; default `AWS_REGION`, then `AWS_DEFAULT_REGION`. */
  region?: string | undefined;
  /** Dimensions added to every metric, after `Service` and `Environment` (see `serviceDimensions`). */
  dimensions?: Readonly<Record<string, string>> | undefined;
  /** Add `Service` and `Environment` dimensions (also the fields CloudWatch derives its entity from). Default true. */
  serviceDimensions?: boolean | undefined;
  /** Api mode: the log group for log lines and anomaly events. Default `/sightline/<service>`. */
  logGroup?: string | undefined;
  /** Api mode: the log stream. Default `<environment>/<host name>/<pid>`. */
  logStream?: string | undefined;
  /** Api mode: ship log lines with PutLogEvents (they still go to stdout too). Default true. */
  logs?: boolean | undefined;
  /** Api mode: create the log group and stream when PutLogEvents finds them missing. Default true. */
  createLogGroup?: boolean | undefined;
  /** Anomaly events as a log line plus `AnomalyScore`/`AnomalySeverity` EMF metrics. Default true. */
  events?: boolean | undefined;
  /**
   * Send spans by OTLP/HTTP to `endpoints.traces` (an ADOT collector or CloudWatch agent), else to
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`. Default false.
   */
  traces?: boolean | undefined;
  /** Time-prefixed trace ids X-Ray accepts (first 8 hex digits = epoch seconds). Default: same as `traces`. */
  xrayIds?: boolean | undefined;
  /** Log line field carrying the X-Ray form of the trace id. Default `xray_trace_id`. */
  xrayTraceIdKey?: string | undefined;
  /** Full URLs replacing the defaults: SDK endpoints in api mode, the OTLP traces URL. */
  endpoints?:
    | { metrics?: string | undefined; logs?: string | undefined; traces?: string | undefined }
    | undefined;
  /** Api mode: static credentials; default the AWS SDK's credential chain (env, profile, IMDS, ...). */
  credentials?: AwsCredentials | undefined;
  /** 1 for high-resolution (1-second) metrics; default 60. */
  storageResolution?: 1 | 60 | undefined;
  /** Emf mode: most sample values a histogram point turns into per collection. Default 100. */
  maxHistogramValues?: number | undefined;
  /** Collection interval for this adapter; default sightline's `metricInterval`. */
  metricIntervalMs?: number | undefined;
  /**
   * Emf mode: where documents and anomaly lines go, one JSON line per call. Default: stdout, through
   * the writer sightline's log lines use, so neither cuts into the other and what a stalled reader
   * leaves waiting stays bounded (documents beyond it are counted as `queue_full`).
   */
  write?: ((line: string) => unknown) | undefined;
  /** Queue, flush and retry tuning of the api-mode and traces channels. */
  channel?: ChannelOptions | undefined;
  /** Environment to read `AWS_REGION`/`AWS_DEFAULT_REGION` and the `OTEL_EXPORTER_OTLP_*` traces variables from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The options after validation; service-dependent defaults are filled in at setup. */
export interface ResolvedCloudWatchOptions {
  readonly mode: 'emf' | 'api';
  readonly namespace: string | undefined;
  readonly region: string | undefined;
  readonly dimensions: readonly (readonly [string, string])[];
  readonly serviceDimensions: boolean;
  readonly logGroup: string | undefined;
  readonly logStream: string | undefined;
  readonly logs: boolean;
  readonly createLogGroup: boolean;
  readonly events: boolean;
  readonly traces: boolean;
  readonly xrayIds: boolean;
  readonly xrayTraceIdKey: string;
  readonly endpoints: { readonly metrics?: URL; readonly logs?: URL; readonly traces: URL };
  /** Sent with spans to a collector the standard variables name: their `_HEADERS` (auth). Never logged. */
  readonly tracesHeaders: Readonly<Record<string, string>>;
  /** A header of those a variable left unset made, thrown at setup: for the environment using it only. */
  readonly tracesUnset: SightlineConfigError | undefined;
  /** For a collector the standard variables name: the `_CERTIFICATE`, `_CLIENT_CERTIFICATE` and `_CLIENT_KEY` files. */
  readonly tracesTls: TlsFiles;
  /** `channel`, with the `_TIMEOUT` and `_COMPRESSION` the variables give a collector they name where it sets none. */
  readonly tracesChannel: ChannelOptions;
  readonly credentials: AwsCredentials | undefined;
  readonly storageResolution: 1 | 60;
  readonly maxHistogramValues: number;
  readonly metricIntervalMs: number | undefined;
  readonly write: ((line: string) => unknown) | undefined;
  readonly channel: ChannelOptions;
}

/** Where spans go by default: the OTLP/HTTP receiver of an ADOT collector or CloudWatch agent, which signs for X-Ray. */
export const DEFAULT_TRACES_URL = 'http://127.0.0.1:4318/v1/traces';

const KNOWN = new Set<string>([
  'mode',
  'namespace',
  'region',
  'dimensions',
  'serviceDimensions',
  'logGroup',
  'logStream',
  'logs',
  'createLogGroup',
  'events',
  'traces',
  'xrayIds',
  'xrayTraceIdKey',
  'endpoints',
  'credentials',
  'storageResolution',
  'maxHistogramValues',
  'metricIntervalMs',
  'write',
  'channel',
  'env',
]);

const NAMESPACE = /^[a-zA-Z0-9._#:/-]{1,255}$/;
const REGION = /^[a-z]{2}(-[a-z0-9]+)+-\d{1,2}$/;
const LOG_GROUP = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const LOG_STREAM = /^[^:*]{1,512}$/;

function fail(option: string, message: string, code: ErrorCode = ErrorCodes.CONFIG_INVALID_VALUE): never {
  throw new SightlineConfigError(code, option, message);
}

function bool(options: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean')
    fail(
      `cloudwatch.${key}`,
      `cloudwatch option ${key} is ${describeValue(v)}; use true or false`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  return v;
}

function text(options: Record<string, unknown>, key: string): string | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    fail(
      `cloudwatch.${key}`,
      `cloudwatch option ${key} is ${describeValue(v)}; use a string`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  return v;
}

/**
 * Checks a CloudWatch namespace: 1..255 of `[a-zA-Z0-9._#:/-]`, not starting with the reserved `AWS/`.
 *
 * @throws SightlineConfigError `SL_ERR_CONFIG_INVALID_VALUE` naming `option`.
 * @example
 * checkNamespace('cloudwatch.namespace', 'Shop/Checkout'); // 'Shop/Checkout'
 */
export function checkNamespace(option: string, value: string): string {
  if (!NAMESPACE.test(value) || value.startsWith('AWS/')) {
    fail(
      option,
      `cloudwatch namespace ${describeValue(value)} is not valid; use 1 to 255 characters of ` +
        'letters, digits and . _ # : / - that does not start with AWS/ (e.g. "Shop/Checkout")',
    );
  }
  return value;
}

/**
 * Validates the options of `cloudwatch()` and reads `AWS_REGION`/`AWS_DEFAULT_REGION`.
 *
 * @throws SightlineConfigError with a `SL_ERR_CONFIG_*` code naming the option and the fix; a
 * credential value never appears in the message.
 * @example
 * resolveCloudWatchOptions({ mode: 'api', region: 'eu-west-1' });
 */
export function resolveCloudWatchOptions(input: CloudWatchOptions = {}): ResolvedCloudWatchOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail(
      'cloudwatch',
      `cloudwatch() options are ${describeValue(input)}; pass an object`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) {
      fail(
        `cloudwatch.${key}`,
        `cloudwatch option ${JSON.stringify(key)} is unknown; remove it or check its spelling`,
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
      );
    }
  }
  const env = input.env ?? process.env;
  const mode = input.mode ?? 'emf';
  if (mode !== 'emf' && mode !== 'api') {
    fail(
      'cloudwatch.mode',
      `cloudwatch option mode is ${describeValue(mode)}; use 'emf' or 'api'`,
      invalidCode(mode, 'string'),
    );
  }
  const namespace = text(o, 'namespace');
  if (namespace !== undefined) checkNamespace('cloudwatch.namespace', namespace);

  const given = text(o, 'region');
  const awsRegion = given === undefined ? envValue(env, 'AWS_REGION') : undefined;
  const regionOption =
    given !== undefined ? 'cloudwatch.region' : awsRegion !== undefined ? 'AWS_REGION' : 'AWS_DEFAULT_REGION';
  const region = given ?? awsRegion ?? envValue(env, 'AWS_DEFAULT_REGION');
  if (region !== undefined && !REGION.test(region)) {
    fail(
      regionOption,
      `${regionOption} is ${describeValue(region)}; use an AWS region code such as "eu-west-1"`,
      given === undefined ? ErrorCodes.CONFIG_INVALID_ENV : ErrorCodes.CONFIG_INVALID_VALUE,
    );
  }
  if (mode === 'api' && region === undefined) {
    fail(
      'cloudwatch.region',
      "cloudwatch mode 'api' needs a region; pass region: 'eu-west-1' or set AWS_REGION",
    );
  }

  const dimensions = resolveDimensions(input.dimensions);
  const logGroup = text(o, 'logGroup');
  if (logGroup !== undefined && !LOG_GROUP.test(logGroup)) {
    fail(
      'cloudwatch.logGroup',
      `cloudwatch option logGroup is ${describeValue(logGroup)}; use 1 to 512 characters of letters, digits and . - _ / #`,
    );
  }
  const logStream = text(o, 'logStream');
  if (logStream !== undefined && !LOG_STREAM.test(logStream)) {
    fail(
      'cloudwatch.logStream',
      `cloudwatch option logStream is ${describeValue(logStream)}; use 1 to 512 characters without : or *`,
    );
  }
  const traces = bool(o, 'traces', false);
  const xrayTraceIdKey = text(o, 'xrayTraceIdKey') ?? 'xray_trace_id';
  if (xrayTraceIdKey.trim() === '') {
    fail(
      'cloudwatch.xrayTraceIdKey',
      "cloudwatch option xrayTraceIdKey is empty; use a field name such as 'xray_trace_id'",
    );
  }

  const storageResolution = input.storageResolution ?? 60;
  if (storageResolution !== 1 && storageResolution !== 60) {
    fail(
      'cloudwatch.storageResolution',
      `cloudwatch option storageResolution is ${describeValue(storageResolution)}; use 1 or 60`,
      invalidCode(storageResolution, 'number'),
    );
  }
  const maxHistogramValues = input.maxHistogramValues ?? 100;
  if (!Number.isInteger(maxHistogramValues) || maxHistogramValues < 1 || maxHistogramValues > 10_000) {
    fail(
      'cloudwatch.maxHistogramValues',
      `cloudwatch option maxHistogramValues is ${describeValue(maxHistogramValues)}; use a whole number from 1 to 10000`,
      invalidCode(maxHistogramValues, 'number'),
    );
  }
  const metricIntervalMs = input.metricIntervalMs;
  if (metricIntervalMs !== undefined && (!Number.isInteger(metricIntervalMs) || metricIntervalMs < 100)) {
    fail(
      'cloudwatch.metricIntervalMs',
      `cloudwatch option metricIntervalMs is ${describeValue(metricIntervalMs)}; use a whole number of milliseconds, at least 100`,
      invalidCode(metricIntervalMs, 'number'),
    );
  }
  if (input.write !== undefined && typeof input.write !== 'function') {
    fail(
      'cloudwatch.write',
      `cloudwatch option write is ${describeValue(input.write)}; use a function taking one line`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const channel = adapterChannel('cloudwatch.channel', input.channel);

  return {
    mode,
    namespace,
    region,
    dimensions,
    serviceDimensions: bool(o, 'serviceDimensions', true),
    logGroup,
    logStream,
    logs: bool(o, 'logs', true),
    createLogGroup: bool(o, 'createLogGroup', true),
    events: bool(o, 'events', true),
    traces,
    xrayIds: bool(o, 'xrayIds', traces),
    xrayTraceIdKey,
    ...resolveEndpoints(input.endpoints, traces ? env : {}, channel),
    credentials: resolveCredentials(input.credentials),
    storageResolution,
    maxHistogramValues,
    metricIntervalMs,
    write: input.write,
    channel,
  };
}

function resolveDimensions(value: unknown): [string, string][] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(
      'cloudwatch.dimensions',
      `cloudwatch option dimensions is ${describeValue(value)}; use an object of name: value strings`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' || v === '' || v.length > 1024 || !/^[\x20-\x7e]+$/.test(v)) {
      fail(
        `cloudwatch.dimensions.${k}`,
        `cloudwatch dimension ${JSON.stringify(k)} is ${describeValue(v)}; use a non-empty ASCII string of at most 1024 characters`,
        invalidCode(v, 'string'),
      );
    }
    if (!/^[\x20-\x7e]{1,250}$/.test(k) || k.trim() === '' || k.startsWith(':') || k === '_aws') {
      fail(
        `cloudwatch.dimensions.${k}`,
        `cloudwatch dimension name ${JSON.stringify(k)} is not valid; use 1 to 250 printable ASCII characters, not only spaces, not starting with ':' and not _aws`,
      );
    }
    out.push([k, v]);
  }
  if (out.length > 28) {
    fail(
      'cloudwatch.dimensions',
      `cloudwatch option dimensions has ${out.length} entries; CloudWatch allows 30 per metric, keep at most 28 so Service and Environment fit`,
    );
  }
  return out;
}

type TracesTarget = Pick<
  ResolvedCloudWatchOptions,
  'tracesHeaders' | 'tracesTls' | 'tracesChannel' | 'tracesUnset'
> & {
  url: URL;
};

/**
 * `endpoints.traces`, else the collector the standard OTLP variables name with the headers (auth),
 * certificate files, timeout and compression they give it, as ADOT's own setup sets them and otlp()
 * reads them; `channel`'s own timeout and compression win.
 */
function tracesTarget(
  value: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  channel: ChannelOptions,
): TracesTarget {
  const withoutVariables = {
    tracesHeaders: {},
    tracesTls: {},
    tracesChannel: channel,
    tracesUnset: undefined,
  };
  if (value !== undefined)
    return {
      url: resolveEndpoint('cloudwatch.endpoints.traces', value, { credentials: false }),
      ...withoutVariables,
    };
  const fromEnv = otlpEndpointFromEnv(env, 'traces');
  if (fromEnv === undefined) return { url: new URL(DEFAULT_TRACES_URL), ...withoutVariables };
  checkNotGrpc(env);
  const unset: SightlineConfigError[] = [];
  const headers = otlpHeadersFromEnv(env, 'traces', [], unset);
  const credentials = Object.keys(headers).length > 0;
  return {
    url: resolveEndpoint(fromEnv.option, fromEnv.url, { credentials }),
    tracesHeaders: headers,
    tracesUnset: unset[0],
    tracesTls: otlpTlsFilesFromEnv(env, 'traces'),
    tracesChannel: {
      ...channel,
      timeoutMs: channel.timeoutMs ?? otlpTimeoutFromEnv(env, 'traces'),
      gzip: channel.gzip ?? otlpGzipFromEnv(env, 'traces'),
    },
  };
}

/** An endpoint the variables give for gRPC is a port that does not speak OTLP/HTTP, which spans go by. */
function checkNotGrpc(env: Readonly<Record<string, string | undefined>>): void {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = envValue(env, name);
    if (protocol === undefined) continue;
    if (protocol.toLowerCase() !== 'grpc') return;
    fail(
      name,
      `${name}=grpc names a gRPC collector endpoint, and cloudwatch sends spans by OTLP/HTTP; set endpoints.traces to the collector's OTLP/HTTP URL (port 4318)`,
      ErrorCodes.CONFIG_INVALID_ENV,
    );
  }
}

/** `env` is empty without `traces`: a variable meant for another exporter must not fail init() here. */
function resolveEndpoints(
  value: CloudWatchOptions['endpoints'],
  env: Readonly<Record<string, string | undefined>>,
  channel: ChannelOptions,
): Pick<
  ResolvedCloudWatchOptions,
  'endpoints' | 'tracesHeaders' | 'tracesTls' | 'tracesChannel' | 'tracesUnset'
> {
  if (value === undefined) {
    const { url, ...traces } = tracesTarget(undefined, env, channel);
    return { endpoints: { traces: url }, ...traces };
  }
  if (typeof value !== 'object' || value === null) {
    fail(
      'cloudwatch.endpoints',
      `cloudwatch option endpoints is ${describeValue(value)}; use { metrics?, logs?, traces? } URLs`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  for (const key of Object.keys(value)) {
    if (key !== 'metrics' && key !== 'logs' && key !== 'traces') {
      fail(
        `cloudwatch.endpoints.${key}`,
        `cloudwatch endpoint ${JSON.stringify(key)} is unknown; use metrics, logs or traces`,
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
      );
    }
  }
  // SigV4-signed SDK calls carry the access key id and a signature: HTTPS except to loopback.
  const { url, ...traces } = tracesTarget(value.traces, env, channel);
  const endpoints = {
    ...(value.metrics !== undefined
      ? { metrics: resolveEndpoint('cloudwatch.endpoints.metrics', value.metrics, { credentials: true }) }
      : {}),
    ...(value.logs !== undefined
      ? { logs: resolveEndpoint('cloudwatch.endpoints.logs', value.logs, { credentials: true }) }
      : {}),
    traces: url,
  };
  return { endpoints, ...traces };
}

function resolveCredentials(value: unknown): AwsCredentials | undefined {
  if (value === undefined) return undefined;
  const c = value as Partial<AwsCredentials> | null;
  const ok =
    typeof c === 'object' &&
    c !== null &&
    typeof c.accessKeyId === 'string' &&
    c.accessKeyId !== '' &&
    typeof c.secretAccessKey === 'string' &&
    c.secretAccessKey !== '' &&
    (c.sessionToken === undefined || typeof c.sessionToken === 'string');
  if (!ok) {
    fail(
      'cloudwatch.credentials',
      `cloudwatch option credentials is ${describeValue(value, true)}; pass { accessKeyId, secretAccessKey, sessionToken? } strings, or leave it out to use the AWS credential chain`,
      ErrorCodes.CONFIG_MISSING_CREDENTIALS,
    );
  }
  return Object.freeze({ ...(c as AwsCredentials) });
}
