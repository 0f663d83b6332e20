import { propagation, type SpanContext, type TextMapPropagator } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import type { Sightline } from '../../api/types.js';

/** Where an instance keeps the propagator of its own spans; shared by every copy of the package. */
export const PROPAGATOR = Symbol.for('sightline.propagator');

/**
 * The propagator that reads and writes the trace headers of an instance's spans: its own even
 * when another SDK holds the global one (Sentry's reads and writes only its own headers, never
 * `traceparent`); the global one for an object that has none.
 */
export function propagatorOf(obs: Sightline): TextMapPropagator {
  return (obs as { [PROPAGATOR]?: TextMapPropagator })[PROPAGATOR] ?? propagation;
}

/**
 * The traceparent (its values as one) as W3C receivers read it, or null where they ignore it and
 * start a trace of their own: one in upper-case hex, of version ff, of version 00 with more fields,
 * with an all-zero id, or two joined.
 */
export function readTraceparent(value: string): SpanContext | null {
  return parseTraceParent(value.trim());
}

/** Whether W3C receivers read the traceparent (see {@link readTraceparent}). */
export function isReadableTraceparent(value: string): boolean {
  return readTraceparent(value) !== null;
}
