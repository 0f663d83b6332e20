import type { SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}/;

/**
 * How many calls made outside any span are remembered: a client follows a redirect as soon as the
 * hop before has its answer, a few calls later at most.
 */
const ROOT_CALLS = 256;
const rootCalls: string[] = [];
let nextRootCall = 0;

/**
 * Remembers the span of a call made outside any span, sent in its traceparent: the next hop of a
 * redirect, in a trace of its own, may be given a copy of it.
 */
export function rememberRootCall(spanId: string): void {
  rootCalls[nextRootCall] = spanId;
  nextRootCall = (nextRootCall + 1) % ROOT_CALLS;
}

/**
 * True for a traceparent, set on a request once it was made, that is a copy of the one an earlier
 * call sent, as a client that gives the next request of a redirect the headers the first one sent
 * (superagent) makes: one of the call's own trace that names neither the call's span nor the
 * caller's, which no one sets by hand, or, outside any span, where each call has a trace of its
 * own, one naming a call made there. One the request was made with is the caller's.
 */
export function isCopiedTraceparent(
  value: unknown,
  call: SpanContext,
  callerSpanId: string | undefined,
): boolean {
  if (typeof value !== 'string') return false;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null || match[2] === call.spanId) return false;
  return match[1] === call.traceId ? match[2] !== callerSpanId : rootCalls.includes(match[2] as string);
}
