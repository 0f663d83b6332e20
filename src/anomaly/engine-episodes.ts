import {
  countCycle,
  holdsIncident,
  type IncidentRequests,
  incidentRequests,
  outlastsIncident,
} from './engine-requests.js';
import { type DailyIdle, NOT_IDLE } from './engine-idle.js';
import type { SeriesSample } from './engine-series.js';
import type { AnomalyKind, AnomalyResult } from './types.js';

/** Consecutive silent cycles, and the count per cycle expected before, that make a rate an outage. */
const OUTAGE_CYCLES = 2;
export const OUTAGE_MIN_EXPECTED_COUNT = 5;
const OUTAGE_MIN_HISTORY = 10;
/** Weight of each reported count in the recent mean an outage is judged busy by: about ten cycles. */
const RECENT_COUNT_ALPHA = 0.1;
/** How much wider than the detector's band an episode must reach before a daily profile is learned. */
const BEFORE_DAILY_WIDEN = 2;
/**
 * Cycles in a row a reported series must be back on the normal side of the band it was reported
 * against before a new event: as many calm points as close the detector's episode. For an error
 * rate, also as many requests as tell the incident's rate from the one before it.
 */
const BACK_CYCLES = 3;
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
  /** Cycles in a row the series has been back on the normal side of that band. */
  backRun: number;
  /** For an error rate, the incident's errors and requests, to tell when it is over. */
  requests: IncidentRequests;
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
    backRun: 0,
    requests: incidentRequests(0, 0),
    settledRun: 0,
    settled: undefined,
    peak: 0,
    outageReported: false,
    zeroRun: 0,
    recentCount: 0,
    healthyPoints: 0,
    healthyExpected: 0,
    healthyLower: 0,
    healthyUpper: 0,
    idleFromUpper: 0,
  };
}

export interface Verdict {
  readonly kind: AnomalyKind;
  readonly expected: number;
  readonly severity: number;
  /** 0..1, the episode's peak. */
  readonly score: number;
  /** The normal band the event is judged against; it never holds the observed value. */
  readonly lower: number;
  readonly upper: number;
}

/**
 * Decides whether this cycle reports an episode. Two rules: a rate that was busy, that the
 * detector still expects busy now (not the evening of a business-hours service), and that reports
 * nothing for two cycles is an outage, whatever the band says (a wide band must never hide zero
 * traffic); otherwise the detector's episode must stay outside its band, in a direction that
 * matters, for `confirm` cycles in a row, so a lone GC pause is not an incident, and an upward
 * one must also rise above the series' floor. `drift` says the detector's episode is a build-up
 * judged on a short mean against its long-run reference: one cycle outside the band is enough.
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
    if (value === 0) {
      if (++s.zeroRun === 1) s.idleFromUpper = s.healthyUpper;
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
    if (
      value === 0 &&
      !s.outageReported &&
      s.zeroRun >= OUTAGE_CYCLES &&
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
      s.pending = undefined;
      if (s.reported === 'down' && s.settled === undefined) return undefined;
      const severity = Math.max(r.severity, 90);
      // For a busy rate any count is normal but none, even where the detector's band reaches 0.
      const lower = Math.max(s.healthyLower, 1 / sample.perCycle);
      report(s, 'down', lower, s.healthyUpper, incidentRequests(value, sample.requests));
      return {
        kind: 'level_shift',
        expected: s.healthyExpected,
        severity,
        score: Math.max(s.peak, severity / 100),
        lower,
        upper: s.healthyUpper,
      };
    }
  }
  if (s.reported !== undefined) {
    s.backRun = isBack(s, value) ? s.backRun + 1 : 0;
    if (sample.requests > 0) countCycle(s.requests, value, sample.requests, s.backRun > 0);
    s.settledRun = r.ongoing ? 0 : s.settledRun + 1;
  }
  if (!r.ongoing) {
    s.pending = undefined;
    if (s.reported !== undefined && !s.outageReported) {
      // Back from a change the detector took as its level, the incident lasts until the detector
      // has come back too: until then it still expects the incident's level, and its episode on
      // the series' return is that incident's end, not a fall of its own.
      if (
        s.backRun >= BACK_CYCLES &&
        outlastsIncident(s.requests) &&
        (s.settled === undefined || isBack(s, r.expected))
      ) {
        s.reported = undefined;
        s.settled = undefined;
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
    }
    return undefined;
  }
  if (s.reported !== undefined && s.settled === undefined) return undefined;
  // Counts vary at least as Poisson noise does. A rate from an unusually regular source (a
  // closed-loop client, a timer) learns a band narrower than that, where a few requests either way
  // would read as an incident.
  const countNoise = sample.zeroWhenAbsent && isCountNoise(value, r.expected, sample.perCycle);
  // Before the detector has a daily profile its band holds the noise around a level, not the daily
  // swing: a morning's ramp, which the level follows a little late, keeps just above it for hours.
  // Twice its width is still far below a real fault (a latency five times as high); a rate gone
  // silent is the outage rule's.
  const widen = beforeDaily ? BEFORE_DAILY_WIDEN : 1;
  const upper = r.expected + widen * (r.upper - r.expected);
  const lower = r.expected - widen * (r.expected - r.lower);
  // A change held as the series' level is still the reported incident: a new event must leave the
  // band around that level and the band the incident was reported against, or the series going
  // back to where it was before (traffic after a surge) would read as a fall of its own.
  const { settled } = s;
  // A rate that stops every night and stops, or comes back to the level it had before it stopped,
  // at the time it did a day before is following its day, which the detector's band may not know yet.
  const outsideUp =
    !countNoise &&
    value > upper &&
    value > sample.floor &&
    !(daily.value && value <= s.idleFromUpper) &&
    sample.direction !== 'down' &&
    (settled === undefined || value > Math.max(settled.upper, s.reportedUpper));
  const outsideDown =
    !countNoise &&
    value < lower &&
    !(daily.zero && value === 0) &&
    sample.direction !== 'up' &&
    (settled === undefined || value < Math.min(settled.lower, s.reportedLower));
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
      remaining: drift && settled === undefined ? 1 : (confirmCycles ?? sample.confirm),
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
  report(s, outsideUp ? 'up' : 'down', reportedLower, upper, requests);
  return {
    kind: r.kind ?? (outsideUp ? 'spike' : 'dip'),
    expected: r.expected,
    severity,
    score: Math.max(s.peak, 0.5),
    lower: reportedLower,
    upper,
  };
}

/** Whether a value is on the normal side of the band the incident was reported against. */
function isBack(s: EpisodeState, value: number): boolean {
  return s.reported === 'up' ? value <= s.reportedUpper : value >= s.reportedLower;
}

function report(
  s: EpisodeState,
  direction: 'up' | 'down',
  lower: number,
  upper: number,
  requests: IncidentRequests,
): void {
  s.reported = direction;
  s.reportedLower = lower;
  s.reportedUpper = upper;
  s.backRun = 0;
  s.requests = requests;
  s.settledRun = 0;
  s.settled = undefined;
}

/**
 * Within two Poisson standard deviations of the expected count. Looser than the detector's own
 * counter floor: the episode must also last `confirm` cycles, so a halving of 20 a cycle still shows.
 */
function isCountNoise(value: number, expected: number, perCycle: number): boolean {
  const count = Math.max(expected * perCycle, 0);
  return Math.abs(value - expected) * perCycle < 2 * Math.sqrt(count);
}
