import type { LogStream } from '../config/types.js';
import { realClearTimeout, realSetTimeout } from '../internal/node-timers.js';

/** A caller's stream that is a Node.js `Writable`, whose write callback says when a line is out. */
export interface TrackedWrites {
  write(line: string): unknown;
  /** Resolves once the lines handed over so far are written (or failed), or after `waitMs`. */
  written(waitMs: number): Promise<void>;
}

/**
 * A Node.js `Writable` (an `fs.WriteStream`, a socket) has no flush: what it buffers, and the file
 * it is still opening, are lost to a `process.exit()` after `shutdown()`. Its write callback, called
 * in order once each line is out, is what a flush waits for. Other streams: `undefined`.
 */
export function trackWrites(stream: LogStream): TrackedWrites | undefined {
  if (typeof (stream as { writableLength?: unknown }).writableLength !== 'number') return undefined;
  const write = stream.write as (line: string, done: () => void) => unknown;
  let sent = 0;
  let done = 0;
  const waiting = new Set<{ upTo: number; resolve: () => void }>();
  const onWritten = () => {
    done++;
    for (const w of waiting) if (w.upTo <= done) w.resolve();
  };
  return {
    write(line) {
      sent++;
      try {
        return write.call(stream, line, onWritten);
      } catch (error) {
        sent--;
        throw error;
      }
    },
    written(waitMs) {
      if (done >= sent) return Promise.resolve();
      return new Promise((resolve) => {
        const w = {
          upTo: sent,
          resolve: () => {
            realClearTimeout(timer);
            waiting.delete(w);
            resolve();
          },
        };
        const timer = realSetTimeout(w.resolve, waitMs);
        timer.unref();
        waiting.add(w);
      });
    },
  };
}
