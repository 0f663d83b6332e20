import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

// What ws keys the WebSocket of a socket by (ws/lib/constants.js): a symbol of its own.
const kWebSocket = Symbol('websocket');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = /^[+/0-9A-Za-z]{22}==$/;

/** The parts of ws's WebSocket the handlers here use; framing is left out, the connection is what matters. */
export interface FakeWebSocket {
  /** A normal close: ws ends the connection once the close frames are exchanged. */
  close(): void;
  /** Destroys the connection at once, as ws's terminate(). */
  terminate(): void;
}

/** ws's abortHandshake: the refusal is written on the socket itself, which is then destroyed. */
function abortHandshake(socket: Duplex, code: number, message = STATUS_CODES[code] ?? ''): void {
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nConnection: close\r\nContent-Type: text/html\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

/** Why ws refuses a handshake, in its order and words, or undefined when it accepts it. */
function handshakeRefusal(req: IncomingMessage, key: string | undefined): [number, string] | undefined {
  const version = Number(req.headers['sec-websocket-version']);
  if (req.method !== 'GET') return [405, 'Invalid HTTP method'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return [400, 'Invalid Upgrade header'];
  if (key === undefined || !KEY.test(key)) return [400, 'Missing or invalid Sec-WebSocket-Key header'];
  if (version !== 13 && version !== 8) return [400, 'Missing or invalid Sec-WebSocket-Version header'];
  return undefined;
}

/**
 * What ws's `WebSocketServer.handleUpgrade()` does: a handshake it cannot accept is answered with
 * a 400 and the connection closed; otherwise it writes the 101, takes the socket over (marking it
 * with its WebSocket) and calls back.
 */
export function handleUpgrade(req: IncomingMessage, socket: Duplex, cb: (ws: FakeWebSocket) => void): void {
  socket.on('error', () => {});
  const key = req.headers['sec-websocket-key'];
  const refusal = handshakeRefusal(req, key);
  if (refusal !== undefined) {
    abortHandshake(socket, refusal[0], refusal[1]);
    return;
  }
  const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  const ws: FakeWebSocket = { close: () => socket.end(), terminate: () => socket.destroy() };
  (socket as unknown as Record<symbol, unknown>)[kWebSocket] = ws;
  (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
  // ws's socketOnEnd: the peer ended, so does the server.
  socket.on('end', () => socket.end());
  cb(ws);
}

type WsHandler = (
  ws: FakeWebSocket,
  req: IncomingMessage & { ws?: FakeWebSocket },
  next: (err?: unknown) => void,
) => void;

/** express-ws's websocketUrl(): `/chat?x=1` becomes `/chat/.websocket?x=1`. */
function websocketUrl(url: string): string {
  const [path = '', query] = url.split('?');
  const withSlash = path.endsWith('/') ? path : `${path}/`;
  return query === undefined ? `${withSlash}.websocket` : `${withSlash}.websocket?${query}`;
}

/**
 * What express-ws does: `app.ws(route, handler)` is a GET on `route/.websocket`; ws answers the
 * handshake on the server's 'upgrade', and the request then goes through the app with a response of
 * its own that is never sent (a status above 200 the app answers closes the WebSocket instead).
 */
export function expressWs(
  app: {
    get(path: string, ...handlers: unknown[]): unknown;
    handle(req: unknown, res: unknown, done: () => void): void;
  },
  server: Server,
): { ws(route: string, handler: WsHandler): void } {
  server.on('upgrade', (req: IncomingMessage & { ws?: FakeWebSocket; wsHandled?: boolean }, socket) => {
    handleUpgrade(req, socket, (ws) => {
      req.ws = ws;
      req.wsHandled = false;
      req.url = websocketUrl(req.url ?? '/');
      const dummyResponse = new ServerResponse(req);
      dummyResponse.writeHead = ((statusCode: number) => {
        if (statusCode > 200) {
          (dummyResponse as unknown as { _header: string })._header = '';
          ws.close();
        }
      }) as never;
      app.handle(req, dummyResponse, () => {
        if (!req.wsHandled) ws.close();
      });
    });
  });
  return {
    ws(route, handler) {
      app.get(
        websocketUrl(route),
        (
          req: IncomingMessage & { ws?: FakeWebSocket; wsHandled?: boolean },
          _res: unknown,
          next: (err?: unknown) => void,
        ) => {
          if (req.ws == null) return next();
          req.wsHandled = true;
          try {
            handler(req.ws, req, next);
          } catch (err) {
            next(err);
          }
        },
      );
    },
  };
}

const kWs = Symbol('ws-socket');

type FastifyLike = {
  server: Server;
  routing(req: IncomingMessage, res: ServerResponse): void;
  addHook(name: string, hook: (...args: any[]) => unknown): unknown;
  decorateRequest(name: string, value: unknown): unknown;
  log: { warn(obj: object, msg: string): void; error(obj: unknown): void };
};

/**
 * What @fastify/websocket does: the upgrade request goes through Fastify's router with a response
 * on its socket; a route declared after the plugin hijacks the reply and has ws answer the
 * handshake, then a `websocket: true` route gets the WebSocket and any other closes it. Fastify
 * answers an upgrade to a route declared before the plugin, or to no route, in HTTP. An error the handler throws goes to the plugin's own handler
 * (logged, connection terminated), never to Fastify's hooks.
 */
export function fastifyWebsocket(fastify: FastifyLike, _options: object, done: () => void): void {
  fastify.decorateRequest('ws', null);
  fastify.server.on('upgrade', (rawRequest: IncomingMessage & { [kWs]?: Duplex }, socket: Duplex) => {
    rawRequest[kWs] = socket;
    const rawResponse = new ServerResponse(rawRequest);
    try {
      rawResponse.assignSocket(socket as never);
      fastify.routing(rawRequest, rawResponse);
    } catch (err) {
      fastify.log.warn({ err }, 'websocket upgrade failed');
    }
  });
  fastify.addHook('onRequest', (request: any, _reply: unknown, next: () => void) => {
    request.ws = request.raw[kWs] !== undefined;
    next();
  });
  fastify.addHook('onResponse', (request: any, _reply: unknown, next: () => void) => {
    if (request.ws) request.raw[kWs].destroy();
    next();
  });
  // Every route declared after the plugin: an upgrade to one of no WebSocket is accepted and closed.
  fastify.addHook('onRoute', (routeOptions: any) => {
    const wsHandler = routeOptions.websocket ? routeOptions.handler : (ws: FakeWebSocket) => ws.close();
    const handler = routeOptions.websocket
      ? (_request: unknown, reply: any) => reply.code(404).send()
      : routeOptions.handler;
    routeOptions.handler = function (this: unknown, request: any, reply: any) {
      if (!request.raw[kWs]) return handler.call(this, request, reply);
      reply.hijack();
      handleUpgrade(request.raw, request.raw[kWs], (ws) => {
        const terminate = (error: unknown) => {
          request.log.error(error);
          ws.terminate();
        };
        try {
          const result = wsHandler.call(this, ws, request);
          if (result && typeof result.catch === 'function') result.catch(terminate);
        } catch (err) {
          terminate(err);
        }
      });
    };
  });
  done();
}
Object.assign(fastifyWebsocket, { [Symbol.for('skip-override')]: true });
