import { describeValue, type ErrorCode, ErrorCodes, SightlineConfigError } from '../../src/diag/errors.js';
import {
  adapterChannel,
  adapterEnv,
  type ChannelOptions,
  envValue,
  envVerbatim,
  isLoopback,
  invalidOption,
  optionalPositiveInt,
  resolveEndpoint,
  invalidCode,
} from '../../src/export/index.js';
import { apiKeyHeader, basicHeader, cloudIdToUrl, isHeaderToken } from './auth.js';
import { BULK_FILTER_PATH } from './bulk.js';
import { cleanDataStreamPart, isValidDataStreamPart } from './data-stream.js';

/** Full URLs replacing the defaults derived from `node` (a proxy, a test server). */
export interface ElasticEndpoints {
  /** `_bulk` URL for log documents, e.g. `https://es.example.com/_bulk`. */
  logs?: string | URL | undefined;
  /** `_bulk` URL for metric documents. */
  metrics?: string | URL | undefined;
  /** `_bulk` URL for anomaly documents. */
  events?: string | URL | undefined;
  /** OTLP/HTTP traces URL with its path, e.g. `https://apm.example.com:8200/v1/traces`. */
  traces?: string | URL | undefined;
}

/** Where traces go: Elastic APM Server's OTLP intake or Elastic Cloud's managed OTLP endpoint. */
export interface ElasticTracesOptions {
  /**
   * APM Server or managed OTLP endpoint base URL (`/v1/traces` is appended). Default:
   * `ELASTIC_APM_SERVER_URL`, else `ELASTIC_OTLP_ENDPOINT`.
   */
  url?: string | URL | undefined;
  /** APM Server secret token, sent as `Authorization: Bearer`. Default: `ELASTIC_APM_SECRET_TOKEN`. */
  secretToken?: string | undefined;
  /**
   * API key sent as `Authorization: ApiKey`. Default: `ELASTIC_APM_API_KEY`, else the
   * Elasticsearch `apiKey` (what the managed OTLP endpoint expects).
   */
  apiKey?: string | undefined;
  /** Default `'http/protobuf'`: APM Server documents only protobuf for OTLP/HTTP. */
  protocol?: 'http/protobuf' | 'http/json' | undefined;
}

/** Options of {@link elastic}. Every one is optional when the matching environment variable is set. */
export interface ElasticOptions {
  /** Elasticsearch URL. Default: `ELASTICSEARCH_URL`, else `ELASTIC_NODE`. User info in it is used as basic auth. */
  node?: string | URL | undefined;
  /** Elastic Cloud id, instead of `node`. Default: `ELASTIC_CLOUD_ID`. */
  cloudId?: string | undefined;
  /**
   * API key: the `encoded` value of the create-API-key answer, an `id:api_key` pair, or `{ id, apiKey }`.
   * Default: `ELASTIC_API_KEY`, else `ELASTICSEARCH_API_KEY`.
   */
  apiKey?: string | { id: string; apiKey: string } | undefined;
  /** Basic auth user. Default: `ELASTICSEARCH_USERNAME`. */
  username?: string | undefined;
  /** Basic auth password. Default: `ELASTICSEARCH_PASSWORD`. */
  password?: string | undefined;
  /** Data stream dataset (lowercase, no `-`, ≤ 100 characters). Default: the service name, cleaned. */
  dataset?: string | undefined;
  /** Data stream namespace (lowercase, no `-`, ≤ 100 characters). Default: the environment, cleaned. */
  namespace?: string | undefined;
  /** Dataset of anomaly documents (a `logs-*` stream). Default `sightline.anomaly`. */
  eventsDataset?: string | undefined;
  /** `'bulk'` (default): log lines go to Elasticsearch by `_bulk` and are ECS on stdout; `'stdout'`: ECS lines on stdout only, for Elastic Agent or Filebeat. */
  logs?: 'bulk' | 'stdout' | undefined;
  /** Traces by OTLP/HTTP; `false` to send none. Without a URL (option or environment) no traces are sent. */
  traces?: ElasticTracesOptions | false | undefined;
  /** Full URLs replacing the defaults. */
  endpoints?: ElasticEndpoints | undefined;
  /** Metric temporality. Default `'delta'`: a sum over any time range is the count in that range. */
  temporality?: 'delta' | 'cumulative' | undefined;
  /** `host.name` on documents. Default: none (Elastic Agent and APM add their own). */
  hostname?: string | undefined;
  /** Metric collection interval for this adapter. Default: sightline's `metricInterval`. */
  metricIntervalMs?: number | undefined;
  /** Per-request limits of `_bulk` calls. Default 5,000,000 bytes (the JS client's bulk helper) and 10,000 documents. */
  limits?: { maxBytes?: number | undefined; maxItems?: number | undefined } | undefined;
  /** Queue, batching, timeout and retry tuning shared by every signal. */
  channel?: ChannelOptions | undefined;
  /** Environment to read instead of `process.env` (tests). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Where documents go in Elasticsearch, and with what credentials. */
export interface ElasticsearchTarget {
  /** The `Authorization` header for Elasticsearch, when credentials are known. */
  readonly authorization: string | undefined;
  readonly logsUrl: URL;
  readonly metricsUrl: URL;
  readonly eventsUrl: URL;
}

/** The options besides Elasticsearch's URLs and credentials, after validation and environment reading. */
export interface ElasticSettings {
  readonly traces:
    | {
        readonly url: URL;
        readonly authorization: string | undefined;
        readonly protocol: 'http/protobuf' | 'http/json';
      }
    | undefined;
  /** Explicit, validated parts; `undefined`: derive from the service and environment at setup. */
  readonly dataset: string | undefined;
  readonly namespace: string | undefined;
  readonly eventsDataset: string;
  readonly logs: 'bulk' | 'stdout';
  readonly temporality: 'delta' | 'cumulative';
  readonly hostname: string | undefined;
  readonly metricIntervalMs: number | undefined;
  readonly maxBytes: number;
  readonly maxItems: number;
  readonly channel: ChannelOptions;
}

/** The options after validation and environment reading. */
export interface ResolvedElastic extends ElasticSettings, ElasticsearchTarget {}

/**
 * The factory's checked options: Elasticsearch's URLs and credentials may be missing, which only
 * matters when something goes to Elasticsearch.
 */
export interface CheckedElastic {
  readonly settings: ElasticSettings;
  readonly elasticsearch: ElasticsearchTarget | MissingSetting;
}

type Env = Readonly<Record<string, string | undefined>>;

const KNOWN = new Set([
  'node',
  'cloudId',
  'apiKey',
  'username',
  'password',
  'dataset',
  'namespace',
  'eventsDataset',
  'logs',
  'traces',
  'endpoints',
  'temporality',
  'hostname',
  'metricIntervalMs',
  'limits',
  'channel',
  'env',
]);
const ENDPOINT_KEYS = new Set(['logs', 'metrics', 'events', 'traces']);
const TRACES_KEYS = new Set(['url', 'secretToken', 'apiKey', 'protocol']);

/** The JS client's bulk helper flushes at 5 MB; Elasticsearch itself accepts up to 100 MB. */
export const DEFAULT_MAX_BYTES = 5_000_000;
export const DEFAULT_MAX_ITEMS = 10_000;

/**
 * A setting the environment does not provide (the Elasticsearch URL, credentials). The factory keeps
 * it and `setup` throws it, so init() fails only in an environment whose exporters include the adapter.
 */
export class MissingSetting {
  constructor(
    readonly code: ErrorCode,
    readonly option: string,
    readonly message: string,
  ) {}
}

/** Elasticsearch's URLs and credentials, or the coded error for what the environment lacks. */
export function requireSettings(checked: ElasticsearchTarget | MissingSetting): ElasticsearchTarget {
  if (checked instanceof MissingSetting) {
    throw new SightlineConfigError(checked.code, checked.option, checked.message);
  }
  return checked;
}

/** {@link checkOptions}, throwing what the environment lacks too. */
export function resolveOptions(input: ElasticOptions | undefined): ResolvedElastic {
  const { settings, elasticsearch } = checkOptions(input);
  return { ...settings, ...requireSettings(elasticsearch) };
}

/**
 * Validates the factory's options and reads `ELASTIC_*`/`ELASTICSEARCH_*` variables (options win).
 * Throws a coded `SightlineConfigError` naming the option and the fix; no secret ever appears in it.
 * A URL or credentials the environment lacks come back as a {@link MissingSetting}.
 */
export function checkOptions(input: ElasticOptions | undefined): CheckedElastic {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw invalidOption(
      'elastic',
      `elastic(options) expects an object, got ${describeValue(input)}`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const options = input ?? {};
  checkKeys('elastic', options, KNOWN);
  const env = adapterEnv('elastic.env', options.env);
  const secrets = collectSecrets(options, env);
  let checked: CheckedElastic;
  try {
    checked = resolveAll(options, env);
  } catch (error) {
    throw scrub(error, secrets);
  }
  const missing = checked.elasticsearch;
  if (!(missing instanceof MissingSetting)) return checked;
  return {
    settings: checked.settings,
    elasticsearch: new MissingSetting(
      missing.code,
      redact(missing.option, secrets),
      redact(missing.message, secrets),
    ),
  };
}

function resolveAll(options: ElasticOptions, env: Env): CheckedElastic {
  const endpoints = readEndpoints(options.endpoints);
  const node = resolveNode(options, env);
  const auth = resolveAuth(options, env, node?.userInfo);
  // Credentials meant but incomplete still mean HTTPS for every endpoint.
  const credentials = auth !== undefined;
  const given = (key: 'logs' | 'metrics' | 'events'): URL | undefined => {
    const url = endpoints[key];
    return url === undefined
      ? undefined
      : withFilterPath(resolveEndpoint(`elastic.endpoints.${key}`, url, { credentials }));
  };
  const urls = { logs: given('logs'), metrics: given('metrics'), events: given('events') };
  const settings: ElasticSettings = {
    traces: resolveTraces(options, env, endpoints.traces),
    dataset: explicitPart('elastic.dataset', options.dataset, 'dataset'),
    namespace: explicitPart('elastic.namespace', options.namespace, 'namespace'),
    eventsDataset:
      explicitPart('elastic.eventsDataset', options.eventsDataset, 'dataset') ?? 'sightline.anomaly',
    logs: oneOf('elastic.logs', options.logs, ['bulk', 'stdout'] as const, 'bulk'),
    temporality: oneOf('elastic.temporality', options.temporality, ['delta', 'cumulative'] as const, 'delta'),
    hostname: optionalText('elastic.hostname', options.hostname),
    metricIntervalMs: optionalPositiveInt('elastic.metricIntervalMs', options.metricIntervalMs),
    ...resolveLimits(options.limits),
    channel: adapterChannel('elastic.channel', options.channel),
  };
  return { settings, elasticsearch: target(node, auth, urls) };
}

function target(
  node: NodeUrl | undefined,
  auth: string | MissingSetting | undefined,
  urls: Record<'logs' | 'metrics' | 'events', URL | undefined>,
): ElasticsearchTarget | MissingSetting {
  const bulk = (url: URL | undefined) => url ?? (node ? bulkUrl(node.url) : undefined);
  const logsUrl = bulk(urls.logs);
  const metricsUrl = bulk(urls.metrics);
  const eventsUrl = bulk(urls.events);
  if (logsUrl === undefined || metricsUrl === undefined || eventsUrl === undefined) {
    return new MissingSetting(
      ErrorCodes.CONFIG_INVALID_VALUE,
      'elastic.node',
      'Elasticsearch URL is missing; pass elastic({ node: "https://host:9200" }) or elastic({ cloudId }), ' +
        'or set ELASTICSEARCH_URL (or ELASTIC_CLOUD_ID)',
    );
  }
  if (auth instanceof MissingSetting) return auth;
  const remote = [node?.url, logsUrl, metricsUrl, eventsUrl].some((u) => u && !isLoopback(u.hostname));
  if (auth === undefined && remote) {
    return new MissingSetting(
      ErrorCodes.CONFIG_MISSING_CREDENTIALS,
      'elastic.apiKey',
      'Elasticsearch needs credentials; pass elastic({ apiKey }) or elastic({ username, password }), ' +
        'or set ELASTIC_API_KEY (or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD)',
    );
  }
  return { authorization: auth, logsUrl, metricsUrl, eventsUrl };
}

/** Every secret the options or the environment hold, so an error message can be scrubbed of them. */
function collectSecrets(options: ElasticOptions, env: Env): string[] {
  const traces = typeof options.traces === 'object' && options.traces !== null ? options.traces : {};
  const values: unknown[] = [
    options.apiKey,
    typeof options.apiKey === 'object' && options.apiKey !== null ? options.apiKey.apiKey : undefined,
    options.password,
    traces.secretToken,
    traces.apiKey,
    env.ELASTIC_API_KEY,
    env.ELASTICSEARCH_API_KEY,
    env.ELASTICSEARCH_PASSWORD,
    env.ELASTIC_APM_SECRET_TOKEN,
    env.ELASTIC_APM_API_KEY,
  ];
  return values.flatMap((v) => (typeof v === 'string' && v.trim().length >= 4 ? [v.trim()] : []));
}

/** A secret pasted into the wrong option would be echoed by the error describing it: take it out. */
function scrub(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof SightlineConfigError)) return error;
  const leaked = secrets.filter((s) => error.message.includes(s) || error.option.includes(s));
  if (leaked.length === 0) return error;
  return new SightlineConfigError(
    error.code,
    redact(error.option, leaked),
    redact(error.message.replace(` [${error.code}]`, ''), leaked),
  );
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('<redacted>'), text);
}

interface NodeUrl {
  readonly url: URL;
  readonly userInfo: { username: string; password: string } | undefined;
}

/** The Elasticsearch URL the options or the environment name; `undefined` when none does. */
function resolveNode(options: ElasticOptions, env: Env): NodeUrl | undefined {
  if (options.node !== undefined && options.cloudId !== undefined) {
    throw invalidOption(
      'elastic.node',
      'Options elastic.node and elastic.cloudId are both set; pass only one of them',
    );
  }
  let option = 'elastic.node';
  let raw: string | URL | undefined = options.node;
  if (raw === undefined && options.cloudId !== undefined) {
    option = 'elastic.cloudId';
    raw = fromCloudId(option, options.cloudId);
  }
  if (raw === undefined) {
    for (const name of ['ELASTICSEARCH_URL', 'ELASTIC_NODE']) {
      const value = envValue(env, name);
      if (value !== undefined) {
        option = name;
        raw = value;
        break;
      }
    }
  }
  const cloudEnv = envValue(env, 'ELASTIC_CLOUD_ID');
  if (raw === undefined && cloudEnv !== undefined) {
    option = 'ELASTIC_CLOUD_ID';
    raw = fromCloudId(option, cloudEnv);
  }
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' && !(raw instanceof URL)) {
    throw invalidOption(
      option,
      `Option ${option} is ${describeValue(raw)}; use a URL such as https://host:9200`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  // Credentials in the URL would travel into diagnostics with it: take them out and use them as basic auth.
  let parsed: URL;
  try {
    parsed = new URL(String(raw));
  } catch {
    parsed = resolveEndpoint(option, raw, { credentials: true });
  }
  const userInfo =
    parsed.username !== ''
      ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
      : undefined;
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  const url = resolveEndpoint(option, parsed, { credentials: true });
  return { url, userInfo };
}

function fromCloudId(option: string, value: unknown): string {
  const url = typeof value === 'string' ? cloudIdToUrl(value.trim()) : undefined;
  if (url === undefined) {
    throw invalidOption(
      option,
      `${option} is ${describeValue(value)}; use the Cloud ID from the Elastic Cloud console ` +
        '(<name>:<base64>), or pass the Elasticsearch URL as node instead',
    );
  }
  return url;
}

/** `<node>/_bulk`, keeping a path prefix (a proxy mount point), with the response filter. */
function bulkUrl(node: URL): URL {
  const url = new URL(node);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/_bulk`;
  return withFilterPath(url);
}

function withFilterPath(url: URL): URL {
  const out = new URL(url);
  if (!out.searchParams.has('filter_path')) out.searchParams.set('filter_path', BULK_FILTER_PATH);
  return out;
}

function resolveAuth(
  options: ElasticOptions,
  env: Env,
  userInfo: NodeUrl['userInfo'],
): string | MissingSetting | undefined {
  const hasBasicOption = options.username !== undefined || options.password !== undefined;
  if (options.apiKey !== undefined && hasBasicOption) {
    throw invalidOption(
      'elastic.apiKey',
      'Options elastic.apiKey and elastic.username/password are both set; pass only one kind of credentials',
    );
  }
  if (options.apiKey !== undefined) return checkedApiKey('elastic.apiKey', options.apiKey);
  if (hasBasicOption) return checkedBasic('elastic', options.username, options.password);
  for (const name of ['ELASTIC_API_KEY', 'ELASTICSEARCH_API_KEY']) {
    const value = envValue(env, name);
    if (value !== undefined) return checkedApiKey(name, value, true);
  }
  const user = envValue(env, 'ELASTICSEARCH_USERNAME');
  const password = envVerbatim(env, 'ELASTICSEARCH_PASSWORD');
  if (user !== undefined || password !== undefined) {
    return checkedBasic('ELASTICSEARCH', user, password, true);
  }
  if (userInfo !== undefined) return checkedBasic('elastic.node', userInfo.username, userInfo.password);
  return undefined;
}

function checkedApiKey(option: string, value: unknown, fromEnv = false): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { id, apiKey } = value as { id?: unknown; apiKey?: unknown };
    if (typeof id === 'string' && typeof apiKey === 'string' && isHeaderToken(id) && isHeaderToken(apiKey)) {
      return apiKeyHeader({ id, apiKey });
    }
  } else if (typeof value === 'string' && isHeaderToken(value.trim())) {
    return apiKeyHeader(value.trim());
  }
  const where = fromEnv ? option : `Option ${option}`;
  // A string or { id, apiKey } is the type the option takes; what is wrong is in it.
  const taken =
    typeof value === 'string' || (typeof value === 'object' && value !== null && !Array.isArray(value));
  throw new SightlineConfigError(
    fromEnv
      ? ErrorCodes.CONFIG_INVALID_ENV
      : taken
        ? ErrorCodes.CONFIG_INVALID_VALUE
        : ErrorCodes.CONFIG_INVALID_TYPE,
    option,
    `${where} is ${describeValue(value, true)}; use the API key's "encoded" value, an "id:api_key" pair ` +
      'or { id, apiKey }, without spaces',
  );
}

/** A basic auth header; a user name or password the environment lacks is kept for setup. */
function checkedBasic(
  prefix: string,
  username: unknown,
  password: unknown,
  fromEnv = false,
): string | MissingSetting {
  const userOption = fromEnv
    ? `${prefix}_USERNAME`
    : prefix === 'elastic.node'
      ? prefix
      : `${prefix}.username`;
  const passwordOption = fromEnv
    ? `${prefix}_PASSWORD`
    : prefix === 'elastic.node'
      ? prefix
      : `${prefix}.password`;
  if (typeof username !== 'string' || username === '' || username.includes(':')) {
    // What follows a ':' is most likely the password, given with the user name as user:password.
    const shown = typeof username === 'string' ? username.replace(/:.*/s, ':…') : username;
    const message = `${userOption} is ${describeValue(shown)}; basic auth needs a user name without ':' along with ${passwordOption}`;
    if (fromEnv) return new MissingSetting(ErrorCodes.CONFIG_MISSING_CREDENTIALS, userOption, message);
    throw new SightlineConfigError(invalidCode(username, 'string'), userOption, message);
  }
  if (!fromEnv && password !== undefined && typeof password !== 'string') {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      passwordOption,
      `${passwordOption} is ${describeValue(password, true)}; use the password as a string`,
    );
  }
  if (typeof password !== 'string' || password === '') {
    return new MissingSetting(
      ErrorCodes.CONFIG_MISSING_CREDENTIALS,
      passwordOption,
      `${passwordOption} is ${describeValue(password, true)}; basic auth needs the password of ${describeValue(username)}`,
    );
  }
  return basicHeader(username, password);
}

function readEndpoints(input: unknown): ElasticEndpoints {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidOption(
      'elastic.endpoints',
      `Option elastic.endpoints is ${describeValue(input)}; use an object of URLs`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  checkKeys('elastic.endpoints', input, ENDPOINT_KEYS);
  return input as ElasticEndpoints;
}

function resolveTraces(
  options: ElasticOptions,
  env: Env,
  endpoint: string | URL | undefined,
): ElasticSettings['traces'] {
  const input = options.traces;
  if (input === false) return undefined;
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw invalidOption(
      'elastic.traces',
      `Option elastic.traces is ${describeValue(input)}; use { url, secretToken | apiKey } or false`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  const traces = (input ?? {}) as ElasticTracesOptions;
  checkKeys('elastic.traces', traces, TRACES_KEYS);
  const protocol = oneOf(
    'elastic.traces.protocol',
    traces.protocol,
    ['http/protobuf', 'http/json'] as const,
    'http/protobuf',
  );
  let authorization: string | undefined;
  if (traces.secretToken !== undefined) {
    authorization = `Bearer ${token('elastic.traces.secretToken', traces.secretToken)}`;
  } else if (traces.apiKey !== undefined) {
    authorization = checkedApiKey('elastic.traces.apiKey', traces.apiKey);
  } else if (envValue(env, 'ELASTIC_APM_SECRET_TOKEN') !== undefined) {
    authorization = `Bearer ${token('ELASTIC_APM_SECRET_TOKEN', envValue(env, 'ELASTIC_APM_SECRET_TOKEN'), true)}`;
  } else if (envValue(env, 'ELASTIC_APM_API_KEY') !== undefined) {
    authorization = checkedApiKey('ELASTIC_APM_API_KEY', envValue(env, 'ELASTIC_APM_API_KEY'), true);
  } else {
    const esKey =
      options.apiKey ?? envValue(env, 'ELASTIC_API_KEY') ?? envValue(env, 'ELASTICSEARCH_API_KEY');
    if (esKey !== undefined) authorization = checkedApiKey('elastic.apiKey', esKey);
  }
  const credentials = authorization !== undefined;
  if (endpoint !== undefined) {
    return {
      url: resolveEndpoint('elastic.endpoints.traces', endpoint, { credentials }),
      authorization,
      protocol,
    };
  }
  let option = 'elastic.traces.url';
  let base: string | URL | undefined = traces.url;
  for (const name of ['ELASTIC_APM_SERVER_URL', 'ELASTIC_OTLP_ENDPOINT']) {
    if (base !== undefined) break;
    base = envValue(env, name);
    option = name;
  }
  if (base === undefined) return undefined;
  const url = resolveEndpoint(option, base, { credentials });
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return { url, authorization, protocol };
}

function token(option: string, value: unknown, fromEnv = false): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!isHeaderToken(text)) {
    throw new SightlineConfigError(
      fromEnv ? ErrorCodes.CONFIG_INVALID_ENV : invalidCode(value, 'string'),
      option,
      `${fromEnv ? option : `Option ${option}`} is ${describeValue(value, true)}; use the APM Server secret token, without spaces`,
    );
  }
  return text;
}

function explicitPart(option: string, value: unknown, what: 'dataset' | 'namespace'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isValidDataStreamPart(value)) return value;
  const suggestion =
    typeof value === 'string'
      ? cleanDataStreamPart(value, what === 'dataset' ? 'generic' : 'default')
      : 'generic';
  throw invalidOption(
    option,
    `Option ${option} is ${describeValue(value)}; a data stream ${what} is 1 to 100 lowercase letters, digits, ` +
      `'.' or '_' (no '-', which separates <type>-<dataset>-<namespace>), e.g. ${JSON.stringify(suggestion)}`,
    invalidCode(value, 'string'),
  );
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalidOption(
    option,
    `Option ${option} is ${describeValue(value)}; use ${allowed.map((a) => `'${a}'`).join(' or ')}`,
    invalidCode(value, 'string'),
  );
}

function optionalText(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidOption(
      option,
      `Option ${option} is ${describeValue(value)}; use a non-empty string`,
      invalidCode(value, 'string'),
    );
  }
  return value.trim();
}

function resolveLimits(input: unknown): { maxBytes: number; maxItems: number } {
  if (input === undefined) return { maxBytes: DEFAULT_MAX_BYTES, maxItems: DEFAULT_MAX_ITEMS };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidOption(
      'elastic.limits',
      `Option elastic.limits is ${describeValue(input)}; use { maxBytes, maxItems }`,
      ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  checkKeys('elastic.limits', input, new Set(['maxBytes', 'maxItems']));
  const limits = input as { maxBytes?: unknown; maxItems?: unknown };
  return {
    maxBytes: optionalPositiveInt('elastic.limits.maxBytes', limits.maxBytes) ?? DEFAULT_MAX_BYTES,
    maxItems: optionalPositiveInt('elastic.limits.maxItems', limits.maxItems) ?? DEFAULT_MAX_ITEMS,
  };
}

function checkKeys(prefix: string, object: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
        `${prefix}.${key}`,
        `${prefix === 'elastic' ? 'elastic()' : `Option ${prefix}`} has no option ${JSON.stringify(key)}; ` +
          `known options: ${[...known].join(', ')}`,
      );
    }
  }
}
