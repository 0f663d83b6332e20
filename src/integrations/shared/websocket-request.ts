import type { IncomingMessage } from 'node:http';
import type { ServerRequestOutcome } from './server-request.js';
import { switchedByWs } from './ws-socket.js';

const WEBSOCKET = /(?:^|,)\s*websocket\s*(?:,|$)/i;
// express-ws routes a WebSocket as a GET on its path with this added (`app.ws('/chat')` is `/chat/.websocket`).
const EXPRESS_WS_SUFFIX = '/.websocket';

/**
 * Whether the request asks for a WebSocket and came on the server's 'upgrade' event, from which a
 * listener (express-ws, @fastify/websocket) hands it to the app.
 */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  // Node sets it on a request it emits as 'upgrade' (a listener was there), and on no other.
  if ((req as { upgrade?: unknown }).upgrade !== true) return false;
  const upgrade = req.headers.upgrade;
  return typeof upgrade === 'string' && WEBSOCKET.test(upgrade);
}

/**
 * A WebSocket's path or route as the app wrote it in `app.ws()`, without the suffix express-ws
 * routes it by: `/chat/.websocket` is `/chat`, `/.websocket` is `/`.
 */
export function withoutExpressWsSuffix(path: string): string {
  if (!path.endsWith(EXPRESS_WS_SUFFIX)) return path;
  return path.slice(0, -EXPRESS_WS_SUFFIX.length) || '/';
}

/**
 * How a WebSocket request ended when its connection closed with no HTTP answer from the app. ws
 * answered the handshake on the connection itself, a 101 (or a 4xx it refused it with, which is
 * not told to anyone), and the connection then carried the WebSocket until it closed: however it
 * closed says nothing of the request, which failed only if the app reported an error.
 */
export function webSocketOutcome(
  socket: unknown,
  status: number | undefined,
): Omit<ServerRequestOutcome, 'route'> {
  return { status: switchedByWs(socket) ? 101 : status, upgraded: true };
}
