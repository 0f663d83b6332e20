import { realClearTimeout, realSetTimeout } from '../internal/node-timers.js';

/** Resolves when `work` settles or `ms` pass, whichever is first; never rejects. */
export function settleWithin(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = realSetTimeout(() => resolve('timeout'), ms);
    timer.unref?.();
    work.then(
      () => {
        realClearTimeout(timer);
        resolve('done');
      },
      () => {
        realClearTimeout(timer);
        resolve('done');
      },
    );
  });
}

/** Calls an optional async hook, turning a throw into a settled promise. */
export function safeCall(fn: (() => Promise<unknown> | unknown) | undefined): Promise<unknown> {
  if (fn === undefined) return Promise.resolve();
  try {
    return Promise.resolve(fn()).catch(() => undefined);
  } catch {
    return Promise.resolve();
  }
}
