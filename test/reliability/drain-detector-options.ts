import type { Server } from 'node:http';
import express, { type Express } from 'express';
import type { SightlineConfig } from '../../src/config/types.js';
import type { SightlineAdapter } from '../../src/export/types.js';
import { init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { memoryExporter } from '../../src/testing/index.js';

/**
 * Writes `counted <metric> <total>` on stderr at each collection, the counter's total so far: the
 * tests load a child until its cycles have counted enough, not for a fixed time, as a busy
 * machine runs fewer cycles in a second and sends fewer requests in each.
 */
function countedCycles(metric: string): SightlineAdapter {
  const memory = memoryExporter({ limit: 1 });
  return {
    name: 'counted-cycles',
    setup(ctx) {
      const parts = memory.setup(ctx);
      const inner = parts.metricExporter;
      if (inner === undefined) return parts;
      return {
        ...parts,
        metricExporter: {
          ...inner,
          export(metrics, done) {
            inner.export(metrics, (result) => {
              const point = memory.metrics().find((p) => p.name === metric);
              if (point) process.stderr.write(`counted ${metric} ${point.value}\n`);
              done(result);
            });
          },
        },
      };
    },
  };
}

/**
 * The drain-detector children's options: handleSignals on, detectors at cycles of 200 ms past
 * their warm-up within the load their tests send, each cycle's total of `counted` written.
 */
export const drainDetectorOptions = (service: string, counted = 'orders.placed'): SightlineConfig => ({
  service,
  exporters: [countedCycles(counted)],
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
