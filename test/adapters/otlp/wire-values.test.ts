import { afterEach, describe, expect, it } from 'vitest';
import type { OtlpTemporality } from '../../../adapters/otlp/index.js';
import { type CollectionTruth, type HistogramTruth, recordWorkload } from '../../helpers/wire-workload.js';
import { startWithOtlp, stopSightline } from './helpers.js';
import { type OtlpCollector, startCollector } from './intake-server.js';

let collector: OtlpCollector | undefined;
afterEach(async () => {
  await stopSightline();
  await collector?.close();
  collector = undefined;
});

type Attr = { key: string; value: { stringValue?: string } };
type Point = {
  attributes?: Attr[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: (string | number)[];
};
type Metric = {
  name: string;
  sum?: { dataPoints: Point[]; aggregationTemporality: number; isMonotonic?: boolean };
  gauge?: { dataPoints: Point[] };
  histogram?: { dataPoints: Point[]; aggregationTemporality: number };
};
type Body = { resourceMetrics: { scopeMetrics: { metrics: Metric[] }[] }[] };

/** What the collector holds of one collection: `metric|tenant` → temporality (0 for gauges) and value. */
function received(bodies: unknown[]): Map<string, { temporality: number; value: number | HistogramTruth }> {
  const out = new Map<string, { temporality: number; value: number | HistogramTruth }>();
  for (const body of bodies as Body[]) {
    for (const m of body.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))) {
      if (!m.name.startsWith('wv.')) continue;
      const data = m.sum ?? m.gauge ?? m.histogram!;
      const temporality = (data as { aggregationTemporality?: number }).aggregationTemporality ?? 0;
      for (const p of data.dataPoints) {
        const tenant = p.attributes?.find((a) => a.key === 'tenant')?.value.stringValue ?? '-';
        const key = `${m.name}|${tenant}`;
        expect(out.has(key), `${key} twice in one collection`).toBe(false);
        const value = m.histogram
          ? {
              count: Number(p.count),
              sum: p.sum!,
              min: p.min!,
              max: p.max!,
              buckets: p.bucketCounts!.map(Number),
            }
          : Number(p.asInt ?? p.asDouble);
        out.set(key, { temporality, value });
      }
    }
  }
  return out;
}

/** `metric|attributes` of every point of the bodies, sightline's own included. */
function pointKeys(bodies: unknown[]): string[] {
  return (bodies as Body[]).flatMap((body) =>
    body.resourceMetrics
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
      .flatMap((m) =>
        (m.sum ?? m.gauge ?? m.histogram!).dataPoints.map(
          (p) => `${m.name}|${JSON.stringify(p.attributes ?? [])}`,
        ),
      ),
  );
}

function merged(into: HistogramTruth | undefined, h: HistogramTruth): HistogramTruth {
  if (into === undefined) return { ...h, buckets: [...h.buckets] };
  return {
    count: into.count + h.count,
    sum: into.sum + h.sum,
    min: Math.min(into.min, h.min),
    max: Math.max(into.max, h.max),
    buckets: into.buckets.map((c, i) => c + (h.buckets[i] ?? 0)),
  };
}

const DELTA = 1;
const CUMULATIVE = 2;

describe('otlp: values on the wire against a seeded workload', () => {
  const cases: [OtlpTemporality, number][] = [];
  for (const t of ['cumulative', 'delta', 'lowmemory'] as const)
    for (const seed of [1, 2, 3]) cases.push([t, seed]);
  it.each(cases)('sends each collection as recorded (%s, seed %i)', async (temporality, seed) => {
    collector = await startCollector();
    const { obs } = startWithOtlp(collector, { protocol: 'http/json', temporality });
    const marks: number[] = [];
    const truths = await recordWorkload(obs, seed, 5, async () => {
      marks.push(collector!.accepted('metrics').length);
      await obs.forceFlush();
    });
    marks.push(collector.accepted('metrics').length);
    const delta = temporality !== 'cumulative';
    const runningOrders = new Map<string, number>();
    const runningHistograms = new Map<string, HistogramTruth>();
    for (let c = 0; c < truths.length; c++) {
      const t: CollectionTruth = truths[c]!;
      const want = new Map<string, { temporality: number; value: number | HistogramTruth }>();
      for (const [k, v] of t.orders) runningOrders.set(k, (runningOrders.get(k) ?? 0) + v);
      for (const [k, v] of delta ? t.orders : runningOrders)
        want.set(`wv.orders|${k}`, { temporality: delta ? DELTA : CUMULATIVE, value: v });
      for (const [k, v] of t.depth) want.set(`wv.depth|${k}`, { temporality: CUMULATIVE, value: v });
      for (const [k, v] of t.temperature) want.set(`wv.temperature|${k}`, { temporality: 0, value: v });
      for (const [k, v] of t.pool) want.set(`wv.pool|${k}`, { temporality: 0, value: v });
      for (const [name, hs] of [
        ['wv.latency', t.latency],
        ['wv.sizes', t.sizes],
      ] as const) {
        for (const [k, h] of hs)
          runningHistograms.set(`${name}|${k}`, merged(runningHistograms.get(`${name}|${k}`), h));
        if (delta) for (const [k, h] of hs) want.set(`${name}|${k}`, { temporality: DELTA, value: h });
      }
      if (!delta) for (const [k, h] of runningHistograms) want.set(k, { temporality: CUMULATIVE, value: h });
      const got = received(
        collector
          .accepted('metrics')
          .slice(marks[c], marks[c + 1])
          .map((r) => r.json),
      );
      expect([...got.keys()].sort(), `collection ${c}`).toEqual([...want.keys()].sort());
      for (const [k, w] of want) {
        const g = got.get(k)!;
        expect(g.temporality, `${k} in collection ${c}`).toBe(w.temporality);
        if (typeof w.value === 'number') expect(g.value, `${k} in collection ${c}`).toBeCloseTo(w.value, 6);
        else {
          const h = g.value as HistogramTruth;
          expect({ ...h, sum: 0 }, `${k} in collection ${c}`).toEqual({ ...w.value, sum: 0 });
          expect(h.sum, `${k} sum in collection ${c}`).toBeCloseTo(w.value.sum, 3);
        }
      }
    }
    const last = truths[truths.length - 1]!;
    expect(obs.drops().invalid_value ?? 0).toBe(last.invalid);
    expect(obs.drops().negative_value ?? 0).toBe(last.negative);
  });
});

describe('otlp: a retried and a refused request amid a collection', () => {
  it.each(['cumulative', 'delta'] as const)(
    'sends each point once, loses only the refused batch, counted, and the next cumulative point makes it up (%s)',
    async (temporality) => {
      collector = await startCollector();
      const { obs } = startWithOtlp(collector, {
        protocol: 'http/json',
        temporality,
        limits: { metrics: { maxItems: 4 } },
      });
      const marks: number[] = [];
      const truths = await recordWorkload(obs, 7, 3, async (c) => {
        marks.push(collector!.requests.length);
        // The second collection: a 503 retried, then a 400 that loses its batch.
        if (c === 1) collector!.script('metrics', { status: 503 }, { status: 400, message: 'bad' });
        await obs.forceFlush();
      });
      marks.push(collector.requests.length);
      const metricsOf = (from: number, to: number, ok: boolean) =>
        collector!.requests
          .slice(from, to)
          .filter((r) => r.signal === 'metrics' && (r.status === 200) === ok);
      const faulty = metricsOf(marks[1]!, marks[2]!, false);
      expect(faulty.map((r) => r.status)).toEqual([503, 400]);
      const refused = pointKeys([faulty[1]!.json]);
      const retried = pointKeys([faulty[0]!.json]);
      const got = pointKeys(metricsOf(marks[1]!, marks[2]!, true).map((r) => r.json));
      // Each point once: the 503's batch on its retry, the 400's never, counted as rejected.
      expect(got.filter((k, i) => got.indexOf(k) !== i)).toEqual([]);
      for (const k of retried) expect(got.includes(k) || refused.includes(k), k).toBe(true);
      for (const k of refused) expect(got.includes(k), k).toBe(false);
      expect(obs.stats().otlp?.metrics?.dropped).toEqual({ rejected: refused.length });
      // The last collection, with the collector healthy, is whole: a cumulative one has every total.
      const last = received(metricsOf(marks[2]!, marks[3]!, true).map((r) => r.json));
      const t = truths[2]!;
      for (const [k, v] of t.depth) expect(last.get(`wv.depth|${k}`)?.value).toBe(v);
      if (temporality === 'cumulative') {
        const totals = new Map<string, number>();
        for (const tc of truths) for (const [k, v] of tc.orders) totals.set(k, (totals.get(k) ?? 0) + v);
        for (const [k, v] of totals) expect(last.get(`wv.orders|${k}`)?.value).toBe(v);
      } else {
        for (const [k, v] of t.orders) expect(last.get(`wv.orders|${k}`)?.value).toBe(v);
      }
    },
  );
});
