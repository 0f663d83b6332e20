import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

// Per connection, what to call when it closes for the responses on it that have no socket yet.
const waiting = new WeakMap<Socket, Set<() => void>>();

/**
 * Calls `lost` when the connection of a response that has no socket closes before it gets one:
 * nothing else closes or finishes such a response. Two kinds have none:
 *
 * - One queued behind another on a pipelined HTTP/1.1 connection. When the connection goes before
 *   its turn, Node 24 destroys the response, which closes it; Node 22 leaves it, and its request
 *   may have closed long before (once its body was read).
 * - One an 'upgrade' listener made for a request it hands to the app (express-ws, once the
 *   WebSocket handshake is answered). It is never sent: the connection speaks another protocol
 *   until it closes.
 */
export function onSocketlessResponseLost(req: IncomingMessage, res: ServerResponse, lost: () => void): void {
  const socket = req.socket;
  if (res.socket !== null || !(socket instanceof Socket)) return;
  let onClose = waiting.get(socket);
  if (onClose === undefined) {
    const callbacks = new Set<() => void>();
    onClose = callbacks;
    waiting.set(socket, callbacks);
    // One listener per connection, however many requests are queued on it.
    socket.once('close', () => {
      for (const callback of callbacks) callback();
      callbacks.clear();
    });
  }
  const callbacks = onClose;
  callbacks.add(lost);
  // Its turn came: the response closes with the connection it now has.
  res.once('socket', () => callbacks.delete(lost));
}
