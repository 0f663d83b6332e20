/**
 * An inventory API on Fastify. Registered with the sightline plugin, every route (prefixes
 * included) gets a server span continuing the caller's trace, RED metrics, and Fastify's own
 * request logger carries the trace ids.
 *
 *   PORT=3001 node --import tsx examples/fastify-api/index.ts
 */
import Fastify from 'fastify';
import { init } from 'sightline';
import { sightlineFastify } from 'sightline/fastify';

const obs = init({ service: 'inventory-api', version: '1.0.0', metricInterval: 10_000 });

const port = Number(process.env.PORT ?? 3001);
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
      const available = stock.get(request.params.sku);
      if (available === undefined) return reply.code(404).send({ error: 'unknown item' });
      request.log.info({ sku: request.params.sku, available }, 'stock looked up');
      return { sku: request.params.sku, available };
    });
  },
  { prefix: '/v1' },
);

await app.listen({ host: '127.0.0.1', port });

const stop = async () => {
  await app.close();
  await obs.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
