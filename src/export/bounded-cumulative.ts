import type { Attributes, HrTime } from '@opentelemetry/api';
import { type ExportResult, type InstrumentationScope, millisToHrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InstrumentType,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { addHistogram } from './metric-points.js';

export const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });

interface Series {
  attributes: Attributes;
  startTime: HrTime;
  value: number | Histogram;
  /** The collection that last added to it: a delta stream reports the series of its latest only. */
  collection: number;
  /** The collection it last had points in; a delta stream's series are in this order, the longest idle first. */
  recorded: number;
  /** The end of its last point. */
  end?: HrTime;
}

interface Stream {
  series: Map<string, Series>;
  scope: InstrumentationScope;
  scopeKey: string;
  /** The instrument's form (descriptor, point type, monotonicity) without points, for idle cycles. */
  metric: MetricData;
  /** Added up across collections; a delta stream only has its series kept apart. */
  cumulative: boolean;
}

function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  let key = '';
  for (const k of keys) key += `${k}\u0000${JSON.stringify(attributes[k])}\u0001`;
  return key;
}

const OVERFLOW_KEY = attributesKey(OVERFLOW);

function scopeKey(scope: InstrumentationScope): string {
  return `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
}

/**
 * One instrument's stream. Instruments sharing a name but not a kind, unit or value type are kept
 * apart by the SDK, which exports each as it was recorded: added up here, one would carry the
 * other's points under its own unit.
 */
function instrumentKey(metric: MetricData): string {
  const d = metric.descriptor as MetricData['descriptor'] & { type?: InstrumentType };
  return `${d.name}\u0000${d.type ?? ''}\u0000${d.unit}\u0000${d.valueType}\u0000${metric.dataPointType}`;
}

/** The end time the SDK gave this collection's points. */
function collectionEnd(scopeMetrics: readonly ScopeMetrics[]): HrTime | undefined {
  for (const sm of scopeMetrics)
    for (const m of sm.metrics) if (m.dataPoints[0]) return m.dataPoints[0].endTime;
  return undefined;
}

/**
 * Now, as the SDK times its points: by the wall clock, which `hrTime()` (the monotonic clock from
 * the process's start) is behind by as long as the machine slept or the clock was set forward.
 */
function wallClock(): HrTime {
  return millisToHrTime(Date.now());
}

function earlier(a: HrTime, b: HrTime): HrTime {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? a : b;
}

/**
 * The latest end time of this collection's points. The metric producers (the HTTP durations) are
 * collected after the SDK has taken its end time and run the observable callbacks, and start their
 * next points at their own: from the SDK's, theirs would take in the end of the window before.
 */
function latestEnd(scopeMetrics: readonly ScopeMetrics[]): HrTime | undefined {
  let latest: HrTime | undefined;
  for (const sm of scopeMetrics)
    for (const m of sm.metrics) {
      const end = m.dataPoints[0]?.endTime;
      if (end !== undefined && (latest === undefined || earlier(latest, end) === latest)) latest = end;
    }
  return latest;
}

function copyHistogram(h: Histogram): Histogram {
  return { ...h, buckets: { boundaries: h.buckets.boundaries, counts: h.buckets.counts.slice() } };
}

function wantsCumulative(inner: PushMetricExporter, type: InstrumentType): boolean {
  return (
    (inner.selectAggregationTemporality?.(type) ?? AggregationTemporality.CUMULATIVE) ===
    AggregationTemporality.CUMULATIVE
  );
}

/**
 * Whether the instrument's points come as sums, histograms or gauges, which are folded here; an
 * observable gauge is left as collected, and an exporter's own aggregation may make them others.
 */
function folds(inner: PushMetricExporter, type: InstrumentType): boolean {
  return type !== InstrumentType.OBSERVABLE_GAUGE && inner.selectAggregation === undefined;
}

/**
 * The SDK's cardinality limit per instrument type under `boundedCumulative(inner, limit)`. The
 * SDK's delta storage gives its places to the series recorded first in each collection, so at
 * `limit` a series kept apart here would have its points in the overflow series in the
 * collections it came late. Where this layer keeps the first `limit - 1` series apart itself, the
 * SDK is given room for twice as many, freed after each collection; elsewhere it keeps `limit`.
 */
export function collectionLimit(inner: PushMetricExporter, limit: number): (type: InstrumentType) => number {
  return (type) => (folds(inner, type) ? 2 * limit : limit);
}

/**
 * Gives an exporter that wants cumulative sums, histograms and gauges what it asks for, with a hard
 * bound. The SDK's own cumulative storage keeps every series it ever reported, so unbounded
 * attribute values grow memory without limit even with a cardinality limit; here the SDK
 * collects deltas (bounded per cycle) and this layer adds them up, folding series beyond
 * `limit` per instrument into the overflow series (`otel.metric.overflow=true`). An instrument
 * with no recordings in a cycle is absent from the SDK's delta collection; it is still reported
 * here with its running totals, and a gauge with its last value, as cumulative temporality promises.
 *
 * The metrics the exporter takes as deltas are folded the same way, each collection's points as
 * they came: the first `limit - 1` series seen keep their places in every collection, where the
 * SDK's delta storage gives them to the first recorded in each, so a series kept apart in one
 * collection would have its points in the overflow series in the next. A delta point covers its
 * own interval, so a series with none in this one has nothing to keep: a new series takes the
 * place of the one idle longest, where kept for good, the series that came and went (tenants, jobs,
 * hosts) would put every later one in the overflow series, with fewer than `limit` in each
 * interval. `keepIdle` keeps them, for a reader whose series each learn a history of their own.
 */
export function boundedCumulative(
  inner: PushMetricExporter,
  limit: number,
  { keepIdle = false } = {},
): PushMetricExporter {
  const streams = new Map<string, Stream>();
  let collection = 0;
  // Where this collection's delta points start: the SDK starts a series that had no points in the
  // collection before at its first recording, which gives its count a window of that series' own
  // (a rate of a count over its last second, where it covers the whole interval).
  let previousEnd: HrTime = wallClock();

  const accumulate = (
    scope: InstrumentationScope,
    metric: MetricData,
    seen: Set<Stream>,
    cumulative: boolean,
  ): MetricData => {
    const sk = scopeKey(scope);
    const key = `${sk}\u0000${instrumentKey(metric)}\u0000${cumulative}`;
    let stream = streams.get(key);
    if (stream === undefined) {
      const form = { ...metric, dataPoints: [] } as MetricData;
      stream = { series: new Map(), scope, scopeKey: sk, metric: form, cumulative };
      streams.set(key, stream);
    }
    seen.add(stream);
    const { series } = stream;
    const points = metric.dataPoints;
    const keys = points.map((dp) => attributesKey(dp.attributes));
    const frees = !cumulative && !keepIdle;
    // The SDK takes an observable sum's delta from the value observed last, in whichever
    // collection that was, and starts it at this one where the series had no point in the one
    // before: its window starts where the series' last point ended.
    const type = (metric.descriptor as { type?: InstrumentType }).type;
    const observed =
      type === InstrumentType.OBSERVABLE_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER;
    // Before any new series asks for a place: the ones recorded again keep theirs, whatever their order.
    if (frees) for (const k of keys) moveRecorded(series, k);
    for (let i = 0; i < points.length; i++) {
      const dp = points[i]!;
      let k = keys[i]!;
      let attributes = dp.attributes;
      // As the SDK counts it, the limit takes in the overflow series: limit - 1 others at most.
      const others = series.size - (series.has(OVERFLOW_KEY) ? 1 : 0);
      if (!series.has(k) && others >= limit - 1 && !(frees && freeIdle(series))) {
        k = OVERFLOW_KEY;
        attributes = OVERFLOW;
      }
      const existing = series.get(k);
      if (existing === undefined || (!cumulative && existing.collection !== collection)) {
        const value =
          metric.dataPointType === DataPointType.HISTOGRAM
            ? copyHistogram(dp.value as Histogram)
            : (dp.value as number);
        const from = observed ? (existing?.end ?? previousEnd) : previousEnd;
        const startTime = cumulative ? dp.startTime : earlier(from, dp.startTime);
        series.set(k, { attributes, startTime, value, collection, recorded: collection });
        continue;
      }
      existing.collection = collection;
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        existing.value = addHistogram(existing.value as Histogram, dp.value as Histogram);
      } else if (metric.dataPointType === DataPointType.GAUGE) {
        existing.value = dp.value as number;
      } else {
        existing.value = (existing.value as number) + (dp.value as number);
      }
    }
    return report(stream, metric.dataPoints[0]?.endTime);
  };

  /** Puts a series recorded in this collection behind the idle ones. */
  const moveRecorded = (series: Map<string, Series>, k: string): void => {
    const s = series.get(k);
    if (s === undefined || s.recorded === collection) return;
    s.recorded = collection;
    series.delete(k);
    series.set(k, s);
  };

  /** Frees the place of the series idle longest, if one has no points in this collection. */
  const freeIdle = (series: Map<string, Series>): boolean => {
    for (const [k, s] of series) {
      if (k === OVERFLOW_KEY) continue;
      if (s.recorded === collection) return false;
      series.delete(k);
      return true;
    }
    return false;
  };

  const report = (stream: Stream, endTime: HrTime | undefined): MetricData => {
    const series = [...stream.series.values()];
    const reported = stream.cumulative ? series : series.filter((s) => s.collection === collection);
    const dataPoints = reported.map((s) => {
      s.end = endTime ?? s.startTime;
      return {
        attributes: s.attributes,
        startTime: s.startTime,
        endTime: s.end,
        value: typeof s.value === 'number' ? s.value : copyHistogram(s.value),
      };
    });
    return {
      ...stream.metric,
      aggregationTemporality: stream.cumulative
        ? AggregationTemporality.CUMULATIVE
        : stream.metric.aggregationTemporality,
      dataPoints,
    } as MetricData;
  };

  /** Adds the streams this cycle did not touch, each under its own scope. */
  const addIdle = (scopeMetrics: ScopeMetrics[], seen: Set<Stream>): void => {
    if (seen.size === streams.size) return;
    const endTime = collectionEnd(scopeMetrics) ?? wallClock();
    const byScope = new Map(scopeMetrics.map((sm) => [scopeKey(sm.scope), sm]));
    for (const stream of streams.values()) {
      if (seen.has(stream) || stream.series.size === 0 || !stream.cumulative) continue;
      let target = byScope.get(stream.scopeKey);
      if (target === undefined) {
        target = { scope: stream.scope, metrics: [] };
        byScope.set(stream.scopeKey, target);
        scopeMetrics.push(target);
      }
      target.metrics.push(report(stream, endTime));
    }
  };

  return {
    export(metrics: ResourceMetrics, done: (result: ExportResult) => void) {
      let converted: ResourceMetrics;
      collection++;
      try {
        const seen = new Set<Stream>();
        const scopeMetrics = metrics.scopeMetrics.map((sm) => ({
          scope: sm.scope,
          metrics: sm.metrics.map((m) => {
            const type = (m.descriptor as { type?: InstrumentType }).type;
            const foldable =
              type !== undefined &&
              (m.dataPointType === DataPointType.SUM ||
                m.dataPointType === DataPointType.HISTOGRAM ||
                type === InstrumentType.GAUGE);
            return foldable ? accumulate(sm.scope, m, seen, wantsCumulative(inner, type)) : m;
          }),
        }));
        addIdle(scopeMetrics, seen);
        converted = { resource: metrics.resource, scopeMetrics };
        previousEnd = latestEnd(metrics.scopeMetrics) ?? previousEnd;
      } catch {
        converted = metrics;
      }
      inner.export(converted, done);
    },
    // The SDK collects deltas; this layer makes them cumulative where the exporter wants it.
    selectAggregationTemporality: () => AggregationTemporality.DELTA,
    ...(inner.selectAggregation ? { selectAggregation: inner.selectAggregation.bind(inner) } : {}),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}
