import {
  countCycle,
  holdsIncident,
  type IncidentRequests,
  incidentRequests,
  isUsualErrors,
  learnUsualShare,
  newUsualShare,
  outlastsIncident,
  usualShareAtMost,
  type UsualShare,
} from './engine-requests.js';
import { type DailyIdle, NOT_IDLE } from './engine-idle.js';
import { addToMean, isCountNoise, MEAN_SD, newRecentMean, type RecentMean } from './engine-means.js';
import {
  addRecentErrors,
  newRecentErrors,
  oddRecentErrors,
  type RecentErrors,
} from './engine-recent-errors.js';
import type { SeriesSample } from './engine-series.js';
import {
  addSlowCycle,
  endSlowIncident,
  newSlowShare,
  oddSlowShare,
  restartSlowShare,
  SLOW_USUAL_AFTER_CYCLES,
  type SlowShare,
  stillSlow,
} from './engine-slow-share.js';
import type { AnomalyKind, AnomalyResult } from './types.js';

/** Consecutive silent cycles, and the count per cycle expected before, that make a rate an outage. */
const OUTAGE_CYCLES = 2;
export const OUTAGE_MIN_EXPECTED_COUNT = 5;
const OUTAGE_MIN_HISTORY = 10;
/**
 * Weight of each reported count in the recent mean an outage is judged busy by: about five cycles.
 * An evening's traffic can fall tenfold in an hour, and a mean over more cycles still holds the busy
 * counts of a quarter hour before when the rate is down to a few a cycle.
 */
const RECENT_COUNT_ALPHA = 0.2;
/**
 * Weight of each cycle in the share of a rate's recent cycles at zero: about an hour of minutes. A
 * rate fed in batches (a job's output flushed now and then) has empty cycles as part of its normal,
 * and a run of silent cycles is an outage only once that share makes it as unlikely as two silent
 * cycles are for a rate of OUTAGE_MIN_EXPECTED_COUNT a cycle.
 */
const ZERO_SHARE_ALPHA = 1 / 60;
const OUTAGE_MAX_ZERO_RUN_CHANCE = Math.exp(-OUTAGE_CYCLES * OUTAGE_MIN_EXPECTED_COUNT);
/** The variance of that share over a cycle's, for independent cycles. */
const ZERO_SHARE_VAR = ZERO_SHARE_ALPHA / (2 - ZERO_SHARE_ALPHA);

/**
 * The chance of an empty cycle that a rate's share of them allows. One empty cycle in the hour is
 * chance, as a busy rate has now and then, not its habit, and is left out; the share of the rest,
 * counted over an hour of a few empty cycles, may be half the true one, so its upper bound two
 * standard errors up is taken.
 */
function habitualZeroChance(share: number): number {
  const p = Math.max(0, share - ZERO_SHARE_ALPHA);
  return Math.min(1, p + 2 * Math.sqrt(ZERO_SHARE_VAR * p * (1 - p)));
}
/** How much wider than the detector's band an episode must reach before a daily profile is learned. */
const BEFORE_DAILY_WIDEN = 2;
/**
 * Cycles in a row a reported series must be back on the normal side of the band it was reported
 * against before a new event: as many calm points as close the detector's episode. For an error
 * rate, also as many requests as tell the incident's rate from the one before it.
 */
const BACK_CYCLES = 3;
/**
 * ...or as many more as make a run back in the band that long as unlikely as this for the incident
 * itself, by the share of its cycles in the band: noise grown sixfold is in its old band one cycle in
 * three, and three such cycles in a row come every half hour or so. At most `SETTLE_CYCLES`.
 */
const BACK_RUN_CHANCE = 0.001;
/**
 * Cycles in a row without an episode of the detector's after which a reported change it has taken
 * as its new level (a deploy's lasting step) is the series' normal. Until then the band around that
 * level is still the old level's noise, narrower than the new one's, and the detector reopens
 * episodes on it every few cycles while the incident goes on.
 */
const SETTLE_CYCLES = 20;

/** What the engine remembers per series to turn detector results into one event per episode. */
export interface EpisodeState {
  pending: { up: boolean; remaining: number; severity: number } | undefined;
  /**
   * The direction of the event that went out for the detector's current episode: after a surge,
   * a drop to zero is still an outage of its own.
   */
  reported: 'up' | 'down' | undefined;
  /** The normal band the reported event was judged against: its incident lasts until the series is back in it. */
  reportedLower: number;
  reportedUpper: number;
  reportedExpected: number;
  /** Cycles in a row the series has been back in that band. */
  backRun: number;
  /** Cycles since the event, and those of them outside the band. */
  cycles: number;
  outCycles: number;
  /**
   * After a rise, cycles in a row below the band and the detector's highest severity over them (a
   * fall after a spike is an incident of its own), and cycles since the event above the band.
   */
  fallRun: number;
  fallSeverity: number;
  aboveCycles: number;
  /** A rate's mean over its recent cycles, and the detector's expected values over the same cycles. */
  mean: RecentMean;
  /**
   * The detector's open episode on a rate is a change of its level, so a fall may also be judged on
   * that mean; and the event went out on the mean, whose band its incident's end is judged by.
   */
  onMean: boolean;
  reportedOnMean: boolean;
  /** For a rate, the band of its mean when the event went out: the incident lasts until the mean is back in it too. */
  reportedMean: { lower: number; upper: number } | undefined;
  /** For an error rate, the incident's errors and requests, to tell when it is over. */
  requests: IncidentRequests;
  /** For an error rate, the route's errors and requests outside incidents. */
  usualShare: UsualShare;
  /** For an error rate, its errors in its recent cycles since its last incident. */
  recentErrors: RecentErrors | undefined;
  /**
   * The incident was reported on a route's errors before it had learned its usual share: its
   * share is learned through the incident, which ends once it is.
   */
  reportedOnPrior: boolean;
  /** For a route's p95 latency, its share of requests over the bounds of its buckets. */
  slowShare: SlowShare | undefined;
  /**
   * The incident repeats the series' earlier ones at its place in the hour: no event went out on
   * it, and it is no incident open, though it is held as one until it is over.
   */
  repeat: boolean;
  /** Cycles in a row, since the event, the detector has had no episode open. */
  settledRun: number;
  /**
   * The band around the level the detector took the reported change as, once it has held it for
   * `SETTLE_CYCLES`: until the series, and the detector's baseline, are back in the band it was
   * reported against, a new event must leave both bands. A detector may still undo such a change
   * on a few cycles near the old level, as an error rate's minutes without errors are, and its next
   * episodes are the same incident.
   */
  settled: { lower: number; upper: number } | undefined;
  /**
   * Highest score of the detector's open episode: the detector scores the first point only, and
   * the engine reports a few cycles later.
   */
  peak: number;
  /** An outage event went out and the series has not reported a value since. */
  outageReported: boolean;
  zeroRun: number;
  /** The mean count of the recent cycles that reported one: what the rate was before it went silent. */
  recentCount: number;
  /** The share of the rate's recent cycles at zero, and that share as a run of silent cycles began. */
  zeroShare: number;
  zeroShareBefore: number;
  healthyPoints: number;
  /** The detector's expected value and band on the last healthy point, before the series went silent. */
  healthyExpected: number;
  healthyLower: number;
  healthyUpper: number;
  /** The upper bound of that band when the series last went silent: the level an idle rate comes back to. */
  idleFromUpper: number;
}

export function newEpisodeState(): EpisodeState {
  return {
    pending: undefined,
    reported: undefined,
    reportedLower: 0,
    reportedUpper: 0,
    reportedExpected: 0,
    backRun: 0,
    cycles: 0,
    outCycles: 0,
    fallRun: 0,
    fallSeverity: 0,
    aboveCycles: 0,
    mean: newRecentMean(),
    onMean: false,
    reportedOnMean: false,
    reportedMean: undefined,
    requests: incidentRequests(0, 0),
    usualShare: newUsualShare(),
    recentErrors: undefined,
    reportedOnPrior: false,
    slowShare: undefined,
    repeat: false,
    settledRun: 0,
    settled: undefined,
    peak: 0,
    outageReported: false,
    zeroRun: 0,
    recentCount: 0,
    zeroShare: 0,
    zeroShareBefore: 0,
    healthyPoints: 0,
    healthyExpected: 0,
    healthyLower: 0,
    healthyUpper: 0,
    idleFromUpper: 0,
  };
}

export interface Verdict {
  readonly kind: AnomalyKind;
  /** The value judged: the cycle's, or the mean of the recent cycles an episode was opened on. */
  readonly observed: number;
  /** Whether `observed`, `expected` and the band are that mean's. */
  readonly mean: boolean;
  /** For a route's errors or slow requests judged together, the cycles whose share `observed` is. */
  readonly shareOf?: number;
  /** For a route's slow requests, the bound of its latency buckets they are over. */
  readonly over?: number;
  readonly expected: number;
  readonly severity: number;
  /** 0..1, the episode's peak. */
  readonly score: number;
  /** The normal band the event is judged against; it never holds the observed value but a flatline's. */
  readonly lower: number;
  readonly upper: number;
}

/**
 * Whether a rate silent this cycle was busy enough before for its silence to be an outage: its
 * outage is judged, then held until it recovers, on the zeros it is fed, as a live series is
 * judged on its values.
 */
export function busyGoneSilent(s: EpisodeState, perCycle: number): boolean {
  return (
    s.recentCount >= OUTAGE_MIN_EXPECTED_COUNT && s.healthyExpected * perCycle >= OUTAGE_MIN_EXPECTED_COUNT
  );
}

/**
 * Decides whether this cycle reports an episode. Three rules: a rate that was busy, that the
 * detector still expects busy now (not the evening of a business-hours service), and that reports
 * nothing for two cycles (more for one whose busy cycles are empty now and then) is an outage, whatever the band says (a wide band must never hide zero
 * traffic); a route's errors over its recent cycles, far more than its usual share gives them,
 * are an incident whatever the band says too; otherwise the detector's episode must stay outside
 * its band, in a direction that matters, for `confirm` cycles in a row, so a lone GC pause is not
 * an incident, and an upward one must also rise above the series' floor; a rate's fall may instead
 * leave the band of its recent mean, as narrow as the noise of the counts it averages. `drift`
 * says the detector's episode is a build-up judged on a short mean against its long-run
 * reference: one cycle outside the band is enough.
 */
export function judge(
  s: EpisodeState,
  sample: SeriesSample,
  value: number,
  r: AnomalyResult,
  confirmCycles: number | undefined,
  drift = false,
  beforeDaily = false,
  daily: DailyIdle = NOT_IDLE,
): Verdict | undefined {
  s.peak = r.ongoing ? Math.max(s.peak, r.score) : 0;
  if (sample.zeroWhenAbsent) {
    addToMean(s.mean, value, r.expected);
    // A fall of a few Poisson standard deviations a cycle (orders halving) shows only in the mean
    // of many cycles, as the detector's window, slow and drift rules see it: its single values are
    // in the band as often as not. Not a burst of noise or a stuck value.
    if (r.episodeStart) s.onMean = r.kind !== 'variance' && r.kind !== 'flatline';
  }
  // A level at zero every night (the sessions of an office's users) stops and comes back as a rate
  // does: its runs at zero and the band it left are told from the day before as a rate's are.
  if (sample.zeroWhenAbsent || isLevel(sample)) {
    if (value === 0) {
      if (++s.zeroRun === 1) {
        s.idleFromUpper = s.healthyUpper;
        s.zeroShareBefore = s.zeroShare;
      }
    } else {
      s.zeroRun = 0;
      s.outageReported = false;
      const count = value * sample.perCycle;
      s.recentCount += (s.recentCount === 0 ? 1 : RECENT_COUNT_ALPHA) * (count - s.recentCount);
      if (!r.ongoing && Number.isFinite(r.expected)) {
        s.healthyExpected = r.expected;
        s.healthyLower = r.lower;
        s.healthyUpper = r.upper;
        s.healthyPoints++;
      }
    }
  }
  if (sample.zeroWhenAbsent) {
    // The share is of the cycles the rate is expected busy in: not its idle hours, nor an outage's
    // silence, whose first cycles, counted before it is reported, are taken out again when it is.
    if (!s.outageReported && !daily.zero && r.expected * sample.perCycle >= OUTAGE_MIN_EXPECTED_COUNT) {
      s.zeroShare += ZERO_SHARE_ALPHA * ((value === 0 ? 1 : 0) - s.zeroShare);
    }
    if (
      value === 0 &&
      !s.outageReported &&
      s.zeroRun >= OUTAGE_CYCLES &&
      habitualZeroChance(s.zeroShareBefore) ** s.zeroRun <= OUTAGE_MAX_ZERO_RUN_CHANCE &&
      s.healthyPoints >= OUTAGE_MIN_HISTORY &&
      // A rate that stops every night, stopping at the time it did a day before, is closing.
      !daily.zero &&
      s.healthyExpected * sample.perCycle >= OUTAGE_MIN_EXPECTED_COUNT &&
      // The baseline follows a fall a little late, most of all before it has a daily profile: a rate
      // that tapered off to a couple of requests a cycle is quiet, not out, when two cycles see none.
      s.recentCount >= OUTAGE_MIN_EXPECTED_COUNT &&
      r.expected * sample.perCycle >= OUTAGE_MIN_EXPECTED_COUNT
    ) {
      s.outageReported = true;
      s.zeroShare = s.zeroShareBefore;
      s.pending = undefined;
      // A fall held back as a repeat of the series' hourly dips is no event: its outage is one.
      if (s.reported === 'down' && s.settled === undefined && !s.repeat) return undefined;
      const severity = Math.max(r.severity, 90);
      // For a busy rate any count is normal but none, even where the detector's band reaches 0.
      const lower = Math.max(s.healthyLower, 1 / sample.perCycle);
      report(s, 'down', lower, s.healthyExpected, s.healthyUpper, incidentRequests(value, sample.requests));
      return {
        kind: 'level_shift',
        observed: value,
        mean: false,
        expected: s.healthyExpected,
        severity,
        score: Math.max(s.peak, severity / 100),
        lower,
        upper: s.healthyUpper,
      };
    }
  }
  if (sample.requests > 0 && s.reported === undefined) {
    // A rise of a route's errors to one or two a cycle shows only over many cycles, and the
    // detector takes it as its level in a few: its cycles' errors are judged together too.
    s.recentErrors ??= newRecentErrors();
    addRecentErrors(s.recentErrors, value, sample.requests, r.expected);
    const odd = oddRecentErrors(s.recentErrors, s.usualShare);
    if (odd !== undefined) {
      s.pending = undefined;
      report(s, 'up', 0, odd.expected, odd.upper, incidentRequests(odd.observed, odd.requests));
      s.reportedOnPrior = odd.prior;
      return {
        kind: 'level_shift',
        observed: odd.observed,
        mean: false,
        shareOf: odd.cycles,
        expected: odd.expected,
        severity: Math.max(r.severity, 50),
        score: Math.max(s.peak, 0.5),
        lower: 0,
        upper: odd.upper,
      };
    }
  }
  if (sample.buckets !== undefined) {
    // A p95 moving inside a wide bucket, or a few requests in twenty timing out, hardly moves the
    // interpolated p95, but moves the share of requests over the bound above its usual p95 a lot.
    s.slowShare ??= newSlowShare(sample.buckets.boundaries);
    // Once a slower latency is held as the route's level, its shares are learned again from it.
    const judged = s.reported === undefined || (s.settled !== undefined && s.slowShare.relearned);
    addSlowCycle(s.slowShare, sample.buckets, judged);
    const odd = judged ? oddSlowShare(s.slowShare) : undefined;
    if (odd !== undefined) {
      s.pending = undefined;
      report(s, 'up', Math.max(0, r.lower), r.expected, r.upper, incidentRequests(0, 0));
      return {
        kind: 'level_shift',
        observed: odd.observed,
        mean: false,
        shareOf: odd.cycles,
        over: odd.over,
        expected: odd.expected,
        severity: Math.max(r.severity, 50),
        score: Math.max(s.peak, 0.5),
        lower: 0,
        upper: odd.upper,
      };
    }
  }
  if (s.reported !== undefined) {
    // A rate's fall goes on while its mean stays out, however many of its cycles are back in their band.
    const back = isBack(s, s.reportedOnMean ? s.mean.value : value) && isMeanBack(s);
    s.backRun = back ? s.backRun + 1 : 0;
    s.cycles++;
    if (!back) s.outCycles++;
    if (sample.requests > 0) countCycle(s.requests, value, sample.requests, s.backRun > 0);
    s.settledRun = r.ongoing ? 0 : s.settledRun + 1;
    const turned = turnedOver(s, sample, value, r, confirmCycles, daily);
    if (turned !== undefined) return turned;
  }
  if (!r.ongoing) {
    s.pending = undefined;
    // A route failing from its first minute has no other cycles to learn its usual share from.
    if (sample.requests > 0 && (s.reported === undefined || s.reportedOnPrior))
      learnUsualShare(s.usualShare, value, sample.requests);
    if (s.reported !== undefined && !s.outageReported) {
      // Back from a change the detector took as its level, the incident lasts until the detector
      // has come back too: until then it still expects the incident's level, and its episode on
      // the series' return is that incident's end, not a fall of its own.
      const back =
        s.backRun >= backCycles(s) &&
        outlastsIncident(s.requests) &&
        (s.settled === undefined || isBack(s, r.expected)) &&
        // Nor while its recent requests over a bound are still more than usual, where its p95
        // hardly moved.
        (s.slowShare === undefined || !stillSlow(s.slowShare));
      if (
        back ||
        // Reported against the share a route is taken to fail at, one whose usual share is higher
        // (a flaky upstream's one in eight) would stay in it for good, its errors and latency no
        // longer judged by their own shares: from when the route has learned its own, still
        // failing as it did, they are.
        (s.reportedOnPrior && s.backRun === 0 && usualShareAtMost(s.usualShare) !== undefined)
      ) {
        // Errors the route was failing at from its first minute, and no longer does, were no usual
        // share of it: a route fixed an hour in would take a relapse to one in ten for its level.
        if (back && s.reportedOnPrior) s.usualShare = newUsualShare();
        endIncident(s);
      } else if (
        // The detector also ends its episode by taking a lasting change as its new level: the
        // incident reported goes on while the series stays away from the band it left, and the
        // detector's next episodes on it are that incident's, not new ones, until it has held that
        // level long enough, with a band that holds the incident's error rate, to make it normal.
        s.settled === undefined &&
        s.settledRun >= SETTLE_CYCLES &&
        holdsIncident(s.requests, r.upper)
      ) {
        s.settled = { lower: r.lower, upper: r.upper };
      }
      // An incident held for a day with the p95 at its level (a deploy that made the route slower)
      // has made that level the route's: its requests over a bound are learned again from it, as,
      // judged against their share before, they would hold the incident open for ever, and no later
      // rise of them would be judged.
      if (
        s.settled !== undefined &&
        s.slowShare !== undefined &&
        !s.slowShare.relearned &&
        s.cycles >= SLOW_USUAL_AFTER_CYCLES
      ) {
        restartSlowShare(s.slowShare);
      }
    }
    return undefined;
  }
  if (r.kind === 'flatline' && s.reported === undefined && isLevel(sample)) {
    // A stuck value is inside its band, where the rules below never see it; the detector's run of
    // repeats is already the evidence of many cycles.
    s.pending = undefined;
    report(s, value >= r.expected ? 'up' : 'down', r.lower, r.expected, r.upper, incidentRequests(0, 0));
    return {
      kind: 'flatline',
      observed: value,
      mean: false,
      expected: r.expected,
      severity: r.severity,
      score: Math.max(s.peak, 0.5),
      lower: r.lower,
      upper: r.upper,
    };
  }
  if (s.reported !== undefined && s.settled === undefined) return undefined;
  // Before the detector has a daily profile its band holds the noise around a level, not the daily
  // swing: a morning's ramp, which the level follows a little late, keeps just above it for hours.
  // Twice its width is still far below a real fault (a latency five times as high); a rate gone
  // silent is the outage rule's.
  const widen = beforeDaily ? BEFORE_DAILY_WIDEN : 1;
  // The band of a rate's mean, narrower than a cycle's as the noise of the counts it averages is.
  // The drift rule's reference is already a long-run one; the other means are weighed against the
  // expected values of the cycles they hold, which follow the fall.
  const meanBand = sample.zeroWhenAbsent
    ? bandAround(drift ? r.expected : s.mean.expected, widen * MEAN_SD, r)
    : undefined;
  let judged = { observed: value, mean: false, ...bandAround(r.expected, widen, r) };
  let { up: outsideUp, down: outsideDown } = outside(s, sample, judged, value, daily);
  // A series is born on its first count, which the detector's level starts at and, after a short
  // warm-up, still mostly holds: a route hit once, then idle, is expected at most of a request a
  // cycle for the next hour, and one whose first minute held a backlog at several times its rate,
  // levels its own counts never had. A fall is from a level its mean has been at.
  if (
    !outsideUp &&
    !outsideDown &&
    s.onMean &&
    meanBand !== undefined &&
    hasRunAt(s.mean, meanBand.expected, sample.perCycle)
  ) {
    judged = { observed: s.mean.value, mean: true, ...meanBand };
    // Falls only: before a daily profile, the mean of a morning's steep ramp runs ahead of the
    // expected values, which lag it, by more than the counts' noise.
    ({ down: outsideDown } = outside(s, sample, judged, value, daily));
  }
  const { observed, expected, lower, upper } = judged;
  if (!outsideUp && !outsideDown) {
    s.pending = undefined;
    return undefined;
  }
  // A build-up the drift rule flagged is already the evidence of many points (a short mean against
  // a long-run reference); its episode is brief, and a sawtooth such as a heap's is outside the
  // band only now and then. Not while a change held as the series' level is still the incident
  // reported: the reference is the level before that change, so the build-up is the incident's own,
  // and one cycle further out (a minute with a few more errors) must be confirmed as any episode is.
  // A zero is confirmed as any dip is: one quiet cycle of a rate of ten happens every few weeks, and
  // a real outage is reported on its second cycle by the rule above.
  if (s.pending === undefined || s.pending.up !== outsideUp) {
    s.pending = {
      up: outsideUp,
      remaining: drift && s.settled === undefined ? 1 : (confirmCycles ?? sample.confirm),
      severity: 0,
    };
  }
  s.pending.severity = Math.max(s.pending.severity, r.severity);
  if (--s.pending.remaining > 0) return undefined;
  const severity = s.pending.severity;
  s.pending = undefined;
  const reportedLower = sample.nonNegative ? Math.max(0, lower) : lower;
  // A change held as the series' level that goes further is the same incident: its errors so far
  // still tell when it is over.
  const requests = s.reported === undefined ? incidentRequests(value, sample.requests) : s.requests;
  report(s, outsideUp ? 'up' : 'down', reportedLower, expected, upper, requests);
  s.reportedOnMean = judged.mean;
  s.reportedMean = meanBand;
  return {
    kind: reportedKind(r.kind, outsideUp),
    observed,
    mean: judged.mean,
    expected,
    severity,
    score: Math.max(s.peak, 0.5),
    lower: reportedLower,
    upper,
  };
}

/** The incident is over: the next event is a new one, judged on the route's requests after it. */
export function endIncident(s: EpisodeState): void {
  s.reported = undefined;
  s.settled = undefined;
  s.reportedOnPrior = false;
  s.repeat = false;
  if (s.slowShare !== undefined) endSlowIncident(s.slowShare);
}

/**
 * The kind of the detector's open episode, unless it names the other direction: an episode opened
 * on a one-minute jump is still open when the fall that follows it is confirmed, and a fall is no
 * spike.
 */
function reportedKind(kind: AnomalyKind | null, up: boolean): AnomalyKind {
  return kind === null || kind === (up ? 'dip' : 'spike') ? (up ? 'spike' : 'dip') : kind;
}

/** Cycles in a row back in the band that end the incident. */
function backCycles(s: EpisodeState): number {
  const before = s.cycles - s.backRun;
  return unlikelyRun(before > 0 ? 1 - s.outCycles / before : 0, BACK_CYCLES);
}

/**
 * A run of cycles, at least `least`, that the incident's share of such cycles before it makes as
 * unlikely as `BACK_RUN_CHANCE`, up to `SETTLE_CYCLES`.
 */
function unlikelyRun(share: number, least: number): number {
  if (share <= 0) return least;
  const run = Math.ceil(Math.log(BACK_RUN_CHANCE) / Math.log(share));
  return Math.min(Math.max(run, least), SETTLE_CYCLES);
}

/**
 * A reported rise the series falls below its band from, as a crash after an overload does, is over,
 * and the run below the band is an incident of its own once it has lasted the cycles that confirm an
 * episode, or as many more as the rise's own share of cycles off its side of the band (counted as if
 * one more cycle went each way, as its first few tell little) makes as unlikely as one in a thousand:
 * noise grown sixfold is off that side two cycles in three, half of them below the band, and is one
 * incident. Not a rise after a fall, most often the fall's own end overshooting (a backlog, clients'
 * retries after an outage), nor once a change the detector took as its level is the series' normal:
 * the band around that level judges the next events.
 */
function turnedOver(
  s: EpisodeState,
  sample: SeriesSample,
  value: number,
  r: AnomalyResult,
  confirmCycles: number | undefined,
  daily: DailyIdle,
): Verdict | undefined {
  if (s.reported !== 'up' || s.settled !== undefined) return undefined;
  const judged = {
    observed: s.reportedOnMean ? s.mean.value : value,
    mean: s.reportedOnMean,
    expected: s.reportedExpected,
    lower: s.reportedLower,
    upper: s.reportedUpper,
  };
  if (judged.observed > judged.upper) s.aboveCycles++;
  if (!outside(s, sample, judged, value, daily).down) {
    s.fallRun = 0;
    s.fallSeverity = 0;
    return undefined;
  }
  s.fallRun++;
  s.fallSeverity = Math.max(s.fallSeverity, r.severity);
  const before = s.cycles - s.fallRun;
  const share = (before - s.aboveCycles + 1) / (before + 2);
  if (s.fallRun < unlikelyRun(share, confirmCycles ?? sample.confirm)) return undefined;
  const severity = s.fallSeverity;
  s.pending = undefined;
  report(s, 'down', judged.lower, judged.expected, judged.upper, incidentRequests(value, sample.requests));
  s.reportedOnMean = judged.mean;
  return {
    kind: reportedKind(r.ongoing ? r.kind : null, false),
    ...judged,
    severity,
    score: Math.max(s.peak, 0.5),
  };
}

/**
 * Whether the series is a level, a gauge's or an up-down counter's value: a stuck exporter shows on
 * it as a value repeated. A stuck counter or histogram reports no new counts (a rate's outage), and
 * a percentile or an error share repeats whenever a quiet cycle's few requests fall as the last ones
 * did.
 */
export function isLevel(sample: SeriesSample): boolean {
  return !sample.zeroWhenAbsent && sample.direction === 'both';
}

/**
 * Whether a value is back in the band the incident was reported against. Not beyond its other edge
 * either: noise grown sixfold leaves the band on both sides, and a value far below it is no return
 * from a spike, but the same incident, which would otherwise end after three such cycles and be
 * reported again, by the next side it left on.
 */
function isBack(s: EpisodeState, value: number): boolean {
  return value <= s.reportedUpper && value >= s.reportedLower;
}

/**
 * Whether a value, or a rate's mean, is outside its band in a direction that matters. A change held
 * as the series' level is still the reported incident: a new event must leave the band around that
 * level and the band the incident was reported against, or the series going back to where it was
 * before (traffic after a surge) would read as a fall of its own. A rate that stops every night and
 * stops, or comes back to the level it had before it stopped, at the time it did a day before is
 * following its day, which the detector's band may not know yet.
 */
function outside(
  s: EpisodeState,
  sample: SeriesSample,
  judged: { observed: number; mean: boolean; expected: number; lower: number; upper: number },
  value: number,
  daily: DailyIdle,
): { up: boolean; down: boolean } {
  const { observed, mean, expected, lower, upper } = judged;
  // Counts vary at least as Poisson noise does. A rate from an unusually regular source (a
  // closed-loop client, a timer) learns a band narrower than that, where a few requests either way
  // would read as an incident.
  if (sample.zeroWhenAbsent && isCountNoise(observed, expected, sample.perCycle, mean)) {
    return { up: false, down: false };
  }
  if (sample.requests > 0 && isUsualErrors(s.usualShare, observed, expected, sample.requests)) {
    return { up: false, down: false };
  }
  const { settled } = s;
  return {
    up:
      observed > upper &&
      observed > sample.floor &&
      !(daily.value && observed <= s.idleFromUpper) &&
      sample.direction !== 'down' &&
      (settled === undefined || observed > Math.max(settled.upper, s.reportedUpper)),
    down:
      observed < lower &&
      !(daily.zero && (value === 0 || mean)) &&
      sample.direction !== 'up' &&
      (settled === undefined || observed < Math.min(settled.lower, s.reportedLower)),
  };
}

/** Whether a rate's mean has been at `expected`, or within the noise of its counts below it. */
function hasRunAt(mean: RecentMean, expected: number, perCycle: number): boolean {
  return mean.highest >= expected || isCountNoise(mean.highest, expected, perCycle, true);
}

function isMeanBack(s: EpisodeState): boolean {
  const band = s.reportedMean;
  if (band === undefined) return true;
  return s.reported === 'up' ? s.mean.value <= band.upper : s.mean.value >= band.lower;
}

/** The detector's band, `widen` times as wide, around `expected`. */
function bandAround(
  expected: number,
  widen: number,
  r: AnomalyResult,
): { expected: number; lower: number; upper: number } {
  return {
    expected,
    lower: expected - widen * (r.expected - r.lower),
    upper: expected + widen * (r.upper - r.expected),
  };
}

function report(
  s: EpisodeState,
  direction: 'up' | 'down',
  lower: number,
  expected: number,
  upper: number,
  requests: IncidentRequests,
): void {
  s.reported = direction;
  s.reportedOnMean = false;
  s.reportedMean = undefined;
  s.reportedLower = lower;
  s.reportedUpper = upper;
  s.reportedExpected = expected;
  s.backRun = 0;
  s.cycles = 0;
  s.outCycles = 0;
  s.fallRun = 0;
  s.fallSeverity = 0;
  s.aboveCycles = 0;
  s.requests = requests;
  s.repeat = false;
  s.settledRun = 0;
  s.settled = undefined;
  // The incident's errors are its own: after it, a route's recent errors start again.
  s.recentErrors = undefined;
  if (s.slowShare !== undefined) s.slowShare.relearned = false;
}
