/**
 * The deadline of the `obs.shutdown()` or `obs.forceFlush()` in progress, in epoch ms. The
 * OpenTelemetry SDK calls exporters' `shutdown()` and `forceFlush()` without a timeout, so
 * channels read this to stop at the caller's deadline rather than at their own default. Kept on
 * a global slot so ESM and CJS copies of the package agree.
 */
const SLOT = Symbol.for('sightline.export.deadline.v1');

type Holder = Record<symbol, number | undefined>;

export function setFlushDeadline(epochMs: number | undefined): void {
  (globalThis as unknown as Holder)[SLOT] = epochMs;
}

/** Milliseconds left before the deadline in progress, or `undefined` when none is. */
export function flushTimeLeft(now: number): number | undefined {
  const deadline = (globalThis as unknown as Holder)[SLOT];
  return deadline === undefined ? undefined : Math.max(0, deadline - now);
}
