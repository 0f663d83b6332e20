import { afterEach, describe, expect, it } from 'vitest';
import { otlp } from '../../../adapters/otlp/index.js';
import { getSightline } from '../../../src/index.js';
import { type OtlpOptions, resolveOtlpOptions } from '../../../adapters/otlp/options.js';
import type { SightlineConfigError } from '../../../src/index.js';
import { configError, failsInProductionOnly } from '../harness.js';
import { SECRET } from './helpers.js';

/**
 * The error a header a variable left unset gives: thrown at setup, so that init() fails only in an
 * environment whose exporters include the adapter.
 */
function unsetOf(options: OtlpOptions, expected?: true): SightlineConfigError;
function unsetOf(options: OtlpOptions, expected: false): SightlineConfigError | undefined;
function unsetOf(options: OtlpOptions, expected = true): SightlineConfigError | undefined {
  const error = resolveOtlpOptions(options).unset;
  if (expected && error === undefined) throw new Error('expected a header left unset');
  return error;
}

describe('otlp() endpoints', () => {
  it('defaults to http://localhost:4318/v1/<signal>', () => {
    const { targets } = resolveOtlpOptions({ env: {} });
    expect(targets.traces?.url.href).toBe('http://localhost:4318/v1/traces');
    expect(targets.metrics?.url.href).toBe('http://localhost:4318/v1/metrics');
    expect(targets.logs?.url.href).toBe('http://localhost:4318/v1/logs');
  });

  it('appends /v1/<signal> to the general variable and uses per-signal variables as they are', () => {
    const { targets } = resolveOtlpOptions({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/custom/path',
      },
    });
    expect(targets.traces?.url.href).toBe('http://tempo:4318/custom/path');
    expect(targets.metrics?.url.href).toBe('http://collector:4318/v1/metrics');
    expect(targets.logs?.url.href).toBe('http://collector:4318/v1/logs');
  });

  it('keeps a path prefix of the base URL', () => {
    const { targets } = resolveOtlpOptions({ url: 'https://otlp.example.com/otlp', env: {} });
    expect(targets.logs?.url.href).toBe('https://otlp.example.com/otlp/v1/logs');
  });

  it('lets code options win: endpoints.<signal> > url > signal variable > general variable', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://general:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://specific:4318/v1/metrics',
    };
    const { targets } = resolveOtlpOptions({
      url: 'http://code:4318',
      endpoints: { traces: 'http://exact:9999/t' },
      env,
    });
    expect(targets.traces?.url.href).toBe('http://exact:9999/t');
    expect(targets.metrics?.url.href).toBe('http://code:4318/v1/metrics');
    expect(resolveOtlpOptions({ env }).targets.metrics?.url.href).toBe('http://specific:4318/v1/metrics');
  });

  it('builds only the chosen signals', () => {
    const { targets } = resolveOtlpOptions({ signals: ['traces'], env: {} });
    expect(Object.keys(targets)).toEqual(['traces']);
  });
});

describe('otlp() protocol, timeout, compression, temporality', () => {
  it('reads per-signal variables before general ones, and code before both', () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '700',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'LowMemory',
    };
    const r = resolveOtlpOptions({ env });
    expect(r.targets.traces).toMatchObject({ protocol: 'http/json', timeoutMs: 700, gzip: false });
    expect(r.targets.metrics).toMatchObject({ protocol: 'http/json', timeoutMs: 2500, gzip: true });
    expect(r.targets.logs).toMatchObject({ protocol: 'http/protobuf', timeoutMs: 2500, gzip: false });
    expect(r.temporality).toBe('lowmemory');
    const code = resolveOtlpOptions({
      env,
      protocol: 'http/protobuf',
      timeoutMs: 42,
      compression: 'gzip',
      temporality: 'delta',
    });
    expect(code.targets.traces).toMatchObject({ protocol: 'http/protobuf', timeoutMs: 42, gzip: true });
    expect(code.temporality).toBe('delta');
  });

  it('defaults to http/protobuf, 10 s, gzip and cumulative', () => {
    const r = resolveOtlpOptions({ env: {}, url: 'https://collector.internal:4318' });
    expect(r.targets.traces).toMatchObject({ protocol: 'http/protobuf', timeoutMs: 10_000, gzip: true });
    expect(r.temporality).toBe('cumulative');
  });

  it('sends plain bodies by default to a loopback endpoint, where gzip saves nothing', () => {
    for (const url of ['http://localhost:4318', 'http://127.0.0.1:4318', 'http://[::1]:4318']) {
      expect(resolveOtlpOptions({ env: {}, url }).targets.traces?.gzip).toBe(false);
    }
    // The default endpoint is the local collector.
    expect(resolveOtlpOptions({ env: {} }).targets.logs?.gzip).toBe(false);
    const asked = resolveOtlpOptions({
      env: { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' },
      url: 'http://localhost:4318',
    });
    expect(asked.targets.traces?.gzip).toBe(true);
    expect(
      resolveOtlpOptions({ url: 'http://127.0.0.1:4318', compression: 'gzip' }).targets.metrics?.gzip,
    ).toBe(true);
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/xml'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '10s'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '4294967296'],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'zstd'],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'sometimes'],
  ])('fails at setup on %s=%s, naming the variable', (name, value) => {
    const error = configError(() => otlp({ env: { [name]: value } }));
    expect(error.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    expect(error.option).toBe(name);
    expect(error.message).toContain(name);
  });

  it.each([
    [{ protocol: 'grpc' }, 'protocol'],
    [{ compression: 'br' }, 'compression'],
    [{ signals: ['traces', 'profiles'] }, 'signals'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: 2 ** 32 }, 'timeoutMs'],
    [{ metricIntervalMs: 2 ** 31 }, 'metricIntervalMs'],
    [{ endpoints: { events: 'http://x' } }, 'endpoints.events'],
    [{ endpoints: null }, 'endpoints'],
    [{ url: 'collector:4318' }, 'url'],
    [{ colour: 'blue' }, 'colour'],
    [{ channel: 'fast' }, 'channel'],
  ])('rejects bad option %j', (options, option) => {
    const error = configError(() => otlp({ env: {}, ...(options as object) }));
    expect(error.option).toBe(option);
    expect(error.code).toMatch(/^SL_ERR_CONFIG_/);
  });
});

describe('otlp() headers', () => {
  it('parses the header variables (percent-decoded), merging general < signal < code, key by key', () => {
    const r = resolveOtlpOptions({
      url: 'https://collector.example.com',
      headers: { 'X-Team': 'code' },
      env: {
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc%3D%3D , x-team=general,x-tier=gold',
        OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-tier=platinum',
      },
    });
    expect(r.targets.traces?.headers).toEqual({ 'api-key': 'abc==', 'x-team': 'code', 'x-tier': 'gold' });
    expect(r.targets.logs?.headers).toEqual({ 'api-key': 'abc==', 'x-team': 'code', 'x-tier': 'platinum' });
  });

  it('refuses to send headers over plain HTTP to a non-loopback host, without echoing them', () => {
    const error = configError(() =>
      otlp({ url: 'http://collector.example.com:4318', headers: { authorization: SECRET }, env: {} }),
    );
    expect(error.code).toBe('SL_ERR_CONFIG_INSECURE_ENDPOINT');
    expect(error.message).not.toContain('sk-SENTINEL');
    const fromEnv = configError(() =>
      otlp({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://10.0.0.5:4318', OTEL_EXPORTER_OTLP_HEADERS: 'k=v' },
      }),
    );
    expect(fromEnv.option).toBe('OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('allows headers over plain HTTP to loopback, and no headers over plain HTTP anywhere', () => {
    expect(() =>
      otlp({ url: 'http://127.0.0.1:4318', headers: { authorization: SECRET }, env: {} }),
    ).not.toThrow();
    expect(() => otlp({ url: 'http://collector:4318', env: {} })).not.toThrow();
  });

  it('reports a malformed header entry by position, never by content', () => {
    const error = configError(() =>
      otlp({ env: { OTEL_EXPORTER_OTLP_HEADERS: `authorization=${SECRET},sk-SENTINEL-no-equals` } }),
    );
    expect(error.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    expect(error.message).toContain('entry 2');
    expect(error.message).not.toContain('SENTINEL');
    const bad = configError(() => otlp({ headers: { authorization: `${SECRET}\r\nx: y` }, env: {} }));
    expect(bad.message).not.toContain('SENTINEL');
  });

  it('refuses a header value in quotes, which the baggage format does not allow and the backend would refuse', () => {
    // `authorization="Bearer …"` in a Docker env file: a shell would have taken the quotes off.
    for (const value of [`"Bearer ${SECRET}"`, `'Bearer ${SECRET}'`]) {
      const error = configError(() =>
        otlp({ env: { OTEL_EXPORTER_OTLP_HEADERS: `x-team=a,authorization=${value}` } }),
      );
      expect(error.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
      expect(error.message).toContain('entry 2');
      expect(error.message).not.toContain('SENTINEL');
    }
    // Encoded, a quote is the value's own.
    expect(() => otlp({ env: { OTEL_EXPORTER_OTLP_HEADERS: 'x-etag=%22v1%22' } })).not.toThrow();
  });

  it('refuses a header left without its credential, as a variable unset leaves it, instead of sending it to be refused on every request', () => {
    // `headers: { authorization: \`Bearer ${process.env.OTLP_TOKEN}\` }` with OTLP_TOKEN unset or
    // empty, `api-key=${NR_KEY}` in a manifest's template with NR_KEY empty.
    const inCode: Record<string, string>[] = [
      { 'api-key': '' },
      { 'api-key': '  ' },
      { authorization: 'Bearer ' },
      { authorization: 'Bearer undefined' },
      { 'x-api-key': 'undefined' },
      { authorization: 'Basic null' },
    ];
    for (const headers of inCode) {
      const error = unsetOf({ url: 'https://otlp.example.com', headers, env: {} });
      expect(error.code, JSON.stringify(headers)).toBe('SL_ERR_CONFIG_INVALID_VALUE');
      expect(error.option).toBe(`headers.${Object.keys(headers)[0]}`);
    }
    for (const text of ['api-key=', 'x-team=a,authorization=Bearer%20', 'authorization=Bearer undefined']) {
      const error = unsetOf({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com', OTEL_EXPORTER_OTLP_HEADERS: text },
      });
      expect(error.code, text).toBe('SL_ERR_CONFIG_INVALID_ENV');
      expect(error.option).toBe('OTEL_EXPORTER_OTLP_HEADERS');
    }
    // A credential, whatever it looks like, and a value of its own in a header that holds none.
    const kept: Record<string, string>[] = [
      { authorization: 'Bearer abc' },
      { 'api-key': 'nullable-key-1' },
      { 'x-tier': 'gold' },
    ];
    for (const headers of kept)
      expect(unsetOf({ url: 'https://otlp.example.com', headers, env: {} }, false)).toBeUndefined();
  });

  it("refuses Basic and ApiKey credentials made of variables left unset, and a scheme's unset token after any scheme, keeping a real credential", () => {
    // Basic <base64("user:password")> and Elastic's ApiKey <base64("id:api_key")>, built in code
    // from variables that are not set, and Dynatrace's or Splunk's scheme before an unset token.
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const unset: Record<string, string>[] = [
      { authorization: `Basic ${base64(`${undefined}:${undefined}`)}` },
      { authorization: `Basic ${base64(`instance-1:${undefined}`)}` },
      { authorization: `Basic ${base64(`${null}:secret`)}` },
      { authorization: `Basic ${base64(':')}` },
      { authorization: `ApiKey ${base64(`${undefined}:${undefined}`)}` },
      { authorization: 'Api-Token undefined' },
      { authorization: 'Splunk null' },
    ];
    for (const headers of unset) {
      const error = unsetOf({ url: 'https://otlp.example.com', headers, env: {} });
      expect(error.code, JSON.stringify(headers)).toBe('SL_ERR_CONFIG_INVALID_VALUE');
      expect(error.message).not.toContain(headers.authorization as string);
    }
    const text = `authorization=Basic%20${encodeURIComponent(base64(`${undefined}:${undefined}`))}`;
    const error = unsetOf({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com', OTEL_EXPORTER_OTLP_HEADERS: text },
    });
    expect(error.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    // A credential, an API key with an empty password as some take it, a user named like a word.
    const kept: Record<string, string>[] = [
      { authorization: `Basic ${base64('instance-1:glc_abc')}` },
      { authorization: `Basic ${base64('key-123:')}` },
      { authorization: `Basic ${base64('nullify:secret')}` },
      { authorization: `ApiKey ${base64('VuaCfGcBCdbkQm:ui2lp2axTNmsyakw9tvNnw')}` },
      { authorization: 'Api-Token dt0c01.ABC.DEF' },
      { 'x-note': 'Api-Token undefined' },
    ];
    for (const headers of kept)
      expect(
        unsetOf({ url: 'https://otlp.example.com', headers, env: {} }, false),
        JSON.stringify(headers),
      ).toBeUndefined();
  });

  it('keeps a header a variable left empty when a header of that name given in code or per signal replaces it, as none of it is sent', () => {
    // A platform's template sets OTEL_EXPORTER_OTLP_HEADERS for every service; this one gives its own.
    const env = { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=,x-tenant=shop' };
    expect(
      unsetOf({ url: 'https://otlp.example.com', headers: { Authorization: 'Bearer abc' }, env }, false),
    ).toBeUndefined();
    const perSignal = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=abc',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'api-key=abc',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'api-key=abc',
    };
    expect(unsetOf({ env: perSignal }, false)).toBeUndefined();
    // Sent for one signal, it still fails, naming the variable.
    const { OTEL_EXPORTER_OTLP_LOGS_HEADERS: _, ...logsLeft } = perSignal;
    expect(unsetOf({ env: logsLeft }).option).toBe('OTEL_EXPORTER_OTLP_HEADERS');
    expect(unsetOf({ url: 'https://otlp.example.com', env }).option).toBe('OTEL_EXPORTER_OTLP_HEADERS');
  });

  it("refuses headers given as the variables' text, naming its type only", () => {
    const error = configError(() => otlp({ headers: `authorization=${SECRET}` as never, env: {} }));
    expect(error.code).toBe('SL_ERR_CONFIG_INVALID_TYPE');
    expect(error.message).toContain('a string');
    expect(error.message).not.toContain('SENTINEL');
  });
});

describe('otlp() headers the environment leaves without a credential', () => {
  afterEach(async () => {
    await getSightline()?.shutdown({ timeoutMs: 2000 });
  });

  it('fail init() only in an environment whose exporters include the adapter, as a missing API key does, instead of at otlp() in every environment', async () => {
    // The README's example on a development machine or in a test run, where OTLP_TOKEN is unset.
    const token: string | undefined = undefined;
    const inCode = await failsInProductionOnly(() =>
      otlp({ url: 'https://collector.internal:4318', headers: { authorization: `Bearer ${token}` } }),
    );
    expect(inCode.code).toBe('SL_ERR_CONFIG_INVALID_VALUE');
    expect(inCode.option).toBe('headers.authorization');
    const inVariable = await failsInProductionOnly(() =>
      otlp({ env: { OTEL_EXPORTER_OTLP_HEADERS: 'api-key=' } }),
    );
    expect(inVariable.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    expect(inVariable.option).toBe('OTEL_EXPORTER_OTLP_HEADERS');
  });
});

describe('otlp() limits', () => {
  // Keyed by signal, as the channel option is not: a signal or limit misspelt would leave that
  // signal's requests at their default size without a word.
  it.each([
    [{ trace: { maxItems: 100 } }, 'SL_ERR_CONFIG_UNKNOWN_OPTION', 'limits.trace'],
    [{ traces: { maxitems: 100 } }, 'SL_ERR_CONFIG_UNKNOWN_OPTION', 'limits.traces.maxitems'],
    [{ traces: { maxItems: 0 } }, 'SL_ERR_CONFIG_INVALID_VALUE', 'limits.traces.maxItems'],
    [{ logs: { maxBytes: -1 } }, 'SL_ERR_CONFIG_INVALID_VALUE', 'limits.logs.maxBytes'],
    [{ metrics: 512 }, 'SL_ERR_CONFIG_INVALID_TYPE', 'limits.metrics'],
    ['small', 'SL_ERR_CONFIG_INVALID_TYPE', 'limits'],
  ])('%j fails at otlp(), naming the option as written', (limits, code, option) => {
    const e = configError(() => otlp({ url: 'http://127.0.0.1:4318', limits: limits as never }));
    expect(e).toMatchObject({ code, option });
  });

  it('takes each signal its own', () => {
    const limits = { traces: { maxItems: 100 }, logs: { maxBytes: 65_536, maxCompressedBytes: 32_768 } };
    expect(resolveOtlpOptions({ url: 'http://127.0.0.1:4318', limits }).limits).toEqual(limits);
  });
});
