import type { Attributes } from '@opentelemetry/api';
import type { AdapterContext } from '../../src/export/index.js';

/** Most dimension keys in one EMF dimension set or one PutMetricData datum. */
export const MAX_DIMENSIONS = 30;
const MAX_KEY_LENGTH = 250;
const MAX_VALUE_LENGTH = 1024;
// The EMF metadata member: a dimension of that name would replace it and break the document.
const RESERVED_KEY = '_aws';

/** A series' dimensions in order: name, value. */
export type DimensionList = readonly (readonly [string, string])[];

/** Why attributes stay out of a dimension set: over the 30-dimension limit, or named `_aws`. */
export type LeftOutReason = 'limit' | 'reserved';
export type OnLeftOut = (count: number, reason: LeftOutReason) => void;

// Most names need no cleaning: printable ASCII, not starting with a space or ':'.
const PLAIN_KEY = /^[!-9;-~][ -~]*$/;

/**
 * A dimension name as CloudWatch takes it: 1..250 printable ASCII characters, no leading `:`
 * (PutMetricData reserves it). Control characters are removed and other non-ASCII characters become
 * `_`, since one such name makes PutMetricData refuse the whole request. Returns `undefined` when
 * nothing but whitespace is left.
 */
export function dimensionKey(key: string): string | undefined {
  const clean = PLAIN_KEY.test(key)
    ? key
    : key
        .replace(/[\u0000-\u001f\u007f]/g, '')
        .replace(/[^\x20-\x7e]/gu, '_')
        .replace(/^:+/, '');
  if (clean.trim() === '') return undefined;
  return clean.length > MAX_KEY_LENGTH ? clean.slice(0, MAX_KEY_LENGTH) : clean;
}

/**
 * A dimension value as CloudWatch takes it: printable ASCII (others become `?`, since both EMF and
 * PutMetricData refuse non-ASCII values), at most 1024 characters. `undefined` for empty values,
 * which CloudWatch refuses too.
 */
export function dimensionValue(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value)) text = value.map((v) => String(v)).join(',');
  else return undefined;
  if (text.length > MAX_VALUE_LENGTH) text = text.slice(0, MAX_VALUE_LENGTH);
  text = text.replace(/[^\x20-\x7e]/g, '?');
  return text === '' ? undefined : text;
}

/**
 * The dimensions of one series: the static ones (Service, Environment, the user's) first, then the
 * series' attributes sorted by key, at most 30 in all. A static key wins over an attribute of the
 * same name; an attribute named `_aws` is left out in both modes, so a series keeps the same
 * dimensions whichever mode sends it. `onLeftOut` hears how many attributes did not fit, and why.
 *
 * @example
 * seriesDimensions([['Service', 'checkout']], { route: '/pay' }); // [['Service','checkout'],['route','/pay']]
 */
export function seriesDimensions(
  fixed: DimensionList,
  attributes: Attributes,
  onLeftOut?: OnLeftOut,
): DimensionList {
  const out: [string, string][] = fixed.map(([k, v]) => [k, v]);
  const seen = new Set(fixed.map(([k]) => k));
  const keys = Object.keys(attributes).sort();
  let truncated = 0;
  let reserved = 0;
  for (const raw of keys) {
    const key = dimensionKey(raw);
    const value = dimensionValue(attributes[raw]);
    if (key === undefined || value === undefined || seen.has(key)) continue;
    if (key === RESERVED_KEY) {
      reserved++;
      continue;
    }
    if (out.length >= MAX_DIMENSIONS) {
      truncated++;
      continue;
    }
    seen.add(key);
    out.push([key, value]);
  }
  if (truncated > 0) onLeftOut?.(truncated, 'limit');
  if (reserved > 0) onLeftOut?.(reserved, 'reserved');
  return out;
}

/**
 * Reports dimensions left out through diagnostics (rate-limited per reason), for `signal`; those
 * beyond the 30 are counted in `obs.drops()` as `attribute_count_limit`.
 *
 * @example
 * seriesDimensions(fixed, attributes, reportLeftOut(ctx, 'metrics'));
 */
export function reportLeftOut(
  { diag, countDrop }: Pick<AdapterContext, 'diag' | 'countDrop'>,
  signal: 'metrics' | 'events',
): OnLeftOut {
  return (count, reason) => {
    if (reason === 'limit') {
      countDrop('attribute_count_limit', count);
      diag.warn(
        `export.cloudwatch.${signal}.dimensions`,
        `cloudwatch ${signal}: ${count} dimensions beyond CloudWatch's 30 were left out of the dimension sets`,
      );
    } else
      diag.warn(
        `export.cloudwatch.${signal}.reserved_dimension`,
        `cloudwatch ${signal}: ${count} attributes named _aws were left out of the dimension sets; EMF keeps its metadata under that name`,
      );
  };
}
