import type { LogStream } from '../config/types.js';
import { realClearTimeout, realSetTimeout } from '../internal/node-timers.js';

/** What pino's own streams (`pino.destination()`, `pino.transport()`) offer besides `write`. */
interface Flushable {
  flush?: (done: (error?: Error | null) => void) => unknown;
  flushSync?: () => unknown;
}

/**
 * Writes what the caller's stream buffers (an asynchronous `pino.destination()`, a transport's
 * worker) before the process dies, as pino does after `fatal`. A stream with no `flushSync` holds
 * nothing sightline can reach.
 */
export function flushStreamSync(stream: LogStream): void {
  const { flushSync } = stream as Flushable;
  if (typeof flushSync !== 'function') return;
  try {
    flushSync.call(stream);
  } catch {
    // Not open yet, or already ended: its lines stay where they are, the caller carries on.
  }
}

/**
 * Resolves once the caller's stream has written what it buffered, or after `waitMs` (a stream whose
 * flush never calls back), with the error its flush reported (a destroyed `pino.destination()`, a
 * transport whose worker has exited), which `obs.log.flush(cb)` passes on as pino does. Never
 * rejects. As pino's transports read a destination's flush: one that takes no callback is done when
 * it returns, or when the promise it returns settles.
 */
export function flushStream(stream: LogStream, waitMs: number): Promise<Error | undefined> {
  const { flush } = stream as Flushable;
  if (typeof flush !== 'function') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = realSetTimeout(() => resolve(undefined), waitMs);
    timer.unref();
    const done = (error?: unknown) => {
      realClearTimeout(timer);
      resolve(error == null ? undefined : (error as Error));
    };
    try {
      const returned = flush.call(stream, done);
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function')
        (returned as PromiseLike<unknown>).then(() => done(), done);
      else if (flush.length === 0) done();
    } catch (error) {
      done(error);
    }
  });
}
