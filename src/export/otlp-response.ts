import {
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import type { ExportResponse, ResponseVerdict } from './spec.js';

/** The OTLP signal a response answers; each names its rejected count differently. */
export type OtlpSignal = 'traces' | 'metrics' | 'logs';

const REJECTED_FIELD = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
} as const;

const PROTOBUF_RESPONSE = {
  traces: ProtobufTraceSerializer,
  metrics: ProtobufMetricsSerializer,
  logs: ProtobufLogsSerializer,
} as const;

/**
 * The OTLP retryable statuses: 429, 502, 503 and 504 only. Every other 4xx/5xx (400 bad data,
 * 500, 501...) must not be retried (OTLP/HTTP specification, "Failures").
 *
 * @example
 * isOtlpRetryable(503); // true
 * isOtlpRetryable(500); // false
 */
export function isOtlpRetryable(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/**
 * Reads an OTLP 200 answer for partial success: `partialSuccess.rejected<Items>` of the batch are
 * counted as rejected (never retried, as the specification requires). The body is decoded by its
 * `Content-Type`, or by the request's protocol when the server sends none.
 *
 * @example
 * createChannel({ ..., onResponse: (res) => readOtlpPartialSuccess('traces', 'http/json', res) });
 */
export function readOtlpPartialSuccess(
  signal: OtlpSignal,
  protocol: 'http/protobuf' | 'http/json',
  response: ExportResponse,
): ResponseVerdict | undefined {
  const contentType = (response.headers.get('content-type') ?? '').toLowerCase();
  const json =
    contentType.includes('json') || (!contentType.includes('protobuf') && protocol === 'http/json');
  let partial: Record<string, unknown> | undefined;
  if (json) {
    if (response.body.trim() === '') return undefined;
    const parsed = JSON.parse(response.body) as { partialSuccess?: Record<string, unknown> } | null;
    partial = parsed?.partialSuccess ?? undefined;
  } else {
    // A custom `send` may omit the raw bytes; the text is then encoded back, which is exact for a
    // body that was valid UTF-8 (fewer than 128 rejected items and a short message are plain ASCII).
    const bytes = response.bytes ?? Buffer.from(response.body, 'utf8');
    if (bytes.byteLength === 0) return undefined;
    partial = PROTOBUF_RESPONSE[signal].deserializeResponse(bytes).partialSuccess as
      | Record<string, unknown>
      | undefined;
  }
  if (partial == null || typeof partial !== 'object') return undefined;
  // int64 arrives as a decimal string in JSON and may be a number or bigint from the protobuf reader.
  const rejected = Number(partial[REJECTED_FIELD[signal]] ?? 0);
  return Number.isFinite(rejected) && rejected > 0 ? { rejected } : undefined;
}
