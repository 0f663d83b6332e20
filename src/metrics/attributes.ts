import type { AttributeValue, Attributes } from '@opentelemetry/api';
import type { DropCounter } from '../internal/drops.js';

function validArrayValue(v: unknown[]): boolean {
  for (const item of v) {
    const t = typeof item;
    if (item !== null && item !== undefined && t !== 'string' && t !== 'number' && t !== 'boolean')
      return false;
  }
  return true;
}

/** A valid array whose strings are all within `maxLength`, as spans' arrays are cut to it too. */
function fittingArrayValue(v: unknown[], maxLength: number): boolean {
  if (!validArrayValue(v)) return false;
  for (const item of v) if (typeof item === 'string' && item.length > maxLength) return false;
  return true;
}

/**
 * Returns attributes safe to hand to the SDK. The common case (all primitive, short strings)
 * returns the caller's object untouched, so the hot path allocates nothing.
 */
export function cleanAttributes(
  attributes: Attributes | undefined,
  maxLength: number,
  drops: DropCounter,
): Attributes | undefined {
  if (attributes === undefined || attributes === null) return undefined;
  if (typeof attributes !== 'object') {
    drops.add('invalid_attribute');
    return undefined;
  }
  let clean = true;
  try {
    for (const key in attributes) {
      const v = attributes[key];
      const t = typeof v;
      if (key === '') clean = false;
      else if (t === 'string') {
        if ((v as string).length > maxLength) clean = false;
      } else if (
        t !== 'number' &&
        t !== 'boolean' &&
        !(Array.isArray(v) && fittingArrayValue(v, maxLength))
      ) {
        clean = false;
      }
      if (!clean) break;
    }
  } catch {
    // A getter that throws: repair() reads each key on its own and drops that one.
    clean = false;
  }
  if (clean) return attributes;
  return repair(attributes, maxLength, drops);
}

function repair(attributes: Attributes, maxLength: number, drops: DropCounter): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attributes)) {
    // OpenTelemetry wants a name (the SDK drops a nameless one from spans); Elasticsearch refuses it.
    if (key === '') {
      drops.add('invalid_attribute');
      continue;
    }
    let v: AttributeValue | undefined;
    try {
      v = attributes[key];
    } catch {
      drops.add('invalid_attribute');
      continue;
    }
    const t = typeof v;
    if (t === 'string') {
      if ((v as string).length > maxLength) {
        drops.add('truncated_attribute');
        out[key] = (v as string).slice(0, maxLength);
      } else out[key] = v;
    } else if (t === 'number' || t === 'boolean') {
      out[key] = v;
    } else if (Array.isArray(v) && validArrayValue(v)) {
      if (fittingArrayValue(v, maxLength)) out[key] = v;
      else {
        drops.add('truncated_attribute');
        out[key] = v.map((item) =>
          typeof item === 'string' ? item.slice(0, maxLength) : item,
        ) as AttributeValue;
      }
    } else {
      drops.add('invalid_attribute');
    }
  }
  return out;
}
