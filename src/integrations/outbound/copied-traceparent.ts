import type { SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}/;

/**
 * True for a traceparent, set on a request once it was made, of the call's own trace that names
 * neither the call's span nor the caller's: no one sets that by hand, so it is a copy of the one an
 * earlier call of the trace sent, as a client that gives the next request of a redirect the headers
 * the first one sent (superagent) makes. One the request was made with is the caller's.
 */
export function isCopiedTraceparent(
  value: unknown,
  call: SpanContext,
  callerSpanId: string | undefined,
): boolean {
  if (typeof value !== 'string') return false;
  const match = TRACEPARENT.exec(value.trim());
  return match !== null && match[1] === call.traceId && match[2] !== call.spanId && match[2] !== callerSpanId;
}
