/**
 * A checkout API on Express that asks the inventory API (examples/fastify-api) for stock with
 * fetch. Each request gets a server span named after its route, RED metrics, an access-log line,
 * and the call to the inventory API continues the same trace.
 *
 *   PORT=3000 INVENTORY_URL=http://127.0.0.1:3001 node --import tsx examples/express-api/index.ts
 */
import express from 'express';
import { init } from 'sightline';
import { expressErrorHandler, expressMiddleware } from 'sightline/express';

const obs = init({ service: 'checkout-api', version: '1.0.0', metricInterval: 10_000 });

const port = Number(process.env.PORT ?? 3000);
const inventoryUrl = process.env.INVENTORY_URL ?? 'http://127.0.0.1:3001';
const orders = obs.metrics.counter('orders.placed', { unit: '{order}', description: 'Orders placed' });

const app = express();
app.use(expressMiddleware({ ignore: ['/health'] }));
app.use(express.json());

app.get('/health', (_req, res) => {
  res.send('ok');
});

app.post('/checkout/:sku', async (req, res) => {
  const { sku } = req.params;
  const quantity = Number(req.body?.quantity ?? 1);
  const stock = await fetch(`${inventoryUrl}/v1/items/${encodeURIComponent(sku)}`);
  if (stock.status === 404) {
    res.status(404).json({ error: `unknown item ${sku}` });
    return;
  }
  const item = (await stock.json()) as { sku: string; available: number };
  if (item.available < quantity) {
    res.status(409).json({ error: 'not enough stock', available: item.available });
    return;
  }
  const orderId = `o-${Date.now().toString(36)}`;
  await obs.trace('charge-card', () => new Promise((resolve) => setTimeout(resolve, 5)));
  orders.add(1, { plan: 'standard' });
  obs.log.info({ orderId, sku, quantity }, 'order placed');
  res.status(201).json({ orderId, sku, quantity });
});

app.get('/fail', () => {
  throw new Error('payment provider unreachable');
});

app.use(expressErrorHandler());
app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(500).json({ error: err.message });
});

const server = app.listen(port, '127.0.0.1', () => {
  obs.log.info({ port, inventoryUrl }, 'checkout API listening');
});

const stop = async () => {
  server.close();
  await obs.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
