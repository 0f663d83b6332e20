import type { HrTime, SpanContext } from '@opentelemetry/api';
import { type LogAttributes, SeverityNumber } from '@opentelemetry/api-logs';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AnomalyEvent } from '../anomaly/event.js';
import { setField } from './own-field.js';
import type { LogKeys } from './types.js';

/** The OTLP event name anomaly events carry (`LogRecord.event_name`). */
export const OTLP_ANOMALY_EVENT_NAME = 'sightline.anomaly';

/** pino's numeric levels and the usual level labels, mapped to OTLP severity numbers. */
const SEVERITY_BY_LABEL: Readonly<Record<string, SeverityNumber>> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  notice: SeverityNumber.INFO2,
  warn: SeverityNumber.WARN,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  err: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
  fatal: SeverityNumber.FATAL,
};
const SEVERITY_BY_PINO_NUMBER: Readonly<Record<number, SeverityNumber>> = {
  10: SeverityNumber.TRACE,
  20: SeverityNumber.DEBUG,
  30: SeverityNumber.INFO,
  40: SeverityNumber.WARN,
  50: SeverityNumber.ERROR,
  60: SeverityNumber.FATAL,
};
const SEVERITY_TEXT = ['', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** Where the converted records say they come from. */
export interface LogRecordOrigin {
  readonly resource: Resource;
  /** Keep this object stable: the OTLP serializers group records by scope identity. */
  readonly scope: InstrumentationScope;
}

/**
 * Converts one sightline JSON log line into an OTLP log record: body = message, severity from the
 * level (label or pino number), timestamp from the time key (epoch ms or ISO), trace context from
 * `trace_id`/`span_id`/`trace_flags`, every other field an attribute. Fields that repeat a resource
 * attribute with the same value (`service.name`, ...) are left out; a pino `err` object (or the ECS
 * `error` object Elastic's lines have instead) becomes `exception.type`/`exception.message`/
 * `exception.stacktrace`. Returns `undefined` for a line that is not a JSON object.
 *
 * @example
 * const record = logLineToRecord('{"level":"info","time":1700000000000,"msg":"paid"}', DEFAULT_LOG_KEYS, origin);
 * record?.severityNumber; // 9 (INFO)
 */
export function logLineToRecord(
  line: string,
  keys: LogKeys,
  origin: LogRecordOrigin,
): ReadableLogRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  const resourceAttributes = origin.resource.attributes;
  const attributes: LogAttributes = {};
  let body: string | undefined;
  let level: unknown;
  let time: unknown;
  let traceId: unknown;
  let spanId: unknown;
  let traceFlags: unknown;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (key === keys.messageKey) body = typeof value === 'string' ? value : JSON.stringify(value);
    else if (key === keys.levelKey) level = value;
    else if (key === keys.timeKey) time = value;
    else if (key === 'trace_id') traceId = value;
    else if (key === 'span_id') spanId = value;
    else if (key === 'trace_flags') traceFlags = value;
    else if (key === 'err' && isErrorObject(value)) addException(attributes, value, key);
    // Elastic's ECS lines write the line's error this way instead of as `err`.
    else if (key === 'error' && isErrorObject(value) && 'stack_trace' in value)
      addException(attributes, value, key);
    else if (value !== null && !(key in resourceAttributes && resourceAttributes[key] === value))
      setField(attributes, key, safeValue(value));
  }
  const spanContext = spanContextOf(traceId, spanId, traceFlags);
  // Fields that name no span (a job's own `trace_id`, logged outside any span) are the line's data.
  if (spanContext === undefined) {
    if (traceId != null) setField(attributes, 'trace_id', safeValue(traceId));
    if (spanId != null) setField(attributes, 'span_id', safeValue(spanId));
    if (traceFlags != null) setField(attributes, 'trace_flags', safeValue(traceFlags));
  }
  const severityNumber = severityOf(level, keys.levelValue);
  const hrTime = toHrTime(time);
  return {
    hrTime,
    hrTimeObserved: hrTime,
    spanContext,
    severityNumber,
    severityText:
      typeof level === 'string' ? level.toUpperCase() : SEVERITY_TEXT[Math.ceil(severityNumber / 4)],
    body,
    resource: origin.resource,
    instrumentationScope: origin.scope,
    attributes,
    droppedAttributesCount: 0,
  };
}

/**
 * Converts an anomaly event into an OTLP log record with event name `sightline.anomaly`: body =
 * the explanation, severity WARN, the series attributes as they are, and the detector's findings
 * under `sightline.anomaly.*`.
 *
 * @example
 * channel.push(encodeOtlpEventRecord(event, { resource, scope }));
 */
export function encodeOtlpEventRecord(event: AnomalyEvent, origin: LogRecordOrigin): ReadableLogRecord {
  const attributes: LogAttributes = {};
  for (const [k, v] of Object.entries(event.attributes ?? {}))
    if (v != null) setField(attributes, k, safeValue(v));
  attributes['sightline.anomaly.metric'] = event.metric;
  attributes['sightline.anomaly.kind'] = event.kind;
  attributes['sightline.anomaly.observed'] = event.observed;
  attributes['sightline.anomaly.expected'] = event.expected;
  attributes['sightline.anomaly.band.lower'] = event.band.lower;
  attributes['sightline.anomaly.band.upper'] = event.band.upper;
  attributes['sightline.anomaly.score'] = event.score;
  attributes['sightline.anomaly.severity'] = event.severity;
  const hrTime = toHrTime(event.time);
  return {
    hrTime,
    hrTimeObserved: hrTime,
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: event.explanation,
    eventName: OTLP_ANOMALY_EVENT_NAME,
    resource: origin.resource,
    instrumentationScope: origin.scope,
    attributes,
    droppedAttributesCount: 0,
  };
}

function severityOf(
  level: unknown,
  customValue: ((label: string) => number | undefined) | undefined,
): SeverityNumber {
  if (typeof level === 'string') {
    const value = customValue?.(level);
    if (value !== undefined) return severityOfValue(value);
    return SEVERITY_BY_LABEL[level.toLowerCase()] ?? SeverityNumber.UNSPECIFIED;
  }
  if (typeof level === 'number') return SEVERITY_BY_PINO_NUMBER[level] ?? SeverityNumber.UNSPECIFIED;
  return SeverityNumber.UNSPECIFIED;
}

/**
 * A level of a child logger's own, by its value: in the range of pino's level at or below it, as
 * far into its four numbers as the value is towards the next (audit, 35, is INFO3).
 */
function severityOfValue(value: number): SeverityNumber {
  const base = Math.min(60, Math.max(10, Math.floor(value / 10) * 10));
  const step = Math.min(3, Math.max(0, Math.floor(((value - base) * 4) / 10)));
  return (SEVERITY_BY_PINO_NUMBER[base] ?? SeverityNumber.UNSPECIFIED) + step;
}

/** Epoch ms (number) or an ISO string to HrTime; anything else means "now". */
function toHrTime(time: unknown): HrTime {
  let ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) ms = Date.now();
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function spanContextOf(traceId: unknown, spanId: unknown, flags: unknown): SpanContext | undefined {
  if (typeof traceId !== 'string' || typeof spanId !== 'string') return undefined;
  const t = traceId.toLowerCase();
  const s = spanId.toLowerCase();
  if (!HEX32.test(t) || !HEX16.test(s) || t === ZERO_TRACE || s === ZERO_SPAN) return undefined;
  let traceFlags = 0;
  if (typeof flags === 'number') traceFlags = flags & 0xff;
  else if (typeof flags === 'string' && /^[0-9a-f]{1,2}$/i.test(flags))
    traceFlags = Number.parseInt(flags, 16);
  return { traceId: t, spanId: s, traceFlags };
}

function isErrorObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'message' in value;
}

function addException(attributes: LogAttributes, err: Record<string, unknown>, key: string): void {
  for (const [k, v] of Object.entries(err)) {
    if (v == null) continue;
    if (k === 'type') attributes['exception.type'] = String(v);
    else if (k === 'message') attributes['exception.message'] = String(v);
    else if (k === 'stack' || k === 'stack_trace') attributes['exception.stacktrace'] = String(v);
    else attributes[`${key}.${k}`] = safeValue(v);
  }
}

/**
 * JSON numbers beyond 2^53 would go out as `intValue` the receiver cannot hold as int64; they are
 * sent as their decimal text instead. Nested objects and arrays become OTLP kvlists and arrays.
 */
function safeValue(value: unknown): LogAttributes[string] {
  if (typeof value === 'number')
    return Number.isInteger(value) && !Number.isSafeInteger(value) ? String(value) : value;
  if (Array.isArray(value)) return value.map(safeValue) as LogAttributes[string];
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v != null) setField(out, k, safeValue(v));
    return out as LogAttributes[string];
  }
  return value as LogAttributes[string];
}
