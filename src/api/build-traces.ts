import { type ContextManager, type TextMapPropagator, type TracerProvider, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import type { ResolvedConfig } from '../config/types.js';
import type { AdapterParts } from '../export/types.js';
import type { DropCounter } from '../internal/drops.js';
import { RandomFlagTracerProvider } from '../traces/random-flag.js';
import { ExportingSpanProcessor, SanitizingSpanProcessor } from '../traces/span-processors.js';
import {
  type GlobalsBefore,
  namedPropagator,
  type OtelGlobals,
  registerTracing,
  restoreTracerProvider,
} from './otel-globals.js';

type FlushableProvider = TracerProvider & { forceFlush?(): Promise<void>; shutdown?(): Promise<void> };

/**
 * Registers the tracer provider: an adapter's own (dd-trace) when one offers it, else the
 * OpenTelemetry Node provider with AsyncLocalStorage context and the propagators configured.
 * The propagator returned is the one for sightline's spans, registered or not.
 */
export function buildTracerProvider(
  config: ResolvedConfig,
  resource: Resource,
  parts: readonly AdapterParts[],
  drops: DropCounter,
  globals: OtelGlobals,
  /** The globals as they were before the adapters set up. */
  before: GlobalsBefore,
  /** The redaction list's matcher, the one the adapters' context holds too. */
  isSensitive: (key: string) => boolean,
): { provider: FlushableProvider; contextManager: ContextManager; propagator: TextMapPropagator } {
  const vendorPart = parts.find((p) => p.tracerProvider);
  const vendor = vendorPart?.tracerProvider as FlushableProvider | undefined;
  const propagator = vendorPart?.propagator ?? namedPropagator(config.propagators, drops);
  const idPart = parts.find((p) => p.idGenerator);
  const idGenerator = idPart?.idGenerator;
  const processors: SpanProcessor[] = [
    new SanitizingSpanProcessor(isSensitive, config.maxAttributeLength, drops),
  ];
  for (const p of parts) if (p.spanExporter) processors.push(new ExportingSpanProcessor(p.spanExporter));

  // The ratio sampler hashes every trace id; at 1 (the default) there is nothing to decide.
  const root = config.sampling >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(config.sampling);
  const provider = new RandomFlagTracerProvider({
    resource,
    sampler: config.samplingParentBased ? new ParentBasedSampler({ root }) : root,
    // One character over the limit, so the processor can tell a cut value and count it.
    spanLimits: { attributeValueLengthLimit: config.maxAttributeLength + 1 },
    spanProcessors: processors,
    ...(idGenerator ? { idGenerator } : {}),
    randomTraceIds: idGenerator === undefined || idPart?.randomTraceIds === true,
    drops,
  });
  // Context manager and propagators are needed in either case; dd-trace's provider then replaces ours.
  const contextManager = new AsyncLocalStorageContextManager();
  registerTracing(globals, provider, contextManager, propagator);
  if (vendor) {
    // Only where the global was free: another SDK's provider, registered before init(), keeps the
    // global API, as its instrumentations send their spans through it, and sightline's spans use
    // the vendor's directly.
    if (before.tracerProvider === undefined) {
      trace.disable();
      trace.setGlobalTracerProvider(vendor);
      globals.trace = true;
    } else restoreTracerProvider(before.tracerProvider);
    // The adapter registered the vendor's context manager and propagator itself, where they were
    // free: ours to undo. Another SDK's, registered before init(), stay at shutdown.
    Object.assign(globals, { context: before.context, propagation: before.propagation });
    return { provider: vendor, contextManager, propagator };
  }
  return { provider, contextManager, propagator };
}
