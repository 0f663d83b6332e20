import { realNow } from '../internal/node-timers.js';

/**
 * The deadlines of the `obs.shutdown()` and `obs.forceFlush()` calls in progress, on the
 * {@link realNow} clock. The OpenTelemetry SDK calls exporters' `shutdown()` and `forceFlush()`
 * without a timeout, so channels read these to stop at the caller's deadline rather than at their
 * own default. Kept on a global slot so ESM and CJS copies of the package agree (v2 held epoch ms).
 */
const SLOT = Symbol.for('sightline.export.deadline.v3');

type Holder = Record<symbol, Set<{ readonly at: number }> | undefined>;

function active(): Set<{ readonly at: number }> {
  const holder = globalThis as unknown as Holder;
  holder[SLOT] ??= new Set();
  return holder[SLOT];
}

/**
 * Adds a deadline until the returned function is called. Calls can overlap (a SIGTERM's shutdown
 * during a forceFlush): each removes only its own deadline.
 */
export function addFlushDeadline(at: number): () => void {
  const entry = { at };
  active().add(entry);
  return () => {
    active().delete(entry);
  };
}

/**
 * Milliseconds left before the latest deadline in progress, or `undefined` when none is. The
 * latest, since a channel cannot tell which caller reached it: cutting a shutdown's send short at
 * a forceFlush's deadline loses items, while waiting past the forceFlush's own deadline does not
 * hold up that caller, whose wait has its own timer.
 */
export function flushTimeLeft(): number | undefined {
  const now = realNow();
  let latest: number | undefined;
  for (const { at } of active()) if (latest === undefined || at > latest) latest = at;
  return latest === undefined ? undefined : Math.max(0, latest - now);
}
