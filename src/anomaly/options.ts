import { AnomalyOptionError } from './errors.js';
import { normalTailSurprise, normalTailZ } from './robust-stats.js';
import type { AnomalyDirection, DetectorOptions, SeasonalityMode } from './types.js';
import { processTimeZone, UTC, type WallClock, wallClock } from './wall-clock.js';

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  /** Internal likelihood cut-off (0..1) that maps to the public score 0.5. */
  cutoff: number;
  /** Exponent that maps the internal score to the public one: the cut-off maps to 0.5. */
  scoreExp: number;
  /** Usual gaps between the slow mean and its long-run reference that flag a drift. */
  driftZ: number;
  direction: AnomalyDirection;
  seasonality: SeasonalityMode;
  warmup: number;
  cooldown: number;
  minRelativeImpact: number;
  minAbsoluteImpact: number;
  transform: 'auto' | 'none' | 'sqrt' | 'log';
  acceptAfter: number;
  /** The wall clock of the zone whose time of day the seasonal profiles follow. */
  clock: WallClock;
}

const PRESETS = { low: 0.25, medium: 0.5, high: 0.75 } as const;

/**
 * The internal score is −log10(tail probability)/10 of the smoothed surprise. At medium
 * sensitivity the cut-off is 0.5 (p ≈ 1e-5, Numenta's "red zone"); each 0.1 of sensitivity moves
 * it by 0.1, i.e. one decade of tail probability.
 */
function cutoffFor(sensitivity: number): number {
  return 0.5 - (sensitivity - 0.5);
}

/** The drift rule's threshold at medium sensitivity, in usual gaps. */
const DRIFT_Z_MEDIUM = 5;

/**
 * The drift rule's threshold for a sensitivity: each 0.1 of sensitivity moves its tail
 * probability by one decade, as it moves the likelihood's cut-off (5 usual gaps at medium, about
 * 6 at low, about 3.7 at high).
 */
function driftZFor(sensitivity: number): number {
  if (sensitivity === PRESETS.medium) return DRIFT_Z_MEDIUM;
  return normalTailZ(normalTailSurprise(DRIFT_Z_MEDIUM) + (PRESETS.medium - sensitivity) * 10);
}

function fail(what: string, message: string, option?: string): never {
  throw new AnomalyOptionError(`SL_ERR_ANOMALY_${what}`, message, option);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Object.prototype.toString.call(value);
}

function intOption(name: string, code: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(
      code,
      `anomaly option "${name}" must be an integer >= ${min}; got ${show(value)}. Pass e.g. ${fallback}.`,
    );
  }
  return value;
}

function numOption(name: string, code: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(
      code,
      `anomaly option "${name}" must be a finite number >= 0; got ${show(value)}. Pass e.g. ${fallback}.`,
    );
  }
  return value;
}

/**
 * The options the detector takes: one it does not (`warmUp` for `warmup`) would be ignored and the
 * default used without a word, where `init()` refuses a key it does not take.
 */
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof DetectorOptions>([
  'sensitivity',
  'direction',
  'seasonality',
  'warmup',
  'cooldown',
  'minRelativeImpact',
  'minAbsoluteImpact',
  'transform',
  'acceptAfter',
  'timeZone',
]);

/**
 * Validates user options and fills defaults. Throws {@link AnomalyOptionError} on bad input.
 *
 * @example
 * ```ts
 * const resolved = resolveOptions({ sensitivity: 'high' });
 * ```
 */
export function resolveOptions(options: DetectorOptions | undefined): ResolvedOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    fail('OPTIONS', `anomaly options must be an object; got ${show(options)}. Pass {} or omit the argument.`);
  }
  const o = options ?? {};
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.has(key)) {
      fail(
        'OPTIONS',
        `anomaly option ${JSON.stringify(key)} is not one the detector takes; they are ${[...OPTION_NAMES].join(', ')}.`,
        key,
      );
    }
  }

  let sensitivity: number;
  const s = o.sensitivity;
  if (s === undefined) sensitivity = PRESETS.medium;
  else if (typeof s === 'string' && Object.hasOwn(PRESETS, s))
    sensitivity = PRESETS[s as keyof typeof PRESETS];
  else if (typeof s === 'number' && Number.isFinite(s) && s >= 0 && s <= 1) sensitivity = s;
  else {
    fail(
      'SENSITIVITY',
      `anomaly option "sensitivity" must be 'low', 'medium', 'high' or a number in [0, 1]; got ${show(s)}. Use 'medium' (0.5) if unsure.`,
    );
  }

  const direction = o.direction ?? 'both';
  if (direction !== 'up' && direction !== 'down' && direction !== 'both') {
    fail('DIRECTION', `anomaly option "direction" must be 'up', 'down' or 'both'; got ${show(direction)}.`);
  }
  const seasonality = o.seasonality ?? 'auto';
  if (
    seasonality !== 'auto' &&
    seasonality !== 'none' &&
    seasonality !== 'daily' &&
    seasonality !== 'weekly'
  ) {
    fail(
      'SEASONALITY',
      `anomaly option "seasonality" must be 'auto', 'none', 'daily' or 'weekly'; got ${show(seasonality)}.`,
    );
  }
  const transform = o.transform ?? 'auto';
  if (transform !== 'auto' && transform !== 'none' && transform !== 'sqrt' && transform !== 'log') {
    fail(
      'TRANSFORM',
      `anomaly option "transform" must be 'auto', 'none', 'sqrt' or 'log'; got ${show(transform)}.`,
    );
  }

  let clock: WallClock | undefined;
  if (o.timeZone === undefined) {
    // The process's own zone is the runtime's; should it not know it after all, UTC as before.
    clock = wallClock(processTimeZone()) ?? UTC;
  } else {
    clock = typeof o.timeZone === 'string' ? wallClock(o.timeZone) : undefined;
    if (clock === undefined) {
      fail(
        'TIME_ZONE',
        `anomaly option "timeZone" must be an IANA time zone name; got ${show(o.timeZone)}. Pass e.g. 'America/New_York' or 'UTC'.`,
      );
    }
  }

  const cutoff = cutoffFor(sensitivity);
  return {
    cutoff,
    // score = internal^(ln 2 / −ln cutoff), so an internal score at the cut-off reads 0.5.
    scoreExp: Math.LN2 / -Math.log(cutoff),
    driftZ: driftZFor(sensitivity),
    direction,
    seasonality,
    warmup: intOption('warmup', 'WARMUP', o.warmup, 10, 120),
    cooldown: intOption('cooldown', 'COOLDOWN', o.cooldown, 0, 100),
    minRelativeImpact: numOption('minRelativeImpact', 'MIN_RELATIVE_IMPACT', o.minRelativeImpact, 0.1),
    minAbsoluteImpact: numOption('minAbsoluteImpact', 'MIN_ABSOLUTE_IMPACT', o.minAbsoluteImpact, 0),
    transform,
    acceptAfter: intOption('acceptAfter', 'ACCEPT_AFTER', o.acceptAfter, 1, 6),
    clock,
  };
}

/**
 * A detector reads its resolved options on every update; detectors created with the same options
 * (the usual case: defaults, or an engine's few combinations) share one object, which then stays in
 * cache instead of costing a miss per series. Bounded: past the limit an object is kept per
 * detector.
 */
const SHARED_OPTIONS: ResolvedOptions[] = [];
const SHARED_OPTIONS_MAX = 64;

export function sharedOptions(o: ResolvedOptions): ResolvedOptions {
  const keys = Object.keys(o) as (keyof ResolvedOptions)[];
  for (const known of SHARED_OPTIONS) {
    if (keys.every((k) => Object.is(known[k], o[k]))) return known;
  }
  if (SHARED_OPTIONS.length < SHARED_OPTIONS_MAX) SHARED_OPTIONS.push(o);
  return o;
}
