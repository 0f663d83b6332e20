import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Counter, Sightline } from '../../api/types.js';

/**
 * What Node's HTTP/1 server answers a request it refuses itself, when no 'clientError' listener
 * answers instead: 400 for any other parse error.
 */
const NODE_ANSWERS = new Map<unknown, number>([
  ['HPE_HEADER_OVERFLOW', 431],
  ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413],
  ['ERR_HTTP_REQUEST_TIMEOUT', 408],
]);

/** Node's parse errors: one per llhttp error, a fixed set. */
const PARSE_ERROR = /^HPE_[A-Z0-9_]{1,60}$/;

/**
 * A TLS client that offers none of the protocols an HTTP/2 server speaks (`http/1.1` alone, to a
 * server without `allowHTTP1`): refused in the handshake.
 */
const NO_PROTOCOL = 'ERR_SSL_NO_APPLICATION_PROTOCOL';

/**
 * The errors nghttp2 refuses a client's HTTP/2 session with, which Node gives the one code
 * ERR_HTTP2_ERROR: named by their nghttp2 error number where a client is their cause.
 */
const NGHTTP2_ERRORS = new Map<unknown, string>([
  [-505, 'NGHTTP2_ERR_PROTO'],
  [-903, 'NGHTTP2_ERR_BAD_CLIENT_MAGIC'],
  [-904, 'NGHTTP2_ERR_FLOODED'],
]);

/** The error.type of a request whose Expect header names anything but 100-continue: its status. */
const EXPECTATION_FAILED = '417';

/**
 * The error.type of a tunnel (HTTP/1's CONNECT) asked of a server that has no 'connect' listener,
 * whose connection Node closes without an answer.
 */
const UNHANDLED_CONNECT = 'unhandled_connect';

/** The error.type of an HTTP/2 CONNECT stream no 'connect' listener takes, which Node answers 405. */
const CONNECT_NOT_ALLOWED = '405';

/** The error.type of a request over the number its connection may carry: its status. */
const REQUESTS_PER_SOCKET_EXCEEDED = '503';

/**
 * The error.type of a TLS client that offers no protocol at all to an HTTP/2 server without
 * `allowHTTP1`, which Node answers with a 403 (its 'unknownProtocol' event).
 */
const UNKNOWN_PROTOCOL = 'unknown_protocol';

type ClientSocket = {
  writable?: boolean;
  encrypted?: boolean;
  destroyed?: boolean;
  // The response in flight on the connection, as Node's own default handling reads it.
  _httpMessage?: { _headerSent?: boolean } | null;
  // The request the connection's parser read last, until its body has been read or dropped.
  parser?: { incoming?: { complete?: boolean } | null } | null;
  write(data: string): unknown;
  destroy(error?: Error): unknown;
};

/**
 * The servers watched, on a global slot: the ESM and CommonJS builds of the package, each loaded
 * by a part of the app, count a server's refusals once between them.
 */
const WATCHED = Symbol.for('sightline.http.rejectedRequests.watched.v1');
/**
 * Marks sightline's listener, whatever copy of the package added it (another version does not
 * share the slot above): when sightline's listeners are a server's only ones, the first answers,
 * as each waiting for another to would leave the socket open and unanswered.
 */
const LISTENER = Symbol.for('sightline.http.rejectedRequests.listener');

function watchedServers(): WeakSet<object> {
  const holder = globalThis as unknown as Record<symbol, WeakSet<object> | undefined>;
  holder[WATCHED] ??= new WeakSet();
  return holder[WATCHED];
}

/** Whether no listener of the server's to `event` other than sightline's answers, this one the first. */
function answersAlone(server: net.Server, event: string, listener: unknown): boolean {
  if (server.listenerCount(event) === 1) return true;
  const listeners = server.listeners(event) as Array<{ [LISTENER]?: true }>;
  return listeners[0] === listener && listeners.every((l) => l[LISTENER] === true);
}

const counters = new WeakMap<Sightline, Counter>();

function rejectedCounter(obs: Sightline): Counter {
  let counter = counters.get(obs);
  if (counter === undefined) {
    counter = obs.metrics.counter('http.server.rejected_requests', {
      unit: '{request}',
      description: 'HTTP requests the server refused before any handler ran, by error.type.',
    });
    counters.set(obs, counter);
  }
  return counter;
}

/** Counts one refusal; counting never stands in the way of the answer. */
function countRejected(instance: () => Sightline | undefined, type: string, encrypted: boolean): void {
  try {
    const obs = instance();
    if (obs !== undefined)
      rejectedCounter(obs).add(1, { 'error.type': type, 'url.scheme': encrypted ? 'https' : 'http' });
  } catch {
    // Counting is best effort.
  }
}

/**
 * A server of node:http2 (`http2.createServer`, `http2.createSecureServer`, Fastify's `http2:
 * true`), whose classes Node does not export: the only net.Server with `updateSettings`.
 */
function isHttp2Server(server: unknown): server is net.Server {
  return (
    server instanceof net.Server &&
    typeof (server as { updateSettings?: unknown }).updateSettings === 'function'
  );
}

/**
 * Counts in `http.server.rejected_requests` the requests a server refuses before any handler
 * runs, which no span or request metric sees: malformed ones (400), headers too large (431), a
 * request whose headers or body did not come in time (`headersTimeout`, `requestTimeout`: 408),
 * a slowloris' or a broken client's; one whose Expect header names anything but 100-continue
 * (417), one over `maxRequestsPerSocket` (503), and a tunnel (CONNECT) with no 'connect' listener
 * to take it. Node tells the first on the server's 'clientError' event only, an HTTP/2 server's
 * too for the HTTP/1 requests `allowHTTP1` lets in.
 * A listener there takes Node's answer away, so while sightline's is the only listener it answers
 * as Node does; beside the app's or Fastify's it only counts. A client's reset is no refusal, and a
 * request already handed to the app is recorded by its own span. Over HTTP/2, see
 * watchHttp2Refusals. Once per server: nothing per request.
 */
export function watchRejectedRequests(server: unknown, instance: () => Sightline | undefined): void {
  const h2 = isHttp2Server(server);
  if (!(h2 || server instanceof http.Server || server instanceof https.Server)) return;
  const watched = watchedServers();
  if (watched.has(server)) return;
  watched.add(server);
  const listener = function sightlineRejected(this: http.Server, error: unknown, socket: unknown) {
    const s = socket as ClientSocket;
    const code = (error as { code?: unknown } | null | undefined)?.code;
    // An HTTP/2 server hands its TLS handshake's failures to 'clientError' too, on a connection
    // HTTP/1's parser never read: of those, only a client offering no protocol it speaks is refused.
    const handshake = h2 && s.parser === undefined;
    const refused =
      typeof code === 'string' &&
      (handshake ? code === NO_PROTOCOL : code === 'ERR_HTTP_REQUEST_TIMEOUT' || PARSE_ERROR.test(code));
    // Whether the request was handed to the app is the parser's to tell, not the response in
    // flight: one the app answered before its body came whole has none, and one sent behind a
    // request still being answered was never handed over.
    const incoming = s.parser?.incoming;
    if (refused && (incoming == null || incoming.complete === true))
      countRejected(instance, code, s.encrypted === true);
    if (!answersAlone(this, 'clientError', listener)) return;
    // Node drops a failed handshake without a word.
    if (handshake) s.destroy(error as Error);
    else answerAsNode(error, s, code);
  };
  Object.defineProperty(listener, LISTENER, { value: true });
  server.on('clientError', listener);
  // Node answers a request expecting anything but 100-continue with a 417 of its own, over HTTP/1
  // and HTTP/2 alike, unless the server has a 'checkExpectation' listener, which is then handed the
  // request instead: sightline's, while the only one, answers as Node does and counts it; beside
  // the app's, which answers, the request is the app's.
  const expectation = function sightlineExpectation(this: net.Server, _request: unknown, response: unknown) {
    if (!answersAlone(this, 'checkExpectation', expectation)) return;
    countRejected(instance, EXPECTATION_FAILED, this instanceof tls.Server);
    const res = response as { writeHead(status: number): unknown; end(): unknown };
    res.writeHead(417);
    res.end();
  };
  Object.defineProperty(expectation, LISTENER, { value: true });
  server.on('checkExpectation', expectation);
  // Node closes the connection of an HTTP/1 tunnel, and answers an HTTP/2 one 405, unless the server
  // has a 'connect' listener, which is then handed it instead: sightline's, while the only one, does
  // as Node does and counts it; beside the app's, the tunnel is the app's.
  const tunnel = function sightlineTunnel(this: net.Server, _request: unknown, target: unknown) {
    if (!answersAlone(this, 'connect', tunnel)) return;
    if (target instanceof net.Socket) {
      countRejected(instance, UNHANDLED_CONNECT, (target as ClientSocket).encrypted === true);
      target.destroy();
      return;
    }
    countRejected(instance, CONNECT_NOT_ALLOWED, this instanceof tls.Server);
    const res = target as { statusCode: number; end(): unknown };
    res.statusCode = 405;
    res.end();
  };
  Object.defineProperty(tunnel, LISTENER, { value: true });
  server.on('connect', tunnel);
  // A request over `maxRequestsPerSocket` on its connection, which Node answers 503 itself: told on
  // 'dropRequest', which Node emits whether or not anything listens.
  server.on('dropRequest', (_request: unknown, socket: unknown) =>
    countRejected(
      instance,
      REQUESTS_PER_SOCKET_EXCEEDED,
      (socket as ClientSocket | null)?.encrypted === true,
    ),
  );
  if (h2) watchHttp2Refusals(server, instance);
}

/**
 * What an HTTP/2 server refuses before any stream reaches the app: a session nghttp2 ends for the
 * client's doing (a connection that does not open with HTTP/2's preface, as an HTTP/1 request
 * sent to a cleartext HTTP/2 server, a protocol error, a flood), on 'sessionError', and a TLS
 * client offering no protocol at all to a server without `allowHTTP1`, which Node answers with a
 * 403 when the app has no 'unknownProtocol' listener. A listener there would take that answer
 * away: the connection is looked at once Node's own listener has handled it. A session the
 * client resets, or ends with an error code of its own, is no refusal. A stream nghttp2 resets
 * itself (more header fields than `maxHeaderListPairs`, one past `maxConcurrentStreams` or
 * `maxSessionMemory`) never reaches JavaScript: not counted, but for the session a client that goes
 * on is ended with, past `maxSessionInvalidFrames` or `maxSessionRejectedStreams`.
 */
function watchHttp2Refusals(server: net.Server, instance: () => Sightline | undefined): void {
  server.on('sessionError', (error: unknown, session: unknown) => {
    const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown };
    // nghttp2's own refusals carry its error number; Node's socket errors are no HTTP/2 errors.
    if (typeof errno !== 'number' || typeof code !== 'string' || !code.startsWith('ERR_HTTP2_')) return;
    const type = (code === 'ERR_HTTP2_ERROR' && NGHTTP2_ERRORS.get(errno)) || code;
    countRejected(instance, type, (session as { encrypted?: unknown } | null)?.encrypted === true);
  });
  if (!(server instanceof tls.Server)) return;
  server.on('secureConnection', (socket: tls.TLSSocket & { parser?: unknown }) => {
    const protocol = socket.alpnProtocol;
    // Node's listener handed an HTTP/1 connection it let in to HTTP/1's parser.
    if (
      (protocol === false || protocol === 'http/1.1') &&
      socket.parser === undefined &&
      server.listenerCount('unknownProtocol') === 0
    )
      countRejected(instance, UNKNOWN_PROTOCOL, true);
  });
}

/** Node's own handling of a client error, which a 'clientError' listener replaces. */
function answerAsNode(error: unknown, socket: ClientSocket, code: unknown): void {
  if (socket.writable === true && (socket._httpMessage == null || socket._httpMessage._headerSent !== true)) {
    const status = NODE_ANSWERS.get(code) ?? 400;
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy(error as Error);
}
