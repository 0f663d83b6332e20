import type { HistogramPoint } from '../../src/export/index.js';

type Histogram = HistogramPoint['histogram'];

/** One value standing for a bucket, with how many observations fell in it. */
export interface BucketValue {
  readonly value: number;
  readonly count: number;
}

/** A non-empty bucket: its edges, clamped to the min and max, and the value its observations get. */
interface Bucket {
  readonly lower: number;
  readonly upper: number;
  count: number;
  value: number;
}

/**
 * Values standing for a histogram's observations, with how many each stands for, in increasing
 * order: CloudWatch computes a metric's statistics from them alone. The recorded min and max are
 * sent as such (once each), and the other observations of each non-empty bucket as one value inside
 * the bucket (its edges clamped to the min and max, so the open first and last buckets are finite),
 * its midpoint moved toward an edge, all buckets by the same share of their room, until the values
 * add up to the recorded sum: Minimum, Maximum, Sum and Average are the recorded ones, percentiles
 * follow the buckets. Without a min and max (no SDK leaves them out of a histogram of this kind)
 * the open buckets end at their boundary.
 *
 * @example
 * bucketValues({ count: 3, sum: 30, min: 5, max: 15, buckets: { boundaries: [10], counts: [1, 2] } });
 * // [{ value: 5, count: 1 }, { value: 10, count: 1 }, { value: 15, count: 1 }]
 */
export function bucketValues(h: Histogram): BucketValue[] {
  const split = splitBuckets(h);
  if (split === undefined) return [];
  fitSum(split.buckets, h.sum - split.fixed);
  return joined(split);
}

/** A histogram's non-empty buckets, less the recorded min and max, which stand apart. */
interface Split {
  readonly buckets: Bucket[];
  readonly minOut: number | undefined;
  readonly maxOut: number | undefined;
  /** The min and max sent, added up. */
  readonly fixed: number;
}

function splitBuckets(h: Histogram): Split | undefined {
  const { boundaries, counts } = h.buckets;
  const last = boundaries.length;
  const buckets: Bucket[] = [];
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (!(count > 0)) continue;
    let lower = i === 0 ? (h.min ?? boundaries[0]) : boundaries[i - 1];
    let upper = i === last ? (h.max ?? boundaries[last - 1]) : boundaries[i];
    if (lower === undefined || upper === undefined) {
      // No boundaries at all: a single bucket, whose values average the sum.
      lower = h.min ?? h.sum / h.count;
      upper = h.max ?? h.sum / h.count;
    }
    if (h.min !== undefined && h.min > lower) lower = h.min;
    if (h.max !== undefined && h.max < upper) upper = h.max;
    if (lower > upper) lower = upper;
    buckets.push({ lower, upper, count, value: (lower + upper) / 2 });
  }
  const first = buckets[0];
  const final = buckets[buckets.length - 1];
  if (first === undefined || final === undefined) return undefined;
  let fixed = 0;
  const minOut = h.min !== undefined && first.count > 0 ? h.min : undefined;
  if (minOut !== undefined) {
    first.count--;
    fixed += minOut;
  }
  const maxOut = h.max !== undefined && final.count > 0 ? h.max : undefined;
  if (maxOut !== undefined) {
    final.count--;
    fixed += maxOut;
  }
  return { buckets, minOut, maxOut, fixed };
}

/** The min, each bucket's value and the max, in increasing order, equal values as one. */
function joined({ buckets, minOut, maxOut }: Split): BucketValue[] {
  const out: BucketValue[] = [];
  const push = (value: number, count: number) => {
    const previous = out[out.length - 1];
    if (previous !== undefined && previous.value === value)
      out[out.length - 1] = { value, count: previous.count + count };
    else out.push({ value, count });
  };
  if (minOut !== undefined) push(minOut, 1);
  for (const b of buckets) if (b.count > 0) push(b.value, b.count);
  if (maxOut !== undefined) push(maxOut, 1);
  return out;
}

/**
 * Moves each bucket's value from its midpoint toward its upper (or lower) edge by one share of its
 * room, the share that makes the values add up to `sum`; recorded values in those buckets make such
 * a share exist, up to rounding, and a sum that is no finite number leaves the midpoints.
 */
function fitSum(buckets: Bucket[], sum: number): void {
  let total = 0;
  for (const b of buckets) total += b.value * b.count;
  const gap = sum - total;
  if (!Number.isFinite(gap) || gap === 0) return;
  let room = 0;
  for (const b of buckets) room += b.count * (gap > 0 ? b.upper - b.value : b.value - b.lower);
  if (!(room > 0)) return;
  const share = Math.min(1, Math.abs(gap) / room);
  // Clamped: a value moved its whole room lands an ulp past the edge as often as on it, and the
  // first bucket's lower edge is the recorded min, which the sample would then undercut.
  for (const b of buckets) {
    const moved = b.value + share * (gap > 0 ? b.upper - b.value : b.lower - b.value);
    b.value = Math.min(b.upper, Math.max(b.lower, moved));
  }
}

/**
 * A histogram as EMF sample values: each of {@link bucketValues} repeated once per observation. Above
 * `maxValues` observations the repeats are scaled down in proportion to `maxValues` values in all
 * (each non-empty bucket keeps at least one, and the min and max are kept), so percentiles keep their
 * shape while the point fits one document; CloudWatch's SampleCount and Sum then describe the sample, not the traffic. The
 * sample's values are fitted to the recorded average, not the sum, as far as their buckets let them:
 * the buckets' kept repeats and the min and max weigh more in the sample than in the traffic, and the
 * values fitted to the sum would make the Average a multiple of the recorded one under a long tail.
 *
 * @example
 * histogramSamples({ count: 3, sum: 30, min: 5, max: 15, buckets: { boundaries: [10], counts: [1, 2] } }, 100);
 * // [5, 10, 15]
 */
export function histogramSamples(h: Histogram, maxValues: number): number[] {
  const split = splitBuckets(h);
  if (split === undefined) return [];
  const kept = (split.minOut === undefined ? 0 : 1) + (split.maxOut === undefined ? 0 : 1);
  let total = kept;
  for (const b of split.buckets) total += b.count;
  if (total > maxValues) {
    const sampled = kept + shareOut(split.buckets, maxValues - kept, total - kept);
    fitSum(split.buckets, (h.sum / total) * sampled - split.fixed);
  } else fitSum(split.buckets, h.sum - split.fixed);
  const out: number[] = [];
  for (const b of joined(split)) for (let i = 0; i < b.count; i++) out.push(b.value);
  return out;
}

/**
 * Gives the non-empty buckets `room` repeats in all, in proportion to their counts (`observations`
 * in all), each at least one, and returns how many were given: more than `room` only when there are
 * more buckets than that, each then keeping one alone. Rounded each on its own, the repeats overshoot
 * (a bucket of 0.2 keeps one), and a sample of 101 values takes a second document of its own.
 */
function shareOut(buckets: Bucket[], room: number, observations: number): number {
  const shares: { bucket: Bucket; left: number }[] = [];
  let given = 0;
  let nonEmpty = 0;
  for (const b of buckets) if (b.count > 0) nonEmpty++;
  if (nonEmpty >= room) {
    // The buckets' one repeat each is already more than the room: a bucket holding most of the
    // traffic keeping its share as well would only add to the overshoot.
    for (const b of buckets) if (b.count > 0) b.count = 1;
    return nonEmpty;
  }
  for (const b of buckets) {
    if (!(b.count > 0)) continue;
    const quota = (b.count * room) / observations;
    const n = Math.max(1, Math.floor(quota));
    shares.push({ bucket: b, left: quota - n });
    b.count = n;
    given += n;
  }
  if (given === room) return given;
  // Largest remainders first: to the buckets whose quota was cut most, from those cut least.
  shares.sort((a, c) => c.left - a.left);
  if (given < room)
    for (let i = 0; given < room; i = (i + 1) % shares.length, given++) shares[i]!.bucket.count++;
  else
    for (let i = shares.length - 1; given > room; i = i === 0 ? shares.length - 1 : i - 1) {
      const b = shares[i]!.bucket;
      if (b.count > 1) {
        b.count--;
        given--;
      }
    }
  return given;
}
