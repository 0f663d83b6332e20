import {
  fewestBeyond,
  heldADay,
  oddErrors,
  sinceFirstSeen,
  type UsualShare,
  usualShareAtMost,
} from './engine-requests.js';

/**
 * Cycles of a route's errors judged together: half an hour of minutes. A route failing one request
 * in a thousand at two a second that fails one in a hundred has a minute with an error or two
 * more often than not, which its usual share gives now and then, and the detector takes the errors
 * as its level within minutes; the half hour holds about 36 where its usual share gives 4.
 */
const RECENT_CYCLES = 30;
/**
 * The chance, at the route's usual share, of the errors of those cycles under which they are an
 * incident: one in a million, as the cycles overlap and are judged again every cycle.
 */
const RECENT_ERRORS_CHANCE = 1e-6;

/**
 * How many times its usual share a route must fail at for its recent errors to be an incident: a
 * share that moves by less, as one may over the day, is judged by the detector's band, and at a
 * few hundred requests a second its busy hours' few percent more errors are far beyond chance.
 */
const LEAST_RISE = 2;

/**
 * The share of errors a route is taken to fail at until it has learned its own (its first hour or
 * two): a healthy service rarely fails one request in twenty with server errors, so a deploy that
 * fails a fifth of them from its first minute is an incident, not the route's level. The
 * detector's expected share is no baseline then: it learned it from those very errors.
 */
const PRIOR_SHARE = 0.05;

/**
 * The chance under which a route's recent errors are an incident while judged against PRIOR_SHARE:
 * at LEAST_RISE times it, the most a route fails at unreported. The window is judged every cycle
 * of the first two hours after each restart, some 120 times: a route failing one in ten is
 * reported after a few restarts in a hundred at most, its windows overlapping by 29 of 30 cycles,
 * and a deploy failing a fifth of a hundred requests a minute within five minutes.
 */
const PRIOR_ERRORS_CHANCE = 3e-4;
/** The share chance is judged at against PRIOR_SHARE. */
const PRIOR_JUDGED = LEAST_RISE * PRIOR_SHARE;

/**
 * A route's errors, requests and the detector's expected share in each of its recent cycles, the
 * oldest overwritten first.
 */
export interface RecentErrors {
  readonly errors: Float64Array;
  readonly requests: Float64Array;
  readonly expected: Float64Array;
  next: number;
  cycles: number;
  /**
   * The errors of the cycles that have left them, each at most as many as make it odd on its own
   * against PRIOR_SHARE, as they counted while recent: a burst of a minute or two at a cold start,
   * too short to be an incident, is no more of one once it is older than the recent cycles.
   */
  older: number;
}

export function newRecentErrors(): RecentErrors {
  return {
    errors: new Float64Array(RECENT_CYCLES),
    requests: new Float64Array(RECENT_CYCLES),
    expected: new Float64Array(RECENT_CYCLES),
    next: 0,
    cycles: 0,
    older: 0,
  };
}

export function addRecentErrors(w: RecentErrors, value: number, requests: number, expected: number): void {
  if (w.cycles === RECENT_CYCLES) {
    const errors = w.errors[w.next]!;
    const mean = PRIOR_JUDGED * w.requests[w.next]!;
    w.older += errors <= mean ? errors : Math.min(errors, oddErrors(mean));
  }
  w.errors[w.next] = Math.round(value * requests);
  w.requests[w.next] = requests;
  w.expected[w.next] = Number.isFinite(expected) ? expected : 0;
  w.next = (w.next + 1) % RECENT_CYCLES;
  w.cycles = Math.min(w.cycles + 1, RECENT_CYCLES);
}

/**
 * The share of errors in the recent cycles, the share they were judged at, the highest within
 * chance, and the requests and cycles they hold.
 */
export interface OddRecentErrors {
  readonly observed: number;
  readonly expected: number;
  readonly upper: number;
  readonly requests: number;
  readonly cycles: number;
  /** Whether they were judged against PRIOR_SHARE, the route's own share not yet learned. */
  readonly prior: boolean;
}

/**
 * The recent cycles' errors when they are at least LEAST_RISE times as many as the route's usual
 * share, or the detector's expected one before them where that is higher (a share that rises every
 * afternoon), or PRIOR_SHARE until the usual share is learned, gives their requests, and more than
 * it gives once in RECENT_ERRORS_CHANCE (than LEAST_RISE times PRIOR_SHARE gives once in
 * PRIOR_ERRORS_CHANCE), errors that come in clumps counted as clumps. Each cycle counts at most the
 * errors that make it odd on its own: a single minute's burst is the detector's to judge, over the
 * cycles it must last.
 */
export function oddRecentErrors(w: RecentErrors, u: UsualShare): OddRecentErrors | undefined {
  if (w.cycles === 0) return undefined;
  const usual = usualShareAtMost(u);
  const share =
    usual === undefined ? PRIOR_SHARE : Math.max(usual, w.expected[w.cycles < RECENT_CYCLES ? 0 : w.next]!);
  const odd = oddErrorsIn(w, u, usual, share, { ...recentTotals(w), cycles: w.cycles });
  if (odd !== undefined || usual !== undefined) return odd;
  // Against PRIOR_SHARE, the cycles since the route was first seen are judged too: at a few
  // requests a minute, half an hour's hold too few for a route failing one in five to stand out
  // from one in ten.
  const since = sinceFirstSeen(u);
  return since.cycles > w.cycles ? oddErrorsIn(w, u, usual, share, since) : undefined;
}

/** oddRecentErrors for the errors and requests of `cycles`: the recent ones, or more. */
function oddErrorsIn(
  w: RecentErrors,
  u: UsualShare,
  usual: number | undefined,
  share: number,
  { errors, requests, cycles }: { errors: number; requests: number; cycles: number },
): OddRecentErrors | undefined {
  if (errors <= LEAST_RISE * share * requests) return undefined;
  // Against PRIOR_SHARE, chance is judged at LEAST_RISE times it: a route whose own share is just
  // under that (a flaky upstream's one in twelve) went past it by chance after each restart, in
  // windows of a few minutes' requests or judged a hundred times over.
  const judged = usual === undefined ? LEAST_RISE * share : share;
  const chance = usual === undefined ? PRIOR_ERRORS_CHANCE : RECENT_ERRORS_CHANCE;
  // Errors in clumps of a few are as many clumps, at random: the fewest clumps beyond chance. Until
  // the route's blocks tell its clumps, those its recent cycles show count too.
  const clump = Math.max(1, u.dispersion, heldADay(u) ? 1 : recentDispersion(w, errors / requests));
  const fewest = clump * fewestBeyond((judged * requests) / clump, chance);
  if (errors < fewest) return undefined;
  // Cycles before the recent ones count as they did while recent (see RecentErrors.older).
  let counted = cycles > w.cycles ? Math.min(w.older, Math.max(0, errors - recentTotals(w).errors)) : 0;
  for (let i = 0; i < w.cycles; i++) counted += Math.min(w.errors[i]!, oddErrors(judged * w.requests[i]!));
  if (counted < fewest) return undefined;
  const upper = Math.max((fewest - 1) / requests, LEAST_RISE * share);
  return {
    observed: errors / requests,
    expected: share,
    upper,
    requests,
    cycles,
    prior: usual === undefined,
  };
}

/** The errors and requests the recent cycles hold. */
export function recentTotals(w: RecentErrors): { errors: number; requests: number } {
  let errors = 0;
  let requests = 0;
  for (let i = 0; i < w.cycles; i++) {
    errors += w.errors[i]!;
    requests += w.requests[i]!;
  }
  return { errors, requests };
}

/**
 * How much more the recent cycles' errors vary about their own share than Poisson noise (Pearson's
 * measure): clumps show in them within the half hour, where the route's blocks take a day to tell
 * them. A rise within those cycles shows in it too, so it is judged a little later.
 */
function recentDispersion(w: RecentErrors, share: number): number {
  if (w.cycles < 2 || !(share > 0)) return 1;
  let sum = 0;
  for (let i = 0; i < w.cycles; i++) {
    const mean = share * w.requests[i]!;
    if (mean > 0) sum += (w.errors[i]! - mean) ** 2 / mean;
  }
  return sum / (w.cycles - 1);
}
