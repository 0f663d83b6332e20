import { type Context, type Span, SpanStatusCode, type Tracer, context, trace } from '@opentelemetry/api';
import type { Traced, TraceOptions } from '../api/types.js';
import { recordException } from './record-exception.js';

/**
 * Fails the span with the error as an exception event. A value that cannot be read or turned into
 * a string (an object without a prototype, a revoked proxy, a getter that throws) still fails it,
 * without the event or message it cannot give.
 */
function recordError(span: Span, error: unknown): void {
  // A callback may end its span itself, as OpenTelemetry's startActiveSpan asks, having recorded
  // its error there or not: the span takes nothing more, and none of the callback's values is lost.
  if (!span.isRecording()) return;
  const message = recordException(span, error);
  try {
    span.setStatus(
      typeof message === 'string' ? { code: SpanStatusCode.ERROR, message } : { code: SpanStatusCode.ERROR },
    );
  } catch {
    // Recording must never replace the user's error with ours.
  }
}

type Then = (
  this: unknown,
  onFulfilled: (value: unknown) => unknown,
  onRejected: (error: unknown) => unknown,
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
 * Calls back once a thenable result settles, through its `then`, and returns a promise of the
 * value; NOT_THENABLE for any other value, or a `then` that throws when called.
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
    if (result instanceof Promise) return then.call(result, onFulfilled, onRejected) as Traced<T>;
  } catch {
    return NOT_THENABLE;
  }
  // Another thenable's `then` may return nothing and call back later, which `await` allows: its
  // outcome goes through a promise of ours, so it comes back to the caller instead of being lost or
  // thrown into the thenable's own callback. Its `then` may also start the work (a knex query, a
  // superagent request), which belongs in the span.
  let thrown = false;
  const settled = new Promise((resolve, reject) => {
    try {
      if (ctx === undefined) then.call(result, resolve, reject);
      else context.with(ctx, then, result, resolve, reject);
    } catch {
      thrown = true;
    }
  });
  if (!thrown) return settled.then(onFulfilled, onRejected) as Traced<T>;
  // Whatever `then` settled before it threw is not ours to report.
  settled.catch(() => {});
  return NOT_THENABLE;
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
