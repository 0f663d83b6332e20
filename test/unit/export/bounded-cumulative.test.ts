import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { init, type Sightline } from '../../../src/index.js';
import type { SightlineAdapter } from '../../../src/export/types.js';

/**
 * An adapter whose metric exporter asks for cumulative temporality, as the OTLP adapter does by
 * default, or for deltas, as Datadog, New Relic and CloudWatch do.
 */
function capturing(temporality = AggregationTemporality.CUMULATIVE): {
  adapter: SightlineAdapter;
  exports: ResourceMetrics[];
} {
  const exports: ResourceMetrics[] = [];
  const exporter: PushMetricExporter = {
    export(metrics: ResourceMetrics, done: (r: ExportResult) => void) {
      exports.push(metrics);
      done({ code: ExportResultCode.SUCCESS });
    },
    selectAggregationTemporality: () => temporality,
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  return {
    exports,
    adapter: { name: 'capture', setup: () => ({ metricExporter: exporter, metricIntervalMs: 60_000 }) },
  };
}

const start = (adapter: SightlineAdapter, cardinalityLimit?: number): Sightline =>
  init({
    service: 'cumulative',
    exporters: [adapter],
    logStream: { write() {} },
    handleSignals: false,
    ...(cardinalityLimit ? { cardinalityLimit } : {}),
  });

const find = (rm: ResourceMetrics | undefined, name: string): MetricData | undefined =>
  rm?.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);

describe('cumulative export over the SDK delta collection', () => {
  let obs: Sightline | undefined;
  afterEach(async () => {
    await obs?.shutdown({ timeoutMs: 1000 });
    obs = undefined;
  });

  it('keeps reporting an idle instrument with its running total', async () => {
    const { adapter, exports } = capturing();
    obs = start(adapter);
    const orders = obs.metrics.counter('orders.placed');
    const latency = obs.metrics.histogram('checkout.latency', { unit: 'ms' });
    orders.add(2, { plan: 'pro' });
    orders.add(3, { plan: 'free' });
    latency.record(12);
    await obs.forceFlush();
    orders.add(1, { plan: 'pro' });
    await obs.forceFlush();
    // Nothing recorded in this interval: a cumulative series still reports its total.
    await obs.forceFlush();

    const last = exports.at(-1);
    const counter = find(last, 'orders.placed');
    expect(counter?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    const byPlan = Object.fromEntries(
      (counter?.dataPoints ?? []).map((dp) => [dp.attributes.plan, dp.value]),
    );
    expect(byPlan).toEqual({ pro: 3, free: 3 });
    const histogram = find(last, 'checkout.latency');
    expect(histogram?.dataPoints).toHaveLength(1);
    expect(histogram?.dataPoints[0]?.value).toMatchObject({ count: 1, sum: 12 });
    // Each point ends at this collection, not at the one where it was last touched.
    const firstEnd = find(exports[0], 'orders.placed')?.dataPoints[0]?.endTime;
    expect(counter?.dataPoints[0]?.endTime).not.toEqual(firstEnd);
  });

  it('reports at most cardinalityLimit series, the overflow series included, as the SDK counts them', async () => {
    const { adapter, exports } = capturing();
    obs = start(adapter, 10);
    const byUser = obs.metrics.counter('by.user');
    // Each collection on its own stays under the limit; together they go over it.
    for (let collection = 0; collection < 3; collection++) {
      for (let i = 0; i < 6; i++) byUser.add(1, { user: `u${collection * 6 + i}` });
      await obs.forceFlush();
    }
    const points = find(exports.at(-1), 'by.user')?.dataPoints ?? [];
    expect(points).toHaveLength(10);
    expect(points.filter((p) => p.attributes['otel.metric.overflow'] === true)).toHaveLength(1);
    expect(points.reduce((sum, p) => sum + (p.value as number), 0)).toBe(18);
  });

  it('keeps instruments sharing a name but not a unit or kind apart, as the SDK exports them', async () => {
    const { adapter, exports } = capturing();
    obs = start(adapter);
    obs.metrics.histogram('db.duration', { unit: 'ms' }).record(5);
    obs.metrics.histogram('db.duration', { unit: 's' }).record(0.25);
    obs.metrics.counter('jobs').add(5);
    obs.metrics.upDownCounter('jobs').add(-2);
    await obs.forceFlush();
    await obs.forceFlush();

    for (const rm of exports) {
      const metrics = rm.scopeMetrics.flatMap((s) => s.metrics);
      const histograms = metrics.filter((m) => m.descriptor.name === 'db.duration');
      expect(histograms.map((m) => [m.descriptor.unit, m.dataPoints[0]?.value])).toEqual([
        ['ms', expect.objectContaining({ count: 1, sum: 5 })],
        ['s', expect.objectContaining({ count: 1, sum: 0.25 })],
      ]);
      const jobs = metrics.filter((m) => m.descriptor.name === 'jobs');
      expect(
        jobs.map((m) => [m.dataPointType === DataPointType.SUM && m.isMonotonic, m.dataPoints[0]?.value]),
      ).toEqual([
        [true, 5],
        [false, -2],
      ]);
    }
  });

  it('keeps reporting a gauge recorded once with its last value', async () => {
    const { adapter, exports } = capturing();
    obs = start(adapter);
    const pool = obs.metrics.gauge('db.pool.size');
    pool.record(10, { db: 'orders' });
    pool.record(12, { db: 'orders' });
    pool.record(4, { db: 'users' });
    await obs.forceFlush();
    await obs.forceFlush();
    pool.record(8, { db: 'users' });
    await obs.forceFlush();

    const values = (rm: ResourceMetrics | undefined) =>
      Object.fromEntries(
        (find(rm, 'db.pool.size')?.dataPoints ?? []).map((dp) => [dp.attributes.db, dp.value]),
      );
    expect(values(exports[0])).toEqual({ orders: 12, users: 4 });
    // Nothing recorded in the second interval: the gauge still reads what it was set to.
    expect(values(exports[1])).toEqual({ orders: 12, users: 4 });
    expect(values(exports[2])).toEqual({ orders: 12, users: 8 });
    expect(find(exports[2], 'db.pool.size')?.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
  });

  // The SDK's delta storage gives its places to the series recorded first in each collection; here
  // a series recorded again keeps its place whatever its order, and an idle one gives its place up.
  it('gives a delta exporter the series recorded again apart, before the new ones, each collection its own counts', async () => {
    const { adapter, exports } = capturing(AggregationTemporality.DELTA);
    obs = start(adapter, 10);
    const byUser = obs.metrics.counter('by.user');
    for (let collection = 0; collection < 4; collection++) {
      // The last collection has twelve users, the six new ones recorded first.
      const first = collection === 3 ? 18 : collection * 6;
      for (let i = 0; i < 6; i++) byUser.add(collection + 1, { user: `u${first + i}` });
      if (collection === 2) byUser.add(5, { user: 'u0' });
      if (collection === 3) for (let i = 12; i < 18; i++) byUser.add(collection + 1, { user: `u${i}` });
      await obs.forceFlush();
    }
    const users = exports.map((rm) => {
      const metric = find(rm, 'by.user');
      expect(metric?.aggregationTemporality).toBe(AggregationTemporality.DELTA);
      return Object.fromEntries(
        (metric?.dataPoints ?? []).map((dp) => [dp.attributes.user ?? 'overflow', dp.value]),
      );
    });
    const each = (from: number, to: number, value: number) =>
      Object.fromEntries(Array.from({ length: to - from }, (_, i) => [`u${from + i}`, value]));
    expect(users).toEqual([
      each(0, 6, 1),
      each(6, 12, 2),
      { ...each(12, 18, 3), u0: 5 },
      { ...each(12, 21, 4), overflow: 12 },
    ]);
    // A collection with no recordings has no points: deltas are not carried over.
    await obs.forceFlush();
    expect(find(exports.at(-1), 'by.user')).toBeUndefined();
  });

  // Tenants, jobs or hosts come and go: each interval holds a few, the life of the process many
  // more than the limit. A delta point covers its interval only, so a series with none in it has
  // no place to keep, and the SDK's delta storage gave each interval's series their own.
  it("gives a delta exporter each interval's series their own places when the series seen before are idle", async () => {
    const { adapter, exports } = capturing(AggregationTemporality.DELTA);
    obs = start(adapter, 10);
    const jobs = obs.metrics.counter('jobs.done');
    for (let collection = 0; collection < 20; collection++) {
      for (let i = 0; i < 4; i++) jobs.add(collection + 1, { tenant: `t${collection * 4 + i}` });
      await obs.forceFlush();
    }
    const apart = exports.map((rm, collection) => {
      const points = find(rm, 'jobs.done')?.dataPoints ?? [];
      expect(points.map((dp) => dp.value)).toEqual([1, 2, 3, 4].map(() => collection + 1));
      return points.filter((dp) => dp.attributes.tenant !== undefined).length;
    });
    expect(apart).toEqual(exports.map(() => 4));
  });
});
