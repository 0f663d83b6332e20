import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, context } from '@opentelemetry/api';

/**
 * Calls `next` in the request's context, and has the listeners of its stream run there too while
 * its body is still to come. Node emits the body's `data` and `end` from the connection's parser,
 * in the context the connection was accepted in: a body read from those events (by hand, by multer
 * or busboy, by a Fastify content-type parser) would run its callbacks, and the handlers a
 * middleware hands on to from `end`, outside the request's span, their log lines without its ids
 * and their calls out starting traces of their own. An HTTP/1 request without a body (most) is only
 * entered: its `end` is emitted once a reader asks for it, from the reader's own context, the
 * request's.
 *
 * The events of a response run in the request's context too where Node reports its end from
 * elsewhere: its `finish` and `close` (a handler's listeners, Fastify's onResponse hooks) would
 * otherwise run in another request's context, their log lines and calls out naming that request,
 * or in none. A response queued behind another on a pipelined HTTP/1.1 connection has no socket
 * yet: Node hands it one, and writes out what it holds, once the response ahead of it finishes. An
 * HTTP/2 response finishes when its stream closes, told by the session from the connection, as is
 * the request's `close` (after an answer too) and `aborted`.
 */
export function enterRequest(
  ctx: Context,
  req: IncomingMessage,
  next: () => void,
  res?: ServerResponse,
): void {
  const stream = streamsElsewhere(req);
  const held = res !== undefined && endsElsewhere(req, res);
  if (stream || held)
    context.with(ctx, emitInThisContext, undefined, stream ? req : undefined, held ? res : undefined, next);
  else context.with(ctx, next);
}

/**
 * Calls `next` for a request in no trace (an ignored path whose caller named none), in the context
 * it came in: none, or what a middleware ahead (baggage) put there (see passedThroughContext).
 * A response queued behind another on a pipelined connection is held in that context too (see
 * enterRequest): its events would run in that other request's.
 */
export function passRequest(res: ServerResponse, next: () => void): void {
  if (res.socket === null) emitInThisContext(undefined, res, next);
  else next();
}

/**
 * Whether Node reports the response's end outside the request's context (see enterRequest). An
 * HTTP/1 response with its socket, most, finishes from the writes its handler makes.
 */
function endsElsewhere(req: IncomingMessage, res: ServerResponse): boolean {
  return res.socket === null || req.httpVersionMajor === 2;
}

/**
 * Whether Node emits the request's events from outside its context (see enterRequest): an HTTP/1
 * request's while its body is still to come, an HTTP/2 request's always, its `close` and `aborted`
 * told by the session as its stream closes, body or none.
 */
function streamsElsewhere(req: IncomingMessage): boolean {
  if (req.httpVersionMajor === 2) return true;
  if (req.complete) return false;
  const headers = req.headers;
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const kBodyScope = Symbol('sightline.requestBody');

/**
 * The context the events of a request's body, or of a response held with it, run in, and the `emit`
 * they go on to. An async resource made in the request's context holds that context: running each
 * event in its scope swaps it in (a frame switch on Node 24, where `context.with` for each event
 * cost three times as much, copying the frame).
 */
class BodyScope extends AsyncResource {
  constructor(readonly emit: IncomingMessage['emit'] | ServerResponse['emit']) {
    super('sightline.requestBody');
  }
}

/**
 * Every request shares one `emit` that finds its scope on the request: a function made per request
 * and kept on it cost each request with a body about 2 µs more CPU on Node 24, even never called.
 */
function emitInThisContext(
  req: WithBodyScope | undefined,
  res: WithBodyScope | undefined,
  next: () => void,
): void {
  if (req !== undefined) holdEvents(req);
  if (res !== undefined) holdEvents(res);
  next();
}

function holdEvents(emitter: WithBodyScope): void {
  const held = emitter[kBodyScope];
  // Entered again (a second middleware or plugin on a path the first ignored): the emit in place
  // already finds the scope, and wrapping it again would have it call itself. The latest context,
  // the one the handlers run in, holds the emit the first call found.
  if (held !== undefined) emitter[kBodyScope] = new BodyScope(held.emit);
  else {
    emitter[kBodyScope] = new BodyScope(emitter.emit);
    emitter.emit = emitInBodyScope as IncomingMessage['emit'];
  }
}

type WithBodyScope = (IncomingMessage | ServerResponse) & { [kBodyScope]?: BodyScope };

function emitInBodyScope(this: WithBodyScope, ...args: Parameters<IncomingMessage['emit']>): boolean {
  const scope = this[kBodyScope];
  // Only on another emitter the function was copied onto.
  if (scope === undefined) return EventEmitter.prototype.emit.apply(this, args);
  return scope.runInAsyncScope(scope.emit, this, ...args);
}
