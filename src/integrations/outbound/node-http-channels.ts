import { errorMonitor } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { type Context, context, defaultTextMapSetter, trace } from '@opentelemetry/api';
import type { Sightline } from '../../api/types.js';
import { type DropCounter, dropsOf } from '../../internal/drops.js';
import { baggageCounted } from '../../traces/w3c-propagators.js';
import { parseHost } from '../shared/http-attributes.js';
import { isReadableTraceparent, propagatorOf } from '../shared/propagator.js';
import { isSentryUpload } from './untraced-origins.js';
import {
  absoluteFormTarget,
  baggageBeside,
  perInstance,
  type ClientCall,
  type ClientRequestInfo,
  cleanUrl,
  madeInTrace,
  propagatedContext,
  replacesTraceparent,
  startClientCall,
  urlInfo,
} from './client-span.js';
import { isCopiedTraceparent, rememberRootCall } from './copied-traceparent.js';
import {
  type HeadFields,
  headFieldsSetter,
  headHasField,
  headWithout,
  setHead,
  type TraceFields,
  traceFieldsOfHead,
  unsentHead,
} from './written-head.js';

const calls = new WeakMap<ClientRequest, ClientCall>();
/** The request of each response the channel reported: its call ends with the response's body. */
const requestOf = new WeakMap<IncomingMessage, ClientRequest>();

/** The setter of an instance's calls, which counts the context's baggage entries it leaves out. */
const setterOf = perInstance((drops) => ({
  set(carrier: ClientRequest, key: string, value: string) {
    if (carrier.headersSent) return;
    // The caller's baggage entries stay and the context's of other names follow, in one list (fetch
    // sends two headers, which the server reads as the same list).
    const own = key === 'baggage' ? carrier.getHeader(key) : undefined;
    if (own === undefined) {
      carrier.setHeader(key, value);
      return;
    }
    const callers = Array.isArray(own) ? own.join(',') : String(own);
    const rest = baggageBeside(callers, value, drops);
    if (rest !== undefined) carrier.setHeader(key, `${callers},${rest}`);
  },
}));

function abortError(): Error {
  return Object.assign(new Error('request aborted'), { name: 'AbortError' });
}

function endOnClose(this: ClientRequest): void {
  const call = calls.get(this);
  if (!call) return;
  calls.delete(this);
  const res = (this as { res?: IncomingMessage | null }).res;
  if (res && requestOf.has(res)) {
    // The connection closed before the body was read to its end: a body that arrived whole and
    // was left unread ends the call now; one cut short failed it (before its 'aborted' error).
    if (res.complete) call.end();
    else call.error(res.errored && !resetByCaller(this, res.errored, true) ? res.errored : abortError());
    return;
  }
  // A switch of protocols (a WebSocket handshake) or a CONNECT tunnel has a response but no
  // response channel message: the socket goes to the caller and the request closes, answered
  // (node:http keeps that response on the request as `res`).
  const status = res?.statusCode;
  if (typeof status === 'number') {
    call.status(status);
    call.end();
    return;
  }
  // Closed before any response or error: the caller destroyed it.
  call.error(abortError());
}

/** Takes the call of the request a response answers, so that only the first end counts. */
function takeCall(response: IncomingMessage): ClientCall | undefined {
  const request = requestOf.get(response);
  const call = request && calls.get(request);
  if (call) calls.delete(request);
  return call;
}

function endOnResponseEnd(this: IncomingMessage): void {
  takeCall(this)?.end();
}

function failOnResponseError(this: IncomingMessage, error: unknown): void {
  const request = requestOf.get(this);
  takeCall(this)?.error(request && resetByCaller(request, error, true) ? abortError() : error);
}

/**
 * What a request is sent to. A forward proxy is sent the absolute URL (`GET http://host/path`), by a
 * proxy agent or by Node itself with NODE_USE_ENV_PROXY, and asked for a tunnel with the target's
 * `host:port` (`CONNECT host:443`, by tunnel or hpagent): the call is then to that host.
 */
function requestTarget(request: ClientRequest): Omit<ClientRequestInfo, 'method'> {
  const path = request.path;
  const proxied =
    request.method === 'CONNECT' ? urlInfo(`${request.protocol}//${path}`, false) : absoluteFormTarget(path);
  if (proxied) return proxied;
  const hostHeader = request.getHeader('host');
  const host = parseHost(
    typeof hostHeader === 'string' ? hostHeader : undefined,
    request.protocol === 'https:' ? 443 : 80,
  );
  const address = request.host || host.address;
  const origin = `${request.protocol}//${typeof hostHeader === 'string' ? hostHeader : address}`;
  const socketPath = (request as { socketPath?: unknown }).socketPath;
  return {
    origin: typeof socketPath === 'string' ? `unix:${socketPath}` : origin,
    urlFull: cleanUrl(origin, path),
    serverAddress: address,
    serverPort: host.port,
  };
}

/** `http.client.request.created` (Node 22.12+): the request exists and its headers can still be set. */
export function onHttpRequestCreated(obs: Sightline, message: unknown): void {
  const request = (message as { request?: ClientRequest }).request;
  if (!request || typeof request.setHeader !== 'function' || isSentryUpload(request.path)) return;
  const call = startClientCall(obs, { method: request.method, ...requestTarget(request) });
  if (!call) return;
  calls.set(request, call);
  const traceparent = fieldOf(request, 'traceparent');
  const callerTrace = madeInTrace(propagatorOf(obs), traceparent, (name) => hasField(request, name));
  propagate(obs, request, call.context, callerTrace, traceparent);
  request.once('close', endOnClose);
  // A traceparent the request was made with is the caller's (one set by hand, or a second tracer's
  // such as dd-trace's with its plugins on), even in the caller's trace: it stays.
  if (callerTrace) return;
  // Headers set once the request is made are all in when it gets its connection, before it sends them.
  const callerSpanId = trace.getSpanContext(context.active())?.spanId;
  if (callerSpanId === undefined) rememberRootCall(call.span.spanContext().spanId);
  const made = request.headersSent ? undefined : fieldsOf(request);
  request.once('socket', () => {
    try {
      // A request ended before its connection has its head written out: read it, and its trace
      // fields, once for both rules.
      let head = request.headersSent ? unsentHead(request) : undefined;
      if (request.headersSent && head === undefined) return;
      let now = fieldsOf(request, head);
      // One the request was made with is the span's own, the caller's having given way to it: only
      // one set since is read.
      const since = made === undefined || now.traceparent !== made.traceparent;
      if (since && replaceCopiedTraceparent(obs, request, call, callerSpanId, head, now.traceparent)) {
        head = request.headersSent ? unsentHead(request) : undefined;
        now = fieldsOf(request, head);
      }
      if (made !== undefined) keepRulesOfLateFields(obs, request, call, made, head, now);
    } catch {
      // Tracing one call is never worth breaking it.
    }
  });
}

/**
 * A setter of every field but baggage: a copied baggage is the context's, with the caller's
 * entries, and stays.
 */
function withoutBaggage<C>(set: (carrier: C, key: string, value: string) => void) {
  return {
    set(carrier: C, key: string, value: string) {
      if (key !== 'baggage') set(carrier, key, value);
    },
  };
}

/**
 * Sends the call's trace headers in place of those of an earlier call of the trace, which a client
 * following a redirect copied onto the request (superagent): the called service would answer
 * under that call's span. So too in place of a traceparent set on it that W3C receivers ignore,
 * where the called service would start a trace of its own.
 */
function replaceCopiedTraceparent(
  obs: Sightline,
  request: ClientRequest,
  call: ClientCall,
  callerSpanId: string | undefined,
  head: string | undefined,
  sent: string | undefined,
): boolean {
  const unreadable = sent !== undefined && !isReadableTraceparent(sent);
  if (!unreadable && !isCopiedTraceparent(sent, call.span.spanContext(), callerSpanId)) return false;
  const propagator = propagatorOf(obs);
  const copied = propagator.fields().filter((field) => field !== 'baggage');
  if (head === undefined) {
    for (const field of copied) request.removeHeader(field);
    propagator.inject(baggageCounted(call.context), request, withoutBaggage(setterOf(obs).set));
    return true;
  }
  const fields: HeadFields = [];
  propagator.inject(baggageCounted(call.context), fields, withoutBaggage(headFieldsSetter.set));
  setHead(request, copied.reduce(headWithout, head), fields);
  return true;
}

/** The trace fields a request has, from its headers or the head it has written out. */
function fieldsOf(request: ClientRequest, head?: string): TraceFields {
  if (head !== undefined) return traceFieldsOfHead(head);
  return {
    traceparent: headerOf(request, 'traceparent'),
    tracestate: headerOf(request, 'tracestate'),
    baggage: headerOf(request, 'baggage'),
  };
}

/** A header the request has, its values as one list. */
function headerOf(request: ClientRequest, name: string): string | undefined {
  const value = request.getHeader(name);
  return value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value);
}

/** A trace field of the request, from its headers or the head it has written out. */
function fieldOf(request: ClientRequest, name: keyof TraceFields): string | undefined {
  if (!request.headersSent) return headerOf(request, name);
  const head = unsentHead(request);
  return head === undefined ? undefined : traceFieldsOfHead(head)[name];
}

/**
 * A tracestate or baggage set on the request once it was made, as superagent sets every header it
 * was given, follows the rules of one it was made with: a tracestate set without a traceparent
 * gives way to the context's, and a baggage keeps its entries with the context's after them.
 */
function keepRulesOfLateFields(
  obs: Sightline,
  request: ClientRequest,
  call: ClientCall,
  made: TraceFields,
  head: string | undefined,
  now: TraceFields,
): void {
  if (now.tracestate === made.tracestate && now.baggage === made.baggage) return;
  const own: Record<string, string> = {};
  propagatorOf(obs).inject(baggageCounted(call.context), own, defaultTextMapSetter);
  const fields: HeadFields = [];
  let written = head;
  const put = (name: string, value: string | undefined) => {
    if (written === undefined) {
      if (value === undefined) request.removeHeader(name);
      else request.setHeader(name, value);
      return;
    }
    written = headWithout(written, name);
    if (value !== undefined) fields.push([name, value]);
  };
  if (now.tracestate !== made.tracestate && now.traceparent === made.traceparent)
    put('tracestate', own.tracestate);
  if (now.baggage !== made.baggage && now.baggage !== undefined && own.baggage !== undefined) {
    // A copy of an earlier hop's baggage (a redirect) names the context's entries already.
    const rest = baggageBeside(now.baggage, own.baggage, dropsOf(obs));
    if (rest !== undefined) put('baggage', `${now.baggage},${rest}`);
  }
  if (written !== undefined && (written !== head || fields.length > 0)) setHead(request, written, fields);
}

/**
 * Sends the trace headers with the request. A tracestate goes with its traceparent (W3C Trace
 * Context): one the caller set without a traceparent would pass for this span's, so only the
 * context's is sent.
 */
function propagate(
  obs: Sightline,
  request: ClientRequest,
  ctx: Context,
  callerTrace: boolean,
  traceparent: string | undefined,
): void {
  const propagator = propagatorOf(obs);
  // An unreadable traceparent of the caller's gives way to the span's, taken out even where the
  // propagator writes none (dd-trace's datadog style alone), as undici's is.
  const replaced = replacesTraceparent(propagator, traceparent, callerTrace);
  if (!request.headersSent) {
    if (!callerTrace) request.removeHeader('tracestate');
    if (replaced) request.removeHeader('traceparent');
    propagator.inject(propagatedContext(ctx, callerTrace), request, setterOf(obs));
    return;
  }
  const head = unsentHead(request);
  if (head === undefined) return;
  const fields: HeadFields = [];
  propagator.inject(propagatedContext(ctx, callerTrace), fields, headFieldsSetter);
  let kept = callerTrace ? head : headWithout(head, 'tracestate');
  if (replaced) kept = headWithout(kept, 'traceparent');
  setHead(request, kept, besideHeadBaggage(head, fields, dropsOf(obs)));
}

/**
 * The fields to add to a head, the context's baggage without the entries the head's own names: in a
 * line of its own, which the server reads after the head's, each of them joined by `, `.
 */
function besideHeadBaggage(head: string, fields: HeadFields, drops: Pick<DropCounter, 'add'>): HeadFields {
  const callers = headHasField(head, 'baggage') ? traceFieldsOfHead(head, ', ').baggage : undefined;
  if (callers === undefined) return fields;
  const kept: HeadFields = [];
  for (const [name, value] of fields) {
    const rest = name === 'baggage' ? baggageBeside(callers, value, drops, ', ') : value;
    if (rest !== undefined) kept.push([name, rest]);
  }
  return kept;
}

/** Whether the request has the field, in its headers or in the head it has written out. */
function hasField(request: ClientRequest, name: string): boolean {
  if (!request.headersSent) return request.getHeader(name) !== undefined;
  const head = unsentHead(request);
  return head !== undefined && headHasField(head, name);
}

/**
 * A response without a body is whole once its headers are in. Its 'end' waits for a read that a
 * caller checking the status (of a HEAD, say) never makes.
 */
function hasNoBody(request: ClientRequest, response: IncomingMessage): boolean {
  const status = response.statusCode;
  return (
    request.method === 'HEAD' ||
    status === 204 ||
    status === 304 ||
    response.headers?.['content-length'] === '0'
  );
}

/**
 * `http.client.response.finish`: published when the response's headers have arrived. The call
 * lasts until its body has been read to the end or fails, as a fetch does; a body the caller
 * never reads ends it when the connection closes.
 */
export function onHttpResponseFinish(message: unknown): void {
  const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
  if (!request) return;
  const call = calls.get(request);
  if (!call) return;
  if (typeof response?.statusCode === 'number') call.status(response.statusCode);
  if (typeof response?.once !== 'function' || hasNoBody(request, response)) {
    calls.delete(request);
    call.end();
    return;
  }
  requestOf.set(response, request);
  response.once('end', endOnResponseEnd);
  // errorMonitor: an 'error' listener of sightline's would count as the caller handling it.
  response.once(errorMonitor, failOnResponseError);
}

export function onHttpRequestError(message: unknown): void {
  const { request, error } = message as { request?: ClientRequest; error?: unknown };
  if (!request) return;
  const call = calls.get(request);
  if (!call) return;
  calls.delete(request);
  call.error(resetByCaller(request, error, false) ? abortError() : error);
}

/**
 * Whether the error is an ECONNRESET Node reports for a request the caller destroyed or aborted
 * (node-fetch on an abort, superagent on its timeout): `socket hang up` before its answer,
 * `aborted` for a body cut short, which would pass for the server resetting the connection. Node
 * reports a server hanging up before the answer while the request is still whole; once answered,
 * the request is destroyed either way and only an abort tells.
 */
function resetByCaller(request: ClientRequest, error: unknown, answered: boolean): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' && (request.aborted || (!answered && request.destroyed));
}
