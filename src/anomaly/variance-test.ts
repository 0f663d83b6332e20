import { K } from './detector-layout.js';
import { normalTailSurprise } from './robust-stats.js';

/**
 * Variance test: the surprise that a sum of `VARIANCE_DOF` squared standard normals reaches the
 * observed sum, via the Wilson–Hilferty cube-root approximation to the chi-square tail. Its
 * constants depend on the degrees of freedom only, and computed once here the test needs no
 * call for them, which would box their arguments and results on every point.
 */
const VARIANCE_DOF = K.varianceSpan - 1;
const WH_C = 2 / (9 * VARIANCE_DOF);
const WH_CENTER = 1 - WH_C;
const WH_SCALE = Math.sqrt(WH_C);

/**
 * The variance test's surprise for a spread (mean square less squared mean) of z: that a sum of
 * `VARIANCE_DOF` squared standard normals reaches it (0 for a spread of 1 or less).
 */
export function spreadSurprise(spread: number): number {
  if (spread <= 1) return 0;
  const zv = (Math.cbrt((K.varianceSpan * spread) / VARIANCE_DOF) - WH_CENTER) / WH_SCALE;
  return zv > 0 ? normalTailSurprise(zv) : 0;
}
