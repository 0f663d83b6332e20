import { poissonTail } from './robust-stats.js';

/**
 * The chance, were the incident's error rate still the route's, of a run back in the band with as
 * few of the errors as it holds, under which the incident is over: about one in 8,000, as a run
 * without errors where that rate gives nine. A route failing one request in twenty at twelve a
 * minute for hours needs fifteen minutes without an error. The incident's rate is itself known only
 * from its errors so far: one minute with three errors in a hundred is no 3 % rate, and a route
 * failing 1 % of a hundred requests a minute has three minutes in a row without an error every hour
 * or two.
 */
const BACK_CHANCE = Math.exp(-9);

/**
 * The errors and requests of an incident reported on a share of requests (a route's error rate):
 * those of its cycles since the event, and apart from them those of the run of cycles the series
 * has been back in its band, which its end is judged on.
 */
export interface IncidentRequests {
  errors: number;
  requests: number;
  backErrors: number;
  backRequests: number;
}

/** An incident's counts from the cycle its event was reported on; none for a series that is not a share of requests. */
export function incidentRequests(value: number, requests: number): IncidentRequests {
  return { errors: value * requests, requests, backErrors: 0, backRequests: 0 };
}

/** Adds a cycle to the run back in the band or, when it ends that run, the run and the cycle to the incident. */
export function countCycle(c: IncidentRequests, value: number, requests: number, back: boolean): void {
  c.backErrors += value * requests;
  c.backRequests += requests;
  if (back) return;
  c.errors += c.backErrors;
  c.requests += c.backRequests;
  c.backErrors = 0;
  c.backRequests = 0;
}

/**
 * Whether the run back in the band holds so few of the incident's errors, for its share of the
 * incident's requests, that at one rate throughout they would rarely have come so: the errors split
 * between the incident's cycles and the run as a binomial draw by their requests. Always for a
 * series that is not a share of requests: its cycles back in the band are enough. Error rates are
 * reported upward only.
 */
export function outlastsIncident(c: IncidentRequests): boolean {
  const errors = Math.round(c.errors + c.backErrors);
  if (c.requests === 0 || errors === 0) return true;
  const backErrors = Math.round(c.backErrors);
  const back = c.backRequests / (c.requests + c.backRequests);
  if (!(back > 0) || backErrors >= back * errors) return false;
  return binomialAtMost(backErrors, errors, back) <= BACK_CHANCE;
}

/** The chance of at most `k` successes in `n` trials of chance `p`, summed in logs as `n` may be large. */
function binomialAtMost(k: number, n: number, p: number): number {
  if (p >= 1) return k >= n ? 1 : 0;
  const odds = Math.log(p) - Math.log1p(-p);
  let term = n * Math.log1p(-p);
  let sum = Math.exp(term);
  for (let i = 0; i < k; i++) {
    term += Math.log(n - i) - Math.log(i + 1) + odds;
    sum += Math.exp(term);
  }
  return sum;
}

/** Whether a band reaches the incident's error rate: always for a series that is not a share of requests. */
export function holdsIncident(c: IncidentRequests, upper: number): boolean {
  return c.requests === 0 || c.errors / c.requests <= upper;
}

/**
 * A route's usual share of errors is learned in blocks of this many cycles (an hour of minutes),
 * each taken in once the block after it is complete too: the errors of a fresh incident, in cycles
 * it was not yet reported on, are not the route's usual for the hour or two it has to be reported.
 */
const USUAL_BLOCK_CYCLES = 60;
/**
 * Weight of each block in that share: a plain mean at first, then about a day. The detector's level
 * of a share that is zero in most cycles learns each error clipped to a few widths of its band, and
 * expects a rounding error above none (3e-5 where one error in 300 is 3e-3); the share of all the
 * route's errors in all its requests is what it does.
 */
const USUAL_SHARE_BLOCKS = 24;
/**
 * The share a cycle is judged by is that of the errors learned less this many Poisson standard
 * deviations of their number: a few odd errors say little of how often a route fails.
 */
const USUAL_SHARE_DEVIATIONS = 2;
/**
 * The chance of a cycle's errors, at the route's usual share of its requests, over which they are
 * its odd error. An event needs two cycles in a row outside the band, which a route failing as
 * usual gives about once in ten thousand cycles.
 */
const USUAL_ERRORS_CHANCE = 0.01;

/**
 * A route's errors and requests per block of cycles outside incidents, and those of its last
 * complete block and of the block under way, not yet taken in.
 */
export interface UsualShare {
  errors: number;
  requests: number;
  /**
   * How much more a block's errors vary about the share than Poisson noise, weighed as the share
   * is: errors that come in clumps (a client retrying a failed request twice is three), or a share
   * that moves over the day, vary more than the same errors one at a time.
   */
  dispersion: number;
  blocks: number;
  lastErrors: number;
  lastRequests: number;
  blockErrors: number;
  blockRequests: number;
  blockCycles: number;
}

export function newUsualShare(): UsualShare {
  return {
    errors: 0,
    requests: 0,
    dispersion: 1,
    blocks: 0,
    lastErrors: 0,
    lastRequests: 0,
    blockErrors: 0,
    blockRequests: 0,
    blockCycles: 0,
  };
}

export function learnUsualShare(u: UsualShare, value: number, requests: number): void {
  u.blockErrors += value * requests;
  u.blockRequests += requests;
  if (++u.blockCycles < USUAL_BLOCK_CYCLES) return;
  if (u.lastRequests > 0) {
    const expected = u.blocks > 0 ? (u.errors / u.requests) * u.lastRequests : 0;
    const a = Math.max(1 / ++u.blocks, 1 / USUAL_SHARE_BLOCKS);
    // Pearson's measure: one for errors at random, as many as a clump holds for clumps.
    if (expected > 0) u.dispersion += a * ((u.lastErrors - expected) ** 2 / expected - u.dispersion);
    u.errors += a * (u.lastErrors - u.errors);
    u.requests += a * (u.lastRequests - u.requests);
  }
  u.lastErrors = u.blockErrors;
  u.lastRequests = u.blockRequests;
  u.blockErrors = 0;
  u.blockRequests = 0;
  u.blockCycles = 0;
}

/**
 * The errors, requests and cycles outside incidents since the route was first seen, while no block
 * is held yet (its first two hours).
 */
export function sinceFirstSeen(u: UsualShare): { errors: number; requests: number; cycles: number } {
  const last = u.lastRequests > 0 ? USUAL_BLOCK_CYCLES : 0;
  return {
    errors: u.lastErrors + u.blockErrors,
    requests: u.lastRequests + u.blockRequests,
    cycles: last + u.blockCycles,
  };
}

/** The errors and requests the route's usual share holds: those of about its last day's blocks. */
function held(u: UsualShare): { errors: number; requests: number } {
  const blocks = Math.min(u.blocks, USUAL_SHARE_BLOCKS);
  return { errors: u.errors * blocks, requests: u.requests * blocks };
}

/**
 * Whether the route's blocks hold a day: how much its errors vary, measured on a block an hour, is
 * too uncertain before to tell errors at random from clumps.
 */
export function heldADay(u: UsualShare): boolean {
  return u.blocks >= USUAL_SHARE_BLOCKS;
}

/**
 * Whether a cycle's errors are as many as the route's usual share of errors, or the detector's
 * expected one where that is higher, gives its requests often enough to be its odd error.
 */
export function isUsualErrors(u: UsualShare, value: number, expected: number, requests: number): boolean {
  const { errors, requests: heldRequests } = held(u);
  const fewest = Math.max(0, errors - USUAL_SHARE_DEVIATIONS * Math.sqrt(errors));
  const share = Math.max(errors > 0 ? fewest / heldRequests : 0, expected);
  return poissonTail(Math.round(value * requests), share * requests) > USUAL_ERRORS_CHANCE;
}

/**
 * The highest the route's usual share of errors may be, for the few it holds: the upper bound of
 * their Poisson mean, about two standard deviations more, and four where it holds none, so a route
 * that rarely failed, or never did, is not in an incident for any few errors. `undefined` before
 * a block is held.
 */
export function usualShareAtMost(u: UsualShare): number | undefined {
  const { errors, requests } = held(u);
  if (!(requests > 0)) return undefined;
  return (Math.sqrt(errors + 1) + 1) ** 2 / requests;
}

/** The fewest errors a cycle's requests, at a share that gives `mean` of them, make its odd error. */
export function oddErrors(mean: number): number {
  return fewestBeyond(mean, USUAL_ERRORS_CHANCE);
}

/** The smallest count whose chance, or a higher one's, is at most `chance` for a Poisson mean `mean`. */
export function fewestBeyond(mean: number, chance: number): number {
  let k = Math.max(1, Math.ceil(mean));
  while (poissonTail(k, mean) > chance) k++;
  return k;
}
