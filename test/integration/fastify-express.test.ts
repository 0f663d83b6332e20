import { SpanKind, trace } from '@opentelemetry/api';
import fastifyExpress from '@fastify/express';
import middie from '@fastify/middie';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressErrorHandler, expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { abortedRequest, deferred, request } from './helpers/http-client.js';

const memory = memoryExporter();
const obs = init({
  service: 'fastify-express-test',
  exporters: [memory],
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
});

/** Requests recorded in http.server.request.duration so far, all series together. */
async function recordedRequests(): Promise<number> {
  await obs.forceFlush();
  return memory
    .metrics()
    .filter((p) => p.name === 'http.server.request.duration')
    .reduce((sum, p) => sum + (p.value as { count: number }).count, 0);
}

type Order = 'plugin first' | 'express first';
type Mount = '@fastify/express' | '@fastify/middie';
const MOUNTS = { '@fastify/express': fastifyExpress, '@fastify/middie': middie };

/**
 * An app with sightline's Fastify plugin and `expressMiddleware()` (through @fastify/express) both
 * registered, in the given order, with an Express middleware logging through `req.log`.
 */
async function bothRegistered(mount: Mount, order: Order, seen: unknown[][]) {
  const app = Fastify({ loggerInstance: obs.log });
  if (order === 'plugin first') await app.register(sightlineFastify);
  await app.register(MOUNTS[mount]);
  app.use(expressMiddleware());
  if (order === 'express first') await app.register(sightlineFastify);
  app.use((req: { log: { bindings(): Record<string, unknown> } }, _res: unknown, next: () => void) => {
    seen.push(['express', req.log.bindings().trace_id, trace.getActiveSpan()?.spanContext().spanId]);
    next();
  });
  return app;
}

describe.each<[Mount, Order]>([
  ['@fastify/express', 'plugin first'],
  ['@fastify/express', 'express first'],
  ['@fastify/middie', 'plugin first'],
  ['@fastify/middie', 'express first'],
])('the Fastify plugin and expressMiddleware() through %s both registered, %s', (mount, order) => {
  it('record each request once: one span, one duration, one access line, the same trace ids', async () => {
    const seen: unknown[][] = [];
    const app = await bothRegistered(mount, order, seen);
    app.get('/orders/:id', async (req) => {
      seen.push([
        'fastify',
        (req.log as unknown as { bindings(): Record<string, unknown> }).bindings().trace_id,
        trace.getActiveSpan()?.spanContext().spanId,
      ]);
      return 'ok';
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = await recordedRequests();
    memory.reset();
    expect((await request(url, '/orders/1')).status).toBe(200);
    await app.close();
    await obs.forceFlush();
    const spans = memory.spans().filter((s) => s.kind === SpanKind.SERVER);
    expect(
      spans.map((s) => [s.name, s.attributes['http.route'], s.attributes['http.response.status_code']]),
    ).toEqual([['GET /orders/:id', '/orders/:id', 200]]);
    const { traceId, spanId } = spans[0]!.spanContext();
    expect(seen).toEqual([
      ['express', traceId, spanId],
      ['fastify', traceId, spanId],
    ]);
    expect((await recordedRequests()) - before).toBe(1);
    const lines = memory.logs().filter((l) => l.duration_ms !== undefined);
    expect(lines.map((l) => [l.route, l.status, l.trace_id])).toEqual([['/orders/:id', 200, traceId]]);
  });

  it("record an error an Express middleware hands on, its own answer, and a client's leaving, once", async () => {
    const app = await bothRegistered(mount, order, []);
    const reached = deferred();
    app.use('/fail', (_req: unknown, _res: unknown, next: (err?: unknown) => void) => {
      next(new RangeError('no such order'));
    });
    // middie calls no error middleware: the error goes straight to Fastify's error handling.
    if (mount === '@fastify/express') app.use(expressErrorHandler());
    app.use('/answered', (_req: unknown, res: { end(body: string): void }) => res.end('from express'));
    app.get('/answered', async () => 'from fastify');
    app.get('/slow/:id', async () => {
      reached.resolve();
      await new Promise((resolve) => setTimeout(resolve, 200));
      return 'late';
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = await recordedRequests();
    memory.reset();
    expect((await request(url, '/fail')).status).toBe(500);
    expect((await request(url, '/answered')).body).toBe('from express');
    await abortedRequest(url, '/slow/1', reached.promise);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await app.close();
    await obs.forceFlush();
    const spans = memory.spans().filter((s) => s.kind === SpanKind.SERVER);
    expect(
      spans.map((s) => [
        s.name,
        s.attributes['error.type'],
        s.events.filter((e) => e.name === 'exception').map((e) => e.attributes?.['exception.type']),
      ]),
    ).toEqual([
      ['GET', 'RangeError', ['RangeError']],
      ['GET /answered', undefined, []],
      ['GET /slow/:id', 'aborted', []],
    ]);
    expect((await recordedRequests()) - before).toBe(3);
  });
});

describe('expressErrorHandler() mounted through @fastify/middie', () => {
  it('hands each request on: middie calls it as plain middleware, with no error', async () => {
    const app = Fastify();
    await app.register(sightlineFastify);
    await app.register(middie);
    app.use(expressMiddleware());
    app.use(expressErrorHandler());
    app.get('/orders/:id', async () => 'ok');
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const reply = await request(url, '/orders/1');
    await app.close();
    expect([reply.status, reply.body]).toEqual([200, 'ok']);
    const spans = memory.spans().filter((s) => s.kind === SpanKind.SERVER);
    expect(spans.map((s) => [s.name, s.attributes['http.response.status_code'], s.events.length])).toEqual([
      ['GET /orders/:id', 200, 0],
    ]);
  });
});
