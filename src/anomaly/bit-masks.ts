// Masks of recent points, one bit each with the newest lowest (the outliers the detector's short
// windows hold), read as counts and as the weights an EW mean gives the points they mark.

/** The sum of `weight ** i` over the set bits `i` of `mask`: an EW mean's weights of the points they mark. */
export function bitWeights(mask: number, weight: number): number {
  let sum = 0;
  let w = 1;
  for (let m = mask; m !== 0; m >>>= 1) {
    if ((m & 1) !== 0) sum += w;
    w *= weight;
  }
  return sum;
}

/** Set bits of a non-negative 31-bit integer. */
export function bitCount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
