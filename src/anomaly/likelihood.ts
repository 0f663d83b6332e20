import { normalTailSurprise } from './robust-stats.js';

// Enum members rather than module constants: esbuild inlines them as literals, also in the
// bundle, where a top-level `const` becomes a `var` that is loaded on every use.
enum Tuning {
  /**
   * Floor of the averaged score's variance. Numenta uses 0.0003 for HTM's sparse raw scores; ours
   * are denser, and on clean synthetic noise a smaller floor turns harmless clusters into alerts.
   */
  varianceFloor = 0.002,
}

/** Float64 slots of per-series state, relative to `stateAt`. */
enum Slot {
  idx = 0,
  filled = 1,
  sum = 2,
  mean = 3,
  variance = 4,
  learned = 5,
  /** Score of the last {@link AnomalyLikelihood.push}. */
  score = 6,
}

/**
 * Numenta-style anomaly likelihood in O(1): the raw surprise is averaged over the last few
 * points, and that average is compared with its own long-run mean and variance. The output is
 * −log10 of the tail probability divided by 10, so 0.5 means p ≈ 1e-5. This calibrates very
 * different series onto one scale: a series that is always a bit surprising stops alerting on
 * its usual noise.
 *
 * One instance describes the layout and is shared by every series; each series hands in its own
 * `ring` storage (Float32, `window` floats from `ringsAt + ringAt`, where `ringsAt` is the series'
 * rings in that storage) and `state` (Float64, `stateFloats` from `stateAt`), so the likelihood
 * costs a series no object of its own.
 *
 * @example
 * ```ts
 * const l = new AnomalyLikelihood(10, 8640, 100, 0, 0);
 * const ring = new Float32Array(10);
 * const state = new Float64Array(AnomalyLikelihood.stateFloats);
 * l.push(state, ring, 0, 0.02, true);
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
    return state[this.at + Slot.score]!;
  }

  /**
   * Adds a raw value in [0, 1]; the likelihood score is then read with {@link score}. `learn` is
   * false while an anomaly episode is open, so the distribution is not contaminated by the anomaly
   * itself. No return value: the method is not inlined, and a returned float would be boxed on
   * every point.
   */
  push(state: Float64Array, ring: Float32Array, ringsAt: number, raw: number, learn: boolean): void {
    const s = this.at;
    const w = this.window;
    const idx = state[s + Slot.idx]!;
    const slot = ringsAt + this.ringAt + idx;
    const old = ring[slot]!;
    ring[slot] = raw;
    state[s + Slot.idx] = idx + 1 < w ? idx + 1 : 0;
    let filled = state[s + Slot.filled]!;
    let sum = state[s + Slot.sum]!;
    if (filled < w) state[s + Slot.filled] = ++filled;
    else sum -= old;
    sum += raw;
    state[s + Slot.sum] = sum;
    const avg = sum / filled;

    // Until the distribution is learned the raw surprise stands on its own: raw 0.5 is p ≈ 1e-5,
    // the same meaning as a likelihood of 0.5, so a glaring anomaly right after warm-up counts.
    let score = raw;
    let learned = state[s + Slot.learned]!;
    if (learned >= this.minLearned) {
      const mean = Math.max(state[s + Slot.mean]!, 0.03);
      const variance = Math.max(state[s + Slot.variance]!, Tuning.varianceFloor);
      const z = (avg - mean) / Math.sqrt(variance);
      score = z > 0 ? normalTailSurprise(z) / 10 : 0;
      if (score > 1) score = 1;
    }
    if (learn) {
      state[s + Slot.learned] = ++learned;
      const a = Math.max(1 / learned, 1 / this.horizon);
      const mean = state[s + Slot.mean]!;
      const d = avg - mean;
      state[s + Slot.mean] = mean + a * d;
      state[s + Slot.variance] = (1 - a) * (state[s + Slot.variance]! + a * d * d);
    }
    state[s + Slot.score] = score;
  }

  /** Sets the averaging window to the learned mean (neutral), keeping the learned distribution. */
  settle(state: Float64Array, ring: Float32Array, ringsAt: number): void {
    const s = this.at;
    const mean = state[s + Slot.mean]!;
    ring.fill(mean, ringsAt + this.ringAt, ringsAt + this.ringAt + this.window);
    state[s + Slot.filled] = this.window;
    state[s + Slot.sum] = mean * this.window;
  }

  /** Copies the learned distribution (mean, variance, points) to `state[to..to+2]`. */
  saveLearned(state: Float64Array, to: number): void {
    state[to] = state[this.at + Slot.mean]!;
    state[to + 1] = state[this.at + Slot.variance]!;
    state[to + 2] = state[this.at + Slot.learned]!;
  }

  /** Takes back a distribution saved by {@link saveLearned}. */
  restoreLearned(state: Float64Array, from: number): void {
    state[this.at + Slot.mean] = state[from]!;
    state[this.at + Slot.variance] = state[from + 1]!;
    state[this.at + Slot.learned] = state[from + 2]!;
  }

  clear(state: Float64Array, ring: Float32Array, ringsAt: number): void {
    ring.fill(0, ringsAt + this.ringAt, ringsAt + this.ringAt + this.window);
    state.fill(0, this.at, this.at + AnomalyLikelihood.stateFloats);
  }
}
