import type { Sightline } from '../../src/api/types.js';
import { prng } from '../unit/anomaly/series.js';

/** What one series of one instrument should show after a collection. */
export interface HistogramTruth {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Per bucket, for the explicit boundaries of the instrument. */
  buckets: number[];
}

/** Ground truth of one collection, by instrument and series key (`tenant`). */
export interface CollectionTruth {
  /** Delta of each counter series over the collection (series recorded in it only). */
  readonly orders: Map<string, number>;
  /** Level of each up-down counter series, since the start (every series seen so far). */
  readonly depth: Map<string, number>;
  /** Last value of each gauge series, since the start (every series seen so far). */
  readonly temperature: Map<string, number>;
  /** Value each observable gauge series was observed at in this collection. */
  readonly pool: Map<string, number>;
  /** Each histogram series recorded in the collection, over the collection. */
  readonly latency: Map<string, HistogramTruth>;
  readonly sizes: Map<string, HistogramTruth>;
  /** Values refused and counted as `invalid_value` / `negative_value` so far. */
  readonly invalid: number;
  readonly negative: number;
}

export const TENANTS = ['a', 'b', 'c'] as const;
export const LATENCY_BUCKETS = [0, 5, 10, 25, 50, 100, 250, 1000];

function bucketOf(boundaries: readonly number[], v: number): number {
  // Buckets are (b[i-1], b[i]], as the SDK keeps them.
  let i = 0;
  while (i < boundaries.length && v > (boundaries[i] as number)) i++;
  return i;
}

function recordInto(
  map: Map<string, HistogramTruth>,
  key: string,
  boundaries: readonly number[],
  v: number,
): void {
  let h = map.get(key);
  if (h === undefined) {
    h = { count: 0, sum: 0, min: v, max: v, buckets: new Array(boundaries.length + 1).fill(0) };
    map.set(key, h);
  }
  h.count++;
  h.sum += v;
  h.min = Math.min(h.min, v);
  h.max = Math.max(h.max, v);
  (h.buckets as number[])[bucketOf(boundaries, v)]! += 1;
}

/** The SDK's default boundaries, which `wv.sizes` takes. */
export const DEFAULT_BUCKETS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

/**
 * Records a seeded workload over `collections` collections (each ended by `collect`) into counters,
 * an up-down counter, a gauge, an observable gauge and two histograms with three tenants, some
 * values refused (NaN, Infinity, negative where not allowed), and returns what each collection
 * should show.
 */
export async function recordWorkload(
  obs: Sightline,
  seed: number,
  collections: number,
  collect: (index: number) => Promise<void>,
): Promise<CollectionTruth[]> {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const orders = obs.metrics.counter('wv.orders', { unit: '{order}' });
  const depth = obs.metrics.upDownCounter('wv.depth');
  const temperature = obs.metrics.gauge('wv.temperature');
  const latency = obs.metrics.histogram('wv.latency', { unit: 'ms', buckets: LATENCY_BUCKETS });
  const sizes = obs.metrics.histogram('wv.sizes', { unit: 'By' });
  let observed = new Map<string, number>();
  obs.metrics.observableGauge('wv.pool', {}, (result) => {
    for (const [tenant, v] of observed) result.observe(v, { tenant });
  });

  const levels = new Map<string, number>();
  const lastTemperature = new Map<string, number>();
  let invalid = 0;
  let negative = 0;
  const truths: CollectionTruth[] = [];
  const odd = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let c = 0; c < collections; c++) {
    const truth = {
      orders: new Map<string, number>(),
      latency: new Map<string, HistogramTruth>(),
      sizes: new Map<string, HistogramTruth>(),
    };
    const ops = 20 + Math.floor(rand() * 60);
    for (let i = 0; i < ops; i++) {
      const tenant = pick(TENANTS);
      const attrs = { tenant };
      const r = rand();
      if (r < 0.05) {
        // Refused values, of every instrument.
        const v = pick(odd);
        pick([
          () => orders.add(v, attrs),
          () => depth.add(v, attrs),
          () => temperature.record(v, attrs),
          () => latency.record(v, attrs),
        ])();
        invalid++;
      } else if (r < 0.08) {
        latency.record(-1 - Math.floor(rand() * 10), attrs);
        negative++;
      } else if (r < 0.3) {
        const v = pick([0, 1, 2, 5, 1e9, Math.floor(rand() * 100)]);
        orders.add(v, attrs);
        truth.orders.set(tenant, (truth.orders.get(tenant) ?? 0) + v);
      } else if (r < 0.45) {
        const v = Math.floor(rand() * 21) - 10;
        depth.add(v, attrs);
        levels.set(tenant, (levels.get(tenant) ?? 0) + v);
      } else if (r < 0.55) {
        const v = pick([0, -5.5, 21.25, 1e12, Math.round(rand() * 1000) / 10]);
        temperature.record(v, attrs);
        lastTemperature.set(tenant, v);
      } else if (r < 0.85) {
        const v = pick([0, 0.5, 5, 10, 2000, 1e7, Math.round(rand() * 3000) / 10]);
        latency.record(v, attrs);
        recordInto(truth.latency, tenant, LATENCY_BUCKETS, v);
      } else {
        const v = pick([0, 1, 1e15, Math.floor(rand() * 20_000)]);
        sizes.record(v, attrs);
        recordInto(truth.sizes, tenant, DEFAULT_BUCKETS, v);
      }
    }
    observed = new Map(TENANTS.filter(() => rand() < 0.7).map((t) => [t, Math.floor(rand() * 50)]));
    truths.push({
      ...truth,
      depth: new Map(levels),
      temperature: new Map(lastTemperature),
      pool: observed,
      invalid,
      negative,
    });
    await collect(c);
  }
  return truths;
}
