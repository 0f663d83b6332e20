import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// The BUILT declarations (`npm test` builds first), compiled as a project with the strictest
// settings compiles them: without skipLibCheck, the errors in a package's .d.ts are its users' errors.
const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | Record<string, { types: string }>>;
};
const declarations = Object.values(pkg.exports).flatMap((target) =>
  typeof target === 'string' ? [] : Object.values(target).map((condition) => join(root, condition.types)),
);

const strictest: ts.CompilerOptions = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noPropertyAccessFromIndexSignature: true,
  skipLibCheck: false,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};

/**
 * Compiles `source`, importing the package by name from a file in `dir`, under the strictest
 * options; returns its errors and those of the package's declarations.
 */
function compileUsage(source: string, options = strictest, dir = join(root, 'test/package')): string[] {
  const file = join(dir, 'usage.ts');
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.fileExists = (name) => name === file || fileExists(name);
  host.getSourceFile = (name, version, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, version)
      : getSourceFile.call(host, name, version, ...rest);
  const program = ts.createProgram([file], options, host);
  const checked = program
    .getSourceFiles()
    .filter(({ fileName }) => fileName === file || fileName.startsWith(join(root, 'dist')));
  return [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...checked.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ].map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

describe('the type declarations', () => {
  it('compile without errors under the strictest options', () => {
    const program = ts.createProgram(declarations, strictest);
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.startsWith(join(root, 'dist')))
      .map(
        (d) =>
          `${d.file?.fileName.slice(root.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      );
    expect(errors).toEqual([]);
  });

  it('take an option set to undefined, as process.env gives it, under exactOptionalPropertyTypes', () => {
    // The README's Datadog example passes `version: process.env.GIT_SHA`; init() reads undefined as unset.
    const errors = compileUsage(`import { init } from 'sightline';
init({ service: 'checkout', version: process.env['GIT_SHA'] });
init({ service: process.env['SERVICE'], environment: process.env['APP_ENV'], logLevel: undefined });
init({ profiles: { production: { sampling: undefined } }, anomaly: { sensitivity: undefined } });
`);
    expect(errors).toEqual([]);
  });

  it("take undefined in the adapters', wrappers', detector's and memory exporter's options too, where it means unset", () => {
    const errors = compileUsage(`import { createDetector } from 'sightline/anomaly';
import { cloudwatch } from 'sightline/cloudwatch';
import { datadog } from 'sightline/datadog';
import { elastic } from 'sightline/elastic';
import { expressMiddleware } from 'sightline/express';
import { newrelic } from 'sightline/newrelic';
import { otlp } from 'sightline/otlp';
import { getSightline } from 'sightline';
import { memoryExporter } from 'sightline/testing';
const env = process.env;
datadog({ apiKey: env['DD_API_KEY'], site: env['DD_SITE'], endpoints: { metrics: env['DD_URL'] } });
newrelic({ licenseKey: env['NR_KEY'], endpoints: { logs: env['NR_LOGS'] }, limits: { maxItems: undefined } });
elastic({ node: env['ES_URL'], traces: { url: env['APM_URL'] }, channel: { queueSize: undefined } });
cloudwatch({ region: env['REGION'], endpoints: { traces: env['ADOT_URL'] }, write: undefined });
otlp({ url: env['OTLP_URL'], endpoints: { traces: env['OTLP_TRACES'] }, timeoutMs: undefined });
expressMiddleware({ sightline: getSightline(), accessLog: { sampleRate: undefined } });
createDetector({ sensitivity: undefined, warmup: undefined });
memoryExporter({ limit: env['MEMORY_LIMIT'] === undefined ? undefined : Number(env['MEMORY_LIMIT']) });
`);
    expect(errors).toEqual([]);
  });

  it("take undefined in an instrument's and shutdown()'s options, where it means unset", () => {
    const errors = compileUsage(`import { init } from 'sightline';
const env = process.env;
const obs = init({ service: 'checkout' });
obs.metrics.counter('orders.placed', { unit: env['ORDERS_UNIT'], description: undefined, detect: undefined });
obs.metrics.histogram('checkout.duration', { unit: 'ms', buckets: undefined });
void obs.shutdown({ timeoutMs: env['SHUTDOWN_MS'] === undefined ? undefined : Number(env['SHUTDOWN_MS']) });
`);
    expect(errors).toEqual([]);
  });

  it("take obs.trace()'s options as undefined, as a wrapper with optional options passes them on", () => {
    const errors = compileUsage(`import { init, trace, type TraceOptions } from 'sightline';
const obs = init({ service: 'checkout' });
export function traced<T>(name: string, fn: () => T, options?: TraceOptions) {
  return [obs.trace(name, options, fn), trace(name, options, fn)];
}
`);
    expect(errors).toEqual([]);
  });

  it('take read-only lists, as a constant declared `as const` or the package’s own DEFAULT_REDACT_KEYS is', () => {
    const errors = compileUsage(`import { DEFAULT_REDACT_KEYS, init } from 'sightline';
import { expressMiddleware } from 'sightline/express';
import { sightlineFastify } from 'sightline/fastify';
import { otlp } from 'sightline/otlp';
const PUBLIC_PATHS = ['/health', /^\\/ready/] as const;
const LATENCY_MS = [5, 10, 25, 50, 100, 250] as const;
const EXPORTERS = [otlp()] as const;
const obs = init({
  redact: DEFAULT_REDACT_KEYS,
  exporters: EXPORTERS,
  profiles: { production: { redact: ['cardNumber'] as const, exporters: EXPORTERS } },
});
init({ exporters: { production: EXPORTERS } });
obs.metrics.histogram('checkout.duration', { unit: 'ms', buckets: LATENCY_MS });
expressMiddleware({ ignore: PUBLIC_PATHS });
export const options: Parameters<typeof sightlineFastify>[1] = { ignore: PUBLIC_PATHS };
`);
    expect(errors).toEqual([]);
  });

  it('give an adapter the context a backend needs, without the plumbing of sightline’s own adapters', () => {
    const errors = compileUsage(`import type { SightlineAdapter } from 'sightline';
export const adapter: SightlineAdapter = {
  name: 'mine',
  setup(ctx) {
    ctx.registerStats('mine', () => ({}));
    ctx.countDrop('truncated_attribute', 1);
    ctx.fitSpanText('exception.message', 'boom');
    ctx.writeStdout('line\\n');
    return {};
  },
};
`);
    expect(errors).toEqual([
      expect.stringContaining("Property 'fitSpanText' does not exist on type 'AdapterContext'"),
      expect.stringContaining("Property 'writeStdout' does not exist on type 'AdapterContext'"),
    ]);
  });

  it("give cloudwatch()'s entry without the X-Ray id helpers its adapter uses inside", () => {
    const errors = compileUsage(`import { toXRayTraceId, XRayIdGenerator } from 'sightline/cloudwatch';
export const ids = [toXRayTraceId('5759e988bd862e3fe1be46a994272793'), new XRayIdGenerator()];
`);
    expect(errors).toEqual([
      expect.stringContaining("has no exported member 'toXRayTraceId'"),
      expect.stringContaining("has no exported member 'XRayIdGenerator'"),
    ]);
  });

  it("let an adapter count only what it leaves out of a backend's limits, and no origin of a client of sightline's own", () => {
    const errors = compileUsage(`import type { AdapterParts, SightlineAdapter } from 'sightline';
export const adapter: SightlineAdapter = {
  name: 'mine',
  setup(ctx) {
    ctx.countDrop('attribute_count_limit', 1);
    ctx.countDrop('invalid_attribute', 1);
    ctx.countDrop('log_stdout_full', 1);
    const parts: AdapterParts = { logFormat: {}, untracedOrigins: ['http://localhost:8126'] };
    return parts;
  },
};
`);
    expect(errors).toEqual([
      expect.stringContaining(`Argument of type '"log_stdout_full"' is not assignable`),
      expect.stringContaining("'untracedOrigins' does not exist in type 'AdapterParts'"),
    ]);
  });

  it("give an adapter's channel option its tuning, without the clock, random source and diagnostics tests and sightline give it", () => {
    const errors = compileUsage(`import { otlp } from 'sightline/otlp';
export const tuned = otlp({ channel: { queueSize: 100, gzip: false, retry: { maxElapsedMs: 1000 } } });
export const hooked = otlp({ channel: { random: () => 0 } });
export const clocked = otlp({ channel: { now: () => 0 } });
export const told = otlp({ channel: { diag: undefined } });
`);
    expect(errors).toEqual([
      expect.stringContaining("'random' does not exist in type 'ChannelOptions'"),
      expect.stringContaining("'now' does not exist in type 'ChannelOptions'"),
      expect.stringContaining("'diag' does not exist in type 'ChannelOptions'"),
    ]);
  });

  it("give the names the README documents for users: the default redact keys, the Datadog sites, and each adapter's env", () => {
    const errors = compileUsage(`import { DEFAULT_REDACT_KEYS } from 'sightline';
import { cloudwatch } from 'sightline/cloudwatch';
import { DATADOG_SITES, datadog } from 'sightline/datadog';
import { elastic } from 'sightline/elastic';
import { newrelic } from 'sightline/newrelic';
import { otlp } from 'sightline/otlp';
const env: Readonly<Record<string, string | undefined>> = {};
export const keys: readonly string[] = DEFAULT_REDACT_KEYS;
export const known = (site: string) => (DATADOG_SITES as readonly string[]).includes(site);
export const adapters = [otlp({ env }), datadog({ processEnv: env }), newrelic({ env }), cloudwatch({ env }), elastic({ env })];
`);
    expect(errors).toEqual([]);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const name of ['DEFAULT_REDACT_KEYS', 'DATADOG_SITES', '`processEnv`', '`env` option'])
      expect(readme).toContain(name);
  });

  it('give the detector as createDetector() returns it, without the class the detection engine reads inside', () => {
    const errors = compileUsage(`import { createDetector, StreamingDetector } from 'sightline/anomaly';
export const detectors = [createDetector(), new StreamingDetector()];
`);
    expect(errors).toEqual([expect.stringContaining("has no exported member 'StreamingDetector'")]);
  });
});

describe('the type declarations under the old module resolution (node10)', () => {
  // A CommonJS service's tsconfig often names no moduleResolution, which means node10, or "node":
  // TypeScript reads no exports map there, only `types` and `typesVersions`. The project installs
  // the package and its own dependencies, as npm would lay them out.
  const project = mkdtempSync(join(tmpdir(), 'sightline-node10-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(root, join(project, 'node_modules', pkg.name), 'dir');
  for (const dependency of ['@types', 'express', 'fastify']) {
    symlinkSync(join(root, 'node_modules', dependency), join(project, 'node_modules', dependency), 'dir');
  }

  // pino's declarations default-import a CommonJS module, which needs esModuleInterop.
  const { moduleResolution: _, ...common } = { ...strictest, esModuleInterop: true };
  const setups: [string, ts.CompilerOptions][] = [
    ['"module": "commonjs"', { ...common, module: ts.ModuleKind.CommonJS }],
    [
      '"moduleResolution": "node"',
      { ...common, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 },
    ],
    [
      '"module": "esnext", "moduleResolution": "node"',
      { ...common, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Node10 },
    ],
  ];

  it.each(setups)('%s: every entry resolves to the declarations `require` gets', (_, options) => {
    const requireTypes = Object.entries(pkg.exports).flatMap(([subpath, target]): [string, string][] =>
      typeof target === 'string' || target['require'] === undefined
        ? []
        : [[pkg.name + subpath.slice(1), join(root, target['require'].types)]],
    );
    const host = ts.createCompilerHost(options);
    const resolved = requireTypes.map(([specifier]) => [
      specifier,
      ts.resolveModuleName(specifier, join(project, 'usage.ts'), options, host).resolvedModule
        ?.resolvedFileName,
    ]);
    expect(resolved).toEqual(requireTypes);
  });

  it.each(setups)('%s: a service using every entry compiles', (_, options) => {
    const errors = compileUsage(
      `import express from 'express';
import Fastify from 'fastify';
import { init, SightlineConfigError } from 'sightline';
import { createDetector } from 'sightline/anomaly';
import { cloudwatch } from 'sightline/cloudwatch';
import { datadog } from 'sightline/datadog';
import { elastic } from 'sightline/elastic';
import { expressErrorHandler, expressMiddleware } from 'sightline/express';
import { sightlineFastify } from 'sightline/fastify';
import { newrelic } from 'sightline/newrelic';
import { otlp } from 'sightline/otlp';
import { memoryExporter } from 'sightline/testing';
const env = process.env;
const memory = memoryExporter();
const obs = init({ service: 'checkout', exporters: [memory] });
obs.metrics.counter('orders').add(1, { region: 'eu' });
const exporters = [
  datadog({ apiKey: env['DD_API_KEY'] }),
  newrelic({ licenseKey: env['NR_KEY'] }),
  elastic({ node: env['ES_URL'] }),
  cloudwatch({ region: env['REGION'] }),
  otlp({ url: env['OTLP_URL'] }),
];
const app = express();
app.use(expressMiddleware({ ignore: ['/health'] }));
app.use(expressErrorHandler());
async function start(): Promise<void> {
  const server = Fastify({ loggerInstance: obs.log });
  await server.register(sightlineFastify, { ignore: ['/health'] });
}
const detector = createDetector({ sensitivity: undefined });
const isConfigError = (error: unknown): boolean => error instanceof SightlineConfigError;
export { detector, exporters, isConfigError, memory, start };
`,
      options,
      project,
    );
    expect(errors).toEqual([]);
  });
});
