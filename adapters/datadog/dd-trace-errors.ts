import {
  type Exception,
  type Span,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';

const kMessage = Symbol('sightline.exceptionMessage');

type Tracked = Span & { [kMessage]?: string };

/**
 * Keeps a recorded exception's message on a dd-trace span marked failed. dd-trace writes the
 * status description to `error.message`, so an error status without one (an HTTP span's 5xx, a
 * call out that failed) erased the message `recordException` had set, and Datadog's error
 * tracking saw the error without it. Such a status now carries the last exception's message, as
 * the Agent gives an OTLP span.
 */
export function keepExceptionMessage(span: Span): Span {
  span.recordException = recordException;
  span.setStatus = setStatus;
  return span;
}

function recordException(this: Tracked, exception: Exception, time?: TimeInput): void {
  const message = typeof exception === 'string' ? exception : exception?.message;
  if (typeof message === 'string' && message !== '') this[kMessage] = message;
  Object.getPrototypeOf(this).recordException.call(this, exception, time);
}

function setStatus(this: Tracked, status: SpanStatus): Span {
  const message = this[kMessage];
  const kept =
    status?.code === SpanStatusCode.ERROR && status.message === undefined && message !== undefined
      ? { code: status.code, message }
      : status;
  return Object.getPrototypeOf(this).setStatus.call(this, kept);
}
