import { normalTailSurprise } from './robust-stats.js';

/**
 * Floor of the averaged score's variance. Numenta uses 0.0003 for HTM's sparse raw scores; ours
 * are denser, and on clean synthetic noise a smaller floor turns harmless clusters into alerts.
 */
const VARIANCE_FLOOR = 0.002;

/** Float64 slots of per-series state, relative to `stateAt`. */
const IDX = 0;
const FILLED = 1;
const SUM = 2;
const MEAN = 3;
const VARIANCE = 4;
const LEARNED = 5;
/** Score of the last {@link AnomalyLikelihood.push}. */
const SCORE = 6;

/**
 * Numenta-style anomaly likelihood in O(1): the raw surprise is averaged over the last few
 * points, and that average is compared with its own long-run mean and variance. The output is
 * −log10 of the tail probability divided by 10, so 0.5 means p ≈ 1e-5. This calibrates very
 * different series onto one scale: a series that is always a bit surprising stops alerting on
 * its usual noise.
 *
 * One instance describes the layout and is shared by every series; each series hands in its own
 * `ring` (Float32, `window` floats from `ringAt`) and `state` (Float64, `stateFloats` from
 * `stateAt`), so the likelihood costs a series no object of its own.
 *
 * @example
 * ```ts
 * const l = new AnomalyLikelihood(10, 8640, 100, 0, 0);
 * const ring = new Float32Array(10);
 * const state = new Float64Array(AnomalyLikelihood.stateFloats);
 * l.push(state, ring, 0.02, true);
 * l.score(state); // 0 during learning, later 0..1
 * ```
 */
export class AnomalyLikelihood {
  static readonly stateFloats = 7;
  readonly window: number;
  private readonly horizon: number;
  private readonly minLearned: number;
  private readonly ringAt: number;
  private readonly at: number;

  constructor(window: number, horizon: number, minLearned: number, ringAt: number, stateAt: number) {
    this.window = window;
    this.horizon = horizon;
    this.minLearned = minLearned;
    this.ringAt = ringAt;
    this.at = stateAt;
  }

  /** Score of the last {@link push}, in [0, 1]. */
  score(state: Float64Array): number {
    return state[this.at + SCORE]!;
  }

  /**
   * Adds a raw value in [0, 1]; the likelihood score is then read with {@link score}. `learn` is
   * false while an anomaly episode is open, so the distribution is not contaminated by the anomaly
   * itself. No return value: the method is not inlined, and a returned float would be boxed on
   * every point.
   */
  push(state: Float64Array, ring: Float32Array, raw: number, learn: boolean): void {
    const s = this.at;
    const w = this.window;
    const idx = state[s + IDX]!;
    const slot = this.ringAt + idx;
    const old = ring[slot]!;
    ring[slot] = raw;
    state[s + IDX] = idx + 1 < w ? idx + 1 : 0;
    let filled = state[s + FILLED]!;
    let sum = state[s + SUM]!;
    if (filled < w) state[s + FILLED] = ++filled;
    else sum -= old;
    sum += raw;
    state[s + SUM] = sum;
    const avg = sum / filled;

    // Until the distribution is learned the raw surprise stands on its own: raw 0.5 is p ≈ 1e-5,
    // the same meaning as a likelihood of 0.5, so a glaring anomaly right after warm-up counts.
    let score = raw;
    let learned = state[s + LEARNED]!;
    if (learned >= this.minLearned) {
      const mean = Math.max(state[s + MEAN]!, 0.03);
      const variance = Math.max(state[s + VARIANCE]!, VARIANCE_FLOOR);
      const z = (avg - mean) / Math.sqrt(variance);
      score = z > 0 ? normalTailSurprise(z) / 10 : 0;
      if (score > 1) score = 1;
    }
    if (learn) {
      state[s + LEARNED] = ++learned;
      const a = Math.max(1 / learned, 1 / this.horizon);
      const mean = state[s + MEAN]!;
      const d = avg - mean;
      state[s + MEAN] = mean + a * d;
      state[s + VARIANCE] = (1 - a) * (state[s + VARIANCE]! + a * d * d);
    }
    state[s + SCORE] = score;
  }

  /** Sets the averaging window to the learned mean (neutral), keeping the learned distribution. */
  settle(state: Float64Array, ring: Float32Array): void {
    const s = this.at;
    const mean = state[s + MEAN]!;
    ring.fill(mean, this.ringAt, this.ringAt + this.window);
    state[s + FILLED] = this.window;
    state[s + SUM] = mean * this.window;
  }

  clear(state: Float64Array, ring: Float32Array): void {
    ring.fill(0, this.ringAt, this.ringAt + this.window);
    state.fill(0, this.at, this.at + AnomalyLikelihood.stateFloats);
  }
}
