/**
 * What an anomaly looks like, as reported on {@link AnomalyResult.kind}.
 *
 * - `spike` / `dip`: a short excursion above / below the expected value.
 * - `level_shift`: the series moved to a new level and stays there (includes outages).
 * - `drift`: a gradual, persistent departure that no single point explains.
 * - `variance`: the noise got much wider while the level stayed put.
 * - `flatline`: a normally moving series stopped changing (stuck sensor, frozen exporter).
 * - `seasonality_break`: the value is normal for the series overall but wrong for this time of day/week.
 *
 * @example
 * ```ts
 * const kind: AnomalyKind = 'level_shift';
 * ```
 */
export type AnomalyKind =
  | 'spike'
  | 'dip'
  | 'level_shift'
  | 'drift'
  | 'variance'
  | 'flatline'
  | 'seasonality_break';

/**
 * Named sensitivity presets. `medium` is the shipped default.
 *
 * @example
 * ```ts
 * createDetector({ sensitivity: 'high' });
 * ```
 */
export type SensitivityPreset = 'low' | 'medium' | 'high';

/**
 * Which deviations may raise an alert.
 *
 * @example
 * ```ts
 * createDetector({ direction: 'up' }); // latency: only slower is bad
 * ```
 */
export type AnomalyDirection = 'up' | 'down' | 'both';

/**
 * Seasonal model to use. `auto` learns daily and weekly profiles online and switches them on
 * only when they predict better than a flat baseline.
 *
 * @example
 * ```ts
 * createDetector({ seasonality: 'daily' });
 * ```
 */
export type SeasonalityMode = 'auto' | 'none' | 'daily' | 'weekly';

/**
 * Options accepted by `createDetector`. Every field is optional.
 *
 * @example
 * ```ts
 * const detector = createDetector({ sensitivity: 0.7, direction: 'down', warmup: 200 });
 * ```
 */
export interface DetectorOptions {
  /**
   * `'low' | 'medium' | 'high'` or a number in [0, 1] (0.25 = low, 0.5 = medium, 0.75 = high).
   * The number moves the internal likelihood cut-off: each +0.1 roughly multiplies the expected
   * alert rate on well-behaved data by ten. Default `'medium'`.
   */
  sensitivity?: SensitivityPreset | number | undefined;
  /** Which side of the band may alert. Default `'both'`. */
  direction?: AnomalyDirection | undefined;
  /** Seasonal model. Default `'auto'`. */
  seasonality?: SeasonalityMode | undefined;
  /** Points to observe before the first alert (integer >= 10). Default 120. */
  warmup?: number | undefined;
  /**
   * Points after an episode starts during which no new episode may start, so one incident
   * yields one alert (integer >= 0). Outages bypass it. Default 100.
   */
  cooldown?: number | undefined;
  /**
   * Minimum deviation from the expected value, as a fraction of the expected value, before a
   * point can alert (number >= 0). Default 0.1 (10 %).
   */
  minRelativeImpact?: number | undefined;
  /** Minimum absolute deviation, in the series' units, before a point can alert (>= 0). Default 0. */
  minAbsoluteImpact?: number | undefined;
  /**
   * Value transform. `auto` uses a square-root (Anscombe) transform for non-negative integer
   * series (counters) and none otherwise. `log` takes the log of the value in hundredths of the
   * first value that is not 0, so a latency gives the same alerts in seconds and in milliseconds.
   * Default `'auto'`.
   */
  transform?: 'auto' | 'none' | 'sqrt' | 'log' | undefined;
  /**
   * Points an episode may last before a non-outage level change is accepted as the new normal
   * (integer >= 1). Outages (drop to about zero) are never accepted. Default 6.
   */
  acceptAfter?: number | undefined;
  /**
   * IANA time zone whose wall clock the daily and weekly profiles follow ('America/New_York'), as
   * traffic follows its users' day: after a daylight-saving change the morning comes at the same
   * slots, not an hour off. Default the process's zone, as `Intl.DateTimeFormat()` reads it (the
   * `TZ` variable's, else the system's; UTC in most containers).
   */
  timeZone?: string | undefined;
}

/**
 * The result of one `update()` call.
 *
 * @example
 * ```ts
 * const r = detector.update(812, Date.now());
 * if (r.episodeStart) console.log(`${r.kind}: ${r.severity}/100, expected ${r.expected}`);
 * ```
 */
export interface AnomalyResult {
  /** Calibrated anomaly score in [0, 1]; `anomaly` is true exactly when `score >= 0.5`. */
  score: number;
  /**
   * The detector's decision at its sensitivity: true on the first point of an episode, and on
   * every point of an outage (a drop to about zero) until it recovers. Equivalent to `score >= 0.5`.
   */
  anomaly: boolean;
  /** True only on the first point of an episode: emit one event per episode on this. */
  episodeStart: boolean;
  /** True on every point while an episode is open (from `episodeStart` until recovery/acceptance). */
  ongoing: boolean;
  /** Baseline value expected at this time (NaN before the first valid point). */
  expected: number;
  /** Lower edge of the normal band. */
  lower: number;
  /** Upper edge of the normal band. */
  upper: number;
  /** 0..100, peak strength of the open episode (0 when no episode is open). */
  severity: number;
  /** Kind of the open episode, or null when no episode is open. */
  kind: AnomalyKind | null;
}

/**
 * A streaming detector for one series. O(1) time and a few KB of memory per instance.
 *
 * @example
 * ```ts
 * const d = createDetector();
 * for (const [t, v] of points) {
 *   const r = d.update(v, t);
 *   if (r.episodeStart) alert(r);
 * }
 * ```
 */
export interface Detector {
  /** Feed one point; never throws. Non-finite values are ignored (neutral result). */
  update(value: number, timestampMs: number): AnomalyResult;
  /** Forget everything learned; the next point starts a new warm-up. */
  reset(): void;
  /** Bytes of typed-array state held for this series (scalars, rings and seasonal profiles). */
  readonly stateBytes: number;
}
