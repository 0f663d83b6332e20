import http from 'node:http';
import https from 'node:https';
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

/** Whether no listener of the server's other than sightline's answers, this one the first. */
function answersAlone(server: http.Server, listener: unknown): boolean {
  if (server.listenerCount('clientError') === 1) return true;
  const listeners = server.listeners('clientError') as Array<{ [LISTENER]?: true }>;
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

/**
 * Counts in `http.server.rejected_requests` the requests an HTTP/1 server refuses before any
 * handler runs, which no span or request metric sees: malformed ones (400), headers too large
 * (431), a request whose headers or body did not come in time (`headersTimeout`,
 * `requestTimeout`: 408), a slowloris' or a broken client's. Node tells them on the server's
 * 'clientError' event only. A listener there takes Node's answer away, so while sightline's is the
 * only listener it answers as Node does; beside the app's or Fastify's it only counts. A client's
 * reset is no refusal, and a request already handed to the app is recorded by its own span.
 * Once per server: nothing per request.
 */
export function watchRejectedRequests(server: unknown, instance: () => Sightline | undefined): void {
  if (!(server instanceof http.Server || server instanceof https.Server)) return;
  const watched = watchedServers();
  if (watched.has(server)) return;
  watched.add(server);
  const listener = function sightlineRejected(this: http.Server, error: unknown, socket: unknown) {
    const s = socket as ClientSocket;
    const code = (error as { code?: unknown } | null | undefined)?.code;
    const refused =
      typeof code === 'string' && (code === 'ERR_HTTP_REQUEST_TIMEOUT' || PARSE_ERROR.test(code));
    // Whether the request was handed to the app is the parser's to tell, not the response in
    // flight: one the app answered before its body came whole has none, and one sent behind a
    // request still being answered was never handed over.
    const incoming = s.parser?.incoming;
    if (refused && (incoming == null || incoming.complete === true)) {
      try {
        const obs = instance();
        if (obs !== undefined)
          rejectedCounter(obs).add(1, {
            'error.type': code,
            'url.scheme': s.encrypted === true ? 'https' : 'http',
          });
      } catch {
        // Counting never stands in the way of the answer.
      }
    }
    if (answersAlone(this, listener)) answerAsNode(error, s, code);
  };
  Object.defineProperty(listener, LISTENER, { value: true });
  server.on('clientError', listener);
}

/** Node's own handling of a client error, which a 'clientError' listener replaces. */
function answerAsNode(error: unknown, socket: ClientSocket, code: unknown): void {
  if (socket.writable === true && (socket._httpMessage == null || socket._httpMessage._headerSent !== true)) {
    const status = NODE_ANSWERS.get(code) ?? 400;
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy(error as Error);
}
