/**
 * What a deployment hands sightline in its environment (a Kubernetes ConfigMap or Secret, an ECS
 * task definition, a Docker env file), as it reaches a Datadog intake.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline, init, SightlineConfigError } from '../../../src/index.js';
import { datadog } from '../../../adapters/datadog/index.js';
import { KEY, loopbackOptions, start, userSeries } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close().catch(() => undefined);
  server = undefined;
  vi.unstubAllEnvs();
});

describe('Datadog identity from the deployment', () => {
  it('takes env, service and version from DD_TAGS when DD_ENV, DD_SERVICE and DD_VERSION are unset, as dd-trace does', async () => {
    // Prepare: unified service tagging given as tags alone, as dd-trace reads it.
    vi.stubEnv('NODE_ENV', 'test');
    const tags = 'team:payments env:prod service:checkout version:1.4.2';
    vi.stubEnv('DD_TAGS', tags);
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(
      server,
      { processEnv: { DD_TAGS: tags } },
      { service: undefined, environment: undefined, version: undefined },
    );

    // Act
    obs.metrics.counter('orders.placed').add(1);
    obs.log.info('placed');
    await obs.forceFlush({ timeoutMs: 2000 });

    // Assess
    const [series] = userSeries(server);
    expect(series?.tags).toEqual(
      expect.arrayContaining(['env:prod', 'service:checkout', 'version:1.4.2', 'team:payments']),
    );
    expect(series?.tags.filter((t: string) => /^(env|service|version):/.test(t))).toHaveLength(3);
    expect([obs.service, obs.environment, obs.version]).toEqual(['checkout', 'prod', '1.4.2']);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      'dd.service': 'checkout',
      'dd.env': 'prod',
      'dd.version': '1.4.2',
    });
  });

  it('keeps DD_ENV, DD_SERVICE and DD_VERSION above DD_TAGS', async () => {
    vi.stubEnv('DD_ENV', 'staging');
    vi.stubEnv('DD_SERVICE', 'billing');
    vi.stubEnv('DD_VERSION', '2.0.0');
    vi.stubEnv('DD_TAGS', 'env:prod,service:checkout,version:1.4.2');
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {}, { service: undefined, environment: undefined, version: undefined });
    expect([obs.service, obs.environment, obs.version]).toEqual(['billing', 'staging', '2.0.0']);
  });
});

describe('values a deployment wrapped in quotes', () => {
  it('DD_API_KEY in quotes, as a Docker env file keeps them, fails init() naming it, instead of a 403 per request', async () => {
    // Prepare: `DD_API_KEY="<key>"` in a file given to `docker run --env-file` keeps the quotes.
    server = await IntakeServer.start({ apiKey: KEY });
    const options = { ...loopbackOptions(server), apiKey: undefined, processEnv: { DD_API_KEY: `"${KEY}"` } };

    // Act
    let error: unknown;
    try {
      const obs = init({ service: 'checkout', exporters: [datadog(options)], logStream: { write() {} } });
      obs.metrics.counter('orders.placed').add(1);
      await obs.forceFlush({ timeoutMs: 2000 });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(server.requests.map((r) => r.status)).toEqual([]);
    expect(error).toBeInstanceOf(SightlineConfigError);
    expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: 'DD_API_KEY' });
    expect(String((error as Error).message)).not.toContain(KEY.slice(-6));
  });

  it.each([
    ['SIGHTLINE_ENV', '"production"'],
    ['DD_ENV', "'production'"],
    ['OTEL_SERVICE_NAME', '"checkout"'],
    ['SIGHTLINE_SAMPLING', '"0.5"'],
  ])('%s=%s fails init() naming the variable and the quotes', (name, value) => {
    vi.stubEnv(name, value);
    expect(() => init({ logStream: { write() {} } })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_INVALID_ENV',
        option: name,
        message: expect.stringMatching(/quotes/),
      }),
    );
  });
});

describe('an environment named in another case than the configured one', () => {
  it('DD_ENV=Production beside exporters for production fails init() naming DD_ENV, instead of sending to the console alone', async () => {
    // Prepare: Datadog lowercases the env tag, so DD_ENV=Production reads as production there.
    vi.stubEnv('DD_ENV', 'Production');
    server = await IntakeServer.start({ apiKey: KEY });
    const lines: string[] = [];

    // Act
    let error: unknown;
    try {
      const obs = init({
        service: 'checkout',
        exporters: { production: [datadog(loopbackOptions(server))] },
        logStream: { write: (l: string) => lines.push(l) },
      });
      obs.metrics.counter('orders.placed').add(1);
      obs.log.info('placed');
      await obs.forceFlush({ timeoutMs: 2000 });
    } catch (e) {
      error = e;
    }

    // Assess
    expect(server.requests).toHaveLength(0);
    expect(error).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: 'DD_ENV' });
    expect((error as Error).message).toContain('"production"');
  });

  it.each([
    [{ environment: 'Staging' }, {}, 'environment'],
    [{}, { NODE_ENV: 'PRODUCTION' }, 'NODE_ENV'],
    [{}, { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=Production' }, 'OTEL_RESOURCE_ATTRIBUTES'],
  ])('%o %o fails naming %s, for a profile too', (code, env, option) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    expect(() =>
      init({ ...code, profiles: { production: {}, staging: {} }, logStream: { write() {} } }),
    ).toThrowError(expect.objectContaining({ option }));
  });

  it('an environment of its own (test, a preview) still runs with the console', async () => {
    vi.stubEnv('NODE_ENV', 'test');
    const obs = init({
      exporters: { production: [] },
      profiles: { production: {} },
      logStream: { write() {} },
    });
    expect(obs.environment).toBe('test');
  });
});

describe('an environment with no configuration beside one that has', () => {
  /** The warnings init() gives, each as its code and message. */
  function warningsOf(run: () => void): { code: unknown; message: string }[] {
    const warnings: { code: unknown; message: string }[] = [];
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation((message, options) => {
      warnings.push({ code: (options as { code?: unknown } | undefined)?.code, message: String(message) });
    });
    try {
      run();
    } finally {
      spy.mockRestore();
    }
    return warnings;
  }

  it('DD_TAGS env:prod above NODE_ENV=production, whose exporters are configured, warns at init() naming both, instead of sending nothing in silence', async () => {
    // Prepare: Datadog's tags say prod, Node's convention says production, the app keys production.
    vi.stubEnv('DD_TAGS', 'env:prod team:payments');
    vi.stubEnv('NODE_ENV', 'production');
    server = await IntakeServer.start({ apiKey: KEY });
    let obs: ReturnType<typeof init> | undefined;

    // Act
    const warnings = warningsOf(() => {
      obs = init({
        service: 'checkout',
        exporters: { production: [datadog(loopbackOptions(server as IntakeServer))] },
        logStream: { write() {} },
        anomaly: false,
      });
    });
    obs?.metrics.counter('orders.placed').add(1);
    await obs?.forceFlush({ timeoutMs: 2000 });

    // Assess: the documented order stands (prod, the console), and the user is told once, coded.
    expect(obs?.environment).toBe('prod');
    expect(server.requests).toHaveLength(0);
    expect(warnings).toEqual([
      {
        code: 'SLWRN003',
        message: expect.stringMatching(/DD_TAGS gives the environment "prod".*NODE_ENV gives "production"/),
      },
    ]);
  });

  it.each([
    [{ DD_ENV: 'prod', NODE_ENV: 'production' }, /DD_ENV gives the environment "prod"/],
    [{ SIGHTLINE_ENV: 'prodution' }, /SIGHTLINE_ENV gives the environment "prodution".*"production"/],
    [{ NODE_ENV: 'stagin' }, /NODE_ENV gives the environment "stagin".*"staging"/],
    [{ DD_ENV: 'prod' }, /DD_ENV gives the environment "prod".*"production"/],
    // Nothing is sent, not even to the console.
    [
      { DD_ENV: 'prod', OTEL_SDK_DISABLED: 'true' },
      /it runs with no exporter, as OTEL_SDK_DISABLED=true, and the defaults, while "production"/,
    ],
  ])('%o warns once at init(), coded', (env, message) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const warnings = warningsOf(() =>
      init({
        exporters: { production: [], staging: [] },
        profiles: { production: {} },
        logStream: { write() {} },
        anomaly: false,
      }),
    );
    expect(warnings).toEqual([{ code: 'SLWRN003', message: expect.stringMatching(message) }]);
  });

  it.each([
    [{ NODE_ENV: 'test' }],
    [{ DD_ENV: 'preview-42' }],
    [{}],
    [{ DD_ENV: 'production', NODE_ENV: 'staging' }],
  ])('%o, an environment of its own or one configured, gives no warning', (env) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv('NODE_ENV', (env as { NODE_ENV?: string }).NODE_ENV ?? '');
    const warnings = warningsOf(() =>
      init({ exporters: { production: [], staging: [] }, logStream: { write() {} }, anomaly: false }),
    );
    expect(warnings).toEqual([]);
  });

  it.each([
    // A preview or a load test deployed as every deployment is, with Node's NODE_ENV=production.
    [{ DD_ENV: 'preview-42', NODE_ENV: 'production' }, undefined],
    [{ DD_TAGS: 'env:loadtest', NODE_ENV: 'production' }, undefined],
    // Chosen for sightline, as the warning itself tells: set SIGHTLINE_ENV to the one meant.
    [{ SIGHTLINE_ENV: 'loadtest', DD_ENV: 'production' }, undefined],
    [{ NODE_ENV: 'production' }, 'canary'],
  ])(
    '%o (environment %s), an environment of its own beside the variables every deployment sets, gives no warning',
    (env, environment) => {
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
      let obs: ReturnType<typeof init> | undefined;
      const warnings = warningsOf(() => {
        obs = init({
          environment,
          exporters: { production: [], staging: [] },
          logStream: { write() {} },
          anomaly: false,
        });
      });
      expect(obs?.environment).not.toBe('production');
      expect(warnings).toEqual([]);
    },
  );

  it.each([
    // NODE_ENV set to a configured name other than Node's build modes was set for the deployment.
    [{ DD_ENV: 'stg', NODE_ENV: 'staging' }, /DD_ENV gives the environment "stg".*NODE_ENV gives "staging"/],
    [
      { DD_TAGS: 'env:uat', NODE_ENV: 'staging' },
      /DD_TAGS gives the environment "uat".*NODE_ENV gives "staging"/,
    ],
  ])('%o, NODE_ENV naming a configured environment no build mode is, warns', (env, message) => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const warnings = warningsOf(() =>
      init({ exporters: { production: [], staging: [] }, logStream: { write() {} }, anomaly: false }),
    );
    expect(warnings).toEqual([{ code: 'SLWRN003', message: expect.stringMatching(message) }]);
  });

  it.each([
    // Another instance, region or word beside a configured name: an environment of its own.
    ['qa2', ['qa1']],
    ['uat2', ['uat']],
    ['dev2', ['dev']],
    ['staging-2', ['staging']],
    ['prod-1', ['prod']],
    ['prod-us', ['prod', 'prod-eu']],
    ['uk', ['us']],
    ['ca', ['qa']],
    ['ci', ['cd']],
    ['local', ['load']],
    // A common name with a word of its own after it, or the half of a name, is a name of its own.
    ['devops', ['dev']],
    ['dev', ['devops']],
    ['testnet', ['test']],
    ['test', ['testnet']],
    ['prodlike', ['prod']],
    ['perftest', ['perf']],
    ['internal', ['int']],
    ['locale', ['local']],
    ['product', ['prod']],
    ['can', ['canary']],
  ])('DD_ENV=%s beside %j gives no warning, as no name misspelt or cut short', (name, configured) => {
    vi.stubEnv('DD_ENV', name);
    vi.stubEnv('NODE_ENV', '');
    const exporters = Object.fromEntries(configured.map((c) => [c, []]));
    const warnings = warningsOf(() => init({ exporters, logStream: { write() {} }, anomaly: false }));
    expect(warnings).toEqual([]);
  });

  it.each([
    ['prodcution-eu', ['production-eu'], 'production-eu'],
    ['developmnet', ['development'], 'development'],
    ['stagin', ['staging'], 'staging'],
    // A long form with a letter too many is misspelt: only a short form is a name others build on.
    ['productionn', ['production'], 'production'],
    ['stagingg-eu', ['staging-eu'], 'staging-eu'],
    ['developmentt', ['development'], 'development'],
    // The same words and numbers, only another separator between them, or none.
    ['prod_eu', ['prod-eu'], 'prod-eu'],
    ['eu.prod', ['eu-prod'], 'eu-prod'],
    ['staging2', ['staging-2'], 'staging-2'],
    ['preprod', ['pre-prod'], 'pre-prod'],
    ['load-test', ['loadtest'], 'loadtest'],
    // A plural of a common name is the name, not another built on it.
    ['tests', ['test'], 'test'],
    ['test', ['tests'], 'tests'],
    ['prods-eu', ['prod-eu'], 'prod-eu'],
    ['locals', ['local'], 'local'],
  ] as [string, string[], string][])(
    'DD_ENV=%s beside %j still warns, naming %s',
    (name, configured, meant) => {
      vi.stubEnv('DD_ENV', name);
      vi.stubEnv('NODE_ENV', '');
      const exporters = Object.fromEntries(configured.map((c) => [c, []]));
      const warnings = warningsOf(() => init({ exporters, logStream: { write() {} }, anomaly: false }));
      expect(warnings).toEqual([
        { code: 'SLWRN003', message: expect.stringContaining(`while "${meant}" has: check its spelling`) },
      ]);
    },
  );

  it.each([
    // The configuration keyed by the short name, the environment given in full, as Node's
    // NODE_ENV=production gives it to every deployed build.
    [{ NODE_ENV: 'production' }, ['prod'], 'prod', ', likely short for "production"'],
    [{ DD_ENV: 'production' }, ['prod', 'staging'], 'prod', ', likely short for "production"'],
    [{ NODE_ENV: 'development' }, ['dev', 'prod'], 'dev', ', likely short for "development"'],
    [{ DD_ENV: 'testing-eu' }, ['test-eu'], 'test-eu', ', likely short for "testing-eu"'],
    // The environment given by its short name, the configuration keyed in full.
    [{ DD_ENV: 'dev' }, ['dev1', 'development'], 'development', ', which "dev" likely stands for'],
    [{ DD_ENV: 'stag-2' }, ['staging-2'], 'staging-2', ', which "stag-2" likely stands for'],
    [{ DD_ENV: 'stage' }, ['staging'], 'staging', ', which "stage" likely stands for'],
    [{ DD_ENV: 'staging' }, ['stage'], 'stage', ', likely short for "staging"'],
    [{ DD_ENV: 'stg' }, ['staging'], 'staging', ', which "stg" likely stands for'],
    [{ DD_ENV: 'prd' }, ['production'], 'production', ', which "prd" likely stands for'],
    [{ DD_ENV: 'int' }, ['integration'], 'integration', ', which "int" likely stands for'],
    [{ DD_ENV: 'devel' }, ['development'], 'development', ', which "devel" likely stands for'],
    [{ DD_ENV: 'devel' }, ['dev'], 'dev', ', likely short for "devel"'],
    // A plural of one of them is it, so the other's short or long form too.
    [{ DD_ENV: 'tests' }, ['testing'], 'testing', ', which "tests" likely stands for'],
    [{ DD_ENV: 'prods-eu' }, ['production-eu'], 'production-eu', ', which "prods-eu" likely stands for'],
    [{ DD_ENV: 'devs' }, ['development'], 'development', ', which "devs" likely stands for'],
    [{ DD_ENV: 'productions' }, ['prod'], 'prod', ', likely short for "productions"'],
  ] as [Record<string, string>, string[], string, string][])(
    '%o beside %j, one the short name of the other, warns naming %s, and no misspelling',
    (env, configured, meant, which) => {
      vi.stubEnv('NODE_ENV', '');
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
      const exporters = Object.fromEntries(configured.map((c) => [c, []]));
      const warnings = warningsOf(() => init({ exporters, logStream: { write() {} }, anomaly: false }));
      expect(warnings).toEqual([
        {
          code: 'SLWRN003',
          message: expect.stringContaining(
            `while "${meant}" has${which}: set SIGHTLINE_ENV (or the environment option) to it, or key`,
          ),
        },
      ]);
    },
  );

  it('with no option or variable giving the environment, names the default it runs as, instead of an environment option never given', () => {
    vi.stubEnv('NODE_ENV', '');
    const warnings = warningsOf(() =>
      init({ exporters: { developement: [], production: [] }, logStream: { write() {} }, anomaly: false }),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(
      /^no option or variable gives the environment, so it is "development", the default,.*while "developement" has: set SIGHTLINE_ENV \(or the environment option\) to it, or key the configuration by "development"$/,
    );
  });

  it('tells what the environment runs with, its exporters given for every environment, instead of the console it does not run with', async () => {
    // Prepare: one list of exporters for every environment, a profile for production's sampling.
    vi.stubEnv('DD_ENV', 'prod');
    vi.stubEnv('NODE_ENV', '');
    server = await IntakeServer.start({ apiKey: KEY });
    let obs: ReturnType<typeof init> | undefined;

    // Act
    const warnings = warningsOf(() => {
      obs = init({
        service: 'checkout',
        exporters: [datadog(loopbackOptions(server as IntakeServer))],
        profiles: { production: { sampling: 0.2 } },
        logStream: { write() {} },
        anomaly: false,
      });
    });
    obs?.metrics.counter('orders.placed').add(1);
    await obs?.forceFlush({ timeoutMs: 2000 });

    // Assess: Datadog is sent to, production's profile is not taken, and the warning says so.
    expect(userSeries(server).map((s) => s.metric)).toEqual(['orders.placed']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).not.toMatch(/console/);
    expect(warnings[0]?.message).toMatch(/DD_ENV gives the environment "prod".*datadog.*"production" has/);
  });

  it('DD_ENV=prd above deployment.environment=production in OTEL_RESOURCE_ATTRIBUTES still warns, naming both', () => {
    vi.stubEnv('DD_ENV', 'prd');
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=production');
    vi.stubEnv('NODE_ENV', 'production');
    const warnings = warningsOf(() =>
      init({ exporters: { production: [] }, logStream: { write() {} }, anomaly: false }),
    );
    expect(warnings).toEqual([
      {
        code: 'SLWRN003',
        message: expect.stringMatching(
          /DD_ENV gives the environment "prd".*OTEL_RESOURCE_ATTRIBUTES gives "production"/,
        ),
      },
    ]);
  });
});

describe('a list variable a template left without entries', () => {
  it.each([',', ' , ', ',,\r\n'])(
    'SIGHTLINE_EXPORTERS=%j is unset, as an empty variable is, and the configured adapters send, instead of none',
    async (value) => {
      // Prepare: `SIGHTLINE_EXPORTERS=${PRIMARY},${EXTRA}` with neither set.
      vi.stubEnv('SIGHTLINE_EXPORTERS', value);
      server = await IntakeServer.start({ apiKey: KEY });
      const { obs } = start(server);

      // Act
      obs.metrics.counter('orders.placed').add(1);
      await obs.forceFlush({ timeoutMs: 2000 });

      // Assess
      expect(userSeries(server).map((s) => s.metric)).toEqual(['orders.placed']);
    },
  );
});
