const noop = (): void => {};

/**
 * Calls user code that may be sync or async. A throw or a rejection runs `onError` instead of
 * reaching the caller or becoming an unhandled rejection, which ends a process under Node's
 * defaults. A returned promise is handed back, settled only after `onError`, so a caller can wait.
 */
export function callGuarded<A>(
  fn: (arg: A) => unknown,
  arg: A,
  onError: () => void,
): Promise<void> | undefined {
  try {
    const returned = fn(arg);
    if (
      returned !== null &&
      typeof returned === 'object' &&
      typeof (returned as PromiseLike<unknown>).then === 'function'
    )
      return Promise.resolve(returned).then(noop, onError);
  } catch {
    onError();
  }
  return undefined;
}
