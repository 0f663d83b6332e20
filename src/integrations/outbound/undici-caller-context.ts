import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context, createContextKey } from '@opentelemetry/api';
import { enterContext } from '../shared/entered-context.js';

interface Answered {
  /** The context of the call whose answer undici is handing to its handlers. */
  readonly caller: Context;
  /** The context undici does it in: that of the call that opened the connection. */
  readonly ambient: Context;
  /** The context made active to carry it: a context chosen since is another one. */
  at: Context | undefined;
}

/**
 * The call undici is handing an answer or a failure to, carried to what its handlers do then and to
 * the timers they set. undici runs a request's handlers in the context of the call that opened its
 * connection, and a handler that sends the call again (RetryAgent, `interceptors.retry`,
 * `interceptors.redirect`, `interceptors.dns` trying a name's other address) does it from there, at
 * once (a redirect) or from a timer (a retry's back-off). Which handler that is cannot be told from
 * the request: one in front of it (`interceptors.decompress()`, `dump()`, `dns()`, Node's own undici
 * wrapping a handler of the package's) keeps it in a private field.
 *
 * It rides in the active context, a copy of the ambient one with this key, entered through
 * sightline's context manager: an AsyncLocalStorage of its own would, once entered, have Node 22
 * copy its store onto every promise and callback the process makes from then on.
 */
const ANSWERED = createContextKey('sightline.undici.answered');

/**
 * Where another SDK's context manager is the global one: carried in a storage of its own, entered
 * only then.
 */
let answering: AsyncLocalStorage<Answered | undefined> | undefined;

/** What the active context carries, when it is the one entered to carry it. */
function answeredIn(active: Context): Answered | undefined {
  const answered = active.getValue(ANSWERED) as Answered | undefined;
  if (answered !== undefined && answered.at === active) return answered;
  const carried = answering?.getStore();
  return carried !== undefined && carried.ambient === active ? carried : undefined;
}

/**
 * Called as undici hands a request's answer or failure to its handlers, with the context of the
 * call it belongs to when they may send it again (a 3xx, 4xx or 5xx, a failed connection), or
 * undefined.
 */
export function handingAnswer(caller: Context | undefined): void {
  const active = context.active();
  const left = answeredIn(active);
  const ambient = left?.ambient ?? active;
  if (caller === undefined || caller === ambient) {
    // Nothing to carry; one left from an earlier answer on the same connection is dropped.
    if (left === undefined) return;
    if (active !== ambient) enterContext(ambient);
    else answering?.enterWith(undefined);
    return;
  }
  const answered: Answered = { caller, ambient, at: undefined };
  const marked = ambient.setValue(ANSWERED, answered);
  answered.at = marked;
  if (enterContext(marked)) return;
  answering ??= new AsyncLocalStorage();
  answering.enterWith(answered);
}

/**
 * The context of the call an undici request is made for: the one it is made in, or where it is made
 * while undici hands a call's answer to its handlers, in the context undici does that in and no
 * other chosen since, that call's (a retry or a redirect of it).
 */
export function callerContext(): Context {
  const active = context.active();
  return answeredIn(active)?.caller ?? active;
}
