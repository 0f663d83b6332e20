import { afterEach, describe, expect, it, vi } from 'vitest';
import { type NewRelicOptions, newrelic } from '../../../adapters/newrelic/index.js';
import { resolveOptions } from '../../../adapters/newrelic/options.js';
import { SightlineConfigError } from '../../../src/diag/errors.js';
import {
  configError,
  expectOnlyProductionSetsUp,
  FAST_CHANNEL,
  startWith,
  stopSightline,
} from '../harness.js';
import { LICENSE_KEY } from './helpers.js';
import { endpointsFor, startNrIntake } from './intake-server.js';

afterEach(stopSightline);

const KEY = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8NRAL';

describe('newrelic options and environment', () => {
  it('reads the key, region, app name and account id from NEW_RELIC_* variables', () => {
    const r = resolveOptions({
      env: {
        NEW_RELIC_LICENSE_KEY: `${KEY}\n`,
        NEW_RELIC_REGION: 'eu',
        NEW_RELIC_APP_NAME: 'checkout-eu;checkout',
        NEW_RELIC_ACCOUNT_ID: '1234567',
      },
    });
    expect(r.licenseKey).toBe(KEY);
    expect(r.region).toBe('EU');
    expect(r.appName).toBe('checkout-eu');
    expect(r.metricsUrl.href).toBe('https://metric-api.eu.newrelic.com/metric/v1');
    expect(r.logsUrl.href).toBe('https://log-api.eu.newrelic.com/log/v1');
    expect(r.tracesUrl.href).toBe('https://otlp.eu01.nr-data.net/v1/traces');
    expect(r.eventsUrl?.href).toBe('https://insights-collector.eu01.nr-data.net/v1/accounts/1234567/events');
  });

  it('defaults to the US region, stdout logs and the protobuf OTLP encoding', () => {
    const r = resolveOptions({ env: { NEW_RELIC_LICENSE_KEY: KEY } });
    expect(r.region).toBe('US');
    expect(r.logs).toBe('stdout');
    expect(r.otlpProtocol).toBe('http/protobuf');
    expect(r.appName).toBeUndefined();
    expect(r.eventType).toBe('SightlineAnomaly');
    expect(r.metricsUrl.href).toBe('https://metric-api.newrelic.com/metric/v1');
    expect(r.logsUrl.href).toBe('https://log-api.newrelic.com/log/v1');
    expect(r.tracesUrl.href).toBe('https://otlp.nr-data.net/v1/traces');
    expect(r.eventsUrl).toBeUndefined();
    expect(resolveOptions({ accountId: 42, env: { NEW_RELIC_LICENSE_KEY: KEY } }).eventsUrl?.href).toBe(
      'https://insights-collector.newrelic.com/v1/accounts/42/events',
    );
  });

  it('lets options win over the environment', () => {
    const r = resolveOptions({
      licenseKey: KEY,
      region: 'US',
      appName: 'from-code',
      env: { NEW_RELIC_LICENSE_KEY: 'other', NEW_RELIC_REGION: 'EU', NEW_RELIC_APP_NAME: 'from-env' },
    });
    expect(r).toMatchObject({ licenseKey: KEY, region: 'US', appName: 'from-code' });
  });

  it('never picks the region from the key, but flags an EU-looking key left on US', () => {
    expect(resolveOptions({ licenseKey: LICENSE_KEY, env: {} })).toMatchObject({
      region: 'US',
      regionHint: true,
    });
    expect(resolveOptions({ licenseKey: LICENSE_KEY, region: 'EU', env: {} }).regionHint).toBe(false);
    expect(resolveOptions({ licenseKey: KEY, env: {} }).regionHint).toBe(false);
  });

  it('requires a license key at init(), naming the option and the variable', () => {
    expect(() => newrelic({ env: {} })).not.toThrow();
    const e = configError(() => startWith(newrelic({ env: {} })));
    expect(e.code).toBe('SL_ERR_CONFIG_MISSING_CREDENTIALS');
    expect(e.option).toBe('newrelic.licenseKey');
    expect(e.message).toContain('NEW_RELIC_LICENSE_KEY');
  });

  it('needs no license key when OTEL_<SIGNAL>_EXPORTER=none turns off every signal it would send', async () => {
    const intake = await startNrIntake({ licenseKey: KEY });
    const { events: _events, ...endpoints } = endpointsFor(intake);
    const adapter = (options: NewRelicOptions = {}) =>
      newrelic({ env: {}, endpoints, channel: FAST_CHANNEL, ...options });
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'none');
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'none');
    try {
      // Log lines for a forwarder on stdout: nothing goes to New Relic.
      const { obs, lines } = startWith(adapter());
      obs.metrics.counter('orders').add(1);
      await obs.trace('work', () => obs.log.info('done'));
      await obs.forceFlush();
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ message: 'done', 'entity.name': 'checkout' });
      expect(intake.requests).toEqual([]);
      await stopSightline();
      // What is still sent needs the key: log lines to the Log API, anomaly events.
      expect(configError(() => startWith(adapter({ logs: 'api' }))).code).toBe(
        'SL_ERR_CONFIG_MISSING_CREDENTIALS',
      );
      expect(configError(() => startWith(adapter({ accountId: 42 }), { anomaly: {} })).code).toBe(
        'SL_ERR_CONFIG_MISSING_CREDENTIALS',
      );
      // Unless the detector is off, as no event is sent then.
      startWith(adapter({ accountId: 42 }), { anomaly: false });
      await stopSightline();
      vi.stubEnv('OTEL_LOGS_EXPORTER', 'none');
      startWith(adapter({ logs: 'api' }));
      await stopSightline();
      vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp');
      expect(configError(() => startWith(adapter())).option).toBe('newrelic.licenseKey');
    } finally {
      vi.unstubAllEnvs();
      await intake.close();
    }
  });

  it('listed for production only, needs no license key in development', async () => {
    const error = await expectOnlyProductionSetsUp(() => newrelic({ env: {} }));
    expect(error).toBeInstanceOf(SightlineConfigError);
    expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_MISSING_CREDENTIALS', option: 'newrelic.licenseKey' });
  });

  it('rejects bad values with coded errors that name the option and the fix', () => {
    const env = { NEW_RELIC_LICENSE_KEY: KEY };
    const cases: [() => unknown, string, string][] = [
      [
        () => newrelic({ env: { ...env, NEW_RELIC_REGION: 'asia' } }),
        'SL_ERR_CONFIG_INVALID_ENV',
        'NEW_RELIC_REGION',
      ],
      [() => newrelic({ env, region: 'AP' as 'US' }), 'SL_ERR_CONFIG_INVALID_VALUE', 'newrelic.region'],
      [
        () => newrelic({ env: { ...env, NEW_RELIC_ACCOUNT_ID: 'abc' } }),
        'SL_ERR_CONFIG_INVALID_ENV',
        'NEW_RELIC_ACCOUNT_ID',
      ],
      [() => newrelic({ env, accountId: -1 }), 'SL_ERR_CONFIG_INVALID_VALUE', 'newrelic.accountId'],
      [() => newrelic({ env, logs: 'http' as 'api' }), 'SL_ERR_CONFIG_INVALID_VALUE', 'newrelic.logs'],
      [
        () => newrelic({ env, eventType: 'Sightline.Anomaly' }),
        'SL_ERR_CONFIG_INVALID_VALUE',
        'newrelic.eventType',
      ],
      [() => newrelic({ env, appName: '' }), 'SL_ERR_CONFIG_INVALID_VALUE', 'newrelic.appName'],
      [
        () => newrelic({ env, limits: { maxBytes: 0 } }),
        'SL_ERR_CONFIG_INVALID_VALUE',
        'newrelic.limits.maxBytes',
      ],
      [
        () => newrelic({ env, limits: { maxbytes: 500_000 } as never }),
        'SL_ERR_CONFIG_UNKNOWN_OPTION',
        'newrelic.limits.maxbytes',
      ],
      [() => newrelic({ env, channel: 'fast' as never }), 'SL_ERR_CONFIG_INVALID_TYPE', 'newrelic.channel'],
      [
        () => newrelic({ env, otlpProtocol: 'grpc' as 'http/json' }),
        'SL_ERR_CONFIG_INVALID_VALUE',
        'newrelic.otlpProtocol',
      ],
      [() => newrelic({ env, apiKey: 'x' } as never), 'SL_ERR_CONFIG_UNKNOWN_OPTION', 'newrelic.apiKey'],
      [
        () => newrelic({ env, endpoints: { metric: 'https://x' } as never }),
        'SL_ERR_CONFIG_UNKNOWN_OPTION',
        'newrelic.endpoints.metric',
      ],
      [
        () => newrelic({ env, endpoints: { metrics: 'not a url' } }),
        'SL_ERR_CONFIG_INVALID_URL',
        'newrelic.endpoints.metrics',
      ],
      [
        () => newrelic({ env, endpoints: { logs: 'http://proxy.internal/log/v1' } }),
        'SL_ERR_CONFIG_INSECURE_ENDPOINT',
        'newrelic.endpoints.logs',
      ],
    ];
    for (const [fn, code, option] of cases) {
      const e = configError(fn);
      expect(e.code, option).toBe(code);
      expect(e.option, option).toBe(option);
      expect(e.message, option).toContain(
        option.startsWith('NEW_RELIC') ? option : option.replace(/^newrelic\./, ''),
      );
    }
  });

  it('accepts plain http only to loopback endpoints', () => {
    const r = resolveOptions({
      licenseKey: KEY,
      env: {},
      endpoints: {
        metrics: 'http://127.0.0.1:4000/metric/v1',
        events: 'http://localhost:4000/v1/accounts/1/events',
      },
    });
    expect(r.metricsUrl.href).toBe('http://127.0.0.1:4000/metric/v1');
    expect(r.eventsUrl?.href).toBe('http://localhost:4000/v1/accounts/1/events');
  });

  it.each([
    [4242424242, 'SL_ERR_CONFIG_INVALID_TYPE'],
    [['key'], 'SL_ERR_CONFIG_INVALID_TYPE'],
    [' ', 'SL_ERR_CONFIG_INVALID_VALUE'],
  ])("licenseKey %j fails with %s, as datadog()'s apiKey and init()'s options of its kind do", (key, c) => {
    const e = configError(() => newrelic({ licenseKey: key as never, env: {} }));
    expect(e).toMatchObject({ code: c, option: 'newrelic.licenseKey' });
    expect(e.message).not.toContain('4242424242');
  });

  it('never puts the license key in an error message', () => {
    const withSpace = `${LICENSE_KEY} extra`;
    const errors = [
      configError(() => newrelic({ licenseKey: withSpace, env: {} })),
      configError(() => newrelic({ env: { NEW_RELIC_LICENSE_KEY: withSpace } })),
      configError(() => newrelic({ licenseKey: LICENSE_KEY, region: LICENSE_KEY as 'US', env: {} })),
      configError(() =>
        newrelic({
          licenseKey: LICENSE_KEY,
          env: {},
          endpoints: { traces: `http://example.com/${LICENSE_KEY}?k=${LICENSE_KEY}` },
        }),
      ),
    ];
    for (const e of errors) {
      expect(e.message).not.toContain(LICENSE_KEY);
      expect(e.message).not.toContain(LICENSE_KEY.slice(0, 12));
      expect(String(e.stack)).not.toContain(LICENSE_KEY);
    }
  });
});
