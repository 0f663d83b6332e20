/**
 * The inventory API's routes, built on a sightline instance. `index.ts` runs it on its own;
 * the demo (examples/demo) runs it in a child process with a short metric interval.
 */
import Fastify from 'fastify';
import type { Sightline } from 'sightline';
import { sightlineFastify } from 'sightline/fastify';

/**
 * Demo-only seam: awaited at the start of each handler with the route (`GET /v1/items/:sku`), so
 * the demo can add latency or throw. Real services have no such hook.
 */
export type FaultHook = (route: string) => Promise<void> | void;

export interface InventoryAppOptions {
  faults?: FaultHook;
}

/** Simulated work of a few milliseconds, so latency looks like a real service's. */
const work = (minMs: number, maxMs: number) =>
  new Promise((resolve) => setTimeout(resolve, minMs + Math.random() * (maxMs - minMs)));

/**
 * Builds the inventory app: `GET /v1/items/:sku`, `GET /v1/items` and `GET /health`. Call
 * `listen` on the result.
 *
 * @example
 * const app = await createInventoryApp(init({ service: 'inventory-api' }));
 * await app.listen({ host: '127.0.0.1', port: 3001 });
 */
export async function createInventoryApp(obs: Sightline, options: InventoryAppOptions = {}) {
  const { faults } = options;
  const stock = new Map([
    ['book', 12],
    ['lamp', 3],
    ['mug', 0],
  ]);

  // Fastify logs through sightline's logger, so its lines share the format and the trace ids.
  const app = Fastify({ loggerInstance: obs.log });
  await app.register(sightlineFastify, { ignore: ['/health'] });

  app.get('/health', async () => 'ok');

  await app.register(
    async (v1) => {
      v1.get<{ Params: { sku: string } }>('/items/:sku', async (request, reply) => {
        await faults?.('GET /v1/items/:sku');
        const available = await obs.trace('stock.read', async () => {
          await work(2, 8);
          return stock.get(request.params.sku);
        });
        if (available === undefined) return reply.code(404).send({ error: 'unknown item' });
        request.log.info({ sku: request.params.sku, available }, 'stock looked up');
        return { sku: request.params.sku, available };
      });
      v1.get('/items', async () => {
        await faults?.('GET /v1/items');
        await obs.trace('stock.scan', () => work(3, 10));
        return [...stock].map(([sku, available]) => ({ sku, available }));
      });
    },
    { prefix: '/v1' },
  );
  return app;
}
