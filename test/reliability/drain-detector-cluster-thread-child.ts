/**
 * A `node:cluster` service of one worker whose jobs run in a worker thread, the worker's main thread
 * and its thread each running sightline, the thread's detector watching the jobs it does
 * (`jobs.done`, detect: true): each GET /orders hands it one, GET /slow answers 1.5 s after it came. The
 * primary forks the worker and, on SIGTERM, drains it with `cluster.disconnect()`, which closes its
 * server; the worker ends its thread once the disconnect is done. The worker writes `ready <port>` on
 * stderr once listening, and each of the thread's anomaly events as `anomaly <json>`.
 */
import cluster from 'node:cluster';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { init } from '../../src/index.js';
import { drainDetectorOptions, serveOrders } from './drain-detector-options.js';

// A worker thread reads as a primary: the cluster's own variable is gone from its environment.
if (!isMainThread) {
  const obs = init(drainDetectorOptions('jobs', 'jobs.done'));
  const done = obs.metrics.counter('jobs.done', { detect: true });
  obs.onAnomaly((a) => parentPort?.postMessage(`anomaly ${JSON.stringify(a)}`));
  parentPort?.on('message', () => done.add(1));
  parentPort?.postMessage('started');
} else if (cluster.isPrimary) {
  cluster.fork();
  process.on('SIGTERM', () => cluster.disconnect());
} else {
  const thread = new Worker(new URL(import.meta.url));
  thread.on('message', (m) => {
    if (typeof m === 'string' && m.startsWith('anomaly ')) process.stderr.write(`${m}\n`);
  });
  cluster.worker?.on('disconnect', () => void thread.terminate());
  thread.once('message', () => {
    // No signal reaches the worker: the disconnect alone tells it to leave.
    const options = { ...drainDetectorOptions('drain-cluster-thread'), handleSignals: false };
    const server = serveOrders(options, (app) =>
      app.get('/slow', (_req, res) => {
        setTimeout(() => res.send('ok'), 1500);
      }),
    );
    server.on('request', (req: { url?: string }) => {
      if (req.url === '/orders') thread.postMessage('job');
    });
  });
}
