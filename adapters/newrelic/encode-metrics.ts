import { createHash } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';
import {
  cutDistinct,
  type EncodedBody,
  keepNamesApart,
  type MetricPoint,
  setField,
} from '../../src/export/index.js';
import { cutName, estimateAttributes, MAX_VALUE_CHARS, type NrValue, toNrValue } from './attributes.js';

/** A summary value: New Relic's pre-aggregated histogram over `interval.ms`. */
export interface NrSummary {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** One Metric API data point. */
export interface NrMetric {
  readonly name: string;
  readonly type: 'gauge' | 'count' | 'summary';
  readonly value: number | NrSummary;
  /** Epoch ms: the window's start for `count` and `summary`, the observation time for `gauge`. */
  readonly timestamp: number;
  readonly 'interval.ms'?: number;
  readonly attributes?: Record<string, NrValue>;
}

/** Most attributes on one data point, `common` included. */
export const MAX_METRIC_ATTRIBUTES = 100;

// Keys the Metric API overwrites, reserves for its JSON format, or asks to avoid; such attributes are
// renamed with an `attr.` prefix rather than dropped, so the series keeps its identity.
const RESERVED = new Set([
  'newrelic.source',
  'metricName',
  'endTimestamp',
  'entity.guid',
  'entity.name',
  'entity.type',
  'interval.ms',
  'timestamp',
  'value',
  'common',
  'min',
  'max',
  'count',
  'sum',
  'metrics',
  'accountId',
  'appId',
  'eventType',
]);

/**
 * Metric API attribute names allow letters, digits, `:`, `.` and `_`; anything else becomes `_`.
 * A name past the limit is cut as {@link cutName} cuts it; `onCut` hears of it.
 */
export function metricAttributeName(key: string, metricName: string, onCut?: () => void): string | undefined {
  const name = allowedName(key, metricName);
  return name === undefined ? undefined : cutName(name, onCut);
}

/** `key` in the characters the Metric API takes, renamed away from a reserved key or the metric's name. */
function allowedName(key: string, metricName: string): string | undefined {
  let name = key.replace(/[^A-Za-z0-9:._]/g, '_');
  if (name === '') return undefined;
  if (RESERVED.has(name) || name === metricName) name = `attr.${name}`;
  return name;
}

/** Where a point with more attributes than the Metric API takes keeps a digest of those left out. */
const LEFT_OUT_DIGEST_KEY = 'sightline.attributes_left_out';

/**
 * A point's attributes for the Metric API, how many were left out to stay within the count cap, and
 * how many names and values were cut.
 */
interface PointAttributes {
  readonly attributes: Record<string, NrValue> | undefined;
  readonly leftOut: number;
  readonly cut: number;
}

/**
 * Sanitises an attribute map for the Metric API: names, value types and lengths, and a count cap. A
 * value past the Metric API's 4,096 characters (with a `maxAttributeLength` above it) ends in `~`
 * and a digest of the whole, so values that differ only past the cut keep their series apart. One
 * naming a `common` attribute with another value is renamed `attr.<name>`: on a point, New Relic
 * takes it in place of the shared one, so `service.name: 'payments'` (a gateway's downstream) would
 * move the point to another entity, and `host.name` to another host. One repeating the shared value
 * is left out.
 */
export function metricAttributes(
  attributes: Attributes,
  metricName: string,
  maxCount: number,
  common: Readonly<Record<string, NrValue>> = {},
): PointAttributes {
  const keys: string[] = [];
  const names: (string | undefined)[] = [];
  const values: NrValue[] = [];
  for (const key in attributes) {
    const value = toNrValue(attributes[key], Number.POSITIVE_INFINITY);
    if (value === undefined) continue;
    let name = allowedName(key, metricName);
    if (name !== undefined && Object.hasOwn(common, name)) {
      if (common[name] === value) continue;
      name = `attr.${name}`;
    }
    keys.push(key);
    names.push(name);
    values.push(value);
  }
  // Two names the rules made one (`user-id` and `user_id`) would overwrite each other.
  keepNamesApart(keys, names, '_');
  let out: Record<string, NrValue> | undefined;
  let n = 0;
  let cut = 0;
  const onCut = () => {
    cut++;
  };
  for (let i = 0; i < names.length; i++) {
    const allowed = names[i];
    if (allowed === undefined) continue;
    const value = values[i] as NrValue;
    const name = cutName(allowed, onCut);
    out ??= {};
    if (!Object.hasOwn(out, name)) n++;
    if (typeof value !== 'string' || value.length <= MAX_VALUE_CHARS) setField(out, name, value);
    else {
      onCut();
      setField(out, name, cutDistinct(value, MAX_VALUE_CHARS, '~'));
    }
  }
  if (out === undefined || n <= maxCount) return { attributes: out, leftOut: 0, cut };
  return { ...withinCount(out, maxCount), cut };
}

/**
 * The first attributes, and in the last place the cap leaves a digest of the others: series that
 * only those left out tell apart would otherwise reach New Relic as points of one series, at one
 * timestamp, which it adds up or picks one of.
 */
function withinCount(all: Record<string, NrValue>, maxCount: number): Omit<PointAttributes, 'cut'> {
  const room = Math.max(0, maxCount - 1);
  const kept: Record<string, NrValue> = {};
  const digest = createHash('sha256');
  const names = Object.keys(all);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (i < room) setField(kept, name, all[name] as NrValue);
    else digest.update(JSON.stringify([name, all[name]]));
  }
  setField(kept, LEFT_OUT_DIGEST_KEY, digest.digest('hex').slice(0, 16));
  return { attributes: kept, leftOut: names.length - room };
}

/** What {@link toNrMetrics} made of one collection. */
export interface ConvertedMetrics {
  readonly metrics: NrMetric[];
  /** Points New Relic would drop (NaN or infinite values), counted as `invalid`. */
  readonly invalid: number;
  /** Attributes left out past the count cap, counted as `attribute_count_limit`. */
  readonly leftOut: number;
  /**
   * Metric names (once per point sent), attribute names and values cut to the Metric API's lengths,
   * counted as `truncated_attribute`.
   */
  readonly cut: number;
}

/**
 * Maps flattened SDK points to Metric API data points. The exporter asks the SDK for delta
 * counters and histograms and cumulative up-down counters and gauges, so:
 * - a monotonic delta sum is a `count` over [start, end);
 * - a delta histogram is a `summary` (count, sum, min, max) over [start, end); empty ones are skipped;
 * - anything else is a `gauge` at the collection time: a cumulative up-down counter's value is the
 *   running total since start, which is exactly the current level (a queue depth, open connections),
 *   so the gauge shows the level rather than the change, as New Relic asks for non-monotonic sums.
 */
export function toNrMetrics(
  points: readonly MetricPoint[],
  maxAttributes: number,
  common: Readonly<Record<string, NrValue>> = {},
): ConvertedMetrics {
  const metrics: NrMetric[] = [];
  let invalid = 0;
  let leftOut = 0;
  let cut = 0;
  for (const p of points) {
    let cutHere = 0;
    const name = cutName(p.name, () => {
      cutHere = 1;
    });
    const fitted = metricAttributes(p.attributes, name, maxAttributes, common);
    const attributes = fitted.attributes;
    leftOut += fitted.leftOut;
    cut += fitted.cut;
    const end = Math.floor(p.timeMs);
    const start = Math.floor(p.startTimeMs);
    const interval = Math.max(1, end - start);
    if (p.kind === 'histogram') {
      const h = p.histogram;
      if (h.count === 0) continue;
      if (!Number.isFinite(h.sum)) {
        invalid++;
        continue;
      }
      // min/max are always recorded by sightline's views; the mean is the honest stand-in otherwise.
      const mean = h.sum / h.count;
      const value: NrSummary = { count: h.count, sum: h.sum, min: h.min ?? mean, max: h.max ?? mean };
      cut += cutHere;
      metrics.push(
        withAttributes(
          { name, type: 'summary', value, timestamp: start, 'interval.ms': interval },
          attributes,
        ),
      );
      continue;
    }
    if (!Number.isFinite(p.value)) {
      invalid++;
      continue;
    }
    cut += cutHere;
    if (p.monotonic && p.temporality === 'delta') {
      metrics.push(
        withAttributes(
          { name, type: 'count', value: p.value, timestamp: start, 'interval.ms': interval },
          attributes,
        ),
      );
    } else {
      metrics.push(withAttributes({ name, type: 'gauge', value: p.value, timestamp: end }, attributes));
    }
  }
  return { metrics, invalid, leftOut, cut };
}

function withAttributes(metric: NrMetric, attributes: Record<string, NrValue> | undefined): NrMetric {
  return attributes === undefined ? metric : { ...metric, attributes };
}

/** Rough encoded size of one data point. */
export function sizeOfMetric(metric: NrMetric): number {
  return 96 + metric.name.length + estimateAttributes(metric.attributes);
}

/**
 * Encodes a batch as one Metric API map: shared attributes (service, environment, host) once in
 * `common`, the data points under `metrics`.
 *
 * @example
 * encodeMetrics(points, { 'service.name': 'checkout' });
 * // [{"common":{"attributes":{"service.name":"checkout"}},"metrics":[{"name":"orders","type":"count",...}]}]
 */
export function encodeMetrics(
  metrics: readonly NrMetric[],
  common: Readonly<Record<string, NrValue>>,
): EncodedBody {
  return {
    body: JSON.stringify([{ common: { attributes: common }, metrics }]),
    contentType: 'application/json',
  };
}

/** The oldest point the Metric API keeps, and the furthest ahead, in ms. */
const MAX_POINT_AGE_MS = 48 * 3_600_000;
const MAX_POINT_AHEAD_MS = 24 * 3_600_000;

/** Whether the Metric API would drop the point if sent at `nowMs`: over 48 hours old or 24 ahead. */
export function metricExpired(metric: NrMetric, nowMs: number): boolean {
  return metric.timestamp < nowMs - MAX_POINT_AGE_MS || metric.timestamp > nowMs + MAX_POINT_AHEAD_MS;
}
