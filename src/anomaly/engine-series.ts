import type { Attributes } from '@opentelemetry/api';
import type { HistogramPoint, MetricPoint } from '../export/metric-points.js';
import { MEAN_SPAN } from './engine-means.js';
import type { RouteBuckets } from './engine-slow-share.js';
import type { Shown } from './explain.js';
import type { AnomalyResult } from './types.js';

/** One value per watched series per collection cycle, ready for its detector. */
export interface SeriesSample {
  /** Stable identity: metric name plus sorted attributes. */
  readonly key: string;
  readonly metric: string;
  readonly attributes: Attributes;
  readonly value: number;
  /** Which side matters: latency and errors only up, rates both ways. */
  readonly direction: 'up' | 'down' | 'both';
  /** Rates are fed 0 in a cycle with no data, so a drop to zero is seen as an outage. */
  readonly zeroWhenAbsent: boolean;
  /**
   * `none` for series that are never counts (a ratio, a latency): a route that never failed
   * reports 0 every cycle, which would otherwise look like a counter and get the Poisson floor
   * of at least 2, more than a ratio can ever move.
   */
  readonly transform: 'auto' | 'none';
  readonly unit: string;
  /**
   * Multiplier from the value to a count per cycle (rates per second). The detector is fed that
   * count, whose Poisson noise the square-root transform evens out at any level: per second, a
   * busy minute's noise would set the band for the quiet ones too.
   */
  readonly perCycle: number;
  /** Cycles an episode must persist before it is reported: latency percentiles are noisy. */
  readonly confirm: number;
  /** The series cannot go below zero (rates, durations), so neither can its band. */
  readonly nonNegative: boolean;
  /**
   * Values at or under this cannot be told apart, so an upward episode must rise above it: a p95
   * inside a histogram's first bucket is only the cycle's slowest value, and one slow request
   * under load would otherwise read as a latency spike. 0 for series measured exactly.
   */
  readonly floor: number;
  /** The requests a share of requests (a route's error rate) is of this cycle; 0 for any other series. */
  readonly requests: number;
  /** A route's p95 latency: its buckets this cycle, whose share of requests over a bound is judged too. */
  readonly buckets?: RouteBuckets;
  /** A route's error rate: what its requests came to this cycle, of which those left may be hangs. */
  readonly answers?: RouteAnswers;
  /** A gauge's last value, held from an earlier cycle: none was recorded in this one. */
  readonly held: boolean;
  /**
   * An up-down counter's running total, which nothing added to in this cycle. Judged as its value,
   * as a stuck source shows as that value repeated, but no sign the series is still in use.
   */
  readonly unmoved: boolean;
}

/** What a route's requests came to in a cycle, for its error rate (see CLIENT_ABORTED). */
export interface RouteAnswers {
  /** The errors of the server's own. */
  readonly errors: number;
  /** The longest request the route answered, its client still there; -Infinity for none. */
  readonly answered: number;
  readonly boundaries: readonly number[];
  /** Per bucket, the requests their clients left without an error of the server's; none left. */
  readonly left: readonly number[] | undefined;
}

export const HTTP_DURATION = 'http.server.request.duration';
/** The attribute of the series an instrument's series past `cardinalityLimit` fold into. */
const OVERFLOW = 'otel.metric.overflow';
/** The rate of requests per method and route the engine derives from it. */
export const HTTP_REQUEST_RATE = 'http.server.request.rate';
/** The share of those requests that failed. */
export const HTTP_ERROR_RATE = 'http.server.error.rate';
/** Their p95 latency. */
const HTTP_P95 = 'http.server.request.duration.p95';
/**
 * The `error.type` of a request its client went away from (a cancelled fetch, a page left), which
 * the HTTP integrations record as the conventions have it, and no failure of the service: a route
 * whose clients cancel often would be reported after each restart. A server error the client left
 * keeps its 5xx status or the error's own type. A client that left after waiting far longer than
 * every request the route answered in the cycle took gave up on an answer that did not come (a
 * handler hung on an exhausted pool, a proxy's timeout): that is a failure of the service. A route
 * that answered none in the cycle has no time of its own to tell the one from the other, and its
 * p95 tells of a hang.
 */
const CLIENT_ABORTED = 'aborted';
/**
 * How many times the longest answered request's duration a client left after has given up: one that
 * cancels while waiting leaves within about the time an answer takes, now and then a little after
 * the cycle's slowest, where a client's or a proxy's timeout is seconds more.
 */
const GAVE_UP = 4;

/**
 * The rate a series leaves with when the process drains: a route's latency and errors with its
 * requests, which a drain takes away; any other series with itself.
 */
export function drainedWith(sample: SeriesSample): string {
  const m = sample.metric;
  return m === HTTP_ERROR_RATE || m === HTTP_P95
    ? seriesKey(HTTP_REQUEST_RATE, sample.attributes)
    : sample.key;
}

export function seriesKey(metric: string, attributes: Attributes): string {
  const keys = Object.keys(attributes).sort();
  let key = metric;
  for (const k of keys) key += `|${k}=${String(attributes[k])}`;
  return key;
}

/** The q-quantile of an explicit-bucket histogram, interpolated inside the bucket, clamped to min/max. */
export function histogramQuantile(h: HistogramPoint['histogram'], q: number): number {
  const { boundaries, counts } = h.buckets;
  if (h.count === 0) return Number.NaN;
  const rank = q * h.count;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      const lo = i === 0 ? (h.min ?? 0) : (boundaries[i - 1] ?? 0);
      const hi = i < boundaries.length ? (boundaries[i] ?? lo) : (h.max ?? lo);
      const v = lo + (hi - lo) * ((rank - seen) / c);
      return Math.min(Math.max(v, h.min ?? v), h.max ?? v);
    }
    seen += c;
  }
  return h.max ?? Number.NaN;
}

interface RouteAggregate {
  attributes: Attributes;
  count: number;
  errors: number;
  boundaries: number[];
  counts: number[];
  min: number;
  max: number;
  sum: number;
  /** The longest request the route answered, its client still there; -Infinity for none. */
  answered: number;
  /** Per bucket, the requests their clients left without an error of the server's (see CLIENT_ABORTED). */
  left: number[] | undefined;
}

/**
 * Turns one cycle's delta points into detector samples: each `detect: true` metric as itself
 * (histograms by their p95), and, for the HTTP server duration, p95 latency, request rate and
 * error rate per method and route, summed over status codes. `recorded`, when given, holds the
 * keys of the gauges' and up-down counters' series recorded in the cycle: the gauges' others are
 * their last values, held, the up-down counters' others their running totals, unmoved.
 */
export function extractSamples(
  points: readonly MetricPoint[],
  detected: ReadonlySet<string>,
  watchHttp: boolean,
  intervalSeconds: number,
  recorded?: ReadonlySet<string>,
): SeriesSample[] {
  const out: SeriesSample[] = [];
  const routes = new Map<string, RouteAggregate>();
  for (const p of points) {
    if (watchHttp && p.name === HTTP_DURATION && p.kind === 'histogram') {
      addRoute(routes, p);
      continue;
    }
    if (!detected.has(p.name)) continue;
    const isRate = p.kind === 'counter' || p.kind === 'observableCounter';
    // A count per cycle varies at least as Poisson noise does, and so may a level of things (jobs
    // queued, connections); a quantity in a unit of measure does not, in milliseconds or bytes
    // as in seconds or megabytes.
    const transform = isRate || !measured(p.unit) ? 'auto' : 'none';
    if (p.kind === 'histogram') {
      const p95 = p95Sample(`${p.name}.p95`, p.attributes, p.histogram, p.unit, transform, false);
      if (p95) out.push(p95);
    } else {
      const s = sample(p.name, p.attributes, p.value, 'both', isRate, p.unit, transform);
      const still = recorded !== undefined && !recorded.has(s.key);
      out.push(
        still && p.kind === 'gauge'
          ? { ...s, held: true }
          : still && p.kind === 'upDownCounter'
            ? { ...s, unmoved: true }
            : s,
      );
    }
  }
  for (const r of routes.values()) {
    out.push(
      sample(
        HTTP_REQUEST_RATE,
        r.attributes,
        r.count / intervalSeconds,
        'both',
        true,
        '{request}/s',
        'auto',
        2,
        true,
        intervalSeconds,
      ),
    );
    const p95 = p95Sample(
      HTTP_P95,
      r.attributes,
      {
        count: r.count,
        sum: r.sum,
        min: r.min,
        max: r.max,
        buckets: { boundaries: r.boundaries, counts: r.counts },
      },
      's',
      'none',
      true,
    );
    if (p95) out.push({ ...p95, buckets: { boundaries: r.boundaries, counts: r.counts } });
    const answers: RouteAnswers = {
      errors: r.errors,
      answered: r.answered,
      boundaries: r.boundaries,
      left: r.left,
    };
    const errors = sample(
      HTTP_ERROR_RATE,
      r.attributes,
      errorShare(answers, r.count, r.answered),
      'up',
      false,
      '1',
      'none',
      2,
      true,
    );
    out.push({ ...errors, requests: r.count, answers });
  }
  return out;
}

/** What the detector is fed for a value: a rate per second as its count per cycle, a whole number. */
export function detectorInput(sample: SeriesSample, value: number): number {
  return sample.perCycle === 1 ? value : Math.round(value * sample.perCycle);
}

/** A detector's result for counts per cycle, with its baseline and band back in the series' unit. */
export function inSeriesUnit(r: AnomalyResult, perCycle: number): AnomalyResult {
  if (perCycle === 1) return r;
  return { ...r, expected: r.expected / perCycle, lower: r.lower / perCycle, upper: r.upper / perCycle };
}

/**
 * How an event's explanation shows a series' values, with their unit: a route's error rate in
 * percent, as is the share of its requests over a bound its p95 was judged on, its request rate per
 * second, a counter's count per collection interval, any other value in its unit of measure.
 */
export function shownUnit(
  sample: SeriesSample,
  intervalMs: number,
  verdict?: { readonly over?: number },
): Shown {
  if (sample.metric === HTTP_ERROR_RATE || verdict?.over !== undefined) return { times: 100, suffix: ' %' };
  if (sample.metric === HTTP_REQUEST_RATE) return { times: 1, suffix: ' req/s' };
  const unit = measured(sample.unit) ? ` ${sample.unit}` : '';
  return { times: 1, suffix: sample.zeroWhenAbsent ? `${unit}${perInterval(intervalMs)}` : unit };
}

function perInterval(ms: number): string {
  if (ms === 60_000) return '/min';
  if (ms === 1000) return '/s';
  return ` per ${duration(ms)}`;
}

/** What an event judged on a rate's recent mean observed, named for the explanation. */
function meanOfRecentCycles(intervalMs: number): string {
  return `the mean of about the last ${duration(MEAN_SPAN * intervalMs)}`;
}

/**
 * What an event observed when it is not the cycle's value, named for the explanation: a rate's
 * recent mean, the share of errors of a route's recent cycles, or the share of their requests over
 * a bound of its latency buckets.
 */
export function observedAs(
  verdict: { readonly mean: boolean; readonly shareOf?: number; readonly over?: number },
  intervalMs: number,
  unit = '',
): string | undefined {
  if (verdict.mean) return meanOfRecentCycles(intervalMs);
  const { shareOf, over } = verdict;
  if (shareOf === undefined) return undefined;
  const of = over === undefined ? '' : ` requests over ${over}${measured(unit) ? ` ${unit}` : ''} in`;
  return `the share of${of} the last ${duration(shareOf * intervalMs)}`;
}

function duration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/** A UCUM unit of measure (ms, By, %), not a plain number ('1', none) or a count of things ({job}). */
function measured(unit: string): boolean {
  return unit !== '' && unit !== '1' && !/^\{[^}]*\}$/.test(unit);
}

function sample(
  metric: string,
  attributes: Attributes,
  value: number,
  direction: SeriesSample['direction'],
  zeroWhenAbsent: boolean,
  unit: string,
  transform: SeriesSample['transform'] = 'auto',
  confirm = 2,
  nonNegative = zeroWhenAbsent,
  perCycle = 1,
  floor = 0,
): SeriesSample {
  return {
    key: seriesKey(metric, attributes),
    metric,
    attributes,
    value,
    direction,
    zeroWhenAbsent,
    unit,
    transform,
    confirm,
    nonNegative,
    perCycle,
    floor,
    requests: 0,
    // Every sample has the same fields, in one order, so reading them stays as fast for all.
    buckets: undefined,
    answers: undefined,
    held: false,
    unmoved: false,
  };
}

/**
 * A histogram's p95, confirmed over three cycles. Its floor is the bound of the first bucket that
 * holds positive values (OpenTelemetry's default buckets start at 0): under it the quantile is
 * only the cycle's min or max.
 */
function p95Sample(
  metric: string,
  attributes: Attributes,
  h: HistogramPoint['histogram'],
  unit: string,
  transform: SeriesSample['transform'],
  nonNegative: boolean,
): SeriesSample | undefined {
  const p95 = histogramQuantile(h, 0.95);
  if (!Number.isFinite(p95)) return undefined;
  const floor = h.buckets.boundaries.find((b) => b > 0) ?? 0;
  return sample(metric, attributes, p95, 'up', false, unit, transform, 3, nonNegative, 1, floor);
}

function addRoute(routes: Map<string, RouteAggregate>, p: HistogramPoint): void {
  const method = p.attributes['http.request.method'];
  const route = p.attributes['http.route'];
  const attributes: Attributes = {};
  // The routes past cardinalityLimit, which a series without attributes would pass off as all of them.
  if (p.attributes[OVERFLOW] === true) attributes[OVERFLOW] = true;
  if (method !== undefined) attributes['http.request.method'] = method;
  if (route !== undefined) attributes['http.route'] = route;
  const key = `${String(method)} ${String(route)}`;
  const h = p.histogram;
  let r = routes.get(key);
  if (r === undefined) {
    r = {
      attributes,
      count: 0,
      errors: 0,
      boundaries: h.buckets.boundaries,
      counts: h.buckets.counts.map(() => 0),
      min: Infinity,
      max: -Infinity,
      sum: 0,
      answered: -Infinity,
      left: undefined,
    };
    routes.set(key, r);
  }
  r.count += h.count;
  r.sum += h.sum;
  if (h.min !== undefined) r.min = Math.min(r.min, h.min);
  if (h.max !== undefined) r.max = Math.max(r.max, h.max);
  for (let i = 0; i < r.counts.length; i++) r.counts[i] = (r.counts[i] ?? 0) + (h.buckets.counts[i] ?? 0);
  const status = Number(p.attributes['http.response.status_code']);
  const errorType = p.attributes['error.type'];
  if (status >= 500 || (errorType !== undefined && errorType !== CLIENT_ABORTED)) r.errors += h.count;
  else if (errorType === undefined) r.answered = Math.max(r.answered, h.max ?? Infinity);
  else {
    r.left ??= r.counts.map(() => 0);
    for (let i = 0; i < r.left.length; i++) r.left[i]! += h.buckets.counts[i] ?? 0;
  }
}

/**
 * A route's share of failed requests: its errors, and the requests their clients left in buckets
 * wholly above GAVE_UP times `slowest`, the longest it answered lately (see CLIENT_ABORTED), if it
 * answered any in the cycle.
 */
export function errorShare(a: RouteAnswers, requests: number, slowest: number): number {
  let n = a.errors;
  if (a.left !== undefined && a.answered !== -Infinity) {
    for (let i = 1; i < a.left.length; i++) if (a.boundaries[i - 1]! >= GAVE_UP * slowest) n += a.left[i]!;
  }
  return n / requests;
}

/**
 * How long a route's slowest answer is remembered, in two blocks of this time: a route that answers
 * in 50 ms from a cache and otherwise in 20 to 40 s, its clients giving up at 30 s, has minutes
 * whose slow requests were all left, as a hang's would be, and answers that slowly a few times an
 * hour. A route whose answers never took a quarter of a hang's wait in the last hour is judged as
 * before.
 */
const SLOWEST_BLOCK_MS = 30 * 60_000;

/**
 * The longest a route answered in two cycles of the last half hour to hour: how slowly it answers
 * at times, which one slow answer (a cold cache, a GC pause) is not, and which would otherwise
 * hide its hangs for the hour after it.
 */
export class SlowestAnswer {
  private block = Number.NaN;
  /** The two longest cycles' answers of the current block, and of the one before, longest first. */
  private current = -Infinity;
  private currentNext = -Infinity;
  private previous = -Infinity;
  private previousNext = -Infinity;

  /** Takes in a cycle's longest answer; returns it, or the longest of two cycles lately if longer. */
  record(answered: number, now: number): number {
    const block = Math.floor(now / SLOWEST_BLOCK_MS);
    if (block !== this.block) {
      const follows = block === this.block + 1;
      this.previous = follows ? this.current : -Infinity;
      this.previousNext = follows ? this.currentNext : -Infinity;
      this.current = -Infinity;
      this.currentNext = -Infinity;
      this.block = block;
    }
    if (answered > this.current) {
      this.currentNext = this.current;
      this.current = answered;
    } else if (answered > this.currentNext) this.currentNext = answered;
    // The second longest of the four: the shorter of the two longest, or the longer of the others.
    const twice = Math.max(Math.min(this.current, this.previous), this.currentNext, this.previousNext);
    return Math.max(answered, twice);
  }
}
