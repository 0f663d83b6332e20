import { AnomalyLikelihood } from './likelihood.js';
import { SeasonalProfile } from './seasonal-profile.js';

/**
 * Where one series' state lives. With 10,000 series fed in turn every update meets a cold series,
 * so its cost is the number of distinct cache lines it touches. All of a series' numbers sit in
 * one buffer: the float64 scalars first (the ones read on every update at the front), then the
 * float32 rings, then the two seasonal profiles, of which an update reads one record each.
 * Integer and boolean state stays on the detector object, whose small-integer fields are stored
 * inline; a float field there would be a separate heap box, one more line per field.
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

/** The detector's own scalars read on every update (`F.lastTs` to `F.zeroRate`), and the others. */
export const OWN_HOT_FLOATS = 36;
export const OWN_COLD_FLOATS = 6;
/** Float64 slots of the likelihood's and the profiles' state, read on every update too. */
const LIK_STATE_AT = OWN_HOT_FLOATS;
const DAY_STATE_AT = LIK_STATE_AT + AnomalyLikelihood.stateFloats;
const WEEK_STATE_AT = DAY_STATE_AT + SeasonalProfile.stateFloats;
/** Scalars that only some updates read: the detector's own, then the profiles' ranges. */
export const COLD_AT = WEEK_STATE_AT + SeasonalProfile.stateFloats;
const DAY_RANGE_AT = COLD_AT + OWN_COLD_FLOATS;
const WEEK_RANGE_AT = DAY_RANGE_AT + SeasonalProfile.rangeFloats;

/** Float64 slots of the detector's own scalars: the hot ones, then (after the helpers' state) the cold ones. */
export const F = {
  /** Timestamps: latest seen, first of the model. */
  lastTs: 0,
  firstTs: 1,
  /** Levels of model 0 (flat) and of the seasonal models. */
  lvlA: 2,
  lvlB: 3,
  /** Residual scale (mean absolute error) of models 0, 1, 2. */
  maeA: 4,
  maeB: 5,
  maeC: 6,
  /** Long-run typical |y|, for the noise floor and the outage test. */
  typical: 7,
  /** Sum of the z ring; slow mean of z; learned spreads of both. */
  zSum: 8,
  absW: 9,
  slowMean: 10,
  absSlow: 11,
  /** Drift rule: slow mean and slow reference of the deseasonalised value, spread of their gap. */
  shortY: 12,
  refY: 13,
  absD: 14,
  /** Variance test: running mean and mean square of z. */
  ewz: 15,
  ewz2: 16,
  /** Recurring spikes: outlier runs seen lately, largest recent outlier up and down, their fade. */
  spikeRuns: 17,
  spikeUp: 18,
  spikeDown: 19,
  spikeFade: 20,
  /** Fading extremes for the spatial rule. */
  maxSeen: 21,
  minSeen: 22,
  /** Flatline rule: previous value and how often values repeat. */
  lastY: 23,
  repeatRate: 24,
  /** Strongest recent surprise (fading) and the short EW average of the raw value. */
  recentSurprise: 25,
  recent: 26,
  /** Last gap between points and its fade factor for the extremes (the gap is almost always the same). */
  fadeDt: 27,
  fade: 28,
  /** Errors by which the models are compared. */
  selA: 29,
  selB: 30,
  selC: 31,
  /** Band of the last point, reported again for points that cannot be scored. */
  lastExpected: 32,
  lastLower: 33,
  lastUpper: 34,
  /** Fraction of recent points at zero: in a series usually at zero, a zero is not an outage. */
  zeroRate: 35,
  /** Repeat rate from before the current run of equal values began. */
  runRate: COLD_AT,
  /** Highest score of the open episode. */
  peak: COLD_AT + 1,
  /** Fast levels that follow an open episode, taken as the new levels when it is accepted. */
  fastA: COLD_AT + 2,
  fastB: COLD_AT + 3,
  /** Levels before the last accepted change, restored if it is undone. */
  prevA: COLD_AT + 4,
  prevB: COLD_AT + 5,
} as const;

/** Float64 slots per series. */
export const STATE_FLOATS = WEEK_RANGE_AT + SeasonalProfile.rangeFloats;

/** Float32 layout: the two rings (written on every update, so side by side), then the profiles. */
export const Z_RING_AT = 0;
const LIK_RING_AT = Z_RING_AT + Z_WINDOW;
const DAY_AT = LIK_RING_AT + LIK_WINDOW;
const WEEK_AT = DAY_AT + DAY_SLOTS * SeasonalProfile.recordFloats;
const BLOCK_FLOATS = WEEK_AT + WEEK_SLOTS * SeasonalProfile.recordFloats;

/** The layout of the likelihood and the two profiles, shared by every series. */
export const LIKELIHOOD = new AnomalyLikelihood(
  LIK_WINDOW,
  LIK_HORIZON,
  LIK_MIN_LEARNED,
  LIK_RING_AT,
  LIK_STATE_AT,
);
export const DAY = new SeasonalProfile(DAY_MS, DAY_SLOTS, DAY_AT, DAY_STATE_AT, DAY_RANGE_AT);
export const WEEK = new SeasonalProfile(WEEK_MS, WEEK_SLOTS, WEEK_AT, WEEK_STATE_AT, WEEK_RANGE_AT);

/** Bytes of one series' buffer. */
export const STATE_BYTES = STATE_FLOATS * 8 + BLOCK_FLOATS * 4;

/** One series' state: a single zeroed buffer seen as float64 scalars and float32 arrays. */
export function allocateState(): { scalars: Float64Array; floats: Float32Array } {
  const buffer = new ArrayBuffer(STATE_BYTES);
  return {
    scalars: new Float64Array(buffer, 0, STATE_FLOATS),
    floats: new Float32Array(buffer, STATE_FLOATS * 8, BLOCK_FLOATS),
  };
}
