import {
  context,
  metrics as otelMetrics,
  propagation,
  ROOT_CONTEXT,
  trace as otelTrace,
} from '@opentelemetry/api';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getSightline, init, log, metrics, trace } from '../../../src/index.js';
import type { SightlineInstance } from '../../../src/api/sightline.js';
import { memoryExporter } from '../../../src/testing/index.js';
import { otlp } from '../../../adapters/otlp/index.js';
import { startCaptured } from '../../helpers/capture.js';
import { correlatedChild } from '../../../src/integrations/shared/request-log.js';
import { traceFields } from '../../../src/integrations/shared/trace-fields.js';

afterEach(async () => {
  await getSightline()?.shutdown();
});

describe('init()', () => {
  it('returns the instance that getSightline() returns, and the first one on a second call, with a warning', async () => {
    // Prepare
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { obs } = startCaptured();

    // Act
    const again = init({ service: 'other' });

    // Assess
    expect(getSightline()).toBe(obs);
    expect(again).toBe(obs);
    expect(again.service).toBe('test-svc');
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('init() was called again'),
      expect.objectContaining({ code: 'SLWRN001' }),
    );
    warn.mockRestore();
  });

  it('sends no version on spans when OTEL_RESOURCE_ATTRIBUTES gives an empty one, as log lines have none', async () => {
    // Prepare: `service.version=${GIT_SHA}` from a template whose variable was not set.
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'service.version=,team=core');
    try {
      const { obs, memory, logs } = startCaptured({ version: undefined });
      obs.trace('op', () => obs.log.info('in span'));
      await obs.forceFlush();
      expect(obs.version).toBeUndefined();
      expect(logs()[0]).not.toHaveProperty(['service.version']);
      const resource = memory.spans()[0]?.resource.attributes;
      expect(resource).toMatchObject({ 'service.name': 'test-svc', team: 'core' });
      expect(resource).not.toHaveProperty(['service.version']);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('names the resolved service, environment and version on the exported resource, as on log lines', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-otel-service-name');
    vi.stubEnv(
      'OTEL_RESOURCE_ATTRIBUTES',
      'service.name=from-env,deployment.environment.name=from-env,deployment.environment=from-env,service.version=0.0.0,team=core',
    );
    try {
      const { obs, memory, logs } = startCaptured({ service: 'checkout', environment: 'staging' });
      obs.trace('op', () => obs.log.info('in span'));
      await obs.forceFlush();
      const identity = {
        'service.name': 'checkout',
        'deployment.environment.name': 'staging',
        'service.version': '1.2.3',
      };
      expect(logs()[0]).toMatchObject(identity);
      expect(memory.spans()[0]?.resource.attributes).toMatchObject({
        ...identity,
        'deployment.environment': 'staging',
        team: 'core',
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('exports resource attributes whose value is an array, as OpenTelemetry types them, and refuses a mixed one', async () => {
    const resource = { 'aws.log.group.names': ['/ecs/checkout'], 'host.ip': ['10.0.0.7', 'fe80::1'] };
    const { obs, memory } = startCaptured({ resource });
    obs.trace('op', () => {});
    await obs.forceFlush();
    expect(memory.spans()[0]?.resource.attributes).toMatchObject(resource);
    await obs.shutdown();

    const mixed = () => init({ resource: { ports: ['80', 443] as never }, logStream: { write() {} } });
    expect(mixed).toThrowError(
      expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_VALUE', option: 'resource.ports' }),
    );
  });

  it('leaves nothing registered when init() fails part way, so the next instance gets the global API', async () => {
    const broken = {
      name: 'broken',
      setup: () => ({
        logFormat: {
          get base(): Record<string, unknown> {
            throw new Error('adapter bug');
          },
        },
      }),
    };
    expect(() => init({ exporters: [broken], logStream: { write() {} } })).toThrowError('adapter bug');
    expect(getSightline()).toBeUndefined();

    const { obs, memory } = startCaptured();
    otelTrace.getTracer('lib').startSpan('from-global-api').end();
    await obs.forceFlush();
    expect(memory.spans().map((s) => s.name)).toEqual(['from-global-api']);
  });

  it('leaves the OpenTelemetry globals another SDK registered first in place at shutdown', async () => {
    // Prepare: an SDK set up before sightline (auto-instrumentation loaded with --require, say).
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const meterProvider = new MeterProvider();
    otelTrace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    otelMetrics.setGlobalMeterProvider(meterProvider);
    try {
      // Act
      await startCaptured().obs.shutdown();

      // Assess: that SDK still traces, propagates and keeps its meter provider and context.
      const tracer = otelTrace.getTracer('app');
      const span = tracer.startSpan('after-shutdown');
      const headers: Record<string, string> = {};
      context.with(otelTrace.setSpan(context.active(), span), () => {
        propagation.inject(context.active(), headers);
        expect(otelTrace.getActiveSpan()).toBe(span);
      });
      span.end();
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['after-shutdown']);
      expect(headers.traceparent).toContain(span.spanContext().traceId);
      expect(otelMetrics.getMeterProvider()).toBe(meterProvider);
    } finally {
      for (const api of [otelTrace, context, propagation, otelMetrics]) api.disable();
    }
  });

  it('starts in a process whose working directory was removed, as an old release is after a deploy', () => {
    // Prepare: the service moved into its directory, which was then removed.
    const start = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'sl-release-'));
    process.chdir(dir);
    rmdirSync(dir);
    try {
      // Act
      const obs = init({ service: 'checkout', logStream: { write() {} } }) as SightlineInstance;

      // Assess: no package.json to read the name from, none needed.
      expect(obs.config.service).toBe('checkout');
    } finally {
      process.chdir(start);
    }
  });

  it('clears the global instance at shutdown so a new init() starts fresh', async () => {
    const { obs } = startCaptured();
    await obs.shutdown();
    expect(getSightline()).toBeUndefined();
    const second = startCaptured({ service: 'second' }).obs;
    expect(second).not.toBe(obs);
    expect(second.service).toBe('second');
  });

  it('starts a fresh instance when called while shutdown() runs, which keeps tracing once that shutdown ends', async () => {
    // Prepare: a caller that sees the HTTP headers an outgoing call sends.
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.traceparent as string | undefined);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const first = startCaptured();
    try {
      // Act
      const closing = first.obs.shutdown();
      const second = startCaptured({ service: 'second' });
      await closing;
      second.obs.metrics.counter('after.restart').add(1);
      await second.obs.trace('parent', async () => {
        otelTrace.getTracer('lib').startSpan('child').end();
        await (await fetch(url)).text();
      });
      await second.obs.forceFlush();

      // Assess
      expect(second.obs).not.toBe(first.obs);
      expect(getSightline()).toBe(second.obs);
      expect(second.memory.metrics().find((p) => p.name === 'after.restart')?.value).toBe(1);
      const spans = second.memory.spans();
      const parent = spans.find((s) => s.name === 'parent');
      expect(spans.find((s) => s.name === 'child')?.parentSpanContext?.spanId).toBe(
        parent?.spanContext().spanId,
      );
      expect(seen[0]).toContain(parent?.spanContext().traceId);
    } finally {
      server.close();
    }
  });
});

describe('a number option out of its range', () => {
  const quiet = { logStream: { write() {} } };

  it.each([
    [{ sampling: 1.5 }, 'sampling', 'a number from 0 to 1'],
    [{ sampling: -1 }, 'sampling', 'a number from 0 to 1'],
    [{ sampling: Number.NaN }, 'sampling', 'a number from 0 to 1'],
    [{ metricInterval: 5 }, 'metricInterval', 'a whole number from 100 to 86400000'],
    [{ cardinalityLimit: 0 }, 'cardinalityLimit', 'a whole number from 1 to 1000000'],
    [{ maxAttributeLength: 8 }, 'maxAttributeLength', 'a whole number from 16 to 1048576'],
    [{ shutdownTimeout: -1 }, 'shutdownTimeout', 'a whole number from 0 to 600000'],
    [{ anomaly: { sensitivity: 2 } }, 'anomaly.sensitivity', 'a number from 0 to 1'],
    [{ anomaly: { maxSeries: 0 } }, 'anomaly.maxSeries', 'a whole number from 1 to 1000000'],
    [{ anomaly: { warmup: 5 } }, 'anomaly.warmup', 'a whole number from 10 to 1000000'],
    [{ anomaly: { confirm: 0 } }, 'anomaly.confirm', 'a whole number from 1 to 100'],
    [
      { profiles: { production: { sampling: 5 } }, environment: 'development' },
      'profiles.production.sampling',
      'a number from 0 to 1',
    ],
  ])('%j fails init() as a bad value, naming %s and its range', (config, option, range) => {
    expect(() => init({ ...quiet, ...config })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_INVALID_VALUE',
        option,
        message: expect.stringMatching(
          new RegExp(`^option ${option.replaceAll('.', '\\.')}=.* is invalid: pass ${range}`),
        ),
      }),
    );
  });

  it('fails as a bad type when it is no number', () => {
    expect(() => init({ ...quiet, sampling: '0.5' as never })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_INVALID_TYPE',
        option: 'sampling',
        message: expect.stringContaining('pass a number from 0 to 1'),
      }),
    );
  });
});

describe('an option of the wrong type, or a string it does not take', () => {
  const quiet = { logStream: { write() {} } };

  it.each([
    [{ logLevel: true }, 'logLevel', 'SL_ERR_CONFIG_INVALID_TYPE', 'use one of fatal, error, warn'],
    [{ diagnostics: 1 }, 'diagnostics', 'SL_ERR_CONFIG_INVALID_TYPE', 'use one of debug, info'],
    [
      { anomaly: { sensitivity: true } },
      'anomaly.sensitivity',
      'SL_ERR_CONFIG_INVALID_TYPE',
      'use one of low',
    ],
    [
      { anomaly: { timeZone: -5 } },
      'anomaly.timeZone',
      'SL_ERR_CONFIG_INVALID_TYPE',
      'pass an IANA time zone',
    ],
    [{ service: '' }, 'service', 'SL_ERR_CONFIG_INVALID_VALUE', 'pass a non-empty string'],
    [{ environment: '  ' }, 'environment', 'SL_ERR_CONFIG_INVALID_VALUE', 'pass a non-empty string'],
    [{ version: 2 }, 'version', 'SL_ERR_CONFIG_INVALID_TYPE', 'pass a non-empty string'],
    [{ logLevel: 'verbose' }, 'logLevel', 'SL_ERR_CONFIG_INVALID_VALUE', 'use one of fatal, error, warn'],
    [{ resource: { team: null } }, 'resource.team', 'SL_ERR_CONFIG_INVALID_TYPE', 'use a string, number'],
    [{ resource: { team: { name: 'a' } } }, 'resource.team', 'SL_ERR_CONFIG_INVALID_TYPE', 'use a string'],
    [{ resource: { ports: ['80', 443] } }, 'resource.ports', 'SL_ERR_CONFIG_INVALID_VALUE', 'use a string'],
    // An entry of a type no attribute takes, as a number in redact is.
    [{ resource: { ports: [{ port: 80 }] } }, 'resource.ports', 'SL_ERR_CONFIG_INVALID_TYPE', 'use a string'],
    [{ resource: { ports: [[80]] } }, 'resource.ports', 'SL_ERR_CONFIG_INVALID_TYPE', 'use a string'],
    [{ redact: ['password', 5] }, 'redact', 'SL_ERR_CONFIG_INVALID_TYPE', 'pass a list of non-empty strings'],
    [{ redact: 'password' }, 'redact', 'SL_ERR_CONFIG_INVALID_TYPE', 'pass a list of non-empty strings'],
    [{ redact: ['password', ''] }, 'redact', 'SL_ERR_CONFIG_INVALID_VALUE', 'pass a list of non-empty'],
  ])('%j fails init() naming %s with %s', (config, option, code, fix) => {
    expect(() => init({ ...quiet, ...config } as never)).toThrowError(
      expect.objectContaining({ code, option, message: expect.stringContaining(fix) }),
    );
  });
});

describe("an adapter's channel option", () => {
  const quiet = { logStream: { write() {} } };
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

  it.each([
    [{ queueSize: 0 }, 'channel.queueSize', 'a whole number of at least 1'],
    [{ retry: { maxDelayMs: -1 } }, 'channel.retry.maxDelayMs', 'a number of milliseconds from 0'],
  ])('%j fails init() naming the adapter and the option', (channel, option, fix) => {
    const exporters = [otlp({ env }), otlp({ env, name: 'otlp-audit', channel: channel as never })];
    expect(() => init({ ...quiet, exporters })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_INVALID_VALUE',
        option,
        message: expect.stringMatching(new RegExp(`^otlp-audit \\w+: option ${option}=.*; use ${fix}`)),
      }),
    );
  });

  // As init()'s own options give it (`outbound: 'false'`), and as `channel: 'x'` does.
  it.each([
    [{ gzip: 'no' }, 'channel.gzip', 'true or false'],
    [{ queueSize: '100' }, 'channel.queueSize', 'a whole number of at least 1'],
    [{ retry: { maxDelayMs: '5' } }, 'channel.retry.maxDelayMs', 'a number of milliseconds from 0'],
  ])('%j, of the wrong type, fails init() with SL_ERR_CONFIG_INVALID_TYPE', (channel, option, fix) => {
    const exporters = [otlp({ env, name: 'otlp-audit', channel: channel as never })];
    expect(() => init({ ...quiet, exporters })).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_INVALID_TYPE',
        option,
        message: expect.stringMatching(new RegExp(`^otlp-audit \\w+: option ${option}=.*; use ${fix}`)),
      }),
    );
  });
});

describe('a SIGHTLINE_ variable sightline does not read', () => {
  const quiet = { logStream: { write() {} } };
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ['SIGHTLINE_ENVIRONMENT', 'production', 'did you mean SIGHTLINE_ENV?'],
    ['SIGHTLINE_SERVICE_NAME', 'checkout', 'did you mean SIGHTLINE_SERVICE?'],
    ['SIGHTLINE_SAMPLNG', '0.1', 'did you mean SIGHTLINE_SAMPLING?'],
    // The word it ends with is a variable's own: followed, SIGHTLINE_SERVICE would name the service 1.4.2.
    ['SIGHTLINE_SERVICE_VERSION', '1.4.2', 'did you mean SIGHTLINE_VERSION?'],
    ['SIGHTLINE_APP_ENV', 'production', 'did you mean SIGHTLINE_ENV?'],
    ['SIGHTLINE_TRACE_SAMPLING', '0.1', 'did you mean SIGHTLINE_SAMPLING?'],
    ['SIGHTLINE_COLOUR', 'blue', "the ones it reads are in the README's Configuration table"],
  ])('%s=%s is told at init() with SLWRN004', async (name, value, hint) => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    vi.stubEnv(name, value);
    init(quiet);
    expect(warn).toHaveBeenCalledWith(
      `${name} is set, but sightline reads no variable of that name, so it changes nothing; ${hint}`,
      expect.objectContaining({ code: 'SLWRN004' }),
    );
    warn.mockRestore();
  });

  it('is not told for the variables it reads, its own record of warnings given, or one left empty', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    vi.stubEnv('SIGHTLINE_ENV', 'test');
    vi.stubEnv('SIGHTLINE_SAMPLING', '0.5');
    vi.stubEnv('SIGHTLINE_ENVIRONMENT', '');
    init(quiet);
    expect(warn).not.toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ code: 'SLWRN004' }));
    warn.mockRestore();
  });
});

describe("an environment's exporters and profile keyed by two spellings of its name", () => {
  const quiet = { logStream: { write() {} } };

  it.each([
    [
      { exporters: { production: [memoryExporter()] }, profiles: { prodution: { sampling: 0.1 } } },
      'profiles',
    ],
    [
      { exporters: { prodution: [memoryExporter()] }, profiles: { production: { sampling: 0.1 } } },
      'exporters',
    ],
  ])('%j: the one misspelt is told at init() with SLWRN003', (config, unused) => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    init({ ...quiet, environment: 'production', ...config });
    expect(warn).toHaveBeenCalledWith(
      `environment gives the environment "production", which has ${unused === 'profiles' ? 'exporters' : 'a profile'} ` +
        `but no ${unused === 'profiles' ? 'profile' : 'exporters'} of its own, while ${unused}.prodution, ` +
        'which no environment uses, is near it: check its spelling',
      expect.objectContaining({ code: 'SLWRN003' }),
    );
    warn.mockRestore();
  });

  it('a profile that lists its exporters, beside exporters keyed by its name misspelt, is told as one', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const memory = memoryExporter();
    const obs = init({
      ...quiet,
      environment: 'production',
      exporters: { prodution: [memoryExporter()] },
      profiles: { production: { sampling: 0.1, exporters: [memory] } },
    }) as SightlineInstance;
    expect(obs.config.exporters).toEqual([memory]);
    expect(warn).toHaveBeenCalledWith(
      'environment gives the environment "production", which has a profile listing its exporters ' +
        'but no exporters.production, while exporters.prodution, which no environment uses, is near it: ' +
        'check its spelling',
      expect.objectContaining({ code: 'SLWRN003' }),
    );
    warn.mockRestore();
  });

  it.each([
    // NODE_ENV=production, as every deployed build has, and the profile keyed by the short name.
    ['production', 'prod', 'production', 'profiles.prod'],
    ['prod', 'production', 'production', 'exporters.prod'],
    ['stg', 'staging', 'staging', 'exporters.stg'],
    ['production', 'prod', 'prod', 'exporters.production'],
  ])(
    'exporters.%s and profiles.%s in %s: %s, by its short or long name, is told at init() with SLWRN003',
    (exportersKey, profileKey, environment, unused) => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      const exporters = { [exportersKey]: [memoryExporter()] };
      init({ ...quiet, environment, exporters, profiles: { [profileKey]: { sampling: 0.1 } } });
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining(`while ${unused}, which no environment uses, `),
        expect.objectContaining({ code: 'SLWRN003' }),
      );
      warn.mockRestore();
    },
  );

  /** The environment with exporters of its own, and a profile keyed by `other`. */
  const withProfileBeside = (environment: string, other: string) =>
    init({
      ...quiet,
      environment,
      exporters: { [environment]: [memoryExporter()] },
      profiles: { [other]: { sampling: 0.1 } },
    });

  it.each([
    // A letter's change in a three-letter name makes another name as commonly given.
    ['pre', 'pro'],
    ['pre', 'prd'],
    ['des', 'dev'],
    ['dev', 'div'],
    ['uat', 'sat'],
    ['pre', 'prev'],
    ['pre', 'prep'],
    ['qa1', 'qa2'],
  ])(
    '%s beside exporters or profiles keyed by %s is another environment, quietly',
    async (environment, other) => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      withProfileBeside(environment, other);
      await getSightline()?.shutdown();
      init({ ...quiet, environment, exporters: { [other]: [memoryExporter()] } });
      expect(warn).not.toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ code: 'SLWRN003' }));
      warn.mockRestore();
    },
  );

  it.each([
    ['dev', 'dve'],
    ['uat', 'uats'],
  ])(
    'exporters.%s beside profiles.%s, swapped or its plural, is told at init() with SLWRN003',
    (environment, other) => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      withProfileBeside(environment, other);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining(
          `while profiles.${other}, which no environment uses, is near it: check its spelling`,
        ),
        expect.objectContaining({ code: 'SLWRN003' }),
      );
      warn.mockRestore();
    },
  );

  it('is quiet for a profile of another environment, or one keyed by the same name', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    init({
      ...quiet,
      environment: 'production',
      exporters: { production: [memoryExporter()], staging: [] },
      profiles: { staging: { sampling: 0.5 }, 'prod-eu': { sampling: 0.2 } },
    });
    expect(warn).not.toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ code: 'SLWRN003' }));
    warn.mockRestore();
  });
});

describe('OTEL_PROPAGATORS', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** The trace headers an outgoing call in a span with baggage sends, under the propagators set. */
  async function headersSent(propagators: string) {
    vi.stubEnv('OTEL_PROPAGATORS', propagators);
    const seen: { traceparent?: string; baggage?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({
        traceparent: req.headers.traceparent as string | undefined,
        baggage: req.headers.baggage as string | undefined,
      });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { obs } = startCaptured();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const withBaggage = propagation.setBaggage(
        context.active(),
        propagation.createBaggage({ tenant: { value: 'acme' } }),
      );
      await context.with(withBaggage, () => obs.trace('call', async () => (await fetch(url)).text()));
      await obs.shutdown();
      return seen[0];
    } finally {
      server.close();
    }
  }

  it('=tracecontext sends the traceparent and no baggage, and =none neither', async () => {
    expect(await headersSent('tracecontext')).toEqual({
      traceparent: expect.stringMatching(/^00-/),
      baggage: undefined,
    });
    expect(await headersSent('none')).toEqual({ traceparent: undefined, baggage: undefined });
    expect(await headersSent('tracecontext,baggage')).toEqual({
      traceparent: expect.stringMatching(/^00-/),
      baggage: 'tenant=acme',
    });
  });
});

describe('OTEL_SDK_DISABLED', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('=true records and exports no metrics or spans and watches nothing, while log lines are still written', async () => {
    // Prepare
    vi.stubEnv('OTEL_SDK_DISABLED', 'True');
    const { obs, memory, logs } = startCaptured({ service: 'off' });
    const heard: unknown[] = [];
    obs.onAnomaly((e) => heard.push(e));

    // Act
    obs.metrics.counter('orders', { detect: true }).add(1);
    const recording = obs.trace('op', (span) => {
      obs.log.info('in span');
      return span.isRecording();
    });
    otelTrace.getTracer('lib').startSpan('lib').end();
    await obs.shutdown();

    // Assess
    expect(recording).toBe(false);
    expect(memory.metrics()).toEqual([]);
    expect(memory.spans()).toEqual([]);
    expect(memory.logs()).toEqual([]);
    expect(obs.stats()).toEqual({});
    expect((obs as SightlineInstance).anomalyEngine).toBeUndefined();
    expect(logs().map((l) => [l.msg, l['service.name']])).toEqual([
      [expect.stringContaining('OTEL_SDK_DISABLED'), 'off'],
      ['in span', 'off'],
    ]);
  });

  it('=false leaves the SDK on, and another value fails init() naming the variable', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'false');
    expect((startCaptured().obs as SightlineInstance).anomalyEngine).toBeDefined();
    await getSightline()?.shutdown();
    vi.stubEnv('OTEL_SDK_DISABLED', '1');
    expect(() => init({ logStream: { write() {} } })).toThrowError(
      expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_ENV', option: 'OTEL_SDK_DISABLED' }),
    );
  });
});

describe('obs.log', () => {
  it('writes service, environment and version on every line', () => {
    const { obs, logs } = startCaptured();
    obs.log.info({ orderId: 'o-1' }, 'order placed');
    const [line] = logs();
    expect(line).toMatchObject({
      level: 'info',
      msg: 'order placed',
      orderId: 'o-1',
      'service.name': 'test-svc',
      'deployment.environment.name': 'test',
      'service.version': '1.2.3',
    });
    expect(typeof line?.time).toBe('number');
    expect(line).not.toHaveProperty('trace_id');
  });

  it('carries the ids of the span each line was written in', async () => {
    const { obs, logs } = startCaptured();
    let outer = '';
    let inner = '';
    await obs.trace('outer', async (span) => {
      outer = span.spanContext().spanId;
      obs.log.info('in outer');
      await obs.trace('inner', async (child) => {
        inner = child.spanContext().spanId;
        await new Promise((r) => setTimeout(r, 1));
        obs.log.child({ step: 2 }).warn('in inner');
      });
    });
    const [a, b] = logs();
    expect(a).toMatchObject({ span_id: outer, trace_flags: '01' });
    expect(b).toMatchObject({ span_id: inner, step: 2, trace_id: a?.trace_id });
    expect(a?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(inner).toMatch(/^[0-9a-f]{16}$/);
  });

  it('writes trace_flags 00 inside an unsampled span', async () => {
    const { obs, logs } = startCaptured({ sampling: 0 });
    obs.trace('dropped', () => obs.log.info('x'));
    expect(logs()[0]).toMatchObject({ trace_flags: '00' });
  });

  it('honours the log level and writes nothing for disabled levels', () => {
    const { obs, logs } = startCaptured({ logLevel: 'warn' });
    obs.log.info('hidden');
    obs.log.debug('hidden');
    obs.log.error('shown');
    expect(logs().map((l) => l.msg)).toEqual(['shown']);
  });

  it('counts a line whose logStream write throws or rejects, never letting it reach the caller', async () => {
    let calls = 0;
    const write = (_line: string) => {
      calls++;
      if (calls === 1) throw new Error('stream closed');
      return Promise.reject(new Error('disk full'));
    };
    const { obs } = startCaptured({ logStream: { write } });
    expect(() => obs.log.info('thrown')).not.toThrow();
    obs.log.info('rejected');
    await new Promise((resolve) => setImmediate(resolve));
    expect(obs.drops().log_stream_error).toBe(2);
  });

  it("calls back from flush(cb), as pino's flush does, so a handler can exit once the lines are out", async () => {
    const { obs } = startCaptured();
    obs.log.info('before exit');
    const flushed = new Promise((resolve) => obs.log.flush(() => resolve('called back')));
    const late = new Promise((resolve) => setTimeout(resolve, 2000, 'never called back'));
    expect(await Promise.race([flushed, late])).toBe('called back');
  });

  it("calls back from flush(cb) while a test's fake timers hold process.nextTick (Jest's default), before init() too", async () => {
    // Prepare: process.nextTick held as jest.useFakeTimers() holds it until the test moves its
    // clock (here: until the test ends, when the held callbacks run).
    const nextTick = process.nextTick;
    const held: [(...args: unknown[]) => void, unknown[]][] = [];
    process.nextTick = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
      held.push([fn, args]);
    }) as typeof process.nextTick;
    const late = () => new Promise((resolve) => setTimeout(resolve, 500, 'never called back'));
    let results: unknown[];
    try {
      // Act: a flush before init(), and one after a line is written.
      const beforeInit = new Promise((resolve) => log.flush(() => resolve('called back')));
      const { obs } = startCaptured();
      obs.log.info('before exit');
      const flushed = new Promise((resolve) => obs.log.flush(() => resolve('called back')));
      results = await Promise.all([Promise.race([beforeInit, late()]), Promise.race([flushed, late()])]);
    } finally {
      process.nextTick = nextTick;
      for (const [fn, args] of held) process.nextTick(fn, ...args);
    }

    // Assess: as pino's flush calls back.
    expect(results).toEqual(['called back', 'called back']);
  });

  it('also hands each line to the adapters as JSON', () => {
    const { obs, memory } = startCaptured();
    obs.log.info({ a: 1 }, 'to memory');
    expect(memory.logs()).toEqual([expect.objectContaining({ a: 1, msg: 'to memory' })]);
  });
});

describe('obs.trace', () => {
  it('makes a child span of the active one and returns the callback value (sync)', () => {
    const { obs, memory } = startCaptured();
    const result = obs.trace('parent', () => obs.trace('child', () => 42));
    expect(result).toBe(42);
    const [child, parent] = memory.spans();
    expect(child?.name).toBe('child');
    expect(parent?.name).toBe('parent');
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(child?.spanContext().traceId).toBe(parent?.spanContext().traceId);
  });

  it('records a thrown error as an exception event with error status and rethrows it (sync and async)', async () => {
    const { obs, memory } = startCaptured();
    const boom = new Error('boom');
    expect(() =>
      obs.trace('sync', () => {
        throw boom;
      }),
    ).toThrow(boom);
    await expect(
      obs.trace('async', { attributes: { k: 'v' } }, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    for (const span of memory.spans()) {
      expect(span.status.code).toBe(2);
      expect(span.events[0]?.name).toBe('exception');
      expect(span.events[0]?.attributes?.['exception.message']).toBe('boom');
    }
    expect(memory.spans().map((s) => s.name)).toEqual(['sync', 'async']);
    expect(memory.spans()[1]?.attributes.k).toBe('v');
  });

  it('records a thrown value that is no Error of this realm by its type, message and stack, its message as the status', () => {
    const { obs, memory } = startCaptured();
    // A vm sandbox's SyntaxError, and a client's rejection with the JSON error body it was answered.
    const foreign = vm.runInNewContext(
      '(() => { try { JSON.parse("{"); } catch (e) { return e; } })()',
    ) as Error;
    const plain = { code: 'E_QUOTA', message: 'quota exceeded' };
    for (const thrown of [foreign, plain]) {
      expect(() =>
        obs.trace('render', () => {
          throw thrown;
        }),
      ).toThrow();
    }
    expect(
      memory.spans().map((s) => {
        const exception = s.events[0]?.attributes ?? {};
        const stack = exception['exception.stacktrace'] as string | undefined;
        return [s.status, exception['exception.type'], exception['exception.message'], stack?.split('\n')[0]];
      }),
    ).toEqual([
      [
        { code: 2, message: foreign.message },
        'SyntaxError',
        foreign.message,
        `SyntaxError: ${foreign.message}`,
      ],
      [{ code: 2, message: 'quota exceeded' }, 'E_QUOTA', 'quota exceeded', undefined],
    ]);
  });

  it('records an error whose code is an object by its name, not as [object Object] or not at all', () => {
    const { obs, memory } = startCaptured();
    // A client that keeps the answer's error object as the code; one parsed into a prototype-less object.
    const answered = Object.assign(new RangeError('quota spent'), { code: { reason: 'quota' } });
    const parsed = Object.assign(new TypeError('refused'), { code: Object.create(null) });
    for (const thrown of [answered, parsed]) {
      expect(() =>
        obs.trace('call', () => {
          throw thrown;
        }),
      ).toThrow(thrown);
    }
    expect(
      memory.spans().map((s) => {
        const exception = s.events[0]?.attributes ?? {};
        return [exception['exception.type'], exception['exception.message']];
      }),
    ).toEqual([
      ['RangeError', 'quota spent'],
      ['TypeError', 'refused'],
    ]);
  });
  it("records an error whose code is an object by its name when given to a span's recordException", () => {
    const { obs, memory } = startCaptured();
    const answered = Object.assign(new RangeError('quota spent'), { code: { reason: 'quota' } });
    const parsed = Object.assign(new TypeError('refused'), { code: Object.create(null) });
    obs.trace('call', (span) => {
      span.recordException(answered as never);
      span.recordException(parsed as never);
      span.recordException(new DOMException('This operation was aborted', 'AbortError'));
    });
    const [span] = memory.spans();
    expect(
      span?.events.map((e) => [e.attributes?.['exception.type'], e.attributes?.['exception.message']]),
    ).toEqual([
      ['RangeError', 'quota spent'],
      ['TypeError', 'refused'],
      ['AbortError', 'This operation was aborted'],
    ]);
    expect(obs.drops()).toEqual({});
  });
  it('fails the span of a thrown value that cannot be made a string or read, and rethrows it', async () => {
    const { obs, memory } = startCaptured();
    const bare = Object.create(null);
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const unreadable = Object.defineProperty(new Error('hidden'), 'message', {
      get() {
        throw new Error('message getter');
      },
    });
    for (const thrown of [bare, revoked, unreadable]) {
      let caught: unknown;
      try {
        obs.trace('sync', () => {
          throw thrown;
        });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBe(thrown);
      await expect(
        obs.trace('async', async () => {
          throw thrown;
        }),
      ).rejects.toBe(thrown);
    }
    expect(memory.spans().map((s) => [s.name, s.status.code])).toEqual(
      Array(3)
        .fill([
          ['sync', 2],
          ['async', 2],
        ])
        .flat(),
    );
  });

  it('returns a promise of what a thenable settles to (a query builder), before init(), during and after shutdown()', async () => {
    // A knex-like query: a thenable with methods of its own, run when its then is called.
    const query = () => ({
      where: () => query(),
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about.
      then: (resolve: (rows: string[]) => unknown) => Promise.resolve(['row']).then(resolve),
    });
    const before = trace('before', query);
    const { obs, memory } = startCaptured();
    const during = obs.trace('during', query);
    await obs.shutdown();
    const after = obs.trace('after', query);
    for (const result of [before, during, after]) {
      expect(result).toBeInstanceOf(Promise);
      await expect(result).resolves.toEqual(['row']);
    }
    expect(memory.spans().map((s) => s.name)).toEqual(['during']);
  });

  it('settles with a thenable whose then returns nothing, as await does, its failure rejecting what obs.trace returned', async () => {
    // A hand-made lazy thenable: its then starts the work and calls back later, returning nothing.
    const lazy = (outcome: () => unknown) => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about.
      then(resolve: (value: unknown) => void, reject: (error: unknown) => void) {
        setTimeout(() => {
          try {
            resolve(outcome());
          } catch (error) {
            reject(error);
          }
        }, 1);
      },
    });
    const boom = new Error('boom');
    const fail = () => {
      throw boom;
    };
    const outcomes = [
      { status: 'fulfilled', value: 'row' },
      { status: 'rejected', reason: boom },
    ];
    const before = Promise.allSettled([trace('a', () => lazy(() => 'row')), trace('b', () => lazy(fail))]);
    const { obs, memory } = startCaptured();
    const during = await Promise.allSettled([
      obs.trace('ok', () => lazy(() => 'row')),
      obs.trace('failed', () => lazy(fail)),
    ]);
    await obs.shutdown();
    const after = Promise.allSettled([
      obs.trace('a', () => lazy(() => 'row')),
      obs.trace('b', () => lazy(fail)),
    ]);
    for (const settled of [await before, during, await after]) expect(settled).toEqual(outcomes);
    expect(memory.spans().map((s) => [s.name, s.status.code])).toEqual([
      ['ok', 0],
      ['failed', 2],
    ]);
  });

  it('cuts attribute strings over maxAttributeLength on spans, events and links, and counts each cut', () => {
    const { obs, memory } = startCaptured({ maxAttributeLength: 16 });
    const exact = 'e'.repeat(16);
    obs.trace('op', (span) => {
      span.setAttribute('note', 'x'.repeat(100));
      span.setAttribute('exact', exact);
      span.setAttribute('tags', ['short', 'y'.repeat(17)]);
      span.addEvent('step', { detail: 'z'.repeat(40) });
      span.addLink({ context: span.spanContext(), attributes: { why: 'w'.repeat(20) } });
    });
    const [span] = memory.spans();
    expect(span?.attributes).toMatchObject({ note: 'x'.repeat(16), exact, tags: ['short', 'y'.repeat(16)] });
    expect(span?.events[0]?.attributes?.detail).toBe('z'.repeat(16));
    expect(span?.links[0]?.attributes?.why).toBe('w'.repeat(16));
    expect(obs.drops().truncated_attribute).toBe(4);
  });

  it.each([
    ['always_off', []],
    ['traceidratio', []],
    ['parentbased_always_off', ['handler']],
  ])('with OTEL_TRACES_SAMPLER=%s, a caller that sampled its trace gets %j exported', (sampler, exported) => {
    vi.stubEnv('OTEL_TRACES_SAMPLER', sampler);
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0');
    try {
      const { obs, memory } = startCaptured();
      const caller = propagation.extract(ROOT_CONTEXT, {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      });
      context.with(caller, () => obs.trace('handler', () => {}));
      expect(memory.spans().map((s) => s.name)).toEqual(exported);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('exposes the active span and the OpenTelemetry tracer', () => {
    const { obs } = startCaptured();
    expect(obs.activeSpan()).toBeUndefined();
    obs.trace('x', (span) => {
      expect(obs.activeSpan()).toBe(span);
      expect(otelTrace.getSpan(context.active())).toBe(span);
    });
    const span = obs.tracer.startSpan('manual');
    expect(span.isRecording()).toBe(true);
    span.end();
  });

  it('counts a call with no function, and an onAnomaly listener that is none, as invalid_function', async () => {
    // Prepare: calls plain JavaScript (or a cast) lets through, that run nothing and subscribe nothing.
    const { obs, memory } = startCaptured();
    const untyped = obs as unknown as {
      trace(name: string, ...rest: unknown[]): unknown;
      onAnomaly(listener: unknown): () => void;
    };
    // Act
    expect(untyped.trace('no-fn')).toBeUndefined();
    expect(untyped.trace('a-string', 'not a function')).toBeUndefined();
    expect(untyped.trace('options-only', { attributes: { a: 1 } })).toBeUndefined();
    expect(() => untyped.onAnomaly('x')()).not.toThrow();
    await obs.forceFlush();
    // Assert: nothing was made or subscribed, and each call is counted, not lost in silence.
    expect(memory.spans()).toEqual([]);
    expect(obs.drops()).toEqual({ invalid_function: 4 });
  });
});

describe('module-level proxies', () => {
  it('are no-ops before init() and forward to the instance after it', async () => {
    // Prepare: created at module load, before init().
    const orders = metrics.counter('proxy.orders');
    const timer = metrics.histogram('proxy.duration', { unit: 'ms' });
    const gaugeValues: number[] = [];
    metrics.observableGauge('proxy.queue', {}, (r) => {
      gaugeValues.push(1);
      r.observe(7);
    });
    orders.add(5);
    log.info('lost before init');
    expect(trace('before', () => 'ran')).toBe('ran');

    // Act
    const { obs, memory, logs } = startCaptured();
    orders.add(2, { region: 'eu' });
    timer.record(12);
    log.child({ mod: 'lib' }).info('after init');
    // pino's method for its silent level, which frameworks' logger types ask for, writes nothing.
    log.silent('silent level');
    log.child({ mod: 'lib' }).silent('silent level');
    trace('after', () => {});
    await obs.forceFlush();

    // Assess
    const points = memory.metrics();
    expect(points.find((p) => p.name === 'proxy.orders')).toMatchObject({
      value: 2,
      attributes: { region: 'eu' },
    });
    expect(points.find((p) => p.name === 'proxy.duration')?.value).toMatchObject({ count: 1, sum: 12 });
    expect(points.find((p) => p.name === 'proxy.queue')?.value).toBe(7);
    expect(logs().map((l) => l.msg)).toEqual(['after init']);
    expect(logs()[0]?.mod).toBe('lib');
    expect(memory.spans().map((s) => s.name)).toEqual(['after']);
  });

  it('go quiet at shutdown and follow the next instance', async () => {
    // Prepare
    const orders = metrics.counter('proxy.follow');
    const timer = metrics.histogram('proxy.follow.ms', { unit: 'ms' });
    const lib = log.child({ mod: 'lib' });
    const first = startCaptured();
    orders.add(1);
    await first.obs.shutdown();

    // Act
    orders.add(100);
    timer.startTimer()();
    lib.info('between instances');
    const second = startCaptured({ service: 'second' });
    orders.add(3);
    lib.info('second instance');
    await second.obs.forceFlush();

    // Assess
    expect(first.memory.metrics().find((p) => p.name === 'proxy.follow')?.value).toBe(1);
    expect(second.memory.metrics().find((p) => p.name === 'proxy.follow')?.value).toBe(3);
    expect(second.memory.metrics().some((p) => p.name === 'proxy.follow.ms')).toBe(false);
    expect(first.logs().map((l) => l.msg)).toEqual([]);
    expect(second.logs().map((l) => [l.msg, l.mod])).toEqual([['second instance', 'lib']]);
  });

  it('have children made while an instance runs write to it, go quiet at shutdown and follow the next', async () => {
    // Prepare: request loggers, as Fastify makes them with `loggerInstance: log`, one of them kept.
    const first = startCaptured();
    const kept = log.child({ reqId: 'r-1' });
    kept.info('first request');
    log.child({ reqId: 'r-2' }).child({ step: 1 }).info('first step');
    await first.obs.shutdown();

    // Act
    kept.info('between instances');
    const second = startCaptured({ service: 'second' });
    kept.info('second instance');

    // Assess
    expect(first.logs().map((l) => [l.msg, l.reqId, l.step])).toEqual([
      ['first request', 'r-1', undefined],
      ['first step', 'r-2', 1],
    ]);
    expect(second.logs().map((l) => [l.msg, l.reqId])).toEqual([['second instance', 'r-1']]);
  });

  it('have children given nothing of their own take no place among the proxies told of each instance', () => {
    // Prepare: the set init() and shutdown() walk, shared by every copy of the package.
    const shared = (globalThis as Record<symbol, { proxies?: Set<unknown> }>)[Symbol.for('sightline.api.v1')];
    startCaptured();
    const size = shared?.proxies?.size;

    // Act: a request logger per request, as Fastify makes them with `loggerInstance: log`.
    for (let i = 0; i < 100; i++) log.child({ reqId: i }).info('request');

    // Assess: each held a weak reference and a finalizer, whose collection cost each request
    // several times what the logger itself did.
    expect(shared?.proxies?.size).toBe(size);
  });

  it('forward a level method taken from them, bound or passed as a callback, whenever it is called', async () => {
    // Prepare: methods taken at load, before init(), as a client's logging options take them.
    const lib = log.child({ mod: 'lib' });
    const boundAtLoad = log.warn.bind(log);
    const childAtLoad = lib.info.bind(lib);
    const first = startCaptured();
    const onError = log.error;
    boundAtLoad('first instance');
    childAtLoad('first child');
    onError('first callback');
    await first.obs.shutdown();

    // Act: called between instances, as a late event after a graceful shutdown, and after the next init().
    const between = () => [boundAtLoad('between'), childAtLoad('between'), onError('between')];
    expect(between).not.toThrow();
    const second = startCaptured({ service: 'second' });
    boundAtLoad('second instance');
    onError('second callback');

    // Assess
    expect(first.logs().map((l) => [l.msg, l.mod])).toEqual([
      ['first instance', undefined],
      ['first child', 'lib'],
      ['first callback', undefined],
    ]);
    expect(second.logs().map((l) => l.msg)).toEqual(['second instance', 'second callback']);
  });

  it("take the next instance's logLevel, not a level set on them while the last one ran", async () => {
    // Prepare: levels raised at run time on the first instance.
    const lib = log.child({ mod: 'lib' });
    const first = startCaptured({ logLevel: 'info' });
    log.level = 'debug';
    lib.level = 'trace';
    await first.obs.shutdown();
    const quiet = log.child({ mod: 'quiet' });
    quiet.level = 'error';

    // Act
    const second = startCaptured({ logLevel: 'warn' });
    log.info('root info');
    lib.debug('lib debug');
    log.warn('root warn');
    lib.warn('lib warn');
    quiet.warn('quiet warn');

    // Assess: a level set between instances still holds from the next init() on.
    expect([log.level, lib.level, second.obs.log.level, quiet.level]).toEqual([
      'warn',
      'warn',
      'warn',
      'error',
    ]);
    expect(second.logs().map((l) => l.msg)).toEqual(['root warn', 'lib warn']);
  });
  it("offer pino's flush, isLevelEnabled, level, setBindings, bindings and child options, before init() and after", async () => {
    // Prepare: what a library using pino's API does at load, before init().
    const calledBack = await new Promise((resolve) => log.flush(() => resolve('called back')));
    expect(calledBack).toBe('called back');
    expect(log.isLevelEnabled('error')).toBe(false);
    expect(log.level).toBe('silent');
    const verbose = log.child({ mod: 'db' }, { level: 'debug' });
    verbose.setBindings({ pool: 'main' });
    expect(verbose.bindings()).toEqual({ mod: 'db', pool: 'main' });

    // Act
    const { obs, logs } = startCaptured();
    verbose.debug('query ran');
    log.child({ mod: 'http' }).debug('hidden at info');
    const flushed = await new Promise((resolve) => log.flush((error) => resolve(error ?? 'flushed')));

    // Assess
    expect(flushed).toBe('flushed');
    expect(log.level).toBe('info');
    expect([
      log.isLevelEnabled('info'),
      log.isLevelEnabled('debug'),
      verbose.isLevelEnabled('debug'),
    ]).toEqual([true, false, true]);
    expect(verbose.bindings()).toMatchObject({ mod: 'db', pool: 'main' });
    expect(logs().map((l) => [l.msg, l.mod, l.pool])).toEqual([['query ran', 'db', 'main']]);
    verbose.level = 'warn';
    expect([verbose.level, verbose.isLevelEnabled('info'), obs.log.level]).toEqual(['warn', false, 'info']);
  });

  it('never throw where the instance does not: unreadable timer attributes, bindings pino refuses', async () => {
    // Prepare: a timer and children made before init(), with attributes and bindings that throw.
    const exploding = () =>
      Object.defineProperty({ plan: 'pro' }, 'explodes', {
        enumerable: true,
        get() {
          throw new Error('getter that throws');
        },
      });
    const timer = metrics.histogram('proxy.hostile.ms', { unit: 'ms' });
    const early = timer.startTimer({ route: '/a' });
    const nullChild = log.child(null as never);
    const hostileChild = log.child(exploding());
    expect(() => early(exploding())).not.toThrow();

    // Act
    const { obs, memory, logs } = startCaptured();
    const late = timer.startTimer({ route: '/a' });
    expect(() => late(exploding())).not.toThrow();
    expect(() => nullChild.info('null bindings')).not.toThrow();
    expect(() => hostileChild.info('throwing bindings')).not.toThrow();
    expect(() => obs.log.child(exploding()).info('instance child')).not.toThrow();
    await obs.forceFlush();

    // Assess: a refused child writes through its parent; the drops are counted.
    expect(logs().map((l) => l.msg)).toEqual(['null bindings', 'throwing bindings', 'instance child']);
    expect(obs.drops().log_error).toBe(3);
    const point = memory.metrics().find((p) => p.name === 'proxy.hostile.ms');
    expect(point).toMatchObject({ value: { count: 1 }, attributes: { plan: 'pro' } });
    expect(obs.drops().invalid_attribute).toBe(1);
  });
});

describe('memoryExporter()', () => {
  it('reset() empties every signal', async () => {
    const memory = memoryExporter();
    const obs = init({ exporters: [memory], logStream: { write() {} } });
    obs.trace('a', () => obs.log.info('x'));
    obs.metrics.counter('c').add(1);
    await obs.forceFlush();
    expect(memory.spans()).toHaveLength(1);
    memory.reset();
    expect([memory.spans(), memory.logs(), memory.metrics(), memory.events()]).toEqual([[], [], [], []]);
  });

  it('keeps every log line while a logStream that writes nothing stands in for stdout', async () => {
    const memory = memoryExporter();
    const obs = init({ exporters: [memory], logStream: { write() {} } });
    obs.log.info('first');
    obs.log.child({ order: 7 }).warn('second');
    await obs.forceFlush();
    expect(memory.logs().map((l) => [l.msg, l.level, l.order])).toEqual([
      ['first', 'info', undefined],
      ['second', 'warn', 7],
    ]);
  });

  it('leaves metric values cumulative since init() after reset(), as README says', async () => {
    const memory = memoryExporter();
    const obs = init({ exporters: [memory], logStream: { write() {} } });
    const orders = obs.metrics.counter('orders');
    orders.add(2);
    await obs.forceFlush();
    memory.reset();
    orders.add(1);
    await obs.forceFlush();
    expect(memory.metrics().find((p) => p.name === 'orders')?.value).toBe(3);
  });
});

describe('anomaly events in a test', () => {
  it('come from fake timers installed before init(), one collection cycle per interval advanced', async () => {
    // Prepare: the clock a test holds from the start, as README's testing section shows.
    vi.useFakeTimers();
    try {
      const memory = memoryExporter();
      const obs = init({ exporters: [memory], anomaly: { warmup: 10 }, logStream: { write() {} } });
      const heard: string[] = [];
      obs.onAnomaly((a) => heard.push(a.kind));
      const orders = obs.metrics.counter('orders', { detect: true });

      // Act: a dozen minutes of steady orders, then two with none.
      for (const count of [98, 102, 100, 97, 103, 101, 99, 100, 104, 96, 100, 102]) {
        orders.add(count);
        await vi.advanceTimersByTimeAsync(60_000);
      }
      await vi.advanceTimersByTimeAsync(2 * 60_000);

      // Assess
      expect(heard).toEqual(['level_shift']);
      expect(memory.events()).toMatchObject([{ metric: 'orders', kind: 'level_shift', observed: 0 }]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('reserved log keys', () => {
  it('moves a user field named like the level or time key out of their way', () => {
    const { obs, logs } = startCaptured();
    obs.log.warn({ level: 'user-level', time: 'yesterday', status: 404 }, 'collides');
    const [line] = logs();
    expect(line?.level).toBe('warn');
    expect(typeof line?.time).toBe('number');
    expect(line).toMatchObject({ 'log.level': 'user-level', 'log.time': 'yesterday', status: 404 });
  });

  it("moves a child's bindings named like the level or time key out of their way too", () => {
    const { obs, lines } = startCaptured();
    obs.log.child({ level: 'user-level', time: 'yesterday' }).warn('bound');
    // Parsed as the log shippers parse it: the last of two equal keys wins.
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.level).toBe('warn');
    expect(typeof line.time).toBe('number');
    expect(line).toMatchObject({ 'log.level': 'user-level', 'log.time': 'yesterday' });
  });

  it('moves a field named like one on every line (the service name) out of its way, in a line or bindings', () => {
    const { obs, lines } = startCaptured();
    obs.log.info({ 'service.name': 'billing', 'service.version': '9.9.9', orderId: 'o-1' }, 'upstream');
    obs.log.child({ 'deployment.environment.name': 'staging' }).info('bound');
    // Parsed as the log shippers parse it: the last of two equal keys wins.
    const [line, bound] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({
      'service.name': 'test-svc',
      'service.version': '1.2.3',
      'log.service.name': 'billing',
      'log.service.version': '9.9.9',
      orderId: 'o-1',
    });
    expect(bound).toMatchObject({
      'deployment.environment.name': 'test',
      'log.deployment.environment.name': 'staging',
    });
    for (const l of lines) expect((l.match(/"service\.name"/g) ?? []).length).toBe(1);
  });

  it("keeps a span's trace_id on a line inside it that logs a trace_id of its own, there and in a request's logger", () => {
    const { obs, lines } = startCaptured();
    let traceId = '';
    obs.trace('job', (span) => {
      traceId = span.spanContext().traceId;
      obs.log.info({ trace_id: 'upstream-7', orderId: 'o-1' }, 'in span');
      // The logger handlers get as req.log: the request's correlation fields bound once.
      correlatedChild(obs.log, context.active(), {}).info({ trace_id: 'upstream-8', span_id: 'x' }, 'bound');
    });
    // Parsed as the log shippers parse it: the last of two equal keys wins.
    const [line, bound] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-7', orderId: 'o-1' });
    expect(bound).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-8', 'log.span_id': 'x' });
    expect(bound?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("keeps a request's trace_id on the lines of a child of its logger bound to a trace_id of its own", () => {
    const { obs, lines } = startCaptured();
    let traceId = '';
    obs.trace('request', (span) => {
      traceId = span.spanContext().traceId;
      const reqLog = correlatedChild(obs.log, context.active(), {});
      reqLog.child({ trace_id: 'upstream-9', orderId: 'o-1' }).info('child');
      const rebound = reqLog.child({ orderId: 'o-2' });
      rebound.setBindings({ trace_id: 'upstream-10' });
      rebound.info('set bindings');
    });
    // Parsed as the log shippers parse it: the last of two equal keys wins.
    const [child, rebound] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(child).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-9', orderId: 'o-1' });
    expect(rebound).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-10', orderId: 'o-2' });
    for (const l of lines) expect(l.match(/"trace_id"/g)).toHaveLength(1);
  });

  it("keeps the span's trace_id on the lines of a child of obs.log bound to a trace_id of its own", () => {
    const { obs, lines } = startCaptured();
    // A job's logger, bound once to the id its message came with, used inside and outside spans.
    const jobLog = obs.log.child({ trace_id: 'upstream-11', jobId: 'j-1' });
    const stepLog = jobLog.child({ span_id: 'upstream-span', step: 2 });
    let traceId = '';
    obs.trace('job', (span) => {
      traceId = span.spanContext().traceId;
      jobLog.info('in span');
      stepLog.info('step in span');
      stepLog.info({ trace_id: 'line-1' }, 'own field');
    });
    jobLog.info('outside');
    stepLog.info('step outside');
    // Parsed as the log shippers parse it: the last of two equal keys wins.
    const [inSpan, step, own, outside, stepOutside] = lines.map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(inSpan).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-11', jobId: 'j-1' });
    expect(step).toMatchObject({
      trace_id: traceId,
      'log.trace_id': 'upstream-11',
      'log.span_id': 'upstream-span',
      jobId: 'j-1',
      step: 2,
    });
    expect(step?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(own).toMatchObject({ trace_id: traceId, 'log.trace_id': 'line-1' });
    // Outside any span the bound fields are the line's own, as a job's id logged there is.
    expect(outside).toMatchObject({ trace_id: 'upstream-11', jobId: 'j-1' });
    expect(stepOutside).toMatchObject({ trace_id: 'upstream-11', span_id: 'upstream-span', step: 2 });
    for (const l of lines) {
      expect(l.match(/"trace_id"/g)).toHaveLength(1);
      expect((l.match(/"span_id"/g) ?? []).length).toBeLessThanOrEqual(1);
    }
  });

  it("keeps the span's trace_id on the lines of a child of obs.log given a trace_id by setBindings", () => {
    const { obs, lines } = startCaptured();
    const jobLog = obs.log.child({ jobId: 'j-2' });
    // The id the job's message came with, known once the message is read.
    jobLog.setBindings({ trace_id: 'upstream-12' });
    let traceId = '';
    obs.trace('job', (span) => {
      traceId = span.spanContext().traceId;
      jobLog.info('in span');
    });
    jobLog.info('outside');
    // Parsed as the log shippers parse it: the last of two equal keys wins.
    const [inSpan, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inSpan).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-12', jobId: 'j-2' });
    expect(outside).toMatchObject({ trace_id: 'upstream-12', jobId: 'j-2' });
    for (const l of lines) expect(l.match(/"trace_id"/g)).toHaveLength(1);
  });

  it('leaves the children a logger had before setBindings() gave it a trace_id without it, as pino does', () => {
    const { obs, lines } = startCaptured();
    const jobLog = obs.log.child({ jobId: 'j-3' });
    const stepLog = jobLog.child({ step: 1 });
    const boundLog = obs.log.child({ trace_id: 'upstream-13' });
    const boundStep = boundLog.child({ step: 2 });
    // pino gives a logger's later bindings to it and to the children made after, not before.
    jobLog.setBindings({ trace_id: 'upstream-14' });
    boundLog.setBindings({ trace_id: 'upstream-15' });
    const laterStep = jobLog.child({ step: 3 });
    let traceId = '';
    obs.trace('job', (span) => {
      traceId = span.spanContext().traceId;
      stepLog.info('in span');
      boundStep.info('in span');
      laterStep.info('in span');
    });
    stepLog.info('outside');
    boundStep.info('outside');
    laterStep.info('outside');
    const [step, bound, later, stepOut, boundOut, laterOut] = lines.map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(step).toMatchObject({ trace_id: traceId, jobId: 'j-3', step: 1 });
    expect(step).not.toHaveProperty('log.trace_id');
    expect(bound).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-13', step: 2 });
    expect(later).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-14', step: 3 });
    expect(stepOut).not.toHaveProperty('trace_id');
    expect(boundOut).toMatchObject({ trace_id: 'upstream-13', step: 2 });
    expect(laterOut).toMatchObject({ trace_id: 'upstream-14', step: 3 });
    for (const l of lines) expect((l.match(/"trace_id"/g) ?? []).length).toBeLessThanOrEqual(1);
  });

  it("keeps a bound trace_id on the lines of a request's logger made of that logger, and of its children", () => {
    const { obs, lines } = startCaptured();
    // Fastify's request.log with requestIdLogLabel: 'trace_id', the logger a request's is made of.
    const frameworkLog = obs.log.child({ trace_id: 'req-1' });
    let traceId = '';
    obs.trace('request', (span) => {
      traceId = span.spanContext().traceId;
      const reqLog = correlatedChild(frameworkLog, context.active(), {});
      reqLog.info('request');
      reqLog.child({ orderId: 'o-4' }).info('request child');
    });
    const [request, child] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(request).toMatchObject({ trace_id: traceId, 'log.trace_id': 'req-1' });
    expect(child).toMatchObject({ trace_id: traceId, 'log.trace_id': 'req-1', orderId: 'o-4' });
    for (const l of lines) expect(l.match(/"trace_id"/g)).toHaveLength(1);
  });
  it("keeps the span's trace_id on obs.log's lines and its requests' once setBindings() gave it a trace_id", () => {
    const { obs, lines } = startCaptured();
    const before = obs.log.child({ step: 1 });
    // A one-off job's process, the whole of it run for the id its message came with.
    obs.log.setBindings({ trace_id: 'upstream-16' });
    let traceId = '';
    obs.trace('job', (span) => {
      traceId = span.spanContext().traceId;
      obs.log.info('in span');
      const reqLog = correlatedChild(obs.log, context.active(), {});
      reqLog.info('request');
      reqLog.child({ orderId: 'o-3' }).info('request child');
      obs.log.child({ step: 2 }).info('child');
      before.info('made before');
    });
    obs.log.info('outside');
    const [line, request, requestChild, child, made, outside] = lines.map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    for (const inSpan of [line, request, requestChild, child])
      expect(inSpan).toMatchObject({ trace_id: traceId, 'log.trace_id': 'upstream-16' });
    expect(requestChild).toMatchObject({ orderId: 'o-3' });
    expect(made).toMatchObject({ trace_id: traceId, step: 1 });
    expect(made).not.toHaveProperty('log.trace_id');
    expect(outside).toMatchObject({ trace_id: 'upstream-16' });
    for (const l of lines) expect(l.match(/"trace_id"/g)).toHaveLength(1);
  });

  it('redacts a path under a correlation field where a span moves that field to log.<name>', () => {
    const { obs, logs } = startCaptured({ redact: ['trace_id.session', 'span_id[0]', "['trace_flags'].k"] });
    const jobLog = obs.log.child({ trace_id: { session: 's-1', id: 'u-1' } });
    obs.trace('job', () => {
      jobLog.info('bound');
      obs.log.info({ trace_id: { session: 's-2' }, span_id: ['s-3'], trace_flags: { k: 's-4' } }, 'line');
    });
    jobLog.info('outside');
    const [bound, line, outside] = logs();
    expect(bound?.['log.trace_id']).toEqual({ session: '[Redacted]', id: 'u-1' });
    expect(line).toMatchObject({
      'log.trace_id': { session: '[Redacted]' },
      'log.span_id': ['[Redacted]'],
      'log.trace_flags': { k: '[Redacted]' },
    });
    expect(outside?.trace_id).toEqual({ session: '[Redacted]', id: 'u-1' });
  });
  it("keeps the request's trace_id on its logger's lines outside its context once setBindings() gave obs.log a trace_id", () => {
    const { obs, lines } = startCaptured();
    obs.log.setBindings({ trace_id: 'upstream-17' });
    let reqLog: typeof obs.log | undefined;
    let ids: Record<string, string> = {};
    obs.trace('request', (span) => {
      ids = traceFields(span.spanContext());
      reqLog = correlatedChild(obs.log, context.active(), ids);
    });
    // A close listener or a pool's callback, run outside the request's context.
    reqLog?.info('after');
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      trace_id: ids.trace_id,
      span_id: ids.span_id,
      'log.trace_id': 'upstream-17',
    });
    expect(lines[0]!.match(/"trace_id"/g)).toHaveLength(1);
  });
  it("writes no trace_id bound by setBindings() after a child was made on that child's children nor once it is given bindings", () => {
    const { obs, lines } = startCaptured();
    const jobLog = obs.log.child({ job: 'j-1' });
    const stepLog = jobLog.child({ step: 1 });
    jobLog.setBindings({ trace_id: 'upstream-18' });
    // As pino gives stepLog none of jobLog's later bindings, it gives them to none of its children.
    stepLog.child({ attempt: 2 }).info('grandchild');
    stepLog.setBindings({ phase: 'load' });
    stepLog.info('given bindings');
    const [grandchild, given] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(grandchild).toMatchObject({ job: 'j-1', step: 1, attempt: 2 });
    expect(given).toMatchObject({ job: 'j-1', step: 1, phase: 'load' });
    for (const line of [grandchild, given]) expect(line).not.toHaveProperty('trace_id');
  });
});
