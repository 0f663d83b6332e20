import { type HrTime, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { spanName } from './span-name.js';

const KINDS: ReadonlySet<unknown> = new Set(Object.values(SpanKind).filter((v) => typeof v === 'number'));
const CODES: ReadonlySet<unknown> = new Set(
  Object.values(SpanStatusCode).filter((v) => typeof v === 'number'),
);

const isTime = (t: HrTime | undefined): t is HrTime =>
  t !== undefined && Number.isFinite(t[0]) && Number.isFinite(t[1]);

/**
 * Gives the fields the SDK keeps as JavaScript passed them a value every exporter can write:
 * - a span or event name that is no string (`span.updateName(undefined)`), which the protobuf
 *   encoder fails on with the span, becomes its `String()`;
 * - a kind or status code that is none of OpenTelemetry's (`kind: 'server'`, `code: 'error'`),
 *   which OTLP/JSON writes as given and a collector refuses with the whole request, becomes
 *   INTERNAL or UNSET;
 * - a time that is not one (`startTime: new Date(NaN)`, an invalid date given to `end()` or
 *   `addEvent()`), which the OTLP/JSON encoder fails on and protobuf writes as 1970, becomes the
 *   span's other end, or the time it ended, its duration following.
 */
export function repairSpanFields(span: ReadableSpan): void {
  if (typeof span.name !== 'string') (span as { name: string }).name = spanName(span.name);
  if (!KINDS.has(span.kind)) (span as { kind: SpanKind }).kind = SpanKind.INTERNAL;
  const status = span.status;
  if (!CODES.has(status.code)) {
    status.code = SpanStatusCode.UNSET;
    delete status.message;
  }
  if (!isTime(span.startTime) || !isTime(span.endTime)) repairTimes(span);
  for (const event of span.events) {
    if (typeof event.name !== 'string') (event as { name: string }).name = spanName(event.name);
    if (!isTime(event.time)) (event as { time: HrTime }).time = span.startTime;
  }
}

function repairTimes(span: ReadableSpan): void {
  const end = isTime(span.endTime) ? span.endTime : undefined;
  const start = isTime(span.startTime) ? span.startTime : (end ?? millisToHrTime(Date.now()));
  Object.assign(span, { startTime: start, endTime: end ?? start });
  // The SDK's own array, made when the span ended: the console's summary adds it up.
  const duration = span.duration;
  [duration[0], duration[1]] = hrTimeDuration(span.startTime, span.endTime);
}
