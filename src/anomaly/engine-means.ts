/**
 * The detector's window and slow means weigh each cycle's value with this span: an episode opened
 * on them is judged on a mean over as many cycles.
 */
export const MEAN_SPAN = 12;
const MEAN_ALPHA = 2 / (MEAN_SPAN + 1);
/** The variance of that mean over a cycle's, for independent values: one over the cycles it holds. */
const MEAN_VAR = MEAN_ALPHA / (2 - MEAN_ALPHA);
export const MEAN_SD = Math.sqrt(MEAN_VAR);

/** A rate's recent values and the detector's expected values, averaged over the same cycles. */
export interface RecentMean {
  value: number;
  expected: number;
  points: number;
  /**
   * The highest the mean has been once it held `MEAN_SPAN` cycles: the most the rate's own counts
   * have shown it to run at, which a fall of its mean must be from.
   */
  highest: number;
}

export function newRecentMean(): RecentMean {
  return { value: 0, expected: 0, points: 0, highest: Number.NEGATIVE_INFINITY };
}

export function addToMean(m: RecentMean, value: number, expected: number): void {
  if (!Number.isFinite(expected)) return;
  if (m.points++ === 0) {
    m.value = value;
    m.expected = expected;
    return;
  }
  m.value += MEAN_ALPHA * (value - m.value);
  m.expected += MEAN_ALPHA * (expected - m.expected);
  if (m.points >= MEAN_SPAN && m.value > m.highest) m.highest = m.value;
}

/**
 * Within two Poisson standard deviations of the expected count, for a count per cycle or for the
 * mean of the counts of the cycles a mean holds, whose noise is smaller by the square root of that
 * number.
 */
export function isCountNoise(value: number, expected: number, perCycle: number, mean: boolean): boolean {
  const count = Math.max(expected * perCycle, 0);
  return Math.abs(value - expected) * perCycle < 2 * Math.sqrt(mean ? count * MEAN_VAR : count);
}
