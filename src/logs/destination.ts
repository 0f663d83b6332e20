import pino, { type DestinationStream } from 'pino';
import type { LogStream } from '../config/types.js';
import type { LogSink } from '../export/types.js';
import type { DropCounter } from '../internal/drops.js';
import { formatPretty } from './pretty.js';

const IN_FLIGHT_WAIT_MS = 50;
/**
 * Bytes of lines waiting for stdout: when its reader falls behind (a stalled log collector), the
 * lines beyond this are dropped and counted as `log_stdout_full`, rather than held without bound.
 */
const STDOUT_BUFFER_BYTES = 16 * 1024 * 1024;
/** The longest a synchronous flush (at exit, after `fatal`) waits on a full pipe before it gives up. */
const SYNC_FLUSH_MS = 1000;

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface FanoutDestination extends DestinationStream {
  flush(): Promise<void>;
  /** Writes what is buffered before the process dies (uncaught exception, signal). */
  flushSync(): void;
  close(): Promise<void>;
}

export interface DestinationOptions {
  /** Replaces stdout; when absent, lines go to stdout through an asynchronous writer. */
  stream: LogStream | undefined;
  pretty: boolean;
  sinks: readonly LogSink[];
  /** Where the lines stdout's writer drops, its buffer full, are counted. */
  drops: DropCounter;
}

/**
 * The one place log lines leave the logger: stdout (or the user's stream) plus each adapter's
 * sink. Sinks get the line without its newline; a sink that throws loses that line, not the caller.
 */
export function createDestination(options: DestinationOptions): FanoutDestination {
  const boom = options.stream ? undefined : stdoutWriter(options.drops);
  const primary: LogStream = options.stream ?? boom!;
  const sinks = options.sinks;
  const pretty = options.pretty;
  const drops = options.drops;
  // The caller's stream may write asynchronously: a rejection would end the process as unhandled.
  const lost = options.stream ? () => drops.add('log_stream_error') : undefined;

  return {
    write(line: string) {
      try {
        const written = primary.write(pretty ? formatPretty(line) : line);
        if (lost !== undefined && isThenable(written)) Promise.resolve(written).then(undefined, lost);
      } catch {
        // A closed stdout or a failing stream must not take the caller down.
        lost?.();
      }
      if (sinks.length === 0) return;
      const bare = line.endsWith('\n') ? line.slice(0, -1) : line;
      for (const sink of sinks) {
        try {
          sink.write(bare);
        } catch {
          // Sinks count their own drops; this guard only keeps the caller safe.
        }
      }
    },
    flushSync() {
      try {
        // A write already handed to the thread pool lands without the event loop, possibly after
        // a synchronous write of the lines behind it: the crash's last line would then not be last.
        // Give it a moment first. Only at exit, and only while a write is in flight. Its completion
        // cannot be seen without the event loop: if stdout's reader has fallen behind and the pipe
        // is full, the write in flight can still land after these lines.
        if ((boom as unknown as { _writing?: unknown } | undefined)?._writing === true)
          pause(IN_FLIGHT_WAIT_MS);
        boom?.flushSync();
      } catch {
        // Nothing buffered, or stdout already gone.
      }
    },
    flush() {
      return new Promise<void>((resolve) => {
        if (!boom) return resolve();
        try {
          boom.flush(() => resolve());
        } catch {
          resolve();
        }
      });
    },
    async close() {
      // stdout stays open for the rest of the process; only make sure our buffer is written.
      await this.flush();
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * stdout through pino's asynchronous writer, its buffer bounded. A full pipe is retried for as long
 * as it takes by the writes in the background, but a synchronous flush (ours at exit, pino's own
 * exit hook, `fatal`) gives up after {@link SYNC_FLUSH_MS}: it would otherwise block the process,
 * or keep `process.exit()` from returning, for as long as the reader stalls. Once one has given up,
 * the next gives up at once until a background write gets through; what it leaves is lost.
 */
function stdoutWriter(drops: DropCounter): ReturnType<typeof pino.destination> {
  let deadline = 0; // while a synchronous flush runs
  let stalled = false;
  const boom = pino.destination({
    dest: 1,
    sync: false,
    minLength: 0,
    maxLength: STDOUT_BUFFER_BYTES,
    retryEAGAIN: () => deadline === 0 || performance.now() < deadline,
  });
  boom.on('write', () => {
    stalled = false;
  });
  boom.on('drop', () => drops.add('log_stdout_full'));
  const flushSync = boom.flushSync.bind(boom);
  boom.flushSync = () => {
    if (stalled) return;
    deadline = performance.now() + SYNC_FLUSH_MS;
    try {
      flushSync();
    } catch {
      // Given up on a full pipe, or stdout already gone; pino's exit hook calls this unguarded.
      stalled = true;
    } finally {
      deadline = 0;
    }
  };
  return boom;
}
