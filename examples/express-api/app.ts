/**
 * The checkout API's routes, built on a sightline instance. `index.ts` runs it on its own;
 * the demo (examples/demo) runs it in a child process with a short metric interval.
 */
import express from 'express';
import type { Sightline } from 'sightline';
import { expressErrorHandler, expressMiddleware } from 'sightline/express';

/**
 * Demo-only seam: awaited at the start of each handler with the route (`GET /products`), so
 * the demo can add latency or throw. Real services have no such hook.
 */
export type FaultHook = (route: string) => Promise<void> | void;

export interface CheckoutAppOptions {
  /** Base URL of the inventory API (examples/fastify-api). */
  inventoryUrl: string;
  faults?: FaultHook;
}

/** Simulated work of a few milliseconds, so latency looks like a real service's. */
const work = (minMs: number, maxMs: number) =>
  new Promise((resolve) => setTimeout(resolve, minMs + Math.random() * (maxMs - minMs)));

/**
 * Builds the checkout app: `POST /checkout/:sku` (asks the inventory API for stock, then charges),
 * `GET /products` (the catalogue, from the inventory API), `GET /orders/:id`, `GET /fail`, `GET /health`.
 *
 * @example
 * const app = createCheckoutApp(init({ service: 'checkout-api' }), { inventoryUrl: 'http://127.0.0.1:3001' });
 * app.listen(3000, '127.0.0.1');
 */
export function createCheckoutApp(obs: Sightline, options: CheckoutAppOptions): express.Express {
  const { inventoryUrl, faults } = options;
  const orders = obs.metrics.counter('orders.placed', { unit: '{order}', description: 'Orders placed' });
  const placed = new Map<string, { orderId: string; sku: string; quantity: number }>();
  placed.set('o-1001', { orderId: 'o-1001', sku: 'book', quantity: 1 });

  const app = express();
  app.use(expressMiddleware({ ignore: ['/health'] }));
  app.use(express.json());

  app.get('/health', (_req, res) => {
    res.send('ok');
  });

  app.post('/checkout/:sku', async (req, res) => {
    await faults?.('POST /checkout/:sku');
    const { sku } = req.params;
    const quantity = Number(req.body?.quantity ?? 1);
    const stock = await fetch(`${inventoryUrl}/v1/items/${encodeURIComponent(sku)}`);
    if (stock.status === 404) {
      res.status(404).json({ error: `unknown item ${sku}` });
      return;
    }
    if (!stock.ok) throw new Error(`inventory answered ${stock.status}`);
    const item = (await stock.json()) as { sku: string; available: number };
    if (item.available < quantity) {
      res.status(409).json({ error: 'not enough stock', available: item.available });
      return;
    }
    const orderId = `o-${Date.now().toString(36)}`;
    await obs.trace('charge-card', () => new Promise((resolve) => setTimeout(resolve, 5)));
    orders.add(1, { plan: 'standard' });
    if (placed.size < 1000) placed.set(orderId, { orderId, sku, quantity });
    obs.log.info({ orderId, sku, quantity }, 'order placed');
    res.status(201).json({ orderId, sku, quantity });
  });

  app.get('/products', async (_req, res) => {
    await faults?.('GET /products');
    const list = await fetch(`${inventoryUrl}/v1/items`);
    if (!list.ok) throw new Error(`inventory answered ${list.status}`);
    res.json(await list.json());
  });

  app.get('/orders/:id', async (req, res) => {
    await faults?.('GET /orders/:id');
    await obs.trace('orders.read', () => work(1, 4));
    const order = placed.get(req.params.id);
    if (order === undefined) {
      res.status(404).json({ error: 'unknown order' });
      return;
    }
    res.json(order);
  });

  app.get('/fail', () => {
    throw new Error('payment provider unreachable');
  });

  app.use(expressErrorHandler());
  app.use(
    (
      err: Error & { status?: number },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(err.status ?? 500).json({ error: err.message });
    },
  );
  return app;
}
