import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { cutText } from '../../src/export/index.js';

/** New Relic's OTLP attribute limits: names up to 255 characters, values up to 4,095, arrays up to 64 entries. */
export const OTLP_MAX_NAME_CHARS = 255;
export const OTLP_MAX_VALUE_CHARS = 4095;
export const OTLP_MAX_ARRAY_ENTRIES = 64;

interface WithAttributes {
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

/**
 * The spans within New Relic's OTLP attribute limits, which it otherwise answers with
 * `NrIntegrationError`s (sightline's own value limit, 4,096 by default, is one over). Spans within
 * the limits pass as they are; the others are replaced by views with shortened copies of their
 * span, event and link attributes, since other exporters see the same span objects. A name that
 * clashes with another once cut to 255 characters is left out and counted in `droppedAttributesCount`.
 *
 * @example
 * createSpanExporter(channel, clampSpans);
 */
export function clampSpans(spans: ReadableSpan[]): ReadableSpan[] {
  let out: ReadableSpan[] | undefined;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as ReadableSpan;
    const clamped = clampSpan(span);
    if (clamped === span) continue;
    out ??= spans.slice();
    out[i] = clamped;
  }
  return out ?? spans;
}

function clampSpan(span: ReadableSpan): ReadableSpan {
  const overrides: PropertyDescriptorMap = {};
  let changed = false;
  if (exceeds(span.attributes)) {
    const { attributes, dropped } = clampAttributes(span.attributes);
    overrides.attributes = { value: attributes, enumerable: true };
    if (dropped > 0)
      overrides.droppedAttributesCount = { value: span.droppedAttributesCount + dropped, enumerable: true };
    changed = true;
  }
  if (span.events.some((e) => exceeds(e.attributes))) {
    overrides.events = { value: span.events.map(clampEntry), enumerable: true };
    changed = true;
  }
  if (span.links.some((l) => exceeds(l.attributes))) {
    overrides.links = { value: span.links.map(clampEntry), enumerable: true };
    changed = true;
  }
  // The span's own fields and methods stay reachable through the prototype; only the copies are new.
  return changed ? (Object.create(span, overrides) as ReadableSpan) : span;
}

function clampEntry<T extends WithAttributes>(entry: T): T {
  if (!exceeds(entry.attributes)) return entry;
  const { attributes, dropped } = clampAttributes(entry.attributes as Attributes);
  return dropped > 0
    ? { ...entry, attributes, droppedAttributesCount: (entry.droppedAttributesCount ?? 0) + dropped }
    : { ...entry, attributes };
}

function exceeds(attributes: Attributes | undefined): boolean {
  if (attributes === undefined) return false;
  for (const key in attributes) {
    if (key.length > OTLP_MAX_NAME_CHARS || valueExceeds(attributes[key])) return true;
  }
  return false;
}

function valueExceeds(value: AttributeValue | undefined): boolean {
  if (typeof value === 'string') return value.length > OTLP_MAX_VALUE_CHARS;
  if (!Array.isArray(value)) return false;
  if (value.length > OTLP_MAX_ARRAY_ENTRIES) return true;
  for (const v of value) if (typeof v === 'string' && v.length > OTLP_MAX_VALUE_CHARS) return true;
  return false;
}

function clampAttributes(attributes: Attributes): { attributes: Attributes; dropped: number } {
  const out: Attributes = {};
  let dropped = 0;
  for (const key in attributes) {
    const name = cutText(key, OTLP_MAX_NAME_CHARS);
    if (Object.hasOwn(out, name)) {
      dropped++;
      continue;
    }
    out[name] = clampValue(attributes[key]);
  }
  return { attributes: out, dropped };
}

function clampValue(value: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof value === 'string') return cutText(value, OTLP_MAX_VALUE_CHARS);
  if (!Array.isArray(value)) return value;
  const entries = value.length > OTLP_MAX_ARRAY_ENTRIES ? value.slice(0, OTLP_MAX_ARRAY_ENTRIES) : value;
  return entries.map((v) => (typeof v === 'string' ? cutText(v, OTLP_MAX_VALUE_CHARS) : v)) as AttributeValue;
}
