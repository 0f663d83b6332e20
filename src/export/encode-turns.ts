import { realSetImmediate } from '../internal/node-timers.js';

/** Channels waiting to encode, first come first served. */
const waiting: (() => void)[] = [];
let turning = false;

/**
 * Resolves on a later turn of the event loop that no other channel's encode has. Every channel with
 * work at a flush (the spans, the metric points and the log lines of each adapter) starts at once,
 * and encodes run together in one turn would hold the service's requests for all of them: taking
 * turns, the longest stretch is the largest single encode.
 */
export function encodeTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!turning) {
      turning = true;
      realSetImmediate(nextTurn);
    }
  });
}

function nextTurn(): void {
  waiting.shift()?.();
  // The encode runs in the microtask the resolve above queued; the next turn is queued after it,
  // behind what the encode itself queued (a callback, a request's answer due on the next pass). A
  // promise job rather than queueMicrotask, which a test's fake timers (Jest's) may hold.
  void Promise.resolve().then(() => {
    if (waiting.length > 0) realSetImmediate(nextTurn);
    else turning = false;
  });
}
