import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context } from '@opentelemetry/api';

interface Answered {
  /** The context of the call whose answer undici is handing to its handlers. */
  readonly caller: Context;
  /** The context undici does it in: that of the call that opened the connection. */
  readonly ambient: Context;
}

/**
 * The call undici is handing an answer or a failure to, carried to what its handlers do then and to
 * the timers they set. undici runs a request's handlers in the context of the call that opened its
 * connection, and a handler that sends the call again (RetryAgent, `interceptors.retry`,
 * `interceptors.redirect`, `interceptors.dns` trying a name's other address) does it from there, at
 * once (a redirect) or from a timer (a retry's back-off). Which handler that is cannot be told from the request: one in front of it
 * (`interceptors.decompress()`, `dump()`, `dns()`, Node's own undici wrapping a handler of the
 * package's) keeps it in a private field.
 */
const answering = new AsyncLocalStorage<Answered | undefined>();

/**
 * Called as undici hands a request's answer or failure to its handlers, with the context of the
 * call it belongs to when they may send it again (a 3xx, 4xx or 5xx, a failed connection), or
 * undefined.
 */
export function handingAnswer(caller: Context | undefined): void {
  const ambient = context.active();
  if (caller === undefined || caller === ambient) {
    // Nothing to carry; one left from an earlier answer on the same connection is dropped.
    if (answering.getStore() !== undefined) answering.enterWith(undefined);
    return;
  }
  answering.enterWith({ caller, ambient });
}

/**
 * The context of the call an undici request is made for: the one it is made in, or where it is made
 * while undici hands a call's answer to its handlers, in the context undici does that in and no
 * other chosen since, that call's (a retry or a redirect of it).
 */
export function callerContext(): Context {
  const active = context.active();
  const answered = answering.getStore();
  return answered !== undefined && answered.ambient === active ? answered.caller : active;
}
