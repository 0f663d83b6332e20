// Not `import { createRequire }`: webpack turns calls of that binding into its own require, which
// cannot load dd-trace from `node_modules`, so a webpack bundle would never find it.
import * as nodeModule from 'node:module';
import type { TextMapPropagator, TracerProvider } from '@opentelemetry/api';
import { ErrorCodes, SightlineConfigError } from '../../src/diag/errors.js';
import { peerLocation } from '../../src/internal/peer-location.js';
import type { ServiceTags } from './tags.js';

/** The parts of dd-trace's OpenTelemetry tracer provider sightline uses. */
export interface DdTraceProvider extends TracerProvider {
  register(config?: { propagator?: TextMapPropagator }): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The parts of a dd-trace span context sightline reads. */
export interface DdSpanContext {
  toTraceId(get128bitId?: boolean): string;
  toSpanId(get128bitId?: boolean): string;
  readonly _sampling?: { readonly priority?: number };
  /** What the spans of one trace share in a process: the extracted context's and its children's. */
  readonly _trace?: object;
}

/** The parts of the dd-trace tracer sightline uses. */
export interface DdTraceTracer {
  init(options: Record<string, unknown>): DdTraceTracer;
  /** Writes the context's headers in the styles DD_TRACE_PROPAGATION_STYLE names. */
  inject(context: DdSpanContext, format: 'http_headers', carrier: Record<string, unknown>): void;
  extract(format: 'http_headers', carrier: Record<string, unknown>): DdSpanContext | null;
  /** The baggage of the current context, where `extract` puts a request's (dd-trace 5.112 and 6). */
  getAllBaggageItems?(): Record<string, string>;
  readonly TracerProvider: new (config?: Record<string, unknown>) => DdTraceProvider;
  /**
   * dd-trace's own tracer: its Agent exporter, whose `flush` calls back once the Agent answered,
   * and its configuration, with the styles its `inject` writes.
   */
  readonly _tracer?: {
    readonly _exporter?: { flush?(done: () => void): void };
    readonly _config?: {
      readonly tracePropagationStyle?: { readonly inject?: unknown };
      readonly service?: unknown;
      readonly env?: unknown;
      readonly version?: unknown;
    };
  };
}

/**
 * The service, env and version dd-trace's tracer sends its spans under, each where it has one,
 * else `identity`'s: those sightline gave it, unless `ddTrace` or the host's configuration set
 * others, and where no version was given, the version of the app's package.json, dd-trace's default.
 */
export function tracerIdentity(tracer: DdTraceTracer, identity: ServiceTags): ServiceTags {
  const config = tracer._tracer?._config;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    service: text(config?.service) ?? identity.service,
    env: text(config?.env) ?? identity.env,
    version: text(config?.version) ?? identity.version,
  };
}

/**
 * Sends the spans dd-trace holds and resolves once the Agent has answered. Its provider's
 * `forceFlush` only starts the request, so a process exiting right after `shutdown()` lost them.
 * Never rejects; the caller's deadline bounds the wait.
 */
export function flushDdTrace(tracer: DdTraceTracer, provider: DdTraceProvider): Promise<void> {
  const exporter = tracer._tracer?._exporter;
  const flush = exporter?.flush;
  if (typeof flush !== 'function') return provider.forceFlush().catch(() => undefined);
  return new Promise((resolve) => {
    try {
      flush.call(exporter, () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * Where to resolve dd-trace from: this module's own location, so the user's installation next to
 * sightline is found. The ESM build has `import.meta.url`; the CommonJS build has `__filename`
 * (where `import.meta` is empty). `import.meta` is asked first: a webpack bundle of the ESM build
 * takes `typeof __filename` for a string, where reading it throws.
 */
function here(): string {
  const url = (import.meta as { url?: string } | undefined)?.url;
  if (url) return url;
  return typeof __filename === 'string' ? __filename : `${process.cwd()}/index.js`;
}

/**
 * Loads dd-trace, an optional peer dependency, only when `traces: 'dd-trace'` asks for it, so
 * its global side effects (module hooks, its own context storage) never happen otherwise.
 *
 * @param from Resolve from this file or URL instead of sightline's location.
 * @throws SightlineConfigError `SL_ERR_CONFIG_MISSING_DEPENDENCY` when dd-trace is not installed.
 * @example
 * const tracer = loadDdTrace();
 * tracer.init({ service: 'checkout', plugins: false });
 */
export function loadDdTrace(from: string = here()): DdTraceTracer {
  let mod: unknown;
  try {
    mod = nodeModule.createRequire(peerLocation(from))('dd-trace');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_MISSING_DEPENDENCY,
      'traces',
      missing
        ? "datadog(): traces: 'dd-trace' needs the dd-trace package; install it (npm install dd-trace) " +
            "or use traces: 'otlp'"
        : `datadog(): dd-trace failed to load (${error instanceof Error ? error.name : 'error'}); ` +
            "reinstall it or use traces: 'otlp'",
    );
  }
  const tracer = ((mod as { default?: unknown }).default ?? mod) as Partial<DdTraceTracer>;
  if (typeof tracer.init !== 'function' || typeof tracer.TracerProvider !== 'function') {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_MISSING_DEPENDENCY,
      'traces',
      "datadog(): the installed dd-trace has no OpenTelemetry TracerProvider; install dd-trace 6.1 or later (or 5.112 or later) or use traces: 'otlp'",
    );
  }
  return tracer as DdTraceTracer;
}

/**
 * The host's Datadog configuration (`application_monitoring.yaml`, local and fleet-managed), by
 * variable name: dd-trace reads it at init() and ranks it with its variables, the fleet's over them
 * and the local one under them, but takes the options it is given in code over all three.
 */
export interface DdHostConfig {
  readonly local: Readonly<Record<string, string>>;
  readonly fleet: Readonly<Record<string, string>>;
}

/**
 * Reads the host's configuration through dd-trace's own reader, which keeps what it read for its
 * init() to reuse. Empty where the installed dd-trace has no such reader or it fails: the options
 * sightline gives then stand as before.
 */
export function loadDdHostConfig(from: string = here()): DdHostConfig {
  try {
    const helper = nodeModule.createRequire(peerLocation(from))(
      'dd-trace/packages/dd-trace/src/config/helper',
    ) as { getStableConfigSources?: () => { localStableConfig?: unknown; fleetStableConfig?: unknown } };
    const sources = helper.getStableConfigSources?.();
    return { local: entries(sources?.localStableConfig), fleet: entries(sources?.fleetStableConfig) };
  } catch {
    return { local: {}, fleet: {} };
  }
}

function entries(value: unknown): Readonly<Record<string, string>> {
  return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {};
}
