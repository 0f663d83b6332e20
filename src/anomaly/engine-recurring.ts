import type { AnomalyResult } from './types.js';

/**
 * The period an incident that comes back at the same place in it is a habit of: an hour, as a job
 * run every hour (a batch on a shared database, a cache rebuilt on the hour) makes a route slow for
 * the same minutes each time. A daily habit is the detector's daily profile's.
 */
const PERIOD_MS = 3_600_000;
/** Earlier incidents at the same place in the period that make the next one a repeat. */
const REPEATS = 3;
/** The periods back they are looked for in: a habit missed an hour or two is still one. */
const LOOKBACK_PERIODS = 6;
/**
 * The periods an incident taken for a repeat carries its habit on for: the detector stops opening
 * episodes on most of the slow phases after a few hours, and one it opens on half a day later is
 * still the same habit.
 */
const HABIT_PERIODS = 24;
/** Incidents remembered per series: as many as the lookback holds, one a period, and a few more. */
const KEPT = 8;
/**
 * How far off an earlier incident's span, at its place in the period, a repeat may start: an
 * incident opens a few cycles into a slow phase, sooner or later as its noise goes, and one rule
 * sees it a few minutes before another.
 */
const SLACK_MS = 5 * 60_000;
/** How much further from the expected value than the repeats before it an incident is no repeat. */
const WORSE = 2;
/** Cycles in a row a repeat must be that much further out to be reported: as an episode is confirmed. */
const WORSE_CYCLES = 3;

/** One incident of a series: when it was reported, the last cycle it was out of its band, and its peak. */
interface Incident {
  readonly up: boolean;
  readonly start: number;
  last: number;
  /** The furthest the series went from its expected value, its way, while it lasted. */
  peak: number;
  /** The furthest value it went to, its way. */
  edge: number;
  open: boolean;
  /** It was taken for a repeat: it alone makes the next one at its place in the hour one. */
  repeat: boolean;
  /** For a repeat, when the incidents it repeats were over, at its place in the hour, and the slack. */
  readonly until: number;
  /** For a repeat, how far from its expected value it may go: `WORSE` times the furthest of them. */
  readonly bound: number;
  /**
   * For a repeat of a series with an end to its range its way, how near that end it may go: a
   * `WORSE`th of as near as the nearest of them went.
   */
  readonly reserve: number;
  /** The first cycle of its current run out of the band it opened on. */
  outFrom: number | undefined;
  /** For a repeat, its cycles in a row over `bound`, or nearer the end of the range than `reserve`. */
  worseRun: number;
}

/** How a repeat held back turned out to be no repeat: it outlasted the incidents it repeats, or went further. */
export type Outgrown = 'lasting' | 'worse';

/**
 * A series' last incidents, reported or not, to tell one that comes back at the same place in the
 * hour, again and again, from a new one: the detector's rules (a p95's window and level shift, its
 * share of requests over a bound, its drift) have no such memory, and its baseline no hourly shape,
 * so a route slow ten minutes every hour was reported each hour for half a day.
 */
export class RecurringIncidents {
  private readonly incidents: Incident[] = [];
  /** The ends of the series' range, up and down, if it has them: 1 for a share, 0 for a rate. */
  private readonly highest: number | undefined;
  private readonly lowest: number | undefined;

  constructor(highest: number | undefined, lowest: number | undefined) {
    this.highest = highest;
    this.lowest = lowest;
  }

  /**
   * Follows the incident open, if any, on this cycle's value and the detector's band: its place in
   * the hour is the run of cycles the series was out of the band from its start, not those it is
   * held open after (until its recent requests over a bound are back to their usual share), nor
   * the next slow phase's first cycles, an hour later, before it is reported. `'over'` on the cycle
   * that run is over: a repeat held open after it would take a new slow phase for its own. `out`
   * says the series is out of the band the incident opened on (the detector's follows a lasting
   * change), and `expected` is the value it was expected at then: a repeat still out of it
   * `SLACK_MS` past the time the incidents it repeats were over by (a job's slow phase become a
   * lasting slowdown, a dip a lasting fall) is no repeat, nor one over `WORSE` times as far as the
   * furthest of them for `WORSE_CYCLES` in a row.
   */
  follow(
    open: boolean,
    value: number,
    r: AnomalyResult,
    now: number,
    out: boolean,
    expected: number,
  ): 'over' | Outgrown | undefined {
    const last = this.incidents.at(-1);
    if (last === undefined || !last.open) return undefined;
    last.open = open;
    if (!open) return undefined;
    last.outFrom = out ? (last.outFrom ?? now) : undefined;
    if (last.repeat) {
      const limit = last.up ? this.highest : this.lowest;
      const far =
        out &&
        ((last.up ? 1 : -1) * (value - expected) > last.bound ||
          (limit !== undefined && Math.abs(limit - value) < last.reserve));
      last.worseRun = far ? last.worseRun + 1 : 0;
      const lasting = last.outFrom !== undefined && now > last.until && now - last.outFrom >= SLACK_MS;
      const outgrown = lasting ? 'lasting' : last.worseRun >= WORSE_CYCLES ? 'worse' : undefined;
      if (outgrown !== undefined) {
        last.repeat = false;
        return outgrown;
      }
    }
    // Out again after more than the slack back in its band, it is out at another place in the hour;
    // not if it never was back in the band it opened on, only in the detector's, grown around it.
    if (now - last.last > SLACK_MS && (last.outFrom === undefined || last.outFrom > last.last)) {
      last.open = false;
      return 'over';
    }
    if (!(last.up ? value > r.upper : value < r.lower)) return undefined;
    last.last = now;
    last.peak = Math.max(last.peak, (last.up ? 1 : -1) * (value - r.expected));
    last.edge = last.up ? Math.max(last.edge, value) : Math.min(last.edge, value);
    return undefined;
  }

  /**
   * Records an incident that opens now, and tells whether it repeats the incidents before it: as
   * many as `REPEATS` of them the same way, in the last `LOOKBACK_PERIODS` hours (or one taken for
   * a repeat in the last `HABIT_PERIODS`), were out of their band at the place in the hour it starts
   * at, and it goes no more than `WORSE` times as far from its expected value as the furthest of
   * them did. A rate's outage is none: a fall to zero is as far as the series can go, no more than
   * twice as far as dips to half its level, and an on-call wants each one, whenever it comes. Nor,
   * for a series with an end to its range its way, is one that goes more than `WORSE` times nearer
   * it than the nearest of them: a route failing every request, or 95 in 100, after bursts of one
   * in two failing, is no more than twice as far from its usual share, but it has none left.
   */
  opens(
    up: boolean,
    value: number,
    expected: number,
    now: number,
    intervalMs: number,
    outage: boolean,
  ): boolean {
    const peak = (up ? 1 : -1) * (value - expected);
    const slack = Math.max(SLACK_MS, intervalMs);
    let repeats = 0;
    let furthest = 0;
    let until = 0;
    const limit = up ? this.highest : this.lowest;
    let nearest = Number.POSITIVE_INFINITY;
    // Cycles of a sixth of an hour or more hardly have a place in it.
    if (intervalMs * 6 <= PERIOD_MS) {
      for (const i of this.incidents) {
        const within = (i.repeat ? HABIT_PERIODS : LOOKBACK_PERIODS) * PERIOD_MS;
        // One out for half the period or more spans most places in it: it tells none.
        if (i.up !== up || i.start < now - within || i.last - i.start > PERIOD_MS / 2) continue;
        // The start, taken back whole periods to the earlier incident's span.
        const periods = Math.floor((now - i.start + slack) / PERIOD_MS);
        if (periods >= 1 && now - periods * PERIOD_MS <= i.last + slack) {
          repeats += i.repeat ? REPEATS : 1;
          furthest = Math.max(furthest, i.peak);
          until = Math.max(until, i.last + periods * PERIOD_MS + slack);
          if (limit !== undefined) nearest = Math.min(nearest, Math.abs(limit - i.edge));
        }
      }
    }
    if (this.incidents.length === KEPT) this.incidents.shift();
    const last = this.incidents.at(-1);
    if (last !== undefined) last.open = false;
    const bound = WORSE * furthest;
    const reserve = limit === undefined ? 0 : nearest / WORSE;
    const repeat =
      !outage &&
      repeats >= REPEATS &&
      peak <= bound &&
      (limit === undefined || Math.abs(limit - value) >= reserve);
    this.incidents.push({
      up,
      start: now,
      last: now,
      peak,
      edge: value,
      open: true,
      repeat,
      until,
      bound,
      reserve,
      outFrom: undefined,
      worseRun: 0,
    });
    return repeat;
  }
}
