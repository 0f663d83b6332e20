/** ws marks the socket with its WebSocket, under a symbol of its own, once it has sent the 101. */
export function switchedByWs(socket: unknown): boolean {
  if (typeof socket !== 'object' || socket === null) return false;
  for (const key of Object.getOwnPropertySymbols(socket)) if (key.description === 'websocket') return true;
  return false;
}
