/**
 * OTLP/JSON request bodies. The requests are built by `@opentelemetry/otlp-transformer`, as its JSON
 * serializers build them; only the writing differs. Its serializers call plain `JSON.stringify`,
 * which writes a NaN or infinite number as `null` (a collector then refuses the whole request) and
 * every integer as a JSON number, even one no int64 holds. The builders are not in its index, so
 * they are imported by path; the dependency range (0.223.x) keeps those files where they are.
 */
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JSON_ENCODER } from '@opentelemetry/otlp-transformer/build/src/common/utils.js';
import { createExportLogsServiceRequest } from '@opentelemetry/otlp-transformer/build/src/logs/internal.js';
import { createExportMetricsServiceRequest } from '@opentelemetry/otlp-transformer/build/src/metrics/internal.js';
import { createExportTraceServiceRequest } from '@opentelemetry/otlp-transformer/build/src/trace/internal.js';

const utf8 = new TextEncoder();

/** An `ExportTraceServiceRequest` in OTLP/JSON. */
export function encodeTracesJson(spans: readonly ReadableSpan[]): Uint8Array {
  return write(
    createExportTraceServiceRequest(
      spans as Parameters<typeof createExportTraceServiceRequest>[0],
      JSON_ENCODER,
    ),
  );
}

/** An `ExportMetricsServiceRequest` in OTLP/JSON, one `resourceMetrics` entry per resource. */
export function encodeMetricsJson(resourceMetrics: readonly ResourceMetrics[]): Uint8Array {
  return write(
    createExportMetricsServiceRequest(
      resourceMetrics as Parameters<typeof createExportMetricsServiceRequest>[0],
      JSON_ENCODER,
    ),
  );
}

/** An `ExportLogsServiceRequest` in OTLP/JSON. */
export function encodeLogsJson(records: readonly ReadableLogRecord[]): Uint8Array {
  return write(
    createExportLogsServiceRequest(
      records as Parameters<typeof createExportLogsServiceRequest>[0],
      JSON_ENCODER,
    ),
  );
}

/** An `intValue` written as a JSON number that is not a safe integer: exponent, fraction or 16+ digits. */
const UNSAFE_INT = /"intValue":-?(\d{16,}|[\d.]+e)/i;
const INT64_MAX = 2 ** 63;

/**
 * Writes the request as the upstream serializers do, and again value by value only when that text
 * holds a `null` (which only a non-finite number writes) or an integer past 2^53.
 */
function write(request: object): Uint8Array {
  const text = JSON.stringify(request);
  if (!text.includes('null') && !UNSAFE_INT.test(text)) return utf8.encode(text);
  return utf8.encode(JSON.stringify(request, proto3Value));
}

/**
 * proto3 JSON writes a NaN or infinite double as the string "NaN", "Infinity" or "-Infinity". As
 * protobuf does here, an `intValue` outside int64 becomes `doubleValue`; one inside but past 2^53 is
 * written as its decimal string, as OTLP/JSON writes int64.
 */
function proto3Value(_key: string, value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value !== 'object') return value;
  const int = (value as { intValue?: unknown }).intValue;
  if (typeof int !== 'number' || Number.isSafeInteger(int)) return value;
  return Math.abs(int) < INT64_MAX ? { intValue: BigInt(int).toString() } : { doubleValue: int };
}
