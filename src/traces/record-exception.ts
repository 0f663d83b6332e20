import type { Exception, Span } from '@opentelemetry/api';

/**
 * Records a thrown value as the span's exception event and returns the message it recorded. Any
 * object is read as OpenTelemetry reads an error (its code or name, message and stack), so an error
 * of another realm (a vm sandbox's, or Node's own under Jest's test environment, which no
 * `instanceof Error` here holds for) and a plain object some clients reject with keep their type
 * and stack instead of being recorded as their `String()`; a code that is an object, or a
 * DOMException's number, is no type, so the name is. A value with neither a type nor a message is
 * recorded as its `String()`; one that cannot be read (a getter that throws, a revoked proxy) is not
 * recorded, and the error it came with is never replaced by ours.
 */
export function recordException(span: Span, error: unknown): string | undefined {
  try {
    if (error !== null && typeof error === 'object') {
      const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
      if (code || name || message) {
        span.recordException(typedException(error, code, name, message));
        return typeof message === 'string' ? message : undefined;
      }
    }
    const text = String(error);
    span.recordException({ name: 'Error', message: text });
    return text;
  } catch {
    return undefined;
  }
}

/**
 * The error as OpenTelemetry is to read it: itself, or its name, message and stack alone where its
 * code is no type. OpenTelemetry names the type by the code's toString(): an object's reads
 * '[object Object]', and one without a prototype has none, which would cost the event. A
 * DOMException's code is the legacy number of its name (20 for a fetch's AbortError, 23 for a
 * TimeoutError). Reading it may throw (a getter, a revoked proxy).
 */
export function typedException(
  error: object,
  code = (error as { code?: unknown }).code,
  name = (error as { name?: unknown }).name,
  message = (error as { message?: unknown }).message,
): Exception {
  const noType =
    (code !== null && (typeof code === 'object' || typeof code === 'function')) ||
    (typeof code === 'number' && error instanceof DOMException);
  if (!noType) return error as Exception;
  return { name, message, stack: (error as { stack?: unknown }).stack } as Exception;
}
