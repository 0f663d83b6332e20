import { bitCount, bitWeights } from './bit-masks.js';
import { F, K, Layout, Member, Transform } from './detector-layout.js';
import { classifyEpisode } from './episode-kind.js';
import { confirmLone, joinExtremes } from './seen-extremes.js';
import {
  meanSurprise,
  outlastsRuns,
  outlierRunsSurprise,
  RECURRING_Z,
  spikeRuns,
} from './recurring-spikes.js';
import * as layout from './detector-state.js';
import { type ResolvedOptions, resolveOptions, sharedOptions } from './options.js';
import { clip, ewAlpha, normalTailSurprise } from './robust-stats.js';
import type { AnomalyKind, AnomalyResult, Detector, DetectorOptions } from './types.js';
import { forward, inverse } from './value-transform.js';
import { spreadSurprise } from './variance-test.js';

// The slots, tuning numbers and tags `update()` reads on every point are enum members in
// `detector-layout.ts`, which the bundler inlines as literals into the built package. The shared
// likelihood and profiles are objects and stay module constants.
const DAY = layout.DAY;
const WEEK = layout.WEEK;
const LIKELIHOOD = layout.LIKELIHOOD;

/** Variance factor of the EW average over `Layout.zWindow` points (`recent`) for iid noise. */
const RECENT_VAR = ewAlpha(Layout.zWindow) / (2 - ewAlpha(Layout.zWindow));
const RECENT_SD = Math.sqrt(RECENT_VAR);
const SLOW_ALPHA = ewAlpha(K.slowSpan);
const DRIFT_ALPHA = ewAlpha(K.driftSpan);
/** The bits of `K.slowSpan` points (30: a small integer, stored inline on the detector). */
const SLOW_BITS = 2 ** K.slowSpan - 1;
const WINDOW_BITS = 2 ** Layout.zWindow - 1;

/** Whether a value is the one before it again, but for rounding. */
function repeats(y: number, before: number): boolean {
  return Math.abs(y - before) <= 1e-9 * (Math.abs(y) + 1e-9);
}

/**
 * Float inputs of `learn()`, which is too big to be inlined into `update()`: a call that is not
 * inlined boxes each float argument, ten allocations per update. Shared by all detectors (updates
 * never interleave) and so always in cache.
 */
const LEARN_ARGS = new Float64Array(11);

/**
 * Streaming anomaly detector for one series. See {@link createDetector}.
 *
 * @example
 * ```ts
 * const d = new StreamingDetector();
 * const r = d.update(42, Date.now());
 * ```
 */
export class StreamingDetector implements Detector {
  private readonly o: ResolvedOptions;
  /** Float scalars at the slots named in {@link F}; see `detector-state.ts` for the layout. */
  private readonly s: Float64Array;
  /**
   * The slab's float32 storage, shared with its other series: this series' rings (in its record,
   * after the hot scalars) from `ringsAt`, its profile entries from `dayAt` and `weekAt`.
   */
  private readonly p: Float32Array;
  private readonly ringsAt: number;
  private readonly dayAt: number;
  private readonly weekAt: number;
  private readonly stride: number;

  private transform = Transform.none;
  private countLike = true;
  /**
   * The log transform's unit: a hundredth of the first value that is not zero, so the transform is
   * a log for every value well above it, in whatever unit the series is (0 until then).
   */
  private logUnit = 0;
  private n = 0;
  private pointsFirstDay = 0;
  /**
   * Until a day is seen the daily profile holds each slot's mean value and the seasonal level is
   * zero; then the day's mean moves to the level. A level learned alongside from the first point
   * is the mean of the day so far: the first night would be learned against a level that has seen
   * only nights, the profile would hold the day's shape wrong for days, and the level, following
   * it, would sink each night.
   */
  private profileRaw = false;
  // Model 0: flat level. Model 1: level + daily profile. Model 2: model 1 + weekly profile.
  private model = 0;
  /** Next write position in the z ring. */
  private zIdx = 0;
  /** Sign of the last point if it was an outlier (|z| > spatialMinZ), else 0. */
  private lastOutlier = 0;
  /**
   * The last `K.slowSpan` points that were outliers (|z| at least `K.meanClip`) upward and downward,
   * one bit each, the newest lowest: the runs the short-window and slow means hold.
   */
  private outUp = 0;
  private outDown = 0;
  /** Which of them were ordinary (see `update`), taken by the variance test at a capped size. */
  private outOrdinary = 0;
  private flatRun = 0;
  /** Whether the point being fed is a value held from before (see `updateHeld`). */
  private heldPoint = false;
  /**
   * Values recorded since the model began, held ones left out: how often they repeat is learned
   * from them alone, and a run is judged once the warm-up's worth of them is seen.
   */
  private recorded = 0;
  /**
   * The longest run of repeats lately that ended with the series moving again (its quiet spells),
   * and the point it ended at, from which it fades. Whole numbers: no state slot is spent on them.
   */
  private quietRecord = 0;
  private quietRecordAt = 0;
  /** Whether the current run of repeats began at the top of the range seen (1), the bottom (-1). */
  private runBound = 0;
  /** Points after a recovered episode during which the likelihood's window still holds some of it. */
  private likHold = 0;
  /** Points until the extremes of recent episodes join the seen ones (0: none are held). */
  private heldLeft = 0;
  /** Whether a lone extreme is kept apart (`F.loneMax`, `F.loneMin`). */
  private lone = false;
  /** The open episode opened well inside the held extremes: its values are held as lesser ones. */
  private lesser = false;

  private inEpisode = false;
  private outage = false;
  private cooldownLeft = 0;
  /** Drift rule: whether a build-up may alert (re-armed once the gap is back to usual). */
  private driftArmed = true;
  /** Points left in which the last accepted change may be undone, and the run of points back at the old level. */
  private revertLeft = 0;
  /** The point at which the last change was accepted as the new level (-1: none yet). */
  private acceptedAt = -1;
  // Fields above are read on every update and stay in the object's first cache lines.
  private revertRun = 0;
  /**
   * The daily slot the last run reported as stuck and not taken for a quiet spell began in (-1:
   * none; see `update`), and the one the current run began in.
   */
  private stuckSlot = -1;
  private runSlot = 0;
  /** Points before the residual scale's data began: 0, or before the change from a level at zero. */
  private scaleFrom = 0;
  private episodeLen = 0;
  private calmRun = 0;
  private episodeKind: AnomalyKind | null = null;
  private episodeSign = 0;
  private bigUp = 0;
  private bigDown = 0;
  private wasOutage = false;
  /** The open episode was started by the drift rule, so it is judged against the drift's reference. */
  private episodeDrift = false;
  /** By direction (bit 1 up, 2 down): the record of outliers was replaced by a lesser run. */
  private spikesLesser = 0;
  /**
   * By direction: outliers beyond a lesser run's record came back after it, so the series has
   * outliers of both sizes and a lesser run no longer replaces the record (see `spikeRecord`).
   */
  private spikesRecur = 0;

  constructor(options?: DetectorOptions) {
    this.o = sharedOptions(resolveOptions(options));
    const state = layout.allocateState(this);
    this.s = state.scalars;
    this.p = state.floats;
    this.ringsAt = state.ringsAt;
    this.dayAt = state.dayAt;
    this.weekAt = state.weekAt;
    this.stride = state.stride;
    this.reset();
  }

  /**
   * True while the open episode was started by the drift rule: a build-up judged on the short mean
   * of the value against the long-run reference, which `expected`, `lower` and `upper` then report.
   */
  get driftEpisode(): boolean {
    return this.episodeDrift;
  }

  /**
   * While the series repeats a value: 1 if the run began at the highest value seen, -1 at the
   * lowest, else 0. A flatline there may be a bound reached for the first time (a pool filling up),
   * which the detector cannot tell from a stuck value, so its explanation must not call it stuck.
   */
  get flatBound(): number {
    return this.flatRun > 0 ? this.runBound : 0;
  }

  get stateBytes(): number {
    return layout.STATE_BYTES;
  }

  reset(): void {
    const s = this.s;
    const t = this.o.transform;
    this.transform = t === 'sqrt' ? Transform.sqrt : t === 'log' ? Transform.log : Transform.none;
    this.countLike = t === 'auto';
    this.logUnit = 0;
    this.n = 0;
    this.clearModel();
    this.inEpisode = false;
    this.episodeLen = 0;
    this.calmRun = 0;
    this.episodeKind = null;
    this.episodeDrift = false;
    this.episodeSign = 0;
    this.outage = false;
    this.cooldownLeft = 0;
    s[F.lastExpected] = Number.NaN;
    s[F.lastLower] = Number.NaN;
    s[F.lastUpper] = Number.NaN;
  }

  private clearModel(): void {
    const s = this.s;
    const p = this.p;
    const z = this.ringsAt + Layout.zRingAt;
    DAY.clear(p, this.dayAt, this.stride, s);
    WEEK.clear(p, this.weekAt, this.stride, s);
    LIKELIHOOD.clear(s, p, this.ringsAt);
    p.fill(0, z, z + Layout.zWindow);
    s[F.firstTs] = 0;
    s[F.lastTs] = 0;
    s[F.fadeDt] = 0;
    s[F.fade] = 1;
    this.pointsFirstDay = 0;
    this.profileRaw = this.o.seasonality !== 'none';
    s[F.lvlA] = s[F.lvlB] = 0;
    s[F.maeA] = s[F.maeB] = s[F.maeC] = 0;
    s[F.selA] = s[F.selB] = s[F.selC] = 0;
    this.model = 0;
    s[F.typical] = 0;
    this.zIdx = 0;
    s[F.zSum] = 0;
    s[F.slowMean] = 0;
    s[F.absW] = 0;
    s[F.absSlow] = 0;
    s[F.ewz] = 0;
    s[F.ewz2] = 1;
    s[F.maxSeen] = Number.NEGATIVE_INFINITY;
    s[F.minSeen] = Number.POSITIVE_INFINITY;
    s[F.heldMax] = Number.NEGATIVE_INFINITY;
    s[F.heldMin] = Number.POSITIVE_INFINITY;
    this.heldLeft = 0;
    this.lesser = false;
    s[F.lesserMax] = Number.NEGATIVE_INFINITY;
    s[F.lesserMin] = Number.POSITIVE_INFINITY;
    s[F.loneMax] = Number.NEGATIVE_INFINITY;
    s[F.loneMin] = Number.POSITIVE_INFINITY;
    this.lone = false;
    s[F.spikeUp] = 0;
    s[F.spikeDown] = 0;
    s[F.spikeFade] = 1;
    s[F.spikeRuns] = 0;
    s[F.spikeRunsDown] = 0;
    s[F.spikePoints] = 0;
    s[F.spikePointsDown] = 0;
    this.lastOutlier = 0;
    this.spikesLesser = 0;
    this.spikesRecur = 0;
    this.outUp = 0;
    this.outDown = 0;
    this.outOrdinary = 0;
    s[F.lastY] = Number.NaN;
    this.flatRun = 0;
    this.recorded = 0;
    this.quietRecord = 0;
    this.quietRecordAt = 0;
    this.stuckSlot = -1;
    this.runSlot = 0;
    this.likHold = 0;
    s[F.repeatRate] = 0;
    s[F.zeroRate] = 0;
    s[F.zeroFade] = 1;
    s[F.runRate] = 0;
    s[F.boundHigh] = Number.NaN;
    s[F.boundLow] = Number.NaN;
    this.runBound = 0;
    s[F.recentSurprise] = 0;
    this.revertLeft = 0;
    this.revertRun = 0;
    this.scaleFrom = 0;
    this.acceptedAt = -1;
    s[F.shortY] = 0;
    s[F.refY] = 0;
    s[F.absD] = 0;
    this.driftArmed = true;
  }

  /**
   * The recurring-spike record of one direction (`bit`) after a point whose residual there is
   * `size`, `outlier` whether it is an outlier that way, `starts` whether it starts a run, `runs`
   * the faded runs before it.
   */
  private spikeRecord(
    bit: number,
    outlier: boolean,
    starts: boolean,
    size: number,
    record: number,
    runs: number,
  ): number {
    if (!outlier) return record;
    if (starts) {
      // No run of outliers for about five days: what the series showed before is forgotten.
      if (runs < 0.5) {
        this.spikesLesser &= ~bit;
        this.spikesRecur &= ~bit;
      }
      if (size < K.lesserRun * record && (this.spikesRecur & bit) === 0) {
        // A run under a tenth of the record (an odd noisy minute after an outage) is the size of
        // outlier the series repeats now: kept, the record made the next outage as large as the
        // first a repeat of two runs, which starts no episode.
        this.spikesLesser |= bit;
        return size;
      }
      // Unless outliers as far out come back after the lesser ones: a heavy tail, frequent small
      // outliers and now and then a large one, whose large ones were each reported as new.
      if (size > record && (this.spikesLesser & bit) !== 0) this.spikesRecur |= bit;
    }
    return Math.max(record, size);
  }

  private neutral(): AnomalyResult {
    const s = this.s;
    return {
      score: 0,
      anomaly: false,
      episodeStart: false,
      ongoing: false,
      expected: s[F.lastExpected]!,
      lower: s[F.lastLower]!,
      upper: s[F.lastUpper]!,
      severity: 0,
      kind: null,
    };
  }

  /**
   * Feeds a value held from before where none was recorded: a gauge's last value, which the
   * exporters send and the backends chart through the cycles it is not recorded in. It is judged as
   * any other value, but is no sign of a value stuck: one set only as it changes holds still
   * through every quiet night.
   */
  updateHeld(value: number, timestampMs: number): AnomalyResult {
    this.heldPoint = true;
    try {
      return this.update(value, timestampMs);
    } finally {
      this.heldPoint = false;
    }
  }

  update(value: number, timestampMs: number): AnomalyResult {
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.neutral();
    const o = this.o;
    const s = this.s;
    const p = this.p;
    const ts = typeof timestampMs === 'number' && Number.isFinite(timestampMs) ? timestampMs : s[F.lastTs]!;

    // Counters (non-negative integers) get the Anscombe transform, which makes Poisson noise
    // unit-variance so quiet and busy series share one scale. The choice is only revisited
    // during warm-up; a non-integer then means "gauge" and the model restarts untransformed.
    if (this.countLike) {
      if (value < 0 || !Number.isInteger(value)) {
        this.countLike = false;
        if (this.transform === Transform.sqrt) {
          this.transform = Transform.none;
          this.n = 0;
          this.clearModel();
        }
      } else if (this.n === 0) {
        this.transform = Transform.sqrt;
      }
      if (this.n >= o.warmup) this.countLike = false;
    }
    const t = this.transform;
    if (t === Transform.log && this.logUnit === 0 && value !== 0) this.logUnit = 0.01 * Math.abs(value);
    const unit = this.logUnit > 0 ? this.logUnit : 1;
    const y = forward(value, t, unit);

    this.n++;
    const n = this.n;
    if (n === 1) {
      s[F.firstTs] = ts;
      s[F.lastTs] = ts;
      s[F.lvlA] = y;
      s[F.lvlB] = this.profileRaw ? 0 : y;
      s[F.typical] = Math.abs(y);
      s[F.lastY] = y;
      s[F.maxSeen] = s[F.minSeen] = y;
    }
    // The extremes and the spike record fade by the time since the previous point.
    const prevTs = s[F.lastTs]!;
    if (ts > prevTs) s[F.lastTs] = ts;
    const elapsed = s[F.lastTs]! - s[F.firstTs]!;
    if (elapsed < Layout.dayMs) this.pointsFirstDay++;
    else if (this.profileRaw) this.centreProfile();
    const perDay = Math.max(this.pointsFirstDay, 24);

    // --- Baseline -------------------------------------------------------------------------
    const daySlot = DAY.slotOf(s, ts, o.clock);
    const di = DAY.lookup(p, this.dayAt, this.stride, daySlot);
    const weekSlot = WEEK.slotOf(s, ts, o.clock);
    const wi = WEEK.lookup(p, this.weekAt, this.stride, weekSlot);
    const dayOff = DAY.offsetAt(p, di);
    // Shortly after a change was accepted, values back near the old level mean it was a burst
    // after all: restore the old level rather than crawl back to it through the Huber clip.
    // A burst that lasts longer (eight hours at a hundred times the level) ended in what was held as
    // an outage against its level, with learning frozen, for good: values back at the old level,
    // inside its band, for as long as that window, while such an outage is held within a day of the
    // change, undo it too. The return is reported once, then followed: a new level that falls back
    // to exactly where it was the same day is as likely a burst that ended as an outage, while a
    // fall to nothing, outside that band, is still held.
    const heldBack =
      this.revertLeft === 0 && this.outage && this.acceptedAt >= 0 && n - this.acceptedAt <= perDay;
    if (this.revertLeft > 0 || heldBack) {
      if (this.revertLeft > 0) this.revertLeft--;
      const m = this.model;
      const seasonal = m === 0 ? 0 : m === 1 ? dayOff : dayOff + WEEK.offsetAt(p, wi);
      const now = (m === 0 ? s[F.lvlA]! : s[F.lvlB]!) + seasonal;
      const old = (m === 0 ? s[F.prevA]! : s[F.prevB]!) + seasonal;
      // Past the first hour, a return must also leave the band of the level it left: a lasting
      // step followed through the hours since (twice the orders, whose step is smaller at night
      // than at noon) comes near the old level only as the level takes it in.
      const leaves =
        n - this.acceptedAt <= K.revertWindow ||
        Math.abs(y - now) > K.bandK * 1.2533 * (m === 0 ? s[F.maeA]! : s[F.maeB]!);
      const oldWidth = K.bandK * 1.2533 * (s[F.prevMaeA]! >= 0 ? s[F.prevMaeA]! : s[F.maeA]!);
      const back = heldBack ? Math.abs(y - old) <= oldWidth : leaves && Math.abs(y - old) < Math.abs(y - now);
      this.revertRun = back ? this.revertRun + 1 : 0;
      if (this.revertRun >= (heldBack ? K.revertWindow : K.recoverPoints)) {
        // Undone once: the change is no longer the one a return to its old level would undo.
        if (heldBack) this.acceptedAt = -1;
        s[F.lvlA] = s[F.prevA]!;
        s[F.lvlB] = s[F.prevB]!;
        if (s[F.prevMaeA]! >= 0) {
          s[F.maeA] = s[F.prevMaeA]!;
          s[F.maeB] = s[F.prevMaeB]!;
          s[F.maeC] = s[F.prevMaeC]!;
          const widen = s[F.prevWiden]!;
          if (widen === 1) {
            LIKELIHOOD.restoreLearned(s, F.prevLikMean);
          } else {
            DAY.scaleDeviations(p, this.dayAt, this.stride, 1 / widen);
            WEEK.scaleDeviations(p, this.weekAt, this.stride, 1 / widen);
          }
        }
        this.revertLeft = 0;
        // The points of the return were judged against the level it left: they must not stay in the
        // short windows' means and variance and open an episode of their own (a variance change at
        // the end of an afternoon's peak), as the change's alert was the one. Whatever comes next
        // (a spike minutes after the peak ends) is judged as after any episode.
        this.clearWindows();
      }
    }
    const predA = s[F.lvlA]!;
    // A slot not seen on the first day has no value in the raw profile: the flat level stands in.
    const predB = this.profileRaw && di < 0 ? predA : s[F.lvlB]! + dayOff;
    const predC = predB + WEEK.offsetAt(p, wi);

    // Counts vary at least as Poisson noise does (unit sd after the transform), however quiet the
    // recent errors: on sparse counts a typical error of a fraction of an event would make a 2 or
    // a 3 look like a 10-sigma spike. A counter that has not varied at all keeps the small floor,
    // so a constant count that moves is still seen.
    const countFloor = t === Transform.sqrt ? clip(K.countSeen * s[F.maeA]!, K.countFloorMin, 1) : 0;
    const floor = countFloor + 0.01 * s[F.typical]! + 1e-9;
    const sigA = Math.max(1.2533 * s[F.maeA]!, floor);
    const sigB = Math.max(1.2533 * s[F.maeB]!, floor);
    const sigC = Math.max(1.2533 * s[F.maeC]!, floor);

    const model = this.model;
    let pred = predA;
    let sigma = sigA;
    if (model === 1) {
      pred = predB;
      sigma =
        DAY.visitsAt(p, di) >= 2
          ? Math.max(1.2533 * Math.max(0.5 * s[F.maeB]!, DAY.devAt(p, di)), floor)
          : sigB;
    } else if (model === 2) {
      pred = predC;
      sigma =
        WEEK.visitsAt(p, wi) >= 2
          ? Math.max(1.2533 * Math.max(0.5 * s[F.maeC]!, WEEK.devAt(p, wi)), floor)
          : sigC;
    }
    const resid = y - pred;
    const z = resid / sigma;

    // --- Surprise members (−log10 p) --------------------------------------------------------
    const up = o.direction !== 'down';
    const down = o.direction !== 'up';
    // The three z-based members share one tail function, which is monotonic: pick the largest
    // direction-allowed |z| first and evaluate the tail once.
    let member = Member.point;
    let memberSign = z >= 0 ? 1 : -1;
    let best = z > 0 ? (up ? z : -1) : down ? -z : -1;

    // Residuals are autocorrelated on real data (the baseline lags), so multi-point means are
    // standardised by their own observed spread, not by the iid 1/sqrt(w) rule. They take z clipped
    // to 4, as the slow mean does: a single spike is the point member's to judge, and must not make
    // the window's mean look like a shift for the next dozen points.
    const z4 = clip(z, -K.meanClip, K.meanClip);
    const zAt = this.ringsAt + Layout.zRingAt + this.zIdx;
    s[F.zSum]! += z4 - p[zAt]!;
    p[zAt] = z4;
    this.zIdx = this.zIdx + 1 < Layout.zWindow ? this.zIdx + 1 : 0;
    this.outUp = ((this.outUp << 1) | (z4 >= K.meanClip ? 1 : 0)) & SLOW_BITS;
    this.outDown = ((this.outDown << 1) | (z4 <= -K.meanClip ? 1 : 0)) & SLOW_BITS;
    const filled = Math.min(n, Layout.zWindow);
    const meanW = s[F.zSum]! / filled;
    const scaleW = Math.max(1.2533 * s[F.absW]!, 0.8 / Math.sqrt(Layout.zWindow));
    const zw = meanW / scaleW;
    const ew = zw > 0 ? (up ? zw : -1) : down ? -zw : -1;
    if (ew > best) {
      best = ew;
      member = Member.window;
      memberSign = zw >= 0 ? 1 : -1;
    }

    const aSlow = ewAlpha(K.slowSpan);
    s[F.slowMean]! += aSlow * (z4 - s[F.slowMean]!);
    const scaleS = Math.max(1.2533 * s[F.absSlow]!, 0.8 * Math.sqrt(aSlow / (2 - aSlow)));
    const zs = s[F.slowMean]! / scaleS;
    const es = zs > 0 ? (up ? zs : -1) : down ? -zs : -1;
    if (es > best) {
      best = es;
      member = Member.slow;
      memberSign = zs >= 0 ? 1 : -1;
    }
    // A gradual build-up is absorbed by the level as it grows; a short mean against a slow
    // reference, scaled by the usual gap between the two, still sees it.
    // The seasonal part less its mean: the flat and the seasonal models split the value into level
    // and profile differently, and the drift rule's means must not move when the model switches.
    let centres = 0;
    if (model !== 0) {
      centres = DAY.centre(p, this.dayAt, this.stride, s);
      if (model === 2) centres += WEEK.centre(p, this.weekAt, this.stride, s);
    }
    const seas = model === 0 ? 0 : pred - s[F.lvlB]! - centres;
    const yd = y - seas;
    if (n === 1) s[F.shortY] = s[F.refY] = yd;
    // An outage is held until it recovers and learns nothing; its zeros must not echo afterwards.
    // A build-up is many small steps, so the short mean takes each point Huber-clipped: one large
    // spike must not lift it by itself and pass through this rule as a drift, least of all in a
    // spiky series where the recurring-spike rule has already judged such a spike ordinary.
    if (!this.outage) {
      const dS = K.huber * sigma;
      s[F.shortY]! += SLOW_ALPHA * clip(yd - s[F.shortY]!, -dS, dS);
    }
    const gap = s[F.shortY]! - s[F.refY]!;
    const driftScale = Math.max(1.2533 * s[F.absD]!, sigma * RECENT_SD);
    const zd = n > o.warmup ? gap / driftScale : 0;
    const ed = zd > 0 ? (up ? zd : -1) : down ? -zd : -1;
    // One alert per build-up: the rule re-arms once the gap is back within the usual range.
    if (ed < K.recoverZ) this.driftArmed = true;
    // Until a day is seen the usual gap has not met the daily swing, so the first morning's ramp
    // would read as a build-up.
    const driftHit = this.driftArmed && ed >= o.driftZ && elapsed >= Layout.dayMs;
    let expected = inverse(pred, t, unit);
    const zeroY = forward(0, t, unit);
    // Near zero against the baseline and against the long-run typical level: right after a burst
    // was accepted as the new level, the return to normal is not an outage.
    const atZero = Math.abs(y - zeroY) <= 0.1 * Math.abs(s[F.typical]! - zeroY) + 1e-12;
    const nearZero = Math.abs(value) <= 0.02 * Math.abs(expected) + 1e-12 && atZero;
    // The zero rate keeps learning through a held outage (so a nightly idle spell is learned even
    // when the first night was taken for an outage), which must not end the outage it is in.
    // An outage is near zero against the drift rule's long-run reference too: after a burst that
    // lasted (or whose level was taken in two steps) the typical level has moved to the burst's,
    // and the return to normal was an outage, held and never learned, with the burst's level as the
    // baseline for good. Only within a day of the change taken for the level: the reference follows
    // a step up over weeks, so a service that rose a hundredfold days ago (a launch) and fell to a
    // trickle was no outage against the level it had before, and that fall was taken for its level.
    const ref = s[F.refY]! + seas;
    const belowRef =
      this.acceptedAt < 0 ||
      n - this.acceptedAt > perDay ||
      Math.abs(y - zeroY) <= 0.1 * Math.abs(ref - zeroY) + 1e-12;
    const farBelow = nearZero && belowRef && pred - 4 * sigma > zeroY && down;
    const isOutage = farBelow && (this.outage || s[F.zeroRate]! < K.outageMaxZeroRate);
    // In a series often at zero (traffic that stops every night), a zero is an outage only where its
    // time of day had values: a burst missing, which the daily profile, once in use, tells.
    const missing = farBelow && model !== 0;
    if (!this.inEpisode || this.outage) {
      s[F.zeroRate]! += Math.max(1 - s[F.zeroFade]!, 1 / n) * ((atZero ? 1 : 0) - s[F.zeroRate]!);
    }
    let surprise = best >= 0 ? normalTailSurprise(best) : 0;
    // Recurring spikes: in a series that has had outliers again and again lately, an outlier no
    // larger than the largest of them is how the series behaves, not new evidence. It still feeds
    // the likelihood a little but cannot start an episode by itself; a first or second spike, or a
    // larger one, is unaffected. The record is updated after the comparison. Outages are exempt.
    // Runs are counted by direction, and a point's own run is not one before it: every point of a
    // second burst of errors is unaffected, whatever dip (the first burst's end) came between.
    // Nor is a run that has lasted well beyond the runs before it (traffic at a fifth for half an
    // hour where it had dipped for five or ten minutes), however small: it is new in its length, as
    // a value beyond the range seen is in its size. Held at the cap, six points at five-minute steps
    // were over before the likelihood crossed.
    const outlier = Math.abs(z) > K.spatialMinZ;
    const runsBefore =
      z > 0
        ? s[F.spikeRuns]! - (this.lastOutlier > 0 ? 1 : 0)
        : s[F.spikeRunsDown]! - (this.lastOutlier < 0 ? 1 : 0);
    const recurs = outlier && !isOutage && runsBefore >= K.recurringRuns;
    const outlasts = recurs && outlastsRuns(s, this.outUp, this.outDown, z > 0 ? 1 : -1, runsBefore);
    const ordinary =
      recurs &&
      !outlasts &&
      (z > 0 ? resid : -resid) <= (1 + K.recurringTolerance) * (z > 0 ? s[F.spikeUp]! : s[F.spikeDown]!);
    // The cap is the point's own. The short-window and slow means count the outliers they hold only
    // as far as their runs are unlikely at the rate runs came lately, also once the series is back
    // inside its band, where they counted them in full: a queue that drains a burst or two in the
    // same quarter hour, as it does by chance, is no shift, while spikes coming every few points
    // where a run or two came a day are far more than the record gives. Runs, not points: a burst
    // that takes three minutes to drain is one burst, as the record counts it, unless it lasts
    // several times as long as the record's runs. What the means hold besides the outliers counts
    // in full, as does a mean that outranks an outlier the record does not know.
    const calm = (this.outUp | this.outDown) !== 0 && member !== Member.point && z * memberSign < K.recoverZ;
    if ((member === Member.point && ordinary) || calm) {
      const sign = z >= 0 ? 1 : -1;
      const pz = sign > 0 ? (up ? z : -1) : down ? -z : -1;
      surprise = pz >= 0 ? normalTailSurprise(pz) : 0;
      if (ordinary) surprise = Math.min(surprise, K.recurringSurprise);
      member = Member.point;
      memberSign = sign;
      if (ew > 0) {
        const ws = zw >= 0 ? 1 : -1;
        const outs = bitCount(this.outUp & WINDOW_BITS) - bitCount(this.outDown & WINDOW_BITS);
        const sw = meanSurprise(
          s,
          this.outUp,
          this.outDown,
          ((s[F.zSum]! - K.meanClip * outs) / filled / scaleW) * ws,
          ew,
          ws,
          n,
        );
        if (sw > surprise) {
          surprise = sw;
          member = Member.window;
          memberSign = ws;
        }
      }
      if (es > 0 && !ordinary) {
        const ss0 = zs >= 0 ? 1 : -1;
        const outs = bitWeights(this.outUp, 1 - aSlow) - bitWeights(this.outDown, 1 - aSlow);
        const ss = meanSurprise(
          s,
          this.outUp,
          this.outDown,
          ((s[F.slowMean]! - aSlow * K.meanClip * outs) / scaleS) * ss0,
          es,
          ss0,
          n,
        );
        if (ss > surprise) {
          surprise = ss;
          member = Member.slow;
          memberSign = ss0;
        }
      }
    }
    const keep = s[F.spikeFade]!;
    // A lone extreme (see `K.loneRange`) is no outlier the series has shown: seen once, it must not
    // make each later spike or burst smaller than it a repeat.
    const far = this.loneDistance(predA, sigA, sigma, n);
    const lone = Math.abs(resid) > far;
    // A second value of a lone extreme's order confirms it (see `confirmLone`): both are then
    // outliers the series has shown, the first a run of its own.
    const confirms =
      lone &&
      this.lone &&
      (resid > 0
        ? resid >= (K.heldShare - K.spatialTolerance) * (s[F.loneMax]! - pred)
        : -resid >= (K.heldShare - K.spatialTolerance) * (pred - s[F.loneMin]!));
    const credit = confirms ? 1 : 0;
    const sign = outlier && (!lone || confirms) ? (z > 0 ? 1 : -1) : 0;
    const runsUp = s[F.spikeRuns]! * keep;
    const runsDown = s[F.spikeRunsDown]! * keep;
    // The points follow the runs, and are let go in the same share when a far larger one restarts
    // their count.
    const upNext = runsUp + (sign > 0 && this.lastOutlier <= 0 ? 1 + credit : 0);
    const downNext = runsDown + (sign < 0 && this.lastOutlier >= 0 ? 1 + credit : 0);
    s[F.spikeRuns] = spikeRuns(
      s[F.spikeRuns]!,
      keep,
      sign > 0,
      this.lastOutlier <= 0,
      credit,
      resid,
      s[F.spikeUp]!,
    );
    s[F.spikeRunsDown] = spikeRuns(
      s[F.spikeRunsDown]!,
      keep,
      sign < 0,
      this.lastOutlier >= 0,
      credit,
      -resid,
      s[F.spikeDown]!,
    );
    s[F.spikeUp] = this.spikeRecord(1, sign > 0, this.lastOutlier <= 0, resid, s[F.spikeUp]! * keep, runsUp);
    s[F.spikeDown] = this.spikeRecord(
      2,
      sign < 0,
      this.lastOutlier >= 0,
      -resid,
      s[F.spikeDown]! * keep,
      runsDown,
    );
    s[F.spikePoints] =
      (s[F.spikePoints]! * keep + (sign > 0 ? 1 + credit : 0)) * (upNext > 0 ? s[F.spikeRuns]! / upNext : 1);
    s[F.spikePointsDown] =
      (s[F.spikePointsDown]! * keep + (sign < 0 ? 1 + credit : 0)) *
      (downNext > 0 ? s[F.spikeRunsDown]! / downNext : 1);
    this.lastOutlier = sign;
    if (!this.inEpisode && n > 1) {
      const aSpread = ewAlpha(K.spreadSpan);
      s[F.absW]! += aSpread * (Math.abs(meanW) - s[F.absW]!);
      s[F.absSlow]! += aSpread * (Math.abs(s[F.slowMean]!) - s[F.absSlow]!);
      const aD = Math.max(1 / n, DRIFT_ALPHA);
      s[F.absD]! += aD * (Math.abs(gap) - s[F.absD]!);
    }

    // The variance test takes an ordinary spike at the size its surprise was capped to: at z4 it
    // would report the series' usual spikes again as a variance change, and, fading over a dozen
    // points, lift the likelihood until it alerts at a calm point well after them.
    const zVar = ordinary ? clip(z, -RECURRING_Z, RECURRING_Z) : z4;
    this.outOrdinary = ((this.outOrdinary << 1) | (ordinary ? 1 : 0)) & SLOW_BITS;
    const av = ewAlpha(K.varianceSpan);
    s[F.ewz]! += av * (zVar - s[F.ewz]!);
    s[F.ewz2]! += av * (zVar * zVar - s[F.ewz2]!);
    const spread = s[F.ewz2]! - s[F.ewz]! * s[F.ewz]!;
    let sv = spreadSurprise(spread);
    if (sv > surprise && (this.outUp | this.outDown) !== 0) {
      // Outliers widen the spread only as far as their runs are unlikely, as they move the means:
      // the spread without them, or with them but no more than that.
      const fade = 1 - av;
      const ord = this.outOrdinary;
      const up = this.outUp;
      const dn = this.outDown;
      const big = K.meanClip;
      const sum =
        big * (bitWeights(up & ~ord, fade) - bitWeights(dn & ~ord, fade)) +
        RECURRING_Z * (bitWeights(up & ord, fade) - bitWeights(dn & ord, fade));
      const sq =
        big * big * bitWeights((up | dn) & ~ord, fade) +
        RECURRING_Z * RECURRING_Z * bitWeights((up | dn) & ord, fade);
      const m = s[F.ewz]! - av * sum;
      sv = Math.max(
        spreadSurprise(s[F.ewz2]! - av * sq - m * m),
        Math.min(sv, outlierRunsSurprise(s, up, dn, 0, n)),
      );
    }
    if (sv > surprise) {
      surprise = sv;
      member = Member.variance;
    }

    let spatial = false;
    if (n > o.warmup) {
      // A series that never moved has no range; its band stands in for one, so a constant
      // series that jumps is still a new extreme.
      // A recent incident's values widen the range only for points at least about half as far out:
      // a spike a few hours after a much larger one is measured against the range without it, so
      // it is still a new extreme, while one about as large repeats the incident.
      let hi = s[F.maxSeen]!;
      let lo = s[F.minSeen]!;
      if (this.heldLeft > 0) {
        // Within the rule's tolerance: a point exactly half as far out (a minute with one error after
        // one with two) falls short of half by half the expected value, a rounding error above none,
        // and was a new extreme again and again for a day.
        const share = K.heldShare - K.spatialTolerance;
        if (y - pred >= share * (s[F.heldMax]! - pred)) hi = Math.max(hi, s[F.heldMax]!);
        if (pred - y >= share * (pred - s[F.heldMin]!)) lo = Math.min(lo, s[F.heldMin]!);
        if (y - pred >= share * (s[F.lesserMax]! - pred)) hi = Math.max(hi, s[F.lesserMax]!);
        if (pred - y >= share * (pred - s[F.lesserMin]!)) lo = Math.min(lo, s[F.lesserMin]!);
      }
      if (this.lone) {
        // So does a lone extreme, for good: a value a billion times the level, seen once, must not
        // make every spike after it a repeat for months.
        const share = K.heldShare - K.spatialTolerance;
        if (y - pred >= share * (s[F.loneMax]! - pred)) hi = Math.max(hi, s[F.loneMax]!);
        if (pred - y >= share * (pred - s[F.loneMin]!)) lo = Math.min(lo, s[F.loneMin]!);
      }
      const range = Math.max(hi - lo, 2 * K.bandK * sigma);
      {
        const tol = K.spatialTolerance * range;
        if (
          (up && ((y > hi + tol && z > K.spatialMinZ) || (outlasts && z > 0))) ||
          (down && ((y < lo - tol && z < -K.spatialMinZ) || (outlasts && z < 0)))
        ) {
          spatial = true;
          if (K.spatialSurprise > surprise) {
            surprise = K.spatialSurprise;
            member = Member.spatial;
          }
        }
      }
    }

    // A value held from before, fed again where none was recorded (a gauge set as it changes, not
    // every cycle), repeats nothing: it neither extends a run of repeats nor ends one; a run of
    // values recorded again is judged as it stands.
    if (!this.heldPoint) {
      // A series that stays at zero is idle, not stuck: the outage test judges it.
      const same = repeats(y, s[F.lastY]!) && value !== 0;
      // A run that ends with the series moving again is how long it keeps still when nothing happens
      // (a cache's size or the connections held through every quiet night): a run is stuck only once
      // it is well beyond those, as an outlier must be beyond the recurring ones.
      // A run reported as stuck, on a series that had never kept still long enough for its runs to be
      // judged, was the fault and says nothing of its quiet spells: taken for one, it hid the next
      // stuck run until it had lasted twice as long.
      // Unless another such run began at the time of day it began: two nights in a row that hold still
      // from the same hour are how the series now keeps still (a cache whose size holds every night
      // from the first after the detector started was reported as stuck every night).
      const stuck = this.inEpisode && this.episodeKind === 'flatline' && this.quietRun(n) < K.flatMinRun;
      if (!same && this.flatRun > 0) {
        // A repeat by chance while the episode recovers is neither.
        const judged = stuck && this.flatRun >= K.flatMinRun;
        if (!stuck || (judged && this.sameTimeOfDay(this.runSlot, this.stuckSlot))) {
          this.quietRecord = Math.max(Math.floor(this.quietRun(n)), this.flatRun);
          this.quietRecordAt = n;
        } else if (judged) {
          this.stuckSlot = this.runSlot;
        }
      }
      this.flatRun = same ? this.flatRun + 1 : 0;
      this.recorded++;
      // A run is judged by the repeat rate from before it began: a stuck value must not teach the
      // model that repeats are common and so switch its own test off.
      // A run that began during warm-up is how the series is, not a stuck value: a warm-up of values
      // recorded, as a gauge set as it changes and again at its value now and then (a controller's
      // resync every ten hours) has few of them, and all its repeats are to come.
      // So is a run at the value a run at an extreme of the series was held at before: its bound (CPU
      // pinned at 100 % every afternoon, a pool at its size), at which it is saturated, not stuck.
      if (this.flatRun === 1) {
        this.runSlot = daySlot;
        const warm = this.recorded > o.warmup;
        const bound = repeats(y, s[F.boundHigh]!) || repeats(y, s[F.boundLow]!);
        s[F.runRate] = warm && !bound ? s[F.repeatRate]! : 1;
        this.runBound = !warm ? 0 : y >= s[F.maxSeen]! ? 1 : y <= s[F.minSeen]! ? -1 : 0;
        if (this.runBound > 0) s[F.boundHigh] = y;
        else if (this.runBound < 0) s[F.boundLow] = y;
      }
    }
    if (
      this.flatRun >= K.flatMinRun &&
      this.flatRun > K.quietRuns * this.quietRun(n) &&
      s[F.runRate]! < K.flatMaxRepeatRate &&
      n > o.warmup
    ) {
      const rate = Math.max(s[F.runRate]!, 0.01);
      const sf = -0.5 * this.flatRun * Math.log10(rate);
      if (sf > surprise) {
        surprise = sf;
        member = Member.flat;
      }
    }

    // The strongest recent surprise, fading by one decade every `surpriseFade` points: the
    // likelihood crosses a few points after the evidence, and that evidence must be recent. It is
    // kept no longer than the likelihood's window holds the point: off a band about 1e-9 wide (a
    // series that sat at exactly zero), a value is a surprise of 1e15 decades and more, which would
    // otherwise count as recent for the rest of the series' life.
    s[F.recentSurprise] = Math.max(
      Math.min(surprise, Layout.likWindow / K.surpriseFade),
      s[F.recentSurprise]! - 1 / K.surpriseFade,
    );

    // --- Likelihood and calibrated score ----------------------------------------------------
    const raw = surprise >= K.rawScale ? 1 : surprise / K.rawScale;
    if (this.likHold > 0) this.likHold--;
    LIKELIHOOD.push(
      s,
      p,
      this.ringsAt,
      raw,
      !this.inEpisode && this.likHold === 0 && n > o.warmup * K.likStart,
    );
    let internal = LIKELIHOOD.score(s);
    if (spatial) internal = 1;
    else if (driftHit) {
      // The gap itself is the evidence (at least `driftZ` usual gaps), so it also counts as this point's surprise.
      // It is judged against the long-run reference also when the likelihood already reads 1: the
      // window and slow means are judged against the level, which follows a fall of a few Poisson
      // standard deviations (orders halving) faster than their average leaves its band.
      internal = 1;
      s[F.recentSurprise] = Math.max(s[F.recentSurprise]!, K.minSurprise * 2 * o.cutoff);
      member = Member.drift;
      memberSign = zd >= 0 ? 1 : -1;
    }
    // At the default sensitivity the exponent is exactly 1, and x ** 1 is x: skip the pow call.
    const exp = o.scoreExp;
    let score = internal <= 0 ? 0 : internal >= 1 ? 1 : exp === 1 ? internal : internal ** exp;

    // A lone extreme's value (see `K.loneRange`) enters the recent average only that far out: whole,
    // it would outweigh every value after it for hours, and a fall then would read as a rise.
    const kept = lone ? inverse(pred + clip(resid, -far, far), t, unit) : value;
    s[F.recent] = n === 1 ? value : s[F.recent]! + ewAlpha(Layout.zWindow) * (kept - s[F.recent]!);
    s[F.recentExpected] =
      n === 1 ? expected : s[F.recentExpected]! + ewAlpha(Layout.zWindow) * (expected - s[F.recentExpected]!);

    // --- Decision -------------------------------------------------------------------------
    let lower = inverse(pred - K.bandK * sigma, t, unit);
    let upper = inverse(pred + K.bandK * sigma, t, unit);

    let episodeStart = false;
    const wasOngoing = this.inEpisode;
    if (this.cooldownLeft > 0) this.cooldownLeft--;
    if (!wasOngoing) {
      // A zero score (most points) stays zero whether or not the point is allowed: skip the
      // impact tests.
      if (score !== 0) {
        const levelMember = member !== Member.variance && member !== Member.flat;
        // Multi-point members are judged on the recent average, single points on themselves, and
        // only in the direction the member points to.
        const drift = member === Member.drift;
        const multi = member === Member.window || member === Member.slow || drift;
        // The drift rule is judged against its slow reference: the baseline has followed the rise.
        // The window and slow means against the baseline averaged over the same points: the level
        // follows a fall by a few Poisson standard deviations (orders halving) within minutes, and
        // the average of the values, which lags it, would be compared with a level that has
        // already taken up much of the fall.
        const base = drift ? inverse(s[F.refY]! + seas, t, unit) : multi ? s[F.recentExpected]! : expected;
        const signed = (multi ? s[F.recent]! : value) - base;
        const dev = signed * memberSign;
        let floorDev = Math.max(o.minRelativeImpact * Math.abs(base), o.minAbsoluteImpact);
        if (t === Transform.sqrt) {
          // Counters: a deviation within ~3 Poisson standard deviations (plus 2 events) is noise,
          // however surprising the recent average looks. Downward the whole rate is the cap.
          // An average of ~`window` points has a Poisson spread smaller by sqrt(a / (2 − a)).
          // A count that has varied less than Poisson noise (a pool's size, set and held) keeps its
          // band's smaller floor here too: at the full one, its doubling from 8 was noise until the
          // drift rule saw it minutes later.
          const poissonFloor = 3 * countFloor * Math.sqrt(multi ? base * RECENT_VAR : base) + 2;
          floorDev = Math.max(floorDev, memberSign > 0 ? poissonFloor : Math.min(poissonFloor, 0.5 * base));
        }
        // The deviation must also clear the band (a single point) or most of it (an average), so a
        // small impact floor on a noisy series does not turn ordinary noise into alerts. A build-up's
        // band is its short mean's, as the drift rule measures it: a single point's would hide a
        // lasting fall of a third (orders at 25 a minute), whose gap is many times its usual one.
        const bandDev = drift
          ? Math.abs(inverse(s[F.refY]! + seas + memberSign * K.bandK * driftScale, t, unit) - base)
          : memberSign > 0
            ? upper - expected
            : expected - lower;
        floorDev = Math.max(floorDev, (multi ? K.bandMulti / K.bandK : 1) * bandDev);
        const impactOk =
          (!levelMember || isOutage || dev >= floorDev) &&
          (s[F.recentSurprise]! >= K.minSurprise * 2 * o.cutoff || isOutage);
        // A missing burst is an outage too, whatever was reported just before it (a surge).
        const allowed = n > o.warmup && impactOk && (this.cooldownLeft === 0 || isOutage || missing);
        if (score >= 0.5 && allowed) {
          episodeStart = true;
          this.inEpisode = true;
          this.episodeLen = 0;
          this.calmRun = 0;
          this.outage = isOutage;
          this.wasOutage = isOutage;
          this.episodeSign = memberSign;
          this.episodeDrift = drift;
          this.bigUp = z >= K.recoverZ ? 1 : 0;
          this.bigDown = z <= -K.recoverZ ? 1 : 0;
          this.episodeKind = classifyEpisode(
            s,
            p,
            this.ringsAt + Layout.zRingAt,
            this.zIdx,
            this.model,
            this.dayAt,
            this.stride,
            member,
            z,
            y,
            isOutage,
            spread,
          );
          if (ed >= o.driftZ) this.driftArmed = false;
          this.cooldownLeft = o.cooldown;
          s[F.fastA] = y;
          s[F.fastB] = y - dayOff;
          s[F.epSpread] = 0;
        } else if (score >= 0.5 || !allowed) {
          // Suppressed points keep their ordering but sit well below the decision line.
          score = Math.min(score, 0.49) * (allowed ? 1 : 0.2);
        }
      }
    } else {
      this.episodeLen++;
      const big = Math.abs(z) >= K.recoverZ;
      if (big && z > 0) this.bigUp++;
      else if (big) this.bigDown++;
      const kind = this.episodeKind;
      let still = z * this.episodeSign >= K.recoverZ || isOutage;
      if (kind === 'flatline') still = this.flatRun > 0;
      else if (kind === 'variance') still = spread > 4 || big;
      this.calmRun = still ? 0 : this.calmRun + 1;
      this.outage = isOutage;
      if (isOutage) this.wasOutage = true;
      const fa = ewAlpha(5);
      // The episode's second point at exactly its first's value, `fastA` not yet moved from it.
      const again = this.episodeLen === 1 && repeats(y, s[F.fastA]!);
      s[F.epSpread]! += (Math.abs(y - s[F.fastA]!) - s[F.epSpread]!) / this.episodeLen;
      s[F.fastA]! += fa * (y - s[F.fastA]!);
      s[F.fastB]! += fa * (y - dayOff - s[F.fastB]!);
      // The first point cannot tell a spike from a step or a burst of noise; refine the kind as
      // the episode unfolds.
      if (kind !== 'flatline' && kind !== 'variance' && this.bigUp >= 2 && this.bigDown >= 2) {
        this.episodeKind = 'variance';
      } else if (kind === 'dip' && isOutage) {
        // A fall that opened on a cycle cut short (an outage starting mid-cycle) and reached
        // nothing is an outage, as it would have been had it opened on the silent cycle.
        this.episodeKind = 'level_shift';
      } else if ((kind === 'spike' || kind === 'dip') && this.episodeLen >= 3 && this.calmRun === 0) {
        const persisted = this.episodeSign > 0 ? this.bigUp >= 3 : this.bigDown >= 3;
        if (persisted) this.episodeKind = 'level_shift';
      } else if (
        (kind === 'spike' || kind === 'dip') &&
        again &&
        this.calmRun === 0 &&
        1.2533 * s[F.maeA]! <= K.stillShare * floor
      ) {
        // A series that held still (a pool's size, set and held) and is at the same new value again
        // has stepped: the engine reports on this point, and a pool that doubled and stays doubled
        // read as a spike, called a step only two points later.
        this.episodeKind = 'level_shift';
      }
      if (this.calmRun >= K.recoverPoints) {
        // The likelihood learns again once its window has let go of the episode: an average that
        // still holds it, learned as the series' usual, would raise the bar so far that a second
        // burst soon after a short first one went unreported. After an outage the window is reset.
        if (!this.wasOutage) this.likHold = Layout.likWindow;
        this.endEpisode();
      } else if (
        !this.wasOutage &&
        this.calmRun === 0 &&
        this.episodeKind !== 'flatline' &&
        this.episodeLen >= o.acceptAfter
      ) {
        // The change lasted long enough to be the new normal (a deploy, a migration).
        // A level whose band holds zero (the error rate of a route that never failed, an idle
        // gauge) says nothing of the noise at the new level, and neither does the ratio of the
        // levels: the episode's own spread around its new level is the scale, then a plain mean
        // with the points that follow, as at the start, until the scale's span is filled. Kept at
        // the old scale, about zero, the new level's ordinary noise would open episode after
        // episode, each taking the level it reached as the one to go back to.
        const stepSpread = s[F.epSpread]!;
        const fromZero = Math.abs(s[F.lvlA]! - zeroY) <= K.bandK * sigA && stepSpread > s[F.maeA]!;
        const widens =
          !fromZero && this.transform === Transform.none && s[F.lvlA]! > 0 && s[F.fastA]! > s[F.lvlA]!;
        // Scales set for the new level are the old level's again if it turns out to be a burst: a
        // burst's widened scale, kept, widened the band for hours after the series was back and hid
        // a real rise in that time.
        s[F.prevMaeA] = fromZero || widens ? s[F.maeA]! : -1;
        s[F.prevMaeB] = s[F.maeB]!;
        s[F.prevMaeC] = s[F.maeC]!;
        s[F.prevWiden] = 1;
        if (fromZero) {
          s[F.maeA] = stepSpread;
          s[F.maeB] = Math.max(s[F.maeB]!, stepSpread);
          s[F.maeC] = Math.max(s[F.maeC]!, stepSpread);
          // The spread weighs as the points it averages.
          this.scaleFrom = n - this.episodeLen - 1;
          // What the likelihood learns at the new level is the burst's, if it turns out to be one.
          LIKELIHOOD.saveLearned(s, F.prevLikMean);
        } else if (widens) {
          // Noise on untransformed positive gauges (latency, sizes) tends to scale with the level:
          // widen the scale with a higher level at once rather than over the next hours, so the
          // wider noise after the step is not reported again as a spike or a variance change. By
          // up to twice, and further (up to the ratio of the levels) where the episode's own points
          // spread that much more around their new level: a latency ten times higher is ten times
          // noisier, a gauge stepping from 20 to 100 need not be.
          const ratio = s[F.fastA]! / s[F.lvlA]!;
          const seen = stepSpread / Math.max(s[F.maeA]!, 1e-12);
          const r = Math.max(Math.min(ratio, 2), Math.min(seen, ratio, 10));
          s[F.maeA]! *= r;
          s[F.maeB]! *= r;
          s[F.maeC]! *= r;
          DAY.scaleDeviations(p, this.dayAt, this.stride, r);
          WEEK.scaleDeviations(p, this.weekAt, this.stride, r);
          s[F.prevWiden] = r;
        }
        // A change taken for the level within a day of another that still holds, to a level at
        // least half as far the same way from the one before it (a burst's ups and downs), is one
        // burst taken in two steps: its old level is the one before the first, the level a return
        // from the burst comes back to.
        const step = s[F.lvlA]! - s[F.prevA]!;
        const further = (s[F.fastA]! - s[F.prevA]!) * step >= 0.5 * step * step;
        if (this.acceptedAt < 0 || n - this.acceptedAt > perDay || !further) {
          s[F.prevA] = s[F.lvlA]!;
          s[F.prevB] = s[F.lvlB]!;
        }
        // A profile's seasonal level is the series' baseline at any time of day, so a return to it
        // is known as one for a day (a campaign's afternoon at three times the orders, reported
        // once, not again as a fall at its end); the flat level follows the time of day and is the
        // baseline only shortly after. A change from or to zero (an outage, a surge from idle) is
        // judged by the rules for those.
        const toZero = Math.abs(s[F.fastA]! - zeroY) <= K.bandK * sigA;
        this.revertLeft =
          model === 0 || fromZero || toZero ? K.revertWindow : Math.max(K.revertWindow, perDay);
        this.revertRun = 0;
        this.acceptedAt = n;
        s[F.lvlA] = s[F.fastA]!;
        if (!this.profileRaw) s[F.lvlB] = s[F.fastB]!;
        // The accepted change is known: the drift rule waits until its gap is back to usual. Its
        // short mean moves to the new level too: creeping there over the next dozens of points,
        // it would look back to usual at first, re-arm, and report the same change as a drift.
        s[F.shortY] = model === 0 ? s[F.lvlA]! : s[F.lvlB]! + centres;
        this.driftArmed = false;
        this.endEpisode();
      }
    }
    // One alert per episode: the first point carries the score; later points of the episode are
    // reported through `ongoing`, except an outage, which stays flagged until it recovers.
    const ongoing = this.inEpisode;
    const anomaly = episodeStart || (ongoing && this.outage);
    if (episodeStart) s[F.peak] = score;
    if (wasOngoing) score = anomaly ? 0.5 : Math.min(score, 0.49) * 0.2;
    const severity = ongoing ? Math.round(100 * Math.max(s[F.peak]!, 0.5)) : 0;
    if (ongoing && this.episodeDrift) {
      // A build-up was flagged against the drift rule's long-run reference, which the level has
      // followed: that reference and its band are the baseline of the episode, so the band
      // reported does not hold the value flagged outside it.
      const ref = s[F.refY]! + seas;
      expected = inverse(ref, t, unit);
      lower = inverse(ref - K.bandK * sigma, t, unit);
      upper = inverse(ref + K.bandK * sigma, t, unit);
    }

    // --- Learning (frozen or slowed while an episode is open) -------------------------------
    const a = LEARN_ARGS;
    a[0] = y;
    a[1] = predA;
    a[2] = predB;
    a[3] = predC;
    a[4] = sigA;
    a[5] = sigB;
    a[6] = sigC;
    a[7] = sigma;
    // The weekly profile learns what the daily model leaves: on the first day, what its raw
    // prediction leaves.
    a[8] = this.profileRaw ? predB : dayOff;
    a[9] = elapsed;
    a[10] = s[F.lastTs]! - prevTs;
    this.learn(daySlot, weekSlot, perDay, n);

    s[F.lastExpected] = expected;
    s[F.lastLower] = lower;
    s[F.lastUpper] = upper;
    return {
      score,
      anomaly,
      episodeStart,
      expected,
      lower,
      upper,
      ongoing,
      severity,
      kind: ongoing ? this.episodeKind : null,
    };
  }

  /**
   * A day is seen: the mean of the profile's slots, the day's mean, becomes the seasonal level,
   * and each slot keeps its difference from it.
   */
  private centreProfile(): void {
    const s = this.s;
    this.profileRaw = false;
    s[F.lvlB] = DAY.centreOffsets(this.p, this.dayAt, this.stride, s);
    // A change accepted on the first day left the seasonal level where it was: undoing it must too.
    s[F.prevB] = s[F.lvlB]!;
  }

  /** Whether daily slots `a` and `b` (-1: none) are within `K.stuckSlots` of each other. */
  private sameTimeOfDay(a: number, b: number): boolean {
    const apart = Math.abs(a - b);
    return b >= 0 && Math.min(apart, layout.DAY_SLOTS - apart) <= K.stuckSlots;
  }

  /**
   * The longest quiet spell lately, at point `n`, faded as the seen extremes are: a weekend's, a week
   * old, must still be known when the next one comes.
   */
  private quietRun(n: number): number {
    return this.quietRecord * this.s[F.fade]! ** (n - this.quietRecordAt);
  }

  /**
   * How far beyond the level an extreme is lone: `K.loneRange` times the seen range, past the
   * warm-up. A level whose band holds zero (a route that never failed) has no range but its bursts,
   * as it has no scale but them: nothing is lone there.
   */
  private loneDistance(predA: number, sigA: number, sigma: number, n: number): number {
    const s = this.s;
    if (n <= this.o.warmup || this.bandHoldsZero(predA, sigA)) {
      return Number.POSITIVE_INFINITY;
    }
    return K.loneRange * Math.max(s[F.maxSeen]! - s[F.minSeen]!, 2 * K.bandK * sigma);
  }

  /** Whether the level's band holds zero (a route that never failed): its bursts are its only scale. */
  private bandHoldsZero(predA: number, sigA: number): boolean {
    return Math.abs(predA - forward(0, this.transform, 1)) <= K.huber * sigA;
  }

  /** Empties the short windows' means and variance of the residuals they hold. */
  private clearWindows(): void {
    const s = this.s;
    s[F.slowMean] = 0;
    const z = this.ringsAt + Layout.zRingAt;
    this.p.fill(0, z, z + Layout.zWindow);
    this.outUp = 0;
    this.outDown = 0;
    this.outOrdinary = 0;
    s[F.zSum] = 0;
    s[F.ewz] = 0;
    s[F.ewz2] = 1;
  }

  private endEpisode(): void {
    const s = this.s;
    // The episode's own residuals must not echo into the next points as a fresh anomaly.
    this.clearWindows();
    // After an outage the averaged surprise is saturated; without this the recovery would alert.
    // So is it after a stuck value, by the surprise of its run: the series moving again is its end.
    if (this.wasOutage || this.episodeKind === 'flatline') LIKELIHOOD.settle(s, this.p, this.ringsAt);
    this.wasOutage = false;
    this.inEpisode = false;
    this.outage = false;
    this.episodeKind = null;
    this.episodeDrift = false;
    this.calmRun = 0;
  }

  /**
   * Float inputs arrive in {@link LEARN_ARGS}: y, predA..C, sigA..C, sigma, dayOff, elapsed and the
   * time since the previous point.
   */
  private learn(daySlot: number, weekSlot: number, perDay: number, n: number): void {
    const a = LEARN_ARGS;
    const y = a[0]!;
    const predA = a[1]!;
    const predB = a[2]!;
    const predC = a[3]!;
    const sigA = a[4]!;
    const sigB = a[5]!;
    const sigC = a[6]!;
    const sigma = a[7]!;
    const dayOff = a[8]!;
    const elapsed = a[9]!;
    const dt = a[10]!;
    const s = this.s;
    const inEp = this.inEpisode;
    // The extremes fade toward the level, so "new extreme" means new for the last month or two.
    if (dt !== s[F.fadeDt]!) {
      s[F.fadeDt] = dt;
      s[F.fade] = dt > 0 ? Math.exp(-dt / K.extremeFadeMs) : 1;
      s[F.spikeFade] = dt > 0 ? Math.exp(-dt / K.spikeMemoryMs) : 1;
      s[F.zeroFade] = dt > 0 ? Math.exp(-dt / K.zeroMemoryMs) : 1;
    }
    const fade = s[F.fade]!;
    const lvl = s[F.lvlA]!;
    // The points of an episode are held apart from the extremes, and join them a day of points
    // after the first of them, with those of the episodes that came in that day.
    // An episode that opens well inside the held ones (a route's lone error a while after a burst of
    // them) is held apart from them, in place of the last such one: merged with them, it would be
    // lost in the larger, and each such point after it would be a new extreme again for the day.
    if (inEp && this.episodeLen === 0) {
      const share = K.heldShare - K.spatialTolerance;
      const hi = s[F.heldMax]!;
      const lo = s[F.heldMin]!;
      this.lesser =
        this.heldLeft > 0 &&
        (y >= lvl ? hi > lvl && y - lvl < share * (hi - lvl) : lo < lvl && lvl - y < share * (lvl - lo));
      if (this.lesser) {
        // The one it replaces joins the held ones: it may have grown past them once open (a lone
        // error, then a burst larger than the first), and its extremes must not be lost.
        s[F.heldMax] = Math.max(hi, s[F.lesserMax]!);
        s[F.heldMin] = Math.min(lo, s[F.lesserMin]!);
        s[F.lesserMax] = Number.NEGATIVE_INFINITY;
        s[F.lesserMin] = Number.POSITIVE_INFINITY;
      }
    }
    if (inEp && this.lesser && this.heldLeft > 0) {
      s[F.lesserMax] = Math.max(y, s[F.lesserMax]!);
      s[F.lesserMin] = Math.min(y, s[F.lesserMin]!);
    } else if (inEp) {
      if (this.heldLeft === 0) this.heldLeft = perDay;
      s[F.heldMax] = Math.max(y, s[F.heldMax]!);
      s[F.heldMin] = Math.min(y, s[F.heldMin]!);
    }
    if (this.lone) this.lone = confirmLone(s, y, lvl, fade);
    // Past the warm-up, an extreme this far beyond the seen range is kept apart as lone.
    const far = this.loneDistance(predA, sigA, sigma, n);
    if (this.heldLeft > 0 && --this.heldLeft === 0) {
      if (joinExtremes(s, s[F.heldMax]!, s[F.heldMin]!, lvl, far)) this.lone = true;
      if (joinExtremes(s, s[F.lesserMax]!, s[F.lesserMin]!, lvl, far)) this.lone = true;
      s[F.heldMax] = s[F.lesserMax] = Number.NEGATIVE_INFINITY;
      s[F.heldMin] = s[F.lesserMin] = Number.POSITIVE_INFINITY;
    }
    s[F.maxSeen] = lvl + (s[F.maxSeen]! - lvl) * fade;
    s[F.minSeen] = lvl + (s[F.minSeen]! - lvl) * fade;
    if (!inEp && joinExtremes(s, y, y, lvl, far)) this.lone = true;
    // A value held repeats nothing, nor moves: through the hours it is held, the run state of the
    // last value recorded would stand for every point (after a change, a gauge set as it changes
    // would read as one whose values never repeat).
    if (!this.heldPoint) {
      s[F.repeatRate]! += (inEp ? 0 : ewAlpha(200)) * ((this.flatRun > 0 ? 1 : 0) - s[F.repeatRate]!);
    }
    s[F.lastY] = y;
    if (this.outage) return;

    const slow = inEp ? 0.1 : 1;
    const aL = ewAlpha(K.levelSpan) * slow;
    const h = K.huber;
    const rA = clip(y - predA, -h * sigA, h * sigA);
    s[F.lvlA]! += aL * rA;
    // The seasonal level starts once the first day is seen (`profileRaw`).
    const aB = this.profileRaw ? 0 : ewAlpha(K.levelSpanSeasonal) * slow;
    s[F.lvlB]! += aB * clip(y - predB, -h * sigB, h * sigB);
    // The value as the level takes it: one absurd point (a duration since 0, bytes for megabytes)
    // would otherwise lift the noise floor with it and widen the band for days. A level whose band
    // holds zero (a route that never failed) has no scale to clip against: its bursts are the scale.
    const atZero = this.bandHoldsZero(predA, sigA);
    s[F.typical]! += (n < 50 ? 1 / n : ewAlpha(500)) * (Math.abs(atZero ? y : predA + rA) - s[F.typical]!);
    const eA = Math.abs(y - predA);
    const eB = Math.abs(y - predB);
    const eC = Math.abs(y - predC);
    // The models are compared once the daily one has a day to predict from, and on the points of
    // episodes too: they are where the model in use failed, so leaving them out would hide its
    // misses (each morning and evening of a flat model on a daily pattern) and keep it in use.
    if (!this.profileRaw) {
      const aSel = ewAlpha(K.selectDays * perDay);
      s[F.selA]! += aSel * (Math.min(eA, 4 * sigA) - s[F.selA]!);
      s[F.selB]! += aSel * (Math.min(eB, 4 * sigB) - s[F.selB]!);
      s[F.selC]! += aSel * (Math.min(eC, 4 * sigC) - s[F.selC]!);
    }
    if (inEp) return;
    const aR = Math.max(1 / n, DRIFT_ALPHA);
    const dS = Math.max(1.2533 * s[F.absD]!, sigma);
    s[F.refY]! += aR * clip(s[F.shortY]! - s[F.refY]!, -4 * dS, 4 * dS);

    const seen = n - this.scaleFrom;
    const aS = seen < K.scaleSpan / 4 ? 1 / seen : ewAlpha(K.scaleSpan);
    s[F.maeA]! += aS * (Math.min(eA, 4 * sigA) - s[F.maeA]!);
    s[F.maeB]! += aS * (Math.min(eB, 4 * sigB) - s[F.maeB]!);
    s[F.maeC]! += aS * (Math.min(eC, 4 * sigC) - s[F.maeC]!);

    const season = this.o.seasonality;
    if (season !== 'none') {
      const p = this.p;
      const stride = this.stride;
      // Each profile takes the value clipped as its own model predicts it, as the levels do: a point
      // that could not start an episode (in a cooldown) must not put an absurd value into its slot
      // for days. The first day's raw profile has no prediction of its own yet, nor has a slot of
      // the day it did not learn (its points were an episode's, a batch job's first run): clipped,
      // a pattern first seen there would take weeks to learn, and be reported every day until then.
      const raw = this.profileRaw;
      const dayRecord = DAY.record(this.dayAt, stride, daySlot);
      const rB = raw || DAY.visitsAt(p, dayRecord) === 0 ? y - predB : clip(y - predB, -h * sigB, h * sigB);
      const rC = raw ? y - predC : clip(y - predC, -h * sigC, h * sigC);
      DAY.learn(p, dayRecord, s, predB + rB - s[F.lvlB]!, Math.min(eB, 4 * sigma));
      WEEK.learn(
        p,
        WEEK.record(this.weekAt, stride, weekSlot),
        s,
        predC + rC - s[F.lvlB]! - dayOff,
        Math.min(eC, 4 * sigma),
      );
    }
    const dailyOk = season !== 'none' && elapsed >= K.dailyAfterDays * Layout.dayMs;
    const weeklyOk =
      (season === 'auto' || season === 'weekly') && elapsed >= K.weeklyAfterDays * Layout.dayMs;
    let m = 0;
    if (season === 'daily' || season === 'weekly') {
      m = dailyOk ? 1 : 0;
      if (season === 'weekly' && weeklyOk) m = 2;
    } else if (season === 'auto') {
      const gainB = this.model >= 1 ? 0.95 : K.seasonGain;
      if (dailyOk && s[F.selB]! < gainB * s[F.selA]!) m = 1;
      const gainC = this.model === 2 ? 0.97 : 0.9;
      // Without the daily model, the weekly one must halve the flat one's errors: a count taken once
      // a day has one slot of the day, whose profile cannot tell a Monday from a Sunday, so it never
      // beats the flat model, while its weekly profile is all the pattern it has.
      const weeklyAlone = this.model === 2 ? 0.55 : 0.5;
      if (weeklyOk && s[F.selC]! < (m === 1 ? gainC * s[F.selB]! : weeklyAlone * s[F.selA]!)) m = 2;
    }
    this.model = m;
  }
}
