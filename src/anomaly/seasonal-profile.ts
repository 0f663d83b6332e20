import type { WallClock } from './wall-clock.js';

/**
 * An online seasonal profile: one additive offset and one mean absolute deviation per slot of a
 * period (slot of day, hour of week), Holt-Winters/Brutlag style. Memory is fixed at
 * 12 bytes per slot whatever the stream length. Slots are read on a time zone's wall clock, as
 * traffic follows its users' day: after a change of offset it comes at the same slots.
 *
 * One instance describes a period and is shared by every series: each series hands in its own
 * storage, `records` (Float32: the record of slot `i` is the `recordFloats` floats from
 * `at + i * stride`) and `state` (Float64: `stateFloats` read on every update from `stateAt`,
 * and `rangeFloats` read rarely from `rangeAt`). A stride lets series that share a buffer
 * interleave their profiles slot by slot, so series updated at the same time of day read
 * neighbouring records rather than one page each.
 *
 * @example
 * ```ts
 * const daily = new SeasonalProfile(86_400_000, 288, 0, SeasonalProfile.stateFloats);
 * const records = new Float32Array(daily.floats);
 * const state = new Float64Array(SeasonalProfile.stateFloats + SeasonalProfile.rangeFloats);
 * const stride = SeasonalProfile.recordFloats; // one series alone: records side by side
 * daily.clear(records, 0, stride, state);
 * const r = daily.record(0, stride, daily.slotOf(state, Date.now(), UTC));
 * daily.learn(records, r, state, 4.2, 0.3);
 * daily.offsetAt(records, daily.lookup(records, 0, stride, daily.slotOf(state, Date.now(), UTC))); // 4.2
 * ```
 */
export class SeasonalProfile {
  /** Floats per slot in the record storage: [offset, deviation, visits]. */
  static readonly recordFloats = 3;
  /** Float64 slots of per-series state read on every update, from `stateAt`. */
  static readonly stateFloats = 4;
  /** Float64 slots of the cached range and mean of offsets, from `rangeAt`. */
  static readonly rangeFloats = 3;
  readonly periodMs: number;
  readonly slots: number;
  private readonly slotMs: number;
  private readonly gamma: number;
  /**
   * Per-series scalars in the caller's Float64 state. The slot cache (consecutive points mostly
   * fall in the same slot, so the offset and the modulo arithmetic are skipped then): `[from, to)`
   * and its slot.
   */
  private readonly cacheFrom: number;
  private readonly cacheTo: number;
  private readonly cacheSlot: number;
  /**
   * Learns since the range was computed, saturating at `slots` (stale), the range itself and the
   * mean offset.
   */
  private readonly rangeAge: number;
  private readonly rangeMin: number;
  private readonly rangeMax: number;
  private readonly rangeMean: number;

  constructor(periodMs: number, slots: number, stateAt: number, rangeAt: number, gamma = 0.1) {
    this.periodMs = periodMs;
    this.slots = slots;
    this.slotMs = periodMs / slots;
    this.gamma = gamma;
    this.cacheFrom = stateAt;
    this.cacheTo = stateAt + 1;
    this.cacheSlot = stateAt + 2;
    this.rangeAge = stateAt + 3;
    this.rangeMin = rangeAt;
    this.rangeMax = rangeAt + 1;
    this.rangeMean = rangeAt + 2;
  }

  /** Floats of record storage this profile uses. */
  get floats(): number {
    return this.slots * SeasonalProfile.recordFloats;
  }

  // slotOf and lookup keep their common case in a few bytes of bytecode, so the compiler inlines
  // them into the detector's update instead of calling out (and boxing the timestamp) twice.
  slotOf(state: Float64Array, timestampMs: number, clock: WallClock): number {
    return timestampMs >= state[this.cacheFrom]! && timestampMs < state[this.cacheTo]!
      ? state[this.cacheSlot]!
      : this.locate(state, timestampMs, clock);
  }

  private locate(state: Float64Array, timestampMs: number, clock: WallClock): number {
    const p = this.periodMs;
    const local = timestampMs + clock.offsetAt(timestampMs);
    const phase = ((local % p) + p) % p;
    const s = Math.min(Math.floor(phase / this.slotMs), this.slots - 1);
    const from = timestampMs - (phase - s * this.slotMs);
    // A slot ends where the offset changes: the clock going back an hour repeats the slots of that
    // hour, and going forward skips them.
    state[this.cacheFrom] = Math.max(from, clock.from);
    state[this.cacheTo] = Math.min(from + this.slotMs, clock.to);
    state[this.cacheSlot] = s;
    return s;
  }

  /** First float of the record of `slot` in storage laid out from `at` with `stride`. */
  record(at: number, stride: number, slot: number): number {
    return at + stride * slot;
  }

  /**
   * The record of the nearest learned slot at or before `slot` (data coarser than the slot width
   * only fills some slots), or -1 when none of the few preceding slots has been seen.
   */
  lookup(records: Float32Array, at: number, stride: number, slot: number): number {
    const r = at + stride * slot;
    return records[r + 2]! > 0 ? r : this.lookupEarlier(records, at, stride, slot);
  }

  private lookupEarlier(records: Float32Array, at: number, stride: number, slot: number): number {
    const n = this.slots;
    for (let k = 1; k < 4; k++) {
      const r = at + stride * ((slot - k + n) % n);
      if (records[r + 2]! > 0) return r;
    }
    return -1;
  }

  offsetAt(records: Float32Array, r: number): number {
    return r < 0 ? 0 : records[r]!;
  }

  devAt(records: Float32Array, r: number): number {
    return r < 0 ? 0 : records[r + 1]!;
  }

  visitsAt(records: Float32Array, r: number): number {
    return r < 0 ? 0 : records[r + 2]!;
  }

  /**
   * Learns into the record at `b` (from {@link record}). Visits saturate at 255 (exact in a
   * float) and drive 1/n averaging until the slot is mature.
   */
  learn(records: Float32Array, b: number, state: Float64Array, target: number, absError: number): void {
    const v = records[b + 2]!;
    const n = v < 255 ? v + 1 : 255;
    records[b + 2] = n;
    const g = Math.max(1 / n, this.gamma);
    records[b] = records[b]! + g * (target - records[b]!);
    records[b + 1] = n === 1 ? absError : records[b + 1]! + g * (absError - records[b + 1]!);
    const age = state[this.rangeAge]!;
    if (age < this.slots) state[this.rangeAge] = age + 1;
  }

  /**
   * Smallest and largest learned offsets. Recomputed at most once per `slots` updates so the
   * amortised cost stays O(1).
   */
  range(records: Float32Array, at: number, stride: number, state: Float64Array): [number, number] {
    if (state[this.rangeAge]! >= this.slots) this.summarise(records, at, stride, state);
    return [state[this.rangeMin]!, state[this.rangeMax]!];
  }

  /**
   * Mean of the learned offsets, recomputed with the range: how much of the level the profile
   * holds, which depends on how it and the level split the value while they learned.
   */
  centre(records: Float32Array, at: number, stride: number, state: Float64Array): number {
    if (state[this.rangeAge]! >= this.slots) this.summarise(records, at, stride, state);
    return state[this.rangeMean]!;
  }

  private summarise(records: Float32Array, at: number, stride: number, state: Float64Array): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let seen = 0;
    for (let i = 0; i < this.slots; i++) {
      const b = at + stride * i;
      if (records[b + 2]! === 0) continue;
      const o = records[b]!;
      if (o < lo) lo = o;
      if (o > hi) hi = o;
      sum += o;
      seen++;
    }
    state[this.rangeMin] = lo === Number.POSITIVE_INFINITY ? 0 : lo;
    state[this.rangeMax] = hi === Number.NEGATIVE_INFINITY ? 0 : hi;
    state[this.rangeMean] = seen === 0 ? 0 : sum / seen;
    state[this.rangeAge] = 0;
  }

  /**
   * Takes the mean of the learned offsets out of every one of them and returns it: a profile that
   * learned whole values becomes a level and the differences from it.
   */
  centreOffsets(records: Float32Array, at: number, stride: number, state: Float64Array): number {
    this.summarise(records, at, stride, state);
    const mean = state[this.rangeMean]!;
    for (let i = 0; i < this.slots; i++) {
      const b = at + stride * i;
      if (records[b + 2]! > 0) records[b] = records[b]! - mean;
    }
    state[this.rangeAge] = this.slots;
    return mean;
  }

  /** Widens every slot's deviation by `factor`: the noise grew with an accepted change of level. */
  scaleDeviations(records: Float32Array, at: number, stride: number, factor: number): void {
    for (let i = 0; i < this.slots; i++) records[at + stride * i + 1]! *= factor;
  }

  clear(records: Float32Array, at: number, stride: number, state: Float64Array): void {
    // The slot cache is a function of the timestamp and the series' clock alone and stays valid.
    const width = SeasonalProfile.recordFloats;
    for (let i = 0; i < this.slots; i++) records.fill(0, at + stride * i, at + stride * i + width);
    state[this.rangeAge] = this.slots;
  }
}
