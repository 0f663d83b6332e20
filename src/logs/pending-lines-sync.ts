import { fsyncSync, writeSync } from 'node:fs';

/** A full pipe is tried again this soon, then twice as late each time it is still full. */
const FIRST_WAIT_MS = 1;
const LAST_WAIT_MS = 32;
/** How long a write already in flight is given to land before the lines behind it are written. */
export const IN_FLIGHT_WAIT_MS = 50;

/** Sleeps without spinning, the event loop and all. */
export function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * pino's writer (SonicBoom 4, utf8 mode) as far as a synchronous flush reads and updates it: the
 * chunk a background write holds (`_writingBuf`, in flight while `_writing`), the chunks behind it
 * (`_bufs`) and the bytes of both (`_len`). No public API hands these out.
 */
interface Writer {
  fd: number;
  destroyed: boolean;
  _writing: boolean;
  _writingBuf: string | Buffer;
  _bufs: (string | Buffer)[];
  _len: number;
}

const isChunk = (value: unknown): value is string | Buffer =>
  typeof value === 'string' || Buffer.isBuffer(value);

function isWriter(boom: object): boom is Writer {
  const w = boom as Partial<Writer>;
  return (
    typeof w.fd === 'number' &&
    w.fd >= 0 &&
    w.destroyed === false &&
    typeof w._writing === 'boolean' &&
    typeof w._len === 'number' &&
    isChunk(w._writingBuf) &&
    Array.isArray(w._bufs) &&
    w._bufs.every(isChunk)
  );
}

export interface SyncFlushLimits {
  /** Gives up once the pipe has stayed full this long. */
  stalledMs: number;
  /** Gives up after this long in all, however fast the reader still takes the lines. */
  totalMs: number;
}

/** `stalled`: the pipe stayed full; `closed`: stdout failed (EPIPE: its reader has gone). */
export type SyncFlushOutcome = 'written' | 'stalled' | 'closed';

/**
 * Writes the lines pino's writer holds, synchronously, for as long as the reader makes room. pino's
 * own flushSync sleeps 100 ms after each write a full pipe refuses, however soon the reader takes
 * what it was given, so a crash behind a reader at 8 MB/s got out about 700 KB in its second; and
 * after a part of a chunk it leaves the whole chunk queued, so the writes after it write that part
 * twice. This waits from 1 ms, longer only while the pipe stays full, and leaves the writer holding
 * exactly what is left, where its background writes take it up (see {@link linesPending}).
 * `retrying`: the chunk in flight waits to be tried again on a full pipe, none of it written.
 * Returns undefined for a writer it does not know (another version): the caller flushes it as before.
 */
export function flushPendingSync(
  boom: object,
  retrying: boolean,
  limits: SyncFlushLimits,
): SyncFlushOutcome | undefined {
  if (!isWriter(boom)) return undefined;
  const w = boom;
  const start = performance.now();
  let progressAt = start;
  let wait = FIRST_WAIT_MS;
  let failed: 'stalled' | 'closed' | undefined;

  /** Writes what it can of `chunk`; returns the part not written. */
  const write = (chunk: string | Buffer): Buffer => {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    while (bytes.length > 0 && !failed) {
      try {
        const n = writeSync(w.fd, bytes);
        bytes = bytes.subarray(n);
        w._len = Math.max(w._len - n, 0);
        if (n > 0) {
          progressAt = performance.now();
          wait = FIRST_WAIT_MS;
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException | undefined)?.code;
        const now = performance.now();
        if (code !== 'EAGAIN' && code !== 'EBUSY') failed = 'closed';
        else if (now - progressAt >= limits.stalledMs || now - start >= limits.totalMs) failed = 'stalled';
        if (failed) break;
        pause(wait);
        wait = Math.min(wait * 2, LAST_WAIT_MS);
      }
    }
    return bytes;
  };

  if (!w._writing && w._writingBuf.length > 0) {
    // A chunk a background write left part way: it goes first, as pino's flushSync takes it.
    w._bufs.unshift(w._writingBuf);
    w._writingBuf = '';
  } else if (w._writing && retrying) {
    // Its retry, if the process lives on (after `fatal`), takes up what is left of it.
    w._writingBuf = write(w._writingBuf);
  } else if (w._writing && w._bufs.length > 0) {
    // A write handed to the thread pool lands without the event loop, possibly after the lines
    // behind it: give it a moment first. Its outcome cannot be seen without the event loop: if the
    // pipe was full, it can still land after these lines, or not at all.
    pause(IN_FLIGHT_WAIT_MS);
  }
  while (w._bufs.length > 0 && !failed) {
    const rest = write(w._bufs[0] as string | Buffer);
    if (rest.length === 0) w._bufs.shift();
    else w._bufs[0] = rest;
  }
  // A chunk cut part way stays bytes; a line written after it must not be appended to it as text,
  // which would decode a character the cut split.
  if (failed && w._bufs.length === 1 && Buffer.isBuffer(w._bufs[0])) w._bufs.push('');
  if (!failed) {
    try {
      fsyncSync(w.fd);
    } catch {
      // A pipe or terminal has nothing to sync.
    }
  }
  return failed ?? 'written';
}

/**
 * The lines pino's writer holds that a synchronous flush would write (the one cut part way
 * included); 0 for a writer it does not know.
 */
export function linesPending(boom: object, retrying: boolean): number {
  if (!isWriter(boom)) return 0;
  const w = boom;
  const chunks = !w._writing || retrying ? [w._writingBuf, ...w._bufs] : w._bufs;
  let lines = 0;
  for (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

/**
 * Lets go of the lines pino's writer holds once a write has failed for good (ENOSPC: a file on a
 * full disk; not a full pipe, which it tries again): held, they would wait for the next line to try
 * them again, and be lost uncounted if none came before the process ended. Returns how many it let
 * go; 0 for a writer it does not know, or one with a write in flight.
 */
export function dropPending(boom: object): number {
  if (!isWriter(boom) || boom._writing) return 0;
  const lines = linesPending(boom, false);
  boom._writingBuf = '';
  boom._bufs = [];
  boom._len = 0;
  return lines;
}
