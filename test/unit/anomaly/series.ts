/** Deterministic generators for the detector tests (no randomness across runs). */

export const MINUTE = 60_000;
export const STEP = 5 * MINUTE;
export const DAY_POINTS = 288;
/** 2024-01-01T00:00:00Z, a Monday. */
export const T0 = Date.UTC(2024, 0, 1);

/** mulberry32: small, fast, seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Knuth's Poisson sampler (fine for the small and medium means used here). */
export function poisson(rand: () => number, mean: number): number {
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rand)()));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

/** Daily shape in [0, 1]: quiet night, busy afternoon. */
export function dailyShape(i: number): number {
  const phase = (i % DAY_POINTS) / DAY_POINTS;
  return Math.max(0, Math.sin(Math.PI * (phase * 1.25 - 0.15))) ** 2;
}

export function isWeekend(i: number): boolean {
  const day = Math.floor(i / DAY_POINTS) % 7; // T0 is a Monday
  return day >= 5;
}

const HOUR = 60 * MINUTE;

/** A zone's change of offset from UTC: its instant, and the offset in hours before and after it. */
export interface ClockChange {
  zone: string;
  at: number;
  before: number;
  after: number;
}

/** Clock changes of daylight-saving time, spring and autumn, in two zones. */
export const CLOCK_CHANGES: readonly ClockChange[] = [
  { zone: 'America/New_York', at: Date.UTC(2024, 2, 10, 7), before: -5, after: -4 },
  { zone: 'America/New_York', at: Date.UTC(2024, 10, 3, 6), before: -4, after: -5 },
  { zone: 'Europe/Berlin', at: Date.UTC(2024, 2, 31, 1), before: 1, after: 2 },
  { zone: 'Europe/Berlin', at: Date.UTC(2024, 9, 27, 1), before: 2, after: 1 },
];

/** The time on the wall clocks of a zone changing its offset as `change` says, in ms since the epoch. */
export function wallTime(change: ClockChange, utcMs: number): number {
  return utcMs + (utcMs < change.at ? change.before : change.after) * HOUR;
}
