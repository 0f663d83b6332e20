import { afterEach, describe, expect, it, vi } from 'vitest';
import { cloudIdToUrl } from '../../../adapters/elastic/auth.js';
import { type ElasticOptions, elastic } from '../../../adapters/elastic/index.js';
import { resolveOptions } from '../../../adapters/elastic/options.js';
import {
  configError,
  expectOnlyProductionSetsUp,
  FAST_CHANNEL,
  startWith,
  stopSightline,
} from '../harness.js';
import { API_KEY, PASSWORD, SECRET_TOKEN } from './helpers.js';
import { EsIntake } from './intake-server.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const code = (c: string, option?: string) =>
  expect.objectContaining({ code: c, ...(option !== undefined ? { option } : {}) });

afterEach(stopSightline);

describe('elastic options and environment', () => {
  it('reads ELASTICSEARCH_URL and ELASTIC_API_KEY, and derives the _bulk URL with its response filter', () => {
    const r = resolveOptions({
      env: { ELASTICSEARCH_URL: 'https://es.example.com:9243', ELASTIC_API_KEY: API_KEY },
    });
    expect(r.authorization).toBe(`ApiKey ${API_KEY}`);
    expect(r.logsUrl.origin + r.logsUrl.pathname).toBe('https://es.example.com:9243/_bulk');
    expect(r.logsUrl.searchParams.get('filter_path')).toBe(
      'errors,items.*.status,items.*.error.type,items.*.error.reason',
    );
    expect(r.metricsUrl.href).toBe(r.logsUrl.href);
    expect(r).toMatchObject({ logs: 'bulk', temporality: 'delta', maxBytes: 5_000_000, traces: undefined });
  });

  it('prefers options to the environment, and ELASTICSEARCH_URL to ELASTIC_NODE and ELASTIC_CLOUD_ID', () => {
    const env = {
      ELASTICSEARCH_URL: 'https://a.example.com',
      ELASTIC_NODE: 'https://b.example.com',
      ELASTIC_CLOUD_ID: `x:${b64('c.example.com$abc$def')}`,
      ELASTICSEARCH_API_KEY: 'envkey',
    };
    expect(resolveOptions({ env }).logsUrl.host).toBe('a.example.com');
    expect(resolveOptions({ env: { ...env, ELASTICSEARCH_URL: undefined } }).logsUrl.host).toBe(
      'b.example.com',
    );
    expect(
      resolveOptions({ env: { ELASTIC_CLOUD_ID: env.ELASTIC_CLOUD_ID, ELASTIC_API_KEY: 'k' } }).logsUrl.host,
    ).toBe('abc.c.example.com');
    const r = resolveOptions({ node: 'https://opt.example.com', apiKey: 'optkey', env });
    expect(r.logsUrl.host).toBe('opt.example.com');
    expect(r.authorization).toBe('ApiKey optkey');
  });

  it.each([
    [{ apiKey: 4242424242 }, 'SL_ERR_CONFIG_INVALID_TYPE', 'elastic.apiKey'],
    [{ apiKey: 'with space' }, 'SL_ERR_CONFIG_INVALID_VALUE', 'elastic.apiKey'],
    [{ apiKey: { id: 'i', apiKey: 'with space' } }, 'SL_ERR_CONFIG_INVALID_VALUE', 'elastic.apiKey'],
    [
      { traces: { url: 'http://127.0.0.1:8200', secretToken: 4242424242 } },
      'SL_ERR_CONFIG_INVALID_TYPE',
      'elastic.traces.secretToken',
    ],
    [
      { traces: { url: 'http://127.0.0.1:8200', secretToken: 'with space' } },
      'SL_ERR_CONFIG_INVALID_VALUE',
      'elastic.traces.secretToken',
    ],
  ])("%j fails with %s, as init()'s options of its kind do, showing no secret", (options, c, option) => {
    const make = () =>
      resolveOptions({ node: 'https://es.example.com', env: {}, ...(options as ElasticOptions) });
    expect(make).toThrowError(code(c, option));
    expect(make).not.toThrowError(/4242424242|with space/);
  });

  it('decodes a Cloud ID as the official clients do', () => {
    expect(cloudIdToUrl(`my-deployment:${b64('eu-west-1.aws.found.io$abc123$def456')}`)).toBe(
      'https://abc123.eu-west-1.aws.found.io',
    );
    expect(cloudIdToUrl(`d:${b64('us-east-1.aws.found.io:443$abc$def')}`)).toBe(
      'https://abc.us-east-1.aws.found.io:443',
    );
    expect(cloudIdToUrl('not-a-cloud-id')).toBeUndefined();
    expect(() => resolveOptions({ cloudId: 'nope', apiKey: 'k', env: {} })).toThrowError(
      code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.cloudId'),
    );
  });

  it('builds the auth header from an id:key pair, { id, apiKey }, username/password or the URL', () => {
    const node = 'https://es.example.com';
    expect(resolveOptions({ node, apiKey: 'id1:key1', env: {} }).authorization).toBe(
      `ApiKey ${b64('id1:key1')}`,
    );
    expect(resolveOptions({ node, apiKey: { id: 'id1', apiKey: 'key1' }, env: {} }).authorization).toBe(
      `ApiKey ${b64('id1:key1')}`,
    );
    expect(resolveOptions({ node, username: 'u', password: PASSWORD, env: {} }).authorization).toBe(
      `Basic ${b64(`u:${PASSWORD}`)}`,
    );
    const env = { ELASTICSEARCH_USERNAME: 'ingest', ELASTICSEARCH_PASSWORD: PASSWORD };
    expect(resolveOptions({ node, env }).authorization).toBe(`Basic ${b64(`ingest:${PASSWORD}`)}`);
    const fromUrl = resolveOptions({
      node: `https://elastic:${encodeURIComponent(PASSWORD)}@es.example.com/`,
      env: {},
    });
    expect(fromUrl.authorization).toBe(`Basic ${b64(`elastic:${PASSWORD}`)}`);
    expect(fromUrl.logsUrl.href).not.toContain(PASSWORD);
  });

  it('fails at setup with coded errors naming the option', () => {
    for (const options of [{ env: {} }, { node: 'https://es.example.com', env: {} }]) {
      expect(() => elastic(options)).not.toThrow();
    }
    expect(() => startWith(elastic({ env: {} }))).toThrowError(
      code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.node'),
    );
    expect(() => startWith(elastic({ node: 'https://es.example.com', env: {} }))).toThrowError(
      code('SL_ERR_CONFIG_MISSING_CREDENTIALS', 'elastic.apiKey'),
    );
    // A local cluster without security needs no credentials.
    expect(resolveOptions({ node: 'http://localhost:9200', env: {} }).authorization).toBeUndefined();
    expect(() => resolveOptions({ node: 'http://es.internal:9200', apiKey: 'k', env: {} })).toThrowError(
      code('SL_ERR_CONFIG_INSECURE_ENDPOINT', 'elastic.node'),
    );
    expect(() => resolveOptions({ node: 'es.example.com:9200', apiKey: 'k', env: {} })).toThrowError(
      code('SL_ERR_CONFIG_INVALID_URL', 'elastic.node'),
    );
    expect(() => resolveOptions({ node: 'https://x', cloudId: 'y', apiKey: 'k', env: {} })).toThrowError(
      code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.node'),
    );
    expect(() =>
      resolveOptions({ node: 'https://x', apiKey: 'k', username: 'u', password: 'p', env: {} }),
    ).toThrowError(code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.apiKey'));
    expect(() => startWith(elastic({ node: 'https://x', username: 'u', env: {} }))).toThrowError(
      code('SL_ERR_CONFIG_MISSING_CREDENTIALS', 'elastic.password'),
    );
    // A bad value still fails in the factory when the environment names no Elasticsearch.
    expect(() => elastic({ apiKey: 'has space', env: {} })).toThrowError(
      code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.apiKey'),
    );
    expect(() => resolveOptions({ node: 'https://x', apiKey: 'has space', env: {} })).toThrowError(
      code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.apiKey'),
    );
    expect(() => resolveOptions({ node: 'https://x', apiKey: 'k', env: {}, bogus: 1 } as never)).toThrowError(
      code('SL_ERR_CONFIG_UNKNOWN_OPTION', 'elastic.bogus'),
    );
    expect(() =>
      resolveOptions({ node: 'https://x', apiKey: 'k', env: {}, logs: 'file' as never }),
    ).toThrowError(code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.logs'));
    expect(() =>
      resolveOptions({ node: 'https://x', apiKey: 'k', env: {}, limits: { maxBytes: 0 } }),
    ).toThrowError(code('SL_ERR_CONFIG_INVALID_VALUE', 'elastic.limits.maxBytes'));
    expect(() =>
      resolveOptions({ node: 'https://x', apiKey: 'k', env: {}, channel: ['fast'] as never }),
    ).toThrowError(code('SL_ERR_CONFIG_INVALID_TYPE', 'elastic.channel'));
    expect(() =>
      resolveOptions({ node: 'https://x', apiKey: 'k', env: {}, endpoints: { trace: 'https://y' } as never }),
    ).toThrowError(code('SL_ERR_CONFIG_UNKNOWN_OPTION', 'elastic.endpoints.trace'));
  });

  it('sends traces to APM Server with its secret token, or to the managed OTLP endpoint with the API key', () => {
    const node = 'https://es.example.com';
    const apm = resolveOptions({
      node,
      apiKey: 'k',
      env: { ELASTIC_APM_SERVER_URL: 'https://apm.example.com:8200', ELASTIC_APM_SECRET_TOKEN: SECRET_TOKEN },
    });
    expect(apm.traces).toMatchObject({ authorization: `Bearer ${SECRET_TOKEN}`, protocol: 'http/protobuf' });
    expect(apm.traces?.url.href).toBe('https://apm.example.com:8200/v1/traces');
    const motlp = resolveOptions({
      node,
      apiKey: 'esKey',
      env: { ELASTIC_OTLP_ENDPOINT: 'https://x.ingest.example.com' },
    });
    expect(motlp.traces?.authorization).toBe('ApiKey esKey');
    expect(motlp.traces?.url.href).toBe('https://x.ingest.example.com/v1/traces');
    const explicit = resolveOptions({
      node,
      apiKey: 'k',
      traces: { url: 'https://apm.example.com/v1/traces', apiKey: 'apmKey' },
      env: {},
    });
    expect(explicit.traces).toMatchObject({ authorization: 'ApiKey apmKey' });
    expect(explicit.traces?.url.pathname).toBe('/v1/traces');
    expect(
      resolveOptions({ node, apiKey: 'k', traces: false, env: { ELASTIC_APM_SERVER_URL: 'https://a' } })
        .traces,
    ).toBeUndefined();
    expect(() =>
      resolveOptions({ node, apiKey: 'k', traces: { url: 'http://apm.internal:8200' }, env: {} }),
    ).toThrowError(code('SL_ERR_CONFIG_INSECURE_ENDPOINT', 'elastic.traces.url'));
  });

  it('needs no node when every _bulk endpoint is given', () => {
    const url = 'http://127.0.0.1:9/_bulk';
    const r = resolveOptions({ endpoints: { logs: url, metrics: url, events: url }, env: {} });
    expect(r.logsUrl.pathname).toBe('/_bulk');
  });

  it('needs no Elasticsearch URL or credentials when nothing goes to Elasticsearch', async () => {
    const intake = await EsIntake.start({ authorization: `Bearer ${SECRET_TOKEN}` });
    const traces = { url: intake.url, secretToken: SECRET_TOKEN };
    const adapter = (options: ElasticOptions = {}) =>
      elastic({ env: {}, logs: 'stdout', traces, channel: FAST_CHANNEL, ...options });
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'none');
    try {
      // Metrics off, log lines on stdout for Elastic Agent, the detector off: traces go to APM only.
      const { obs, lines } = startWith(adapter());
      obs.metrics.counter('orders').add(1);
      await obs.trace('work', () => obs.log.info('done'));
      await obs.forceFlush();
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ message: 'done', 'service.name': 'checkout' });
      expect(intake.requests.map((r) => r.kind)).toEqual(['traces']);
      await stopSightline();
      // What still goes to Elasticsearch needs its URL: log lines by _bulk, anomaly events.
      expect(configError(() => startWith(adapter({ logs: 'bulk' }))).option).toBe('elastic.node');
      expect(configError(() => startWith(adapter(), { anomaly: {} })).option).toBe('elastic.node');
      vi.stubEnv('OTEL_LOGS_EXPORTER', 'none');
      startWith(adapter({ logs: 'bulk' }));
      await stopSightline();
      vi.stubEnv('OTEL_METRICS_EXPORTER', 'otlp');
      expect(configError(() => startWith(adapter())).option).toBe('elastic.node');
    } finally {
      vi.unstubAllEnvs();
      await intake.close();
    }
  });

  it('listed for production only, needs no URL or credentials in development', async () => {
    const error = await expectOnlyProductionSetsUp(() => elastic({ env: {} }));
    expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_VALUE', option: 'elastic.node' });
    const noKey = await expectOnlyProductionSetsUp(() =>
      elastic({ env: { ELASTICSEARCH_URL: 'https://es.example.com' } }),
    );
    expect(noKey).toMatchObject({ code: 'SL_ERR_CONFIG_MISSING_CREDENTIALS', option: 'elastic.apiKey' });
  });
});
