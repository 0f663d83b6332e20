import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context } from '@opentelemetry/api';
import { getSightline } from '../../api/global.js';
import { hideQuotedUrl } from '../../logs/quoted-url.js';
import { enterRequest, passRequest } from '../shared/body-context.js';
import { requestPath } from '../shared/http-attributes.js';
import { watchIdleTimeout } from '../shared/idle-timeout.js';
import {
  type HttpServerOptions,
  type ResolvedHttpServerOptions,
  resolveHttpServerOptions,
} from '../shared/options.js';
import {
  hasForwardingHeaders,
  httpScheme,
  type ProxiedRequest,
  textOrUndefined,
} from '../shared/proxied-request.js';
import { type ChildableLogger, correlatedChild } from '../shared/request-log.js';
import {
  kServerRequest as kRawServerRequest,
  type ServerRequest,
  type ServerRequestInfo,
  type ServerRequestOutcome,
  passedThroughContext,
  startServerRequest,
  TIMEOUT,
  unfinishedOutcome,
} from '../shared/server-request.js';
import { librarySymbol, reportMissingSymbol } from '../shared/library-symbol.js';
import { watchRejectedRequests } from '../shared/rejected-requests.js';
import { sentStatus } from '../shared/sent-status.js';
import { onSocketlessResponseLost } from '../shared/socketless-response.js';
import { watchStreamReset } from '../shared/stream-reset.js';
import { isWebSocketUpgrade, webSocketOutcome } from '../shared/websocket-request.js';

/** Options of the {@link sightlineFastify} plugin. */
export interface FastifyPluginOptions extends HttpServerOptions {}

/** The parts of a Fastify request the plugin reads, typed without importing Fastify. */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  url: string;
  method: string;
  log: ChildableLogger;
  is404?: boolean;
  routeOptions?: { url?: string | undefined; config?: unknown };
  /** The client, scheme and host as the app sees them: past a proxy it trusts (`trustProxy`). */
  ip?: unknown;
  protocol?: unknown;
  host?: unknown;
}

/** The parts of a Fastify reply the plugin reads. */
export interface FastifyReplyLike {
  raw: ServerResponse;
  statusCode: number;
  log: unknown;
  /** Milliseconds since the request came in (Fastify 4+). */
  elapsedTime?: number;
  sent?: boolean;
  send?: (...args: unknown[]) => unknown;
}

type Done = (err?: Error) => void;

/** The parts of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  addHook(name: string, hook: (...args: any[]) => unknown): unknown;
  log?: unknown;
  /** The HTTP server (`http.Server`, `https.Server` or an HTTP/2 one). */
  server?: unknown;
}

/** The plugin's type: a Fastify callback plugin that is not encapsulated (`skip-override`). */
export type SightlineFastifyPlugin = ((
  fastify: FastifyInstanceLike,
  options: FastifyPluginOptions,
  done: Done,
) => void) & { readonly [key: symbol]: unknown };

const kServerRequest = Symbol.for('sightline.fastify.request');
// A request the onRequest hook saw and left alone: an ignored path, or one before init().
const kPassed = Symbol('sightline.fastify.passed');
// The caller's context a request on an ignored path runs in, when its headers name one.
const kCallerContext = Symbol('sightline.fastify.callerContext');
// What an onError hook saw before the request was traced (a hook ahead of the plugin's failed).
const kEarlyError = Symbol('sightline.fastify.earlyError');
// Options Fastify's `register` itself understands; they reach the plugin too.
const FASTIFY_REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers'];
// Where a route's config keeps the URL Fastify routes it by.
const kRoutedUrl = Symbol('sightline.fastify.routedUrl');

type Tracked = FastifyRequestLike & {
  [kServerRequest]?: ServerRequest;
  [kPassed]?: true;
  [kCallerContext]?: Context;
  [kEarlyError]?: unknown;
};

type RawTracked = IncomingMessage & { [kRawServerRequest]?: ServerRequest };

/**
 * The record `expressMiddleware()`, mounted through @fastify/express or middie in a hook ahead of
 * the plugin's, started for the request, taken over: the plugin's hooks finish it, with the route
 * Fastify matched. Undefined when there is none.
 */
function adoptStarted(request: Tracked): ServerRequest | undefined {
  const raw = request.raw as RawTracked;
  const started = raw[kRawServerRequest];
  if (started !== undefined) {
    started.adopt(routeOf(request));
    request[kServerRequest] = started;
    if (hasForwardingHeaders(raw.headers)) started.viewThrough(requestInfo(request, 0));
  }
  return started;
}

function routeOf(request: FastifyRequestLike): string | undefined {
  if (request.is404) return undefined;
  const options = request.routeOptions;
  const routed = (options?.config as { [kRoutedUrl]?: unknown } | undefined)?.[kRoutedUrl];
  const url = typeof routed === 'string' ? routed : options?.url;
  return typeof url === 'string' && url.length > 0 ? url : undefined;
}

/** The options of a route an onRoute hook is given, as far as its URL goes. */
interface RoutedOptions {
  url?: unknown;
  config?: unknown;
}

/**
 * Keeps in a route's config the URL Fastify routes it by. `routeOptions.url` is the URL the route
 * was declared with, before onRoute hooks (a plugin's, run after this one's) changed it, which
 * two routes a hook moved apart would share. Fastify copies the config once they have all run,
 * which reads the URL through the getter; the slash variant of a prefix's `/` route, which gets
 * a copy of the same config later on, keeps the URL of the route it varies.
 */
function keepRoutedUrl(route: RoutedOptions): void {
  let url: unknown;
  const config = { ...(route.config as object | undefined) };
  Object.defineProperty(config, kRoutedUrl, {
    enumerable: true,
    get: () => {
      url ??= route.url;
      return url;
    },
  });
  route.config = config;
}

/**
 * What Fastify makes of the request's X-Forwarded-* headers: under `trustProxy`, the client past
 * the proxies it trusts, and the scheme and host the last one names; otherwise the connection's.
 */
function trustedProxyView(request: FastifyRequestLike): ProxiedRequest | undefined {
  try {
    return {
      clientAddress: textOrUndefined(request.ip),
      scheme: httpScheme(request.protocol),
      host: textOrUndefined(request.host),
    };
  } catch {
    // A getter that throws leaves the connection's own view.
    return undefined;
  }
}

function finish(request: Tracked, outcome: ServerRequestOutcome): void {
  const tracked = request[kServerRequest];
  if (tracked === undefined) return;
  try {
    tracked.finish(outcome);
  } catch {
    // Ending a span or writing a log line never breaks the request.
  }
}

/**
 * A response closed without 'finish'. The request completed if the handler ended the response,
 * even when the client hung up before the last bytes were flushed; otherwise the client went
 * away, unless the server cut off the response it had started.
 */
function finishUnfinished(request: Tracked, reply: FastifyReplyLike): void {
  const res = reply.raw;
  const status = res.headersSent ? sentStatus(res) : undefined;
  finish(request, {
    route: routeOf(request),
    // Fastify destroys a response whose reply stream fails after the headers went out, and passes
    // the error to no hook: unfinishedOutcome tells that from a client going away.
    ...(res.writableEnded
      ? { status: sentStatus(res) }
      : request[kServerRequest]?.webSocket
        ? webSocketOutcome(request.raw.socket, status)
        : unfinishedOutcome(request.raw.socket, res, status)),
  });
}

/** The options of a route @fastify/websocket serves: `handler` is the WebSocket's, or `wsHandler`. */
interface WebSocketRouteOptions {
  websocket?: unknown;
  handler?: unknown;
  wsHandler?: unknown;
}

type WebSocketHandler = (this: unknown, socket: unknown, request: unknown) => unknown;

/** Records what a WebSocket handler, called with the socket and the request, throws or rejects with. */
function recordingThrows(handler: unknown): unknown {
  if (typeof handler !== 'function') return handler;
  const wrapped = handler as WebSocketHandler;
  return function sightlineWebSocketHandler(this: unknown, socket: unknown, request: unknown) {
    const tracked = (request as Tracked | null | undefined)?.[kServerRequest];
    if (tracked === undefined) return wrapped.call(this, socket, request);
    const record = (error: unknown) => {
      try {
        tracked.recordError(error);
      } catch {
        // Recording never stands in the way of the plugin's error handling.
      }
    };
    let result: unknown;
    try {
      result = wrapped.call(this, socket, request);
    } catch (error) {
      record(error);
      throw error;
    }
    // The handler's own promise goes back: whoever handled its rejection still does.
    if (result instanceof Promise) {
      result.then(undefined, record);
      return result;
    }
    if (!takenAsPromise(result)) return result;
    // Another thenable the plugin takes as one (a Bluebird promise, an async function compiled for
    // an old target) is settled once, through a promise of ours the plugin then catches: its `then`
    // may start the work (a query builder's), which a call of ours and one of the plugin's would run twice.
    const settled = Promise.resolve(result);
    settled.then(undefined, record);
    return settled;
  };
}

/** What @fastify/websocket takes for a promise: a value with `catch`, which it calls. */
function takenAsPromise(value: unknown): value is PromiseLike<unknown> {
  try {
    const candidate = value as { then?: unknown; catch?: unknown } | null | undefined;
    return typeof candidate?.catch === 'function' && typeof candidate.then === 'function';
  } catch {
    return false;
  }
}

function requestInfo(request: FastifyRequestLike, startedAt: number): ServerRequestInfo {
  const raw = request.raw;
  const proxied = hasForwardingHeaders(raw.headers) ? trustedProxyView(request) : undefined;
  return rawRequestInfo(raw, sentPath(raw, request.url), proxied, routeOf(request), startedAt);
}

/**
 * The path the client sent, which Fastify's `rewriteUrl` keeps in `originalUrl` before routing by
 * another (`url`): as the request target's path in `url.path` and `ignore`, as under Express
 * (`req.originalUrl`).
 */
function sentPath(raw: IncomingMessage, url: string | undefined): string {
  const original = (raw as IncomingMessage & { originalUrl?: unknown }).originalUrl;
  return requestPath(typeof original === 'string' ? original : (url ?? '/'));
}

function rawRequestInfo(
  raw: IncomingMessage,
  path: string,
  proxied: ProxiedRequest | undefined,
  route: string | undefined,
  startedAt: number,
): ServerRequestInfo {
  const socket = raw.socket as (typeof raw.socket & { encrypted?: boolean }) | undefined;
  return {
    method: raw.method,
    path,
    encrypted: socket?.encrypted === true,
    headers: raw.headers,
    peerAddress: socket?.remoteAddress,
    peerPort: socket?.remotePort,
    proxied,
    httpVersion: raw.httpVersion,
    route,
    webSocket: isWebSocketUpgrade(raw),
    socket,
    startedAt,
  };
}

/**
 * Requests of an app that is closing which a Fastify request was made for (the plugin's onRequest
 * hook took them), or which were traced as refused: see traceRefusedWhileClosing.
 */
const seenWhileClosing = new WeakSet<IncomingMessage>();

/**
 * Traces a request Fastify answers with its 503 while the app closes (`return503OnClosing`, the
 * default): one that comes on a connection kept alive, as a load balancer's are, after `close()`
 * began. Fastify answers it before making a request of it, so no hook ever sees it. Its 'request'
 * listener, added when the server was made, has answered it by the time this one runs.
 */
function traceRefusedWhileClosing(
  resolved: ResolvedHttpServerOptions,
  raw: IncomingMessage,
  res: ServerResponse,
): void {
  // Fastify's refusal is a 503: another app's answer on a server shared with it is not one.
  if (!res.writableEnded || res.statusCode !== 503 || seenWhileClosing.has(raw)) return;
  seenWhileClosing.add(raw);
  const obs = resolved.sightline ?? getSightline();
  if (obs === undefined) return;
  // The route it matched is not told: it is recorded as unmatched, as a 404 is.
  // Refused after rewriteUrl routed it: by the path the client sent, as a request let in is.
  const info = rawRequestInfo(raw, sentPath(raw, raw.url), undefined, undefined, performance.now());
  const tracked = startServerRequest(obs, resolved, info);
  if (tracked === undefined) return;
  res.once('close', () => {
    try {
      tracked.finish({ route: undefined, status: res.statusCode });
    } catch {
      // Ending a span or writing a log line never breaks the request.
    }
  });
}

/**
 * When Fastify took the request (`performance.now()`), before the onRequest hooks registered ahead
 * of the plugin's ran: an auth hook's wait for its identity provider is part of the request.
 */
function cameInAt(reply: FastifyReplyLike): number {
  const elapsed = reply.elapsedTime;
  return performance.now() - (typeof elapsed === 'number' ? elapsed : 0);
}

/** Starts tracing a request the plugin's onRequest hook never saw, from when Fastify took it. */
function traceUnseen(
  request: Tracked,
  reply: FastifyReplyLike,
  resolved: ResolvedHttpServerOptions,
): ServerRequest | undefined {
  const started = adoptStarted(request);
  if (started !== undefined) return started;
  const obs = resolved.sightline ?? getSightline();
  if (obs === undefined) return undefined;
  const tracked = startServerRequest(obs, resolved, requestInfo(request, cameInAt(reply)));
  if (tracked !== undefined) {
    request[kServerRequest] = tracked;
    (request.raw as RawTracked)[kRawServerRequest] = tracked;
  }
  return tracked;
}

/**
 * Traces a request answered before the plugin's onRequest hook ran: an onRequest hook registered
 * ahead of it answered (@fastify/cors's preflight, an auth hook's 401) or failed, and Fastify ran
 * no later onRequest hook.
 */
function traceAnsweredEarly(
  request: Tracked,
  reply: FastifyReplyLike,
  resolved: ResolvedHttpServerOptions,
): void {
  if (request[kServerRequest] !== undefined || request[kPassed] === true) return;
  // A hook ahead of the plugin's answered it at once while the app closed: traced as refused already.
  if (seenWhileClosing.has(request.raw)) return;
  const tracked = traceUnseen(request, reply, resolved);
  if (tracked !== undefined && Object.hasOwn(request, kEarlyError)) tracked.recordError(request[kEarlyError]);
}

/**
 * Records the errors a request's error handlers are called with after the first, which Fastify
 * runs no onError hook for: one an error handler throws, rejects with or sends goes to the
 * handler above, and so does one its answer meets on its way out (an onSend hook's, a response
 * schema's serializer's), straight, past `reply.send()`. The answer of the handler above (a
 * 500 page) is what the client gets, and that error is what it answers for. Watched from the
 * first error on, on that reply alone: each answer an error handler sends puts, in place of the
 * handler Fastify calls next, one that records the error first.
 */
function recordErrorHandlerFailures(reply: FastifyReplyLike, tracked: ServerRequest): void {
  const send = reply.send;
  if (typeof send !== 'function') return;
  reply.send = function sightlineSend(this: FastifyReplyLike, ...args: unknown[]) {
    // Fastify ignores what is sent after the reply.
    if (this.sent !== true) {
      try {
        recordNextHandlerErrors(this, tracked, args[0]);
      } catch {
        // Recording never stands in the way of Fastify's error handling.
      }
    }
    return Reflect.apply(send, this, args);
  };
}

/** The error handlers recordNextHandlerErrors put in place, each in a reply's own chain. */
const recordingHandlers = new WeakSet<object>();

/**
 * Fastify keeps the error handler it calls next on the reply, under a symbol of its own (a
 * prototype chain of `{ func }`, up to its default handler): the reply is given, in its place, a
 * copy whose `func` records what it is called with, whatever it is (a `vm` sandbox's error, a
 * client's plain-object rejection, which Fastify takes for errors all the same). Past the default
 * handler, an Error sent is what Fastify's fallback answers for: one the default handler threw
 * (copying an error's `headers` left null), which Fastify sends on without an onError hook. Without
 * that symbol (another Fastify), nothing changes, and diagnostics tell so once.
 */
function recordNextHandlerErrors(reply: object, tracked: ServerRequest, sent: unknown): void {
  const key = librarySymbol(reply, 'fastify.reply.nextErrorHandler');
  if (key === undefined) {
    reportMissingSymbol(
      'fastify',
      'fastify.reply.nextErrorHandler',
      "an error handler's failure is not recorded",
    );
    return;
  }
  const next = (reply as Record<symbol, unknown>)[key];
  if (typeof next !== 'object' || next === null || recordingHandlers.has(next)) return;
  const func = (next as { func?: unknown }).func;
  if (typeof func !== 'function') {
    // The error the default handler sends on is the one it was called with, recorded already.
    if (sent instanceof Error) tracked.recordError(sent);
    return;
  }
  const recording = Object.create(Object.getPrototypeOf(next), Object.getOwnPropertyDescriptors(next));
  recording.func = function sightlineErrorHandler(this: unknown, error: unknown, ...rest: unknown[]) {
    try {
      tracked.recordError(error);
    } catch {
      // Recording never stands in the way of Fastify's error handling.
    }
    return Reflect.apply(func, this, [error, ...rest]);
  };
  recordingHandlers.add(recording);
  (reply as Record<symbol, unknown>)[key] = recording;
}

/**
 * The error of Fastify's last-resort not-found handler, which answers what no route, not even the
 * not-found handler's, matches: over HTTP/2, a method Fastify has no route for at all (`FOO`).
 */
function isUnroutable(error: unknown): boolean {
  return (error as { code?: unknown } | null | undefined)?.code === 'FST_ERR_NOT_FOUND';
}

/**
 * Traces a request the last-resort not-found handler answers. It runs no onRequest hook, and sets
 * up no onResponse hook either: its response's end finishes it.
 */
function traceUnroutable(
  request: Tracked,
  reply: FastifyReplyLike,
  resolved: ResolvedHttpServerOptions,
): void {
  if (traceUnseen(request, reply, resolved) === undefined) return;
  const res = reply.raw;
  res.once('close', () => {
    if (res.writableFinished) finish(request, { route: undefined, status: sentStatus(res) });
    else finishUnfinished(request, reply);
  });
}

function pluginBody(fastify: FastifyInstanceLike, options: FastifyPluginOptions, done: Done): void {
  let resolved: ResolvedHttpServerOptions;
  try {
    resolved = resolveHttpServerOptions(options, 'sightlineFastify', FASTIFY_REGISTER_KEYS);
  } catch (error) {
    // Through done(), so ready()/listen() reject with the coded error instead of a crash.
    done(error as Error);
    return;
  }
  watchRejectedRequests(fastify.server, () => resolved.sightline ?? getSightline());
  // Fastify's null logger (no `logger` option) returns itself from `child`: no child to make then.
  const rootLog = fastify.log as ChildableLogger | undefined;
  const hasLogger =
    rootLog !== undefined && typeof rootLog.child === 'function' && rootLog.child({}) !== rootLog;

  let closing = false;
  fastify.addHook('onRequest', (request: Tracked, reply: FastifyReplyLike, next: Done) => {
    const obs = resolved.sightline ?? getSightline();
    if (closing) seenWhileClosing.add(request.raw);
    // Registered again in a child plugin: the registration above is tracing this request already.
    if (request[kServerRequest] !== undefined) return next();
    const raw = request.raw as RawTracked;
    let tracked = adoptStarted(request);
    if (tracked === undefined) {
      tracked =
        obs === undefined
          ? undefined
          : startServerRequest(obs, resolved, requestInfo(request, cameInAt(reply)));
      if (tracked === undefined) {
        request[kPassed] = true;
        const caller = obs === undefined ? undefined : passedThroughContext(obs, raw.headers);
        if (caller === undefined) return passRequest(reply.raw, next);
        request[kCallerContext] = caller;
        return enterRequest(caller, raw, next, reply.raw);
      }
      request[kServerRequest] = tracked;
      // Where expressMiddleware(), mounted through @fastify/express or middie after the plugin,
      // finds the request traced already.
      raw[kRawServerRequest] = tracked;
    }
    const socket = raw.socket as (typeof raw.socket & { encrypted?: boolean }) | undefined;
    // Fastify's onTimeout reports the timeout, but not for a hijacked reply (a WebSocket, an event stream).
    watchIdleTimeout(socket, raw.httpVersionMajor);
    // Fastify runs onRequestAbort only when req.aborted is set, which Node leaves unset once the
    // body has been read; a reply written to the closed socket then never emits 'finish', so
    // onResponse never runs either. 'close' ends every response, after 'finish' when there is one.
    // A route in a plugin this is registered in that calls reply.callNotFound() is answered by the
    // not-found handler of a context the plugin's onResponse does not reach: 'close' finishes it.
    const res = reply.raw;
    res.on('close', () => {
      // Most responses were finished by onResponse, before 'close': nothing to build for them.
      if (tracked.finished) return;
      if (!res.writableFinished) finishUnfinished(request, reply);
      else finish(request, { route: routeOf(request), status: sentStatus(res) });
    });
    // The client went away while an onRequest hook registered ahead of this one was at work (an auth
    // hook waiting on its identity provider): the response closed before there was a listener.
    if (res.destroyed || socket?.destroyed === true) finishUnfinished(request, reply);
    onSocketlessResponseLost(raw, res, () => finishUnfinished(request, reply));
    watchStreamReset(res);
    if (hasLogger) {
      try {
        const log = correlatedChild(request.log, tracked.context, tracked.logFields());
        // Fastify's not-found line quotes the URL as sent.
        hideQuotedUrl(log, raw.url);
        request.log = log;
        // Fastify writes its own 'request completed' line through reply.log.
        reply.log = log;
      } catch {
        // Keep Fastify's own request logger.
      }
    }
    enterRequest(tracked.context, raw, next, res);
  });

  // Body parsing resumes from stream events: the request's own run in its context (see
  // enterRequest), but a stream a preParsing hook put in its place may emit from elsewhere: enter
  // it again before validation so the handler and its hooks run in the request's span. Without a
  // body Fastify gets here synchronously, still inside that context: entering it again costs a
  // context switch (most of a microsecond on Node 24) for nothing.
  fastify.addHook('preValidation', (request: Tracked, _reply: FastifyReplyLike, next: Done) => {
    const entered = request[kServerRequest]?.context ?? request[kCallerContext];
    if (entered === undefined || context.active() === entered) return next();
    context.with(entered, next);
  });

  fastify.addHook('onError', (request: Tracked, reply: FastifyReplyLike, error: unknown, next: Done) => {
    try {
      const tracked = request[kServerRequest];
      if (tracked !== undefined) {
        tracked.recordError(error);
        recordErrorHandlerFailures(reply, tracked);
      } else if (request[kPassed] !== true && !Object.hasOwn(request, kEarlyError)) {
        if (isUnroutable(error)) traceUnroutable(request, reply, resolved);
        else request[kEarlyError] = error;
      }
    } catch {
      // Recording never stands in the way of Fastify's error handling.
    }
    next();
  });

  // @fastify/websocket calls a route's WebSocket handler itself and hands what it throws to an error
  // handler of its own (which logs it and terminates the connection): no Fastify hook sees it.
  // Registered before that plugin, this hook wraps the handler before the plugin takes it.
  fastify.addHook('onRoute', (route: WebSocketRouteOptions & RoutedOptions) => {
    keepRoutedUrl(route);
    if (route.websocket === true) route.handler = recordingThrows(route.handler);
    else if (typeof route.wsHandler === 'function') route.wsHandler = recordingThrows(route.wsHandler);
  });

  fastify.addHook('onResponse', (request: Tracked, reply: FastifyReplyLike, next: Done) => {
    try {
      traceAnsweredEarly(request, reply, resolved);
    } catch {
      // Tracing never breaks the request.
    }
    // HTTP/2's compatibility response emits 'finish' for a stream the client cancelled too.
    if (reply.raw.writableEnded) finish(request, { route: routeOf(request), status: sentStatus(reply.raw) });
    else finishUnfinished(request, reply);
    next();
  });

  // Fastify runs preClose once its routes answer 503, and before it stops listening.
  const server = fastify.server as Partial<NodeJS.EventEmitter> | undefined;
  const traceRefused = (raw: IncomingMessage, res: ServerResponse) =>
    traceRefusedWhileClosing(resolved, raw, res);
  fastify.addHook('preClose', (next: Done) => {
    if (!closing) {
      closing = true;
      server?.on?.('request', traceRefused);
    }
    next();
  });
  // A server kept across apps (serverFactory: a dev server rebuilding its app on each change)
  // outlives this one: its later requests, another app's, are none of this one's refusals.
  fastify.addHook('onClose', (_instance: unknown, next: Done) => {
    server?.off?.('request', traceRefused);
    next();
  });

  fastify.addHook('onTimeout', (request: Tracked, reply: FastifyReplyLike, next: Done) => {
    finish(request, {
      route: routeOf(request),
      status: reply.raw.headersSent ? sentStatus(reply.raw) : undefined,
      errorType: TIMEOUT,
    });
    next();
  });

  done();
}

/**
 * Fastify 5 plugin that traces, measures and logs each request: a SERVER span named after the
 * route template, prefixes included (`GET /v1/items/:id`), in the caller's trace (W3C
 * `traceparent`); the `http.server.request.duration` and `http.server.active_requests`
 * metrics; the trace ids on Fastify's `request.log` lines; and one access-log line through
 * `obs.log`. Not encapsulated, so it covers every route of the app; register it before the
 * routes. The handler and its hooks run in the span's context, but for `onTimeout`, and
 * `onRequestAbort` of a request without a body, which Fastify runs from the connection's events.
 *
 * Uses the `sightline` option, or the instance `init()` registered, looked up at each request.
 *
 * @throws SightlineConfigError when the app boots (`ready()`/`listen()`) on a bad option.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { init } from 'sightline';
 * import { sightlineFastify } from 'sightline/fastify';
 *
 * const obs = init({ service: 'inventory' });
 * const app = Fastify({ loggerInstance: obs.log });
 * await app.register(sightlineFastify, { ignore: ['/health'] });
 * app.get('/items/:sku', async (request) => ({ sku: (request.params as { sku: string }).sku }));
 * ```
 */
export const sightlineFastify: SightlineFastifyPlugin = Object.assign(pluginBody, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'sightline',
  [Symbol.for('plugin-meta')]: { name: 'sightline', fastify: '5.x' },
});
