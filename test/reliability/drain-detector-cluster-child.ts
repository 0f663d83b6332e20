/**
 * A `node:cluster` service of one worker, the busy service of drain-detector-child.ts: the primary
 * forks it, and on SIGTERM drains it with `cluster.disconnect()`, which closes its server and lets
 * the requests in flight finish (GET /slow answers 1.5 s after it came). The worker writes
 * `ready <port>` on stderr once listening, and each anomaly event as `anomaly <json>`.
 */
import cluster from 'node:cluster';
import { drainDetectorOptions, serveOrders } from './drain-detector-options.js';

if (cluster.isPrimary) {
  cluster.fork();
  process.on('SIGTERM', () => cluster.disconnect());
} else {
  // No signal reaches the worker: the disconnect alone tells it to leave.
  serveOrders({ ...drainDetectorOptions('drain-cluster'), handleSignals: false }, (app) =>
    app.get('/slow', (_req, res) => {
      setTimeout(() => res.send('ok'), 1500);
    }),
  );
}
