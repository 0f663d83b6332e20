import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Listens on an ephemeral loopback port and returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A GET with node:http's global agent, whose JSON body it returns: a call out from a handler. */
export function httpGetJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

/** A plain request with node:http, sent in the ROOT context (no outbound tracing installed in these tests). */
export function request(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Sends a request and destroys it as soon as `serverGotIt` resolves: the client goes away mid-request. */
export async function abortedRequest(
  base: string,
  path: string,
  serverGotIt: Promise<void>,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<void> {
  const req = http.request(`${base}${path}`, {
    method: options.method,
    headers: options.headers,
    agent: false,
  });
  req.on('error', () => {});
  req.end(options.body);
  await serverGotIt;
  req.destroy();
}

/** A GET whose request line names the whole URL (absolute form, as clients send through a proxy); resolves with its status. */
export function absoluteFormGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ hostname, port, path: `${base}${path}`, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/**
 * A GET in HTTP/1.0 with no Host header, as a load balancer's health check may send it, over TCP
 * or a Unix socket; resolves with its status.
 */
export function hostlessGet(
  to: { host: string; port: number } | { path: string },
  path: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(to);
    let reply = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      reply += chunk;
    });
    // HTTP/1.0: the server closes the connection once it has answered.
    socket.on('end', () => resolve(Number(reply.slice(9, 12))));
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.0\r\n\r\n`);
  });
}

/**
 * Sends `requests` (`GET /a`, or `POST /b` with a small JSON body) pipelined on one connection,
 * each answer queued behind the one before, and drops the connection once `serverGotThem` resolves.
 */
export async function pipelinedThenGone(
  base: string,
  requests: string[],
  serverGotThem: Promise<void>,
): Promise<void> {
  const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const body = '{"sku":"A-1"}';
  const head = (request: string) =>
    request.startsWith('POST ')
      ? `${request} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`
      : `${request} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  socket.write(requests.map(head).join(''));
  await serverGotThem;
  socket.destroy();
}

/**
 * Opens a WebSocket on `path` and resolves with the status line of the server's answer once it has
 * come, and `end()`: the client ends the connection, resolving once it has closed. A connection the
 * server closes first closes too. `key: false` leaves out the Sec-WebSocket-Key a handshake needs.
 */
export async function openWebSocket(
  base: string,
  path: string,
  options: { key?: boolean } = {},
): Promise<{ answer: string; end: () => Promise<void>; closed: Promise<void> }> {
  // Half open, so the client never ends first unless told to.
  const socket = net.connect({ port: Number(new URL(base).port), host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  const key = options.key === false ? '' : 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `${key}Sec-WebSocket-Version: 13\r\n\r\n`,
  );
  const [answer] = (await once(socket, 'data')) as [Buffer];
  socket.resume();
  socket.once('end', () => socket.end());
  return {
    answer: answer.toString('latin1').split('\r\n')[0]!,
    end: () => {
      socket.end();
      return closed;
    },
    closed,
  };
}

/**
 * Opens a WebSocket on `path` and resolves with the status line of the server's answer once the
 * connection has closed. The client ends the connection when the answer comes, unless
 * `serverCloses`; `key: false` leaves out the Sec-WebSocket-Key a handshake needs.
 */
export async function webSocketSession(
  base: string,
  path: string,
  options: { key?: boolean; serverCloses?: boolean } = {},
): Promise<string> {
  const session = await openWebSocket(base, path, options);
  await (options.serverCloses === true ? session.closed : session.end());
  return session.answer;
}

/**
 * POSTs the start of a JSON body that announces more and never sends the rest: resolves with the
 * status the server answers on its own (408 from a request timeout), or undefined if it hangs up.
 */
export function unfinishedUpload(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
      agent: false,
    });
    req.on('response', (res) => resolve(res.statusCode));
    req.on('error', () => resolve(undefined));
    req.write('{"sku":');
  });
}

/** GETs `url` on a connection of its own and resolves with the body received by the time it closed, cut off or not. */
export function bodyUntilClosed(url: string): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    http
      .get(url, { agent: false }, (res) => {
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('error', () => {});
        res.on('close', () => resolve(body));
      })
      .on('error', () => resolve(body));
  });
}

/** GETs `url` on a connection of its own and hangs up once the first chunk of the body has come. */
export function leftAfterFirstChunk(url: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => {});
  });
}

/** Waits until `check` returns a value (polling the event loop, no wall-clock assertion). */
export async function eventually<T>(check: () => T | undefined | false, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met');
}

/**
 * A route handler that never answers, and `reached(n)`: a promise that resolves once `n` more
 * requests have come to it.
 */
export function heldRequests(): { handler: () => void; reached: (n: number) => Promise<void> } {
  let waiting = { left: 0, resolve: () => {} };
  return {
    handler: () => {
      if (--waiting.left === 0) waiting.resolve();
    },
    reached: (n) => new Promise<void>((resolve) => (waiting = { left: n, resolve })),
  };
}

/** A promise with its resolve function, for handshakes between the test and a handler. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * Sends a GET of `first` on one kept-alive connection and, once `inFlight` resolves, runs `closing`
 * and sends a GET of `second` on the same connection: a load balancer's connection to an instance
 * that starts to shut down. Resolves with the status of each answer on it once it has closed.
 */
export async function keptAliveThroughClose(
  base: string,
  paths: { first: string; second: string },
  inFlight: Promise<void>,
  closing: () => Promise<void>,
): Promise<number[]> {
  const { hostname, port } = new URL(base);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const closed = once(socket, 'close');
  socket.write(`GET ${paths.first} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`);
  await inFlight;
  const closed503 = closing();
  socket.write(`GET ${paths.second} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`);
  await Promise.all([closed, closed503]);
  return [...received.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

/**
 * The error a call to an upstream that resets its connection fails with (ECONNRESET): what a
 * handler that proxies to it destroys its own response with.
 */
export async function upstreamReset(): Promise<Error> {
  const upstream = net.createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  try {
    return await new Promise<Error>((resolve) =>
      http.get({ host: '127.0.0.1', port, agent: false }, () => {}).on('error', resolve),
    );
  } finally {
    upstream.close();
  }
}

/**
 * Writes `bytes` on a connection of its own and resolves with the status line the server answered
 * with once it has closed the connection (undefined when it answered nothing). An https base is
 * reached over TLS, offering the protocols `alpn` names (none by default).
 */
export async function rawExchange(base: string, bytes: string, alpn?: string[]): Promise<string | undefined> {
  const received = await rawAnswer(base, bytes, alpn);
  return received.length > 0 ? received.split('\r\n')[0] : undefined;
}

/** As rawExchange, all the server answered, as sent. */
export async function rawAnswer(base: string, bytes: string, alpn?: string[]): Promise<string> {
  const { hostname, port, protocol } = new URL(base);
  const socket =
    protocol === 'https:'
      ? tls.connect({ port: Number(port), host: hostname, rejectUnauthorized: false, ALPNProtocols: alpn })
      : net.connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => {});
  // Not once(): a refused handshake's error would reject it before the connection closed. Its
  // end will do: over TLS, a server may hold its side open after answering (Node's 403 to a
  // client offering no HTTP/2, for `unknownProtocolTimeout`).
  const closed = new Promise((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
  socket.write(bytes);
  await closed;
  return received;
}

/** A request whose header block is never ended: a slowloris, or a client that stalled. */
export const STALLED_HEADERS = 'GET /stalled HTTP/1.1\r\nHost: 127.0.0.1\r\n';
/** A header line without a colon, which Node's parser refuses (HPE_INVALID_HEADER_TOKEN). */
export const MALFORMED = 'GET /malformed HTTP/1.1\r\nHost: 127.0.0.1\r\nBroken Header\r\n\r\n';
/** Headers over Node's 16 KiB default (HPE_HEADER_OVERFLOW). */
export const OVERSIZE_HEADERS = `GET /oversize HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;

/**
 * Baggage values whose percent-encoded octets are not UTF-8, as a client that encodes in Latin-1
 * (ü as %FC) or cuts a value short sends them, and as W3C Baggage asks them read: U+FFFD in their
 * place. The last is within the 4096 bytes of an entry as sent, but not with each octet encoded
 * again as U+FFFD's three.
 */
export const NOT_UTF8_BAGGAGE = [
  ['Br%FCck', 'Br\uFFFDck'],
  ['price%20%E2%82', 'price \uFFFD'],
  ['Gr%F6%DFe'.repeat(400), 'Gr\uFFFD\uFFFDe'.repeat(400)],
] as const;
