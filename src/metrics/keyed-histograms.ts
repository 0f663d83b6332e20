import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { type InstrumentationScope, millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type HistogramMetricData,
  InstrumentType,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';

/** Where an instance keeps its keyed histograms; shared by every copy of the package, like the global slot. */
export const KEYED_HISTOGRAMS = Symbol.for('sightline.metrics.keyedHistograms');

/** The attributes of the series that takes what no longer fits under the cardinality limit. */
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });
const OVERFLOW_KEY = '\u0000overflow';

// Per reader, a series holds its bucket counts, then these four fields.
const COUNT = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;

export interface KeyedHistogramOptions {
  unit: string;
  description: string;
  /** Upper bucket boundaries, ascending; a value equal to a boundary falls in that boundary's bucket. */
  buckets: readonly number[];
}

interface Series {
  readonly attributes: Attributes;
  /** One slice per reader: the bucket counts, then count, sum, min and max. */
  readonly state: Float64Array;
  readonly startTime: HrTime;
}

/**
 * A histogram whose series the caller names with a string key: recording costs a map lookup and a
 * few additions, where the SDK's histogram sorts and serialises the attributes once for every
 * metric reader. Made for the HTTP duration histograms, which record on every request. Each reader
 * gets the points through a {@link MetricProducer}, with its own temporality, so the exported
 * metric is the one the SDK would export for the same recordings.
 */
export class KeyedHistogram {
  private readonly series = new Map<string, Series>();
  private readonly boundaries: number[];
  private readonly stride: number;

  constructor(
    readonly name: string,
    readonly options: KeyedHistogramOptions,
    private readonly readers: number,
    private readonly cardinalityLimit: number,
    /** Each reader's own limit, at most `cardinalityLimit`: the series past it fold at collection. */
    private readonly limits: readonly number[],
    private readonly owner: { readonly afterShutdown: (() => void) | undefined },
  ) {
    this.boundaries = [...options.buckets];
    this.stride = this.boundaries.length + 1 + 4;
  }

  /**
   * Records `value` in the series `key`; `attributes` makes that series' attributes the first
   * time the key is seen, and is not called again for it.
   */
  record(value: number, key: string, attributes: () => Attributes): void {
    if (Number.isNaN(value)) return;
    // No reader collects after shutdown: a request that ends later loses its duration, counted.
    const late = this.owner.afterShutdown;
    if (late !== undefined) {
      late();
      return;
    }
    let s = this.series.get(key);
    if (s === undefined) s = this.add(key, attributes);
    const b = bucketOf(this.boundaries, value);
    const counts = this.boundaries.length + 1;
    const state = s.state;
    for (let base = 0; base < state.length; base += this.stride) {
      state[base + b] = state[base + b]! + 1;
      const f = base + counts;
      state[f + COUNT] = state[f + COUNT]! + 1;
      state[f + SUM] = state[f + SUM]! + value;
      if (value < state[f + MIN]!) state[f + MIN] = value;
      if (value > state[f + MAX]!) state[f + MAX] = value;
    }
  }

  private add(key: string, attributes: () => Attributes): Series {
    // The SDK's limit counts the overflow series too.
    if (this.series.size >= this.cardinalityLimit - 1) {
      const overflow = this.series.get(OVERFLOW_KEY);
      if (overflow !== undefined) return overflow;
      key = OVERFLOW_KEY;
      attributes = () => OVERFLOW_ATTRIBUTES;
    }
    const state = new Float64Array(this.readers * this.stride);
    for (let r = 0; r < this.readers; r++) resetSlice(state, r * this.stride, this.boundaries.length + 1);
    const s: Series = { attributes: attributes(), state, startTime: millisToHrTime(Date.now()) };
    this.series.set(key, s);
    return s;
  }

  /** Recordings some reader has yet to collect; a cumulative reader's never drop to zero. */
  private unread(state: Float64Array): number {
    const f = this.boundaries.length + 1 + COUNT;
    let n = 0;
    for (let base = 0; base < state.length; base += this.stride) n += state[base + f]!;
    return n;
  }

  /** This histogram's points for reader `reader`; a delta reader's slices start again from zero. */
  collect(
    reader: number,
    temporality: AggregationTemporality,
    since: HrTime,
    now: HrTime,
  ): HistogramMetricData {
    const counts = this.boundaries.length + 1;
    const delta = temporality === AggregationTemporality.DELTA;
    const base = reader * this.stride;
    const dataPoints: HistogramMetricData['dataPoints'] = [];
    // Series are kept in the order first recorded, as the SDK's storage gives out its places.
    const apart = (this.limits[reader] ?? this.cardinalityLimit) - 1;
    let overflow: Float64Array | undefined;
    for (const [key, s] of this.series) {
      const state = s.state;
      const f = base + counts;
      const count = state[f + COUNT]!;
      if (count === 0) continue;
      if (key === OVERFLOW_KEY || dataPoints.length >= apart) {
        overflow ??= newSlice(this.stride, counts);
        addSlice(overflow, state, base, counts);
      } else {
        dataPoints.push(this.point(s.attributes, delta ? since : s.startTime, now, state, base));
      }
      if (delta) {
        resetSlice(state, base, counts);
        // Every reader has taken it: kept, a series called once (a host, a route) would count
        // against the cardinality limit for good, where the SDK's delta storage counts per collection.
        if (this.unread(state) === 0) this.series.delete(key);
      }
    }
    if (overflow !== undefined) {
      const start = delta ? since : (this.series.get(OVERFLOW_KEY)?.startTime ?? since);
      dataPoints.push(this.point(OVERFLOW_ATTRIBUTES, start, now, overflow, 0));
    }
    return {
      descriptor: {
        name: this.name,
        description: this.options.description,
        unit: this.options.unit,
        valueType: ValueType.DOUBLE,
        // The SDK's descriptors carry the instrument type at runtime; the exporters read it.
        type: InstrumentType.HISTOGRAM,
      } as HistogramMetricData['descriptor'],
      aggregationTemporality: temporality,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints,
    };
  }

  private point(
    attributes: Attributes,
    startTime: HrTime,
    endTime: HrTime,
    state: Float64Array,
    base: number,
  ): HistogramMetricData['dataPoints'][number] {
    const f = base + this.boundaries.length + 1;
    return {
      attributes,
      startTime,
      endTime,
      value: {
        buckets: { boundaries: this.boundaries, counts: Array.from(state.subarray(base, f)) },
        count: state[f + COUNT]!,
        sum: state[f + SUM]!,
        min: state[f + MIN]!,
        max: state[f + MAX]!,
      },
    };
  }
}

function newSlice(stride: number, counts: number): Float64Array {
  const slice = new Float64Array(stride);
  resetSlice(slice, 0, counts);
  return slice;
}

/** Adds one reader's slice of a series into `into`, a slice of its own. */
function addSlice(into: Float64Array, state: Float64Array, base: number, counts: number): void {
  for (let i = 0; i < counts + SUM + 1; i++) into[i] = into[i]! + state[base + i]!;
  into[counts + MIN] = Math.min(into[counts + MIN]!, state[base + counts + MIN]!);
  into[counts + MAX] = Math.max(into[counts + MAX]!, state[base + counts + MAX]!);
}

function resetSlice(state: Float64Array, base: number, counts: number): void {
  state.fill(0, base, base + counts + 2);
  state[base + counts + MIN] = Number.POSITIVE_INFINITY;
  state[base + counts + MAX] = Number.NEGATIVE_INFINITY;
}

/** The index of the first boundary at or above `value`, or the overflow bucket. */
function bucketOf(boundaries: readonly number[], value: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The keyed histograms of one instance and a producer per metric reader. The readers are fixed
 * when the instance starts, so every producer is made before the first histogram.
 */
export class KeyedHistograms {
  private readonly histograms = new Map<string, KeyedHistogram>();
  private readers = 0;
  /** Each reader's limit; the histograms keep apart as many series as the highest. */
  private readonly limits: number[] = [];
  /** Set by {@link close}: what a recording does once no reader will collect again. */
  afterShutdown: (() => void) | undefined;

  constructor(
    private readonly resource: Resource,
    private readonly scope: InstrumentationScope,
    private readonly cardinalityLimit: number,
  ) {}

  /**
   * The producer for one more reader; `temporality` is that reader's choice for histograms, and
   * `limit` its series per histogram, by default the instance's cardinality limit.
   */
  producer(temporality: () => AggregationTemporality, limit = this.cardinalityLimit): MetricProducer {
    if (this.histograms.size > 0) throw new Error('keyed histograms: producers come before histograms');
    const reader = this.readers++;
    this.limits.push(limit);
    let since = millisToHrTime(Date.now());
    return {
      collect: async (): Promise<CollectionResult> => {
        const now = millisToHrTime(Date.now());
        const chosen = temporality();
        const metrics: HistogramMetricData[] = [];
        for (const h of this.histograms.values()) {
          const data = h.collect(reader, chosen, since, now);
          if (data.dataPoints.length > 0) metrics.push(data);
        }
        since = now;
        return {
          resourceMetrics: {
            resource: this.resource,
            scopeMetrics: metrics.length > 0 ? [{ scope: this.scope, metrics }] : [],
          },
          errors: [],
        };
      },
    };
  }

  /** At shutdown, once the readers' last collection is under way: later recordings call `onRecording`. */
  close(onRecording: () => void): void {
    this.afterShutdown = onRecording;
  }

  /** The histogram named `name`, made on first use. */
  histogram(name: string, options: KeyedHistogramOptions): KeyedHistogram {
    let h = this.histograms.get(name);
    if (h === undefined) {
      const limit = Math.max(this.cardinalityLimit, ...this.limits);
      h = new KeyedHistogram(name, options, this.readers, limit, this.limits, this);
      this.histograms.set(name, h);
    }
    return h;
  }
}
