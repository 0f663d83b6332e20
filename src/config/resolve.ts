import { readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import type { Attributes } from '@opentelemetry/api';
import { isAttributeValue } from '@opentelemetry/core';
import type { DiagLevel } from '../diag/diag.js';
import {
  type ErrorCode,
  ErrorCodes,
  SightlineConfigError,
  describeType,
  describeValue,
} from '../diag/errors.js';
import { wallClock } from '../anomaly/wall-clock.js';
import type { SightlineAdapter } from '../export/types.js';
import { stripUndefined } from '../internal/strip-undefined.js';
import { type Env, envBoolean, envKeyValues, envList, envNumber, envString, parseTagList } from './env.js';
import { otelSignalsOff } from './otel-exporters.js';
import { otelPropagators } from './otel-propagators.js';
import { editDistance, environmentWarning, unusedKeyWarning } from './environment-warning.js';
import { findInvalidRedactPath } from './redact-paths.js';
import type { AnomalyConfig, LogLevel, ProfileOptions, ResolvedConfig, SightlineConfig } from './types.js';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DIAG_LEVELS: readonly DiagLevel[] = ['debug', 'info', 'warn', 'error', 'none'];
const SENSITIVITIES = ['low', 'medium', 'high'] as const;

/** Options a profile may set; the top level takes these and a few more. */
const PROFILE_OPTIONS = new Set([
  'resource',
  'exporters',
  'logLevel',
  'redact',
  'sampling',
  'metricInterval',
  'cardinalityLimit',
  'maxAttributeLength',
  'handleSignals',
  'diagnostics',
  'outbound',
  'anomaly',
  'shutdownTimeout',
]);

const KNOWN_OPTIONS = new Set([
  ...PROFILE_OPTIONS,
  'service',
  'environment',
  'version',
  'profiles',
  'logStream',
]);

const DEFAULTS = {
  environment: 'development',
  logLevel: 'info' as LogLevel,
  sampling: 1,
  metricInterval: 60_000,
  cardinalityLimit: 2000,
  maxAttributeLength: 4096,
  handleSignals: false,
  diagnostics: 'none' as DiagLevel,
  outbound: true,
  shutdownTimeout: 5000,
  anomaly: { sensitivity: 'medium' as const, maxSeries: 1000, http: true, exportBands: false },
};

function fail(
  option: string,
  value: unknown,
  fix: string,
  code: ErrorCode = ErrorCodes.CONFIG_INVALID_VALUE,
): never {
  throw new SightlineConfigError(code, option, `option ${option}=${describeValue(value)} is invalid: ${fix}`);
}

/** An option sightline does not know may hold anything, a credential included: name its type only. */
function failUnknown(option: string, value: unknown): never {
  throw new SightlineConfigError(
    ErrorCodes.CONFIG_UNKNOWN_OPTION,
    option,
    `option ${option} (${describeType(value)}) is unknown: remove it or check its spelling against the README`,
  );
}

function checkString(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    fail(option, value, 'pass a non-empty string', ErrorCodes.CONFIG_INVALID_TYPE);
  if (value.trim() === '') fail(option, value, 'pass a non-empty string');
  return value.trim();
}

function checkNumber(
  option: string,
  value: unknown,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  if (value === undefined) return undefined;
  const range = `pass ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`;
  if (typeof value !== 'number') fail(option, value, range, ErrorCodes.CONFIG_INVALID_TYPE);
  // A number of the wrong size is a bad value, as a level or sensitivity no preset names is.
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    fail(option, value, range);
  }
  return value;
}

function checkBoolean(option: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') fail(option, value, 'pass true or false', ErrorCodes.CONFIG_INVALID_TYPE);
  return value;
}

function checkEnum<T extends string>(option: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const fix = `use one of ${allowed.join(', ')}`;
  if (typeof value !== 'string') fail(option, value, fix, ErrorCodes.CONFIG_INVALID_TYPE);
  if (!(allowed as readonly string[]).includes(value)) fail(option, value, fix);
  return value as T;
}

function checkAdapters(option: string, value: unknown): SightlineAdapter[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    fail(option, value, 'pass a list of adapters such as [otlp()]', ErrorCodes.CONFIG_INVALID_TYPE);
  value.forEach((a, i) => {
    if (a === null || typeof a !== 'object' || typeof a.name !== 'string' || typeof a.setup !== 'function') {
      fail(
        `${option}[${i}]`,
        a,
        'pass an adapter made by a factory such as datadog() or otlp()',
        ErrorCodes.CONFIG_INVALID_ADAPTER,
      );
    }
  });
  // Every environment's list, not only the one running: a duplicate in production's fails here too.
  const names = new Set<string>();
  for (const a of value as SightlineAdapter[]) {
    if (names.has(a.name)) {
      // otlp() is the one adapter two of which may run, to two collectors, each under its own name.
      const second =
        a.name === 'otlp' ? "; give a second otlp() a name of its own (otlp({ url, name: 'otlp-2' }))" : '';
      fail(
        option,
        a.name,
        `each adapter may appear once per environment${second}`,
        ErrorCodes.CONFIG_INVALID_ADAPTER,
      );
    }
    names.add(a.name);
  }
  return value as SightlineAdapter[];
}

/** What an entry of an attribute's list may be. */
const ATTRIBUTE_ENTRY_TYPES: ReadonlySet<string> = new Set(['string', 'number', 'boolean']);

function checkAttributes(option: string, value: unknown): Attributes | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(option, value, 'pass an object of string, number or boolean values', ErrorCodes.CONFIG_INVALID_TYPE);
  }
  const out: Attributes = {};
  for (const [k, v] of Object.entries(value)) {
    // Left unset, as `version: process.env.GIT_SHA` may be: OpenTelemetry's Attributes type allows it.
    if (v === undefined) continue;
    // Arrays of one type too, as the semantic conventions give some (host.ip, aws.log.group.names).
    if (v === null || !isAttributeValue(v)) {
      fail(
        `${option}.${k}`,
        v,
        'use a string, number or boolean, or an array of one of them',
        // A list of values an attribute takes, mixed, is of the right type; one holding a value no
        // attribute takes (an object, a list) is not, as a number in redact is not.
        Array.isArray(v) && v.every((e) => e == null || ATTRIBUTE_ENTRY_TYPES.has(typeof e))
          ? ErrorCodes.CONFIG_INVALID_VALUE
          : ErrorCodes.CONFIG_INVALID_TYPE,
      );
    }
    out[k] = Array.isArray(v) ? (v.slice() as typeof v) : v;
  }
  return out;
}

function checkStrings(option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const fix = 'pass a list of non-empty strings';
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    fail(option, value, fix, ErrorCodes.CONFIG_INVALID_TYPE);
  }
  if (value.includes('')) fail(option, value, fix);
  return value as string[];
}

function checkRedact(option: string, value: unknown): string[] | undefined {
  const entries = checkStrings(option, value);
  const invalid = entries && findInvalidRedactPath(entries);
  if (invalid !== undefined)
    fail(
      option,
      invalid,
      "use a key, or a path such as 'order.card' or 'items[0].card' with closed brackets",
    );
  return entries;
}

const ANOMALY_OPTIONS: ReadonlySet<string> = new Set<keyof AnomalyConfig>([
  'sensitivity',
  'maxSeries',
  'http',
  'warmup',
  'confirm',
  'exportBands',
  'timeZone',
]);

function checkAnomaly(option: string, value: unknown): AnomalyConfig | false | undefined {
  if (value === undefined || value === false) return value;
  if (value === null || typeof value !== 'object')
    fail(option, value, 'pass an object or false', ErrorCodes.CONFIG_INVALID_TYPE);
  const v = value as AnomalyConfig;
  for (const key of Object.keys(v))
    if (!ANOMALY_OPTIONS.has(key)) failUnknown(`${option}.${key}`, v[key as never]);
  if (typeof v.sensitivity === 'number') checkNumber(`${option}.sensitivity`, v.sensitivity, 0, 1);
  else checkEnum(`${option}.sensitivity`, v.sensitivity, SENSITIVITIES);
  checkNumber(`${option}.maxSeries`, v.maxSeries, 1, 1_000_000, true);
  checkBoolean(`${option}.http`, v.http);
  checkNumber(`${option}.warmup`, v.warmup, 10, 1_000_000, true);
  checkBoolean(`${option}.exportBands`, v.exportBands);
  checkNumber(`${option}.confirm`, v.confirm, 1, 100, true);
  if (v.timeZone !== undefined && (typeof v.timeZone !== 'string' || wallClock(v.timeZone) === undefined)) {
    fail(
      `${option}.timeZone`,
      v.timeZone,
      "pass an IANA time zone name such as 'America/New_York' or 'UTC'",
      typeof v.timeZone === 'string' ? ErrorCodes.CONFIG_INVALID_VALUE : ErrorCodes.CONFIG_INVALID_TYPE,
    );
  }
  return {
    sensitivity: v.sensitivity,
    maxSeries: v.maxSeries,
    http: v.http,
    warmup: v.warmup,
    confirm: v.confirm,
    exportBands: v.exportBands,
    timeZone: v.timeZone,
  };
}

/**
 * Validates the options a profile or the top level may set, exporters aside (the top level keys them
 * by environment). Each is read by name, as `service` is, so a getter, a prototype or a Proxy gives it.
 */
function checkOptions(
  prefix: string,
  o: Omit<ProfileOptions, 'exporters'>,
): Omit<ProfileOptions, 'exporters'> {
  return {
    resource: checkAttributes(`${prefix}resource`, o.resource),
    logLevel: checkEnum(`${prefix}logLevel`, o.logLevel, LOG_LEVELS),
    redact: checkRedact(`${prefix}redact`, o.redact),
    sampling: checkNumber(`${prefix}sampling`, o.sampling, 0, 1),
    metricInterval: checkNumber(`${prefix}metricInterval`, o.metricInterval, 100, 86_400_000, true),
    cardinalityLimit: checkNumber(`${prefix}cardinalityLimit`, o.cardinalityLimit, 1, 1_000_000, true),
    maxAttributeLength: checkNumber(`${prefix}maxAttributeLength`, o.maxAttributeLength, 16, 1_048_576, true),
    handleSignals: checkBoolean(`${prefix}handleSignals`, o.handleSignals),
    diagnostics: checkEnum(`${prefix}diagnostics`, o.diagnostics, DIAG_LEVELS),
    outbound: checkBoolean(`${prefix}outbound`, o.outbound),
    anomaly: checkAnomaly(`${prefix}anomaly`, o.anomaly),
    shutdownTimeout: checkNumber(`${prefix}shutdownTimeout`, o.shutdownTimeout, 0, 600_000, true),
  };
}

/**
 * Checks every profile, not only the current environment's: a mistake in the production profile
 * fails init() on a developer's machine instead of first showing in production.
 */
function checkProfiles(value: unknown): Map<string, ProfileOptions> {
  const profiles = new Map<string, ProfileOptions>();
  if (value === undefined) return profiles;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail('profiles', value, 'pass an object keyed by environment name', ErrorCodes.CONFIG_INVALID_TYPE);
  for (const [name, raw] of Object.entries(value)) {
    const prefix = `profiles.${name}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      fail(prefix, raw, 'pass an object of options', ErrorCodes.CONFIG_INVALID_TYPE);
    for (const key of Object.keys(raw)) {
      if (!PROFILE_OPTIONS.has(key)) failUnknown(`${prefix}.${key}`, (raw as Record<string, unknown>)[key]);
    }
    const options = raw as ProfileOptions;
    profiles.set(name, {
      ...checkOptions(`${prefix}.`, options),
      exporters: checkAdapters(`${prefix}.exporters`, options.exporters),
    });
  }
  return profiles;
}

/**
 * The process's entry script, handed to the worker threads the main thread starts: a thread's own
 * argv[1] is the file it runs, a pool's under node_modules or none for code given as text, where
 * the process is one service. A thread started by a main thread that loaded no sightline has its own.
 */
const MAIN_ENTRY = 'sightline.config.mainEntry.v1';
if (isMainThread && process.argv[1] !== undefined) setEnvironmentData(MAIN_ENTRY, process.argv[1]);
const handed = isMainThread ? undefined : getEnvironmentData(MAIN_ENTRY);
const mainThreadEntry = typeof handed === 'string' ? handed : undefined;

/**
 * The name in the working directory's package.json, else in the nearest one above the entry script,
 * where dd-trace reads it: a service started by its path from another directory (systemd with no
 * WorkingDirectory, cron) is named all the same. An entry under node_modules is a tool the process
 * was started through (a test runner, a process manager), whose name no service has; so is the
 * entry of a Lambda function, its runtime's, the function's code being in the working directory.
 * `cwd` defaults to the process's, which it cannot name once that directory was removed (ENOENT).
 */
function packageName(cwd: string | undefined, env: Env): string | undefined {
  const entry =
    env.LAMBDA_TASK_ROOT === undefined ? appEntry(mainThreadEntry ?? process.argv[1], env) : undefined;
  let here: string;
  try {
    here = cwd ?? process.cwd();
  } catch {
    here = '';
  }
  const found = here === '' ? undefined : readPackageName(join(here, 'package.json'));
  if (found !== undefined || entry === undefined || !isAbsolute(entry)) return found || undefined;
  // node names the entry as it was given, a link to it (a command in a bin directory) too; the
  // script, and so its package, is where the link leads, as dd-trace finds it.
  const script = realPath(entry);
  if ([entry, script].some((path) => /[\\/]node_modules[\\/]/.test(path))) return undefined;
  // The entry may be the app's directory (`node /srv/app`, run as its package's main), whose own
  // package.json comes first; for a script, that read finds nothing.
  for (let dir = script; ; dir = dirname(dir)) {
    const name = readPackageName(join(dir, 'package.json'));
    // The nearest package.json is the app's, named or not, as for dd-trace.
    if (name !== undefined) return name || undefined;
    if (dirname(dir) === dir) return undefined;
  }
}

const PM2_CONTAINER = /[\\/]ProcessContainer(?:Fork)?\.js$/;

/**
 * pm2 starts a service through its container script, which loads the script `pm_exec_path` names:
 * that is the service's entry, pm2's own package (or none, under node_modules) naming no service.
 * A process the service starts inherits pm_exec_path with an entry of its own, which stays its.
 */
function appEntry(entry: string | undefined, env: Env): string | undefined {
  const pm2Script = env.pm_exec_path;
  if (entry === undefined || pm2Script === undefined || !PM2_CONTAINER.test(entry)) return entry;
  return pm2Script;
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The package's name, '' for a package.json that has none or cannot be read, undefined for none. */
function readPackageName(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const { name } = JSON.parse(text) as { name?: unknown };
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}

/**
 * A service, environment or version in OTEL_RESOURCE_ATTRIBUTES; an empty one (`service.name=`, a
 * template whose variable was not set) is unset, as an empty variable is, and the next source decides.
 */
function identityIn(attributes: Record<string, string> | undefined, key: string): string | undefined {
  const value = attributes?.[key];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * OTEL_RESOURCE_ATTRIBUTES without a `service.version` or `service.instance.id` left empty, which is
 * unset. An empty version, kept, went on every span and metric of a service whose log lines have no
 * version; an empty instance id was every process's, its random one given up, so the cumulative sums
 * of `node:cluster` workers mixed again. An empty service or environment needs no such care: the
 * resolved ones always replace them.
 */
function withoutEmptyIdentity(attributes: Record<string, string> | undefined): Record<string, string> {
  const out = { ...attributes };
  for (const key of ['service.version', 'service.instance.id']) if (out[key] === '') delete out[key];
  return out;
}

type DdIdentity = Partial<Record<'env' | 'service' | 'version', string>>;

/**
 * The `env`, `service` and `version` entries of DD_TAGS, which dd-trace takes when DD_ENV,
 * DD_SERVICE or DD_VERSION is unset (the last of a key winning, as there): unified service tagging
 * may be given as tags alone. An empty one is unset, as in OTEL_RESOURCE_ATTRIBUTES.
 */
function ddTagsIdentity(env: Env): DdIdentity {
  const out: DdIdentity = {};
  const raw = envString(env, 'DD_TAGS');
  if (raw === undefined) return out;
  for (const entry of parseTagList(raw)) {
    const colon = entry.indexOf(':');
    // A bare tag (`canary`) has no key: sliced at -1 it would read `envs` as env:envs.
    if (colon < 0) continue;
    const key = entry.slice(0, colon);
    const value = entry.slice(colon + 1);
    if ((key === 'env' || key === 'service' || key === 'version') && value !== '') out[key] = value;
  }
  return out;
}

/** The first value that is defined, in precedence order, with the name of its source. */
function pickNamed(...sources: [string, string | undefined][]): [string, string] | undefined {
  for (const [name, value] of sources) if (value !== undefined) return [name, value];
  return undefined;
}

/**
 * Environment names are matched exactly, so `Production` would take no exporters or profile set for
 * `production` and run with the console alone; Datadog, lowercasing the env tag, reads the two as
 * one, and nobody keeps two environments that differ only in case. Fail naming the source instead.
 * A name matching none in any case is an environment of its own (test, a preview), as documented.
 */
function checkEnvironmentCase(source: string, environment: string, configured: readonly string[]): void {
  if (configured.includes(environment)) return;
  const lower = environment.toLowerCase();
  // `default` is what any other name takes, not a name one meant.
  const meant = configured.find((name) => name !== 'default' && name.toLowerCase() === lower);
  if (meant === undefined) return;
  throw new SightlineConfigError(
    source === 'environment' ? ErrorCodes.CONFIG_INVALID_VALUE : ErrorCodes.CONFIG_INVALID_ENV,
    source,
    `${source} gives the environment ${describeValue(environment)}, which has no exporters or profile, ` +
      `while ${describeValue(meant)} has: environment names are matched exactly; write it as ${describeValue(meant)}`,
  );
}

/** The first value that is defined, in precedence order. */
function pick<T>(...values: (T | undefined)[]): T | undefined {
  for (const v of values) if (v !== undefined) return v;
  return undefined;
}

/**
 * Resolves the configuration once, at `init()`: code > SIGHTLINE_* > standard variables
 * (OTEL_*, DD_*, NODE_ENV) > the environment's profile > defaults. Throws a
 * `SightlineConfigError` naming the option and the fix on the first mistake.
 */
export function resolveConfig(
  input: SightlineConfig = {},
  env: Env = process.env,
  cwd?: string,
): ResolvedConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    // Whatever came instead of options (a key read from the wrong variable) is named by type only.
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      'config',
      `init() was given ${describeType(input)}: pass an options object to init()`,
    );
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN_OPTIONS.has(key)) failUnknown(key, (input as Record<string, unknown>)[key]);
  }
  const code = checkOptions('', input);
  const otelResource = envKeyValues(env, 'OTEL_RESOURCE_ATTRIBUTES');
  const ddTags = ddTagsIdentity(env);

  // Each with the option or variable it comes from, to name it if it matches no environment.
  const environmentSources: [string, string | undefined][] = [
    ['environment', checkString('environment', input.environment)],
    ['SIGHTLINE_ENV', envString(env, 'SIGHTLINE_ENV')],
    ['DD_ENV', envString(env, 'DD_ENV')],
    ['DD_TAGS', ddTags.env],
    ['OTEL_RESOURCE_ATTRIBUTES', identityIn(otelResource, 'deployment.environment.name')],
    ['OTEL_RESOURCE_ATTRIBUTES', identityIn(otelResource, 'deployment.environment')],
    ['NODE_ENV', envString(env, 'NODE_ENV')],
  ];
  const [environmentSource, environment] = pickNamed(...environmentSources) ?? [
    'environment',
    DEFAULTS.environment,
  ];

  const profiles = checkProfiles(input.profiles);
  const exporterKeys =
    input.exporters !== null && typeof input.exporters === 'object' && !Array.isArray(input.exporters)
      ? Object.keys(input.exporters)
      : [];
  const configured = [...profiles.keys(), ...exporterKeys];
  checkEnvironmentCase(environmentSource, environment, configured);
  const profile = profiles.get(environment) ?? profiles.get('default') ?? {};

  const [serviceSource, service] = pickNamed(
    ['service', checkString('service', input.service)],
    ['SIGHTLINE_SERVICE', envString(env, 'SIGHTLINE_SERVICE')],
    ['OTEL_SERVICE_NAME', envString(env, 'OTEL_SERVICE_NAME')],
    ['OTEL_RESOURCE_ATTRIBUTES', identityIn(otelResource, 'service.name')],
    ['DD_SERVICE', envString(env, 'DD_SERVICE')],
    ['DD_TAGS', ddTags.service],
  ) ?? ['service', packageName(cwd, env) ?? 'unknown_service:node'];

  const [versionSource, version] = pickNamed(
    ['version', checkString('version', input.version)],
    ['SIGHTLINE_VERSION', envString(env, 'SIGHTLINE_VERSION')],
    ['OTEL_RESOURCE_ATTRIBUTES', identityIn(otelResource, 'service.version')],
    ['DD_VERSION', envString(env, 'DD_VERSION')],
    ['DD_TAGS', ddTags.version],
  ) ?? ['version', undefined];

  const selection = envList(env, 'SIGHTLINE_EXPORTERS');
  const exporters = selectExporters(
    input.exporters,
    { own: profiles.get(environment)?.exporters, fallback: profile.exporters },
    environment,
    selection,
  );
  const consoleOn =
    selection?.includes('console') === true || (exporters.length === 0 && !selection?.includes('none'));

  const chosenSampling = pick(code.sampling, envNumber(env, 'SIGHTLINE_SAMPLING', 0, 1));
  const standardSampler = otelSampler(env);
  // dd-trace's ratio, parent-based there too: a service moved from it keeps its share of traces.
  const ddSampleRate = envNumber(env, 'DD_TRACE_SAMPLE_RATE', 0, 1);
  checkSpanCountLimits(env);
  // The OpenTelemetry switch for every signal it covers; it wins over code, as the SDKs' does.
  const sdkDisabled = otelSdkDisabled(env);

  // Read whatever the switch decides, so that a bad value still fails init().
  const anomalySwitch = envBoolean(env, 'SIGHTLINE_ANOMALY');
  // `true` ranks above a profile's `false`, as variables do, and keeps a profile's settings.
  const profileAnomaly = anomalySwitch === true && profile.anomaly === false ? {} : profile.anomaly;
  const configuredAnomaly = mergeAnomaly(code.anomaly, anomalySwitch === false ? false : profileAnomaly);
  const anomaly = sdkDisabled ? false : configuredAnomaly;
  const outbound =
    pick(code.outbound, envBoolean(env, 'SIGHTLINE_OUTBOUND'), profile.outbound) ?? DEFAULTS.outbound;

  return Object.freeze({
    service,
    environment,
    version,
    identitySources: Object.freeze({
      service: serviceSource,
      environment: environmentSource,
      version: versionSource,
    }),
    resource: Object.freeze({ ...profile.resource, ...withoutEmptyIdentity(otelResource), ...code.resource }),
    // A copy: the list chosen is the caller's own array, which freezing would lock for them.
    exporters: Object.freeze([...exporters]),
    console: consoleOn,
    logLevel:
      pick(code.logLevel, checkEnvEnum(env, 'SIGHTLINE_LOG_LEVEL', LOG_LEVELS), profile.logLevel) ??
      DEFAULTS.logLevel,
    redact: Object.freeze([...(profile.redact ?? []), ...(envRedact(env) ?? []), ...(code.redact ?? [])]),
    sampling: sdkDisabled
      ? 0
      : (pick(chosenSampling, standardSampler?.ratio, ddSampleRate, profile.sampling) ?? DEFAULTS.sampling),
    samplingIsDdTraceSampleRate:
      !sdkDisabled &&
      chosenSampling === undefined &&
      standardSampler === undefined &&
      ddSampleRate !== undefined,
    samplingParentBased:
      !sdkDisabled && (chosenSampling !== undefined || (standardSampler?.parentBased ?? true)),
    metricInterval:
      pick(
        code.metricInterval,
        envNumber(env, 'SIGHTLINE_METRIC_INTERVAL', 100, 86_400_000, true),
        envNumber(env, 'OTEL_METRIC_EXPORT_INTERVAL', 100, 86_400_000, true),
        profile.metricInterval,
      ) ?? DEFAULTS.metricInterval,
    cardinalityLimit:
      pick(
        code.cardinalityLimit,
        envNumber(env, 'SIGHTLINE_CARDINALITY_LIMIT', 1, 1_000_000, true),
        profile.cardinalityLimit,
      ) ?? DEFAULTS.cardinalityLimit,
    maxAttributeLength:
      pick(
        code.maxAttributeLength,
        envNumber(env, 'SIGHTLINE_MAX_ATTRIBUTE_LENGTH', 16, 1_048_576, true),
        // The SDK's own limits, which the one sightline gives its tracer provider would override.
        envNumber(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 16, 1_048_576, true),
        envNumber(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 16, 1_048_576, true),
        profile.maxAttributeLength,
      ) ?? DEFAULTS.maxAttributeLength,
    handleSignals:
      pick(code.handleSignals, envBoolean(env, 'SIGHTLINE_HANDLE_SIGNALS'), profile.handleSignals) ??
      DEFAULTS.handleSignals,
    diagnostics:
      pick(code.diagnostics, checkEnvEnum(env, 'SIGHTLINE_DIAGNOSTICS', DIAG_LEVELS), profile.diagnostics) ??
      DEFAULTS.diagnostics,
    outbound: outbound && !sdkDisabled,
    anomaly:
      anomaly === false ? false : Object.freeze({ ...DEFAULTS.anomaly, ...stripUndefined(anomaly ?? {}) }),
    shutdownTimeout:
      pick(
        code.shutdownTimeout,
        envNumber(env, 'SIGHTLINE_SHUTDOWN_TIMEOUT', 0, 600_000, true),
        profile.shutdownTimeout,
      ) ?? DEFAULTS.shutdownTimeout,
    logStream: checkLogStream(input.logStream),
    sdkDisabled,
    signalsOff: otelSignalsOff(env),
    propagators: otelPropagators(env),
    variableWarnings: unknownVariables(env),
    environmentWarning:
      environmentWarning(
        environmentSource,
        environment,
        environmentSources,
        configured,
        // What it runs with, as a list of exporters given for every environment or `default` may set;
        // with the SDK disabled, init() gives it none of them.
        `runs with ${sdkDisabled ? 'no exporter, as OTEL_SDK_DISABLED=true,' : [...exporters.map((a) => a.name), ...(consoleOn ? ['the console'] : [])].join(', ') || 'nothing'} and ${profiles.has('default') ? "`default`'s profile" : 'the defaults'}`,
      ) ??
      unusedKeyWarning(
        environmentSource,
        environment,
        exporterKeys,
        [...profiles.keys()],
        profiles.get(environment)?.exporters !== undefined,
      ),
  });
}

/** The SIGHTLINE_* variables read, and the record of warnings given that sightline keeps in one. */
const SIGHTLINE_VARIABLES: readonly string[] = [
  'SIGHTLINE_SERVICE',
  'SIGHTLINE_ENV',
  'SIGHTLINE_VERSION',
  'SIGHTLINE_EXPORTERS',
  'SIGHTLINE_LOG_LEVEL',
  'SIGHTLINE_REDACT',
  'SIGHTLINE_SAMPLING',
  'SIGHTLINE_METRIC_INTERVAL',
  'SIGHTLINE_CARDINALITY_LIMIT',
  'SIGHTLINE_MAX_ATTRIBUTE_LENGTH',
  'SIGHTLINE_HANDLE_SIGNALS',
  'SIGHTLINE_SHUTDOWN_TIMEOUT',
  'SIGHTLINE_OUTBOUND',
  'SIGHTLINE_ANOMALY',
  'SIGHTLINE_DIAGNOSTICS',
  'SIGHTLINE_WARNINGS_GIVEN',
];

/**
 * A SIGHTLINE_* variable no release reads is a misspelt one (`SIGHTLINE_ENVIRONMENT`), whose value
 * would otherwise go unused without a word: a service meant for production running as development.
 * Told rather than failed on, as an option is: a variable may be set for many processes at once.
 */
function unknownVariables(env: Env): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('SIGHTLINE_') || SIGHTLINE_VARIABLES.includes(name)) continue;
    if (env[name] === undefined || env[name].trim() === '') continue;
    // One ending in a variable's own word is that variable qualified (SIGHTLINE_SERVICE_VERSION is
    // SIGHTLINE_VERSION, not SIGHTLINE_SERVICE, which would name the service by the version).
    const meant =
      SIGHTLINE_VARIABLES.find((known) => name.endsWith(known.slice('SIGHTLINE'.length))) ??
      SIGHTLINE_VARIABLES.find(
        (known) => name.startsWith(known) || editDistance(name, known, 2) !== undefined,
      );
    warnings.push(
      `${name} is set, but sightline reads no variable of that name, so it changes nothing; ${
        meant === undefined
          ? "the ones it reads are in the README's Configuration table"
          : `did you mean ${meant}?`
      }`,
    );
  }
  return warnings;
}

/** The detector's settings: the top level's over those below it, key by key, as for `resource`. */
function mergeAnomaly(
  top: AnomalyConfig | false | undefined,
  below: AnomalyConfig | false | undefined,
): AnomalyConfig | false | undefined {
  if (top === undefined) return below;
  if (top === false || !below) return top;
  return { ...below, ...stripUndefined(top) };
}

function checkEnvEnum<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  anyCase = false,
): T | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const value = anyCase ? raw.toLowerCase() : raw;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      name,
      `${name}=${describeValue(raw)} is invalid; use one of ${allowed.join(', ')}`,
    );
  }
  return value as T;
}

function envRedact(env: Env): string[] | undefined {
  const entries = envList(env, 'SIGHTLINE_REDACT');
  const invalid = entries && findInvalidRedactPath(entries);
  if (invalid !== undefined) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      'SIGHTLINE_REDACT',
      `SIGHTLINE_REDACT holds the path ${describeValue(invalid)}, which is invalid; use a key, or a path such as order.card or items[0].card with closed brackets`,
    );
  }
  return entries;
}

function checkLogStream(value: unknown) {
  if (value === undefined) return undefined;
  if (value === null || typeof (value as { write?: unknown }).write !== 'function') {
    fail('logStream', value, 'pass an object with a write(line) method', ErrorCodes.CONFIG_INVALID_TYPE);
  }
  return value as ResolvedConfig['logStream'];
}

/**
 * OTEL_SDK_DISABLED, read as the specification defines it: `true` in any case turns the SDK off,
 * `false` leaves it on. Anything else fails, rather than guess whether `1` meant true, which the
 * specification reads as false.
 */
function otelSdkDisabled(env: Env): boolean {
  const raw = envString(env, 'OTEL_SDK_DISABLED');
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') return true;
  throw new SightlineConfigError(
    ErrorCodes.CONFIG_INVALID_ENV,
    'OTEL_SDK_DISABLED',
    `OTEL_SDK_DISABLED=${describeValue(raw)} is not a boolean; use true or false`,
  );
}

/** The span limits the OpenTelemetry SDK reads itself, with the names the JS SDK gives them. */
const SPAN_COUNT_LIMITS = [
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT',
];

/**
 * The SDK skips a limit it cannot read with a diagnostic nobody sees and keeps its default of 128:
 * fail instead, as for the variables sightline reads.
 */
function checkSpanCountLimits(env: Env): void {
  for (const name of SPAN_COUNT_LIMITS) envNumber(env, name, 0, Number.MAX_SAFE_INTEGER, true);
}

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * OTEL_TRACES_SAMPLER=parentbased_traceidratio|traceidratio with OTEL_TRACES_SAMPLER_ARG, or
 * always_on/off (any case, as the specification asks); any other sampler fails like a bad value.
 * The forms without `parentbased_` decide every span, a caller's sampled trace included, as the
 * specification defines them: `always_off` is meant to stop tracing.
 */
function otelSampler(env: Env): { ratio: number; parentBased: boolean } | undefined {
  const sampler = checkEnvEnum(env, 'OTEL_TRACES_SAMPLER', SAMPLERS, true);
  if (sampler === undefined) return undefined;
  const parentBased = sampler.startsWith('parentbased_');
  if (sampler === 'always_on' || sampler === 'parentbased_always_on') return { ratio: 1, parentBased };
  if (sampler === 'always_off' || sampler === 'parentbased_always_off') return { ratio: 0, parentBased };
  return { ratio: envNumber(env, 'OTEL_TRACES_SAMPLER_ARG', 0, 1) ?? 1, parentBased };
}

/**
 * Picks the adapters for this environment. `SIGHTLINE_EXPORTERS` narrows the configured list by
 * adapter name (`none` turns every adapter off, `console` forces the console).
 */
function selectExporters(
  codeValue: SightlineConfig['exporters'],
  profileValue: {
    /** Those of the environment's own profile. */
    readonly own: readonly SightlineAdapter[] | undefined;
    /** Those of the profile it runs with: its own, else `default`'s. */
    readonly fallback: readonly SightlineAdapter[] | undefined;
  },
  environment: string,
  selection: string[] | undefined,
): readonly SightlineAdapter[] {
  let list: readonly SightlineAdapter[] | undefined;
  if (Array.isArray(codeValue)) list = checkAdapters('exporters', codeValue);
  else if (codeValue !== undefined) {
    if (codeValue === null || typeof codeValue !== 'object') {
      fail(
        'exporters',
        codeValue,
        'pass a list of adapters or an object keyed by environment',
        ErrorCodes.CONFIG_INVALID_TYPE,
      );
    }
    // Array.isArray does not take a read-only list out of the union: what is left is the record.
    const byEnvironment = codeValue as Record<string, readonly SightlineAdapter[]>;
    for (const [env, adapters] of Object.entries(byEnvironment)) checkAdapters(`exporters.${env}`, adapters);
    // Own keys only: `constructor` or `__proto__` as an environment would find the prototype's.
    const own = (name: string) => (Object.hasOwn(byEnvironment, name) ? byEnvironment[name] : undefined);
    // `default` is for the environments configured nowhere: one whose own profile lists its
    // adapters is configured there, and ran with the default's, that profile's left unused.
    list = own(environment) ?? profileValue.own ?? own('default');
  }
  list ??= profileValue.fallback;
  if (selection === undefined) return list ?? [];
  if (selection.includes('none')) return [];
  const chosen = (list ?? []).filter((a) => selection.includes(a.name));
  for (const name of selection) {
    if (name !== 'console' && !chosen.some((a) => a.name === name)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_ENV,
        'SIGHTLINE_EXPORTERS',
        `SIGHTLINE_EXPORTERS names ${describeValue(name)}, which is not configured for environment ${describeValue(environment)}; configure it in init({ exporters }) or remove it`,
      );
    }
  }
  return chosen;
}
