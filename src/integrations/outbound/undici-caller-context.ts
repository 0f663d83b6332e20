import { type Context, context } from '@opentelemetry/api';

/**
 * The context each dispatch handler's first request was made in. A retry (RetryAgent,
 * interceptors.retry) or a redirect (interceptors.redirect) dispatches the same handler again from
 * undici's callbacks on the connection, which run in the context of the call that opened it.
 */
const callerContexts = new WeakMap<object, Context>();

/** The handler a request reports to, and those it hands on to. */
function handlersOf(request: object): object[] {
  const key = Object.getOwnPropertySymbols(request).find((symbol) => symbol.description === 'handler');
  const handlers: object[] = [];
  let handler = key === undefined ? undefined : (request as Record<symbol, unknown>)[key];
  while (typeof handler === 'object' && handler !== null && handlers.length < 8) {
    handlers.push(handler);
    handler = (handler as { handler?: unknown }).handler;
  }
  return handlers;
}

/**
 * The context of the call an undici request is made for: the one it was made in, or for a request
 * sent again, the one the call's first request was made in.
 */
export function callerContext(request: object): Context {
  const handlers = handlersOf(request);
  for (const handler of handlers) {
    const caller = callerContexts.get(handler);
    if (caller !== undefined) return caller;
  }
  const active = context.active();
  for (const handler of handlers) callerContexts.set(handler, active);
  return active;
}
