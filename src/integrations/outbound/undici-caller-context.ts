import { type Context, context } from '@opentelemetry/api';
import { librarySymbol, reportMissingSymbol } from '../shared/library-symbol.js';

/**
 * The context each dispatch handler's first request was made in. A retry (RetryAgent,
 * interceptors.retry) or a redirect (interceptors.redirect) dispatches the same handler again from
 * undici's callbacks on the connection, which run in the context of the call that opened it.
 */
const callerContexts = new WeakMap<object, Context>();

/**
 * The symbol undici keeps a request's handler under, per request class: the same for every request
 * of one undici copy (Node's own and the package may both be loaded), so it is looked for once.
 */
const handlerKeys = new WeakMap<object, symbol | null>();

function handlerKeyOf(request: object): symbol | undefined {
  const kind = Object.getPrototypeOf(request) as object | null;
  let key = kind === null ? undefined : handlerKeys.get(kind);
  if (key === undefined) {
    key = librarySymbol(request, 'handler') ?? null;
    if (key === null)
      reportMissingSymbol(
        'undici',
        'handler',
        'a retried or redirected call is traced apart from its caller',
      );
    if (kind !== null) handlerKeys.set(kind, key);
  }
  return key ?? undefined;
}

/** The handler a request reports to, and those it hands on to. */
function handlersOf(request: object): object[] {
  const key = handlerKeyOf(request);
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
 *
 * Only the handlers undici put in front of the caller's are kept, those it dispatches again; the
 * caller's own, the last, may be one object it gives every call (made once, at start-up): kept, it
 * would put each later call in the trace of the first.
 */
export function callerContext(request: object): Context {
  const handlers = handlersOf(request);
  const wrappers = handlers.length - 1;
  for (let i = 0; i < wrappers; i++) {
    const caller = callerContexts.get(handlers[i]!);
    if (caller !== undefined) return caller;
  }
  const active = context.active();
  for (let i = 0; i < wrappers; i++) callerContexts.set(handlers[i]!, active);
  return active;
}
