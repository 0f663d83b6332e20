import { type Context, context, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Sightline } from '../../api/types.js';
import { type FixedLineWriter, fixedLineWriter, LINE_SHAPE, type LineShape } from '../../logs/fixed-line.js';
import { boundCorrelationMixin } from '../../logs/logger.js';
import { loggerBehind, pinoSymbolsOf } from '../../logs/pino-symbols.js';

/** The smallest logger shape the wrappers need: pino's, or any logger with `child`. */
export interface ChildableLogger {
  child(bindings: Record<string, unknown>): unknown;
}

/**
 * A child logger whose every line names the request's span, wherever it is called from (a
 * `close` listener, a timer scheduled before the request ended).
 *
 * The correlation fields are the parent's own mixin output computed once in the request's
 * context, so they follow the selected backends' field names (`trace_id`, `dd.trace_id`, ...).
 * The child's mixin then adds nothing, otherwise each line inside the context would carry the
 * fields twice (bindings and mixin are written separately by pino), and moves a line's own field
 * of one of those names out of their way.
 */
export function correlatedChild<L extends ChildableLogger>(
  given: L,
  ctx: Context,
  fallback: Record<string, string>,
): L {
  // The module-level `log` (Fastify's loggerInstance) has no mixin of its own to drop.
  const logger = loggerBehind(given);
  const { mixinSym } = pinoSymbolsOf(logger);
  const mixin = (logger as unknown as Record<symbol, unknown>)[mixinSym];
  let fields: Record<string, unknown> = fallback;
  if (typeof mixin === 'function') {
    try {
      // sightline's own mixin reads the span of the active context: given the context, its fields
      // are read without entering it, which cost a context switch per request.
      const shape = (logger as unknown as Record<symbol, LineShape | undefined>)[LINE_SHAPE];
      let computed: Record<string, unknown> | undefined;
      if (shape?.mixin === mixin) {
        const span = trace.getSpan(ctx);
        computed = span === undefined ? undefined : shape.correlation(span.spanContext());
      } else
        computed = context.with(ctx, () => mixin.call(logger, {}, 30, logger)) as Record<string, unknown>;
      if (computed && typeof computed === 'object' && Object.keys(computed).length > 0)
        fields = { ...computed };
    } catch {
      // The parent's mixin failed: the plain OpenTelemetry fields still correlate.
    }
  }
  const child = logger.child(fields) as L;
  if (typeof mixin === 'function') {
    (child as unknown as Record<symbol, unknown>)[mixinSym] = boundCorrelationMixin(fields, child);
  }
  return child;
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
