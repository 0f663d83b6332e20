import { normalTailSurprise } from './robust-stats.js';

/**
 * Numenta-style anomaly likelihood in O(1): the raw surprise is averaged over the last few
 * points, and that average is compared with its own long-run mean and variance. The output is
 * −log10 of the tail probability divided by 10, so 0.5 means p ≈ 1e-5. This calibrates very
 * different series onto one scale: a series that is always a bit surprising stops alerting on
 * its usual noise.
 *
 * @example
 * ```ts
 * const l = new AnomalyLikelihood();
 * const s = l.update(0.02, true); // 0 during learning, later 0..1
 * ```
 */
/**
 * Floor of the averaged score's variance. Numenta uses 0.0003 for HTM's sparse raw scores; ours
 * are denser, and on clean synthetic noise a smaller floor turns harmless clusters into alerts.
 */
const VARIANCE_FLOOR = 0.002;

export class AnomalyLikelihood {
  private readonly ring: Float32Array;
  private idx = 0;
  private sum = 0;
  private filled = 0;
  private mean = 0;
  private variance = 0;
  private learned = 0;
  /** Score of the last {@link push}. */
  score = 0;
  private readonly horizon: number;
  private readonly minLearned: number;

  /** `ring`, `window` zeroed floats, lets a caller keep the averaging window in a shared block. */
  constructor(window = 10, horizon = 8640, minLearned = 100, ring = new Float32Array(window)) {
    if (ring.length !== window) throw new RangeError(`AnomalyLikelihood: ring must hold ${window} floats`);
    this.ring = ring;
    this.horizon = horizon;
    this.minLearned = minLearned;
  }

  get bytes(): number {
    return this.ring.byteLength;
  }

  /** Current smoothed raw surprise (mean of the ring). */
  get smoothed(): number {
    return this.filled === 0 ? 0 : this.sum / this.filled;
  }

  /**
   * Adds a raw value in [0, 1] and returns the likelihood score in [0, 1]. `learn` is false while
   * an anomaly episode is open, so the distribution is not contaminated by the anomaly itself.
   */
  update(raw: number, learn: boolean): number {
    this.push(raw, learn);
    return this.score;
  }

  /**
   * {@link update} without a return value; the score is left in {@link score}. The detector calls
   * this form: the method is not inlined, and a returned float would be boxed on every point.
   */
  push(raw: number, learn: boolean): void {
    const ring = this.ring;
    const old = ring[this.idx]!;
    ring[this.idx] = raw;
    this.idx = (this.idx + 1) % ring.length;
    if (this.filled < ring.length) this.filled++;
    else this.sum -= old;
    this.sum += raw;
    const avg = this.sum / this.filled;

    // Until the distribution is learned the raw surprise stands on its own: raw 0.5 is p ≈ 1e-5,
    // the same meaning as a likelihood of 0.5, so a glaring anomaly right after warm-up counts.
    let score = raw;
    if (this.learned >= this.minLearned) {
      const mean = Math.max(this.mean, 0.03);
      const variance = Math.max(this.variance, VARIANCE_FLOOR);
      const z = (avg - mean) / Math.sqrt(variance);
      score = z > 0 ? normalTailSurprise(z) / 10 : 0;
      if (score > 1) score = 1;
    }
    if (learn) {
      this.learned++;
      const a = Math.max(1 / this.learned, 1 / this.horizon);
      const d = avg - this.mean;
      this.mean += a * d;
      this.variance = (1 - a) * (this.variance + a * d * d);
    }
    this.score = score;
  }

  /** Sets the averaging window to the learned mean (neutral), keeping the learned distribution. */
  settle(): void {
    this.ring.fill(this.mean);
    this.filled = this.ring.length;
    this.sum = this.mean * this.ring.length;
  }

  clear(): void {
    this.ring.fill(0);
    this.idx = 0;
    this.sum = 0;
    this.filled = 0;
    this.mean = 0;
    this.variance = 0;
    this.learned = 0;
  }
}
