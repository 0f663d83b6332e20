import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { otlp } from '../../../adapters/otlp/index.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { SightlineConfigError } from '../../../src/index.js';
import type { SightlineAdapter } from '../../../src/export/types.js';

const adapter = (name: string): SightlineAdapter => ({ name, setup: () => ({}) });
const emptyDir = mkdtempSync(join(tmpdir(), 'sl-cfg-'));

function catchError(fn: () => unknown): SightlineConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SightlineConfigError) return error;
    throw error;
  }
  throw new Error('expected a SightlineConfigError');
}

describe('resolveConfig precedence: code > SIGHTLINE_* > standard variables > profile > defaults', () => {
  it('uses defaults, with the service name from package.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sl-pkg-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'from-package' }));
    const c = resolveConfig({}, {}, dir);
    expect(c).toMatchObject({
      service: 'from-package',
      environment: 'development',
      version: undefined,
      logLevel: 'info',
      sampling: 1,
      metricInterval: 60_000,
      cardinalityLimit: 2000,
      console: true,
      exporters: [],
    });
    expect(resolveConfig({}, {}, emptyDir).service).toBe('unknown_service:node');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [
      'code',
      { service: 'code' },
      { SIGHTLINE_SERVICE: 'sl', OTEL_SERVICE_NAME: 'otel', DD_SERVICE: 'dd' },
      'code',
    ],
    ['SIGHTLINE_SERVICE', {}, { SIGHTLINE_SERVICE: 'sl', OTEL_SERVICE_NAME: 'otel', DD_SERVICE: 'dd' }, 'sl'],
    ['OTEL_SERVICE_NAME', {}, { OTEL_SERVICE_NAME: 'otel', DD_SERVICE: 'dd' }, 'otel'],
    [
      'OTEL_RESOURCE_ATTRIBUTES',
      {},
      { OTEL_RESOURCE_ATTRIBUTES: 'service.name=res', DD_SERVICE: 'dd' },
      'res',
    ],
    ['DD_SERVICE', {}, { DD_SERVICE: 'dd' }, 'dd'],
  ])('service from %s', (_label, code, env, expected) => {
    expect(resolveConfig(code, env, emptyDir).service).toBe(expected);
  });

  it.each([
    [{ environment: 'code' }, { SIGHTLINE_ENV: 'sl', DD_ENV: 'dd', NODE_ENV: 'node' }, 'code'],
    [{}, { SIGHTLINE_ENV: 'sl', DD_ENV: 'dd', NODE_ENV: 'node' }, 'sl'],
    [{}, { DD_ENV: 'dd', NODE_ENV: 'node' }, 'dd'],
    [{}, { NODE_ENV: 'production' }, 'production'],
  ])('environment %#', (code, env, expected) => {
    expect(resolveConfig(code, env, emptyDir).environment).toBe(expected);
  });

  it('reads an empty service, environment or version in OTEL_RESOURCE_ATTRIBUTES as unset', () => {
    const env = {
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=,deployment.environment.name=,service.version=,team=core',
      DD_SERVICE: 'dd',
      NODE_ENV: 'production',
      DD_VERSION: '1',
    };
    expect(resolveConfig({}, env, emptyDir)).toMatchObject({
      service: 'dd',
      environment: 'production',
      version: '1',
    });
  });

  it('reads a DD_TAGS entry without a colon as a bare tag, not as env, service or version', () => {
    // dd-trace reads `envs` as the key `envs` with no value; it names no environment.
    const env = { DD_TAGS: 'envs canary services version2', NODE_ENV: 'production' };
    expect(resolveConfig({}, env, emptyDir)).toMatchObject({
      environment: 'production',
      service: 'unknown_service:node',
      version: undefined,
    });
  });

  it('reads DD_TAGS written with a blank after the colon as dd-trace does when commas separate it', () => {
    // dd-trace splits at commas when one is present and trims key and value: `env: prod` is env:prod.
    const env = { DD_TAGS: 'env: prod, service : checkout,version:  1.4.2', NODE_ENV: 'production' };
    expect(resolveConfig({}, env, emptyDir)).toMatchObject({
      environment: 'prod',
      service: 'checkout',
      version: '1.4.2',
    });
    // Without a comma dd-trace splits at blanks: `env:` is an empty env and `prod` a bare tag.
    expect(resolveConfig({}, { DD_TAGS: 'env: prod', NODE_ENV: 'production' }, emptyDir).environment).toBe(
      'production',
    );
  });

  it('reads a DD_TAGS value with a blank inside whole when commas separate it, as dd-trace does', () => {
    const env = { DD_TAGS: 'service:orders api,env:prod', NODE_ENV: 'production' };
    expect(resolveConfig({}, env, emptyDir)).toMatchObject({ environment: 'prod', service: 'orders api' });
  });

  it('version from code, SIGHTLINE_VERSION, then DD_VERSION', () => {
    expect(
      resolveConfig({ version: '3' }, { SIGHTLINE_VERSION: '2', DD_VERSION: '1' }, emptyDir).version,
    ).toBe('3');
    expect(resolveConfig({}, { SIGHTLINE_VERSION: '2', DD_VERSION: '1' }, emptyDir).version).toBe('2');
    expect(resolveConfig({}, { DD_VERSION: '1' }, emptyDir).version).toBe('1');
  });

  it('applies the profile of the current environment below code and variables', () => {
    const profiles = { production: { logLevel: 'warn' as const, sampling: 0.1, metricInterval: 10_000 } };
    const c = resolveConfig(
      { environment: 'production', profiles, sampling: 0.5 },
      { SIGHTLINE_METRIC_INTERVAL: '5000' },
      emptyDir,
    );
    expect(c).toMatchObject({ logLevel: 'warn', sampling: 0.5, metricInterval: 5000 });
    const dev = resolveConfig({ environment: 'development', profiles }, {}, emptyDir);
    expect(dev.logLevel).toBe('info');
  });

  it('applies the default profile to an environment without one of its own, and only then', () => {
    const profiles = { production: { logLevel: 'warn' as const }, default: { logLevel: 'debug' as const } };
    const staging = resolveConfig({ environment: 'staging', profiles }, {}, emptyDir);
    const production = resolveConfig({ environment: 'production', profiles }, {}, emptyDir);
    expect(staging.logLevel).toBe('debug');
    expect(production.logLevel).toBe('warn');
  });

  it('chooses exporters by environment, with default as the fallback and console when empty', () => {
    const prod = adapter('datadog');
    const staging = adapter('otlp');
    const exporters = { production: [prod], staging: [staging], default: [] };
    expect(resolveConfig({ exporters }, { NODE_ENV: 'production' }, emptyDir)).toMatchObject({
      exporters: [prod],
      console: false,
    });
    expect(resolveConfig({ exporters }, { SIGHTLINE_ENV: 'staging' }, emptyDir).exporters).toEqual([staging]);
    expect(resolveConfig({ exporters }, {}, emptyDir)).toMatchObject({ exporters: [], console: true });
  });

  it("chooses an environment's own profile's exporters over exporters.default, which is for the rest", () => {
    // Prepare: staging's adapters set in its profile, beside a default for every other environment.
    const otlp = adapter('otlp');
    const datadog = adapter('datadog');
    const config = {
      exporters: { development: [], default: [datadog] },
      profiles: { staging: { exporters: [otlp], sampling: 0.5 }, default: { exporters: [otlp] } },
    };
    expect(resolveConfig(config, { NODE_ENV: 'staging' }, emptyDir).exporters).toEqual([otlp]);
    // The rest: exporters.default ranks above profiles.default, code above a profile.
    expect(resolveConfig(config, { NODE_ENV: 'production' }, emptyDir).exporters).toEqual([datadog]);
    expect(resolveConfig(config, {}, emptyDir).exporters).toEqual([]);
    // A list given for every environment is set in code for staging too.
    expect(
      resolveConfig({ ...config, exporters: [datadog] }, { NODE_ENV: 'staging' }, emptyDir).exporters,
    ).toEqual([datadog]);
  });

  it('chooses exporters for an environment named as a property every object has (constructor, __proto__)', () => {
    const staging = adapter('otlp');
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(resolveConfig({ exporters: { production: [] } }, { NODE_ENV: name }, emptyDir)).toMatchObject({
        environment: name,
        exporters: [],
        console: true,
      });
      const withDefault = { production: [], default: [staging] };
      expect(resolveConfig({ exporters: withDefault }, { NODE_ENV: name }, emptyDir).exporters).toEqual([
        staging,
      ]);
    }
  });

  it('leaves the lists of adapters it was given open to change, for options reused by another init()', () => {
    const list = [adapter('otlp')];
    const keyed = { production: [adapter('datadog')] };
    const profiled = [adapter('elastic')];
    const production = { NODE_ENV: 'production' };
    resolveConfig({ exporters: list }, {}, emptyDir);
    resolveConfig({ exporters: keyed }, production, emptyDir);
    resolveConfig({ profiles: { production: { exporters: profiled } } }, production, emptyDir);
    for (const given of [list, keyed.production, profiled]) {
      expect(Object.isFrozen(given)).toBe(false);
      given.push(adapter('memory'));
    }
    expect(resolveConfig({ exporters: list }, {}, emptyDir).exporters.map((a) => a.name)).toEqual([
      'otlp',
      'memory',
    ]);
  });

  it('SIGHTLINE_EXPORTERS narrows the configured adapters, adds the console, or turns all off', () => {
    const a = adapter('datadog');
    const b = adapter('otlp');
    expect(resolveConfig({ exporters: [a, b] }, { SIGHTLINE_EXPORTERS: 'otlp' }, emptyDir).exporters).toEqual(
      [b],
    );
    expect(
      resolveConfig({ exporters: [a] }, { SIGHTLINE_EXPORTERS: 'datadog,console' }, emptyDir),
    ).toMatchObject({ console: true });
    expect(resolveConfig({ exporters: [a] }, { SIGHTLINE_EXPORTERS: 'none' }, emptyDir)).toMatchObject({
      exporters: [],
      console: false,
    });
    const e = catchError(() =>
      resolveConfig({ exporters: [a] }, { SIGHTLINE_EXPORTERS: 'elastic' }, emptyDir),
    );
    expect(e.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    expect(e.message).toContain('elastic');
  });

  it('reads standard sampler variables and resource attributes', () => {
    const c = resolveConfig(
      { resource: { team: 'payments' } },
      {
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_RESOURCE_ATTRIBUTES: 'team=core,region=eu%2Dwest',
      },
      emptyDir,
    );
    expect(c.sampling).toBe(0.25);
    expect(c.resource).toEqual({ team: 'payments', region: 'eu-west' });
    expect(resolveConfig({}, { OTEL_TRACES_SAMPLER: 'Always_Off' }, emptyDir).sampling).toBe(0);
  });

  it('samples at DD_TRACE_SAMPLE_RATE, parent-based, below OTEL_TRACES_SAMPLER and above the profile', () => {
    const dd = { DD_TRACE_SAMPLE_RATE: '0.1' };
    const profiles = { development: { sampling: 0.5 } };
    expect(resolveConfig({ profiles }, dd, emptyDir)).toMatchObject({
      sampling: 0.1,
      samplingParentBased: true,
    });
    expect(resolveConfig({}, { ...dd, OTEL_TRACES_SAMPLER: 'always_on' }, emptyDir).sampling).toBe(1);
    expect(resolveConfig({}, { ...dd, SIGHTLINE_SAMPLING: '0.3' }, emptyDir).sampling).toBe(0.3);
    // Where the ratio came from, whatever its value: dd-trace reads the variable itself.
    expect(resolveConfig({}, dd, emptyDir).samplingIsDdTraceSampleRate).toBe(true);
    expect(resolveConfig({ sampling: 0.1 }, dd, emptyDir).samplingIsDdTraceSampleRate).toBe(false);
  });

  it('cuts attributes at OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, else OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, below SIGHTLINE_*', () => {
    const general = { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '256' };
    const span = { ...general, OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '128' };
    const profiles = { development: { maxAttributeLength: 64 } };
    expect(resolveConfig({ profiles }, general, emptyDir).maxAttributeLength).toBe(256);
    expect(resolveConfig({}, span, emptyDir).maxAttributeLength).toBe(128);
    expect(
      resolveConfig({}, { ...span, SIGHTLINE_MAX_ATTRIBUTE_LENGTH: '32' }, emptyDir).maxAttributeLength,
    ).toBe(32);
  });

  it('keeps a caller’s sampling decision unless OTEL_TRACES_SAMPLER names a form without parentbased_', () => {
    const off = { OTEL_TRACES_SAMPLER: 'always_off' };
    expect(resolveConfig({}, off, emptyDir)).toMatchObject({ sampling: 0, samplingParentBased: false });
    expect(resolveConfig({}, {}, emptyDir).samplingParentBased).toBe(true);
    expect(resolveConfig({ sampling: 0.5 }, off, emptyDir).samplingParentBased).toBe(true);
    expect(resolveConfig({}, { ...off, SIGHTLINE_SAMPLING: '0.5' }, emptyDir).samplingParentBased).toBe(true);
  });

  it('turns off a signal whose OTEL_<SIGNAL>_EXPORTER lists none; otlp and console change nothing', () => {
    const env = {
      OTEL_TRACES_EXPORTER: 'None',
      OTEL_METRICS_EXPORTER: 'otlp,console',
      OTEL_LOGS_EXPORTER: 'otlp',
    };
    expect(resolveConfig({}, env, emptyDir).signalsOff).toEqual(['traces']);
    expect(resolveConfig({}, { OTEL_LOGS_EXPORTER: 'otlp,none' }, emptyDir).signalsOff).toEqual(['logs']);
    expect(resolveConfig({}, {}, emptyDir).signalsOff).toEqual([]);
  });

  it('propagates what OTEL_PROPAGATORS lists, none for none, W3C trace context and baggage by default', () => {
    const propagators = (value?: string) =>
      resolveConfig({}, value === undefined ? {} : { OTEL_PROPAGATORS: value }, emptyDir).propagators;
    expect(propagators()).toEqual(['tracecontext', 'baggage']);
    expect(propagators('TraceContext')).toEqual(['tracecontext']);
    expect(propagators('baggage, tracecontext')).toEqual(['tracecontext', 'baggage']);
    expect(propagators('none')).toEqual([]);
  });

  it('percent-decodes the keys of OTEL_RESOURCE_ATTRIBUTES as well as their values, as the OpenTelemetry SDKs do', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'cost%2Ccenter=a%3Db,k8s%2Epod%2Ename=web-1' };
    expect(resolveConfig({}, env, emptyDir).resource).toEqual({
      'cost,center': 'a=b',
      'k8s.pod.name': 'web-1',
    });
  });

  it('skips empty entries in OTEL_RESOURCE_ATTRIBUTES, as the OpenTelemetry SDKs do', () => {
    const env = { OTEL_RESOURCE_ATTRIBUTES: 'team=core,, region=eu ,' };
    expect(resolveConfig({}, env, emptyDir).resource).toEqual({ team: 'core', region: 'eu' });
  });

  it('leaves out resource attributes whose value is undefined (a variable that is not set)', () => {
    const c = resolveConfig(
      {
        environment: 'production',
        resource: { team: 'payments', 'k8s.pod.name': undefined, tier: undefined },
        profiles: { production: { resource: { tier: 'gold', region: undefined } } },
      },
      {},
      emptyDir,
    );
    expect(c.resource).toEqual({ team: 'payments', tier: 'gold' });
  });

  it('turns the detector on with SIGHTLINE_ANOMALY=true, or off with =false, whatever the profile says', () => {
    const options = (anomaly: false | { sensitivity: 'low' }) => ({
      environment: 'staging',
      profiles: { staging: { anomaly } },
    });
    const on = { SIGHTLINE_ANOMALY: 'true' };
    expect(resolveConfig(options(false), on, emptyDir).anomaly).toMatchObject({ sensitivity: 'medium' });
    expect(resolveConfig(options({ sensitivity: 'low' }), on, emptyDir).anomaly).toMatchObject({
      sensitivity: 'low',
    });
    const off = { SIGHTLINE_ANOMALY: 'false' };
    expect(resolveConfig(options({ sensitivity: 'low' }), off, emptyDir).anomaly).toBe(false);
    expect(resolveConfig({ ...options(false), anomaly: false }, on, emptyDir).anomaly).toBe(false);
  });

  it("takes a profile's anomaly settings below the top level's, key by key, as for resource", () => {
    const profiles = { production: { anomaly: { sensitivity: 'low' as const, maxSeries: 50 } } };
    const c = resolveConfig(
      { environment: 'production', anomaly: { exportBands: true, maxSeries: 200 }, profiles },
      {},
      emptyDir,
    );
    expect(c.anomaly).toEqual({ sensitivity: 'low', maxSeries: 200, http: true, exportBands: true });
  });

  it('reads every option from a getter, a prototype or a Proxy, as it reads service', () => {
    class Options {
      get service() {
        return 'checkout';
      }
      get logLevel() {
        return 'debug' as const;
      }
      get sampling() {
        return 0.2;
      }
      get redact() {
        return ['cardNumber'];
      }
      get anomaly() {
        return new (class {
          get sensitivity() {
            return 'low' as const;
          }
        })();
      }
    }
    const values = { service: 'checkout', logLevel: 'debug', sampling: 0.2, redact: ['cardNumber'] };
    const viaProxy = new Proxy({}, { get: (_, key) => values[key as keyof typeof values] });
    const inherited = Object.assign(Object.create(values), { anomaly: { sensitivity: 'low' } });
    for (const options of [new Options(), viaProxy, inherited]) {
      expect(resolveConfig(options, {}, emptyDir)).toMatchObject({
        service: 'checkout',
        logLevel: 'debug',
        sampling: 0.2,
        redact: ['cardNumber'],
      });
    }
    expect(resolveConfig(new Options(), {}, emptyDir).anomaly).toMatchObject({ sensitivity: 'low' });
  });

  it('takes resource attributes from OTEL_RESOURCE_ATTRIBUTES over the profile', () => {
    const c = resolveConfig(
      {
        environment: 'production',
        profiles: { production: { resource: { team: 'profile', tier: 'gold' } } },
      },
      { OTEL_RESOURCE_ATTRIBUTES: 'team=env' },
      emptyDir,
    );
    expect(c.resource).toEqual({ team: 'env', tier: 'gold' });
  });
});

describe('resolveConfig errors', () => {
  it('tells how to send to two collectors when otlp() is listed twice: a name of its own for each', () => {
    // It said only that an adapter may appear once, with no word of the option that allows two.
    const e = catchError(() =>
      resolveConfig(
        {
          exporters: [
            otlp({ url: 'http://127.0.0.1:4318', env: {} }),
            otlp({ url: 'http://127.0.0.1:4319', env: {} }),
          ],
        },
        {},
        emptyDir,
      ),
    );
    expect(e.code).toBe('SL_ERR_CONFIG_INVALID_ADAPTER');
    expect(e.message).toContain("name: 'otlp-2'");
    expect(() =>
      resolveConfig(
        {
          exporters: [
            otlp({ url: 'http://127.0.0.1:4318', env: {} }),
            otlp({ url: 'http://127.0.0.1:4319', name: 'otlp-2', env: {} }),
          ],
        },
        {},
        emptyDir,
      ),
    ).not.toThrow();
  });

  it.each([
    [{ sampling: 2 }, 'SL_ERR_CONFIG_INVALID_VALUE', 'sampling'],
    [{ sampling: 'half' }, 'SL_ERR_CONFIG_INVALID_TYPE', 'sampling'],
    [{ logLevel: 'verbose' }, 'SL_ERR_CONFIG_INVALID_VALUE', 'logLevel'],
    [{ metricInterval: 5 }, 'SL_ERR_CONFIG_INVALID_VALUE', 'metricInterval'],
    [{ cardinalityLimit: 1.5 }, 'SL_ERR_CONFIG_INVALID_VALUE', 'cardinalityLimit'],
    [{ service: '' }, 'SL_ERR_CONFIG_INVALID_VALUE', 'service'],
    [{ exporters: 'datadog' }, 'SL_ERR_CONFIG_INVALID_TYPE', 'exporters'],
    [{ exporters: [{}] }, 'SL_ERR_CONFIG_INVALID_ADAPTER', 'exporters[0]'],
    [{ exporters: [adapter('a'), adapter('a')] }, 'SL_ERR_CONFIG_INVALID_ADAPTER', 'exporters'],
    [
      { exporters: { production: [adapter('a'), adapter('a')] }, environment: 'development' },
      'SL_ERR_CONFIG_INVALID_ADAPTER',
      'exporters.production',
    ],
    [
      { profiles: { production: { exporters: [adapter('a'), adapter('a')] } }, environment: 'development' },
      'SL_ERR_CONFIG_INVALID_ADAPTER',
      'profiles.production.exporters',
    ],
    [{ servce: 'typo' }, 'SL_ERR_CONFIG_UNKNOWN_OPTION', 'servce'],
    [{ anomaly: { sensitivity: 'extreme' } }, 'SL_ERR_CONFIG_INVALID_VALUE', 'anomaly.sensitivity'],
    [{ anomaly: { maxSeriess: 10 } }, 'SL_ERR_CONFIG_UNKNOWN_OPTION', 'anomaly.maxSeriess'],
    [{ anomaly: { timeZone: 'Mars/Olympus_Mons' } }, 'SL_ERR_CONFIG_INVALID_VALUE', 'anomaly.timeZone'],
    [{ anomaly: { timeZone: -5 } }, 'SL_ERR_CONFIG_INVALID_TYPE', 'anomaly.timeZone'],
    [
      { profiles: { production: { anomaly: { timeZone: 'EDT' } } }, environment: 'development' },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'profiles.production.anomaly.timeZone',
    ],
    [
      { profiles: { production: { sampling: -1 } }, environment: 'production' },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'profiles.production.sampling',
    ],
    [
      { profiles: { production: { sampling: 5 } }, environment: 'development' },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'profiles.production.sampling',
    ],
    [
      { profiles: { staging: { logLevel: 'verbose' } } },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'profiles.staging.logLevel',
    ],
    [
      { profiles: { production: { samplng: 0.2 } } },
      'SL_ERR_CONFIG_UNKNOWN_OPTION',
      'profiles.production.samplng',
    ],
    [
      { profiles: { production: { service: 'x' } } },
      'SL_ERR_CONFIG_UNKNOWN_OPTION',
      'profiles.production.service',
    ],
    [{ profiles: { production: 'fast' } }, 'SL_ERR_CONFIG_INVALID_TYPE', 'profiles.production'],
    [{ logStream: {} }, 'SL_ERR_CONFIG_INVALID_TYPE', 'logStream'],
    [{ redact: ['cardNumber', 'order['] }, 'SL_ERR_CONFIG_INVALID_VALUE', 'redact'],
    [{ redact: ['.'] }, 'SL_ERR_CONFIG_INVALID_VALUE', 'redact'],
  ])('%j fails with %s naming %s', (config, code, option) => {
    const e = catchError(() => resolveConfig(config as never, {}, emptyDir));
    expect(e.code).toBe(code);
    expect(e.option).toBe(option);
    expect(e.message).toContain(option);
    expect(e.message).toMatch(/pass|use|remove|each/);
  });

  it.each([
    [{ SIGHTLINE_SAMPLING: 'lots' }, 'SIGHTLINE_SAMPLING'],
    [{ SIGHTLINE_HANDLE_SIGNALS: 'maybe' }, 'SIGHTLINE_HANDLE_SIGNALS'],
    [{ SIGHTLINE_LOG_LEVEL: 'loud' }, 'SIGHTLINE_LOG_LEVEL'],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, 'OTEL_RESOURCE_ATTRIBUTES'],
    [{ SIGHTLINE_REDACT: 'a[' }, 'SIGHTLINE_REDACT'],
    [{ SIGHTLINE_CARDINALITY_LIMIT: '2.5' }, 'SIGHTLINE_CARDINALITY_LIMIT'],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio_typo', OTEL_TRACES_SAMPLER_ARG: '0.1' }, 'OTEL_TRACES_SAMPLER'],
    [{ OTEL_TRACES_SAMPLER: 'xray' }, 'OTEL_TRACES_SAMPLER'],
    [{ OTEL_METRIC_EXPORT_INTERVAL: '1500.5' }, 'OTEL_METRIC_EXPORT_INTERVAL'],
    [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER'],
    [{ OTEL_METRICS_EXPORTER: 'otlp,prometheus' }, 'OTEL_METRICS_EXPORTER'],
    [{ OTEL_PROPAGATORS: 'tracecontext,b3' }, 'OTEL_PROPAGATORS'],
    [{ OTEL_PROPAGATORS: 'xray' }, 'OTEL_PROPAGATORS'],
    [{ DD_TRACE_SAMPLE_RATE: '10%' }, 'DD_TRACE_SAMPLE_RATE'],
    [{ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '8' }, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
    [{ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '1k' }, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT'],
    [{ OTEL_SPAN_EVENT_COUNT_LIMIT: '-1' }, 'OTEL_SPAN_EVENT_COUNT_LIMIT'],
  ])('a malformed variable %j fails init', (env, name) => {
    const e = catchError(() => resolveConfig({}, env, emptyDir));
    expect(e.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    expect(e.option).toBe(name);
  });

  it('names an unknown option and its type, never its value, which may be a credential', () => {
    const secret = 'sentinelSecret7f3a9c0d2e4b6a8c';
    const unknown = catchError(() => resolveConfig({ service: 'x', apiKey: secret } as never, {}, emptyDir));
    expect(unknown).toMatchObject({ code: 'SL_ERR_CONFIG_UNKNOWN_OPTION', option: 'apiKey' });
    expect(unknown.message).not.toContain(secret);
    expect(unknown.message).toContain('apiKey (a string)');
    const notOptions = catchError(() => resolveConfig(secret as never, {}, emptyDir));
    expect(notOptions).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_TYPE', option: 'config' });
    expect(notOptions.message).not.toContain(secret);
  });

  it('accepts redact keys and the paths pino accepts', () => {
    const redact = ['cardNumber', 'a]', 'order.card', 'items[0].card', 'req.headers["x-token"]', '*.pin'];
    expect(resolveConfig({ redact }, {}, emptyDir).redact).toEqual(redact);
  });

  it('never echoes a long value in full', () => {
    const e = catchError(() => resolveConfig({ logLevel: 'x'.repeat(500) as never }, {}, emptyDir));
    expect(e.message.length).toBeLessThan(300);
  });
});
