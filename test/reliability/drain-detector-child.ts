/**
 * A busy service whose graceful shutdown lasts several detection cycles (long-lived connections
 * let finish within Kubernetes' grace period): on SIGTERM it stops taking connections and ends
 * `argv[2]` ms later. handleSignals is on; the detector, at cycles of 200 ms, is past its warm-up
 * within the load the test sends. Writes `ready <port>` on stderr once listening, and each anomaly
 * event as `anomaly <json>`.
 */
import express from 'express';
import { init } from '../../src/index.js';
import { drainDetectorOptions } from './drain-detector-options.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';

const drainMs = Number(process.argv[2]);
const obs = init(drainDetectorOptions('drain'));
obs.onAnomaly((a) => process.stderr.write(`anomaly ${JSON.stringify(a)}\n`));
const orders = obs.metrics.counter('orders.placed', { detect: true });
const app = express();
app.use(expressMiddleware());
app.get('/orders', (_req, res) => {
  orders.add(1);
  res.send('ok');
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address) process.stderr.write(`ready ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  setTimeout(() => process.exit(0), drainMs);
});
