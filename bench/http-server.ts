/**
 * One benchmark server, run as a child of bench/http.ts so its CPU time is its own:
 * `node --import tsx bench/http-server.ts <express|fastify> <bare|spin-10us|sightline|sightline-logs|sightline-10pct|otel|ddtrace> <sinkUrl>`.
 * Tells the parent its port over IPC, and answers `cpu` messages with process.cpuUsage() and, for
 * sightline, the number of telemetry items it has dropped.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Sightline } from '../src/index.js';

const [framework, variant, sink] = process.argv.slice(2) as [string, string, string];
const rootRequire = createRequire(import.meta.url);
// sightline itself comes from this checkout, or from the one `--baseline` names (bench/http.ts).
const sightlineRoot = process.env.BENCH_SIGHTLINE_ROOT;
const fromSightline = (path: string): string =>
  sightlineRoot
    ? pathToFileURL(resolve(sightlineRoot, path)).href
    : new URL(`../${path}`, import.meta.url).href;
// `--dist` (bench/http.ts): the built package, as users run it, rather than the sources.
const fromBuild = process.env.BENCH_SIGHTLINE_DIST === '1';
const entry = (source: string, built: string): string => fromSightline(fromBuild ? built : source);
const peersRequire = createRequire(new URL('./peers/package.json', import.meta.url));

let sightline: Sightline | undefined;

/** Items sightline has dropped so far, every adapter, signal and reason; undefined for the other variants. */
function droppedSoFar(): number | undefined {
  if (sightline === undefined) return undefined;
  let total = 0;
  for (const signals of Object.values(sightline.stats()))
    for (const stats of Object.values(signals))
      for (const n of Object.values(stats?.dropped ?? {})) total += n ?? 0;
  return total;
}

// Each variant sets up before the framework is loaded, as its documentation says, so the
// auto-instrumentations can hook `require`. Frameworks are loaded with require for that reason.
async function setUp(): Promise<{ express?: unknown; fastifyPlugin?: unknown }> {
  if (variant.startsWith('sightline')) {
    const { init } = await import(entry('src/index.js', 'dist/index.js'));
    const { otlp } = await import(entry('adapters/otlp/index.js', 'dist/otlp.js'));
    // As the comparison is defined: traces and RED metrics to the collector, the access-log line to
    // a discarding destination. `sightline-logs` also ships every log line over OTLP, which the
    // peers do not do. `sightline-10pct` keeps one trace in ten (head sampling, as many production
    // services run): every request still gets its span context, metrics and log line.
    const signals = variant === 'sightline-logs' ? undefined : (['traces', 'metrics'] as const);
    sightline = init({
      service: 'bench',
      exporters: [otlp({ url: sink, ...(signals ? { signals } : {}) })],
      logStream: { write: () => {} },
      outbound: false,
      handleSignals: false,
      ...(variant === 'sightline-10pct' ? { sampling: 0.1 } : {}),
    });
    if (framework === 'express') {
      const { expressMiddleware } = await import(
        entry('src/integrations/express/index.js', 'dist/express.js')
      );
      return { express: expressMiddleware() };
    }
    const { sightlineFastify } = await import(entry('src/integrations/fastify/index.js', 'dist/fastify.js'));
    return { fastifyPlugin: sightlineFastify };
  }
  if (variant === 'otel') {
    // The OpenTelemetry 3.x line: one sdk-trace package; the Node pieces are registered by hand.
    const { TracerProvider, BatchSpanProcessor } = peersRequire('@opentelemetry/sdk-trace');
    const { AsyncLocalStorageContextManager } = peersRequire('@opentelemetry/context-async-hooks');
    const { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator } =
      peersRequire('@opentelemetry/core');
    const { OTLPTraceExporter } = peersRequire('@opentelemetry/exporter-trace-otlp-http');
    const { OTLPMetricExporter } = peersRequire('@opentelemetry/exporter-metrics-otlp-http');
    const { MeterProvider, PeriodicExportingMetricReader } = peersRequire('@opentelemetry/sdk-metrics');
    const { registerInstrumentations } = peersRequire('@opentelemetry/instrumentation');
    const { HttpInstrumentation } = peersRequire('@opentelemetry/instrumentation-http');
    const api = peersRequire('@opentelemetry/api');
    const provider = new TracerProvider({
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${sink}/v1/traces` }) }),
      ],
    });
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    api.trace.setGlobalTracerProvider(provider);
    const meterProvider = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${sink}/v1/metrics` }),
          exportIntervalMillis: 10_000,
        }),
      ],
    });
    api.metrics.setGlobalMeterProvider(meterProvider);
    const instrumentations: unknown[] = [new HttpInstrumentation()];
    if (framework === 'express') {
      const { ExpressInstrumentation } = peersRequire('@opentelemetry/instrumentation-express');
      instrumentations.push(new ExpressInstrumentation());
    } else {
      const { FastifyOtelInstrumentation } = peersRequire('@fastify/otel');
      const fastifyOtel = new FastifyOtelInstrumentation({ registerOnInitialization: true });
      instrumentations.push(fastifyOtel);
    }
    registerInstrumentations({ instrumentations, tracerProvider: provider, meterProvider });
    return {};
  }
  if (variant === 'spin-10us') return spinEachRequest(10);
  if (variant === 'ddtrace') {
    const tracer = rootRequire('dd-trace');
    tracer.init({ url: sink, startupLogs: false, runtimeMetrics: false, plugins: true });
    return {};
  }
  return {};
}

/**
 * The calibration variant: the bare framework plus `us` microseconds of CPU per request in a
 * middleware or hook, with no memory or I/O. Its ratio says what a known, fixed cost reads as on
 * the machine the bench runs on.
 */
function spinEachRequest(us: number): { express?: unknown; fastifyPlugin?: unknown } {
  const spin = (): void => {
    const end = performance.now() + us / 1000;
    while (performance.now() < end) {}
  };
  if (framework === 'express') {
    return {
      express: (_req: unknown, _res: unknown, next: () => void) => {
        spin();
        next();
      },
    };
  }
  const plugin = (
    fastify: { addHook(name: string, hook: (req: unknown, reply: unknown, next: () => void) => void): void },
    _options: unknown,
    done: () => void,
  ) => {
    fastify.addHook('onRequest', (_req, _reply, next) => {
      spin();
      next();
    });
    done();
  };
  return { fastifyPlugin: Object.assign(plugin, { [Symbol.for('skip-override')]: true }) };
}

const extras = await setUp();
const handler = { id: 0 };

let address: AddressInfo;
if (framework === 'express') {
  const express = rootRequire('express');
  const app = express();
  if (extras.express) app.use(extras.express);
  const users = express.Router();
  users.get('/:id', (req: { params: { id: string } }, res: { json(v: unknown): void }) => {
    handler.id++;
    res.json({ id: req.params.id, name: 'Ada' });
  });
  app.use('/users', users);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  address = server.address() as AddressInfo;
} else {
  const Fastify = rootRequire('fastify');
  const app = Fastify();
  if (extras.fastifyPlugin) await app.register(extras.fastifyPlugin);
  app.get('/users/:id', async (req: { params: { id: string } }) => {
    handler.id++;
    return { id: req.params.id, name: 'Ada' };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  address = app.server.address() as AddressInfo;
}

process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage(), dropped: droppedSoFar() });
  if (message === 'exit') process.exit(0);
});
process.send?.({ port: address.port });
