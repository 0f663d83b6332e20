import type { Attributes } from '@opentelemetry/api';
import type { DataPoint } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AnomalyEvent } from '../anomaly/event.js';

/**
 * Rough protobuf size of a span, without encoding it: ids, times and framing, its name, and the
 * keys and values of its attributes, events and links (where a big span's bytes are).
 *
 * @example
 * spanSize(span); // 96 + name + attributes + events + links
 */
export function spanSize(span: ReadableSpan): number {
  let size = 96 + span.name.length + attributesSize(span.attributes);
  for (const event of span.events) {
    size += 24 + event.name.length;
    if (event.attributes !== undefined) size += attributesSize(event.attributes);
  }
  for (const link of span.links) {
    size += 48;
    if (link.attributes !== undefined) size += attributesSize(link.attributes);
  }
  const message = span.status.message;
  return message === undefined ? size : size + message.length;
}

interface PointValue {
  buckets?: { boundaries?: readonly number[]; counts?: readonly number[] };
  positive?: { bucketCounts?: readonly number[] };
  negative?: { bucketCounts?: readonly number[] };
}

/**
 * Rough protobuf size of a metric data point: times, value and framing, and its attributes, where
 * a point with long attribute values (URLs, user agents) has its bytes.
 *
 * @example
 * pointSize(point); // 24 + value + attributes
 */
export function pointSize(point: DataPoint<unknown>): number {
  return 24 + valueSize(point.value as number | PointValue) + attributesSize(point.attributes);
}

/** Explicit buckets are 8 bytes a count and a boundary; exponential ones a varint, mostly 1 byte. */
function valueSize(value: number | PointValue): number {
  if (typeof value !== 'object' || value === null) return 9;
  const explicit = (value.buckets?.counts?.length ?? 0) + (value.buckets?.boundaries?.length ?? 0);
  const exponential =
    (value.positive?.bucketCounts?.length ?? 0) + (value.negative?.bucketCounts?.length ?? 0);
  return 40 + 8 * explicit + exponential;
}

/** An event record's `sightline.anomaly.*` numbers and names, times, severity and event name. */
const EVENT_RECORD_BYTES = 380;

/**
 * Rough protobuf size of an anomaly event's log record: its fixed fields, and the names, the
 * series' attributes and the explanation that names them, where a big event's bytes are.
 *
 * @example
 * eventSize(event); // 380 + metric + kind + explanation + attributes
 */
export function eventSize(event: AnomalyEvent): number {
  const text = event.metric.length + event.kind.length + event.explanation.length;
  return EVENT_RECORD_BYTES + text + attributesSize(event.attributes);
}

function attributesSize(attributes: Attributes): number {
  let size = 0;
  for (const key in attributes) {
    const value = attributes[key];
    size += key.length + 8;
    if (typeof value === 'string') size += value.length;
    else if (Array.isArray(value)) {
      for (const v of value) size += typeof v === 'string' ? v.length + 2 : 9;
    } else size += 8;
  }
  return size;
}
