import { realClearTimeout, realSetImmediate, realSetTimeout } from '../internal/node-timers.js';
import type { SightlineInstance } from './sightline.js';

/**
 * Shuts down when the process is about to end on its own (`beforeExit`: a script that returns, a
 * `cluster.disconnect()`, a worker thread that finishes), so what is still queued reaches the
 * backend instead of being lost with the process. Not on `process.exit()` or a fatal exception,
 * which Node ends without `beforeExit`.
 *
 * Another `beforeExit` listener may schedule more work, and the process then goes on: sightline
 * stays up for it and looks again at the next `beforeExit`. Node emits one more once the shutdown's
 * own work is done; by then this listener is gone.
 */
export function installNaturalExitShutdown(instance: SightlineInstance): () => void {
  let looking = false;
  const onBeforeExit = () => {
    if (looking) return;
    looking = true;
    // Handles that are open but idle (a stdout pipe) are listed without keeping the loop alive:
    // what is listed now, while nothing does, is the baseline.
    const idle = activeResources();
    realSetImmediate(() => {
      looking = false;
      if (idle === undefined || !hasMore(activeResources() ?? [], idle)) shutDownHoldingOn(instance);
    });
  };
  // First, so the baseline is taken before the other listeners add work of their own.
  process.prependListener('beforeExit', onBeforeExit);
  return () => {
    process.removeListener('beforeExit', onBeforeExit);
  };
}

/**
 * The shutdown's own waits (its deadline, a retry's back-off) do not keep a process alive, so that
 * a service is never held up by them; here the process would end in the middle of the shutdown.
 */
function shutDownHoldingOn(instance: SightlineInstance): void {
  const hold = realSetTimeout(() => {}, instance.config.shutdownTimeout + 1000);
  void instance.shutdown().finally(() => realClearTimeout(hold));
}

function activeResources(): string[] | undefined {
  return typeof process.getActiveResourcesInfo === 'function' ? process.getActiveResourcesInfo() : undefined;
}

/** Whether `now` lists any kind of resource more times than `before` did. */
function hasMore(now: readonly string[], before: readonly string[]): boolean {
  const counts = new Map<string, number>();
  for (const r of before) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const r of now) {
    const left = counts.get(r) ?? 0;
    if (left === 0) return true;
    counts.set(r, left - 1);
  }
  return false;
}
