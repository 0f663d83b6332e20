import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  type DataPoint,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';

/**
 * One OTLP data point waiting in a metrics channel, with the references needed to rebuild its
 * envelope. Queueing points (not whole collections) lets the core cut batches at a point count
 * (CloudWatch OTLP: 1,000 points per request) and count each point delivered or dropped.
 */
export interface OtlpMetricItem {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly metric: MetricData;
  readonly point: DataPoint<unknown>;
}

/**
 * Splits one SDK collection into points. Metrics without points are skipped: OTLP asks clients
 * not to send empty envelopes. Histogram values are copied, since the SDK keeps mutating the
 * bucket arrays of its cumulative accumulations while the points wait in the queue.
 *
 * @example
 * channel.pushAll(toOtlpMetricItems(resourceMetrics));
 */
export function toOtlpMetricItems(resourceMetrics: ResourceMetrics): OtlpMetricItem[] {
  const items: OtlpMetricItem[] = [];
  const { resource } = resourceMetrics;
  for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
    for (const metric of metrics) {
      const copy =
        metric.dataPointType === DataPointType.HISTOGRAM ||
        metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM;
      for (const point of metric.dataPoints as DataPoint<unknown>[]) {
        items.push({ resource, scope, metric, point: copy ? copyHistogramPoint(point) : point });
      }
    }
  }
  return items;
}

/**
 * Rebuilds the SDK envelopes for a batch of points, one `ResourceMetrics` per resource, keeping
 * scopes and metrics in first-seen order. Points of one `MetricData` (one collection) share one
 * OTLP metric; the same metric from two collections appears twice, which OTLP allows.
 *
 * @example
 * for (const rm of groupOtlpMetricItems(batch)) ProtobufMetricsSerializer.serializeRequest(rm);
 */
export function groupOtlpMetricItems(items: readonly OtlpMetricItem[]): ResourceMetrics[] {
  const byResource = new Map<
    Resource,
    Map<string, { scope: InstrumentationScope; metrics: Map<MetricData, unknown[]> }>
  >();
  for (const item of items) {
    let scopes = byResource.get(item.resource);
    if (scopes === undefined) {
      scopes = new Map();
      byResource.set(item.resource, scopes);
    }
    // Scopes are matched by content: two collections hand out distinct but equal scope objects.
    const scopeKey = `${item.scope.name}\u0000${item.scope.version ?? ''}\u0000${item.scope.schemaUrl ?? ''}`;
    let entry = scopes.get(scopeKey);
    if (entry === undefined) {
      entry = { scope: item.scope, metrics: new Map() };
      scopes.set(scopeKey, entry);
    }
    let points = entry.metrics.get(item.metric);
    if (points === undefined) {
      points = [];
      entry.metrics.set(item.metric, points);
    }
    points.push(item.point);
  }
  const out: ResourceMetrics[] = [];
  for (const [resource, scopes] of byResource) {
    const scopeMetrics: ScopeMetrics[] = [];
    for (const { scope, metrics } of scopes.values()) {
      const list: MetricData[] = [];
      for (const [metric, dataPoints] of metrics) list.push({ ...metric, dataPoints } as MetricData);
      scopeMetrics.push({ scope, metrics: list });
    }
    out.push({ resource, scopeMetrics });
  }
  return out;
}

interface BucketsLike {
  boundaries?: number[];
  counts?: number[];
  offset?: number;
  bucketCounts?: number[];
}

function copyHistogramPoint(point: DataPoint<unknown>): DataPoint<unknown> {
  const value = point.value as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...value };
  for (const key of ['buckets', 'positive', 'negative']) {
    const b = value[key] as BucketsLike | undefined;
    if (b === undefined) continue;
    copy[key] = {
      ...b,
      ...(b.counts ? { counts: b.counts.slice() } : {}),
      ...(b.boundaries ? { boundaries: b.boundaries.slice() } : {}),
      ...(b.bucketCounts ? { bucketCounts: b.bucketCounts.slice() } : {}),
    };
  }
  return { ...point, value: copy };
}
