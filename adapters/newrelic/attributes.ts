import { type AdapterContext, cutDistinct, cutText } from '../../src/export/index.js';

/** A value every New Relic ingest API accepts as an attribute. */
export type NrValue = string | number | boolean;

/** Attribute names must stay under 255 characters on every New Relic API. */
export const MAX_NAME_CHARS = 254;
/**
 * An attribute name within the characters New Relic takes: a longer one ends in `_` and a digest of
 * the whole, so names that share their first characters stay two attributes (and the series they
 * tell apart stay apart); `onCut` hears of it. `_` and hex digits suit the Metric API's names too.
 *
 * @example
 * cutName(`cache.${'k'.repeat(300)}`).length; // 254
 */
export function cutName(name: string, onCut?: () => void): string {
  if (name.length <= MAX_NAME_CHARS) return name;
  onCut?.();
  return cutDistinct(name, MAX_NAME_CHARS, '_');
}

/**
 * What a record's attributes lost to New Relic's limits: how many were left out, how many names (and
 * Log API values) were cut.
 */
export interface AttributeCuts {
  leftOut: number;
  cut: number;
}

/** Counts `cuts` in `obs.drops()`: `attribute_count_limit` and `truncated_attribute`. */
export function countCuts(cuts: AttributeCuts, countDrop: AdapterContext['countDrop']): void {
  if (cuts.leftOut > 0) countDrop('attribute_count_limit', cuts.leftOut);
  if (cuts.cut > 0) countDrop('truncated_attribute', cuts.cut);
}

/** Attribute value cap of the Metric and Event APIs (the Log API keeps longer values as blobs). */
export const MAX_VALUE_CHARS = 4096;

/**
 * Converts one attribute value to what New Relic stores: strings (capped), finite numbers and
 * booleans as they are; arrays and objects as JSON text, since no New Relic API takes arrays;
 * `null`/`undefined` are left out.
 */
export function toNrValue(value: unknown, maxChars: number): NrValue | undefined {
  switch (typeof value) {
    case 'string':
      return cutText(value, maxChars);
    case 'number':
      // NaN and ±Infinity are dropped by New Relic; as text they at least keep the series' identity.
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return cutText(value.toString(), maxChars);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      if (value === null) return undefined;
      return cutText(safeJson(value), maxChars);
  }
}

/** JSON text of a value that may be circular or hold bigints; never throws. */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
  } catch {
    return '[unserialisable]';
  }
}

/** Rough JSON size of an attribute map, for pre-cutting batches (the encoded body is checked anyway). */
export function estimateAttributes(attributes: Readonly<Record<string, NrValue>> | undefined): number {
  if (attributes === undefined) return 0;
  let bytes = 2;
  for (const key in attributes) {
    const v = attributes[key];
    bytes += key.length + 4 + (typeof v === 'string' ? v.length + 2 : 12);
  }
  return bytes;
}
