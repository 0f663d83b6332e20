import type { SpanContext } from '@opentelemetry/api';

/** The OpenTelemetry log correlation fields for a span (`trace_id`, `span_id`, `trace_flags`). */
export function traceFields(spanContext: SpanContext): Record<string, string> {
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: spanContext.traceFlags & 1 ? '01' : '00',
  };
}
