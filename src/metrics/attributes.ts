import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { cutText } from '../internal/cut-text.js';
import type { DropCounter } from '../internal/drops.js';

/** An array of strings, numbers and booleans, and, with `oneType`, of only one of them, nulls aside. */
function validArrayValue(v: unknown[], oneType: boolean): boolean {
  let first: string | undefined;
  for (const item of v) {
    if (item === null || item === undefined) continue;
    const t = typeof item;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return false;
    if (!oneType) continue;
    if (first === undefined) first = t;
    else if (t !== first) return false;
  }
  return true;
}

/** A valid array whose strings are all within `maxLength`, as spans' arrays are cut to it too. */
function fittingArrayValue(v: unknown[], maxLength: number, oneType: boolean): boolean {
  if (!validArrayValue(v, oneType)) return false;
  for (const item of v) if (typeof item === 'string' && item.length > maxLength) return false;
  return true;
}

/**
 * Returns attributes safe to hand to the SDK. The common case (all primitive, short strings)
 * returns the caller's object untouched, so the hot path allocates nothing. `oneType` holds arrays
 * to one type of value, as a span's SDK does, which leaves out one of mixed types saying nothing.
 */
export function cleanAttributes(
  attributes: Attributes | undefined,
  maxLength: number,
  drops: Pick<DropCounter, 'add'>,
  oneType = false,
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
        !(Array.isArray(v) && fittingArrayValue(v, maxLength, oneType))
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
  return repair(attributes, maxLength, drops, oneType);
}

/**
 * The value as an attribute: itself when it fits, its strings cut to `maxLength` when they do not,
 * undefined when it is no attribute value. Reading it may throw (a revoked proxy as an array).
 */
function fitted(v: unknown, maxLength: number, oneType: boolean): AttributeValue | undefined {
  const t = typeof v;
  if (t === 'string') return cutText(v as string, maxLength);
  if (t === 'number' || t === 'boolean') return v as AttributeValue;
  if (!Array.isArray(v) || !validArrayValue(v, oneType)) return undefined;
  if (fittingArrayValue(v, maxLength, oneType)) return v as AttributeValue;
  return v.map((item) => (typeof item === 'string' ? cutText(item, maxLength) : item)) as AttributeValue;
}

/**
 * Each attribute that can be read and is an attribute value, cut to `maxLength`; undefined when
 * the set's own keys cannot be listed (a revoked proxy, an `ownKeys` trap that throws).
 */
function repair(
  attributes: Attributes,
  maxLength: number,
  drops: Pick<DropCounter, 'add'>,
  oneType: boolean,
): Attributes | undefined {
  let keys: string[];
  try {
    keys = Object.keys(attributes);
  } catch {
    drops.add('invalid_attribute');
    return undefined;
  }
  const out: Attributes = {};
  for (const key of keys) {
    let v: unknown;
    let value: AttributeValue | undefined;
    // OpenTelemetry wants a name (the SDK drops a nameless one from spans); Elasticsearch refuses it.
    if (key !== '') {
      try {
        v = attributes[key];
        // Unset, as `region: process.env.REGION` may be: OpenTelemetry's Attributes type allows it,
        // and spans leave it out too. It is no input lost.
        if (v === undefined) continue;
        value = fitted(v, maxLength, oneType);
      } catch {
        // A getter that throws, or a value that cannot be looked at: that attribute is dropped.
      }
    }
    if (value === undefined) {
      drops.add('invalid_attribute');
      continue;
    }
    // Not `!==`: NaN, kept as it is, is no truncation.
    if (!Object.is(value, v)) drops.add('truncated_attribute');
    out[key] = value;
  }
  return out;
}

/** The series a set of attributes makes, as the SDK tells them apart: by name and value, in any order. */
export function seriesKey(attributes: Attributes | undefined): string {
  if (attributes === undefined) return '';
  const keys = Object.keys(attributes).sort();
  return keys.length === 0 ? '' : JSON.stringify(keys.map((key) => [key, attributes[key]]));
}
