import { realClearTimeout, realNow, realSetTimeout } from '../internal/node-timers.js';

/**
 * How long a collection waits for an async observable gauge callback. A callback still pending (a
 * query on a database that hangs) holds back the whole collection, every instrument's points with
 * it: the SDK waits up to its collection timeout, while `forceFlush()` and `shutdown()` must end by
 * their deadline. So while a flush runs, a callback is waited for until half the time the flush has
 * left, the other half kept for sending what was collected; otherwise until just before the SDK
 * would give up on it, so that its lost values are counted.
 */
export class CallbackWaits {
  private readonly pending = new Set<(cutAt: number) => void>();
  private readonly flushes = new Set<{ readonly cutAt: number }>();
  private readonly longestMs: number;

  /** `collectTimeoutMs`: the shortest time the SDK's collections wait for a callback. */
  constructor(collectTimeoutMs: number) {
    this.longestMs = collectTimeoutMs * 0.9;
  }

  /** Resolves when `callback` settles or its wait is cut; `onLate` hears a callback not waited for. */
  wait(callback: Promise<void>, onLate: () => void): Promise<void> {
    return new Promise((resolve) => {
      const longest = realNow() + this.longestMs;
      let timer: ReturnType<typeof realSetTimeout> | undefined;
      const settle = (late: boolean) => {
        if (!this.pending.delete(cut)) return;
        realClearTimeout(timer);
        if (late) onLate();
        resolve();
      };
      const cut = (cutAt: number) => {
        realClearTimeout(timer);
        // Node's own timer: a deadline, kept under a test's fake timers as the flush's own is.
        timer = realSetTimeout(() => settle(true), Math.max(0, Math.min(cutAt, longest) - realNow()));
        timer.unref?.();
      };
      this.pending.add(cut);
      cut(this.cutAt() ?? longest);
      callback.then(
        () => settle(false),
        () => settle(false),
      );
    });
  }

  /**
   * A flush that must end by `deadline` ({@link realNow} ms) starts: callbacks pending now or started before it
   * ends are waited for until half its time is left. Returns the function that ends it.
   */
  flushing(deadline: number): () => void {
    const now = realNow();
    const flush = { cutAt: now + Math.max(0, deadline - now) / 2 };
    this.flushes.add(flush);
    const cutAt = this.cutAt() as number;
    for (const cut of [...this.pending]) cut(cutAt);
    return () => {
      this.flushes.delete(flush);
    };
  }

  /**
   * The latest cut-off of the flushes in progress, as channels keep to the latest deadline: the
   * shorter caller's own timer still returns on time.
   */
  private cutAt(): number | undefined {
    let latest: number | undefined;
    for (const { cutAt } of this.flushes) if (latest === undefined || cutAt > latest) latest = cutAt;
    return latest;
  }
}
