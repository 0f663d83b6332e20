import {
  addRecentErrors,
  newRecentErrors,
  type OddRecentErrors,
  oddRecentErrors,
  type RecentErrors,
  recentTotals,
} from './engine-recent-errors.js';
import {
  heldADay,
  learnUsualShare,
  newUsualShare,
  type UsualShare,
  usualShareAtMost,
} from './engine-requests.js';

/**
 * The most of a route's requests its usual share may put over the bound its slow requests are
 * counted above: that bound is then the first above its usual p95 with a margin, so a p95 sitting on
 * a bound does not move the count back and forth between two bounds.
 */
const SLOW_SHARE_AT_MOST = 0.025;

/**
 * Cycles of an incident, a day of minutes, after which its requests over a bound, with the p95 held
 * at its level all along, are learned again as the route's usual.
 */
export const SLOW_USUAL_AFTER_CYCLES = 1440;

/** A route's buckets in one cycle: its requests up to each bound, and over the last. */
export interface RouteBuckets {
  readonly boundaries: readonly number[];
  readonly counts: readonly number[];
}

/**
 * A route's share of requests over each bound of its buckets outside incidents, learned as its share
 * of errors is, and its recent cycles' requests over the bound they are judged at.
 */
export interface SlowShare {
  boundaries: readonly number[];
  readonly usual: UsualShare[];
  /** The index of the bound judged, -1 until one is held for a day. */
  bound: number;
  recent: RecentErrors;
  /** Learned again since a latency held as the route's level, so judged while that incident goes on. */
  relearned: boolean;
}

export function newSlowShare(boundaries: readonly number[]): SlowShare {
  return {
    boundaries,
    usual: boundaries.map(() => newUsualShare()),
    bound: -1,
    recent: newRecentErrors(),
    relearned: false,
  };
}

/** The share of requests the recent cycles hold over the bound judged, when it is an incident. */
export interface OddSlowShare extends OddRecentErrors {
  /** The bound, in the histogram's unit. */
  readonly over: number;
}

/**
 * Adds a cycle: to the recent cycles, and, outside incidents (`learn`), to the usual share over every
 * bound above the first positive one (under it a p95 is only the cycle's slowest request, as the
 * series' floor says). Buckets changed (a new view) start the route's learning again.
 */
export function addSlowCycle(s: SlowShare, b: RouteBuckets, learn: boolean): void {
  if (!sameBoundaries(s.boundaries, b.boundaries)) Object.assign(s, newSlowShare(b.boundaries));
  let requests = 0;
  for (const c of b.counts) requests += c;
  if (!(requests > 0)) return;
  const first = b.boundaries.findIndex((x) => x > 0) + 1;
  let over = requests;
  for (let i = 0; i < b.boundaries.length; i++) {
    over -= b.counts[i] ?? 0;
    if (learn && i >= first) learnUsualShare(s.usual[i]!, over / requests, requests);
    if (i === s.bound) addRecentErrors(s.recent, over / requests, requests, 0);
  }
  const bound = judgedBound(s, first);
  if (bound !== s.bound) {
    s.bound = bound;
    s.recent = newRecentErrors();
  }
}

/** The recent cycles' share over the bound judged, when it is far beyond the route's usual one. */
export function oddSlowShare(s: SlowShare): OddSlowShare | undefined {
  if (s.bound < 0) return undefined;
  const odd = oddRecentErrors(s.recent, s.usual[s.bound]!);
  return odd === undefined ? undefined : { ...odd, over: s.boundaries[s.bound]! };
}

/**
 * Whether the recent cycles hold more requests over the bound than the route's usual share at most
 * gives: an incident reported on them goes on while they do, however close to chance a few of its
 * cycles come, or a new one would be reported as soon as they were judged again.
 */
export function stillSlow(s: SlowShare): boolean {
  const usual = s.bound < 0 ? undefined : usualShareAtMost(s.usual[s.bound]!);
  if (usual === undefined) return false;
  const { errors: over, requests } = recentTotals(s.recent);
  return over > usual * requests;
}

/** A latency held as the route's new level: its shares over its bounds are learned again from it. */
export function restartSlowShare(s: SlowShare): void {
  Object.assign(s, newSlowShare(s.boundaries));
  s.relearned = true;
}

/** After an incident its requests are its own: the recent cycles start again. */
export function endSlowIncident(s: SlowShare): void {
  s.recent = newRecentErrors();
  s.relearned = false;
}

/** The first bound above the floor whose usual share over it, held for a day, is at most SLOW_SHARE_AT_MOST. */
function judgedBound(s: SlowShare, first: number): number {
  for (let i = Math.max(first, 0); i < s.usual.length; i++) {
    const u = s.usual[i]!;
    if (!heldADay(u)) return -1;
    const share = usualShareAtMost(u);
    if (share !== undefined && share <= SLOW_SHARE_AT_MOST) return i;
  }
  return -1;
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}
