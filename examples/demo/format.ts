/** Number and label formatting shared by the terminal view, the verdict and the report. */

export const RATE = 'http.server.request.rate';
export const P95 = 'http.server.request.duration.p95';
export const ERRORS = 'http.server.error.rate';

/** `1:05` */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A value of a series in the unit a person reads: req/s, ms, %. */
export function formatValue(metric: string, value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (metric === P95)
    return `${value * 1000 >= 100 ? Math.round(value * 1000) : (value * 1000).toFixed(1)} ms`;
  if (metric === ERRORS) return `${(value * 100).toFixed(value >= 0.1 ? 0 : 1)} %`;
  if (metric === RATE) return `${value.toFixed(value >= 100 ? 0 : 1)} req/s`;
  return String(Math.round(value * 1000) / 1000);
}

/** `p95 latency`, `request rate`, `error rate` */
export function metricLabel(metric: string): string {
  if (metric === P95) return 'p95 latency';
  if (metric === ERRORS) return 'error rate';
  if (metric === RATE) return 'request rate';
  return metric;
}

/** `level_shift` → `level shift` */
export function kindLabel(kind: string): string {
  return kind.replace(/_/g, ' ');
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A sparkline of `values` (NaN as a space), scaled from `floor` (or the minimum) to the maximum. */
export function sparkline(values: readonly number[], width: number, floor?: number): string {
  const v = values.slice(-width);
  const finite = v.filter(Number.isFinite);
  if (finite.length === 0) return ' '.repeat(width);
  const lo = floor ?? Math.min(...finite);
  const hi = Math.max(...finite);
  const out = v.map((x) => {
    if (!Number.isFinite(x)) return ' ';
    if (hi - lo <= 1e-12) return BLOCKS[0];
    return BLOCKS[Math.min(7, Math.max(0, Math.round(((x - lo) / (hi - lo)) * 7)))];
  });
  return out.join('').padStart(width, ' ');
}
