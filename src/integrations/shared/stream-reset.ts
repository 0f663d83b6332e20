/** HTTP/2 streams the client reset, whatever the code it gave. */
const resetByClient = new WeakSet<object>();

function onAborted(this: { destroyed?: boolean }): void {
  // Node emits 'aborted' as the stream closes. When the server destroys it, the stream reads
  // destroyed by then; a reset from the client closes it first and destroys it after.
  if (this.destroyed !== true) resetByClient.add(this);
}

/**
 * Watches the HTTP/2 stream of a response (none over HTTP/1) for a reset from the client, which
 * may carry NGHTTP2_NO_ERROR (Node's `stream.close()` and `stream.destroy()` send that), the code
 * a stream the server cuts off closes with too.
 */
export function watchStreamReset(res: unknown): void {
  const stream = (res as { stream?: { once?: unknown } } | null | undefined)?.stream;
  if (typeof stream?.once === 'function') (stream as NodeJS.EventEmitter).once('aborted', onAborted);
}

/** Whether the client reset the stream (see watchStreamReset). */
export function streamResetByClient(stream: object): boolean {
  return resetByClient.has(stream);
}
