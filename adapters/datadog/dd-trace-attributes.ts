import type { AttributeValue, Attributes, Span } from '@opentelemetry/api';
import type { DropCounter } from '../../src/internal/drops.js';
import { cleanAttributes } from '../../src/metrics/attributes.js';

/**
 * Attributes with each array as its JSON text (`["A-1","B-2"]`), as the Agent writes an OTLP
 * span's: dd-trace drops an array attribute, so an `obs.trace` span's list never reached Datadog.
 * The attributes themselves when they hold no array.
 */
export function arraysAsText(attributes: Attributes | undefined): Attributes | undefined {
  if (attributes === undefined) return undefined;
  let text: Attributes | undefined;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (!Array.isArray(value)) continue;
    text ??= { ...attributes };
    text[key] = jsonText(value);
  }
  return text ?? attributes;
}

/**
 * Sends the arrays later set on a dd-trace span as their JSON text, as {@link arraysAsText}, and
 * leaves out an attribute of no attribute value (an object, a Date, a BigInt, an array of mixed
 * types), counted as `invalid_attribute`, as `obs.trace`'s options and OpenTelemetry mode's spans
 * leave it out: dd-trace sent an object's members as attributes of their own (`order.id`) and
 * dropped a Date, counting neither. A string, number or boolean costs one look more.
 */
export function keepArrayAttributes(span: Span, drops: Pick<DropCounter, 'add'>): Span {
  span.setAttribute = function (this: Span, key: string, value: AttributeValue): Span {
    const t = typeof value;
    if ((t === 'string' || t === 'number' || t === 'boolean') && key !== '')
      return Object.getPrototypeOf(this).setAttribute.call(this, key, value);
    // Unset (`region: process.env.REGION`), as dd-trace takes it: no value lost.
    if (value === undefined) return this;
    if (typeof key !== 'string') {
      drops.add('invalid_attribute');
      return this;
    }
    return setAttributes.call(this, { [key]: value }, drops);
  };
  span.setAttributes = function (this: Span, attributes: Attributes): Span {
    return setAttributes.call(this, attributes, drops);
  };
  return span;
}

function setAttributes(this: Span, attributes: Attributes, drops: Pick<DropCounter, 'add'>): Span {
  const clean = cleanAttributes(attributes, Number.POSITIVE_INFINITY, drops, true);
  if (clean === undefined) return this;
  return Object.getPrototypeOf(this).setAttributes.call(this, arraysAsText(clean));
}

/** An array's JSON text; none for one that cannot be read (a throwing getter): dropped, as dd-trace would. */
function jsonText(value: readonly unknown[]): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
