import type { Attributes } from '@opentelemetry/api';

const KIND_WORDS: Record<string, string> = {
  spike: 'spike',
  dip: 'dip',
  level_shift: 'level shift',
  drift: 'drift',
  variance: 'variance change',
  flatline: 'flatline',
  seasonality_break: 'seasonality break',
};

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && (a < 0.001 || a >= 1e6)) return n.toExponential(2);
  // Three significant digits under 1: a fast route's p95 of 4.48 ms in seconds is 0.00448, which
  // three decimals would show as its band's lower bound.
  return String(a < 1 ? Number(n.toPrecision(3)) : Math.round(n * 1000) / 1000);
}

/** The metric, its route as `on GET /orders`, and the attributes that tell its series apart from the route's others. */
function describeSeries(metric: string, attributes: Attributes): string {
  const route = attributes['http.route'];
  const method = attributes['http.request.method'];
  const on =
    route === undefined ? '' : ` on ${method !== undefined ? `${String(method)} ` : ''}${String(route)}`;
  const parts = Object.entries(attributes)
    .filter(([k]) => route === undefined || (k !== 'http.route' && k !== 'http.request.method'))
    .map(([k, v]) => `${k}=${String(v)}`);
  return `${metric}${on}${parts.length > 0 ? ` {${parts.join(', ')}}` : ''}`;
}

/**
 * The observed value as a multiple of the expected one, or NaN where no multiple says how far. It
 * does only when the expected value is clear of zero: an error rate that is normally none expects
 * a rounding error above zero (a hundred-millionth of its band's upper bound), and a burst read as
 * "5.26e+10x expected". A band that reaches zero is not enough to tell: a noisy route's p95 has
 * one, and its 16x is what a pager should read.
 */
export function timesExpected(observed: number, expected: number, lower: number, upper: number): number {
  const clearOfZero = expected > 0 && (lower > 0 || expected >= upper / 100);
  return clearOfZero && Number.isFinite(expected) ? observed / expected : Number.NaN;
}

/** How the explanation shows a series' values: multiplied by `times`, followed by `suffix` (` ms`, `/min`). */
export interface Shown {
  readonly times: number;
  readonly suffix: string;
}

const AS_IS: Shown = { times: 1, suffix: '' };

/** One line a person reads in a pager: what moved, which way, how far, against what band. */
export function explain(
  metric: string,
  attributes: Attributes,
  kind: string,
  observed: number,
  expected: number,
  lower: number,
  upper: number,
  severity: number,
  shown: Shown = AS_IS,
  /** What the observed value is when it is not the cycle's, as `the mean of about the last 12 min`. */
  observedAs?: string,
): string {
  // A stuck value went neither way: it stopped moving, wherever it stopped. One said to be the
  // series' highest or lowest yet may be a bound it reached (a pool full for the first time): held.
  const how =
    kind === 'flatline'
      ? `flatline, ${observedAs === undefined ? 'stuck' : 'held'} at`
      : `${KIND_WORDS[kind] ?? kind} ${observed >= expected ? 'up' : 'down'}, observed`;
  const ratio = timesExpected(observed, expected, lower, upper);
  const change = Number.isFinite(ratio) && ratio > 0 ? ` (${fmt(ratio)}x expected)` : '';
  const value = (n: number) => fmt(n * shown.times);
  const withUnit = (n: number) => `${value(n)}${shown.suffix}`;
  return `${describeSeries(metric, attributes)}: ${how} ${withUnit(observed)}${observedAs === undefined ? '' : `, ${observedAs},`} vs expected ${withUnit(expected)}${change}, normal band ${value(lower)}..${withUnit(upper)}, severity ${Math.round(severity)}`;
}
