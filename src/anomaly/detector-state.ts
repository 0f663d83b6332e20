import { AnomalyLikelihood } from './likelihood.js';
import { SeasonalProfile } from './seasonal-profile.js';

/**
 * Where series state lives. With 10,000 series fed in turn every update meets a cold series, so
 * its cost is the cache lines and the pages it touches (a TLB miss under nested paging costs
 * more than the cache miss). Series therefore share slabs: one buffer per slab holding, for each
 * of its series, a record of whole cache lines (scalars and rings), and then the two seasonal
 * profiles slot-major, `[slot][series][offset, deviation, visits]`. A collection cycle feeds
 * every series the same timestamp, so the same slot: consecutive series read neighbouring
 * records and profile entries, about 1,500 pages for 10,000 series instead of 16,000.
 * Slabs grow with the number of series (1, 1, 2, 4 ... 64), so a lone detector costs what it
 * uses; a detector's index goes back to its slab once the detector is garbage (dropped by its
 * owner or evicted by the engine), and an empty slab is dropped.
 *
 * A record: the float64 scalars read on every update (the detector's own, then the likelihood's
 * and the profiles' state), the two float32 rings (written on every update), then the scalars
 * that only some updates read. Integer and boolean state stays on the detector object, whose
 * small-integer fields are stored inline; a float field there would be a separate heap box.
 */

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
export const DAY_SLOTS = 288;
export const WEEK_SLOTS = 168;
/** Short window for the collective (multi-point) z: the z ring. */
export const Z_WINDOW = 12;
/**
 * Likelihood layer: averaging window (its ring), horizon of its mean/variance, and points learned
 * before it scores. The horizon is Numenta's 8640 (a month of 5-minute points): a shorter memory
 * lets a noisy week raise the bar for the next one, and a quiet one lower it.
 */
export const LIK_WINDOW = 20;
export const LIK_HORIZON = 8640;
export const LIK_MIN_LEARNED = 100;

/**
 * The detector's own scalars read on every update (`F.lastTs` to `F.zeroRate`), and the others
 * (from `F.runRate`). Their slots are literals in `detector-layout.ts`; the tests hold them to this layout.
 */
export const OWN_HOT_FLOATS = 36;
export const OWN_COLD_FLOATS = 27;
/** Float64 slots of the likelihood's and the profiles' state, read on every update too. */
const LIK_STATE_AT = OWN_HOT_FLOATS;
const DAY_STATE_AT = LIK_STATE_AT + AnomalyLikelihood.stateFloats;
const WEEK_STATE_AT = DAY_STATE_AT + SeasonalProfile.stateFloats;
/** End of the hot scalars; the rings follow them, in the same lines. */
export const HOT_FLOATS = WEEK_STATE_AT + SeasonalProfile.stateFloats;
/** Float32 rings: the z ring, then the likelihood's, indexed from the ring view. */
export const Z_RING_AT = 0;
const LIK_RING_AT = Z_RING_AT + Z_WINDOW;
export const RING_FLOATS = LIK_RING_AT + LIK_WINDOW;
const RING_BYTE_AT = HOT_FLOATS * 8;
/** Scalars that only some updates read, after the rings: the detector's own, then the profiles' ranges. */
export const COLD_AT = (RING_BYTE_AT + RING_FLOATS * 4) / 8;
const DAY_RANGE_AT = COLD_AT + OWN_COLD_FLOATS;
const WEEK_RANGE_AT = DAY_RANGE_AT + SeasonalProfile.rangeFloats;
/** Float64 slots of a record, rounded up to whole cache lines so each record starts a line. */
export const STATE_FLOATS = Math.ceil((WEEK_RANGE_AT + SeasonalProfile.rangeFloats) / 8) * 8;
const RECORD_BYTES = STATE_FLOATS * 8;
/** Bytes of one series' profile entries (both profiles, every slot). */
const PROFILE_BYTES = (DAY_SLOTS + WEEK_SLOTS) * SeasonalProfile.recordFloats * 4;

/** The layout of the likelihood and the two profiles, shared by every series. */
export const LIKELIHOOD = new AnomalyLikelihood(
  LIK_WINDOW,
  LIK_HORIZON,
  LIK_MIN_LEARNED,
  LIK_RING_AT,
  LIK_STATE_AT,
);
export const DAY = new SeasonalProfile(DAY_MS, DAY_SLOTS, DAY_STATE_AT, DAY_RANGE_AT);
export const WEEK = new SeasonalProfile(WEEK_MS, WEEK_SLOTS, WEEK_STATE_AT, WEEK_RANGE_AT);

/** Bytes of state per series, its share of a full slab. */
export const STATE_BYTES = RECORD_BYTES + PROFILE_BYTES;

/**
 * Series per slab at most: 64 profile entries of a slot fill 12 cache lines of one page, and a
 * full slab is 390 KB. A larger slab saves few pages more: the records are most of them.
 */
export const SLAB_MAX = 64;

/** Where one series' state sits: its scalars and rings, and its profiles in the slab's storage. */
export interface SeriesState {
  readonly scalars: Float64Array;
  /**
   * The slab's float32 storage, shared by its series, in which `ringsAt`, `dayAt` and `weekAt`
   * index: one view per slab rather than one per series, one object less to reach per update.
   */
  readonly floats: Float32Array;
  readonly ringsAt: number;
  readonly dayAt: number;
  readonly weekAt: number;
  /** Floats from one slot's entry to the next: the slab's series side by side. */
  readonly stride: number;
}

class Slab {
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly floats: Float32Array;
  /** Free series indices, lowest on top, so series allocated together sit together. */
  readonly free: number[] = [];
  live = 0;
  readonly capacity: number;

  constructor(id: number, capacity: number) {
    this.id = id;
    this.capacity = capacity;
    this.buffer = new ArrayBuffer(capacity * STATE_BYTES);
    this.floats = new Float32Array(this.buffer);
    for (let i = capacity - 1; i >= 0; i--) this.free.push(i);
  }
}

/** Slabs with a live series, by id; dropped once empty, so an empty slab becomes garbage. */
const slabs = new Map<number, Slab>();
/** Slabs with a free index, the one to allocate from last. */
const open: Slab[] = [];
/**
 * Capacity of all live slabs: the next slab matches it (up to `SLAB_MAX`), so while series are
 * only added at most half of it is empty, and a lone detector gets a slab of one.
 */
let capacity = 0;
let nextId = 0;

/**
 * The index of a collected detector goes back to its slab. The token is a small integer (slab id
 * and index), which costs no object per series.
 */
const registry = new FinalizationRegistry<number>((token) => {
  const slab = slabs.get(Math.floor(token / SLAB_MAX));
  if (slab !== undefined) release(slab, token % SLAB_MAX);
});

function release(slab: Slab, index: number): void {
  slab.free.push(index);
  slab.live--;
  if (slab.live === 0) {
    slabs.delete(slab.id);
    const at = open.indexOf(slab);
    if (at >= 0) open.splice(at, 1);
    capacity -= slab.capacity;
  } else if (slab.free.length === 1) {
    open.push(slab);
  }
}

/** Zeroed state for one series, owned by `owner`: its index is returned once `owner` is garbage. */
export function allocateState(owner: object): SeriesState {
  let slab = open[open.length - 1];
  if (slab === undefined) {
    slab = new Slab(nextId++, Math.min(Math.max(capacity, 1), SLAB_MAX));
    slabs.set(slab.id, slab);
    capacity += slab.capacity;
    open.push(slab);
  }
  const index = slab.free.pop()!;
  if (slab.free.length === 0) open.pop();
  slab.live++;
  registry.register(owner, slab.id * SLAB_MAX + index);
  const cap = slab.capacity;
  const base = index * RECORD_BYTES;
  const scalars = new Float64Array(slab.buffer, base, STATE_FLOATS);
  // A reused index holds its previous series' numbers: zeroed (the record spans the rings too), it
  // is exactly a new one. The profile entries are cleared by the detector's `reset()`.
  scalars.fill(0);
  const recordFloats = SeasonalProfile.recordFloats;
  const dayAt = (cap * RECORD_BYTES) / 4 + index * recordFloats;
  return {
    scalars,
    floats: slab.floats,
    ringsAt: (base + RING_BYTE_AT) / 4,
    dayAt,
    weekAt: dayAt + DAY_SLOTS * cap * recordFloats,
    stride: cap * recordFloats,
  };
}

/** Live slabs and their total capacity, for tests of the allocator. */
export function slabUsage(): { slabs: number; capacity: number } {
  return { slabs: slabs.size, capacity };
}
