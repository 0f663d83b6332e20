/**
 * A service whose jobs run in a worker thread, the main thread and the worker each running
 * sightline, the worker's detector watching the jobs it does (`jobs.done`, detect: true). The main
 * thread hands it two jobs every 20 ms until SIGTERM, whose graceful shutdown hands it no more and
 * ends the process `argv[2]` ms later; or until SIGUSR2, after which it runs on with no jobs.
 * handleSignals is on in both; the detectors, at cycles of 200 ms, are past their warm-up
 * within the load the test waits for. Writes `ready` on stderr once the worker runs, and each of the
 * worker's anomaly events as `anomaly <json>`.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { init } from '../../src/index.js';
import { drainDetectorOptions } from './drain-detector-options.js';

const drainMs = process.argv[2] ?? '1500';
const obs = init(drainDetectorOptions('jobs', 'jobs.done'));
if (isMainThread) {
  const worker = new Worker(new URL(import.meta.url), { argv: [drainMs] });
  let jobs: NodeJS.Timeout | undefined;
  worker.once('message', () => {
    jobs = setInterval(() => {
      worker.postMessage('job');
      worker.postMessage('job');
    }, 20);
    process.stderr.write('ready\n');
  });
  worker.on('message', (m) => {
    if (typeof m === 'string' && m.startsWith('anomaly ')) process.stderr.write(`${m}\n`);
  });
  process.on('SIGTERM', () => {
    clearInterval(jobs);
    setTimeout(() => process.exit(0), Number(drainMs));
  });
  process.on('SIGUSR2', () => clearInterval(jobs));
} else {
  const done = obs.metrics.counter('jobs.done', { detect: true });
  obs.onAnomaly((a) => parentPort?.postMessage(`anomaly ${JSON.stringify(a)}`));
  parentPort?.on('message', () => done.add(1));
  parentPort?.postMessage('started');
}
