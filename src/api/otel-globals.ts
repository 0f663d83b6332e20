import {
  type ContextManager,
  context,
  metrics,
  propagation,
  type TextMapPropagator,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { PropagatorName } from '../config/otel-propagators.js';

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

/**
 * Whether the context manager and propagator globals are free, each taken for a moment and given
 * back. Read before adapters set up: a vendor's tracer (dd-trace) registers its own into the free
 * ones, and only those are sightline's to undo at shutdown.
 */
export function freeContextGlobals(): Pick<OtelGlobals, 'context' | 'propagation'> {
  const free = {
    context: context.setGlobalContextManager(new AsyncLocalStorageContextManager()),
    propagation: propagation.setGlobalPropagator(new W3CTraceContextPropagator()),
  };
  if (free.context) context.disable();
  if (free.propagation) propagation.disable();
  return free;
}

const PROPAGATORS: Record<PropagatorName, () => TextMapPropagator> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
};

/**
 * What `NodeTracerProvider.register()` does (the provider, the context manager, the propagators
 * OTEL_PROPAGATORS names, W3C trace-context and baggage by default), noting which of them the API took.
 */
export function registerTracing(
  globals: OtelGlobals,
  provider: TracerProvider,
  manager: ContextManager,
  propagators: readonly PropagatorName[],
): void {
  globals.trace = trace.setGlobalTracerProvider(provider);
  globals.context = context.setGlobalContextManager(manager.enable());
  globals.propagation = propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: propagators.map((name) => PROPAGATORS[name]()) }),
  );
}

/** Leaves the globals as before `init()`, so a later `init()` can register again. */
export function unregisterGlobals(globals: OtelGlobals): void {
  if (globals.metrics) metrics.disable();
  if (globals.trace) trace.disable();
  if (globals.context) context.disable();
  if (globals.propagation) propagation.disable();
  Object.assign(globals, noGlobals());
}
