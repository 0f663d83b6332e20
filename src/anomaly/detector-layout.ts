// The numbers `update()` reads hundreds of times a point: state slots, tuning and tags. They are
// enum members because esbuild replaces those by their literal values when it bundles the package
// (tsup), and the built package is what users run; the optimising compiler does not fold a number
// held in an imported `const` or a bundled top-level `var`, so each use would cost a load. When
// each file is compiled on its own (tsx, vitest), a member of an enum imported from this file is a
// property load instead; that costs the sources, not the package. The slot values must match
// `detector-state.ts`; the tests hold them to it.

/** Layout numbers of `detector-state.ts` read on every update. */
export enum Layout {
  dayMs = 86_400_000,
  zRingAt = 0,
  /** Short window for the collective (multi-point) z: the z ring, and the span of `F.recent`. */
  zWindow = 12,
  /** Points the likelihood averages its raw surprise over. */
  likWindow = 20,
}

/**
 * Float64 slots of the detector's own scalars in its record (`detector-state.ts`): the hot ones,
 * then, after the likelihood's and the profiles' state and the rings, the cold ones.
 */
export enum F {
  /** Timestamps: latest seen, first of the model. */
  lastTs = 0,
  firstTs = 1,
  /** Levels of model 0 (flat) and of the seasonal models. */
  lvlA = 2,
  lvlB = 3,
  /** Residual scale (mean absolute error) of models 0, 1, 2. */
  maeA = 4,
  maeB = 5,
  maeC = 6,
  /** Long-run typical |y|, for the noise floor and the outage test. */
  typical = 7,
  /** Sum of the z ring; slow mean of z; learned spreads of both. */
  zSum = 8,
  absW = 9,
  slowMean = 10,
  absSlow = 11,
  /** Drift rule: slow mean and slow reference of the deseasonalised value, spread of their gap. */
  shortY = 12,
  refY = 13,
  absD = 14,
  /** Variance test: running mean and mean square of z. */
  ewz = 15,
  ewz2 = 16,
  /** Recurring spikes: outlier runs upward seen lately, largest recent outlier up and down, their fade. */
  spikeRuns = 17,
  spikeUp = 18,
  spikeDown = 19,
  spikeFade = 20,
  /** Fading extremes for the spatial rule. */
  maxSeen = 21,
  minSeen = 22,
  /** Flatline rule: previous value and how often values repeat. */
  lastY = 23,
  repeatRate = 24,
  /** Strongest recent surprise (fading) and the short EW average of the raw value. */
  recentSurprise = 25,
  recent = 26,
  /** Last gap between points and its fade factor for the extremes (the gap is almost always the same). */
  fadeDt = 27,
  fade = 28,
  /** Errors by which the models are compared. */
  selA = 29,
  selB = 30,
  selC = 31,
  /** Band of the last point, reported again for points that cannot be scored. */
  lastExpected = 32,
  lastLower = 33,
  lastUpper = 34,
  /** Fraction of recent points at zero: in a series usually at zero, a zero is not an outage. */
  zeroRate = 35,
  /** Repeat rate from before the current run of equal values began. */
  runRate = 67,
  /** Highest score of the open episode. */
  peak = 68,
  /** Fast levels that follow an open episode, taken as the new levels when it is accepted. */
  fastA = 69,
  fastB = 70,
  /** Levels before the last accepted change, restored if it is undone. */
  prevA = 71,
  prevB = 72,
  /** Fade factor of `zeroRate` for the last gap between points. */
  zeroFade = 73,
  /** Mean distance of the open episode's points from its fast level: the noise after a step. */
  epSpread = 74,
  /**
   * Residual scales before the last accepted change, restored with its levels if it is undone;
   * `prevMaeA` is negative when the change kept the scale it had.
   */
  prevMaeA = 75,
  prevMaeB = 76,
  prevMaeC = 77,
  /** Recurring spikes: outlier runs downward seen lately (`spikeRuns` counts those upward). */
  spikeRunsDown = 78,
  /**
   * The likelihood's learned distribution (mean, variance, points) before the last accepted change
   * from a level at zero, restored with the scales if it is undone.
   */
  prevLikMean = 79,
  prevLikVariance = 80,
  prevLikPoints = 81,
  /** The short EW average of the expected value, over the points `recent` averages. */
  recentExpected = 82,
  /**
   * Extremes of the points of recent episodes, kept out of `maxSeen` and `minSeen` for a day from
   * the first of them.
   */
  heldMax = 83,
  heldMin = 84,
  /**
   * A lone extreme far beyond every one before it (see `K.loneRange`), kept out of `maxSeen` and
   * `minSeen` until a point of its order confirms it.
   */
  loneMax = 85,
  loneMin = 86,
  /**
   * Extremes of the last episode that opened well inside the held ones (see `F.heldMax`), held with
   * them but apart.
   */
  lesserMax = 87,
  lesserMin = 88,
  /**
   * Factor by which the last accepted change widened the scales and the profiles' deviations, taken
   * back if it is undone (1: it did not widen them).
   */
  prevWiden = 89,
  /**
   * Recurring spikes: outlier points upward and downward seen lately, fading as the runs do: over
   * the runs, how long a run of them lasts.
   */
  spikePoints = 90,
  spikePointsDown = 91,
  /**
   * The values of the last runs of repeats that began at the top and at the bottom of the series'
   * range: its bounds, each kept apart, as a series held at one is held at the other in turn.
   */
  boundHigh = 92,
  boundLow = 93,
}

/** Tuning constants shared by every series. None of them depends on a particular data set. */
// biome-ignore-start lint/suspicious/noDuplicateEnumValues: numbers, not tags; equal values are a coincidence
export enum K {
  /** Level EWMA span in points (Grafana's 1 h mid-line at 1-min steps). */
  levelSpan = 60,
  /**
   * Level span of the seasonal model: the daily profile already follows the intra-day shape, so
   * its level moves slowly and a broken day is not absorbed before it is noticed.
   */
  levelSpanSeasonal = 500,
  /** Span of the residual scale (mean absolute error) in points. */
  scaleSpan = 240,
  /** Huber clip of residuals fed to the level and scale, in sigmas. */
  huber = 3,
  /** Span of the slow mean of z that catches level shifts and drifts. */
  slowSpan = 30,
  /** Span over which the spread of the window and slow means is learned. */
  spreadSpan = 500,
  /** Span of the running mean/variance of z used by the variance test. */
  varianceSpan = 12,
  /** Spatial rule: a new extreme beyond this fraction of the seen range. */
  spatialTolerance = 0.05,
  /** ...and only when the point is also this many sigmas out (new extremes of pure noise are common). */
  spatialMinZ = 4.5,
  /** Surprise assigned to a spatial new extreme (Numenta forces the score to 1). */
  spatialSurprise = 8,
  /**
   * The values of recent episodes count in the spatial rule's range only for a point at least this
   * share as far from the expected value as they are (see `F.heldMax`).
   */
  heldShare = 0.5,
  /**
   * An extreme this many times the seen range beyond the level (a duration measured from 0, bytes
   * recorded as megabytes) is lone: it counts in the range, as an episode's values do for a day,
   * only for points at least about half as far out, until one of them confirms it (see `F.loneMax`).
   */
  loneRange = 1000,
  /**
   * Time over which the seen extremes fade back toward the level (e-folding). A spike from months
   * ago must not mask a new one far outside today's band; the file-wide min/max that NAB hands
   * its detectors is the future, which a streaming detector cannot have.
   */
  extremeFadeMs = 60 * 86_400_000,
  /**
   * Recurring spikes: the record of recent outliers (their largest size and how many runs of them)
   * fades over this time (e-folding). Once it holds at least `recurringRuns` runs, an outlier no
   * larger than the record carries at most `recurringSurprise` (p = 0.01), below what starts an
   * episode.
   */
  spikeMemoryMs = 7 * 86_400_000,
  recurringRuns = 1.5,
  recurringSurprise = 2,
  /**
   * ...and an outlier up to this share larger than the record is no larger: the record fades a
   * little with every point, and the same value again (one error in twelve requests) exceeded it.
   */
  recurringTolerance = 0.05,
  /** A run of outliers under this share of the record replaces it (see the recurring-spike record). */
  lesserRun = 0.1,
  /**
   * A run of outliers this long or longer counts as as many runs as it is times as long as the
   * record's runs last: a queue that stops draining is more than one more burst.
   */
  longRun = 4,
  /** Clip of z for the multi-point means and the variance test: a lone spike is the point rule's. */
  meanClip = 4,
  /** Fraction of the warm-up after which the likelihood starts learning (skips the cold start). */
  likStart = 0.5,
  /** Raw score = surprise / rawScale, clipped to 1. */
  rawScale = 10,
  /** Consecutive calm points that close an episode. */
  recoverPoints = 3,
  /** |z| below which a point counts as calm. */
  recoverZ = 3,
  /** Short-window variance of z (1 when calm) that makes a two-sided burst a variance change. */
  varianceSpread = 4,
  /**
   * Surprise the point itself must carry to start an episode: the likelihood remembers the last
   * ~20 points, and an unremarkable point must not inherit their evidence under another name.
   * Scaled with the likelihood cut-off, so higher sensitivity also accepts weaker points.
   */
  minSurprise = 3,
  /**
   * Points after accepting a level change during which a return to the old level undoes it; a day
   * of points for a change between levels off zero once a profile is in use.
   */
  revertWindow = 60,
  surpriseFade = 0.25,
  /**
   * Drift rule: span of the slow reference level (and of the usual gap between it and the slow
   * mean of the value). The level follows a rise over a few dozen points; the reference, the
   * likelihood's month of 5-minute points, does not, so a build-up is measured against the
   * long-run norm rather than last week's. How many usual gaps flag it depends on the sensitivity
   * (`ResolvedOptions.driftZ`).
   */
  driftSpan = 8640,
  /**
   * Noise floor of counts after the transform: `countFloorMin` for a counter that has not varied,
   * rising with the typical error (x `countSeen`) to 1, the Poisson sd, once that error reaches 0.25.
   */
  countFloorMin = 0.25,
  countSeen = 4,
  /**
   * A series held still while its typical error was at most this share of its noise floor: a
   * count's error then is under a twentieth of Poisson noise's, below what a sparse counter's ones
   * among zeros give (about a third of the floor).
   */
  stillShare = 0.25,
  /** Band half-width in sigmas for lower/upper. */
  bandK = 3,
  /** Sigmas by which the recent average must clear the baseline when a multi-point member fires. */
  bandMulti = 2,
  /** Seasonal model must beat the simpler one by this factor to be switched on. */
  seasonGain = 0.9,
  /** Days of data before the daily / weekly profile may be used. */
  dailyAfterDays = 2,
  weeklyAfterDays = 14,
  /** Days over which the seasonal models' errors are compared. */
  selectDays = 7,
  /** Points of a repeated value before a flatline can be scored. */
  flatMinRun = 6,
  /** Flatline scoring only applies when the series repeats a value less often than this. */
  flatMaxRepeatRate = 0.2,
  /**
   * ...and to a run this many times longer than the longest the series kept still lately and then
   * moved on its own: a quiet night or weekend a little longer than the one before is no stuck value.
   */
  quietRuns = 2,
  /**
   * Daily slots (five minutes) by which a run may begin off the time of day a run reported as stuck
   * began and still be taken for the same spell come back: a night's quiet begins when the traffic
   * ends, within the hour.
   */
  stuckSlots = 12,
  /**
   * A value at zero is an outage only in a series that is rarely at zero (fraction of points over
   * about the last day, learned outside episodes and through a held outage): in a sparse or
   * bursty series zero is the usual value, and in one that is idle every night a night is not an
   * outage, whatever the step between points.
   */
  outageMaxZeroRate = 0.2,
  /** Time over which the zero rate fades (e-folding); a plain mean until then. */
  zeroMemoryMs = 86_400_000,
}
// biome-ignore-end lint/suspicious/noDuplicateEnumValues: end of the tuning numbers

/** Which member of the ensemble carries a point's surprise. */
export enum Member {
  point = 0,
  window = 1,
  slow = 2,
  variance = 3,
  spatial = 4,
  flat = 5,
  drift = 6,
}

/** How values are transformed before they are modelled (see `value-transform.ts`). */
export enum Transform {
  none = 0,
  sqrt = 1,
  log = 2,
}
