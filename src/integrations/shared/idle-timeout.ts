import { Socket } from 'node:net';

const watched = new WeakSet<Socket>();
const timedOut = new WeakSet<object>();

function noteTimeout(this: Socket): void {
  // Node's own listener, added when the connection came, has run: it destroys the socket unless
  // the request, the response or the server took the timeout.
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

/** Whether Node closed the connection on its idle timeout. */
export function closedOnIdleTimeout(socket: unknown): boolean {
  return typeof socket === 'object' && socket !== null && timedOut.has(socket);
}
