import { type Context, trace } from '@opentelemetry/api';
import type { ChildLoggerOptions, Logger } from 'pino';
import { CORRELATION_BINDINGS } from '../../logs/child-guard.js';
import type { Sightline } from '../../api/types.js';
import { type FixedLineWriter, fixedLineWriter, LINE_SHAPE, type LineShape } from '../../logs/fixed-line.js';
import { boundCorrelationMixin, correlationBoundTo } from '../../logs/logger.js';
import { loggerBehind, pinoSymbolsOf } from '../../logs/pino-symbols.js';

/** The smallest logger shape the wrappers need: pino's, or any logger with `child`. */
export interface ChildableLogger {
  child(bindings: Record<string, unknown>): unknown;
}

/**
 * A child logger whose every line names the request's span, wherever it is called from (a
 * `close` listener, a timer scheduled before the request ended).
 *
 * Under sightline's logger the correlation fields are its mixin's answer for the request's span,
 * so they follow the selected backends' field names (`trace_id`, `dd.trace_id`, ...), bound to the
 * child. The child's mixin then adds nothing, otherwise each line inside the context would carry
 * the fields twice (bindings and mixin are written separately by pino), and moves a line's own
 * field of one of those names out of their way. Under an app's own pino with a mixin, the child's
 * mixin adds them: see {@link withRequestFields}.
 */
export function correlatedChild<L extends ChildableLogger>(
  given: L,
  ctx: Context,
  fallback: Record<string, string>,
): L {
  // The module-level `log` (Fastify's loggerInstance) has no mixin of its own to drop.
  const logger = loggerBehind(given);
  const { mixinSym } = pinoSymbolsOf(logger);
  const holder = logger as unknown as Record<symbol, unknown>;
  const mixin = holder[mixinSym];
  if (typeof mixin !== 'function') return logger.child(fallback) as L;
  const shape = holder[LINE_SHAPE] as LineShape | undefined;
  const bound = correlationBoundTo(mixin);
  if (shape === undefined || (shape.mixin !== mixin && bound === undefined)) {
    const child = logger.child({}) as L;
    (child as unknown as Record<symbol, unknown>)[mixinSym] = withRequestFields(mixin as AppMixin, fallback);
    return child;
  }
  // sightline's own mixin reads the span of the active context: given the context, its fields are
  // read without entering it, which cost a context switch per request.
  const span = trace.getSpan(ctx);
  const computed = span === undefined ? undefined : shape.correlation(span.spanContext());
  const fields = computed !== undefined && Object.keys(computed).length > 0 ? { ...computed } : fallback;
  // Bound as the request's own, not moved apart as a child's bound to an upstream `trace_id` are.
  // A logger bound to an upstream `trace_id` (setBindings) writes it as `log.trace_id` beside the
  // request's, which its mixin cannot do outside the request's context; one made before that holds
  // it by inheritance only, and pino gives it none of its parent's later bindings.
  const upstream = bound !== undefined && Object.hasOwn(holder, mixinSym) ? bound : undefined;
  const bindings = upstream === undefined ? fields : { ...fields };
  if (upstream !== undefined) for (const name in upstream) bindings[`log.${name}`] = upstream[name];
  const child = (logger as unknown as Logger).child(bindings, REQUEST_CHILD) as unknown as L;
  (child as unknown as Record<symbol, unknown>)[mixinSym] = boundCorrelationMixin(fields, child);
  return child;
}

const REQUEST_CHILD = Object.freeze({ [CORRELATION_BINDINGS]: true }) as ChildLoggerOptions;

/** A mixin as pino calls it. */
type AppMixin = (line: object, level: number, logger: unknown) => object;

/**
 * The mixin of a request's logger under an app's own pino (Fastify's loggerInstance): the app's
 * mixin, run on every line as pino runs it, its answer over the request's trace fields, as
 * OpenTelemetry's pino instrumentation adds its own; the app's mixinMergeStrategy then merges
 * them into the line. Its answer may change from line to line (a tenant the handler sets), so it
 * cannot be taken once for the request; and the trace fields are not bound, which would write
 * them twice in a line where it answers them too (OpenTelemetry's own mixin does). A field it
 * answers as undefined or null leaves the request's in place.
 */
function withRequestFields(mixin: AppMixin, fields: Readonly<Record<string, string>>): AppMixin {
  const names = Object.keys(fields);
  return (line, level, logger) => {
    const merged: Record<string, unknown> = Object.assign({ ...fields }, mixin(line, level, logger));
    // A mixin reading the active span answers no ids outside the request's context (a callback of a
    // pool shared by all requests): pino writes no field for undefined, and the line lost its ids.
    for (const name of names) if (merged[name] == null) merged[name] = fields[name];
    return merged;
  };
}

/** Type guard for pino-like loggers. */
export function isLogger(value: unknown): value is Logger {
  return typeof value === 'object' && value !== null && typeof (value as Logger).child === 'function';
}

/** The access-log line's fields, in the order they are written. */
export const ACCESS_LOG_KEYS = ['method', 'route', 'path', 'status', 'duration_ms', 'error_type'] as const;

// One writer per instance, made at its first request; null when its lines must go through pino.
const accessLines = new WeakMap<Sightline, FixedLineWriter | null>();

/** The instance's writer for access-log lines, or undefined when pino writes them. */
export function accessLineWriter(obs: Sightline): FixedLineWriter | undefined {
  let writer = accessLines.get(obs);
  if (writer === undefined) {
    writer = fixedLineWriter(obs.log, ACCESS_LOG_KEYS) ?? null;
    accessLines.set(obs, writer);
  }
  return writer ?? undefined;
}
