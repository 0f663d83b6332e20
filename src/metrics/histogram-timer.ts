import type { Attributes } from '@opentelemetry/api';

/** UCUM time units a timer can record in, as the number of them in one millisecond. */
const PER_MS: Readonly<Record<string, number>> = {
  ns: 1e6,
  us: 1e3,
  ms: 1,
  s: 1e-3,
  min: 1 / 60_000,
  h: 1 / 3_600_000,
  d: 1 / 86_400_000,
};

/**
 * What one elapsed millisecond is in the unit of a histogram with these options: a time unit's own
 * scale, so a `us` histogram gets microseconds; milliseconds for any other unit (none,
 * `{request}`) and for options that cannot be read (a revoked proxy).
 *
 * @example
 * perMillisecond({ unit: 's' });  // 0.001
 * perMillisecond({ unit: 'us' }); // 1000
 */
function perMillisecond(options: { readonly unit?: unknown } | undefined): number {
  let unit: unknown;
  try {
    unit = options?.unit;
  } catch {
    return 1;
  }
  return (typeof unit === 'string' && Object.hasOwn(PER_MS, unit) ? PER_MS[unit] : undefined) ?? 1;
}

/**
 * A histogram's `startTimer`: each call starts a timer whose stop records the time elapsed, in the
 * histogram's unit, with the start's attributes and any given at the stop (joined by `merge`), and
 * returns the value recorded.
 */
export function histogramTimer(
  record: (value: number, attributes?: Attributes) => void,
  options: { readonly unit?: unknown } | undefined,
  merge: (start: Attributes | undefined, extra: Attributes) => Attributes | undefined,
): (attributes?: Attributes) => (extra?: Attributes) => number {
  const perMs = perMillisecond(options);
  return (attributes) => {
    const start = performance.now();
    return (extra) => {
      const value = (performance.now() - start) * perMs;
      record(value, extra ? merge(attributes, extra) : attributes);
      return value;
    };
  };
}
