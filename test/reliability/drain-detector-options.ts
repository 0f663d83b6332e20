import type { Server } from 'node:http';
import express, { type Express } from 'express';
import type { SightlineConfig } from '../../src/config/types.js';
import { init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';

/**
 * The drain-detector children's options: handleSignals on, detectors at cycles of 200 ms past
 * their warm-up within the load their tests send.
 */
export const drainDetectorOptions = (service: string): SightlineConfig => ({
  service,
  exporters: [],
  logStream: { write: () => {} },
  handleSignals: true,
  shutdownTimeout: 1000,
  metricInterval: 200,
  outbound: false,
  anomaly: { warmup: 10 },
});

/**
 * A busy service under sightline with `config`: GET /orders counts an order (detect: true), and
 * `routes` adds its own. Writes `ready <port>` on stderr once listening, and each anomaly event as
 * `anomaly <json>`.
 */
export function serveOrders(config: SightlineConfig, routes: (app: Express) => void = () => {}): Server {
  const obs = init(config);
  obs.onAnomaly((a) => process.stderr.write(`anomaly ${JSON.stringify(a)}\n`));
  const orders = obs.metrics.counter('orders.placed', { detect: true });
  const app = express();
  app.use(expressMiddleware());
  app.get('/orders', (_req, res) => {
    orders.add(1);
    res.send('ok');
  });
  routes(app);
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (typeof address === 'object' && address) process.stderr.write(`ready ${address.port}\n`);
  });
  return server;
}
