/**
 * A service on dd-trace: an Express route that logs and calls another service, then routes that
 * fail (an Express and a Fastify handler throwing, a call out refused) and one that continues
 * the traces of upstream services (Datadog headers, then W3C ones, then baggage alone), shut down
 * and exited right after. Prints its log lines and the dd-trace package it loaded as JSON.
 * argv: <agent url> <downstream url>.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import express from 'express';
import Fastify from 'fastify';
import { datadog } from '../../../adapters/datadog/index.js';
import { expressErrorHandler, expressMiddleware } from '../../../src/integrations/express/index.js';
import { sightlineFastify } from '../../../src/integrations/fastify/index.js';
import { init } from '../../../src/index.js';
import { close, listen, request } from '../../integration/helpers/http-client.js';

const [agent, downstream] = process.argv.slice(2) as [string, string];
const lines: string[] = [];
const obs = init({
  service: 'checkout',
  environment: 'prod',
  version: '1.4.2',
  anomaly: false,
  handleSignals: false,
  logStream: { write: (line: string) => lines.push(line) },
  exporters: [
    datadog({
      apiKey: 'k'.repeat(32),
      processEnv: {},
      metrics: 'none',
      events: false,
      traces: 'dd-trace',
      tags: ['team:payments'],
      endpoints: { traces: agent },
      // Longer than the run: the spans reach the Agent only if shutdown() sends them.
      ddTrace: { flushInterval: 60_000 },
    }),
  ],
});

const app = express();
app.use(expressMiddleware());
app.get('/orders/:id', async (_req, res) => {
  obs.trace('price-order', () => 12);
  obs.log.info('order placed');
  await (await fetch(`${downstream}/stock`)).text();
  res.send('ok');
});
app.get('/orders/:id/refund', () => {
  throw new TypeError('refund window closed');
});
// A port that was just free: a call to it is refused.
const gone = createServer();
const refused = await listen(gone);
await close(gone);
app.get('/stock', async (_req, res) => {
  await fetch(`${refused}/stock`).catch(() => undefined);
  res.send('unknown');
});
app.get('/handoff', async (_req, res) => {
  await (await fetch(`${downstream}/reserve`)).text();
  // A call that names its own trace, as a relay passing on another's does.
  const relayed = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  await (await fetch(`${downstream}/relay`, { headers: { traceparent: relayed } })).text();
  res.send('ok');
});
app.use(expressErrorHandler());
const server = createServer(app);
const base = await listen(server);
await (await fetch(`${base}/orders/42`)).text();
await (await fetch(`${base}/orders/42/refund`)).text();
await (await fetch(`${base}/stock`)).text();
// Calls from upstream services: their headers only, none of this process's tracing.
const upstream = (headers: Record<string, string>) =>
  context.with(suppressTracing(context.active()), () => request(base, '/handoff', { headers }));
await upstream({
  'x-datadog-trace-id': '1234567890123456789',
  'x-datadog-parent-id': '987654321',
  'x-datadog-sampling-priority': '2',
  baggage: 'tenant=acme,region=eu',
});
await upstream({
  // Sampled, with W3C Trace Context Level 2's random trace-id flag.
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03',
  baggage: 'tenant=globex',
});
await upstream({ baggage: 'tenant=initech' });
await close(server);

const fastify = Fastify();
await fastify.register(sightlineFastify);
fastify.get('/carts/:id', async () => {
  throw new RangeError('cart expired');
});
const fastifyBase = await fastify.listen({ port: 0, host: '127.0.0.1' });
await (await fetch(`${fastifyBase}/carts/9`)).text();
await fastify.close();
await obs.shutdown({ timeoutMs: 3000 });

const require = createRequire(import.meta.url);
const loaded = new Set(
  Object.keys(require.cache).map((path) => /node_modules\/(dd-trace[^/]*)\//.exec(path)?.[1]),
);
loaded.delete(undefined);
process.stdout.write(
  `${JSON.stringify({ lines, packages: [...loaded], version: require('dd-trace/package.json').version })}\n`,
);
process.exit(0);
