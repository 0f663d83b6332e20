/**
 * An online seasonal profile: one additive offset and one mean absolute deviation per slot of a
 * period (slot of day, hour of week), Holt-Winters/Brutlag style. Memory is fixed at
 * 12 bytes per slot whatever the stream length.
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
  /** Floats per slot in the storage a caller may hand to the constructor. */
  static readonly recordFloats = 3;
  readonly periodMs: number;
  readonly slots: number;
  private readonly slotMs: number;
  /**
   * One record per slot, [offset, deviation, visits]: an update reads and writes a single slot, so
   * keeping its three values side by side costs one cache line instead of three when thousands of
   * series are fed in turn. Visits saturate at 255 (exact in a float) and drive 1/n averaging until
   * the slot is mature.
   */
  private readonly rec: Float32Array;
  private readonly gamma: number;
  private rangeMin = 0;
  private rangeMax = 0;
  /**
   * Learns since the range was computed, saturating at `slots` (stale). A small integer rather
   * than a float counting from Infinity, so the increment on every learn writes in place instead
   * of through a boxed number.
   */
  private rangeAge: number;
  private cacheFrom = 0;
  private cacheTo = 0;
  private cacheSlot = 0;

  /** `storage`, `slots * recordFloats` zeroed floats, lets a caller keep several profiles in one block. */
  constructor(
    periodMs: number,
    slots: number,
    storage = new Float32Array(slots * SeasonalProfile.recordFloats),
    gamma = 0.1,
  ) {
    if (storage.length !== slots * SeasonalProfile.recordFloats) {
      throw new RangeError(
        `SeasonalProfile: storage must hold ${slots * SeasonalProfile.recordFloats} floats`,
      );
    }
    this.periodMs = periodMs;
    this.slots = slots;
    this.slotMs = periodMs / slots;
    this.rec = storage;
    this.gamma = gamma;
    this.rangeAge = slots;
  }

  get bytes(): number {
    return this.rec.byteLength;
  }

  // slotOf and lookup keep their common case in a few bytes of bytecode, so the compiler inlines
  // them into the detector's update instead of calling out (and boxing the timestamp) twice.
  slotOf(timestampMs: number): number {
    // Consecutive points mostly fall in the same slot; skip the modulo arithmetic then.
    return timestampMs >= this.cacheFrom && timestampMs < this.cacheTo
      ? this.cacheSlot
      : this.locate(timestampMs);
  }

  private locate(timestampMs: number): number {
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
    return this.rec[3 * slot + 2]! > 0 ? slot : this.lookupEarlier(slot);
  }

  private lookupEarlier(slot: number): number {
    const n = this.slots;
    for (let k = 1; k < 4; k++) {
      const i = (slot - k + n) % n;
      if (this.rec[3 * i + 2]! > 0) return i;
    }
    return -1;
  }

  offsetAt(i: number): number {
    return i < 0 ? 0 : this.rec[3 * i]!;
  }

  devAt(i: number): number {
    return i < 0 ? 0 : this.rec[3 * i + 1]!;
  }

  visitsAt(i: number): number {
    return i < 0 ? 0 : this.rec[3 * i + 2]!;
  }

  learn(slot: number, target: number, absError: number): void {
    const r = this.rec;
    const b = 3 * slot;
    const v = r[b + 2]!;
    const n = v < 255 ? v + 1 : 255;
    r[b + 2] = n;
    const g = Math.max(1 / n, this.gamma);
    r[b] = r[b]! + g * (target - r[b]!);
    r[b + 1] = n === 1 ? absError : r[b + 1]! + g * (absError - r[b + 1]!);
    if (this.rangeAge < this.slots) this.rangeAge++;
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
        if (this.rec[3 * i + 2]! === 0) continue;
        const o = this.rec[3 * i]!;
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
    this.rec.fill(0);
    this.rangeAge = this.slots;
  }
}
