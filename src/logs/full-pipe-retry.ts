import { realSetTimeout } from '../internal/node-timers.js';

/** A full pipe is tried again this soon, then twice as late each time it is still full. */
const FIRST_RETRY_MS = 1;
/** The longest wait on a pipe that stays full: pino's writer's own, one try every 100 ms. */
const LAST_RETRY_MS = 100;

type Release = (error: NodeJS.ErrnoException | null | undefined, written?: number) => void;

/**
 * pino's asynchronous writer waits a fixed 100 ms after each write a full pipe refuses (EAGAIN),
 * however soon its reader makes room: once a backlog builds, that caps stdout at a pipe's 64 KiB
 * every 100 ms, and a reader that paused once is then kept behind until lines are dropped. This
 * tries again from 1 ms, doubling while the pipe stays full, and halving after each write it takes,
 * so the waits follow the reader. The retry goes through the writer's own completion, as its
 * synchronous mode retries (a write of 0 bytes, then the rest): its buffer, bound and drops stay
 * its own. A synchronous flush never gets here: it writes, and waits, by itself.
 *
 * Returns whether the write in flight is waiting to be tried again: none of it was written, so a
 * synchronous flush can write it itself.
 */
export function retryFullPipeSoon(boom: object): () => boolean {
  const writer = boom as { release: Release };
  const release = writer.release;
  // Another release of the writer, without this callback: its own waits stay.
  if (typeof release !== 'function') return () => false;
  let wait = FIRST_RETRY_MS;
  let retrying = false;
  writer.release = (error, written) => {
    if (error?.code === 'EAGAIN' || error?.code === 'EBUSY') {
      retrying = true;
      // On Node's own timer: a test's fake timers would hold stdout's lines until the test moved them.
      realSetTimeout(() => {
        retrying = false;
        release(null, 0);
      }, wait);
      wait = Math.min(wait * 2, LAST_RETRY_MS);
      return;
    }
    if (!error && written) wait = Math.max(wait / 2, FIRST_RETRY_MS);
    release(error, written);
  };
  return () => retrying;
}
