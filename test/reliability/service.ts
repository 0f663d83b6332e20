/**
 * The service under test, run as a child process so its memory and CPU are its own:
 *
 *   node --expose-gc --import tsx test/reliability/service.ts
 *
 * with `SERVICE_FRAMEWORK=express|fastify`, `SERVICE_VARIANT=bare|sightline`, and for `sightline`
 * `BACKEND_URL` (an OTLP/HTTP collector) and optionally `SERVICE_SIGHTLINE` (JSON: extra `init()`
 * options and `channel` options for the OTLP adapter). The routes are those of examples/express-api
 * (checkout: a `charge-card` span, an `orders.placed` counter, an `order placed` log line) and
 * examples/fastify-api (inventory lookup with a request log line); the checkout answers from an
 * in-process stock table instead of calling the inventory API, so one process is measured at a time.
 * `bare` is the same service without sightline.
 *
 * The parent talks over IPC: `{ cmd: 'mem' }` (RSS and heap after a full GC), `stats`, `flush`,
 * `shutdown`, `cpu`, `crash` (throws from a timer, with no handler for it), `timings` (with
 * `SERVICE_TIMING=1`, see below).
 */
import { subscribe } from 'node:diagnostics_channel';
import { openSync, readSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Sightline } from '../../src/index.js';
import { monotonicMs } from './steady-load.js';

const framework = process.env.SERVICE_FRAMEWORK ?? 'express';
const variant = process.env.SERVICE_VARIANT ?? 'bare';
const extra = JSON.parse(process.env.SERVICE_SIGHTLINE ?? '{}') as {
  init?: Record<string, unknown>;
  channel?: Record<string, unknown>;
};

let obs: Sightline | undefined;
if (variant === 'sightline') {
  const { init } = await import('../../src/index.js');
  const { otlp } = await import('../../adapters/otlp/index.js');
  obs = init({
    service: `${framework}-api`,
    version: '1.0.0',
    environment: 'reliability',
    exporters: [
      otlp({
        url: process.env.BACKEND_URL,
        protocol: 'http/json',
        headers: process.env.BACKEND_TOKEN ? { authorization: `Bearer ${process.env.BACKEND_TOKEN}` } : {},
        channel: extra.channel ?? {},
        env: {},
      }),
    ],
    metricInterval: 1000,
    diagnostics: 'warn',
    outbound: false,
    ...extra.init,
  });
}

const stock = new Map([
  ['book', 1_000_000_000],
  ['lamp', 3],
  ['mug', 0],
]);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let port: number;
if (framework === 'express') {
  const app = express();
  if (obs) {
    const { expressMiddleware } = await import('../../src/integrations/express/index.js');
    app.use(expressMiddleware({ ignore: ['/health'] }));
  }
  app.use(express.json());
  const orders = obs?.metrics.counter('orders.placed', { unit: '{order}', description: 'Orders placed' });
  app.get('/health', (_req, res) => {
    res.send('ok');
  });
  app.post('/checkout/:sku', async (req, res) => {
    const { sku } = req.params;
    const quantity = Number(req.body?.quantity ?? 1);
    const available = stock.get(sku);
    if (available === undefined) {
      res.status(404).json({ error: `unknown item ${sku}` });
      return;
    }
    if (available < quantity) {
      res.status(409).json({ error: 'not enough stock', available });
      return;
    }
    const orderId = `o-${Date.now().toString(36)}`;
    if (obs) await obs.trace('charge-card', () => pause(5));
    else await pause(5);
    orders?.add(1, { plan: 'standard' });
    obs?.log.info({ orderId, sku, quantity }, 'order placed');
    res.status(201).json({ orderId, sku, quantity });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
} else {
  // Fastify logs through sightline's logger, as in the example; the control has no logger.
  const app = (obs ? Fastify({ loggerInstance: obs.log }) : Fastify()) as unknown as FastifyInstance;
  if (obs) {
    const { sightlineFastify } = await import('../../src/integrations/fastify/index.js');
    await app.register(sightlineFastify, { ignore: ['/health'] });
  }
  app.get('/health', async () => 'ok');
  await app.register(
    async (v1) => {
      v1.get<{ Params: { sku: string } }>('/items/:sku', async (request, reply) => {
        const available = stock.get(request.params.sku);
        if (available === undefined) return reply.code(404).send({ error: 'unknown item' });
        await pause(5);
        request.log.info({ sku: request.params.sku, available }, 'stock looked up');
        return { sku: request.params.sku, available };
      });
    },
    { prefix: '/v1' },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
}

/**
 * With `SERVICE_TIMING=1`, each request carrying an `x-due` header is timed from the moment the
 * server emits it to the moment its response is handed to the kernel (Node's own HTTP diagnostics
 * channels, so neither the framework nor sightline is touched), on the machine-wide monotonic clock
 * the load generator stamps its requests with. Alongside, from the kernel's schedstat, how long the
 * main thread waited for a CPU meanwhile (time other processes took from it).
 */
const timings: number[] = [];
if (process.env.SERVICE_TIMING === '1') {
  const fd = openSync('/proc/thread-self/schedstat', 'r');
  const buf = Buffer.alloc(128);
  // schedstat: nanoseconds on a CPU, nanoseconds waiting for one, timeslices.
  const waitedNs = (): number =>
    Number(buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).split(' ')[1]);
  const begun = new WeakMap<IncomingMessage, [number, number]>();
  subscribe('http.server.request.start', (m) => {
    const { request } = m as { request: IncomingMessage };
    if (request.headers['x-due']) begun.set(request, [monotonicMs(), waitedNs()]);
  });
  subscribe('http.server.response.finish', (m) => {
    const { request } = m as { request: IncomingMessage };
    const b = begun.get(request);
    if (!b) return;
    timings.push(Number(request.headers['x-due']), b[0], monotonicMs(), (waitedNs() - b[1]) / 1e6);
  });
}

type Command = { cmd: string; id?: number; timeoutMs?: number };

process.on('message', async (message: Command) => {
  const reply = (body: Record<string, unknown>) => process.send?.({ id: message.id, ...body });
  switch (message.cmd) {
    case 'mem': {
      // Two passes: the first may only queue finalizers.
      globalThis.gc?.();
      globalThis.gc?.();
      const m = process.memoryUsage();
      return reply({ rss: m.rss, heapUsed: m.heapUsed, external: m.external });
    }
    case 'cpu':
      return reply({ cpu: process.cpuUsage() });
    case 'timings':
      // [due, start, finish, waited] per request, all ms; taken, so each round starts empty.
      return reply({ timings: timings.splice(0) });
    case 'stats':
      return reply({ stats: obs?.stats() ?? {}, drops: obs?.drops() ?? {} });
    case 'flush': {
      const started = performance.now();
      await obs?.forceFlush({ timeoutMs: message.timeoutMs ?? 5000 });
      return reply({ ms: performance.now() - started, stats: obs?.stats() ?? {} });
    }
    case 'shutdown': {
      const started = performance.now();
      await obs?.shutdown({ timeoutMs: message.timeoutMs ?? 5000 });
      return reply({ ms: performance.now() - started, stats: obs?.stats() ?? {} });
    }
    case 'crash':
      obs?.log.info('about to fail');
      for (let i = 0; i < 200; i++) obs?.log.info({ i }, 'last words');
      setTimeout(() => {
        obs?.log.error('failing now');
        throw new Error('unexpected failure in the app');
      }, 1);
      return;
  }
});
process.send?.({ port });
