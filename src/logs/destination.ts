import { errorMonitor } from 'node:events';
import { fstatSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import pino, { type DestinationStream } from 'pino';
import { flushTimeLeft } from '../export/deadline.js';
import { callGuarded } from '../internal/guarded-call.js';
import { MAX_TIMER_MS } from '../internal/timer-ms.js';
import { realClearTimeout, realSetImmediate, realSetTimeout } from '../internal/node-timers.js';
import type { LogStream } from '../config/types.js';
import type { LogKeys, LogSink } from '../export/types.js';
import type { DropCounter } from '../internal/drops.js';
import { flushStream, flushStreamSync } from './log-stream-flush.js';
import { askForMetadata, passMetadata, wantsMetadata } from './log-stream-metadata.js';
import { retryFullPipeSoon } from './full-pipe-retry.js';
import {
  dropPending,
  flushPendingSync,
  IN_FLIGHT_WAIT_MS,
  linesPending,
  pause,
  type SyncFlushOutcome,
} from './pending-lines-sync.js';
import { formatPretty } from './pretty.js';
import { trackWrites } from './stream-writes.js';

/**
 * Bytes of lines waiting for stdout: when its reader falls behind (a stalled log collector), the
 * lines beyond this are dropped and counted as `log_stdout_full`, rather than held without bound.
 */
const STDOUT_BUFFER_BYTES = 16 * 1024 * 1024;
/** How long a synchronous flush (at exit, after `fatal`) waits on a pipe that stays full before it gives up. */
const SYNC_FLUSH_MS = 1000;
/** The longest it writes to a reader that keeps taking lines: the 16 MiB held need 3.4 MB/s. */
const SYNC_FLUSH_TOTAL_MS = 5000;

export interface FanoutDestination extends DestinationStream {
  /** `done` is the callback pino's `logger.flush(cb)` passes on, given the error the stream's flush reported. */
  flush(done?: (error?: Error) => void): Promise<void>;
  /**
   * Writes what is buffered before the process dies (uncaught exception, signal). `atExit`: the
   * process is exiting, so the lines stdout's writer gives up on are lost, and counted.
   */
  flushSync(atExit?: boolean): void;
  close(): Promise<void>;
}

export interface DestinationOptions {
  /** Replaces stdout; when absent, lines go to stdout through its shared writer. */
  stream: LogStream | undefined;
  /** The keys lines are written with, when stdout is a terminal a person reads: lines go there pretty. */
  pretty: LogKeys | undefined;
  sinks: readonly LogSink[];
  stdout: SharedStdout;
  /** Where lines the `stream` loses are counted. */
  drops: DropCounter;
}

/**
 * stdout's one writer, made on first use, for log lines and for the lines adapters write themselves
 * (EMF documents). A second writer on the same pipe would cut into a line the first had half written
 * when the pipe filled, and would hold what the reader has not taken without bound.
 */
export interface SharedStdout {
  writer(): StdoutWriter;
  /** The writer if it was made, for flushing. */
  existing(): StdoutWriter | undefined;
  /** stdout has failed (EPIPE: its reader has gone): nothing written from now on goes anywhere. */
  closed(): boolean;
  /** Writes what the writer holds, if it was made; see {@link FanoutDestination.flushSync}. */
  flushSync(atExit: boolean): void;
  /**
   * The longest line (its newline included) one write puts in whole between other processes'
   * writes: the pipe's atomic size when stdout is a pipe; undefined otherwise.
   */
  wholeLineBytes(): number | undefined;
  /**
   * Writes one line of an adapter's own (ending in a newline) after the lines before it; `false`
   * when stdout's buffer is full or its reader has gone and the line was dropped, which the adapter
   * counts, not the logger.
   */
  writeLine(line: string): boolean;
}

type StdoutWriter = ReturnType<typeof pino.destination>;
interface StdoutWriterSync {
  boom: StdoutWriter;
  /** Undefined for a writer of another version, flushed as pino flushes it. */
  flushSync(): SyncFlushOutcome | undefined;
  /** The lines still waiting for stdout, the one cut part way included. */
  linesLeft(): number;
}

/** The shared stdout writer; lines it drops while full are counted in `drops` as `log_stdout_full`. */
export function createSharedStdout(drops: DropCounter): SharedStdout {
  let writer: StdoutWriter | undefined;
  let sync: StdoutWriterSync | undefined;
  let own: { dropped: boolean } | undefined;
  let closed = false;
  // The lines an exit leaves are counted once, by whichever exit flush comes first.
  let exitCounted = false;
  const flushSync = (atExit: boolean) => {
    // Once stdout has failed, pino makes its writer's flush a no-op too: nothing more can go out.
    if (closed) return;
    if (sync !== undefined) nonBlockingStdout();
    const outcome = sync?.flushSync();
    if (!atExit || exitCounted || outcome === undefined || outcome === 'written') return;
    exitCounted = true;
    const lines = sync?.linesLeft() ?? 0;
    if (lines > 0) drops.add(outcome === 'closed' ? 'log_stdout_closed' : 'log_stdout_full', lines);
  };
  const get = () => {
    if (writer === undefined) {
      sync = stdoutWriter(() => {
        if (own) own.dropped = true;
        else drops.add('log_stdout_full');
      });
      writer = sync.boom;
      // pino's exit hook, which calls this at exit alone, still flushes the writer once sightline
      // has shut down and no longer does: the lines a shutdown's deadline or a later line left
      // there are counted too.
      writer.flushSync = () => flushSync(true);
      if (!isMainThread) flushAtThreadExit(writer);
      // When stdout fails, the lines the writer holds are lost, and counted. Once its reader has
      // gone (EPIPE), pino makes the writer's write a no-op: nothing more goes out. Any other
      // failure (ENOSPC: a file on a full disk; EIO) pino emits again, which without a listener
      // ended the process: the next line is tried on its own.
      writer.on('error', (error: NodeJS.ErrnoException) => {
        if (error?.code === 'EPIPE') closed = true;
        const lost = dropPending(writer as StdoutWriter);
        if (lost > 0) drops.add('log_stdout_closed', lost);
      });
    }
    return writer;
  };
  return {
    writer: get,
    existing: () => writer,
    closed: () => closed,
    flushSync,
    wholeLineBytes: () => (stdoutIsPipe() ? PIPE_BUF : undefined),
    writeLine(line) {
      const w = get();
      if (closed) return false;
      const write = { dropped: false };
      own = write;
      try {
        // A full buffer drops the line inside this call, reporting it through the callback above.
        w.write(line);
      } finally {
        own = undefined;
      }
      return !write.dropped;
    },
  };
}

/** The stdout writers of this worker thread, flushed as it exits. */
const threadWriters = new Set<WeakRef<StdoutWriter>>();
let threadExitHooked = false;

/**
 * pino's exit hook flushes its writers in the main thread alone: in a worker thread, the lines
 * `process.exit()` found waiting once sightline had shut down (logged after it, or left at its
 * deadline) were neither written nor counted. Held weakly, as pino holds its own, so an instance
 * shut down can be collected; one listener for the thread.
 */
function flushAtThreadExit(writer: StdoutWriter): void {
  if (!threadExitHooked) {
    threadExitHooked = true;
    process.on('exit', () => {
      for (const ref of threadWriters) ref.deref()?.flushSync();
    });
  }
  for (const ref of threadWriters) if (ref.deref() === undefined) threadWriters.delete(ref);
  threadWriters.add(new WeakRef(writer));
}

/**
 * The one place log lines leave the logger: stdout (or the user's stream) plus each adapter's
 * sink. Sinks get the line without its newline; a sink that throws loses that line, not the caller.
 */
export function createDestination(options: DestinationOptions): FanoutDestination {
  const primary: LogStream = options.stream ?? options.stdout.writer();
  // With a log stream, stdout's writer exists only once an adapter has written a line of its own.
  const stdout = () => options.stdout.existing();
  const sinks = options.sinks;
  const pretty = options.pretty;
  const drops = options.drops;
  // The caller's stream may write asynchronously: a rejection would end the process as unhandled.
  const lost = () => drops.add('log_stream_error');
  const tracked = options.stream && trackWrites(options.stream);
  const toStream = tracked ? tracked.write : (line: string) => primary.write(line);
  const stdoutGone = options.stdout.closed;
  const flushStdout = waitForStdout(stdout);
  const metadata = wantsMetadata(options.stream);

  const fanout: FanoutDestination = {
    write(line: string) {
      if (options.stream) {
        if (metadata) passMetadata(fanout, options.stream);
        callGuarded(toStream, line, lost);
      } else if (stdoutGone()) drops.add('log_stdout_closed');
      else {
        try {
          primary.write(pretty ? formatPretty(line, pretty) : line);
        } catch {
          // A closed stdout must not take the caller down.
        }
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
    flushSync(atExit) {
      options.stdout.flushSync(atExit === true);
      if (options.stream) flushStreamSync(options.stream);
    },
    flush(done) {
      const waitMs = flushWaitMs();
      const flushed = options.stream
        ? Promise.all([flushStream(options.stream, waitMs), tracked?.written(waitMs), flushStdout()]).then(
            ([error]) => error,
          )
        : flushStdout();
      // As a stream's flush calls it: an error the callback throws is the caller's, not a rejection.
      // Not on process.nextTick, which a test's fake timers hold (Jest's by default).
      if (typeof done === 'function')
        void flushed.then((error) => realSetImmediate(() => (error ? done(error) : done())));
      return flushed.then(() => undefined);
    },
    async close() {
      // stdout, and the caller's stream, stay open for the rest of the process (a line written
      // after shutdown still goes there): only what they buffer is written.
      await this.flush();
    },
  };
  if (metadata) askForMetadata(fanout);
  return fanout;
}

/** Until the shutdown's or forceFlush's deadline; without one (`obs.log.flush()`), a second. */
function flushWaitMs(): number {
  return Math.min(flushTimeLeft() ?? SYNC_FLUSH_MS, MAX_TIMER_MS);
}

/**
 * pino's writer calls a flush back at once when it batches nothing (minLength 0), its buffer still
 * full: a process.exit() after shutdown() lost what it held. This waits for its writes to take it
 * all, until the shutdown's or forceFlush's deadline (a stalled reader). It writes until its buffer
 * is empty; once it stops with lines left, stdout has failed (its reader gone, EPIPE) and nothing
 * more will be written: waiting would only hold the caller to the deadline. The flushes waiting at
 * once (a handler flushing before each answer) share one listener on the writer.
 */
function waitForStdout(stdout: () => StdoutWriter | undefined): () => Promise<void> {
  const waiting = new Set<() => void>();
  const idle = (boom: StdoutWriter) => (boom as unknown as { _writing?: unknown })._writing !== true;
  // The writer reports a write before it updates its buffer: look once it has. A promise, not
  // queueMicrotask, which a test's fake timers replace (Jest's by default) with one that never runs.
  const onProgress = () =>
    void Promise.resolve().then(() => {
      const boom = stdout();
      if (boom === undefined || idle(boom)) for (const done of waiting) done();
    });
  return () =>
    new Promise<void>((resolve) => {
      const boom = stdout();
      if (boom === undefined || idle(boom)) return resolve();
      const done = () => {
        realClearTimeout(timer);
        waiting.delete(done);
        if (waiting.size === 0) {
          boom.off('write', onProgress);
          boom.off(errorMonitor, onProgress);
        }
        resolve();
      };
      const timer = realSetTimeout(done, flushWaitMs());
      timer.unref();
      if (waiting.size === 0) {
        boom.on('write', onProgress);
        // errorMonitor: a failure is seen here whichever listener handles it.
        boom.on(errorMonitor, onProgress);
      }
      waiting.add(done);
    });
}

/**
 * A pipe stays in the mode its parent opened it in, blocking (a container runtime's FIFO, a shell's
 * pipe), until Node opens it as process.stdout, which puts it in non-blocking mode: a write to it
 * when full would then wait, in the thread pool and, at exit or after `fatal`, in the flush itself,
 * for as long as the reader stalls, and `process.exit()` never returned. Nothing else of a service
 * with no console (its telemetry going to backends) opens process.stdout. A file or terminal keeps
 * its mode. A command started with the process's stdout (`stdio: 'inherit'`: a migration run at
 * start) puts the pipe, shared with it, back in blocking mode for the rest of the process: a
 * synchronous flush (at exit, after `fatal`) puts it in non-blocking mode again, there alone, so no
 * command still running gets EAGAIN while the process lives on but for one that runs across a
 * `fatal`, which would otherwise wait for as long as the reader stalls; Node gives the pipe back
 * its first mode as it exits.
 */
function nonBlockingStdout(): void {
  try {
    // Opened on first use; in a worker thread, a stream to the main thread's, which changes nothing.
    const stdout = process.stdout as unknown as { _type?: unknown; _handle?: Partial<PipeHandle> };
    if (stdout._type === 'pipe') stdout._handle?.setBlocking?.(false);
  } catch {
    // No stdout to open: writes to fd 1 fail on their own, and are counted.
  }
}

/**
 * The most one write to a pipe puts in whole, never between another writer's bytes: 4096 on Linux,
 * 512 as POSIX asks elsewhere.
 */
const PIPE_BUF = process.platform === 'linux' ? 4096 : 512;

/**
 * Whether stdout is a pipe, which other processes may write to as well: `node:cluster` workers
 * inherit their primary's, a shell's `a | b` gives several processes one. The writer then writes
 * whole lines of up to {@link PIPE_BUF} bytes at a time (pino's writer cuts its chunks between
 * lines), each taken whole or refused while the pipe is full: a larger chunk the pipe took in part
 * had the rest written after another process's lines, the line cut there broken in two.
 */
function stdoutIsPipe(): boolean {
  try {
    return fstatSync(1).isFIFO();
  } catch {
    return false;
  }
}

/** The handle of a process.stdout that is a pipe or a socket. */
interface PipeHandle {
  setBlocking(blocking: boolean): number;
}

/**
 * stdout through pino's asynchronous writer, its buffer bounded. A full pipe is retried for as long
 * as it takes by the writes in the background, but a synchronous flush (ours at exit, pino's own
 * exit hook, `fatal`) gives up once the pipe has stayed full for {@link SYNC_FLUSH_MS}: it would
 * otherwise block the process, or keep `process.exit()` from returning, for as long as the reader
 * stalls. Once one has given up, the next gives up at once until a background write gets through;
 * what it leaves is lost if the process exits.
 */
function stdoutWriter(onDrop: () => void): StdoutWriterSync {
  let deadline = 0; // while pino's own synchronous flush runs
  let stalled = false;
  nonBlockingStdout();
  const boom = pino.destination({
    dest: 1,
    sync: false,
    minLength: 0,
    maxLength: STDOUT_BUFFER_BYTES,
    ...(stdoutIsPipe() ? { maxWrite: PIPE_BUF } : {}),
    retryEAGAIN: () => deadline === 0 || performance.now() < deadline,
  });
  const retrying = retryFullPipeSoon(boom);
  boom.on('write', (written: number) => {
    // A full pipe tried again reports 0 bytes: nothing got through yet.
    if (written > 0) stalled = false;
  });
  boom.on('drop', onDrop);
  const pinoFlushSync = boom.flushSync.bind(boom);
  const flushSync = (): SyncFlushOutcome | undefined => {
    if (stalled) return 'stalled';
    try {
      const flushed = flushPendingSync(boom, retrying(), {
        stalledMs: SYNC_FLUSH_MS,
        totalMs: SYNC_FLUSH_TOTAL_MS,
      });
      if (flushed !== undefined) {
        stalled = flushed !== 'written';
        return flushed;
      }
    } catch {
      // A writer not as expected: flushed as pino flushes it.
    }
    // A writer of another version: its own flush, which waits 100 ms after each write the full
    // pipe refuses, for a second in all, once the write in flight has had a moment to land.
    if ((boom as unknown as { _writing?: unknown })._writing === true) pause(IN_FLIGHT_WAIT_MS);
    deadline = performance.now() + SYNC_FLUSH_MS;
    try {
      pinoFlushSync();
    } catch {
      // Given up on a full pipe, or stdout already gone; pino's exit hook calls this unguarded.
      stalled = true;
    } finally {
      deadline = 0;
    }
    return undefined;
  };
  return { boom, flushSync, linesLeft: () => linesPending(boom, retrying()) };
}
