import type { Context } from '@opentelemetry/api';
import type { Sightline } from '../../api/types.js';
import { propagatorOf } from '../shared/propagator.js';
import { isSentryUpload } from './untraced-origins.js';
import { callerContext, handingAnswer } from './undici-caller-context.js';
import {
  absoluteFormTarget,
  baggageBeside,
  perInstance,
  type ClientCall,
  cleanUrl,
  madeInTrace,
  propagatedContext,
  replacesTraceparent,
  startClientCall,
  tracedContext,
  type UrlTarget,
  urlTarget,
} from './client-span.js';

/** The parts of undici's request object (the one behind global `fetch`) the channels carry. */
interface UndiciRequest {
  origin?: unknown;
  method?: string;
  /** The protocol asked for in an upgrade (`websocket`), or null. */
  upgrade?: unknown;
  path?: string;
  headers?: unknown;
  addHeader?(name: string, value: string): unknown;
}

interface UndiciCall {
  /** The call's span and measure, until it ends; none for a call left alone. */
  call: ClientCall | undefined;
  /**
   * The context the call was made for, which its handlers send it again for: kept once it ends,
   * as a handler can still fail it after its end (a retry's once its answer is all in).
   */
  readonly caller: Context;
  status: number;
}

const calls = new WeakMap<object, UndiciCall>();
const originCache = new Map<string, UrlTarget>();

function parseOrigin(origin: string): UrlTarget | undefined {
  let found = originCache.get(origin);
  if (found) return found;
  try {
    found = urlTarget(new URL(origin));
  } catch {
    return undefined;
  }
  // Bounded: a service calling many hosts just parses again.
  if (originCache.size >= 256) originCache.clear();
  originCache.set(origin, found);
  return found;
}

function hasHeader(headers: unknown, name: string): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return true;
    }
    return false;
  }
  if (typeof headers === 'string') return headers.toLowerCase().includes(`${name}:`);
  return false;
}

function removeHeader(request: UndiciRequest, name: string): void {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (String(headers[i]).toLowerCase() === name) headers.splice(i, 2);
    }
  } else if (typeof headers === 'string' && headers.toLowerCase().includes(`${name}:`)) {
    request.headers = headers
      .split('\r\n')
      .filter((line) => !line.toLowerCase().startsWith(`${name}:`))
      .join('\r\n');
  }
}

/** The values of a header of the caller's, as one list joined by `separator`, or undefined when it has none. */
function headerValue(headers: unknown, name: string, separator = ','): string | undefined {
  let found: string | undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() !== name) continue;
      const value = String(headers[i + 1]);
      found = found === undefined ? value : `${found}${separator}${value}`;
    }
  } else if (typeof headers === 'string' && headers.toLowerCase().includes(`${name}:`)) {
    for (const line of headers.split('\r\n')) {
      if (!line.toLowerCase().startsWith(`${name}:`)) continue;
      const value = line.slice(name.length + 1).trim();
      found = found === undefined ? value : `${found}${separator}${value}`;
    }
  }
  return found;
}

/** The setter of an instance's calls, which counts the context's baggage entries it leaves out. */
const setterOf = perInstance((drops) => ({
  set(carrier: UndiciRequest, key: string, value: string) {
    if (key !== 'baggage') {
      carrier.addHeader?.(key, value);
      return;
    }
    // The context's baggage goes in a header of its own after the caller's, without the entries the
    // caller's names; the server reads them as one list, the headers' values joined by `, `.
    const callers = headerValue(carrier.headers, key, ', ');
    const rest = callers === undefined ? value : baggageBeside(callers, value, drops, ', ');
    if (rest !== undefined) carrier.addHeader?.(key, rest);
  },
}));

function propagate(obs: Sightline, request: UndiciRequest, ctx: Context): void {
  const propagator = propagatorOf(obs);
  if (typeof request.addHeader !== 'function') return;
  const traceparent = headerValue(request.headers, 'traceparent');
  const callerTrace = madeInTrace(propagator, traceparent, (name) => hasHeader(request.headers, name));
  if (replacesTraceparent(propagator, traceparent, callerTrace)) removeHeader(request, 'traceparent');
  // A tracestate goes with its traceparent (W3C Trace Context): one the caller set without a
  // traceparent would pass for this span's, so only the context's is sent.
  if (!callerTrace) removeHeader(request, 'tracestate');
  propagator.inject(propagatedContext(ctx, callerTrace), request, setterOf(obs));
}

export function onUndiciCreate(obs: Sightline, message: unknown): void {
  const request = (message as { request?: UndiciRequest }).request;
  if (!request || typeof request !== 'object') return;
  // A CONNECT opens a proxy's tunnel (fetch with NODE_USE_ENV_PROXY, a ProxyAgent): undici tells
  // nothing once it is answered, and the call made through the tunnel has a span of its own.
  if (request.method === 'CONNECT') return;
  const target = parseOrigin(String(request.origin ?? ''));
  if (!target) return;
  if (request.upgrade) {
    // A WebSocket handshake: undici tells nothing once it is answered, and a span that never ends
    // holds back its whole trace where whole traces are sent (dd-trace). The server still
    // continues the caller's trace.
    const ctx = tracedContext(obs, target.origin);
    if (ctx !== undefined) propagate(obs, request, ctx);
    return;
  }
  const path = request.path ?? '/';
  if (isSentryUpload(path)) return;
  // A forward proxy without a tunnel (a ProxyAgent with proxyTunnel: false) is the origin, sent the
  // absolute URL: the call is to that URL's host.
  const caller = callerContext();
  const call = startClientCall(
    obs,
    {
      method: request.method,
      ...(absoluteFormTarget(path) ?? { urlFull: cleanUrl(target.origin, path), ...target }),
    },
    caller,
  );
  // Kept for a call left alone too (tracing suppressed): what its handlers send again is left alone.
  calls.set(request, { call, caller, status: 0 });
  if (!call) return;
  propagate(obs, request, call.context);
}

/** The statuses fetch follows when the response names a Location. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function onUndiciHeaders(message: unknown): void {
  const { request, response } = message as {
    request?: object;
    response?: { statusCode?: number; headers?: unknown };
  };
  if (!request) return;
  const code = response?.statusCode;
  if (typeof code !== 'number') return;
  const made = calls.get(request);
  handingAnswer(made !== undefined && code >= 300 ? made.caller : undefined);
  if (made === undefined) return;
  made.status = code;
  const call = made.call;
  if (!call) return;
  call.status(code);
  // fetch follows a redirect, or refuses it, without reading its body: one over the stream's
  // buffer then pauses the connection for good and undici reports no end, which would leave the
  // span open and hold back its whole trace (dd-trace). The call ends with the answer; a caller
  // who asked for the redirect itself (redirect: 'manual') is after its Location.
  if (REDIRECTS.has(code) && hasHeader(response?.headers, 'location')) {
    made.call = undefined;
    call.end();
  }
}

export function onUndiciTrailers(message: unknown): void {
  const request = (message as { request?: object }).request;
  if (!request) return;
  const made = calls.get(request);
  handingAnswer(made !== undefined && made.status >= 300 ? made.caller : undefined);
  const call = made?.call;
  if (!call) return;
  made.call = undefined;
  call.end();
}

/** Failures undici tells of at once, in the code of whoever caused them. */
const FINAL_ERRORS = new Set(['UND_ERR_ABORTED', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

/**
 * Whether a failure came from the connection (a system error, one of undici's), which a handler
 * may send the call again for. Any other is one the caller's code chose (a reason it aborted with,
 * an error it destroyed the dispatcher with, a timeout's), told at once in that code.
 */
function fromConnection(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name !== 'AbortError' && typeof code === 'string' && !FINAL_ERRORS.has(code);
}

export function onUndiciError(message: unknown): void {
  const { request, error } = message as { request?: object; error?: unknown };
  if (!request) return;
  const made = calls.get(request);
  // One told in the code that caused it: that code goes on in its own context.
  handingAnswer(made !== undefined && fromConnection(error) ? made.caller : undefined);
  const call = made?.call;
  if (!call) return;
  made.call = undefined;
  call.error(error);
}
