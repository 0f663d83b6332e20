/** Resolves when `work` settles or `ms` pass, whichever is first; never rejects. */
export function settleWithin(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref?.();
    work.then(
      () => {
        clearTimeout(timer);
        resolve('done');
      },
      () => {
        clearTimeout(timer);
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
