import {
  type EncodedBody,
  type MetricPoint,
  outsideWindow,
  type TimeWindow,
} from '../../src/export/index.js';
import {
  type DimensionList,
  LEFT_OUT_REASONS,
  type LeftOutReason,
  type OnLeftOut,
  seriesDimensions,
} from './dimensions.js';
import { bucketValueLists } from './histogram.js';
import { metricName } from './metric-name.js';
import { type CloudWatchUnit, toCloudWatchUnit } from './units.js';

/** PutMetricData per-request limits: 1,000 metrics; 1 MB per POST (a margin left for the SDK's own JSON). */
export const PUT_METRIC_DATA_MAX_ITEMS = 1000;
export const PUT_METRIC_DATA_MAX_BYTES = 1_000_000;
/** Most distinct values (with counts) in one datum. */
export const MAX_VALUES_PER_DATUM = 150;
const MAX_NAME_LENGTH = 255;
/** CloudWatch refuses values beyond ±2^360, and NaN or ±Infinity, with the whole request. */
const MAX_MAGNITUDE = 2 ** 360;

function isAccepted(value: number): boolean {
  return Math.abs(value) <= MAX_MAGNITUDE;
}

/** One PutMetricData `MetricDatum`, with the timestamp in epoch ms (the SDK call turns it into a Date). */
export interface MetricDatum {
  readonly MetricName: string;
  readonly Dimensions: { readonly Name: string; readonly Value: string }[];
  readonly Timestamp: number;
  readonly Unit: CloudWatchUnit;
  readonly StorageResolution?: 1;
  readonly Value?: number;
  readonly Values?: number[];
  readonly Counts?: number[];
}

/** Settings of {@link toMetricData}. */
export interface MetricDataSettings {
  readonly dimensions: DimensionList;
  readonly storageResolution: 1 | 60;
}

/**
 * Turns one collection's points into PutMetricData datums: sums and gauges as `Value`, histograms as
 * `Values`/`Counts` (see `bucketValueLists`: SampleCount, Minimum, Maximum and Sum are the recorded
 * ones, percentiles follow the buckets), cut into datums of at most 150 values. Values CloudWatch
 * rejects (NaN, infinite or beyond ±2^360), and points without a name, are reported through
 * `onInvalid`; a name past 255 characters is cut (see `metricName`) and counted with the cut
 * dimensions, once per point sent.
 *
 * @example
 * toMetricData(points, { dimensions: [['Service', 'shop']], storageResolution: 60 });
 * // [{ MetricName: 'orders', Dimensions: [{ Name: 'Service', Value: 'shop' }], Unit: 'Count', Value: 3, ... }]
 */
export function toMetricData(
  points: readonly MetricPoint[],
  settings: MetricDataSettings,
  onInvalid?: (count: number) => void,
  onLeftOut?: OnLeftOut,
): MetricDatum[] {
  const out: MetricDatum[] = [];
  let invalid = 0;
  // Summed over the collection, so diagnostics hear one count per reason, not one per point.
  const leftOut: Record<LeftOutReason, number> = { limit: 0, reserved: 0, unusable: 0, cut: 0 };
  const count: OnLeftOut = (n, reason) => {
    leftOut[reason] += n;
  };
  for (const p of points) {
    // A nameless datum gets the whole request refused; the SDK lets such an instrument through.
    if (p.name === '') {
      invalid++;
      continue;
    }
    let cutName = 0;
    const base = {
      MetricName: metricName(p.name, MAX_NAME_LENGTH, () => {
        cutName = 1;
      }),
      Dimensions: seriesDimensions(settings.dimensions, p.attributes, count).map(([Name, Value]) => ({
        Name,
        Value,
      })),
      Timestamp: Math.round(p.timeMs),
      Unit: toCloudWatchUnit(p.unit, p.monotonic),
      ...(settings.storageResolution === 1 ? { StorageResolution: 1 as const } : {}),
    };
    if (p.kind !== 'histogram') {
      if (isAccepted(p.value)) {
        out.push({ ...base, Value: p.value });
        leftOut.cut += cutName;
      } else invalid++;
      continue;
    }
    if (p.histogram.count === 0) continue;
    const { values, counts } = bucketValueLists(p.histogram);
    if (!values.every(isAccepted)) {
      invalid++;
      continue;
    }
    leftOut.cut += cutName;
    for (let i = 0; i < values.length; i += MAX_VALUES_PER_DATUM) {
      const end = i + MAX_VALUES_PER_DATUM;
      out.push({ ...base, Values: values.slice(i, end), Counts: counts.slice(i, end) });
    }
  }
  if (invalid > 0) onInvalid?.(invalid);
  for (const reason of LEFT_OUT_REASONS) {
    if (leftOut[reason] > 0) onLeftOut?.(leftOut[reason], reason);
  }
  return out;
}

/**
 * Encodes a batch of datums for the channel: the PutMetricData input's `MetricData` as JSON, so the
 * core measures and splits batches by (about) the size the SDK will send.
 *
 * @example
 * encodeMetricData(datums).contentType; // 'application/json'
 */
export function encodeMetricData(items: readonly MetricDatum[]): EncodedBody {
  return { body: JSON.stringify({ MetricData: items }), contentType: 'application/json' };
}

/** Datum timestamps PutMetricData takes: up to two weeks past and two hours ahead. */
const DATUM_WINDOW: TimeWindow = { pastMs: 14 * 24 * 3_600_000, aheadMs: 2 * 3_600_000 };

/**
 * Whether PutMetricData would refuse the datum if sent at `nowMs`: one outside its two weeks past
 * or two hours ahead (a process paused that long, a wall clock set back) fails the whole request,
 * with every datum sent beside it.
 */
export function datumExpired(datum: MetricDatum, nowMs: number): boolean {
  return outsideWindow(datum.Timestamp, nowMs, DATUM_WINDOW);
}

/** Reads a body made by {@link encodeMetricData} back into SDK input, timestamps as Dates. */
export function decodeMetricData(body: Uint8Array): Record<string, unknown>[] {
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { MetricData: MetricDatum[] };
  return parsed.MetricData.map((d) => ({ ...d, Timestamp: new Date(d.Timestamp) }));
}
