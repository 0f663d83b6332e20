import { type EpisodeState, OUTAGE_MIN_EXPECTED_COUNT } from './engine-episodes.js';
import { HTTP_REQUEST_RATE, type SeriesSample } from './engine-series.js';

/**
 * Cycles since a busy rate went silent, and since a new series of its metric appeared, within which
 * the new one carrying its requests is the same traffic under a new name.
 */
const RENAME_CYCLES = 2;
/**
 * The route the HTTP integrations give a request that matches none: requests that went there from
 * a route lost it (a deploy that dropped it answers 404), they were not renamed.
 */
const UNMATCHED_ROUTE = 'unmatched';

/** What the rule reads of a watched series. */
export interface RateSeries {
  readonly sample: SeriesSample;
  readonly episode: EpisodeState;
  /** The cycle the series was admitted in, and the last one that reported a value for it. */
  readonly admitted: number;
  readonly seenCycle: number;
  readonly last: { readonly observed: number } | undefined;
}

/**
 * The busy request rates (as busy as an outage needs) just gone silent whose requests went on under
 * new names: series of the same metric that appeared since carry at least half of them, as when
 * clients move from /v1 to /v2 or a route is renamed. They are forgotten, not reported as outages
 * one per route and held open.
 */
export function renamedRates<T extends RateSeries>(
  silent: readonly T[],
  watched: Iterable<T>,
  cycle: number,
): Set<T> {
  const gone = silent.filter(
    (w) =>
      // A request rate's series are a method and a route, so a new one carrying its requests is the
      // same requests under a new name. A `detect: true` metric's attributes are the service's own
      // and may tell outcomes apart: a count moving to `outcome=declined`, never seen before as
      // nothing failed, is every payment failing.
      w.sample.metric === HTTP_REQUEST_RATE &&
      w.episode.zeroRun < RENAME_CYCLES &&
      w.episode.recentCount >= OUTAGE_MIN_EXPECTED_COUNT,
  );
  if (gone.length === 0) return new Set();
  const lost = new Map<string, number>();
  for (const w of gone) lost.set(w.sample.metric, (lost.get(w.sample.metric) ?? 0) + w.episode.recentCount);
  const found = new Map<string, number>();
  for (const w of watched) {
    const { metric, perCycle } = w.sample;
    const unmatched = w.sample.attributes['http.route'] === UNMATCHED_ROUTE;
    if (w.seenCycle === cycle && cycle - w.admitted < RENAME_CYCLES && lost.has(metric) && !unmatched) {
      found.set(metric, (found.get(metric) ?? 0) + (w.last?.observed ?? 0) * perCycle);
    }
  }
  return new Set(gone.filter((w) => 2 * (found.get(w.sample.metric) ?? 0) >= lost.get(w.sample.metric)!));
}
