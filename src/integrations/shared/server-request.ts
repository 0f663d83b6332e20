import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Sightline } from '../../api/types.js';
import type { FixedLineLevel } from '../../logs/fixed-line.js';
import { pinoSymbolsOf } from '../../logs/pino-symbols.js';
import { KEY_MATCHER } from '../../logs/quoted-url.js';
import { redactUrl } from '../../logs/url-query.js';
import { recordException } from '../../traces/record-exception.js';
import { isEventStream } from './event-stream.js';
import { errorTypeOf, normalizeMethod, parseHost, setMethodAttributes } from './http-attributes.js';
import { closedOnIdleTimeout } from './idle-timeout.js';
import type { ProxiedRequest } from './proxied-request.js';
import { propagatorOf } from './propagator.js';
import {
  type ActiveSeries,
  type ActiveUpgrade,
  type HttpServerInstruments,
  httpServerInstruments,
  webSocketSessions,
} from './instruments.js';
import type { ResolvedHttpServerOptions } from './options.js';
import { ACCESS_LOG_KEYS, accessLineWriter } from './request-log.js';
import { sessionOfClosed, streamResetByClient } from './stream-reset.js';
import { traceFields } from './trace-fields.js';

/** The route recorded in metrics and the access log when no route matched (a 404, or a middleware answering). */
export const UNMATCHED_ROUTE = 'unmatched';

/** The error type of a response that was never ended: the client went away, unless an error cut it off. */
export const ABORTED = 'aborted';

/** The error type of a request the server gave up on waiting for. */
export const TIMEOUT = 'timeout';

/**
 * The error type of a response the server cut off with no error handed to the framework's hooks
 * (a Fastify reply stream that failed after its headers, a handler's `res.destroy()`).
 */
export const RESPONSE_CUT = 'response_cut';

/**
 * Where the record of a request is kept on Node's request, by the wrapper that started it. Inside a
 * Fastify app, `expressMiddleware()` (mounted through @fastify/express or middie) and the Fastify
 * plugin both see that request: the one that comes second finds the record there and traces the
 * request no second time. Registered so duplicate package copies agree.
 */
export const kServerRequest: unique symbol = Symbol.for('sightline.express.request') as never;

/** What the framework tells about an incoming request, read once at its start. */
export interface ServerRequestInfo {
  method: string | undefined;
  /** The path without the query string. */
  path: string;
  encrypted: boolean;
  headers: IncomingHttpHeaders;
  /** The connection's peer: the client, or the last proxy on the way. */
  peerAddress: string | undefined;
  peerPort: number | undefined;
  /** What the app trusts a proxy to say of the client, scheme and host (see ProxiedRequest). */
  proxied?: ProxiedRequest | undefined;
  httpVersion: string | undefined;
  /** The route template when the framework has matched it before the request starts (Fastify). */
  route?: string | undefined;
  /** A WebSocket request an 'upgrade' listener hands to the app (see isWebSocketUpgrade). */
  webSocket?: boolean;
  /** The connection, on which ws answers a WebSocket's handshake. */
  socket?: unknown;
  /**
   * When the request came in (`performance.now()`), if the framework took it before the wrapper
   * could start its span (Fastify's hooks registered ahead of the plugin's).
   */
  startedAt?: number;
}

/** How a request ended. */
export interface ServerRequestOutcome {
  /** The route template, or undefined when no route matched. */
  route: string | undefined;
  /** The status sent, or undefined when none was (the client went away first). */
  status: number | undefined;
  /** Set when the request failed without a 5xx status of its own, such as 'aborted' or 'timeout'. */
  errorType?: string;
  /**
   * The client went away before its request was whole. An error recorded since (a body parser's
   * 'request aborted') follows from that, so the request stays aborted.
   */
  leftMidRequest?: boolean;
  /** The error the server destroyed the connection with, after the response had started. */
  serverError?: unknown;
  /** A WebSocket request the app sent no HTTP answer to: ws answered its handshake (see webSocketOutcome). */
  upgraded?: boolean;
}

/** Codes a socket is destroyed with when the client went away: a reset, a write to a closed connection. */
const CLIENT_GONE = new Set<unknown>(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
/**
 * What an HTTP/2 stream is destroyed with when its whole connection went: the socket's own error
 * (the client's reset), or the client's GOAWAY with an error code (its `session.destroy(err)`).
 */
const SESSION_GONE = new Set<unknown>([...CLIENT_GONE, 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_STREAM_CANCEL']);
/**
 * NGHTTP2_NO_ERROR: what an HTTP/2 stream the server destroys closes with. A client resets it, with
 * this code or another (see watchStreamReset).
 */
const NO_ERROR = 0;

type SocketLike = { readableEnded?: boolean; errored?: { code?: unknown } | null } | null | undefined;
type StreamLike = { rstCode?: unknown; errored?: { code?: unknown } | null };

/**
 * Whether the connection of an HTTP/2 stream went: a stream a handler destroyed with a connection's
 * error of its own (a proxied upstream's reset piped into the response) leaves its session open,
 * the client still there. A session not known (the stream not watched) is taken for gone.
 */
function sessionGone(stream: object): boolean {
  const session = (sessionOfClosed(stream) ?? (stream as { session?: object }).session) as
    | { destroyed?: unknown }
    | undefined;
  return session?.destroyed !== false;
}

/**
 * Whether the server closed an HTTP/1 connection: the client's end or reset would be on the socket,
 * the latter as an error of its own (ECONNRESET, or EPIPE on a write to the closed connection).
 * A response the server destroyed with an error (`res.destroy(err)`, a `pipeline` into it) holds
 * that error too, which tells an upstream's reset handed on by a proxying handler from the client's.
 */
export function closedByServer(socket: unknown, res?: unknown): boolean {
  const s = socket as SocketLike;
  if (s == null || s.readableEnded === true) return false;
  const errored = s.errored;
  return (
    errored == null ||
    !CLIENT_GONE.has(errored.code) ||
    errored === (res as { errored?: unknown } | null | undefined)?.errored
  );
}

/**
 * How a request whose response never finished ended, given the status sent so far: a timeout when
 * the server's request timeout closed the connection (Node, or Fastify's client error handler,
 * wrote the 408 on the socket itself) or its idle timeout did (see watchIdleTimeout), or that of
 * an HTTP/2 session (see watchSessionIdleTimeout); cut off by the server when nothing came from
 * the client, whether the response had started or not; otherwise the client went away.
 *
 * A client that goes away over HTTP/1 ends its side of the connection or resets it, which leaves
 * the one or the other on the socket; over HTTP/2 it resets the stream, with or without an error
 * code, or drops the whole connection. A socket or HTTP/2 stream the server destroyed with an error of its own (a failed
 * `pipeline` into the response) names the failure by that error; one destroyed with none (Fastify
 * cutting off a failed reply stream) reads `response_cut`. An event stream (`text/event-stream`)
 * the client left had come to its normal end: it has only its status, as OpenTelemetry's HTTP
 * instrumentation records it.
 */
export function unfinishedOutcome(
  socket: unknown,
  res: unknown,
  status: number | undefined,
  leftMidRequest = false,
): Omit<ServerRequestOutcome, 'route'> {
  const s = socket as SocketLike;
  const errored = s?.errored;
  if (errored?.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, errorType: TIMEOUT };
  if (closedOnIdleTimeout(socket)) return { status, errorType: TIMEOUT };
  const stream = (res as { stream?: StreamLike } | null | undefined)?.stream;
  if (stream !== undefined) {
    if (closedOnIdleTimeout(sessionOfClosed(stream))) return { status, errorType: TIMEOUT };
    // A stream the server destroyed with an error closes with NGHTTP2_INTERNAL_ERROR, and a
    // client's reset with a code other than NO_ERROR or CANCEL errors it too: only the reset
    // tells them apart. A connection the client dropped errors every stream on it, with no reset.
    if (!leftMidRequest && !streamResetByClient(stream)) {
      const streamError = stream.errored;
      if (streamError != null) {
        if (!SESSION_GONE.has(streamError.code) || !sessionGone(stream))
          return { status, errorType: ABORTED, serverError: streamError };
      } else if (stream.rstCode === NO_ERROR) return { status, errorType: RESPONSE_CUT };
    }
  } else if (closedByServer(s, res)) {
    // Whether or not an answer had started (a handler's `res.destroy()` before writing one) or the
    // request's body had all come (an upload turned away).
    return errored == null
      ? { status, errorType: RESPONSE_CUT }
      : { status, errorType: ABORTED, serverError: errored };
  }
  if (status !== undefined && !leftMidRequest && isEventStream(res)) return { status };
  return { status, errorType: ABORTED, leftMidRequest };
}

/** One request in flight: its span, the context its handlers run in, and what is needed to finish it. */
export class ServerRequest {
  readonly span: Span;
  readonly context: Context;
  readonly method: string;
  readonly path: string;
  /**
   * A WebSocket request. Ended without an HTTP answer it was a session (see webSocketOutcome),
   * whose duration is recorded apart from the request latency.
   */
  readonly webSocket: boolean;
  /** The route the span was started with, if the framework knew it then (see adopt). */
  private startRoute: string | undefined;
  private scheme: 'http' | 'https';
  /** Four versions only (0.9, 1.0, 1.1 and 2): the duration's series stay few. */
  private readonly protocolVersion: string | undefined;
  private readonly startedAt: number;
  private active: ActiveSeries | ActiveUpgrade;
  private error: unknown;
  private hasError = false;
  private done = false;
  /**
   * Set when the Fastify plugin took over a request `expressMiddleware()` started inside the same
   * app: the plugin's hooks finish it, with the route Fastify matched, which Express never knew.
   */
  adopted = false;
  /**
   * The route an Express app in a Fastify app (@fastify/express) matched, read when the request
   * ends without one of Fastify's: a whole Express app mounted so answers routes Fastify never sees.
   */
  expressRoute: (() => string | undefined) | undefined = undefined;

  /** Whether an error was recorded on the request (see recordError). */
  get hasRecordedError(): boolean {
    return this.hasError;
  }

  /** Whether the request has been recorded: its span ended, its duration and access line written. */
  get finished(): boolean {
    return this.done;
  }

  constructor(
    /** The instance the request reports to. */
    readonly obs: Sightline,
    private readonly instruments: HttpServerInstruments,
    private readonly options: ResolvedHttpServerOptions,
    info: ServerRequestInfo,
  ) {
    this.startedAt = info.startedAt ?? performance.now();
    this.method = normalizeMethod(info.method);
    // Read as the span's `url.path` is: the access line writes it as it is.
    this.path = hideSecrets(obs, info.path);
    this.webSocket = info.webSocket === true;
    const attributes: Attributes = {};
    setMethodAttributes(attributes, info.method, this.method);
    attributes['url.path'] = this.path;
    const scheme = setAddressAttributes(attributes, info);
    const ua = info.headers['user-agent'];
    if (ua !== undefined) attributes['user_agent.original'] = ua;
    // Node's HTTP/2 compatibility API reads `2.0`; the semantic conventions name that version `2`.
    const protocolVersion = info.httpVersion === '2.0' ? '2' : info.httpVersion;
    if (protocolVersion !== undefined) attributes['network.protocol.version'] = protocolVersion;
    this.scheme = scheme;
    this.protocolVersion = protocolVersion;
    // Known at the start, the route reaches samplers and span processors, as the semantic
    // conventions ask, and the span needs no renaming at the end.
    this.startRoute = info.route;
    if (info.route !== undefined) attributes['http.route'] = info.route;

    // Malformed traceparent/tracestate/baggage are dropped by the W3C propagators: a new trace starts.
    const parent = propagatorOf(obs).extract(ROOT_CONTEXT, info.headers, defaultTextMapGetter);
    this.span = obs.tracer.startSpan(
      spanName(this.method, info.route),
      info.startedAt === undefined
        ? { kind: SpanKind.SERVER, attributes }
        : { kind: SpanKind.SERVER, attributes, startTime: info.startedAt },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
    this.active = this.webSocket
      ? instruments.active.enterUpgrade(this.method, scheme, info.socket)
      : instruments.active.enter(this.method, scheme);
  }

  /**
   * Hands the request to the Fastify plugin (see adopted), with the route Fastify matched as it
   * came in: what the request is named by if a handler passes it on to the not-found handler
   * (`reply.callNotFound()`, as @fastify/static does for a missing file), as one the plugin started.
   */
  adopt(route: string | undefined): void {
    this.adopted = true;
    if (this.done || route === undefined || this.startRoute !== undefined) return;
    this.startRoute = route;
    this.span.setAttribute('http.route', route);
    this.span.updateName(spanName(this.method, route));
  }

  /**
   * Takes the scheme, host and client as the Fastify plugin reads them past a proxy the app trusts,
   * for a request `expressMiddleware()` started (see adopted): under @fastify/express or middie,
   * Express reads them under a `trust proxy` of its own, which trusts none unless set apart.
   */
  viewThrough(info: ServerRequestInfo): void {
    if (this.done) return;
    const attributes: Attributes = {};
    const scheme = setAddressAttributes(attributes, info);
    this.span.setAttributes(attributes);
    if (scheme === this.scheme || this.webSocket) return;
    const active = this.instruments.active;
    active.leave(this.active as ActiveSeries);
    this.active = active.enter(this.method, scheme);
    this.scheme = scheme;
  }

  /** Fields naming this request's span, for log lines written outside its context. */
  logFields(): Record<string, string> {
    return traceFields(this.span.spanContext());
  }

  /** Records an error thrown by a handler; the outcome decides whether the request failed. */
  recordError(error: unknown): void {
    if (this.done || (this.hasError && this.error === error)) return;
    this.hasError = true;
    this.error = error;
    recordException(this.span, error);
  }

  /** Ends the span, records the metrics and writes the access log line; only the first call counts. */
  finish(outcome: ServerRequestOutcome): void {
    if (this.done) return;
    if (outcome.serverError !== undefined && !this.hasError) this.recordError(outcome.serverError);
    this.done = true;
    const now = performance.now();
    const seconds = (now - this.startedAt) / 1000;
    const { status } = outcome;
    // A handler that passes its request on to the not-found handler (Fastify's reply.callNotFound(),
    // as @fastify/static does for a missing file) leaves it under the route it matched, which the
    // span has carried since it started.
    const route = outcome.route ?? this.startRoute ?? this.expressRoute?.();
    let errorType = outcome.errorType;
    if (outcome.upgraded === true) {
      if (this.hasError) errorType = errorTypeOf(this.error);
    } else if (errorType === undefined && status !== undefined && status >= 500) {
      errorType = this.hasError ? errorTypeOf(this.error) : String(status);
    } else if (
      (errorType === ABORTED || errorType === RESPONSE_CUT) &&
      this.hasError &&
      outcome.leftMidRequest !== true
    ) {
      // A handler's error after the response started: the framework cut the response off.
      errorType = errorTypeOf(this.error);
    }

    const span = this.span;
    if (route !== this.startRoute && route !== undefined) {
      span.setAttribute('http.route', route);
      span.updateName(spanName(this.method, route));
    }
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    if (errorType !== undefined) {
      span.setAttribute('error.type', errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    // Given a start time, the SDK would end the span on the wall clock, to the millisecond: the
    // monotonic reading keeps it as precise as the duration recorded below.
    span.end(now);

    const { method, scheme, protocolVersion } = this;
    const metricRoute = route ?? UNMATCHED_ROUTE;
    // An upgrade the app answered in HTTP (a route of no WebSocket, a 404, a hook's 401) never became
    // a session: that answer's latency and failure belong with the route's requests.
    const duration = outcome.upgraded === true ? webSocketSessions(this.obs) : this.instruments.duration;
    duration.record(
      seconds,
      `${method}\u0000${scheme}\u0000${protocolVersion}\u0000${metricRoute}\u0000${status ?? ''}\u0000${errorType ?? ''}`,
      () => {
        const attributes: Attributes = {
          'http.request.method': method,
          'url.scheme': scheme,
          'http.route': metricRoute,
        };
        if (protocolVersion !== undefined) attributes['network.protocol.version'] = protocolVersion;
        if (status !== undefined) attributes['http.response.status_code'] = status;
        if (errorType !== undefined) attributes['error.type'] = errorType;
        return attributes;
      },
    );
    if (this.webSocket) this.instruments.active.leaveUpgrade(this.active as ActiveUpgrade);
    else this.instruments.active.leave(this.active as ActiveSeries);

    if (this.options.accessLog) this.writeAccessLog(route, status, errorType, seconds);
  }

  private writeAccessLog(
    route: string | undefined,
    status: number | undefined,
    errorType: string | undefined,
    seconds: number,
  ): void {
    const failed = errorType !== undefined;
    if (!failed && this.options.accessLogSampleRate < 1 && Math.random() >= this.options.accessLogSampleRate)
      return;
    const metricRoute = route ?? UNMATCHED_ROUTE;
    const durationMs = Math.round(seconds * 1e6) / 1e3;
    const message = `${this.method} ${route ?? this.path} ${status ?? errorType ?? ''}`;
    const level: FixedLineLevel =
      (status !== undefined && status >= 500) ||
      (failed && (status === undefined || this.hasError || errorType === RESPONSE_CUT))
        ? 'error'
        : status !== undefined && status >= 400
          ? 'warn'
          : 'info';
    const values = [this.method, metricRoute, this.path, status, durationMs, errorType];
    if (accessLineWriter(this.obs)?.write(level, this.span.spanContext(), values, message)) return;

    const log = this.obs.log;
    // The instance's logger correlates through its mixin (with each backend's field names) when
    // the line is written in the request's context; a logger without one gets the plain fields.
    const hasMixin =
      typeof (log as unknown as Record<symbol, unknown>)[pinoSymbolsOf(log).mixinSym] === 'function';
    const fields: Record<string, unknown> = hasMixin ? {} : this.logFields();
    for (let i = 0; i < ACCESS_LOG_KEYS.length; i++)
      if (values[i] !== undefined) fields[ACCESS_LOG_KEYS[i]!] = values[i];
    // The framework usually reports the end from inside the request's context already.
    if (context.active() === this.context) writeLine(log, level, fields, message);
    else context.with(this.context, writeLine, undefined, log, level, fields, message);
  }
}

/**
 * Sets the span attributes that name the request's scheme, host, client and peer, past a proxy the
 * app trusts (see ProxiedRequest), and returns the scheme.
 */
function setAddressAttributes(attributes: Attributes, info: ServerRequestInfo): 'http' | 'https' {
  const proxied = info.proxied;
  const scheme = proxied?.scheme ?? (info.encrypted ? 'https' : 'http');
  attributes['url.scheme'] = scheme;
  // HTTP/2 names the host in :authority; a Host header is optional there.
  const authority = proxied?.host ?? info.headers.host ?? info.headers[':authority'];
  const host = parseHost(
    typeof authority === 'string' ? authority : undefined,
    scheme === 'https' ? 443 : 80,
  );
  // Without a host (an HTTP/1.0 request with no Host header, a health check's) the port the
  // client asked for is not known either: the scheme's default would name a port the server may
  // not listen on, or none at all on a Unix socket.
  if (host.address !== undefined) {
    attributes['server.address'] = host.address;
    attributes['server.port'] = host.port;
  }
  const clientAddress = proxied?.clientAddress ?? info.peerAddress;
  if (clientAddress !== undefined) attributes['client.address'] = clientAddress;
  // Unless a trusted proxy named the client, the peer is the client, already named: two
  // attributes less on every span.
  if (clientAddress !== info.peerAddress) {
    if (info.peerAddress !== undefined) attributes['network.peer.address'] = info.peerAddress;
    if (info.peerPort !== undefined) attributes['network.peer.port'] = info.peerPort;
  }
  return scheme;
}

/** `METHOD route`, or the method alone until the route is known; unknown methods read `HTTP`. */
function spanName(method: string, route: string | undefined): string {
  const verb = method === '_OTHER' ? 'HTTP' : method;
  return route === undefined ? verb : `${verb} ${route}`;
}

function writeLine(log: Logger, level: 'error' | 'warn' | 'info', fields: object, message: string): void {
  try {
    log[level](fields, message);
  } catch {
    // Writing a log line never throws into the request.
  }
}

/**
 * Starts the span and metrics for a request, or returns undefined when the path is ignored or
 * no instance is available yet (before `init()` the wrappers cost next to nothing).
 */
export function startServerRequest(
  obs: Sightline | undefined,
  options: ResolvedHttpServerOptions,
  info: ServerRequestInfo,
): ServerRequest | undefined {
  if (obs === undefined) return undefined;
  if (options.isIgnored?.(info.path)) return undefined;
  return new ServerRequest(obs, httpServerInstruments(obs), options, info);
}

/**
 * The context a request on an ignored path runs in, or undefined when that is the one it came in
 * (a health check's, most). The request has no span, but the calls its handler makes continue the
 * trace its headers name and carry its baggage, as W3C Trace Context and Baggage ask of a service a
 * request passes through, instead of each starting a trace of its own. Naming none, it is in no
 * trace, as a traced request would start one of its own: a span in the context it came in is no
 * span of its own but the one the server was started in (`listen()` called inside a span, whose
 * context every connection inherits), which would gather every health check's lines and spans.
 */
export function passedThroughContext(obs: Sightline, headers: IncomingHttpHeaders): Context | undefined {
  const parent = propagatorOf(obs).extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  if (parent !== ROOT_CONTEXT) return parent;
  // What a middleware ahead put there besides (baggage) stays.
  const came = context.active();
  return trace.getSpan(came) === undefined ? undefined : trace.deleteSpan(came);
}

/** Runs `fn` in the request's context. */
export function runInRequest<T>(request: ServerRequest, fn: () => T): T {
  return context.with(request.context, fn);
}

/**
 * The path with the secrets a URL may hold hidden as the instance's redaction list names them: its
 * path parameters' (`/cart;jsessionid=...`), and those of a URL given in it, encoded or not
 * (`/r/https%3A%2F%2Fb%2Fcb%3Ftoken%3D...`), or of a query after a `&` written for its `?`.
 */
function hideSecrets(obs: Sightline, path: string): string {
  const isSensitive = (obs.log as unknown as Record<symbol, unknown>)[KEY_MATCHER];
  return typeof isSensitive === 'function' ? redactUrl(path, isSensitive as (key: string) => boolean) : path;
}
