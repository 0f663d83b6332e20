import { type Context, type Span, SpanStatusCode, type Tracer, context, trace } from '@opentelemetry/api';
import type { TraceOptions } from '../api/types.js';

function recordError(span: Span, error: unknown): void {
  try {
    if (error instanceof Error) span.recordException(error);
    else span.recordException({ name: 'Error', message: String(error) });
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  } catch {
    // Recording must never replace the user's error with ours.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs `fn(span)` inside a new active span and ends it when `fn` returns or settles; a thrown
 * error or rejection is recorded on the span and rethrown unchanged.
 */
export function runInSpan<T>(
  tracer: Tracer,
  name: string,
  options: TraceOptions,
  fn: (span: Span) => T,
  parent: Context = context.active(),
): T {
  let span: Span;
  try {
    span = tracer.startSpan(name, options, parent);
  } catch {
    // Options the SDK cannot read (an attribute getter that throws) cost the options, not the call.
    span = tracer.startSpan(name, {}, parent);
  }
  const ctx = trace.setSpan(parent, span);
  let result: T;
  try {
    result = context.with(ctx, fn, undefined, span);
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  if (isThenable(result)) {
    return (result as unknown as Promise<unknown>).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        recordError(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}
