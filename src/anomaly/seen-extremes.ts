import { F, K } from './detector-layout.js';

// The extremes a series has shown, against which the spatial rule judges a new one, and the lone
// extremes kept apart from them (see `K.loneRange`). `s` is a detector's float state (slots `F`).

/**
 * Takes `hi` and `lo` into the seen extremes, or, `far` or more beyond the level, into the lone
 * ones; true if either went to the lone ones.
 */
export function joinExtremes(s: Float64Array, hi: number, lo: number, lvl: number, far: number): boolean {
  let lone = false;
  if (hi - lvl >= far) {
    s[F.loneMax] = Math.max(s[F.loneMax]!, hi);
    lone = true;
  } else if (hi > s[F.maxSeen]!) s[F.maxSeen] = hi;
  if (lvl - lo >= far) {
    s[F.loneMin] = Math.min(s[F.loneMin]!, lo);
    lone = true;
  } else if (lo < s[F.minSeen]!) s[F.minSeen] = lo;
  return lone;
}

/**
 * A point at least about half as far out as a lone extreme is a second of its order: the lone
 * extreme joins the seen ones. Until then it fades as they do. True while a lone extreme is still
 * kept apart.
 */
export function confirmLone(s: Float64Array, y: number, lvl: number, fade: number): boolean {
  const share = K.heldShare - K.spatialTolerance;
  let hi = lvl + (s[F.loneMax]! - lvl) * fade;
  let lo = lvl + (s[F.loneMin]! - lvl) * fade;
  if (y - lvl >= share * (hi - lvl)) {
    s[F.maxSeen] = Math.max(s[F.maxSeen]!, hi);
    hi = Number.NEGATIVE_INFINITY;
  }
  if (lvl - y >= share * (lvl - lo)) {
    s[F.minSeen] = Math.min(s[F.minSeen]!, lo);
    lo = Number.POSITIVE_INFINITY;
  }
  s[F.loneMax] = hi;
  s[F.loneMin] = lo;
  return hi !== Number.NEGATIVE_INFINITY || lo !== Number.POSITIVE_INFINITY;
}
