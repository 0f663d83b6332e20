/**
 * A job run in a worker thread: it awaits `shutdown()`, logs 100 lines to stdout, then calls
 * `process.exit(3)`, which ends the thread; the main thread, which runs no sightline, exits with
 * the thread's code.
 */
import { isMainThread, Worker } from 'node:worker_threads';
import { init } from '../../src/index.js';

if (isMainThread) {
  new Worker(new URL(import.meta.url)).on('exit', (code) => {
    process.exitCode = code;
  });
} else {
  const obs = init({ service: 'thread-job', outbound: false, anomaly: false });
  await obs.shutdown({ timeoutMs: 1000 });
  for (let i = 0; i < 100; i++) obs.log.info({ i }, 'after shutdown');
  process.exit(3);
}
