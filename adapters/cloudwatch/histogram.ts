import type { HistogramPoint } from '../../src/export/index.js';

type Histogram = HistogramPoint['histogram'];

/**
 * The non-empty buckets of the histogram being converted, an index each: their edges, clamped to
 * the min and max, how many observations they hold and the value those get. Kept from one call to
 * the next: a collection converts thousands of series, and an object for each bucket cost more than
 * the conversion itself.
 */
let lowerEdges = new Float64Array(32);
let upperEdges = new Float64Array(32);
let heldValues = new Float64Array(32);
/** A plain list, where V8 keeps whole numbers as such, not as doubles to be boxed once sent. */
const heldCounts: number[] = [];

function reserve(buckets: number): void {
  if (buckets <= lowerEdges.length) return;
  const size = Math.max(buckets, lowerEdges.length * 2);
  lowerEdges = new Float64Array(size);
  upperEdges = new Float64Array(size);
  heldValues = new Float64Array(size);
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
 * The values and their counts come as two lists, as PutMetricData takes them.
 *
 * @example
 * bucketValueLists({ count: 3, sum: 30, min: 5, max: 15, buckets: { boundaries: [10], counts: [1, 2] } });
 * // { values: [5, 10, 15], counts: [1, 1, 1] }
 */
export function bucketValueLists(h: Histogram): ValueLists {
  const lists: ValueLists = { values: [], counts: [] };
  const split = splitBuckets(h);
  if (split === undefined) return lists;
  fitSum(split.buckets, h.sum - split.fixed);
  joined(split, lists);
  return lists;
}

/**
 * Values and how many observations each stands for, at the same index. Two lists of numbers, not an
 * object a value: V8 keeps numbers in a list unboxed, and a collection converts thousands of series.
 */
export interface ValueLists {
  readonly values: number[];
  readonly counts: number[];
}

/** A histogram's non-empty buckets (the first of those kept above), less the recorded min and max, which stand apart. */
interface Split {
  readonly buckets: number;
  readonly minOut: number | undefined;
  readonly maxOut: number | undefined;
  /** The min and max sent, added up. */
  readonly fixed: number;
}

function splitBuckets(h: Histogram): Split | undefined {
  const { boundaries, counts: recorded } = h.buckets;
  const last = boundaries.length;
  reserve(recorded.length);
  let n = 0;
  for (let i = 0; i < recorded.length; i++) {
    const count = recorded[i] ?? 0;
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
    lowerEdges[n] = lower;
    upperEdges[n] = upper;
    heldCounts[n] = count;
    heldValues[n] = (lower + upper) / 2;
    n++;
  }
  if (n === 0) return undefined;
  let fixed = 0;
  const minOut = h.min !== undefined && heldCounts[0]! > 0 ? h.min : undefined;
  if (minOut !== undefined) {
    heldCounts[0]!--;
    fixed += minOut;
  }
  const maxOut = h.max !== undefined && heldCounts[n - 1]! > 0 ? h.max : undefined;
  if (maxOut !== undefined) {
    heldCounts[n - 1]!--;
    fixed += maxOut;
  }
  return { buckets: n, minOut, maxOut, fixed };
}

/** The min, each bucket's value and the max, in increasing order, equal values as one. */
function joined({ buckets, minOut, maxOut }: Split, into: ValueLists): void {
  if (minOut !== undefined) append(into, minOut, 1);
  for (let i = 0; i < buckets; i++) if (heldCounts[i]! > 0) append(into, heldValues[i]!, heldCounts[i]!);
  if (maxOut !== undefined) append(into, maxOut, 1);
}

function append({ values, counts }: ValueLists, value: number, count: number): void {
  const last = values.length - 1;
  if (last >= 0 && values[last] === value) counts[last]! += count;
  else {
    values.push(value);
    counts.push(count);
  }
}

/**
 * Moves each bucket's value from where it is toward its upper (or lower) edge by one share of its
 * room, the share that makes the values add up to `sum`, and tells whether they do: recorded values
 * in those buckets make such a share exist, up to rounding; a sample of them may need more room
 * than its buckets have. A sum that is no finite number leaves the values as they are.
 */
function fitSum(buckets: number, sum: number): boolean {
  let total = 0;
  for (let i = 0; i < buckets; i++) total += heldValues[i]! * heldCounts[i]!;
  const gap = sum - total;
  if (!Number.isFinite(gap) || gap === 0) return true;
  let room = 0;
  for (let i = 0; i < buckets; i++)
    room += heldCounts[i]! * (gap > 0 ? upperEdges[i]! - heldValues[i]! : heldValues[i]! - lowerEdges[i]!);
  if (!(room > 0)) return false;
  const share = Math.min(1, Math.abs(gap) / room);
  // Clamped: a value moved its whole room lands an ulp past the edge as often as on it, and the
  // first bucket's lower edge is the recorded min, which the sample would then undercut.
  for (let i = 0; i < buckets; i++) {
    const value = heldValues[i]!;
    const moved = value + share * (gap > 0 ? upperEdges[i]! - value : lowerEdges[i]! - value);
    heldValues[i] = Math.min(upperEdges[i]!, Math.max(lowerEdges[i]!, moved));
  }
  return Math.abs(gap) <= room;
}

/**
 * A histogram as EMF sample values: each of {@link bucketValueLists} repeated once per observation. Above
 * `maxValues` observations the repeats are scaled down in proportion to `maxValues` values in all
 * (each non-empty bucket keeps at least one, and the min and max are kept), so percentiles keep their
 * shape while the point fits one document; CloudWatch's SampleCount and Sum then describe the
 * sample, not the traffic. The buckets' kept repeats and the min and max weigh more in the sample
 * than in the traffic, so the values PutMetricData gets, fitted to the sum, would make the sample's
 * Average a multiple of the recorded one under a long tail: they are moved inside their buckets to
 * the recorded average where their buckets can reach it. Where they cannot (a max far out, weighing
 * a hundredth of the sample where it was a thousandth of the traffic) no values inside the buckets
 * give that Average, and every value moved to its bucket's lower edge, which is the bucket below's
 * upper one, would put the percentiles there, a bucket low, for an Average still wrong: the values
 * are then those PutMetricData gets, and the Average is the sample's.
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
  for (let i = 0; i < split.buckets; i++) total += heldCounts[i]!;
  fitSum(split.buckets, h.sum - split.fixed);
  if (total > maxValues) {
    const traffic = heldValues.slice(0, split.buckets);
    const sampled = kept + shareOut(split.buckets, maxValues - kept, total - kept);
    if (!fitSum(split.buckets, (h.sum / total) * sampled - split.fixed)) heldValues.set(traffic);
  }
  const lists: ValueLists = { values: [], counts: [] };
  joined(split, lists);
  const out: number[] = [];
  for (let v = 0; v < lists.values.length; v++)
    for (let i = 0; i < lists.counts[v]!; i++) out.push(lists.values[v]!);
  return out;
}

/**
 * Gives the non-empty buckets `room` repeats in all, in proportion to their counts (`observations`
 * in all), each at least one, and returns how many were given: more than `room` only when there are
 * more buckets than that, each then keeping one alone. Rounded each on its own, the repeats overshoot
 * (a bucket of 0.2 keeps one), and a sample of 101 values takes a second document of its own.
 */
function shareOut(buckets: number, room: number, observations: number): number {
  const shares: { bucket: number; left: number }[] = [];
  let given = 0;
  let nonEmpty = 0;
  for (let i = 0; i < buckets; i++) if (heldCounts[i]! > 0) nonEmpty++;
  if (nonEmpty >= room) {
    // The buckets' one repeat each is already more than the room: a bucket holding most of the
    // traffic keeping its share as well would only add to the overshoot.
    for (let i = 0; i < buckets; i++) if (heldCounts[i]! > 0) heldCounts[i] = 1;
    return nonEmpty;
  }
  for (let i = 0; i < buckets; i++) {
    const count = heldCounts[i]!;
    if (!(count > 0)) continue;
    const quota = (count * room) / observations;
    const n = Math.max(1, Math.floor(quota));
    shares.push({ bucket: i, left: quota - n });
    heldCounts[i] = n;
    given += n;
  }
  if (given === room) return given;
  // Largest remainders first: to the buckets whose quota was cut most, from those cut least.
  shares.sort((a, c) => c.left - a.left);
  if (given < room)
    for (let i = 0; given < room; i = (i + 1) % shares.length, given++) heldCounts[shares[i]!.bucket]!++;
  else
    for (let i = shares.length - 1; given > room; i = i === 0 ? shares.length - 1 : i - 1) {
      const b = shares[i]!.bucket;
      if (heldCounts[b]! > 1) {
        heldCounts[b]!--;
        given--;
      }
    }
  return given;
}
