/** Smoothing factor of an exponentially weighted average spanning about `n` points. */
export function ewAlpha(n: number): number {
  return 2 / (n + 1);
}

/**
 * −log10 of the upper normal tail Q(z) = P(Z > z), accurate far into the tail (z = 40 gives
 * ~349, not Infinity), because the scores compare surprises of very different sizes.
 * Uses the Numerical Recipes erfc Chebyshev fit (relative error < 1.2e-7) in log form.
 *
 * @example
 * ```ts
 * normalTailSurprise(3); // ≈ 2.87 (p ≈ 0.00135)
 * ```
 */
export function normalTailSurprise(z: number): number {
  const x = z / Math.SQRT2;
  if (x <= 0) {
    // Lower half: Q(z) >= 0.5, surprise in [0, 0.301]; a crude form is enough.
    return -Math.log10(1 - 0.5 * erfcLog(-x, true));
  }
  const t = 1 / (1 + 0.5 * x);
  const lnErfc =
    Math.log(t) -
    x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return -(lnErfc + Math.log(0.5)) / Math.LN10;
}

function erfcLog(x: number, linear: boolean): number {
  const t = 1 / (1 + 0.5 * x);
  const e =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return linear ? e : Math.log(e);
}

/**
 * The z (0 to 40) whose upper tail surprise is `surprise`, the inverse of
 * {@link normalTailSurprise}, by bisection to the last bit; for thresholds computed once.
 */
export function normalTailZ(surprise: number): number {
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalTailSurprise(mid) < surprise) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Huber clip: limits how much a single outlier can move a running estimate.
 *
 * @example
 * ```ts
 * clip(10, -3, 3); // 3
 * ```
 */
export function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : Math.min(x, hi);
}

/**
 * P(X >= k) for X Poisson with mean `mean`. Past a mean of 30, Wilson and Hilferty's cube root of
 * the gamma distribution whose tail it is: a normal one is several times too small four standard
 * deviations out, where the errors of many cycles are judged.
 */
export function poissonTail(k: number, mean: number): number {
  if (k <= 0 || k <= mean) return 1;
  if (mean >= 30)
    return 10 ** -normalTailSurprise(3 * Math.sqrt(k) * (1 - 1 / (9 * k) - Math.cbrt(mean / k)));
  let term = Math.exp(-mean);
  let below = term;
  for (let j = 1; j < k && term > 1e-17 * below; j++) {
    term *= mean / j;
    below += term;
  }
  return Math.max(0, 1 - below);
}
