import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
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

const kBodyScope = Symbol('sightline.requestBody');

/**
 * The context a request's body events run in, and the `emit` they go on to. An async resource made
 * in the request's context holds that context: running each event in its scope swaps it in (a frame
 * switch on Node 24, where `context.with` for each event cost three times as much, copying the frame).
 */
class BodyScope extends AsyncResource {
  constructor(readonly emit: IncomingMessage['emit']) {
    super('sightline.requestBody');
  }
}

/**
 * Every request shares one `emit` that finds its scope on the request: a function made per request
 * and kept on it cost each request with a body about 2 µs more CPU on Node 24, even never called.
 */
function emitInThisContext(req: WithBodyScope, next: () => void): void {
  const held = req[kBodyScope];
  // Entered again (a second middleware or plugin on a path the first ignored): the emit in place
  // already finds the scope, and wrapping it again would have it call itself. The latest context,
  // the one the handlers run in, holds the emit the first call found.
  if (held !== undefined) req[kBodyScope] = new BodyScope(held.emit);
  else {
    req[kBodyScope] = new BodyScope(req.emit);
    req.emit = emitInBodyScope as IncomingMessage['emit'];
  }
  next();
}

type WithBodyScope = IncomingMessage & { [kBodyScope]?: BodyScope };

function emitInBodyScope(this: WithBodyScope, ...args: Parameters<IncomingMessage['emit']>): boolean {
  const scope = this[kBodyScope];
  // Only on another emitter the function was copied onto.
  if (scope === undefined) return EventEmitter.prototype.emit.apply(this, args);
  return scope.runInAsyncScope(scope.emit, this, ...args);
}
