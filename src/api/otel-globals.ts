import {
  type ContextManager,
  context,
  metrics,
  ProxyTracerProvider,
  propagation,
  type TextMapPropagator,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { PropagatorName } from '../config/otel-propagators.js';
import type { DropCounter } from '../internal/drops.js';
import { useAttaching } from '../integrations/shared/entered-context.js';
import { W3CBaggageReader, W3CTraceContextWriter } from '../traces/w3c-propagators.js';

/**
 * The OpenTelemetry globals an instance registered. The API keeps a global another SDK set first
 * (auto-instrumentation loaded with --require, say); shutdown must then leave that SDK's in place.
 */
export interface OtelGlobals {
  metrics: boolean;
  trace: boolean;
  context: boolean;
  propagation: boolean;
}

export function noGlobals(): OtelGlobals {
  return { metrics: false, trace: false, context: false, propagation: false };
}

/** The globals as init() found them, read before the adapters set up. */
export interface GlobalsBefore extends Pick<OtelGlobals, 'context' | 'propagation'> {
  /** The tracer provider another SDK registered, if one did. */
  tracerProvider: TracerProvider | undefined;
}

/**
 * Whether the context manager and propagator globals are free, each taken for a moment and given
 * back, and the tracer provider another SDK registered. Read before adapters set up: a vendor's
 * tracer (dd-trace) registers its own into the free ones, and only those are sightline's to undo
 * at shutdown; it also takes over a provider already registered, which must then be given back.
 */
export function globalsBefore(): GlobalsBefore {
  const free = {
    context: context.setGlobalContextManager(new AsyncLocalStorageContextManager()),
    propagation: propagation.setGlobalPropagator(new W3CTraceContextPropagator()),
  };
  if (free.context) context.disable();
  if (free.propagation) propagation.disable();
  return { ...free, tracerProvider: registeredProvider() };
}

/**
 * The tracer provider registered, if one is. Read without registering: a provider set for a moment
 * would leave the tracers libraries took from the API at load time on a proxy the API no longer uses.
 */
function registeredProvider(): TracerProvider | undefined {
  const delegate = globalProxy().getDelegate();
  return delegate !== new ProxyTracerProvider().getDelegate() ? delegate : undefined;
}

/**
 * Notes in `globals` those a vendor's tracer took as its adapter set up, where they were free
 * `before` (dd-trace registers its provider, context manager and propagator as it starts), and gives
 * back a provider it took over: an init() that fails after, its own not registered yet, undoes them.
 */
export function claimVendorGlobals(globals: OtelGlobals, before: GlobalsBefore): void {
  if (before.tracerProvider !== undefined) restoreTracerProvider(before.tracerProvider);
  else globals.trace = registeredProvider() !== undefined;
  globals.context = before.context;
  globals.propagation = before.propagation;
}

/** Points the global API back at another SDK's provider that a vendor's tracer took over. */
export function restoreTracerProvider(provider: TracerProvider): void {
  globalProxy().setDelegate(provider);
}

/** The proxy the API hands out tracers from; a registered provider is its delegate. */
function globalProxy(): ProxyTracerProvider {
  return trace.getTracerProvider() as ProxyTracerProvider;
}

const PROPAGATORS: Record<PropagatorName, (drops: Pick<DropCounter, 'add'>) => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextWriter(),
  baggage: (drops) => new W3CBaggageReader(drops),
};

/**
 * The propagators OTEL_PROPAGATORS names, W3C trace-context and baggage by default, as one, counting
 * in `drops` what they leave out.
 */
export function namedPropagator(
  propagators: readonly PropagatorName[],
  drops: Pick<DropCounter, 'add'>,
): TextMapPropagator {
  return new CompositePropagator({ propagators: propagators.map((name) => PROPAGATORS[name](drops)) });
}

/**
 * What `NodeTracerProvider.register()` does (the provider, the context manager, the propagator),
 * noting which of them the API took.
 */
export function registerTracing(
  globals: OtelGlobals,
  provider: TracerProvider,
  manager: ContextManager,
  propagator: TextMapPropagator,
): void {
  globals.trace = trace.setGlobalTracerProvider(provider);
  globals.context = context.setGlobalContextManager(manager.enable());
  if (globals.context) useAttaching(manager);
  globals.propagation = propagation.setGlobalPropagator(propagator);
}

/** Leaves the globals as before `init()`, so a later `init()` can register again. */
export function unregisterGlobals(globals: OtelGlobals): void {
  if (globals.metrics) metrics.disable();
  if (globals.trace) trace.disable();
  if (globals.context) {
    context.disable();
    useAttaching(undefined);
  }
  if (globals.propagation) propagation.disable();
  Object.assign(globals, noGlobals());
}
