import { watchSessionIdleTimeout } from './idle-timeout.js';

/** HTTP/2 streams the client reset, whatever the code it gave. */
const resetByClient = new WeakSet<object>();
/** The session of a stream destroyed on the server's side, which the stream forgets as it closes. */
const sessionAtClose = new WeakMap<object, object>();

function onAborted(this: { destroyed?: boolean; session?: object }): void {
  // Node emits 'aborted' as the stream closes. When the server destroys it, the stream reads
  // destroyed by then; a reset from the client closes it first and destroys it after.
  if (this.destroyed !== true) resetByClient.add(this);
  else if (this.session !== undefined) sessionAtClose.set(this, this.session);
}

/**
 * Watches the HTTP/2 stream of a response (none over HTTP/1) for a reset from the client, which
 * may carry NGHTTP2_NO_ERROR (Node's `stream.close()` and `stream.destroy()` send that), the code
 * a stream the server cuts off closes with too; and its session for Node's idle timeout.
 */
export function watchStreamReset(res: unknown): void {
  const stream = (res as { stream?: { once?: unknown; session?: unknown } } | null | undefined)?.stream;
  if (typeof stream?.once !== 'function') return;
  (stream as NodeJS.EventEmitter).once('aborted', onAborted);
  watchSessionIdleTimeout(stream.session);
}

/** The session a stream the server's side destroyed was on (see watchStreamReset). */
export function sessionOfClosed(stream: object): object | undefined {
  return sessionAtClose.get(stream);
}

/** Whether the client reset the stream (see watchStreamReset). */
export function streamResetByClient(stream: object): boolean {
  return resetByClient.has(stream);
}
