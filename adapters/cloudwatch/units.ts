/** The units CloudWatch accepts, in EMF `Unit` and PutMetricData `Unit` alike. */
export const CLOUDWATCH_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;

export type CloudWatchUnit = (typeof CLOUDWATCH_UNITS)[number];

const SIZE: Readonly<Record<string, string>> = {
  By: 'Bytes',
  kBy: 'Kilobytes',
  KiBy: 'Kilobytes',
  MBy: 'Megabytes',
  MiBy: 'Megabytes',
  GBy: 'Gigabytes',
  GiBy: 'Gigabytes',
  TBy: 'Terabytes',
  TiBy: 'Terabytes',
  bit: 'Bits',
  kbit: 'Kilobits',
  Kibit: 'Kilobits',
  Mbit: 'Megabits',
  Mibit: 'Megabits',
  Gbit: 'Gigabits',
  Gibit: 'Gigabits',
  Tbit: 'Terabits',
  Tibit: 'Terabits',
};

const EXACT: Readonly<Record<string, CloudWatchUnit>> = {
  s: 'Seconds',
  ms: 'Milliseconds',
  us: 'Microseconds',
  '%': 'Percent',
  '1/s': 'Count/Second',
  '/s': 'Count/Second',
};

/**
 * Maps an instrument's UCUM unit to a CloudWatch unit: `ms` → Milliseconds, `s` → Seconds, `By` →
 * Bytes, `By/s` → Bytes/Second, `%` → Percent, annotations such as `{request}` → Count and
 * `{request}/s` → Count/Second. `1` (a ratio) and anything CloudWatch has no unit for (`ns`, `min`,
 * `Cel`...) map to None rather than to a wrong unit. An empty unit is Count for a counter, None otherwise.
 *
 * @example
 * toCloudWatchUnit('ms', false);        // 'Milliseconds'
 * toCloudWatchUnit('{order}', true);    // 'Count'
 */
export function toCloudWatchUnit(unit: string, monotonic: boolean): CloudWatchUnit {
  const u = unit.trim();
  if (u === '') return monotonic ? 'Count' : 'None';
  // Own keys only: a unit is the service's text, and one named as an Object method (`toString`,
  // `constructor/s`) would read the prototype's function, a unit CloudWatch refuses the request for.
  const exact = Object.hasOwn(EXACT, u) ? EXACT[u] : undefined;
  if (exact !== undefined) return exact;
  if (/^\{[^{}]*\}$/.test(u)) return 'Count';
  if (/^\{[^{}]*\}\/s$/.test(u)) return 'Count/Second';
  const perSecond = u.endsWith('/s');
  const amount = perSecond ? u.slice(0, -2) : u;
  const size = Object.hasOwn(SIZE, amount) ? SIZE[amount] : undefined;
  if (size !== undefined) return (perSecond ? `${size}/Second` : size) as CloudWatchUnit;
  return 'None';
}
