import http, { createServer, type IncomingHttpHeaders } from 'node:http';
import { SpanKind, trace } from '@opentelemetry/api';
import fastifyExpress from '@fastify/express';
import middie from '@fastify/middie';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressErrorHandler, expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { abortedRequest, close, deferred, listen, request } from './helpers/http-client.js';

const memory = memoryExporter();
const obs = init({
  service: 'fastify-express-test',
  exporters: [memory],
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
});

// The peer an Express middleware calls out to: a plain loopback server keeping the headers it got.
const received: IncomingHttpHeaders[] = [];
const peer = createServer((req, res) => {
  received.push(req.headers);
  res.end('peer');
});
const peerUrl = listen(peer);
afterAll(() => close(peer));

/** Requests recorded in http.server.request.duration so far, all series together or a route's. */
async function recordedRequests(route?: string): Promise<number> {
  await obs.forceFlush();
  return memory
    .metrics()
    .filter(
      (p) =>
        p.name === 'http.server.request.duration' &&
        (route === undefined || p.attributes['http.route'] === route),
    )
    .reduce((sum, p) => sum + (p.value as { count: number }).count, 0);
}

/** The SERVER spans ended once `app` has closed. */
async function serverSpansOnceClosed(app: { close(): Promise<unknown> }) {
  await app.close();
  await obs.forceFlush();
  return memory.spans().filter((s) => s.kind === SpanKind.SERVER);
}

/**
 * What the span of a request to `app` through a proxy (X-Forwarded-For, -Proto and -Host) names as
 * its client, scheme, host, port and peer, once `app` has closed.
 */
async function proxiedRequestView(app: ReturnType<typeof Fastify>) {
  app.get('/proxied/:id', async () => 'ok');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  memory.reset();
  const headers = {
    'x-forwarded-for': '203.0.113.9',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'shop.example',
  };
  expect((await request(url, '/proxied/1', { headers })).status).toBe(200);
  const [span] = await serverSpansOnceClosed(app);
  const names = ['client.address', 'url.scheme', 'server.address', 'server.port', 'network.peer.address'];
  return { url, view: names.map((name) => span!.attributes[name]) };
}

type Order = 'plugin first' | 'express first';
type Mount = '@fastify/express' | '@fastify/middie';
const MOUNTS = { '@fastify/express': fastifyExpress, '@fastify/middie': middie };

/**
 * An app with sightline's Fastify plugin and `expressMiddleware()` (through `mount`) both
 * registered, in the given order, with an Express middleware noting what `req.log` names.
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
    const spans = await serverSpansOnceClosed(app);
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
    const spans = await serverSpansOnceClosed(app);
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

  it('name a request a Fastify route hands to the not-found handler by that route, as the plugin alone does', async () => {
    const app = await bothRegistered(mount, order, []);
    // As @fastify/static does for a file it does not have.
    app.get('/files/*', async (_req, reply) => {
      reply.callNotFound();
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const before = await recordedRequests('/files/*');
    memory.reset();
    expect((await request(url, '/files/missing.txt')).status).toBe(404);
    const spans = await serverSpansOnceClosed(app);
    expect(
      spans.map((s) => [s.name, s.attributes['http.route'], s.attributes['http.response.status_code']]),
    ).toEqual([['GET /files/*', '/files/*', 404]]);
    const lines = memory.logs().filter((l) => l.duration_ms !== undefined);
    expect(lines.map((l) => l.route)).toEqual(['/files/*']);
    expect((await recordedRequests('/files/*')) - before).toBe(1);
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
    const spans = await serverSpansOnceClosed(app);
    expect([reply.status, reply.body]).toEqual([200, 'ok']);
    expect(spans.map((s) => [s.name, s.attributes['http.response.status_code'], s.events.length])).toEqual([
      ['GET /orders/:id', 200, 0],
    ]);
  });
});

describe.each<Mount>(['@fastify/express', '@fastify/middie'])(
  'Express middleware through %s, registered after the Fastify plugin',
  (mount) => {
    it("runs in the request's context: its log lines, its calls out, a body it reads, a later next()", async () => {
      const peerBase = await peerUrl;
      const app = Fastify({ loggerInstance: obs.log });
      await app.register(sightlineFastify);
      await app.register(MOUNTS[mount]);
      const seen: unknown[] = [];
      type Req = http.IncomingMessage & { log: { bindings(): Record<string, unknown> } };
      const spanId = () => trace.getActiveSpan()?.spanContext().spanId;
      app.use('/hook', (req: Req, res: http.ServerResponse) => {
        let body = '';
        req.on('data', (chunk: string) => {
          body += chunk;
        });
        req.on('end', () => {
          seen.push(['body', body, spanId(), req.log.bindings().span_id]);
          void fetch(`${peerBase}/fetched`).then(() => res.end('hooked'));
        });
      });
      app.use((req: Req, _res: unknown, next: () => void) => {
        seen.push(['middleware', spanId(), req.log.bindings().span_id]);
        http.get(`${peerBase}/got`, (peerRes) => {
          peerRes.resume();
          peerRes.on('end', () => setTimeout(next, 5));
        });
      });
      app.get('/orders/:id', async () => {
        seen.push(['handler', spanId()]);
        return 'ok';
      });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      memory.reset();
      received.length = 0;
      expect((await request(url, '/orders/1')).status).toBe(200);
      expect((await request(url, '/hook', { method: 'POST', body: 'payload' })).body).toBe('hooked');
      const spans = await serverSpansOnceClosed(app);
      expect(spans.map((s) => s.name)).toEqual(['GET /orders/:id', 'POST']);
      const [order, hook] = spans.map((s) => s.spanContext());
      expect(seen).toEqual([
        ['middleware', order!.spanId, order!.spanId],
        ['handler', order!.spanId],
        ['body', 'payload', hook!.spanId, hook!.spanId],
      ]);
      // Each call out is a client span under the request's, and carries its trace on.
      const clients = memory
        .spans()
        .filter((s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).startsWith(peerBase));
      expect(clients.map((s) => s.parentSpanContext?.spanId)).toEqual([order!.spanId, hook!.spanId]);
      expect(received.map((h) => String(h.traceparent).split('-')[1])).toEqual([
        order!.traceId,
        hook!.traceId,
      ]);
    });
  },
);

describe.each<Mount>(['@fastify/express', '@fastify/middie'])(
  'expressMiddleware() through %s without the Fastify plugin',
  (mount) => {
    it("names a Fastify route's request by its method alone, never by its path, with its status", async () => {
      const app = Fastify();
      await app.register(MOUNTS[mount]);
      app.use(expressMiddleware());
      const router = express.Router();
      router.get('/things/:id', (_req, res) => {
        res.end('thing');
      });
      app.use('/api', router);
      app.get('/orders/:id', async () => 'ok');
      app.get('/boom/:id', async () => {
        throw new TypeError('boom');
      });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      memory.reset();
      for (const path of ['/orders/1', '/boom/2', '/nope/3', '/api/things/4']) await request(url, path);
      const spans = await serverSpansOnceClosed(app);
      expect(
        spans.map((s) => [
          s.name,
          s.attributes['http.route'],
          s.attributes['http.response.status_code'],
          s.attributes['error.type'],
        ]),
      ).toEqual([
        ['GET', undefined, 200, undefined],
        ['GET', undefined, 500, '500'],
        ['GET', undefined, 404, undefined],
        // middie keeps no mount path: the router's route is named by its path in the router.
        mount === '@fastify/express'
          ? ['GET /api/things/:id', '/api/things/:id', 200, undefined]
          : ['GET /things/:id', '/things/:id', 200, undefined],
      ]);
      const lines = memory.logs().filter((l) => l.duration_ms !== undefined);
      expect(lines.map((l) => l.route)).toEqual([
        'unmatched',
        'unmatched',
        'unmatched',
        mount === '@fastify/express' ? '/api/things/:id' : '/things/:id',
      ]);
    });
  },
);

describe.each<[boolean, boolean]>([
  [false, false],
  [false, true],
  [true, false],
  [true, true],
])(
  'expressMiddleware() through @fastify/express without the Fastify plugin, Fastify trusting the proxy %s, its Express app %s',
  (fastifyTrusts, expressTrusts) => {
    it('reads the client, scheme and host past the proxy as the Express app trusts it, all three', async () => {
      const app = Fastify({ trustProxy: fastifyTrusts });
      await app.register(fastifyExpress);
      if (expressTrusts) app.express.set('trust proxy', true);
      app.use(expressMiddleware());
      const { url, view } = await proxiedRequestView(app);
      expect(view).toEqual(
        expressTrusts
          ? ['203.0.113.9', 'https', 'shop.example', 443, '127.0.0.1']
          : ['127.0.0.1', 'http', '127.0.0.1', Number(new URL(url).port), undefined],
      );
    });
  },
);

describe.each<Order>(['plugin first', 'express first'])(
  'an Express app with expressMiddleware() of its own mounted through @fastify/express, the plugin registered %s',
  (order) => {
    it("names a request the Express app answers by the Express app's route", async () => {
      const legacy = express();
      legacy.use(expressMiddleware());
      legacy.get('/users/:id', (_req, res) => {
        res.send('user');
      });
      const app = Fastify();
      if (order === 'plugin first') await app.register(sightlineFastify);
      await app.register(fastifyExpress);
      app.use('/legacy', legacy);
      if (order === 'express first') await app.register(sightlineFastify);
      app.get('/orders/:id', async () => 'ok');
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const before = await recordedRequests();
      memory.reset();
      for (const path of ['/legacy/users/1', '/orders/2', '/nope/3']) await request(url, path);
      const spans = await serverSpansOnceClosed(app);
      expect(
        spans.map((s) => [s.name, s.attributes['http.route'], s.attributes['http.response.status_code']]),
      ).toEqual([
        ['GET /legacy/users/:id', '/legacy/users/:id', 200],
        ['GET /orders/:id', '/orders/:id', 200],
        ['GET', undefined, 404],
      ]);
      expect(
        memory
          .logs()
          .filter((l) => l.duration_ms !== undefined)
          .map((l) => l.route),
      ).toEqual(['/legacy/users/:id', '/orders/:id', 'unmatched']);
      expect((await recordedRequests()) - before).toBe(3);
    });
  },
);

describe.each<[Mount, Order]>([
  ['@fastify/express', 'plugin first'],
  ['@fastify/express', 'express first'],
  ['@fastify/middie', 'express first'],
])(
  'the Fastify plugin and expressMiddleware() through %s, %s, behind a proxy Fastify trusts',
  (mount, order) => {
    it('record the client, scheme and host the proxy forwards, as Fastify reads them', async () => {
      const app = Fastify({ trustProxy: true });
      if (order === 'plugin first') await app.register(sightlineFastify);
      await app.register(MOUNTS[mount]);
      app.use(expressMiddleware());
      if (order === 'express first') await app.register(sightlineFastify);
      const { view } = await proxiedRequestView(app);
      expect(view).toEqual(['203.0.113.9', 'https', 'shop.example', 443, '127.0.0.1']);
      const point = memory
        .metrics()
        .find(
          (p) => p.name === 'http.server.request.duration' && p.attributes['http.route'] === '/proxied/:id',
        );
      expect(point?.attributes['url.scheme']).toBe('https');
      const active = memory.metrics().filter((p) => p.name === 'http.server.active_requests');
      expect(active.reduce((sum, p) => sum + (p.value as number), 0)).toBe(0);
    });
  },
);
