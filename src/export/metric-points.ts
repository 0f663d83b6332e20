import type { Attributes } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InstrumentType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** The instrument a point came from, in the words adapters map to vendor types. */
export type MetricKind =
  | 'counter'
  | 'upDownCounter'
  | 'histogram'
  | 'gauge'
  | 'observableCounter'
  | 'observableUpDownCounter'
  | 'observableGauge';

interface MetricPointBase {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly temporality: 'delta' | 'cumulative';
  /** True for sums that only grow (counters); false for up-down counters, gauges and histograms. */
  readonly monotonic: boolean;
  readonly attributes: Attributes;
  readonly startTimeMs: number;
  readonly timeMs: number;
}

/** A sum or gauge value. */
export interface NumberPoint extends MetricPointBase {
  readonly kind: Exclude<MetricKind, 'histogram'>;
  readonly value: number;
}

/** An explicit-bucket histogram; `counts` has `boundaries.length + 1` entries. */
export interface HistogramPoint extends MetricPointBase {
  readonly kind: 'histogram';
  readonly histogram: {
    readonly count: number;
    readonly sum: number;
    readonly min?: number;
    readonly max?: number;
    readonly buckets: { readonly boundaries: number[]; readonly counts: number[] };
  };
}

/** One data point, flattened from the SDK's nested `ResourceMetrics`; switch on `kind`. */
export type MetricPoint = NumberPoint | HistogramPoint;

/**
 * Adds a histogram's delta to another's. With other boundaries (two instruments one backend reads
 * as one metric), the counts are added on the boundaries both have: each bucket of either lies
 * whole in one of those, so no value is placed in a bucket it was not recorded in, at the cost of
 * the finer buckets.
 */
export function addHistogram(into: Histogram, delta: Histogram): Histogram {
  const a = into.buckets;
  const b = delta.buckets;
  let buckets: Histogram['buckets'];
  if (sameBoundaries(a.boundaries, b.boundaries) && a.counts.length === b.counts.length) {
    buckets = { boundaries: b.boundaries, counts: a.counts.map((c, i) => c + (b.counts[i] ?? 0)) };
  } else {
    const common = a.boundaries.filter((x) => b.boundaries.includes(x));
    const counts = onBoundaries(a, common);
    const added = onBoundaries(b, common);
    for (let i = 0; i < counts.length; i++) counts[i] = (counts[i] as number) + (added[i] as number);
    buckets = { boundaries: common, counts };
  }
  return {
    buckets,
    count: into.count + delta.count,
    sum: (into.sum ?? 0) + (delta.sum ?? 0),
    min:
      into.min === undefined ? delta.min : delta.min === undefined ? into.min : Math.min(into.min, delta.min),
    max:
      into.max === undefined ? delta.max : delta.max === undefined ? into.max : Math.max(into.max, delta.max),
  };
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `buckets`' counts on `boundaries`, a subset of its own: each bucket added to the one holding it. */
function onBoundaries(buckets: Histogram['buckets'], boundaries: readonly number[]): number[] {
  const counts = new Array<number>(boundaries.length + 1).fill(0);
  let k = 0;
  for (let i = 0; i < buckets.counts.length; i++) {
    const upper = buckets.boundaries[i] ?? Number.POSITIVE_INFINITY;
    while (k < boundaries.length && (boundaries[k] as number) < upper) k++;
    counts[k] = (counts[k] as number) + (buckets.counts[i] ?? 0);
  }
  return counts;
}

/**
 * One delta histogram point covering two of a series that follow each other, `earlier` then
 * `later`: their histograms added up, from the start of the first to the end of the second.
 *
 * @example
 * addHistogramDeltas(latencyAt0, latencyAt1).histogram.count; // the two counts added up
 */
export function addHistogramDeltas(earlier: HistogramPoint, later: HistogramPoint): HistogramPoint {
  const { min, max, ...h } = addHistogram(earlier.histogram, later.histogram);
  return {
    ...later,
    startTimeMs: earlier.startTimeMs,
    histogram: {
      ...h,
      sum: h.sum ?? 0,
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
    },
  };
}

const KIND_BY_TYPE: Partial<Record<string, MetricKind>> = {
  [InstrumentType.COUNTER]: 'counter',
  [InstrumentType.UP_DOWN_COUNTER]: 'upDownCounter',
  [InstrumentType.GAUGE]: 'gauge',
  [InstrumentType.OBSERVABLE_COUNTER]: 'observableCounter',
  [InstrumentType.OBSERVABLE_UP_DOWN_COUNTER]: 'observableUpDownCounter',
  [InstrumentType.OBSERVABLE_GAUGE]: 'observableGauge',
};

/**
 * Flattens an SDK `ResourceMetrics` into plain points adapters can encode one by one. Exponential
 * histograms (sightline never configures them) are skipped and reported through `onSkipped`.
 * Bucket arrays are copied, since the SDK keeps mutating its cumulative accumulations.
 *
 * @example
 * for (const p of flattenResourceMetrics(resourceMetrics)) {
 *   if (p.kind === 'histogram') encodeHistogram(p.name, p.histogram);
 *   else encodeNumber(p.name, p.value, p.monotonic);
 * }
 */
export function flattenResourceMetrics(
  resourceMetrics: ResourceMetrics,
  onSkipped?: (count: number) => void,
): MetricPoint[] {
  const points: MetricPoint[] = [];
  let skipped = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) skipped += flattenMetric(metric, points);
  }
  if (skipped > 0) onSkipped?.(skipped);
  return points;
}

function flattenMetric(metric: MetricData, out: MetricPoint[]): number {
  const { name, description, unit } = metric.descriptor;
  const temporality = metric.aggregationTemporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative';
  // At runtime the descriptor is the SDK's instrument descriptor, which also carries the instrument type.
  const type = (metric.descriptor as { type?: string }).type;
  switch (metric.dataPointType) {
    case DataPointType.SUM: {
      let kind = type ? KIND_BY_TYPE[type] : undefined;
      if (kind === undefined || kind === 'gauge' || kind === 'observableGauge') {
        kind = metric.isMonotonic ? 'counter' : 'upDownCounter';
      }
      for (const dp of metric.dataPoints) {
        out.push({
          name,
          description,
          unit,
          kind: kind as NumberPoint['kind'],
          temporality,
          monotonic: metric.isMonotonic,
          attributes: dp.attributes,
          startTimeMs: hrTimeToMilliseconds(dp.startTime),
          timeMs: hrTimeToMilliseconds(dp.endTime),
          value: dp.value,
        });
      }
      return 0;
    }
    case DataPointType.GAUGE: {
      const kind = type === InstrumentType.OBSERVABLE_GAUGE ? 'observableGauge' : 'gauge';
      for (const dp of metric.dataPoints) {
        out.push({
          name,
          description,
          unit,
          kind,
          temporality,
          monotonic: false,
          attributes: dp.attributes,
          startTimeMs: hrTimeToMilliseconds(dp.startTime),
          timeMs: hrTimeToMilliseconds(dp.endTime),
          value: dp.value,
        });
      }
      return 0;
    }
    case DataPointType.HISTOGRAM: {
      for (const dp of metric.dataPoints) {
        const h = dp.value;
        out.push({
          name,
          description,
          unit,
          kind: 'histogram',
          temporality,
          monotonic: false,
          attributes: dp.attributes,
          startTimeMs: hrTimeToMilliseconds(dp.startTime),
          timeMs: hrTimeToMilliseconds(dp.endTime),
          histogram: {
            count: h.count,
            sum: h.sum ?? 0,
            ...(h.min !== undefined && Number.isFinite(h.min) ? { min: h.min } : {}),
            ...(h.max !== undefined && Number.isFinite(h.max) ? { max: h.max } : {}),
            buckets: { boundaries: h.buckets.boundaries.slice(), counts: h.buckets.counts.slice() },
          },
        });
      }
      return 0;
    }
    default:
      return metric.dataPoints.length;
  }
}
