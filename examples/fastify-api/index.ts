/**
 * An inventory API on Fastify. Registered with the sightline plugin, every route (prefixes
 * included) gets a server span continuing the caller's trace, RED metrics, and Fastify's own
 * request logger carries the trace ids. The routes are in `app.ts`.
 *
 *   PORT=3001 node --import tsx examples/fastify-api/index.ts
 */
import { init } from 'sightline';
import { createInventoryApp } from './app.js';

const obs = init({ service: 'inventory-api', version: '1.0.0', metricInterval: 10_000 });

const port = Number(process.env.PORT ?? 3001);
const app = await createInventoryApp(obs);
await app.listen({ host: '127.0.0.1', port });

const stop = async () => {
  await app.close();
  await obs.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
