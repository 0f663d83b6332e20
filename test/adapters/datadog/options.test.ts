import { afterEach, describe, expect, it, vi } from 'vitest';
import { DATADOG_SITES, datadog } from '../../../adapters/datadog/index.js';
import { resolveOptions } from '../../../adapters/datadog/options.js';
import { getSightline, SightlineConfigError } from '../../../src/index.js';
import { configError, expectOnlyProductionSetsUp, startWith, stopSightline } from '../harness.js';
import { KEY, start } from './helpers.js';
import { IntakeServer } from './intake-server.js';

afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 1000 });
});

describe('sites', () => {
  it.each([...DATADOG_SITES])('%s → api.<site> and http-intake.logs.<site>', (site) => {
    const o = resolveOptions({ apiKey: KEY, site, processEnv: {} });
    expect(o.urls.metrics.href).toBe(`https://api.${site}/api/v2/series`);
    expect(o.urls.events.href).toBe(`https://api.${site}/api/v1/events`);
    expect(o.urls.logs.href).toBe(`https://http-intake.logs.${site}/api/v2/logs`);
  });

  it('has nine sites and defaults to datadoghq.com', () => {
    expect(DATADOG_SITES).toHaveLength(9);
    expect(resolveOptions({ apiKey: KEY, processEnv: {} }).site).toBe('datadoghq.com');
  });

  it('accepts what the browser shows for a site', () => {
    expect(resolveOptions({ apiKey: KEY, site: 'https://app.datadoghq.eu/', processEnv: {} }).site).toBe(
      'datadoghq.eu',
    );
  });

  it('rejects an unknown site with a coded error listing the valid ones', () => {
    const e = configError(() => datadog({ apiKey: KEY, site: 'datadoghq.fr', processEnv: {} }));
    expect(e.code).toBe('SL_ERR_CONFIG_INVALID_VALUE');
    expect(e.option).toBe('site');
    for (const s of DATADOG_SITES) expect(e.message).toContain(s);
    const fromEnv = configError(() => datadog({ apiKey: KEY, processEnv: { DD_SITE: 'eu' } }));
    expect(fromEnv.code).toBe('SL_ERR_CONFIG_INVALID_ENV');
    expect(fromEnv.option).toBe('DD_SITE');
  });
});

describe('environment variables', () => {
  it('reads DD_API_KEY, DD_SITE, DD_TAGS, DD_HOSTNAME and DD_VERSION; options win', () => {
    const env = {
      DD_API_KEY: ` ${KEY} `,
      DD_SITE: 'us5.datadoghq.com',
      DD_TAGS: 'team:payments,region:eu,tier:1',
      DD_HOSTNAME: 'web-07',
      DD_VERSION: '9.9.9',
    };
    const o = resolveOptions({ processEnv: env });
    expect(o.apiKey).toBe(KEY);
    expect(o.site).toBe('us5.datadoghq.com');
    expect(o.tags).toEqual(['team:payments', 'region:eu', 'tier:1']);
    expect(o.hostname).toBe('web-07');
    expect(o.ddIdentity.version).toBe('9.9.9');
    const over = resolveOptions({ processEnv: env, site: 'datadoghq.eu', apiKey: 'other', tags: { a: 'b' } });
    expect(over.site).toBe('datadoghq.eu');
    expect(over.apiKey).toBe('other');
    expect(over.tags).toEqual(['team:payments', 'region:eu', 'tier:1', 'a:b']);
  });

  it('reads DD_TAGS written with a blank after the colon as dd-trace does when commas separate it', () => {
    const tags = (DD_TAGS: string) => resolveOptions({ apiKey: KEY, processEnv: { DD_TAGS } }).tags;
    expect(tags('env: prod, team: payments')).toEqual(['env:prod', 'team:payments']);
    expect(tags('team : payments,build.url: https://ci.example/1 ,canary')).toEqual([
      'team:payments',
      'build.url:https://ci.example/1',
      'canary',
    ]);
    // Without a comma blanks separate, as in dd-trace: `team:` and `payments` are two tags.
    expect(tags('team: payments')).toEqual(['team:', 'payments']);
  });

  it('keeps a blank inside a value of a comma-separated DD_TAGS, as dd-trace reads it', () => {
    const tags = (DD_TAGS: string) => resolveOptions({ apiKey: KEY, processEnv: { DD_TAGS } }).tags;
    // dd-trace reads team:"core payments": split at the blank too, the series (and dd-trace's spans,
    // given this list) would carry team:core and a bare payments tag.
    expect(tags('team:core payments,env:prod')).toEqual(['team:core payments', 'env:prod']);
    expect(tags('owner: Jane Doe , canary blue')).toEqual(['owner:Jane Doe', 'canary blue']);
    // Without a comma dd-trace splits at blanks alone.
    expect(tags('owner:Jane Doe')).toEqual(['owner:Jane', 'Doe']);
  });

  it('keeps the blanks beside a colon inside a value of a comma-separated DD_TAGS, as dd-trace reads it', () => {
    const tags = (DD_TAGS: string) => resolveOptions({ apiKey: KEY, processEnv: { DD_TAGS } }).tags;
    // dd-trace splits an entry at its first colon and trims the key and value alone: note is
    // "Owner: payments team" on its spans, and the series must carry the same value.
    expect(tags('note:Owner: payments team,eta: 10 : 30')).toEqual([
      'note:Owner: payments team',
      'eta:10 : 30',
    ]);
  });

  it('finds the Agent: DD_AGENT_HOST, DD_TRACE_AGENT_URL, the OTLP receiver port', () => {
    const otlp = (env: Record<string, string>) =>
      String(resolveOptions({ apiKey: KEY, processEnv: env }).urls.traces);
    const dd = (env: Record<string, string>) =>
      String(resolveOptions({ apiKey: KEY, traces: 'dd-trace', processEnv: env }).urls.traces);
    expect(otlp({})).toBe('http://localhost:4318/v1/traces');
    expect(otlp({ DD_AGENT_HOST: 'agent.local' })).toBe('http://agent.local:4318/v1/traces');
    expect(otlp({ DD_TRACE_AGENT_URL: 'http://10.0.0.5:8126' })).toBe('http://10.0.0.5:4318/v1/traces');
    expect(otlp({ DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT: '0.0.0.0:4320' })).toBe(
      'http://localhost:4320/v1/traces',
    );
    expect(dd({})).toBe('http://localhost:8126/');
    expect(dd({ DD_AGENT_HOST: 'agent.local', DD_TRACE_AGENT_PORT: '9126' })).toBe(
      'http://agent.local:9126/',
    );
    expect(dd({ DD_TRACE_AGENT_URL: 'unix:///var/run/datadog/apm.socket' })).toBe(
      'unix:///var/run/datadog/apm.socket',
    );
  });

  it("finds the Agent by dd-trace's other names of its address: DD_TRACE_AGENT_HOSTNAME, DD_TRACE_URL", () => {
    const otlp = (env: Record<string, string>) =>
      String(resolveOptions({ apiKey: KEY, processEnv: env }).urls.traces);
    const dd = (env: Record<string, string>) =>
      String(resolveOptions({ apiKey: KEY, traces: 'dd-trace', processEnv: env }).urls.traces);
    // A service moved from dd-trace alone keeps the names it read: its spans went to that Agent.
    expect(dd({ DD_TRACE_AGENT_HOSTNAME: 'agent.local' })).toBe('http://agent.local:8126/');
    expect(dd({ DD_TRACE_URL: 'http://10.0.0.5:9126' })).toBe('http://10.0.0.5:9126/');
    expect(otlp({ DD_TRACE_AGENT_HOSTNAME: 'agent.local' })).toBe('http://agent.local:4318/v1/traces');
    expect(otlp({ DD_TRACE_URL: 'http://10.0.0.5:8126' })).toBe('http://10.0.0.5:4318/v1/traces');
    // dd-trace's own names first, as dd-trace reads them.
    expect(dd({ DD_AGENT_HOST: 'a.local', DD_TRACE_AGENT_HOSTNAME: 'b.local' })).toBe('http://a.local:8126/');
    expect(dd({ DD_TRACE_AGENT_URL: 'http://a.local:1', DD_TRACE_URL: 'http://b.local:2' })).toBe(
      'http://a.local:1/',
    );
  });

  it('tags signals with the sightline identity and warns when DD_SERVICE disagrees', async () => {
    const server = await IntakeServer.start({ apiKey: KEY });
    const diag: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      diag.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const { obs } = start(
        server,
        { processEnv: { DD_SERVICE: 'checkout-api', DD_ENV: 'prod' } },
        { diagnostics: 'warn' },
      );
      obs.metrics.gauge('g').record(1);
      await obs.forceFlush();
      await obs.shutdown();
    } finally {
      process.stderr.write = write;
      await server.close();
    }
    const g = server
      .on('/api/v2/series')
      .flatMap((r) => JSON.parse(r.text).series)
      .find((s: { metric: string }) => s.metric === 'g');
    expect(g.tags).toContain('service:checkout');
    expect(diag.join('')).toContain('DD_SERVICE="checkout-api" differs');
    expect(diag.join('')).not.toContain('DD_ENV');
  });
});

describe('validation', () => {
  // The README's rule for init()'s options: a value of the wrong type is SL_ERR_CONFIG_INVALID_TYPE,
  // one of the right type the option does not take SL_ERR_CONFIG_INVALID_VALUE.
  it.each([
    [{ service: '' }, 'SL_ERR_CONFIG_INVALID_VALUE'],
    [{ env: ' ' }, 'SL_ERR_CONFIG_INVALID_VALUE'],
    [{ version: '' }, 'SL_ERR_CONFIG_INVALID_VALUE'],
    [{ hostname: '' }, 'SL_ERR_CONFIG_INVALID_VALUE'],
    [{ service: 42 }, 'SL_ERR_CONFIG_INVALID_TYPE'],
    [{ logs: true }, 'SL_ERR_CONFIG_INVALID_TYPE'],
    [{ logs: 'file' }, 'SL_ERR_CONFIG_INVALID_VALUE'],
    [{ events: 'yes' }, 'SL_ERR_CONFIG_INVALID_TYPE'],
    [{ apiKey: 4242424242 }, 'SL_ERR_CONFIG_INVALID_TYPE'],
    [{ apiKey: ' ' }, 'SL_ERR_CONFIG_INVALID_VALUE'],
  ])('%j fails with %s, as init() gives for the same kind of mistake', (options, code) => {
    const e = configError(() => datadog({ apiKey: KEY, processEnv: {}, ...(options as object) }));
    expect(e).toMatchObject({ code, option: Object.keys(options)[0] });
    expect(e.message).not.toContain('4242424242');
  });

  it('needs an API key for the intake signals at init(), and says how to do without', () => {
    expect(() => datadog({ processEnv: {} })).not.toThrow();
    const e = configError(() => startWith(datadog({ processEnv: {} })));
    expect(e.code).toBe('SL_ERR_CONFIG_MISSING_CREDENTIALS');
    expect(e.message).toContain('DD_API_KEY');
    expect(resolveOptions({ processEnv: {}, metrics: 'none' }).events).toBe(false);
    expect(
      configError(() => startWith(datadog({ processEnv: {}, metrics: 'none', logs: 'http' }))).code,
    ).toBe('SL_ERR_CONFIG_MISSING_CREDENTIALS');
  });

  it('needs no key for a signal OTEL_<SIGNAL>_EXPORTER=none turns off, as none of it is sent', async () => {
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'none');
    try {
      const { obs } = startWith(datadog({ processEnv: {} }));
      expect(Object.keys(obs.stats())).toContain('datadog');
      await stopSightline();
      // HTTP logs still go: they need the key.
      expect(configError(() => startWith(datadog({ processEnv: {}, logs: 'http' }))).message).toContain(
        "no API key for logs: 'http';",
      );
      vi.stubEnv('OTEL_LOGS_EXPORTER', 'none');
      startWith(datadog({ processEnv: {}, logs: 'http' }));
      await stopSightline();
      // Anomaly events are sent whatever those variables say, while the detector is on.
      expect(
        configError(() => startWith(datadog({ processEnv: {}, events: true }), { anomaly: {} })).message,
      ).toContain('no API key for events: true;');
      startWith(datadog({ processEnv: {}, events: true }), { anomaly: false });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('listed for production only, needs no key in development', async () => {
    const error = await expectOnlyProductionSetsUp(() => datadog({ processEnv: {} }));
    expect(error).toBeInstanceOf(SightlineConfigError);
    expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_MISSING_CREDENTIALS', option: 'apiKey' });
  });

  it('starts with metrics and logs left to the Agent and no key', async () => {
    const { obs } = startWith(datadog({ processEnv: {}, metrics: 'none' }));
    expect(Object.keys(obs.stats())).toContain('datadog');
  });

  it('sends the key only over HTTPS, or plain HTTP to loopback', () => {
    const e = configError(() =>
      datadog({ apiKey: KEY, processEnv: {}, endpoints: { metrics: 'http://proxy.internal/api/v2/series' } }),
    );
    expect(e.code).toBe('SL_ERR_CONFIG_INSECURE_ENDPOINT');
    expect(() =>
      datadog({ apiKey: KEY, processEnv: {}, endpoints: { metrics: 'http://127.0.0.1:9/api/v2/series' } }),
    ).not.toThrow();
  });

  it('rejects a misspelt key inside endpoints or histograms instead of ignoring it', () => {
    // Ignored, the proxy URL would be unused and the key sent to api.datadoghq.com instead.
    const endpoint = configError(() =>
      datadog({
        apiKey: KEY,
        processEnv: {},
        endpoints: { metric: 'https://proxy.internal/api/v2/series' } as never,
      }),
    );
    expect(endpoint).toMatchObject({ code: 'SL_ERR_CONFIG_UNKNOWN_OPTION', option: 'endpoints.metric' });
    expect(endpoint.message).toContain('metrics, logs, traces or events');
    expect(endpoint.message).not.toContain('proxy.internal');
    const histogram = configError(() =>
      datadog({ apiKey: KEY, processEnv: {}, histograms: { percentile: [90] } as never }),
    );
    expect(histogram).toMatchObject({
      code: 'SL_ERR_CONFIG_UNKNOWN_OPTION',
      option: 'histograms.percentile',
    });
    expect(
      configError(() => datadog({ apiKey: KEY, processEnv: {}, histograms: 'p99' as never })).option,
    ).toBe('histograms');
  });

  it('fails init() on a host name, service, env, version or tags too long to go with every log and event', async () => {
    const bad = (options: object, config = {}) =>
      configError(() => startWith(datadog({ apiKey: KEY, processEnv: {}, ...options }), config));
    expect(bad({ hostname: 'h'.repeat(256) })).toMatchObject({
      code: 'SL_ERR_CONFIG_INVALID_VALUE',
      option: 'hostname',
    });
    expect(bad({ processEnv: { DD_HOSTNAME: 'h'.repeat(1_100_000) } })).toMatchObject({
      code: 'SL_ERR_CONFIG_INVALID_ENV',
      option: 'DD_HOSTNAME',
    });
    expect(bad({}, { service: 's'.repeat(193) })).toMatchObject({
      code: 'SL_ERR_CONFIG_INVALID_VALUE',
      option: 'service',
    });
    expect(bad({ env: 'e'.repeat(197) }).option).toBe('env');
    expect(bad({}, { environment: 'e'.repeat(197) }).option).toBe('environment');
    expect(bad({ processEnv: { DD_VERSION: 'v'.repeat(193) } }, { version: undefined })).toMatchObject({
      code: 'SL_ERR_CONFIG_INVALID_ENV',
      option: 'DD_VERSION',
    });
    // 200 build notes of 199 characters: about 40 KB on every log and event.
    const notes = Array.from({ length: 200 }, (_, i) => `note${i}:${'n'.repeat(192)}`);
    expect(bad({ processEnv: { DD_TAGS: notes.join(',') } })).toMatchObject({
      code: 'SL_ERR_CONFIG_INVALID_ENV',
      option: 'DD_TAGS',
    });
    expect(bad({ tags: notes }).option).toBe('tags');
    const e = bad({ hostname: 'h'.repeat(1_100_000) });
    expect(e.message.length).toBeLessThan(300);
    // At the limits, it starts.
    startWith(
      datadog({
        metrics: 'none',
        processEnv: { DD_HOSTNAME: 'h'.repeat(255) },
        env: 'e'.repeat(196),
        tags: notes.slice(0, 150),
      }),
      { service: 's'.repeat(192), version: 'v'.repeat(192) },
    );
    await stopSightline();
  });

  it('names the variable a too long service, env or version came from, as a deployment sets them', () => {
    // Prepare: the variables in the process's environment, where a deployment sets them, read by
    // sightline itself (no `processEnv`), with no service, environment or version in code.
    const bad = (name: string, value: string) => {
      vi.stubEnv(name, value);
      try {
        return configError(() =>
          startWith(datadog({ apiKey: KEY }), {
            service: undefined,
            environment: undefined,
            version: undefined,
          }),
        );
      } finally {
        vi.unstubAllEnvs();
      }
    };
    for (const name of ['DD_VERSION', 'SIGHTLINE_VERSION']) {
      expect(bad(name, 'v'.repeat(193))).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: name });
    }
    for (const name of ['DD_SERVICE', 'OTEL_SERVICE_NAME']) {
      expect(bad(name, 's'.repeat(193))).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: name });
    }
    expect(bad('DD_ENV', 'e'.repeat(197))).toMatchObject({
      code: 'SL_ERR_CONFIG_INVALID_ENV',
      option: 'DD_ENV',
    });
    expect(bad('OTEL_RESOURCE_ATTRIBUTES', `service.version=${'v'.repeat(193)}`)).toMatchObject({
      code: 'SL_ERR_CONFIG_INVALID_ENV',
      option: 'OTEL_RESOURCE_ATTRIBUTES',
    });
  });

  it('rejects unknown options and bad values with coded errors', () => {
    expect(configError(() => datadog({ apiKey: KEY, processEnv: {}, apikey: 'x' } as never)).code).toBe(
      'SL_ERR_CONFIG_UNKNOWN_OPTION',
    );
    expect(
      configError(() => datadog({ apiKey: KEY, processEnv: {}, traces: 'jaeger' as never })).option,
    ).toBe('traces');
    expect(
      configError(() => datadog({ apiKey: KEY, processEnv: {}, histograms: { percentiles: [0, 100] } }))
        .option,
    ).toBe('histograms.percentiles');
    expect(configError(() => datadog({ apiKey: 'has space', processEnv: {} })).option).toBe('apiKey');
    expect(configError(() => datadog({ apiKey: KEY, processEnv: {}, channel: [] as never })).option).toBe(
      'channel',
    );
  });
});
