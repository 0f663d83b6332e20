import { type Context, type Span, SpanStatusCode, type Tracer, context, trace } from '@opentelemetry/api';
import type { Traced, TraceOptions } from '../api/types.js';

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

type Then = (
  this: unknown,
  onFulfilled: (value: unknown) => unknown,
  onRejected: (error: unknown) => never,
) => unknown;

/**
 * The value's `then` method, read once, or undefined. A value whose `then` cannot be read (a getter
 * that throws, a revoked proxy) is not a promise: it is returned as it is.
 */
function thenOf(value: unknown): Then | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  try {
    const then = (value as { then?: unknown }).then;
    return typeof then === 'function' ? (then as Then) : undefined;
  } catch {
    return undefined;
  }
}

const NOT_THENABLE: unique symbol = Symbol('not thenable');

/**
 * Calls back once a thenable result settles, through its `then`, and returns what `then` returns
 * (a promise of the value); NOT_THENABLE for any other value, or a `then` that throws when called.
 */
function whenSettled<T>(
  result: T,
  onFulfilled: (value: unknown) => unknown,
  onRejected: (error: unknown) => never,
  ctx?: Context,
): Traced<T> | typeof NOT_THENABLE {
  const then = thenOf(result);
  if (then === undefined) return NOT_THENABLE;
  try {
    // A thenable other than a promise may start its work in `then` (a knex query, a superagent
    // request): that work belongs in the span. A promise's `then` has nothing left to start.
    if (ctx !== undefined && !(result instanceof Promise))
      return context.with(ctx, then, result, onFulfilled, onRejected) as Traced<T>;
    return then.call(result, onFulfilled, onRejected) as Traced<T>;
  } catch {
    return NOT_THENABLE;
  }
}

const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * `fn(span)` without a span of sightline's to end (before `init()`, after `shutdown()`): a thenable
 * it returns comes back as a promise of its value, as from {@link runInSpan}.
 */
export function runWithoutSpan<T>(span: Span, fn: (span: Span) => T): Traced<T> {
  const result = fn(span);
  const settled = whenSettled(result, (value) => value, rethrow);
  return settled === NOT_THENABLE ? (result as Traced<T>) : settled;
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
): Traced<T> {
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
  // A `then` that throws when called: the value goes back as it is, like any other.
  const settled = whenSettled(
    result,
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      recordError(span, error);
      span.end();
      throw error;
    },
    ctx,
  );
  if (settled !== NOT_THENABLE) return settled;
  span.end();
  return result as Traced<T>;
}
