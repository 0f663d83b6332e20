import type { AttributeValue, Attributes, Span } from '@opentelemetry/api';

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

/** Sends the arrays later set on a dd-trace span as their JSON text, as {@link arraysAsText}. */
export function keepArrayAttributes(span: Span): Span {
  span.setAttribute = setAttribute;
  span.setAttributes = setAttributes;
  return span;
}

function setAttribute(this: Span, key: string, value: AttributeValue): Span {
  return Object.getPrototypeOf(this).setAttribute.call(
    this,
    key,
    Array.isArray(value) ? jsonText(value) : value,
  );
}

function setAttributes(this: Span, attributes: Attributes): Span {
  return Object.getPrototypeOf(this).setAttributes.call(this, arraysAsText(attributes));
}

/** An array's JSON text; none for one that cannot be read (a throwing getter): dropped, as dd-trace would. */
function jsonText(value: readonly unknown[]): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
