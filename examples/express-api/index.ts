/**
 * A checkout API on Express that asks the inventory API (examples/fastify-api) for stock with
 * fetch. Each request gets a server span named after its route, RED metrics, an access-log line,
 * and the call to the inventory API continues the same trace. The routes are in `app.ts`.
 *
 *   PORT=3000 INVENTORY_URL=http://127.0.0.1:3001 node --import tsx examples/express-api/index.ts
 */
import { init } from 'sightline';
import { createCheckoutApp } from './app.js';

const obs = init({ service: 'checkout-api', version: '1.0.0', metricInterval: 10_000 });

const port = Number(process.env.PORT ?? 3000);
const inventoryUrl = process.env.INVENTORY_URL ?? 'http://127.0.0.1:3001';

const app = createCheckoutApp(obs, { inventoryUrl });
const server = app.listen(port, '127.0.0.1', () => {
  obs.log.info({ port, inventoryUrl }, 'checkout API listening');
});

const stop = async () => {
  // Requests in flight finish first, so their spans and metrics are flushed with the rest.
  await new Promise((resolve) => server.close(resolve));
  await obs.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
