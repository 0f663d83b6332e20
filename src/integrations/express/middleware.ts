import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { getSightline } from '../../api/global.js';
import { log as moduleLog } from '../../api/proxies.js';
import { enterRequest, passRequest } from '../shared/body-context.js';
import { requestPath } from '../shared/http-attributes.js';
import { watchIdleTimeout } from '../shared/idle-timeout.js';
import { type HttpServerOptions, resolveHttpServerOptions } from '../shared/options.js';
import { correlatedChild } from '../shared/request-log.js';
import { sentStatus } from '../shared/sent-status.js';
import {
  closedByServer,
  kServerRequest,
  type ServerRequest,
  passedThroughContext,
  startServerRequest,
  unfinishedOutcome,
} from '../shared/server-request.js';
import { watchRejectedRequests } from '../shared/rejected-requests.js';
import { onSocketlessResponseLost } from '../shared/socketless-response.js';
import { isWebSocketUpgrade, webSocketOutcome, withoutExpressWsSuffix } from '../shared/websocket-request.js';
import { type RoutedRequest, resolveRouteTemplate } from './route-template.js';
import { trustedProxyView } from './trusted-proxy.js';

/** Options of {@link expressMiddleware}. */
export interface ExpressMiddlewareOptions extends HttpServerOptions {}

/** The parts of an Express request the middleware reads, typed without importing Express. */
export interface ExpressRequestLike extends IncomingMessage, RoutedRequest {
  /** The request's logger, set by the middleware: a child of `obs.log` naming the request's span. */
  log?: Logger;
}

declare global {
  // Express's types read their Request from this namespace, which is how middleware adds to it.
  namespace Express {
    interface Request {
      /** The request's logger, a child of `obs.log` naming its span; set by `expressMiddleware()`. */
      log: Logger;
    }
  }
}

/** `next` as Express passes it. */
export type ExpressNext = (err?: unknown) => void;

/** A middleware function as Express 4 and 5 call it. */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: ExpressNext) => void;

/** An error-handling middleware as Express 4 and 5 call it (four parameters). */
export type ExpressErrorMiddleware = (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: ExpressNext,
) => void;

const kRequestLog = Symbol('sightline.express.requestLog');

// Responses ended but not yet flushed when an error reached expressErrorHandler(): Express's final
// handler destroys the connection then, which cuts them off.
const flushingOnError = new WeakSet<ServerResponse>();

type Tracked = ExpressRequestLike & {
  [kServerRequest]?: ServerRequest;
  /** What was assigned to req.log before the middleware took the request. */
  [kRequestLog]?: ExpressRequestLike['log'];
};

// req.log once built, or whatever was assigned to it, by the request's record. Kept beside the
// request rather than on it: under Node 22 every Express request has a hidden class of its own
// (Express swaps its prototype), so each property sightline added to it cost a new one.
const requestLogs = new WeakMap<ServerRequest, ExpressRequestLike['log']>();

// Most handlers never touch req.log, so its child logger is built on first use. The accessor
// that builds it is defined once on Express's request prototype: defining it on each request
// cost ~6 us (the request object also drops to slow dictionary properties for the rest of its
// life). Express moves requests onto each mounted app's own prototype, all of which inherit
// from the one just above IncomingMessage.prototype; that is where the accessor goes.
const sharedHosts = new WeakSet<object>();

const logAccessor: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: Tracked) {
    const request = this[kServerRequest];
    if (request === undefined) return this[kRequestLog];
    let log = requestLogs.get(request);
    if (log === undefined) {
      log = correlatedChild(request.obs.log, request.context, request.logFields());
      requestLogs.set(request, log);
    }
    return log;
  },
  set(this: Tracked, value: ExpressRequestLike['log']) {
    const request = this[kServerRequest];
    if (request === undefined) this[kRequestLog] = value;
    else requestLogs.set(request, value);
  },
};

function hasSharedLogAccessor(req: Tracked): boolean {
  let host: object | undefined;
  let proto = Object.getPrototypeOf(req) as object | null;
  while (proto !== null && proto !== IncomingMessage.prototype) {
    host = proto;
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  if (proto === null || host === undefined) return false;
  if (sharedHosts.has(host)) return true;
  // Someone else's req.log (another logging middleware): leave it, and fall back per request.
  if ('log' in req) return false;
  try {
    Object.defineProperty(host, 'log', logAccessor);
  } catch {
    return false;
  }
  sharedHosts.add(host);
  return true;
}

function defineOwnLogAccessor(req: Tracked): void {
  Object.defineProperty(req, 'log', { ...logAccessor, enumerable: true });
}

/**
 * The route template of the request in the Express app the middleware runs in, read once the
 * request has been routed: undefined when no route matched, or the walk failed.
 */
function appRoute(
  req: Tracked,
  routedPath: string,
  entryApp: unknown,
  webSocket: boolean,
): () => string | undefined {
  return () => {
    let route: string | undefined;
    try {
      route = resolveRouteTemplate(req, routedPath, entryApp);
    } catch {
      return undefined;
    }
    return route !== undefined && webSocket ? withoutExpressWsSuffix(route) : route;
  };
}

/**
 * Express middleware that traces, measures and logs each request: a SERVER span named after
 * the route template (`GET /users/:id`) in the caller's trace (W3C `traceparent`), the
 * `http.server.request.duration` and `http.server.active_requests` metrics, `req.log` (a child
 * of `obs.log` naming the span) and one access-log line. Handlers and everything they await run
 * in the span's context. Install it first, before the routes.
 *
 * Uses the instance passed as `sightline`, or the one `init()` registered, looked up at each
 * request (so the app may be built before `init()`; until then requests pass through untraced,
 * with `req.log` a child of the module-level `log`).
 *
 * @throws SightlineConfigError at creation, on an unknown option or a bad value.
 * @example
 * ```ts
 * import express from 'express';
 * import { init } from 'sightline';
 * import { expressErrorHandler, expressMiddleware } from 'sightline/express';
 *
 * init({ service: 'checkout' });
 * const app = express();
 * app.use(expressMiddleware({ ignore: ['/health'] }));
 * app.get('/orders/:id', (req, res) => res.json({ id: req.params.id }));
 * app.use(expressErrorHandler());
 * ```
 */
export function expressMiddleware(options?: ExpressMiddlewareOptions): ExpressMiddleware {
  const resolved = resolveHttpServerOptions(options, 'expressMiddleware');
  const instance = () => resolved.sightline ?? getSightline();
  // The server of the requests seen last: Express is given no server, only its requests.
  let watchedServer: unknown;
  return function sightlineExpress(rawReq, res, next) {
    const req = rawReq as Tracked;
    const server = (req.socket as { server?: unknown } | null | undefined)?.server;
    if (server !== watchedServer) {
      watchedServer = server;
      watchRejectedRequests(server, instance);
    }
    const obs = resolved.sightline ?? getSightline();
    // A mounted app with the middleware of its own, or a Fastify app whose sightline plugin ran
    // first: that one is tracing this request already.
    const traced = req[kServerRequest];
    if (traced !== undefined && traced.expressRoute === undefined) {
      // The plugin's: the Fastify app knows none of this Express app's routes.
      const routedPath = requestPath(req.originalUrl ?? req.url ?? '/');
      traced.expressRoute = appRoute(req, routedPath, req.app, false);
    }
    if (obs === undefined || traced !== undefined) {
      // Before init() and after shutdown(), a handler written against req.log still finds a
      // logger: a child of the module-level one, which writes through whichever instance runs when
      // called. The request's own, as it is while one runs: bindings or a level a handler sets on
      // it stay off every other request and the module-level log.
      if (obs === undefined && req.log === undefined) req.log = moduleLog.child({}) as unknown as Logger;
      next();
      return;
    }
    const webSocket = isWebSocketUpgrade(req);
    // Express routes by this path: express-ws has added its suffix to a WebSocket's before the app sees it.
    const routedPath = requestPath(req.originalUrl ?? req.url ?? '/');
    const path = webSocket ? withoutExpressWsSuffix(routedPath) : routedPath;
    const socket = req.socket as (typeof req.socket & { encrypted?: boolean }) | undefined;
    const request = startServerRequest(obs, resolved, {
      method: req.method,
      path,
      encrypted: socket?.encrypted === true,
      headers: req.headers,
      peerAddress: socket?.remoteAddress,
      peerPort: socket?.remotePort,
      proxied: trustedProxyView(req),
      httpVersion: req.httpVersion,
      webSocket,
      socket,
    });
    if (request === undefined) {
      // An ignored path has no span, but a handler written against req.log still finds a logger.
      if (req.log === undefined) req.log = obs.log;
      const caller = passedThroughContext(obs, req.headers);
      if (caller === undefined) passRequest(res, next);
      else enterRequest(caller, req, next, res);
      return;
    }
    req[kServerRequest] = request;
    // The app the middleware was installed in: an app a router mounts (router.use(subApp)) has no
    // parent to walk up to it from.
    const entryApp = req.app;
    const routeOfApp = appRoute(req, routedPath, entryApp, webSocket);
    // The Fastify plugin, taking the request over, names it so when Fastify matched none of its routes.
    request.expressRoute = routeOfApp;
    watchIdleTimeout(socket, req.httpVersionMajor);
    if (Object.hasOwn(req, 'log') || !hasSharedLogAccessor(req)) defineOwnLogAccessor(req);
    // 'close' ends every response that has a socket (for one that has none, see
    // onSocketlessResponseLost). The request completed if the handler ended the response, even
    // when the client hung up before the last bytes were flushed: that is not a server error.
    // Unless the client hung up before sending its whole request: the answer then (a body
    // parser's 400 'request aborted') was written to a closed connection and never reached it.
    // Nor when the server cut off its last bytes after an error (see flushingOnError): once the
    // connection is gone, the response reads as flushed whether its bytes went out or not.
    // A request injected without a connection (light-my-request, as a service's tests drive the
    // app) tells no completeness, and its response never reads as flushed: it came whole.
    const ended = () => {
      if (request.adopted) return;
      const leftMidRequest = req.complete === false && !res.writableFinished;
      const completed =
        res.writableEnded &&
        !leftMidRequest &&
        // Asked first: most requests have no error, and skip the lookup.
        !(
          request.hasRecordedError &&
          flushingOnError.has(res) &&
          req.socket?.destroyed &&
          closedByServer(req.socket)
        );
      const route = routeOfApp();
      request.finish(
        completed
          ? { route, status: sentStatus(res) }
          : {
              route,
              ...(request.webSocket
                ? webSocketOutcome(req.socket, res.headersSent ? sentStatus(res) : undefined)
                : unfinishedOutcome(
                    req.socket,
                    res,
                    res.headersSent && !leftMidRequest ? sentStatus(res) : undefined,
                    leftMidRequest,
                  )),
            },
      );
    };
    // A response closes once, and a second call would find the request finished: `on` spares the
    // wrapper `once` makes, and removes, per request.
    res.on('close', ended);
    onSocketlessResponseLost(req, res, ended);
    enterRequest(request.context, req, next, res);
  };
}

/**
 * Express error middleware that records the error on the request's span (an exception event;
 * the span is marked failed when the response is a 5xx) and always passes it on with
 * `next(err)`: it never answers, swallows or changes the error. Install it after the routes and
 * before your own error handlers, and again after them: an error one of them throws or hands on
 * with `next(err)` reaches only the handlers after it, and Express's final handler answers 500
 * for it, which the request is then named by.
 *
 * @example
 * ```ts
 * app.use(expressMiddleware());
 * app.get('/fail', () => { throw new Error('boom'); });
 * app.use(expressErrorHandler());
 * const lastResort: express.ErrorRequestHandler = (_err, _req, res, _next) => {
 *   res.status(500).json({ error: 'internal' });
 * };
 * app.use(lastResort);
 * app.use(expressErrorHandler());
 * ```
 */
export function expressErrorHandler(): ExpressErrorMiddleware {
  return function sightlineExpressErrors(err, req, res, next) {
    // Called as plain middleware, (req, res, next): @fastify/middie runs every middleware so, error
    // handlers too, and hands errors to Fastify instead. There is no error to record then.
    if (typeof next !== 'function') {
      if (typeof res === 'function') (res as ExpressNext)();
      return;
    }
    try {
      const request = (req as Tracked)[kServerRequest];
      if (request !== undefined) {
        request.recordError(err);
        if (res.writableEnded && !res.writableFinished) flushingOnError.add(res);
      }
    } catch {
      // Recording never stands between the error and the app's own handlers.
    }
    next(err);
  };
}
