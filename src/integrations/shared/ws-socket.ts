import { librarySymbol } from './library-symbol.js';

/** ws marks the socket with its WebSocket, under a symbol of its own, once it has sent the 101. */
export function switchedByWs(socket: unknown): boolean {
  // A socket ws never took has none: no miss to tell apart from one.
  return typeof socket === 'object' && socket !== null && librarySymbol(socket, 'websocket') !== undefined;
}
