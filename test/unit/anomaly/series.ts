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
