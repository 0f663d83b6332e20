import { propagation, type TextMapPropagator } from '@opentelemetry/api';
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
 * Whether W3C receivers read the traceparent (its values as one) rather than ignore it and start a
 * trace of their own: not one in upper-case hex, of version ff, of version 00 with more fields, with
 * an all-zero id, nor two joined.
 */
export function isReadableTraceparent(value: string): boolean {
  return parseTraceParent(value.trim()) !== null;
}
