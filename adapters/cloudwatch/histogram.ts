import type { HistogramPoint } from '../../src/export/index.js';

type Histogram = HistogramPoint['histogram'];

/** One value standing for a bucket, with how many observations fell in it. */
export interface BucketValue {
  readonly value: number;
  readonly count: number;
}

/**
 * Each non-empty bucket as its midpoint and count. Bucket edges are clamped to the observed min and
 * max, so the open first and last buckets get finite midpoints and a bucket holding one value (or
 * many equal values) yields that value exactly.
 *
 * @example
 * bucketMidpoints({ count: 3, sum: 30, min: 5, max: 15, buckets: { boundaries: [10], counts: [1, 2] } });
 * // [{ value: 7.5, count: 1 }, { value: 12.5, count: 2 }]
 */
export function bucketMidpoints(h: Histogram): BucketValue[] {
  const { boundaries, counts } = h.buckets;
  const out: BucketValue[] = [];
  const last = boundaries.length;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (!(count > 0)) continue;
    let lower = i === 0 ? (h.min ?? boundaries[0]) : boundaries[i - 1];
    let upper = i === last ? (h.max ?? boundaries[last - 1]) : boundaries[i];
    if (lower === undefined || upper === undefined) {
      // No boundaries at all: a single bucket, described by the mean.
      out.push({ value: h.sum / h.count, count });
      continue;
    }
    if (h.min !== undefined && h.min > lower) lower = h.min;
    if (h.max !== undefined && h.max < upper) upper = h.max;
    if (lower > upper) lower = upper;
    out.push({ value: (lower + upper) / 2, count });
  }
  return out;
}

/**
 * A histogram as EMF sample values: each bucket's midpoint repeated once per observation. Above
 * `maxValues` observations the repeats are scaled down in proportion (each non-empty bucket keeps at
 * least one), so percentiles keep their shape while the document count stays bounded; CloudWatch's
 * SampleCount and Sum then describe the sample, not the traffic.
 *
 * @example
 * histogramSamples({ count: 3, sum: 30, min: 5, max: 15, buckets: { boundaries: [10], counts: [1, 2] } }, 100);
 * // [7.5, 12.5, 12.5]
 */
export function histogramSamples(h: Histogram, maxValues: number): number[] {
  const buckets = bucketMidpoints(h);
  let total = 0;
  for (const b of buckets) total += b.count;
  const scale = total > maxValues ? maxValues / total : 1;
  const out: number[] = [];
  for (const b of buckets) {
    const reps = scale === 1 ? b.count : Math.max(1, Math.round(b.count * scale));
    for (let i = 0; i < reps; i++) out.push(b.value);
  }
  return out;
}
