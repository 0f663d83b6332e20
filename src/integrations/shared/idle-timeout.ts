import { Socket } from 'node:net';

const watched = new WeakSet<object>();
const timedOut = new WeakSet<object>();

function noteTimeout(this: { destroyed: boolean }): void {
  // Node's own listener, added when the connection came, has run: it destroys the socket (or the
  // HTTP/2 session) unless the request, the response or the server took the timeout.
  if (this.destroyed) timedOut.add(this);
}

/**
 * Watches an HTTP/1 connection for the idle timeout Node closes it on (`server.setTimeout()`,
 * Fastify's `connectionTimeout`, `res.setTimeout()` without a callback): the socket keeps no
 * trace of it, and a connection closed that way looks like one the client left.
 */
export function watchIdleTimeout(socket: unknown, httpVersionMajor: number): void {
  if (httpVersionMajor !== 1 || !(socket instanceof Socket) || watched.has(socket)) return;
  watched.add(socket);
  socket.on('timeout', noteTimeout);
}

/**
 * Watches an HTTP/2 session for the idle timeout Node destroys it on (`server.setTimeout()`,
 * Fastify's `connectionTimeout`), with every stream still open on it: no stream keeps a trace of
 * it, and one closed that way looks like one the server cut off.
 */
export function watchSessionIdleTimeout(session: unknown): void {
  if (typeof (session as { on?: unknown } | null | undefined)?.on !== 'function') return;
  if (watched.has(session as object)) return;
  watched.add(session as object);
  (session as NodeJS.EventEmitter).on('timeout', noteTimeout);
}

/** Whether Node closed the connection (an HTTP/1 socket, an HTTP/2 session) on its idle timeout. */
export function closedOnIdleTimeout(socket: unknown): boolean {
  return typeof socket === 'object' && socket !== null && timedOut.has(socket);
}
