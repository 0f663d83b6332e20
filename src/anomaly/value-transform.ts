import { Transform } from './detector-layout.js';

// The untransformed case stays small enough for the compiler to always inline it: a call that
// is not inlined boxes its number argument and result on every update. `unit` is the log
// transform's: the value is taken in units of it, so seconds and milliseconds of one latency are
// transformed alike.
export function forward(x: number, t: number, unit: number): number {
  return t === Transform.none ? x : forwardTransformed(x, t, unit);
}

export function inverse(y: number, t: number, unit: number): number {
  return t === Transform.none ? y : inverseTransformed(y, t, unit);
}

function forwardTransformed(x: number, t: number, unit: number): number {
  if (t === Transform.sqrt) return 2 * Math.sqrt(Math.max(x, 0) + 0.375);
  if (t === Transform.log) return x >= 0 ? Math.log1p(x / unit) : -Math.log1p(-x / unit);
  return x;
}

function inverseTransformed(y: number, t: number, unit: number): number {
  if (t === Transform.sqrt) {
    const h = y > 0 ? y / 2 : 0;
    const x = h * h - 0.375;
    return Math.max(x, 0);
  }
  if (t === Transform.log) return unit * (y >= 0 ? Math.expm1(y) : -Math.expm1(-y));
  return y;
}
