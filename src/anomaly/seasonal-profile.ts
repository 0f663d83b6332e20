/**
 * An online seasonal profile: one additive offset and one mean absolute deviation per slot of a
 * period (slot of day, hour of week), Holt-Winters/Brutlag style. Memory is fixed at
 * 9 bytes per slot whatever the stream length.
 *
 * @example
 * ```ts
 * const daily = new SeasonalProfile(86_400_000, 288);
 * const slot = daily.slotOf(Date.now());
 * daily.learn(slot, 4.2, 0.3);
 * daily.offsetAt(daily.lookup(slot)); // 4.2
 * ```
 */
export class SeasonalProfile {
  readonly periodMs: number;
  readonly slots: number;
  private readonly slotMs: number;
  /** [offset_0..offset_n-1, dev_0..dev_n-1] in one array to keep per-series objects few. */
  private readonly values: Float32Array;
  /** Visits per slot, saturating at 255; drives 1/n averaging until the slot is mature. */
  private readonly visits: Uint8Array;
  private readonly gamma: number;
  private rangeMin = 0;
  private rangeMax = 0;
  private rangeAge = Number.POSITIVE_INFINITY;
  private cacheFrom = 0;
  private cacheTo = 0;
  private cacheSlot = 0;

  constructor(periodMs: number, slots: number, gamma = 0.1) {
    this.periodMs = periodMs;
    this.slots = slots;
    this.slotMs = periodMs / slots;
    this.values = new Float32Array(slots * 2);
    this.visits = new Uint8Array(slots);
    this.gamma = gamma;
  }

  get bytes(): number {
    return this.values.byteLength + this.visits.byteLength;
  }

  slotOf(timestampMs: number): number {
    // Consecutive points mostly fall in the same slot; skip the modulo arithmetic then.
    if (timestampMs >= this.cacheFrom && timestampMs < this.cacheTo) return this.cacheSlot;
    const p = this.periodMs;
    const phase = ((timestampMs % p) + p) % p;
    const s = Math.min(Math.floor(phase / this.slotMs), this.slots - 1);
    this.cacheFrom = timestampMs - (phase - s * this.slotMs);
    this.cacheTo = this.cacheFrom + this.slotMs;
    this.cacheSlot = s;
    return s;
  }

  /**
   * The nearest learned slot at or before `slot` (data coarser than the slot width only fills
   * some slots), or -1 when none of the few preceding slots has been seen.
   */
  lookup(slot: number): number {
    const n = this.slots;
    for (let k = 0; k < 4; k++) {
      const i = (slot - k + n) % n;
      if (this.visits[i]! > 0) return i;
    }
    return -1;
  }

  offsetAt(i: number): number {
    return i < 0 ? 0 : this.values[i]!;
  }

  devAt(i: number): number {
    return i < 0 ? 0 : this.values[this.slots + i]!;
  }

  visitsAt(i: number): number {
    return i < 0 ? 0 : this.visits[i]!;
  }

  learn(slot: number, target: number, absError: number): void {
    const v = this.visits[slot]!;
    const n = v < 255 ? v + 1 : 255;
    this.visits[slot] = n;
    const g = Math.max(1 / n, this.gamma);
    const vals = this.values;
    vals[slot] = vals[slot]! + g * (target - vals[slot]!);
    const d = this.slots + slot;
    vals[d] = n === 1 ? absError : vals[d]! + g * (absError - vals[d]!);
    this.rangeAge++;
  }

  /**
   * Smallest and largest learned offsets. Recomputed at most once per `slots` updates so the
   * amortised cost stays O(1).
   */
  range(): [number, number] {
    if (this.rangeAge >= this.slots) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < this.slots; i++) {
        if (this.visits[i]! === 0) continue;
        const o = this.values[i]!;
        if (o < lo) lo = o;
        if (o > hi) hi = o;
      }
      this.rangeMin = lo === Number.POSITIVE_INFINITY ? 0 : lo;
      this.rangeMax = hi === Number.NEGATIVE_INFINITY ? 0 : hi;
      this.rangeAge = 0;
    }
    return [this.rangeMin, this.rangeMax];
  }

  clear(): void {
    this.values.fill(0);
    this.visits.fill(0);
    this.rangeAge = Number.POSITIVE_INFINITY;
  }
}
