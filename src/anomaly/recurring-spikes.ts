import { bitCount } from './bit-masks.js';
import { F, K } from './detector-layout.js';
import { normalTailSurprise, normalTailZ, poissonTail } from './robust-stats.js';

// The recurring-spike memory: how many runs of outliers each way a series has shown lately, how
// long they last, and so how unlikely the runs the short windows hold are. `s` is a detector's
// float state (slots `F`), `outUp` and `outDown` its outlier bits of the last `K.slowSpan` points,
// the newest lowest.

/**
 * The |z| whose tail surprise is `K.recurringSurprise`: the size at which an outlier the
 * recurring-spike rule calls ordinary enters the variance test (about 2.33).
 */
export const RECURRING_Z = normalTailZ(K.recurringSurprise);

/**
 * The recurring-spike record's runs in one direction after a point: faded by `keep`, plus one (and
 * `credit`) when an outlier that way starts a run. An outlier more than about twice as far out as
 * the largest the record holds is no repeat of the runs before it, which were lesser: they count no
 * more, or a route's p95 that was five of its widths off now and then made its first outage, at
 * hundreds, a spike it had shown again and again, and the same outage hours later ordinary.
 */
export function spikeRuns(
  runs: number,
  keep: number,
  outlier: boolean,
  starts: boolean,
  credit: number,
  size: number,
  record: number,
): number {
  const next = runs * keep + (outlier && starts ? 1 + credit : 0);
  // Twice as far out, within the held extremes' tolerance, is still a repeat: a minute with two
  // errors after minutes with one.
  const beyond = size * (K.heldShare - K.spatialTolerance) > record * keep;
  return outlier && beyond ? Math.min(next, 1 + credit) : next;
}

/**
 * The surprise of a multi-point mean at `e` (in its own sigmas) that holds outliers in direction
 * `sign`: in full without them (`kept`), with them no more than their runs are unlikely.
 */
export function meanSurprise(
  s: Float64Array,
  outUp: number,
  outDown: number,
  kept: number,
  e: number,
  sign: number,
  n: number,
): number {
  const without = kept > 0 ? normalTailSurprise(kept) : 0;
  return Math.max(without, Math.min(normalTailSurprise(e), outlierRunsSurprise(s, outUp, outDown, sign, n)));
}

/**
 * How unlikely the runs of outliers in direction `sign` (0: either) among the last `K.slowSpan`
 * points are, as a tail surprise at the record's rate of runs: the least likely of the last two,
 * three or more runs in the points since the first of them began (0 for one run of usual length,
 * a burst the record knows). Infinite, which leaves the member as it was, when the points hold
 * none or the series has not shown such runs again and again before them.
 */
export function outlierRunsSurprise(
  s: Float64Array,
  outUp: number,
  outDown: number,
  sign: number,
  n: number,
): number {
  const mask = sign > 0 ? outUp : sign < 0 ? outDown : outUp | outDown;
  if (mask === 0) return Number.POSITIVE_INFINITY;
  // A run starts at an outlier whose point before it (the next bit up) was none.
  const starts = mask & ~(mask >>> 1);
  // The record holds these runs already: the rate is that of the runs before them, and outliers
  // are the series' habit only once it had shown them again and again before.
  const runsKnown = (sign >= 0 ? s[F.spikeRuns]! : 0) + (sign <= 0 ? s[F.spikeRunsDown]! : 0);
  const known = runsKnown - bitCount(starts);
  if (known < K.recurringRuns) return Number.POSITIVE_INFINITY;
  // The record's runs per point, over as many points as it holds with its fading, and how long
  // its runs last: a run that lasts a few times as long counts as that many.
  const keep = s[F.spikeFade]!;
  const rate = known / (keep < 1 ? (1 - keep ** n) / (1 - keep) : n);
  const points = (sign >= 0 ? s[F.spikePoints]! : 0) + (sign <= 0 ? s[F.spikePointsDown]! : 0);
  const usual = Math.max(points / runsKnown, 1);
  let weight = 0;
  let len = 0;
  let most = 0;
  for (let age = 0, m = mask; m !== 0; age++, m >>>= 1) {
    if ((m & 1) === 0) continue;
    len++;
    if (((starts >>> age) & 1) === 0) continue;
    weight += len >= K.longRun ? Math.max(1, len / usual) : 1;
    len = 0;
    if (weight >= 2) most = Math.max(most, -Math.log10(poissonTail(weight, (age + 1) * rate)));
  }
  return most;
}

/**
 * Whether the run of outliers in direction `sign` the point ends, at least `K.longRun` points
 * long, is one the `runs` runs before it would hardly have held: with their lengths spread as a
 * geometric law of their mean, fewer than one in `10 ** recurringSurprise` of as many runs last as
 * long. A queue whose bursts of two minutes, hundreds a week, now and then run into each other has
 * runs of five or six; a series that dipped for a point or two twice a week has none that long.
 */
export function outlastsRuns(
  s: Float64Array,
  outUp: number,
  outDown: number,
  sign: number,
  runs: number,
): boolean {
  const mask = sign > 0 ? outUp : outDown;
  // Its length: the outliers in a row up to this point.
  const own = 31 - Math.clz32((mask + 1) & ~mask);
  if (own < K.longRun) return false;
  const points = (sign > 0 ? s[F.spikePoints]! : s[F.spikePointsDown]!) - (own - 1);
  const longer = 1 - 1 / Math.max(points / runs, 1);
  return runs * longer ** (own - 1) < 10 ** -K.recurringSurprise;
}
