/**
 * A service whose entry calls init() and then starts two worker threads running the same code, as a
 * thread pool does: each thread runs the same configuration, which gives SLWRN001 and SLWRN003.
 * With `stale`, the main thread runs no sightline, its environment holding a record of warnings
 * made under its pid by another process (an environment dumped and loaded again, PID 1 in a container).
 */
import { createHash } from 'node:crypto';
import { isMainThread, Worker } from 'node:worker_threads';

const stale = process.argv.includes('stale');
const again = 'init() was called again; the first instance is returned and the new options are ignored';
if (isMainThread && stale) {
  const key = `SLWRN001:${createHash('sha256').update(again).digest('base64url').slice(0, 16)}`;
  process.env.SIGHTLINE_WARNINGS_GIVEN = `${process.pid}:another ${key}`;
}
if (isMainThread && stale) {
  const worker = new Worker(new URL(import.meta.url), { execArgv: ['--import', 'tsx'], argv: ['stale'] });
  await new Promise((done) => worker.on('exit', done));
} else {
  const { init } = await import('../../src/index.js');
  const options = { exporters: { production: [] }, logStream: { write() {} }, anomaly: false } as const;
  const obs = init(options);
  init(options);
  if (isMainThread) {
    const workers = [0, 1].map(() => new Worker(new URL(import.meta.url), { execArgv: ['--import', 'tsx'] }));
    await Promise.all(workers.map((worker) => new Promise((done) => worker.on('exit', done))));
  }
  await obs.shutdown();
}
