import type { Attributes } from '@opentelemetry/api';
import {
  type AdapterContext,
  cutDistinct,
  DIGEST_CHARS,
  keepNamesApart,
  withDigest,
} from '../../src/export/index.js';

/** Most dimension keys in one EMF dimension set or one PutMetricData datum. */
export const MAX_DIMENSIONS = 30;
const MAX_KEY_LENGTH = 250;
const MAX_VALUE_LENGTH = 1024;
/** Ends a cut name or value before its digest: printable ASCII, as dimensions must be, and rare in them. */
export const CUT_MARK = '~';
// The EMF metadata member: a dimension of that name would replace it and break the document.
const RESERVED_KEY = '_aws';

/** A series' dimensions in order: name, value. */
export type DimensionList = readonly (readonly [string, string])[];

/**
 * Why attributes do not reach a dimension set whole: left out over the 30-dimension limit, for
 * being named `_aws`, or as `unusable` (a blank name, an empty value, which CloudWatch refuses, or
 * the name of a static dimension or of one of the document's own members, which keeps it), or cut
 * to the length CloudWatch takes (as metric names are, counted with them).
 */
export type LeftOutReason = 'limit' | 'reserved' | 'unusable' | 'cut';
export const LEFT_OUT_REASONS: readonly LeftOutReason[] = ['limit', 'reserved', 'unusable', 'cut'];
export type OnLeftOut = (count: number, reason: LeftOutReason) => void;

// Most names need no cleaning: printable ASCII, not starting with a space or ':'.
const PLAIN_KEY = /^[!-9;-~][ -~]*$/;
const PLAIN_VALUE = /^[\x20-\x7e]*$/;

/**
 * A dimension name in the characters CloudWatch takes: printable ASCII, no leading `:`
 * (PutMetricData reserves it). Control characters are removed and other non-ASCII characters become
 * `_`, since one such name makes PutMetricData refuse the whole request. Returns `undefined` when
 * nothing but whitespace is left.
 */
function cleanKey(key: string): string | undefined {
  const clean = PLAIN_KEY.test(key)
    ? key
    : key
        .replace(/[\u0000-\u001f\u007f]/g, '')
        .replace(/[^\x20-\x7e]/gu, '_')
        .replace(/^:+/, '');
  return clean.trim() === '' ? undefined : clean;
}

/** A clean name within 250 characters: a longer one ends in `~` and a digest of the whole (see `cutDistinct`). */
function cutKey(clean: string, onCut?: () => void): string {
  if (clean.length <= MAX_KEY_LENGTH) return clean;
  onCut?.();
  return cutDistinct(clean, MAX_KEY_LENGTH, CUT_MARK);
}

/**
 * A dimension value as CloudWatch takes it: printable ASCII (others become `?`, since both EMF and
 * PutMetricData refuse non-ASCII values), at most 1024 characters. A longer one ends in `~` and a
 * digest of the whole, so values that differ only past the limit (long URLs) keep their series
 * apart, and `onCut` hears of it; so does one with characters that become `?`, so values that differ
 * only in them (`北京` and `上海`) keep theirs apart. `undefined` for empty values, which CloudWatch
 * refuses too.
 */
export function dimensionValue(value: unknown, onCut?: () => void): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value)) text = value.map((v) => String(v)).join(',');
  else return undefined;
  if (PLAIN_VALUE.test(text)) {
    if (text.length <= MAX_VALUE_LENGTH) return text === '' ? undefined : text;
    onCut?.();
    return cutDistinct(text, MAX_VALUE_LENGTH, CUT_MARK);
  }
  if (text.length > MAX_VALUE_LENGTH - CUT_MARK.length - DIGEST_CHARS) onCut?.();
  return withDigest(text, MAX_VALUE_LENGTH, CUT_MARK).replace(/[^\x20-\x7e]/g, '?');
}

/**
 * The dimensions of one series: the static ones (Service, Environment, the user's) first, then the
 * series' attributes sorted by key, at most 30 in all. A static key wins over an attribute of the
 * same name, as does a name in `taken` (a member the document holds for itself); an attribute named
 * `_aws` is left out in both modes, so a series keeps the same dimensions whichever mode sends it,
 * and so is one with a blank name or an empty value. `onLeftOut` hears how many attributes did not
 * fit, and why, and how many names and values were cut.
 *
 * @example
 * seriesDimensions([['Service', 'checkout']], { route: '/pay' }); // [['Service','checkout'],['route','/pay']]
 */
export function seriesDimensions(
  fixed: DimensionList,
  attributes: Attributes,
  onLeftOut?: OnLeftOut,
  taken: readonly string[] = [],
): DimensionList {
  const out: [string, string][] = fixed.map(([k, v]) => [k, v]);
  const seen = new Set([...fixed.map(([k]) => k), ...taken]);
  const keys = Object.keys(attributes).sort();
  // The static names go first, as they are, so a name cleaned into one of them gives way to it.
  const staticNames = [...seen];
  const names = [...staticNames, ...keys.map(cleanKey)];
  keepNamesApart([...staticNames, ...keys], names, CUT_MARK);
  let truncated = 0;
  let reserved = 0;
  let unusable = 0;
  let cut = 0;
  // Cuts of the attribute at hand, counted once it is kept.
  let cutHere = 0;
  const onCut = () => {
    cutHere++;
  };
  for (let i = 0; i < keys.length; i++) {
    cutHere = 0;
    const clean = names[staticNames.length + i];
    const key = clean === undefined ? undefined : cutKey(clean, onCut);
    const value = dimensionValue(attributes[keys[i] as string], onCut);
    if (key === undefined || value === undefined || seen.has(key)) {
      unusable++;
      continue;
    }
    if (key === RESERVED_KEY) {
      reserved++;
      continue;
    }
    if (out.length >= MAX_DIMENSIONS) {
      truncated++;
      continue;
    }
    cut += cutHere;
    seen.add(key);
    out.push([key, value]);
  }
  if (truncated > 0) onLeftOut?.(truncated, 'limit');
  if (reserved > 0) onLeftOut?.(reserved, 'reserved');
  if (unusable > 0) onLeftOut?.(unusable, 'unusable');
  if (cut > 0) onLeftOut?.(cut, 'cut');
  return out;
}

/**
 * Reports dimensions left out through diagnostics (rate-limited per reason), for `signal`, and
 * counts them in `obs.drops()`: those beyond the 30 as `attribute_count_limit`, the others left out
 * as `invalid_attribute`; names and values cut as `truncated_attribute`.
 *
 * @example
 * seriesDimensions(fixed, attributes, reportLeftOut(ctx, 'metrics'));
 */
export function reportLeftOut(
  { diag, countDrop }: Pick<AdapterContext, 'diag' | 'countDrop'>,
  signal: 'metrics' | 'events',
): OnLeftOut {
  return (count, reason) => {
    if (reason === 'cut') countDrop('truncated_attribute', count);
    else if (reason === 'limit') {
      countDrop('attribute_count_limit', count);
      diag.warn(
        `export.cloudwatch.${signal}.dimensions`,
        `cloudwatch ${signal}: ${count} dimensions beyond CloudWatch's 30 were left out of the dimension sets`,
      );
    } else if (reason === 'unusable') {
      countDrop('invalid_attribute', count);
      const which =
        signal === 'events'
          ? "attributes or dimensions with a blank name, an empty value, a static dimension's name or one the event keeps for its own members (Metric, AnomalyScore, AnomalySeverity, level, message, ...)"
          : "attributes with a blank name, an empty value or a static dimension's name";
      diag.warn(
        `export.cloudwatch.${signal}.unusable_dimension`,
        `cloudwatch ${signal}: ${count} ${which} were left out of the dimension sets`,
      );
    } else {
      countDrop('invalid_attribute', count);
      diag.warn(
        `export.cloudwatch.${signal}.reserved_dimension`,
        `cloudwatch ${signal}: ${count} attributes named _aws were left out of the dimension sets; EMF keeps its metadata under that name`,
      );
    }
  };
}
