import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { type Context, context } from '@opentelemetry/api';

/**
 * Calls `next` in the request's context, and has the listeners of its stream run there too while
 * its body is still to come. Node emits the body's `data` and `end` from the connection's parser,
 * in the context the connection was accepted in: a body read from those events (by hand, by multer
 * or busboy, by a Fastify content-type parser) would run its callbacks, and the handlers a
 * middleware hands on to from `end`, outside the request's span, their log lines without its ids
 * and their calls out starting traces of their own. A request without a body (most) is only entered: its
 * `end` is emitted once a reader asks for it, from the reader's own context, the request's.
 */
export function enterRequest(ctx: Context, req: IncomingMessage, next: () => void): void {
  if (hasBodyToCome(req)) context.with(ctx, emitInThisContext, undefined, req, next);
  else context.with(ctx, next);
}

function hasBodyToCome(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const headers = req.headers;
  const length = headers['content-length'];
  if (headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) return true;
  if (req.httpVersionMajor !== 2) return false;
  // HTTP/2 may send a body with neither header; a stream ended with its headers has none.
  const stream = (req as { stream?: { endAfterHeaders?: unknown } }).stream;
  return stream !== undefined && stream.endAfterHeaders !== true;
}

/**
 * An async resource made here holds the context entered: running each event in its scope swaps
 * that context in (a frame switch on Node 24, where `context.with` for each event cost three times
 * as much, copying the frame).
 */
function emitInThisContext(req: IncomingMessage, next: () => void): void {
  const scope = new AsyncResource('sightline.requestBody');
  const emit = req.emit;
  req.emit = function emitInRequestContext(this: IncomingMessage, ...args: Parameters<typeof emit>) {
    return scope.runInAsyncScope(emit, this, ...args);
  } as typeof emit;
  next();
}
