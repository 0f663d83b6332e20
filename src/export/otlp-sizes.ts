import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

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
