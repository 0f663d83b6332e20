import type { Link, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import {
  groupByOrigin,
  ld,
  ProtoWriter,
  writeAnyValue,
  writeAttributes,
  writeResource,
  writeScope,
} from './otlp-protobuf.js';

// Encoding is synchronous, so one scratch buffer serves every request of the process.
const writer = new ProtoWriter();

// Span flags (OTLP): the low byte is the W3C trace flags; bit 8 says whether bit 9 (remote parent) is known.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/**
 * An `ExportTraceServiceRequest` for `spans`, byte for byte what the OpenTelemetry protobuf trace
 * serializer writes, at a fraction of its cost.
 */
export function encodeTraceRequest(spans: readonly ReadableSpan[]): Uint8Array {
  return encodeByOrigin(spans, writeSpan);
}

function writeSpan(w: ProtoWriter, span: ReadableSpan): void {
  w.uint32(ld(2));
  const at = w.begin();
  const ctx = span.spanContext();
  w.uint32(ld(1));
  w.hexBytes(ctx.traceId);
  w.uint32(ld(2));
  w.hexBytes(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.uint32(ld(3));
    w.string(traceState);
  }
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.uint32(ld(4));
    w.hexBytes(parent.spanId);
  }
  w.uint32(ld(5));
  w.string(span.name);
  // The API's kinds start at 0 for INTERNAL; OTLP keeps 0 for "unspecified".
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.uint32(6 << 3);
    w.uint32(kind);
  }
  w.uint32((7 << 3) | 1);
  w.hrTime(span.startTime);
  w.uint32((8 << 3) | 1);
  w.hrTime(span.endTime);
  if (span.attributes) writeAttributes(w, span.attributes, 9);
  w.uint32(10 << 3);
  w.uint32(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  w.uint32(12 << 3);
  w.uint32(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link as Link & { droppedAttributesCount?: number });
  w.uint32(14 << 3);
  w.uint32(span.droppedLinksCount);
  w.uint32(ld(15));
  const status = w.begin();
  if (span.status.message) {
    w.uint32(ld(2));
    w.string(span.status.message);
  }
  w.uint32(3 << 3);
  w.uint32(span.status.code);
  w.end(status);
  w.uint32((16 << 3) | 5);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.end(at);
}

function writeEvent(w: ProtoWriter, event: TimedEvent): void {
  w.uint32(ld(11));
  const at = w.begin();
  w.uint32((1 << 3) | 1);
  w.hrTime(event.time);
  w.uint32(ld(2));
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 3);
  w.uint32(4 << 3);
  w.uint32(event.droppedAttributesCount || 0);
  w.end(at);
}

function writeLink(w: ProtoWriter, link: Link & { droppedAttributesCount?: number }): void {
  w.uint32(ld(13));
  const at = w.begin();
  const ctx: SpanContext = link.context;
  w.uint32(ld(1));
  w.hexBytes(ctx.traceId);
  w.uint32(ld(2));
  w.hexBytes(ctx.spanId);
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.uint32(ld(3));
    w.string(traceState);
  }
  if (link.attributes) writeAttributes(w, link.attributes, 4);
  w.uint32(5 << 3);
  w.uint32(link.droppedAttributesCount || 0);
  w.uint32((6 << 3) | 5);
  w.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  w.end(at);
}

/**
 * An `ExportLogsServiceRequest` for `records`, byte for byte what the OpenTelemetry protobuf logs
 * serializer writes, at a fraction of its cost.
 */
export function encodeLogsRequest(records: readonly ReadableLogRecord[]): Uint8Array {
  return encodeByOrigin(records, writeLogRecord);
}

/**
 * The envelope both requests share: resource groups (field 1), each with its scope groups (field
 * 2) holding the items, and the schema URLs after them, as the OpenTelemetry serializers order them.
 */
function encodeByOrigin<T extends { resource: Resource; instrumentationScope: InstrumentationScope }>(
  items: readonly T[],
  writeItem: (w: ProtoWriter, item: T) => void,
): Uint8Array {
  const w = writer;
  w.reset();
  const groups = groupByOrigin(
    items,
    (item) => item.resource,
    (item) => item.instrumentationScope,
  );
  for (const [resource, byScope] of groups) {
    w.uint32(ld(1));
    const outer = w.begin();
    writeResource(w, resource, 1);
    for (const [scope, list] of byScope) {
      w.uint32(ld(2));
      const inner = w.begin();
      writeScope(w, scope, 1);
      for (const item of list) writeItem(w, item);
      if (scope.schemaUrl) {
        w.uint32(ld(3));
        w.string(scope.schemaUrl);
      }
      w.end(inner);
    }
    if (resource.schemaUrl) {
      w.uint32(ld(3));
      w.string(resource.schemaUrl);
    }
    w.end(outer);
  }
  return w.finish();
}

function writeLogRecord(w: ProtoWriter, record: ReadableLogRecord): void {
  w.uint32(ld(2));
  const at = w.begin();
  w.uint32((1 << 3) | 1);
  w.hrTime(record.hrTime);
  // SeverityNumber.UNSPECIFIED is 0, and OTLP leaves it out.
  if (record.severityNumber !== undefined && record.severityNumber !== 0) {
    w.uint32(2 << 3);
    w.int64(record.severityNumber);
  }
  if (record.severityText) {
    w.uint32(ld(3));
    w.string(record.severityText);
  }
  if (record.body !== undefined) {
    w.uint32(ld(5));
    const body = w.begin();
    writeAnyValue(w, record.body);
    w.end(body);
  }
  if (record.attributes) writeAttributes(w, record.attributes, 6);
  w.uint32(7 << 3);
  w.int64(record.droppedAttributesCount);
  const sc = record.spanContext;
  if (sc?.traceFlags) {
    w.uint32((8 << 3) | 5);
    w.fixed32(sc.traceFlags);
  }
  if (sc?.traceId) {
    w.uint32(ld(9));
    w.hexBytes(sc.traceId);
  }
  if (sc?.spanId) {
    w.uint32(ld(10));
    w.hexBytes(sc.spanId);
  }
  w.uint32((11 << 3) | 1);
  w.hrTime(record.hrTimeObserved);
  if (record.eventName) {
    w.uint32(ld(12));
    w.string(record.eventName);
  }
  w.end(at);
}
