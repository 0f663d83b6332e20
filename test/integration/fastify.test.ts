import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import https from 'node:https';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { init, log } from '../../src/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import {
  NOT_UTF8_BAGGAGE,
  absoluteFormGet,
  abortedRequest,
  bodyUntilClosed,
  deferred,
  heldRequests,
  hostlessGet,
  keptAliveThroughClose,
  request,
  unfinishedUpload,
  upstreamReset,
  webSocketSession,
} from './helpers/http-client.js';
import {
  activeDuringWebSocketSession,
  activeRequests,
  asTheAppsSeeThem,
  CUT_OFF_ROUTES,
  closedWebSocketSessions,
  cutOffAsFailure,
  cutOffUnanswered,
  droppedPipeline,
  durationPoint,
  EVENT_STREAM_ENDED,
  erroredRequest,
  eventStreamLeft,
  proxiedRequests,
  unfailedSessions,
  exceptionOf,
  waitForSpans,
} from './helpers/telemetry.js';
import { foreignError, NOT_OF_THIS_REALM, objectError } from './helpers/thrown-values.js';
import { fastifyWebsocket } from './helpers/websocket.js';

const memory = memoryExporter();
const rawLines: string[] = [];
const obs = init({
  service: 'fastify-test',
  exporters: [memory],
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: (line: string) => rawLines.push(line) },
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
const TLS = { cert: fixture('intake-cert.pem'), key: fixture('intake-key.pem') };

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const SECRET = 'sentinel-secret-value-123';

const server = (path: string) => (s: { attributes: Record<string, unknown>; kind: SpanKind }) =>
  s.kind === SpanKind.SERVER && s.attributes['url.path'] === path;

/** The parts of a reply, over HTTP/1 or HTTP/2, the stream routes use. */
type StreamReply = {
  raw: { once(event: 'close', listener: () => void): unknown };
  send(body: Readable): void;
};

/** One chunk, then nothing: the client reads the headers and hangs up mid-body. */
function stalledStream(_request: unknown, reply: StreamReply) {
  const body = new Readable({ read() {} });
  body.push('first chunk');
  reply.raw.once('close', () => body.destroy());
  return reply.send(body);
}

/** One chunk goes out, then the source fails: Fastify cuts off the response it has started. */
function failingStream(_request: unknown, reply: StreamReply) {
  const body = new Readable({ read() {} });
  body.once('data', () => setImmediate(() => body.destroy(new Error('source failed'))));
  body.push('first chunk');
  return reply.send(body);
}

/** The server span of GET /orders/1, answered by `handler` in an app logging through `loggerInstance`. */
async function servedThrough(loggerInstance: Logger, handler: (request: FastifyRequest) => void) {
  const local = Fastify({ loggerInstance });
  await local.register(sightlineFastify);
  local.get('/orders/:id', async (request) => {
    handler(request);
    return 'ok';
  });
  const url = await local.listen({ host: '127.0.0.1', port: 0 });
  memory.reset();
  expect((await request(url, '/orders/1')).status).toBe(200);
  const [span] = await waitForSpans(obs, memory, server('/orders/1'), 1);
  await local.close();
  return span!.spanContext();
}

let app: FastifyInstance<any, any, any, any>;
let base: string;
let aborted = deferred();
let abortSeen = deferred();
let entered = deferred();
let release = deferred();
let hungUp = deferred();
/** What each path's error answer said, in its body's message, span, duration and access line. */
async function answeredErrors(url: string, paths: string[]): Promise<unknown[][]> {
  const seen = [];
  for (const path of paths)
    seen.push(await erroredRequest(obs, memory, url, path, (body) => JSON.parse(body).message));
  return seen;
}

const held = heldRequests();

beforeAll(async () => {
  // Fastify logs through the instance's logger, so its request lines reach the same destination.
  app = Fastify({ loggerInstance: obs.log });
  await app.register(sightlineFastify, { ignore: ['/health'] });
  app.get('/health', async () => 'ok');
  app.get('/items/:sku', async (request) => {
    const active = trace.getActiveSpan()?.spanContext();
    const baggage = propagation.getBaggage(context.active())?.getEntry('tenant')?.value;
    request.log.info({ sku: (request.params as { sku: string }).sku }, 'loading item');
    // Fastify matches the route before any hook runs, so the span starts with its final name.
    const span = trace.getActiveSpan() as { name?: string; attributes?: Record<string, unknown> } | undefined;
    return {
      activeTraceId: active?.traceId,
      activeSpanId: active?.spanId,
      baggage,
      activeName: span?.name,
      activeRoute: span?.attributes?.['http.route'],
    };
  });
  app.post('/items', async (request) => {
    // The body was parsed from stream events; the handler still runs in the request's span.
    await new Promise((resolve) => setImmediate(resolve));
    return { received: request.body, activeSpanId: trace.getActiveSpan()?.spanContext().spanId };
  });
  await app.register(
    async (v1) => {
      v1.get('/items/:sku', async () => 'v1 item');
      await v1.register(
        async (store) => {
          store.get('/items/:sku', async (request) => request.params);
        },
        { prefix: '/stores/:storeId' },
      );
    },
    { prefix: '/v1' },
  );
  app.get('/sync-error', () => {
    throw new Error('sync boom');
  });
  app.get('/foreign-error', async () => {
    throw foreignError;
  });
  app.get('/object-error', async () => {
    throw objectError;
  });
  app.get('/unnamed-error', async () => {
    throw Object.defineProperty(new Error('unnamed boom'), 'name', {
      get() {
        throw new Error('name getter');
      },
    });
  });
  app.get('/upstream-error', async () => {
    // What got throws for a failed call: the URL it was given, in its message.
    throw new Error(`Request failed with status code 500: GET http://127.0.0.1:1/v1?api_key=${SECRET}`);
  });
  app.get('/async-error', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    throw new TypeError('async boom');
  });
  app.get('/teapot', async (_request, reply) => reply.code(418).send('short and stout'));
  // What @fastify/static does for a file it does not have: the not-found handler answers.
  app.get('/assets/*', (_request, reply) => reply.callNotFound());
  app.get('/slow', (request, _reply) => {
    request.raw.on('close', () => abortSeen.resolve());
    aborted.resolve();
    // Never answers: the client goes away first.
  });
  // Never answers: the client goes away with the later answers still queued behind the first.
  app.route({ method: ['GET', 'POST'], url: '/queued/:n', handler: held.handler });
  app.post('/orders', async (request) => {
    request.raw.socket.once('close', () => hungUp.resolve());
    entered.resolve();
    await release.promise;
    // Answers to a closed connection: the response never finishes.
    return 'too late';
  });
  // Cut off before any answer: a handler that gives up on the request, with or without its error.
  app.get('/destroyed-unanswered', (_request, reply) => {
    setImmediate(() => reply.raw.destroy());
    return reply;
  });
  app.get('/destroyed-unanswered-error', (_request, reply) => {
    setImmediate(() => reply.raw.destroy(new RangeError('quota store unreachable')));
    return reply;
  });
  app.get('/destroyed-unanswered-reset', (_request, reply) => {
    upstreamReset().then((error) => reply.raw.destroy(error));
    return reply;
  });
  app.get('/hijacked', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(202, { 'content-type': 'text/plain' });
    reply.raw.end('written by hand');
  });
  app.get('/stream', stalledStream);
  // Event streams: open until the client leaves, their normal end.
  app.get('/events', (_request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    reply.raw.write('data: first\n\n');
  });
  app.get('/events/sent', (request, reply) => {
    const events = new Readable({ read() {} });
    events.push('data: first\n\n');
    request.raw.once('close', () => events.destroy());
    return reply.type('text/event-stream').send(events);
  });
  app.get('/stream-error', failingStream);
  app.get('/web-stream-error', (_request, reply) => {
    // The same with a web stream, which Fastify reads itself instead of piping.
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('first chunk'));
        setImmediate(() => controller.error(new Error('source failed')));
      },
    });
    return reply.send(body);
  });
  // More than the loopback socket buffers take: the response cannot finish while the client does not read.
  app.get('/large', (_request, reply) => reply.send(Buffer.alloc(32 * 1024 * 1024)));
  app.get('/wait', async () => {
    entered.resolve();
    await release.promise;
    return 'released';
  });
  app.get('/jobs/:n', async (request) => {
    const n = Number((request.params as { n: string }).n);
    for (let i = 0; i < n % 7; i++) await new Promise((resolve) => setImmediate(resolve));
    request.log.info({ n: String(n) }, 'request log');
    return 'done';
  });
  app.get('/profile', async (request, reply) => {
    reply.raw.setHeader('set-cookie', `sid=${SECRET}`);
    request.log.info({ request, reply }, 'handler state');
    obs.log.info({ ctx: { request } }, 'nested state');
    return 'profile';
  });
  // A route whose own req serializer writes the headers as the connection holds them.
  app.get(
    '/audited',
    {
      logSerializers: {
        req: (req: { method: string; raw: { rawHeaders: string[] } }) => ({
          method: req.method,
          headers: req.raw.rawHeaders,
        }),
      },
    },
    async () => 'audited',
  );
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await obs.shutdown();
});

beforeEach(() => {
  memory.reset();
  rawLines.length = 0;
  aborted = deferred();
  abortSeen = deferred();
});

describe('sightlineFastify', () => {
  it('names the SERVER span after the route template and sets the HTTP attributes', async () => {
    const reply = await request(base, '/items/A-1?debug=1', { headers: { 'user-agent': 'probe/2.0' } });
    expect(reply.status).toBe(200);
    const [span] = await waitForSpans(obs, memory, server('/items/A-1'));
    expect(span!.name).toBe('GET /items/:sku');
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/items/A-1',
      'url.scheme': 'http',
      'http.route': '/items/:sku',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'client.address': '127.0.0.1',
      'user_agent.original': 'probe/2.0',
      'network.protocol.version': '1.1',
    });
    const body = JSON.parse(reply.body);
    expect(body.activeTraceId).toBe(span!.spanContext().traceId);
    expect(body.activeSpanId).toBe(span!.spanContext().spanId);
    expect(body).toMatchObject({ activeName: 'GET /items/:sku', activeRoute: '/items/:sku' });
  });

  it('names the client, scheme and host a proxy the app trusts forwards (trustProxy), and only then', async () => {
    const trusting = Fastify({ trustProxy: ['127.0.0.1', '10.0.0.0/8'] });
    await trusting.register(sightlineFastify);
    trusting.get('/proxied/:id', async () => 'ok');
    try {
      const trustingBase = await trusting.listen({ host: '127.0.0.1', port: 0 });
      expect(await proxiedRequests(obs, memory, trustingBase, base, '/items/A-3')).toEqual(
        asTheAppsSeeThem(base),
      );
    } finally {
      await trusting.close();
    }
  });

  it('runs a handler with a parsed body in the span context', async () => {
    const reply = await request(base, '/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'B-2' }),
    });
    const [span] = await waitForSpans(obs, memory, server('/items'));
    expect(span!.name).toBe('POST /items');
    expect(JSON.parse(reply.body)).toEqual({
      received: { sku: 'B-2' },
      activeSpanId: span!.spanContext().spanId,
    });
  });

  it('writes Fastify’s not-found line with the secrets of the URL’s query redacted', async () => {
    expect((await request(base, `/missing/2?page=2&token=${SECRET}`)).status).toBe(404);
    await waitForSpans(obs, memory, server('/missing/2'));

    const lines = rawLines.filter((l) => l.includes('/missing/2'));
    expect(lines.join('\n')).not.toContain(SECRET);
    const messages = lines.map((l) => JSON.parse(l).msg);
    expect(messages).toContain('Route GET:/missing/2?page=2&token=[Redacted] not found');
  });

  it('writes the secrets of a URL given in the query, as it is or encoded, as [Redacted] in Fastify’s lines', async () => {
    const given = `/missing/3?next=https://app.example/cb?access_token=${SECRET}&u=https%3A%2F%2Fb%2Fc%3Ftoken%3D${SECRET}`;
    expect((await request(base, given)).status).toBe(404);
    await waitForSpans(obs, memory, server('/missing/3'));

    const lines = rawLines.filter((l) => l.includes('/missing/3'));
    expect(lines.join('\n')).not.toContain(SECRET);
    const clean =
      '/missing/3?next=https://app.example/cb?access_token=[Redacted]&u=https%3A%2F%2Fb%2Fc%3Ftoken%3D[Redacted]';
    expect(lines.map((l) => JSON.parse(l).msg)).toContain(`Route GET:${clean} not found`);
    expect(lines.map((l) => JSON.parse(l).req?.url)).toContain(clean);
  });

  it.each([
    ['/v1/items/9', 'GET /v1/items/:sku'],
    ['/v1/stores/s1/items/9', 'GET /v1/stores/:storeId/items/:sku'],
  ])('includes prefixes in the template: %s', async (path, name) => {
    expect((await request(base, path)).status).toBe(200);
    const [span] = await waitForSpans(obs, memory, server(path));
    expect(span!.name).toBe(name);
  });

  it('names a request sent in absolute form (GET http://host/path) after its path, and ignores it as that path', async () => {
    expect(await absoluteFormGet(base, '/health')).toBe(200);
    expect(await absoluteFormGet(base, '/v1/stores/s1/items/9?token=secret')).toBe(200);
    const [span] = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER);
    expect([span!.name, span!.attributes['url.path']]).toEqual([
      'GET /v1/stores/:storeId/items/:sku',
      '/v1/stores/s1/items/9',
    ]);
    expect(memory.spans().filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(1);
  });

  it('records and ignores a request by the path the client sent, not the one rewriteUrl routes it by', async () => {
    const local = Fastify({ rewriteUrl: (raw) => raw.url!.replace(/^\/legacy\//, '/v2/') });
    await local.register(sightlineFastify, { ignore: ['/legacy/health'] });
    local.get('/v2/items/:id', async () => 'item');
    local.get('/v2/health', async () => 'ok');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    try {
      memory.reset();
      expect((await request(url, '/legacy/health')).status).toBe(200);
      expect((await request(url, '/legacy/items/1?token=abc')).status).toBe(200);
      const [span] = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER);
      const line = memory.logs().find((l) => l.route !== undefined);
      expect([
        memory.spans().filter((s) => s.kind === SpanKind.SERVER).length,
        span!.name,
        span!.attributes['url.path'],
        line?.path,
      ]).toEqual([1, 'GET /v2/items/:id', '/legacy/items/1', '/legacy/items/1']);
    } finally {
      await local.close();
    }
  });

  it('records and ignores a request refused while the app closes by the path the client sent, under rewriteUrl', async () => {
    const seen = [];
    for (const second of ['/legacy/items/2', '/legacy/health']) {
      const local = Fastify({ rewriteUrl: (raw) => raw.url!.replace(/^\/legacy\//, '/v2/') });
      await local.register(sightlineFastify, { ignore: ['/legacy/health'] });
      const reached = deferred();
      local.get('/v2/items/:id', (request, reply) => {
        if ((request.params as { id: string }).id !== '1') return reply.send('item');
        reached.resolve();
        setTimeout(() => reply.send('item'), 50);
        return reply;
      });
      local.get('/v2/health', async () => 'ok');
      const url = await local.listen({ host: '127.0.0.1', port: 0 });
      memory.reset();
      const first = '/legacy/items/1';
      const answers = await keptAliveThroughClose(url, { first, second }, reached.promise, () =>
        local.close(),
      );
      await waitForSpans(obs, memory, server(first));
      // The refusal is traced as its 'close' comes, after the first's.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const paths = memory
        .spans()
        .filter((s) => s.kind === SpanKind.SERVER)
        .map((s) => s.attributes['url.path']);
      seen.push([
        answers,
        paths,
        memory
          .logs()
          .filter((l) => l.status === 503)
          .map((l) => l.path),
      ]);
    }
    expect(seen).toEqual([
      [[200, 503], ['/legacy/items/1', '/legacy/items/2'], ['/legacy/items/2']],
      [[200, 503], ['/legacy/items/1'], []],
    ]);
  });

  it('names no server port for a request without a Host header, not the default 80', async () => {
    const { hostname, port } = new URL(base);
    expect(await hostlessGet({ host: hostname, port: Number(port) }, '/items/no-host')).toBe(200);
    const [span] = await waitForSpans(obs, memory, server('/items/no-host'));
    expect([span!.attributes['server.address'], span!.attributes['server.port']]).toEqual([
      undefined,
      undefined,
    ]);
    expect(span!.attributes['network.protocol.version']).toBe('1.0');
  });

  it('continues the caller trace from traceparent and reads baggage', async () => {
    const reply = await request(base, '/items/C', {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'tenant=globex' },
    });
    const [span] = await waitForSpans(obs, memory, server('/items/C'));
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(JSON.parse(reply.body).baggage).toBe('globex');
  });

  it('reads a baggage value whose encoded octets are not UTF-8 with U+FFFD in their place, as W3C Baggage asks', async () => {
    for (const [sent, read] of NOT_UTF8_BAGGAGE) {
      const reply = await request(base, '/items/D', { headers: { baggage: `tenant=${sent}` } });
      expect(JSON.parse(reply.body).baggage).toBe(read);
    }
  });

  it.each(['nope', `00-${TRACE_ID}-${'0'.repeat(16)}-01`, `zz-${TRACE_ID}-${PARENT_ID}-01`])(
    'starts a new trace on a malformed traceparent (%s)',
    async (traceparent) => {
      expect((await request(base, '/items/D', { headers: { traceparent } })).status).toBe(200);
      const [span] = await waitForSpans(obs, memory, server('/items/D'));
      expect(span!.spanContext().traceId).not.toBe(TRACE_ID);
      expect(span!.parentSpanContext).toBeUndefined();
    },
  );

  it('records a 404 without a route', async () => {
    expect((await request(base, '/missing/1')).status).toBe(404);
    const [span] = await waitForSpans(obs, memory, server('/missing/1'));
    expect(span!.name).toBe('GET');
    expect(span!.attributes['http.route']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': 'unmatched',
      'http.response.status_code': 404,
    });
    expect(point).toBeDefined();
  });

  it('records a 404 the route hands to the not-found handler under that route, in spans, metrics and logs alike', async () => {
    expect((await request(base, '/assets/app-3f2a.js')).status).toBe(404);
    const [span] = await waitForSpans(obs, memory, server('/assets/app-3f2a.js'));
    expect(span!.name).toBe('GET /assets/*');
    expect(span!.attributes).toMatchObject({ 'http.route': '/assets/*', 'http.response.status_code': 404 });
    const line = memory.logs().find((l) => l.path === '/assets/app-3f2a.js' && l.route !== undefined);
    expect(line).toMatchObject({ level: 'warn', route: '/assets/*', status: 404 });
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/assets/*',
      'http.response.status_code': 404,
    });
    expect(point).toBeDefined();
  });

  it.each([
    ['/sync-error', 'Error', 'sync boom'],
    ['/async-error', 'TypeError', 'async boom'],
  ])('marks %s failed with an exception event', async (path, type, message) => {
    expect((await request(base, path)).status).toBe(500);
    const [span] = await waitForSpans(obs, memory, server(path));
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe(type);
    expect(span!.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe(message);
    const line = memory.logs().find((l) => l.path === path && l.route !== undefined);
    expect(line).toMatchObject({ level: 'error', status: 500, error_type: type });
  });

  it.each(NOT_OF_THIS_REALM)(
    'records the exception of %s, no Error of this realm, by its type, message and stack',
    async (path, type, message, stack) => {
      expect((await request(base, path)).status).toBe(500);
      const [span] = await waitForSpans(obs, memory, server(path));
      expect(span!.attributes['error.type']).toBe(type);
      expect(exceptionOf(span!)).toEqual([type, message, stack]);
    },
  );

  it('ends the span of a request whose error has a getter that throws, as failed with error.type _OTHER', async () => {
    expect((await request(base, '/unnamed-error')).status).toBe(500);
    const [span] = await waitForSpans(obs, memory, server('/unnamed-error'));
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes['error.type']).toBe('_OTHER');
  });

  it('treats 4xx as success on the server span, logged at warn', async () => {
    expect((await request(base, '/teapot')).status).toBe(418);
    const [span] = await waitForSpans(obs, memory, server('/teapot'));
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    expect(memory.logs().find((l) => l.path === '/teapot' && l.route)).toMatchObject({
      level: 'warn',
      status: 418,
    });
  });

  it('ends the span as aborted when the client goes away', async () => {
    await abortedRequest(base, '/slow', aborted.promise);
    await abortSeen.promise;
    const [span] = await waitForSpans(obs, memory, server('/slow'));
    expect(span!.name).toBe('GET /slow');
    expect(span!.attributes['error.type']).toBe('aborted');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('ends the span as aborted when the client goes away after sending its body', async () => {
    // Node leaves req.aborted unset once the body is read, so Fastify never runs onRequestAbort.
    entered = deferred();
    release = deferred();
    hungUp = deferred();
    await abortedRequest(base, '/orders', entered.promise, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'F-1' }),
    });
    await hungUp.promise;
    release.resolve();
    const [span] = await waitForSpans(obs, memory, server('/orders'));
    expect(span!.name).toBe('POST /orders');
    expect(span!.attributes['error.type']).toBe('aborted');
    expect(span!.attributes['http.response.status_code']).toBeUndefined();
    expect(memory.logs().find((l) => l.path === '/orders' && l.route)).toMatchObject({
      level: 'error',
      error_type: 'aborted',
    });
    const active = await durationPoint(obs, memory, 'http.server.active_requests', {
      'http.request.method': 'POST',
    });
    expect(active?.value).toBe(0);
  });

  it('ends every pipelined request as aborted when the client goes away, the queued ones too', async () => {
    const gone = (method: string) => [`${method} /queued/:n`, 'aborted'];
    const ended = await droppedPipeline(obs, memory, base, held);
    expect(ended).toEqual({ spans: ['GET', 'POST', 'GET'].map(gone), active: 0 });
  });

  it.each(CUT_OFF_ROUTES)(
    'ends a response cut off before any answer as a server failure: %s',
    async (path, type) => {
      expect(await cutOffUnanswered(obs, memory, base, path)).toEqual(cutOffAsFailure(type));
    },
  );

  it('records a hijacked reply the handler answered by hand', async () => {
    const reply = await request(base, '/hijacked');
    expect(reply).toMatchObject({ status: 202, body: 'written by hand' });
    const [span] = await waitForSpans(obs, memory, server('/hijacked'));
    expect(span!.attributes['http.response.status_code']).toBe(202);
    expect(span!.attributes['error.type']).toBeUndefined();
  });

  it('ends a stream the client cuts off as aborted, with the status it had sent', async () => {
    await new Promise<void>((resolve) => {
      const req = http.get(`${base}/stream`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
    });
    const [span] = await waitForSpans(obs, memory, server('/stream'));
    expect(span!.attributes['http.response.status_code']).toBe(200);
    expect(span!.attributes['error.type']).toBe('aborted');
  });

  it.each(['/events', '/events/sent'])(
    'records an event stream the client leaves, its normal end, as a 200 without error: %s',
    async (path) => {
      expect(await eventStreamLeft(obs, memory, base, path)).toEqual(EVENT_STREAM_ENDED);
    },
  );

  it.each(['/stream-error', '/web-stream-error'])(
    'ends a reply stream that fails after the headers as cut off by the server, logged at error: %s',
    async (path) => {
      const received = await bodyUntilClosed(`${base}${path}`);
      expect(received).toBe('first chunk');
      const [span] = await waitForSpans(obs, memory, server(path));
      expect(span!.attributes['http.response.status_code']).toBe(200);
      expect(span!.attributes['error.type']).toBe('response_cut');
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
      expect(memory.logs().find((l) => l.path === path && l.route)).toMatchObject({
        level: 'error',
        status: 200,
        error_type: 'response_cut',
      });
      // The stream's error reaches no hook; Fastify's own line has it, with the request's trace ids.
      const streamLine = rawLines.map((l) => JSON.parse(l)).find((l) => l.err?.message === 'source failed');
      expect(streamLine?.trace_id).toBe(span!.spanContext().traceId);
      const point = await durationPoint(obs, memory, 'http.server.request.duration', {
        'http.route': path,
        'error.type': 'response_cut',
      });
      expect(point).toBeDefined();
    },
  );

  it('records a response the handler ended as answered, when the client hangs up before it is flushed', async () => {
    await new Promise<void>((resolve) => {
      const req = http.get(`${base}/large`, { agent: false }, () => {
        req.destroy();
        resolve();
      });
      req.on('error', () => {});
    });
    const [span] = await waitForSpans(obs, memory, server('/large'));
    expect(span!.attributes['http.response.status_code']).toBe(200);
    expect(span!.attributes['error.type']).toBeUndefined();
  });

  it('keeps 50 concurrent requests apart in Fastify request.log lines', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, n) => request(base, `/jobs/${n}`)));
    const spans = await waitForSpans(
      obs,
      memory,
      (s) => String(s.attributes['url.path']).startsWith('/jobs/'),
      50,
    );
    const traceByN = new Map(
      spans.map((s) => [String(s.attributes['url.path']).slice(6), s.spanContext().traceId]),
    );
    expect(new Set(traceByN.values()).size).toBe(50);
    const own = memory.logs().filter((l) => l.msg === 'request log');
    expect(own).toHaveLength(50);
    for (const line of own) expect(line.trace_id).toBe(traceByN.get(String(line.n)));
    // Fastify's own 'request completed' lines carry the ids too (reply.log), once each.
    const completed = rawLines.filter((l) => l.includes('"request completed"'));
    expect(completed).toHaveLength(50);
    for (const line of completed) {
      expect(line.split('"trace_id"').length - 1).toBe(1);
      expect([...traceByN.values()]).toContain(JSON.parse(line).trace_id);
    }
  });

  it('writes a logged Fastify request and reply as summaries, with their headers and query redacted', async () => {
    const reply = await request(base, `/profile?page=2&access_token=${SECRET}`, {
      headers: { authorization: `Bearer ${SECRET}`, cookie: `sid=${SECRET}`, 'x-request-id': 'r-1' },
    });
    expect(reply.status).toBe(200);
    await waitForSpans(obs, memory, server('/profile'));

    const lines = rawLines.filter((l) => l.includes('/profile') || l.includes('state'));
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain('rawHeaders');
    const parsed = lines.map((l) => JSON.parse(l));
    const state = parsed.find((l) => l.msg === 'handler state');
    expect(state.request).toMatchObject({
      method: 'GET',
      url: '/profile?page=2&access_token=[Redacted]',
      query: { page: '2', access_token: '[Redacted]' },
      remoteAddress: '127.0.0.1',
      headers: { authorization: '[Redacted]', cookie: '[Redacted]', 'x-request-id': 'r-1' },
    });
    expect(state.reply.headers).toEqual({ 'set-cookie': '[Redacted]' });
    const nested = parsed.find((l) => l.msg === 'nested state');
    expect(nested.ctx.request.headers.authorization).toBe('[Redacted]');
    // Fastify's own line still reads the request through its serializer.
    const incoming = parsed.find((l) => l.msg === 'incoming request');
    expect(incoming.req).toMatchObject({
      method: 'GET',
      url: '/profile?page=2&access_token=[Redacted]',
      remoteAddress: '127.0.0.1',
    });
    expect(incoming.req.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(typeof incoming.req.remotePort).toBe('number');
  });

  it('redacts the raw headers a route’s own req serializer writes into Fastify’s incoming request line', async () => {
    const reply = await request(base, '/audited', {
      headers: { authorization: `Bearer ${SECRET}`, cookie: `sid=${SECRET}`, 'x-request-id': 'r-2' },
    });
    expect(reply.status).toBe(200);
    await waitForSpans(obs, memory, server('/audited'));

    const incoming = rawLines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'incoming request' && l.req?.headers);
    expect(JSON.stringify(incoming)).not.toContain(SECRET);
    const headers: string[] = incoming.req.headers;
    expect(headers[headers.indexOf('authorization') + 1]).toBe('[Redacted]');
    expect(headers[headers.indexOf('cookie') + 1]).toBe('[Redacted]');
    expect(headers[headers.indexOf('x-request-id') + 1]).toBe('r-2');
  });

  it('writes a request of app.inject() as the same redacted summary as a request over the network', async () => {
    const reply = await app.inject({
      url: `/profile?page=3&access_token=${SECRET}`,
      headers: { authorization: `Bearer ${SECRET}`, cookie: `sid=${SECRET}` },
    });
    expect(reply.statusCode).toBe(200);
    await obs.forceFlush();

    const lines = rawLines.filter((l) => l.includes('page=3') || l.includes('page":"3'));
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(lines.join('\n')).not.toContain('rawHeaders');
    const parsed = lines.map((l) => JSON.parse(l));
    const summary = {
      method: 'GET',
      url: '/profile?page=3&access_token=[Redacted]',
      query: { page: '3', access_token: '[Redacted]' },
      headers: { authorization: '[Redacted]', cookie: '[Redacted]' },
    };
    expect(parsed.find((l) => l.msg === 'handler state').request).toMatchObject(summary);
    expect(parsed.find((l) => l.msg === 'nested state').ctx.request).toMatchObject(summary);
    const incoming = parsed.find((l) => l.msg === 'incoming request');
    expect(incoming.req).toMatchObject({ method: 'GET', url: summary.url });
  });

  it('hides the secrets of a URL an error quotes in Fastify’s own error line, message included', async () => {
    expect((await request(base, '/upstream-error')).status).toBe(500);
    await waitForSpans(obs, memory, server('/upstream-error'));

    const lines = rawLines.filter((l) => l.includes('Request failed'));
    expect(lines.join('\n')).not.toContain(SECRET);
    const message = 'Request failed with status code 500: GET http://127.0.0.1:1/v1?api_key=[Redacted]';
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.err !== undefined);
    expect([logged.msg, logged.err.message]).toEqual([message, message]);
  });

  it('records the duration histogram per route, prefixes included', async () => {
    await request(base, '/v1/stores/a/items/1');
    await request(base, '/v1/stores/b/items/2');
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/v1/stores/:storeId/items/:sku',
    });
    expect((point!.value as { count: number }).count).toBeGreaterThanOrEqual(2);
    expect(point!.unit).toBe('s');
    // The semantic conventions' attributes of the metric, and none of the span's per-request ones.
    expect(point!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/v1/stores/:storeId/items/:sku',
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    });
  });

  it('counts a request in http.server.active_requests while it runs, and out once answered', async () => {
    entered = deferred();
    release = deferred();
    const inFlight = async () =>
      (
        await durationPoint(obs, memory, 'http.server.active_requests', {
          'http.request.method': 'GET',
          'url.scheme': 'http',
        })
      )?.value;
    const pending = request(base, '/wait');
    await entered.promise;
    expect(await inFlight()).toBe(1);
    release.resolve();
    expect((await pending).status).toBe(200);
    expect(await inFlight()).toBe(0);
    const point = memory.metrics().find((p) => p.name === 'http.server.active_requests');
    expect(point).toMatchObject({ unit: '{request}', kind: 'upDownCounter' });
    // The integration counts requests itself and hands the counts over at collection, through an
    // observable that never has points of its own.
    expect(memory.metrics().filter((p) => p.name.startsWith('sightline.http'))).toEqual([]);
  });

  it('leaves ignored paths alone', async () => {
    expect((await request(base, '/health')).status).toBe(200);
    await request(base, '/items/E');
    await waitForSpans(obs, memory, server('/items/E'));
    expect(memory.spans().map((s) => s.attributes['url.path'])).not.toContain('/health');
    expect(memory.logs().filter((l) => l.path === '/health')).toEqual([]);
    expect(memory.metrics().map((p) => p.attributes['http.route'])).not.toContain('/health');
  });
});

describe('sightlineFastify timeouts and options', () => {
  it('ends the span as a timeout when the connection times out, a hijacked reply’s too', async () => {
    const local = Fastify({ connectionTimeout: 100 });
    await local.register(sightlineFastify, { accessLog: false });
    const reached = deferred();
    local.get('/hang', () => {
      reached.resolve();
      // Never answers: the server's connection timeout ends the request.
    });
    local.get('/hijacked-stream', (_request, reply) => {
      // Fastify runs no onTimeout hook for a hijacked reply.
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write('data: first\n\n');
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    await request(url, '/hang').catch(() => undefined);
    await reached.promise;
    await bodyUntilClosed(`${url}/hijacked-stream`);
    for (const path of ['/hang', '/hijacked-stream']) {
      const [span] = await waitForSpans(obs, memory, server(path));
      expect([path, span!.attributes['error.type']]).toEqual([path, 'timeout']);
      expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    }
    await local.close();
  });

  it('over HTTP/2, ends a request as a timeout when its session times out, answered or not', async () => {
    // Fastify's session timeout closes the session gently; the connection timeout destroys it.
    const local = Fastify({ http2: true, connectionTimeout: 100, http2SessionTimeout: 100 });
    await local.register(sightlineFastify);
    local.get('/hang', () => new Promise(() => {}));
    local.get('/hang-started', (_request, reply) => {
      reply.raw.writeHead(200).write('first chunk');
      return new Promise(() => {});
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const paths = ['/hang', '/hang-started'];
    for (const path of paths) {
      const session = http2.connect(url);
      session.on('error', () => {});
      const stream = session.request({ ':path': path });
      stream.on('error', () => {});
      stream.resume().end();
    }
    const ended = [];
    for (const path of paths) {
      const [span] = await waitForSpans(obs, memory, server(path));
      ended.push([path, span!.attributes['http.response.status_code'], span!.attributes['error.type']]);
    }
    expect(ended).toEqual([
      ['/hang', undefined, 'timeout'],
      ['/hang-started', 200, 'timeout'],
    ]);
    await local.close();
  });

  it('over HTTP/2, names the host from :authority and ends a stream the client cancels as aborted', async () => {
    const local = Fastify({ http2: true });
    await local.register(sightlineFastify, { accessLog: false });
    local.get('/answered', async () => 'ok');
    const reached = deferred();
    local.get('/cancelled', () => {
      reached.resolve();
      // Never answers: the client cancels first.
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const session = http2.connect(url);
    await new Promise((resolve) =>
      session.request({ ':path': '/answered' }).resume().on('end', resolve).end(),
    );
    const [answered] = await waitForSpans(obs, memory, server('/answered'));
    expect(answered!.attributes['http.response.status_code']).toBe(200);
    expect(answered!.attributes['error.type']).toBeUndefined();
    // HTTP/2 names the host in :authority, not in a Host header.
    expect(answered!.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(url).port),
    });
    const stream = session.request({ ':path': '/cancelled' });
    stream.on('error', () => {});
    stream.end();
    await reached.promise;
    stream.close(http2.constants.NGHTTP2_CANCEL);
    const [span] = await waitForSpans(obs, memory, server('/cancelled'));
    expect(span!.attributes['error.type']).toBe('aborted');
    expect(span!.attributes['http.response.status_code']).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    session.close();
    await local.close();
  });

  it('over HTTP/2 with HTTP/1 allowed, names protocol version 2 as the semantic conventions do, and 1.1', async () => {
    const local = Fastify({ http2: true, https: { ...TLS, allowHTTP1: true } });
    await local.register(sightlineFastify, { accessLog: false });
    local.get('/version/:via', async () => 'ok');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const session = http2.connect(url, { ca: TLS.cert });
    await new Promise((resolve) =>
      session.request({ ':path': '/version/h2' }).resume().on('end', resolve).end(),
    );
    session.close();
    await new Promise((resolve, reject) =>
      https
        .get(`${url}/version/h1`, { ca: TLS.cert }, (res) => res.resume().on('end', resolve))
        .on('error', reject),
    );
    const spans = await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER, 2);
    const seen = (s: (typeof spans)[number]) => [
      s.attributes['url.path'],
      s.attributes['url.scheme'],
      s.attributes['network.protocol.version'],
    ];
    expect(spans.map(seen).sort()).toEqual([
      ['/version/h1', 'https', '1.1'],
      ['/version/h2', 'https', '2'],
    ]);
    const match = { 'http.route': '/version/:via', 'url.scheme': 'https' };
    const h2 = await durationPoint(obs, memory, 'http.server.request.duration', {
      ...match,
      'network.protocol.version': '2',
    });
    expect(h2?.value).toMatchObject({ count: 1 });
    await local.close();
  });

  it('records the status the client got when the reply is given another code after it was sent, over HTTP/1 and HTTP/2', async () => {
    const seen = [];
    for (const http2Server of [false, true]) {
      const local: FastifyInstance<any, any, any, any> = http2Server ? Fastify({ http2: true }) : Fastify();
      await local.register(sightlineFastify);
      local.get('/coded-late', (_request, reply) => {
        reply.send('ok');
        reply.code(503);
      });
      // A timer's code after an answer Fastify ends synchronously: over HTTP/2 the response closes later.
      local.get('/coded-later', (_request, reply) => {
        reply.send('ok');
        setImmediate(() => reply.code(500));
      });
      const url = await local.listen({ host: '127.0.0.1', port: 0 });
      memory.reset();
      rawLines.length = 0;
      for (const path of ['/coded-late', '/coded-later']) {
        let status: unknown;
        if (http2Server) {
          const session = http2.connect(url);
          status = await new Promise((resolve) => {
            const stream = session.request({ ':path': path });
            stream.on('response', (headers) => resolve(headers[':status']));
            stream.resume().end();
          });
          session.close();
        } else status = (await request(url, path)).status;
        const [span] = await waitForSpans(obs, memory, server(path));
        const point = await durationPoint(obs, memory, 'http.server.request.duration', {
          'http.route': path,
        });
        const line = memory.logs().find((l) => l.path === path && l.route !== undefined);
        seen.push([
          http2Server ? 'h2' : 'h1',
          path,
          status,
          span!.attributes['http.response.status_code'],
          span!.attributes['error.type'],
          span!.status.code,
          point?.attributes['http.response.status_code'],
          line?.status,
          line?.level,
        ]);
      }
      await local.close();
    }
    const answered = (via: string, path: string) => [
      via,
      path,
      200,
      200,
      undefined,
      SpanStatusCode.UNSET,
      200,
      200,
      'info',
    ];
    expect(seen).toEqual([
      answered('h1', '/coded-late'),
      answered('h1', '/coded-later'),
      answered('h2', '/coded-late'),
      answered('h2', '/coded-later'),
    ]);
  });

  it('over HTTP/2, records a request whose method Fastify has no route for at all as an unmatched 404', async () => {
    const local = Fastify({ http2: true, loggerInstance: obs.log });
    await local.register(sightlineFastify);
    local.get('/stock/:sku', async () => 'ok');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const session = http2.connect(url);
    // HTTP/1's parser refuses a method it does not know; HTTP/2 hands any to Fastify.
    const status = await new Promise((resolve) => {
      const stream = session.request({ ':method': 'FOO', ':path': '/stock/1' });
      stream.on('response', (headers) => resolve(headers[':status']));
      stream.resume().end();
    });
    expect(status).toBe(404);
    const [span] = await waitForSpans(obs, memory, server('/stock/1'));
    expect(span!.name).toBe('HTTP');
    expect(span!.attributes).toMatchObject({
      'http.request.method': '_OTHER',
      'http.request.method_original': 'FOO',
      'http.response.status_code': 404,
    });
    expect(span!.attributes['http.route']).toBeUndefined();
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': 'unmatched',
      'http.request.method': '_OTHER',
    });
    expect(point?.attributes['http.response.status_code']).toBe(404);
    const access = memory.logs().filter((l) => l.duration_ms !== undefined);
    expect(access.map((l) => [l.level, l.method, l.route, l.status])).toEqual([
      ['warn', '_OTHER', 'unmatched', 404],
    ]);
    session.close();
    await local.close();
  });

  it('over HTTP/2, ends a response the server cuts off as a server failure, a client resetting before any answer as aborted', async () => {
    const local = Fastify({ http2: true });
    await local.register(sightlineFastify);
    const cutOff =
      (error?: Error, started = false) =>
      (_request: unknown, reply: any) => {
        if (started) reply.raw.writeHead(200).write('first chunk');
        setImmediate(() => reply.raw.destroy(error));
        return reply;
      };
    local.get('/destroyed-unanswered', cutOff());
    local.get('/destroyed-unanswered-error', cutOff(new RangeError('quota store unreachable')));
    local.get('/destroyed-unanswered-reset', async (_request: unknown, reply: any) =>
      cutOff(await upstreamReset())(_request, reply),
    );
    local.get('/destroyed-started-error', cutOff(new RangeError('quota store unreachable'), true));
    const reached = deferred();
    local.get('/left-unanswered', () => reached.resolve());
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const session = http2.connect(url);
    const paths = [...CUT_OFF_ROUTES.map(([path]) => path), '/destroyed-started-error', '/left-unanswered'];
    for (const path of paths) {
      await new Promise((resolve) => {
        const stream = session.request({ ':path': path });
        stream.on('error', () => {});
        stream.resume().on('close', resolve).end();
        // A reset with no error code, as Node's stream.close() sends it.
        if (path === '/left-unanswered') reached.promise.then(() => stream.close());
      });
    }
    const ended = [];
    for (const path of paths) {
      const [span] = await waitForSpans(obs, memory, server(path));
      ended.push([
        path,
        span!.attributes['http.response.status_code'],
        span!.attributes['error.type'],
        exceptionOf(span!)[0],
      ]);
    }
    expect(ended).toEqual([
      ['/destroyed-unanswered-error', undefined, 'RangeError', 'RangeError'],
      ['/destroyed-unanswered', undefined, 'response_cut', undefined],
      ['/destroyed-unanswered-reset', undefined, 'ECONNRESET', 'ECONNRESET'],
      ['/destroyed-started-error', 200, 'RangeError', 'RangeError'],
      ['/left-unanswered', undefined, 'aborted', undefined],
    ]);
    session.close();
    await local.close();
  });

  it('over HTTP/2, ends a request whose client drops the connection (a reset, a GOAWAY with an error) as aborted, not a server failure', async () => {
    const local = Fastify({ http2: true });
    await local.register(sightlineFastify);
    let reached = deferred();
    const hang = (started: boolean) => (_request: unknown, reply: any) => {
      if (started) reply.raw.writeHead(200).write('first chunk');
      reached.resolve();
      return new Promise(() => {});
    };
    local.get('/reset-unanswered', hang(false));
    local.get('/reset-started', hang(true));
    local.get('/goaway-unanswered', hang(false));
    const url = new URL(await local.listen({ host: '127.0.0.1', port: 0 }));
    memory.reset();
    const paths = ['/reset-unanswered', '/reset-started', '/goaway-unanswered'];
    for (const path of paths) {
      reached = deferred();
      let socket: net.Socket | undefined;
      const session = http2.connect(url, {
        createConnection: () => {
          socket = net.connect(Number(url.port), url.hostname);
          return socket;
        },
      });
      session.on('error', () => {});
      const stream = session.request({ ':path': path });
      stream.on('error', () => {});
      stream.resume().end();
      await reached.promise;
      // The headers written, or none, have reached the client.
      await new Promise((resolve) => setTimeout(resolve, 20));
      // A phone losing its network: the connection's reset, or the client giving up on it.
      if (path.startsWith('/reset')) socket!.resetAndDestroy();
      else session.destroy(new Error('gave up'));
    }
    const ended = [];
    for (const path of paths) {
      const [span] = await waitForSpans(obs, memory, server(path));
      ended.push([path, span!.attributes['error.type'], exceptionOf(span!)[0]]);
    }
    expect(ended).toEqual(paths.map((path) => [path, 'aborted', undefined]));
    await local.close();
  });

  it('over HTTP/2, ends a request whose proxied upstream reset mid-body as a server failure, the client still there', async () => {
    // The upstream answers a chunk, then its connection resets: the piped response is destroyed
    // with the upstream's ECONNRESET, the code a client's dropped connection destroys streams with.
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200).write('first chunk');
      setTimeout(() => res.socket?.resetAndDestroy(), 20);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}/`;
    const local = Fastify({ http2: true });
    await local.register(sightlineFastify, { accessLog: false });
    local.get('/proxied', (_request, reply: any) => {
      http
        .get(upstreamUrl, (res) => {
          reply.raw.writeHead(200);
          res.pipe(reply.raw);
          res.on('error', (error) => reply.raw.stream.destroy(error));
        })
        .on('error', () => {});
      return reply;
    });
    const url = new URL(await local.listen({ host: '127.0.0.1', port: 0 }));
    memory.reset();
    const session = http2.connect(url);
    session.on('error', () => {});
    const stream = session.request({ ':path': '/proxied' });
    stream.on('error', () => {});
    stream.resume().end();
    const [span] = await waitForSpans(obs, memory, server('/proxied'));
    // Read as the client's connection dropped, it was aborted with no exception, as if the client
    // had left, where the client was still connected and the server failed it.
    expect(session.destroyed).toBe(false);
    expect([span!.attributes['error.type'], exceptionOf(span!)[1]]).toEqual(['ECONNRESET', 'aborted']);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    session.destroy();
    await local.close();
    upstream.close();
  });

  it('over HTTP/2, tells a reply stream that fails after the headers from a client that cancels mid-body', async () => {
    const local = Fastify({ http2: true });
    await local.register(sightlineFastify, { accessLog: false });
    local.get('/stream-error', failingStream);
    local.get('/stream', stalledStream);
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const session = http2.connect(url);
    await new Promise((resolve) => {
      const stream = session.request({ ':path': '/stream-error' });
      stream.on('error', () => {});
      stream.resume().on('close', resolve).end();
    });
    const [cut] = await waitForSpans(obs, memory, server('/stream-error'));
    expect(cut!.attributes['http.response.status_code']).toBe(200);
    expect(cut!.attributes['error.type']).toBe('response_cut');
    await new Promise((resolve) => {
      const stream = session.request({ ':path': '/stream' });
      stream.on('error', () => {});
      stream.once('data', () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        stream.on('close', resolve);
      });
      stream.end();
    });
    const [cancelled] = await waitForSpans(obs, memory, server('/stream'));
    expect(cancelled!.attributes['http.response.status_code']).toBe(200);
    expect(cancelled!.attributes['error.type']).toBe('aborted');
    session.close();
    await local.close();
  });

  it.each([
    ['close()', (stream: http2.ClientHttp2Stream) => stream.close()],
    ['destroy()', (stream: http2.ClientHttp2Stream) => stream.destroy()],
  ])(
    'over HTTP/2, ends a stream the client resets mid-body with no error code (%s) as aborted, not cut by the server',
    async (_case, reset) => {
      const local = Fastify({ http2: true });
      await local.register(sightlineFastify);
      local.get('/stream', stalledStream);
      const url = await local.listen({ host: '127.0.0.1', port: 0 });
      memory.reset();
      const session = http2.connect(url);
      await new Promise((resolve) => {
        const stream = session.request({ ':path': '/stream' });
        stream.on('error', () => {});
        stream.once('data', () => reset(stream));
        stream.on('close', resolve);
        stream.end();
      });
      const [span] = await waitForSpans(obs, memory, server('/stream'));
      expect([span!.attributes['http.response.status_code'], span!.attributes['error.type']]).toEqual([
        200,
        'aborted',
      ]);
      // Logged as a client going away over HTTP/1 is, not at error as a failure of the server's.
      expect(memory.logs().find((l) => l.path === '/stream' && l.duration_ms !== undefined)?.level).toBe(
        'info',
      );
      session.close();
      await local.close();
    },
  );

  it('ends the span as a timeout when the request timeout cuts off a slow upload', async () => {
    // Node checks request timeouts every 30 s by default: checking often keeps the test short.
    const local = Fastify({
      serverFactory: (handler) =>
        http.createServer({ requestTimeout: 300, connectionsCheckingInterval: 50 }, handler),
    });
    await local.register(sightlineFastify, { accessLog: false });
    local.post('/upload', async () => 'stored');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    // The rest of the body never comes: Fastify answers 408 and closes the connection.
    const answer = await unfinishedUpload(`${url}/upload`);
    expect(answer).toBe(408);
    const [span] = await waitForSpans(obs, memory, server('/upload'));
    expect(span!.attributes['error.type']).toBe('timeout');
    expect(span!.attributes['http.response.status_code']).toBe(408);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    await local.close();
  });

  it('fails at boot on a bad option, with a coded error', async () => {
    const local = Fastify();
    local.register(sightlineFastify, { accessLog: { sampleRate: -1 } });
    await expect(local.ready()).rejects.toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_VALUE' });
  });

  it('names a request by the error its error handler throws or rejects with, which Fastify answers, the first one kept as an event', async () => {
    const local = Fastify();
    await local.register(sightlineFastify);
    local.setErrorHandler((error: Error) => {
      throw new TypeError(`error page failed: ${error.message}`);
    });
    local.get('/handler-threw', async () => {
      throw new RangeError('quota store unreachable');
    });
    // A 4xx the handler's error asked for, which the error handler's failure turns into a 500.
    local.get('/handler-threw-4xx', async () => {
      throw Object.assign(new RangeError('bad sku'), { statusCode: 400 });
    });
    // Its rejection goes to the error handler above, which fails in turn.
    await local.register(async (child) => {
      child.setErrorHandler(async () => {
        throw new SyntaxError('error template broken');
      });
      child.get('/handler-rejected', async () => {
        throw new RangeError('quota store unreachable');
      });
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const paths = ['/handler-threw', '/handler-threw-4xx', '/handler-rejected'];
    expect(await answeredErrors(url, paths)).toEqual([
      [
        '/handler-threw',
        500,
        'error page failed: quota store unreachable',
        500,
        'TypeError',
        ['RangeError', 'TypeError'],
        'TypeError',
        'TypeError',
      ],
      [
        '/handler-threw-4xx',
        500,
        'error page failed: bad sku',
        500,
        'TypeError',
        ['RangeError', 'TypeError'],
        'TypeError',
        'TypeError',
      ],
      [
        '/handler-rejected',
        500,
        'error page failed: error template broken',
        500,
        'TypeError',
        ['RangeError', 'SyntaxError', 'TypeError'],
        'TypeError',
        'TypeError',
      ],
    ]);
    await local.close();
  });

  it('names a request by what its error handler rejects with when that is no Error of this realm', async () => {
    const local = Fastify();
    await local.register(sightlineFastify);
    // A template rendered in a vm sandbox fails with that realm's error; some clients reject with
    // the JSON error body they were answered. Fastify takes either for an error all the same.
    for (const [path, failure] of [
      ['/handler-rejected-foreign', foreignError],
      ['/handler-rejected-object', objectError],
    ] as const) {
      await local.register(async (child) => {
        child.setErrorHandler(async () => {
          throw failure;
        });
        child.get(path, async () => {
          throw Object.assign(new RangeError('bad sku'), { statusCode: 400 });
        });
      });
    }
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const seen = [];
    for (const path of ['/handler-rejected-foreign', '/handler-rejected-object']) {
      const reply = await request(url, path);
      const [span] = await waitForSpans(obs, memory, server(path));
      seen.push([
        path,
        reply.status,
        span!.attributes['http.response.status_code'],
        span!.attributes['error.type'],
        span!.events.filter((e) => e.name === 'exception').map((e) => e.attributes?.['exception.type']),
      ]);
    }
    expect(seen).toEqual([
      ['/handler-rejected-foreign', 500, 500, 'SyntaxError', ['RangeError', 'SyntaxError']],
      ['/handler-rejected-object', 500, 500, 'E_QUOTA', ['RangeError', 'E_QUOTA']],
    ]);
    await local.close();
  });

  it("names a request by the error an onSend hook or serializer fails with on its error handler's answer, which the handler above answers", async () => {
    const local = Fastify();
    await local.register(sightlineFastify);
    // The root's error page names no error: only the error it was handed tells what failed.
    local.setErrorHandler((_error: Error, _request, reply) => {
      reply.code(500).send({ error: 'internal' });
    });
    await local.register(async (child) => {
      child.setErrorHandler((error: Error, _request, reply) => {
        reply.code(400).send({ message: error.message });
      });
      child.addHook('onSend', async (_request, reply, payload) => {
        if (reply.statusCode === 400) throw new TypeError('envelope failed');
        return payload;
      });
      child.get('/on-send-failed', async () => {
        throw Object.assign(new RangeError('bad sku'), { statusCode: 400 });
      });
    });
    await local.register(async (child) => {
      child.setErrorHandler((error: Error, _request, reply) => {
        reply.code(400).send({ message: error.message });
      });
      // The 400's schema asks for a field the handler's answer lacks: its serializer throws.
      child.get(
        '/serializer-failed',
        {
          schema: {
            response: {
              400: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } },
            },
          },
        },
        async () => {
          throw Object.assign(new RangeError('bad sku'), { statusCode: 400 });
        },
      );
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const seen = [];
    for (const path of ['/on-send-failed', '/serializer-failed'])
      seen.push(await erroredRequest(obs, memory, url, path));
    expect(seen).toEqual([
      [
        '/on-send-failed',
        500,
        '{"error":"internal"}',
        500,
        'TypeError',
        ['RangeError', 'TypeError'],
        'TypeError',
        'TypeError',
      ],
      [
        '/serializer-failed',
        500,
        '{"error":"internal"}',
        500,
        'Error',
        ['RangeError', 'Error'],
        'Error',
        'Error',
      ],
    ]);
    await local.close();
  });

  it("names a request by the error Fastify's own fallback answers for, when its default error handler fails", async () => {
    const local = Fastify();
    await local.register(sightlineFastify);
    // An error whose headers a client library left null: the default handler fails copying them,
    // and Fastify answers that failure with its fallback.
    local.get('/default-handler-failed', async (_request, reply) => {
      reply.code(503);
      throw Object.assign(new RangeError('quota store unreachable'), { headers: null });
    });
    // An onSend hook failing on the default handler's answer: Fastify runs the onError hooks again
    // before its fallback answers.
    local.get('/default-answer-failed', async () => {
      throw new RangeError('quota store unreachable');
    });
    local.addHook('onSend', async (request, reply, payload) => {
      if (request.url === '/default-answer-failed' && reply.statusCode === 500)
        throw new TypeError('envelope failed');
      return payload;
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    expect(await answeredErrors(url, ['/default-handler-failed', '/default-answer-failed'])).toEqual([
      [
        '/default-handler-failed',
        503,
        'Cannot convert undefined or null to object',
        503,
        'TypeError',
        ['RangeError', 'TypeError'],
        'TypeError',
        'TypeError',
      ],
      [
        '/default-answer-failed',
        500,
        'envelope failed',
        500,
        'TypeError',
        ['RangeError', 'TypeError'],
        'TypeError',
        'TypeError',
      ],
    ]);
    await local.close();
  });

  it('traces a request once when a plugin registers it again, and counts it out of active_requests', async () => {
    const local = Fastify();
    await local.register(sightlineFastify, { accessLog: false });
    await local.register(async (child) => {
      await child.register(sightlineFastify, { accessLog: false });
      child.get('/twice', async () => 'ok');
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    for (let i = 0; i < 3; i++) expect((await request(url, '/twice')).status).toBe(200);
    await waitForSpans(obs, memory, server('/twice'), 3);
    expect(memory.spans().filter(server('/twice'))).toHaveLength(3);
    const active = await durationPoint(obs, memory, 'http.server.active_requests', {
      'http.request.method': 'GET',
    });
    expect(active?.value).toBe(0);
    await local.close();
  });

  it('is not encapsulated: registered inside a plugin, it covers the routes declared after it there', async () => {
    const local = Fastify();
    await local.register(async (child) => {
      await child.register(sightlineFastify, { accessLog: false });
      child.get('/inside', async () => 'ok');
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    await request(url, '/inside');
    const [span] = await waitForSpans(obs, memory, server('/inside'));
    expect(span!.name).toBe('GET /inside');
    await local.close();
  });

  it('names a route after the URL an onRoute hook gave it, which Fastify routes it by', async () => {
    const local = Fastify();
    await local.register(sightlineFastify, { accessLog: false });
    await local.register(async (v2) => {
      // A plugin putting the routes declared in it under a version of its own.
      v2.addHook('onRoute', (route) => {
        route.url = `/v2${route.url}`;
      });
      v2.get('/items/:sku', async () => 'v2 item');
    });
    local.get('/items/:sku', async () => 'v1 item');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const names = [];
    for (const [method, path] of [
      ['GET', '/v2/items/1'],
      ['HEAD', '/v2/items/2'],
      ['GET', '/items/3'],
    ] as const) {
      expect((await request(url, path, { method })).status).toBe(200);
      const [span] = await waitForSpans(obs, memory, server(path));
      names.push(span!.name);
    }
    expect(names).toEqual(['GET /v2/items/:sku', 'HEAD /v2/items/:sku', 'GET /items/:sku']);
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/v2/items/:sku',
    });
    expect(point).toBeDefined();
    await local.close();
  });

  it('records a request its route hands to the not-found handler of a context it is not registered in', async () => {
    const local = Fastify();
    // The prefixed plugin has no not-found handler of its own: Fastify's root one answers, and
    // runs the root's onResponse hooks, not the plugin's.
    await local.register(
      async (child) => {
        await child.register(sightlineFastify, { accessLog: false });
        child.get('/assets/*', (_request, reply) => reply.callNotFound());
      },
      { prefix: '/static' },
    );
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    expect((await request(url, '/static/assets/app-3f2a.js')).status).toBe(404);
    const [span] = await waitForSpans(obs, memory, server('/static/assets/app-3f2a.js'));
    expect(span!.name).toBe('GET /static/assets/*');
    expect(span!.attributes['http.response.status_code']).toBe(404);
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/static/assets/*',
      'http.response.status_code': 404,
    });
    expect(point).toBeDefined();
    expect(await activeRequests(obs, memory)).toBe(0);
    await local.close();
  });

  it('writes the trace ids once in request.log lines when the module-level log is the loggerInstance', async () => {
    // A module building its app at load time, before init(), has only the module-level log to give.
    const local = Fastify({ loggerInstance: log });
    await local.register(sightlineFastify);
    local.get('/orders/:id', async (request) => {
      request.log.info('loading order');
      request.log.child({ step: 'pricing' }).info('pricing order');
      return 'ok';
    });
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    rawLines.length = 0;
    expect((await request(url, '/orders/1')).status).toBe(200);
    const [span] = await waitForSpans(obs, memory, server('/orders/1'), 1);
    await local.close();
    const own = rawLines.filter((l) => /"(loading|pricing) order"|"request completed"/.test(l));
    expect(own).toHaveLength(3);
    for (const line of own) {
      expect(line.split('"trace_id"').length - 1).toBe(1);
      expect(line.split('"span_id"').length - 1).toBe(1);
      expect(JSON.parse(line)).toMatchObject({
        trace_id: span?.spanContext().traceId,
        span_id: span?.spanContext().spanId,
      });
    }
  });

  it("runs the app's own pino mixin on every request.log line, beside the request's trace ids", async () => {
    // The app's own logger, whose mixin reads what the handler sets as it goes.
    let tenant = 'none';
    const lines: string[] = [];
    const own = pino({ mixin: () => ({ tenant }) }, { write: (line: string) => lines.push(line) });
    const span = await servedThrough(own, (request) => {
      tenant = 'acme';
      request.log.info('loading order');
      request.log.child({ step: 'pricing' }).info('pricing order');
    });
    const written = lines.filter((l) => /"(loading|pricing) order"|"request completed"/.test(l));
    expect(written).toHaveLength(3);
    for (const line of written) {
      expect(line.split('"trace_id"').length - 1).toBe(1);
      expect(JSON.parse(line)).toMatchObject({
        tenant: 'acme',
        trace_id: span.traceId,
        span_id: span.spanId,
        trace_flags: '01',
      });
    }
  });

  it("leaves Fastify's incoming request line its request id, which the request's lines with trace ids share", async () => {
    const lines: string[] = [];
    const own = pino({}, { write: (line: string) => lines.push(line) });
    const span = await servedThrough(own, (request) => request.log.info('loading order'));
    const written = lines.map((l) => JSON.parse(l)).filter((l) => l.reqId !== undefined);
    expect(written.map((l) => [l.msg, l.reqId === written[0]?.reqId, l.trace_id])).toEqual([
      // Written before any hook runs, before the span starts.
      ['incoming request', true, undefined],
      ['loading order', true, span.traceId],
      ['request completed', true, span.traceId],
    ]);
  });

  it("merges the app's mixin into each request.log line by the app's own mixinMergeStrategy", async () => {
    const lines: string[] = [];
    const own = pino(
      {
        mixin: (_line: object, level: number) => ({ source: 'mixin', level_seen: level }),
        // The mixin's fields over the line's.
        mixinMergeStrategy: (line: object, mixin: object) => ({ ...line, ...mixin }),
      },
      { write: (line: string) => lines.push(line) },
    );
    const span = await servedThrough(own, (request) => request.log.warn({ source: 'line' }, 'loading order'));
    const line = lines.find((l) => l.includes('"loading order"'));
    expect(line?.split('"source"').length).toBe(2);
    expect(JSON.parse(line!)).toMatchObject({
      source: 'mixin',
      level_seen: 40,
      trace_id: span.traceId,
      span_id: span.spanId,
    });
  });

  it("writes the trace ids once in request.log lines when the app's own mixin writes them too", async () => {
    // The mixin OpenTelemetry's pino instrumentation adds: the ids of the span active at the line.
    const lines: string[] = [];
    const own = pino(
      {
        mixin: () => {
          const active = trace.getActiveSpan()?.spanContext();
          return active === undefined ? {} : { trace_id: active.traceId, span_id: active.spanId };
        },
      },
      { write: (line: string) => lines.push(line) },
    );
    const span = await servedThrough(own, (request) => request.log.info('loading order'));
    const line = lines.find((l) => l.includes('"loading order"'));
    expect(line?.split('"trace_id"').length).toBe(2);
    expect(line?.split('"span_id"').length).toBe(2);
    expect(JSON.parse(line!)).toMatchObject({
      trace_id: span.traceId,
      span_id: span.spanId,
      trace_flags: '01',
    });
  });

  it("keeps the request's trace ids in request.log lines written outside its context when the app's own mixin answers none there", async () => {
    // A mixin that names the active span's ids, undefined where no span is active.
    const lines: string[] = [];
    const own = pino(
      {
        mixin: () => {
          const active = trace.getActiveSpan()?.spanContext();
          return { trace_id: active?.traceId, span_id: active?.spanId };
        },
      },
      { write: (line: string) => lines.push(line) },
    );
    // A pool shared by all requests, whose events fire in the context of whoever releases it.
    const pool = new EventEmitter();
    const span = await servedThrough(own, (request) => {
      pool.once('release', () => request.log.info('connection released'));
    });
    context.with(ROOT_CONTEXT, () => pool.emit('release'));
    const line = lines.find((l) => l.includes('"connection released"'));
    expect(JSON.parse(line!)).toMatchObject({
      trace_id: span.traceId,
      span_id: span.spanId,
      trace_flags: '01',
    });
  });

  it('records a request an onRequest hook registered before it answers or fails, from when it came in', async () => {
    const local = Fastify({ loggerInstance: obs.log });
    // What @fastify/cors does for a preflight, and an auth hook, both registered first.
    local.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return reply.code(204).send();
      await new Promise((resolve) => setTimeout(resolve, 60));
      if (request.headers.authorization === undefined) return reply.code(401).send({ error: 'sign in' });
      if (request.headers.authorization === 'down') throw new Error('auth service down');
    });
    await local.register(sightlineFastify, { ignore: ['/health'] });
    local.get('/accounts/:id', async () => 'ok');
    local.get('/health', async () => 'ok');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    rawLines.length = 0;
    expect((await request(url, '/accounts/1')).status).toBe(401);
    expect((await request(url, '/accounts/2', { headers: { authorization: 'down' } })).status).toBe(500);
    expect((await request(url, '/accounts/3', { method: 'OPTIONS' })).status).toBe(204);
    expect((await request(url, '/health')).status).toBe(401);
    const spans = await waitForSpans(
      obs,
      memory,
      (s) => String(s.attributes['url.path']).startsWith('/accounts/'),
      3,
    );
    const byPath = (path: string) => spans.find((s) => s.attributes['url.path'] === path)!;
    expect(byPath('/accounts/1').name).toBe('GET /accounts/:id');
    expect(byPath('/accounts/1').attributes).toMatchObject({
      'http.route': '/accounts/:id',
      'http.response.status_code': 401,
    });
    expect(byPath('/accounts/1').status.code).toBe(SpanStatusCode.UNSET);
    // The span starts when the request came in, before the hook's wait.
    const [seconds, nanos] = byPath('/accounts/1').duration;
    expect(seconds * 1e3 + nanos / 1e6).toBeGreaterThanOrEqual(50);
    expect(byPath('/accounts/2').attributes).toMatchObject({
      'http.response.status_code': 500,
      'error.type': 'Error',
    });
    expect(byPath('/accounts/2').events.map((e) => e.name)).toEqual(['exception']);
    expect(byPath('/accounts/3').name).toBe('OPTIONS');
    expect(byPath('/accounts/3').attributes['http.response.status_code']).toBe(204);
    const lines = memory.logs().filter((l) => l.duration_ms !== undefined);
    expect(lines.map((l) => [l.level, l.route, l.status])).toEqual([
      ['warn', '/accounts/:id', 401],
      ['error', '/accounts/:id', 500],
      ['info', 'unmatched', 204],
    ]);
    const failed = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/accounts/:id',
      'http.response.status_code': 500,
    });
    expect(failed?.attributes['error.type']).toBe('Error');
    // An ignored path stays ignored.
    expect(memory.spans().filter(server('/health'))).toEqual([]);
    await local.close();
  });

  it('measures a request from when Fastify took it, the wait of an onRequest hook registered before it included', async () => {
    const local = Fastify({ loggerInstance: obs.log });
    // An auth plugin registered first (@fastify/jwt) that verifies against a slow identity provider.
    local.addHook('onRequest', async () => {
      await new Promise((resolve) => setTimeout(resolve, 80));
    });
    await local.register(sightlineFastify);
    local.get('/profile/:id', async () => 'ok');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    memory.reset();
    const sentAt = Date.now();
    expect((await request(url, '/profile/1')).status).toBe(200);
    const [span] = await waitForSpans(obs, memory, server('/profile/1'));
    const ms = ([seconds, nanos]: [number, number]) => seconds * 1e3 + nanos / 1e6;
    // The span starts when the request came in, before the identity provider answered.
    expect(ms(span!.startTime)).toBeGreaterThanOrEqual(sentAt - 2);
    expect(ms(span!.startTime)).toBeLessThan(sentAt + 40);
    expect(ms(span!.duration)).toBeGreaterThanOrEqual(75);
    const point = await durationPoint(obs, memory, 'http.server.request.duration', {
      'http.route': '/profile/:id',
    });
    expect((point!.value as { sum: number }).sum).toBeGreaterThanOrEqual(0.075);
    // The access-log line, Fastify's own line and the span tell the same latency: Fastify's reads its
    // clock at other instants than sightline's, which a loaded machine can hold apart by a few ms,
    // far below the hook's 80 ms that a start taken after it would miss.
    const logs = memory.logs();
    const access = logs.find((l) => l.route === '/profile/:id')!;
    const completed = logs.find((l) => l.msg === 'request completed' && l.span_id === access.span_id)!;
    expect(Math.abs((access.duration_ms as number) - (completed.responseTime as number))).toBeLessThan(10);
    expect(Math.abs((access.duration_ms as number) - ms(span!.duration))).toBeLessThan(0.01);
    await local.close();
  });

  it.each([
    ['answers it with a 503', true, 503],
    ['still serves it', false, 200],
  ])(
    'records a request that comes on a kept-alive connection while the app closes, once, when Fastify %s',
    async (_how, return503OnClosing, status) => {
      const local = Fastify({ return503OnClosing });
      await local.register(sightlineFastify);
      const reached = deferred();
      // Registered twice, as in the test above: still one span per request.
      await local.register(async (child) => {
        await child.register(sightlineFastify);
        // The second is answered at once, before Node has told every listener of it.
        child.get('/drain/:n', (request, reply) => {
          if ((request.params as { n: string }).n !== '1') return reply.send('ok');
          reached.resolve();
          setTimeout(() => reply.send('ok'), 50);
          return reply;
        });
      });
      const url = await local.listen({ host: '127.0.0.1', port: 0 });
      const before = await activeRequests(obs, memory);
      const answers = await keptAliveThroughClose(
        url,
        { first: '/drain/1', second: '/drain/2' },
        reached.promise,
        () => local.close(),
      );
      expect(answers).toEqual([200, status]);
      const [span] = await waitForSpans(obs, memory, server('/drain/2'));
      expect(memory.spans().filter(server('/drain/2'))).toHaveLength(1);
      expect(span!.attributes['http.response.status_code']).toBe(status);
      expect(span!.status.code).toBe(status >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
      const line = memory.logs().find((l) => l.path === '/drain/2');
      expect(line).toMatchObject({ status, level: status >= 500 ? 'error' : 'info' });
      const point = await durationPoint(obs, memory, 'http.server.request.duration', {
        'http.response.status_code': status,
        'http.request.method': 'GET',
      });
      expect(point).toBeDefined();
      expect(await activeRequests(obs, memory)).toBe(before);
    },
  );

  it('records a request once on a server kept across apps (serverFactory), after an app before was closed', async () => {
    // A dev server that rebuilds its app on each change, keeping the port: one server, app after app.
    const shared = http.createServer();
    let current: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {};
    shared.on('request', (req, res) => current(req, res));
    const listeners = shared.listenerCount('request');
    const build = async () => {
      const app = Fastify({
        serverFactory: (handler) => {
          current = handler;
          return shared;
        },
      });
      await app.register(sightlineFastify);
      app.get('/rebuilt', (_request, reply) => reply.send('ok'));
      await app.ready();
      return app;
    };
    await new Promise<void>((resolve) => shared.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(shared.address() as { port: number }).port}`;
    for (let i = 0; i < 3; i++) await (await build()).close();
    const app = await build();
    memory.reset();
    expect((await request(url, '/rebuilt')).status).toBe(200);
    await waitForSpans(obs, memory, server('/rebuilt'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const spans = memory.spans().filter(server('/rebuilt'));
    expect(spans.map((s) => s.attributes['http.route'])).toEqual(['/rebuilt']);
    expect(shared.listenerCount('request')).toBe(listeners);
    // Two apps at once, one closing: the other's answers are its own.
    const closing = Fastify({ serverFactory: () => shared });
    await closing.register(sightlineFastify);
    const answered = deferred();
    // Its close waits, as on a request of its own still in flight.
    closing.addHook('preClose', (done) => {
      answered.promise.then(() => done());
    });
    await closing.ready();
    const closed = closing.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await request(url, '/rebuilt')).status).toBe(200);
    answered.resolve();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(memory.spans().filter(server('/rebuilt'))).toHaveLength(2);
    await app.close();
    await new Promise((resolve) => shared.close(resolve));
  });

  it('records a request whose client went away while an onRequest hook registered before it was at work as aborted', async () => {
    const local = Fastify({ loggerInstance: obs.log });
    const reached = deferred();
    // An auth hook still waiting on its identity provider when the client gives up, then letting the request through.
    local.addHook('onRequest', async (request) => {
      reached.resolve();
      await new Promise((resolve) => request.raw.once('close', resolve));
    });
    await local.register(sightlineFastify);
    local.get('/orders/:id', async () => 'ok');
    const url = await local.listen({ host: '127.0.0.1', port: 0 });
    const before = await activeRequests(obs, memory);
    await abortedRequest(url, '/orders/1', reached.promise);
    const [span] = await waitForSpans(obs, memory, server('/orders/1'));
    expect(span!.name).toBe('GET /orders/:id');
    expect(span!.attributes['error.type']).toBe('aborted');
    // Counted out of the requests in flight, not in them for good.
    expect(await activeRequests(obs, memory)).toBe(before);
    await local.close();
  });
});

describe('sightlineFastify with @fastify/websocket', () => {
  let wsApp: FastifyInstance<any, any, any, any>;
  let wsBase: string;
  let queriesRun = 0;
  beforeAll(async () => {
    wsApp = Fastify();
    await wsApp.register(sightlineFastify);
    // Routes declared before @fastify/websocket keep their handlers: an upgrade there is answered in HTTP.
    wsApp.get('/page', async () => ({ page: 1 }));
    wsApp.get('/broken-page', async () => {
      throw new TypeError('bad page');
    });
    await wsApp.register(fastifyWebsocket as never);
    wsApp.get('/late-page', async () => ({ page: 2 }));
    wsApp.get(
      '/chat',
      { websocket: true } as never,
      ((socket: { close(): void }, request: { url: string }) => {
        if (request.url.includes('bye')) setImmediate(() => socket.close());
      }) as never,
    );
    wsApp.get(
      '/broken-chat',
      { websocket: true } as never,
      (() => {
        throw new TypeError('bad handler');
      }) as never,
    );
    wsApp.get(
      '/broken-async-chat',
      { websocket: true } as never,
      (async () => {
        throw new RangeError('bad async handler');
      }) as never,
    );
    // A Bluebird promise, or an async function compiled for an old target: a thenable, not a Promise.
    wsApp.get(
      '/broken-thenable-chat',
      { websocket: true } as never,
      (() => {
        const rejected = Promise.reject(new SyntaxError('bad thenable handler'));
        return {
          // biome-ignore lint/suspicious/noThenProperty: the thenable is what this route returns.
          then: (onFulfilled?: () => unknown, onRejected?: (e: unknown) => unknown) =>
            rejected.then(onFulfilled, onRejected),
          catch: (onRejected: (e: unknown) => unknown) => rejected.catch(onRejected),
        };
      }) as never,
    );
    // A query builder's thenable: each call of its `then` runs the query again.
    wsApp.get(
      '/query-chat',
      { websocket: true } as never,
      (() => {
        const query = {
          // biome-ignore lint/suspicious/noThenProperty: the thenable is what this route returns.
          then: (onFulfilled?: (v: number) => unknown, onRejected?: (e: unknown) => unknown) => {
            queriesRun++;
            return Promise.resolve(1).then(onFulfilled, onRejected);
          },
          catch: (onRejected: (e: unknown) => unknown) => query.then(undefined, onRejected),
        };
        return query;
      }) as never,
    );
    wsApp.get(
      '/private',
      {
        websocket: true,
        preValidation: async (_request: unknown, reply: any) => reply.code(401).send(),
      } as never,
      (() => {}) as never,
    );
    wsBase = await wsApp.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => wsApp.close());
  beforeEach(() => memory.reset());

  it('records a WebSocket session as a 101 without error when its connection closes, apart from the request latency', async () => {
    // A session lasts as long as the WebSocket: the route's request latency leaves it out.
    expect(await closedWebSocketSessions(obs, memory, wsBase, '/chat', '/chat')).toEqual(
      unfailedSessions('GET /chat', '/chat'),
    );
  });

  it('counts a WebSocket out of http.server.active_requests once its handshake is answered, not for its whole session', async () => {
    expect(await activeDuringWebSocketSession(obs, memory, wsBase, '/chat', '/chat')).toEqual({
      answer: 'HTTP/1.1 101 Switching Protocols',
      whileOpen: { active: 0, ended: 0 },
      afterClose: 0,
    });
  });

  it.each([
    ['/broken-chat', 'TypeError'],
    ['/broken-async-chat', 'RangeError'],
    ['/broken-thenable-chat', 'SyntaxError'],
  ])('records a WebSocket session whose handler throws (%s) as failed, by the error', async (path, type) => {
    expect(await webSocketSession(wsBase, path, { serverCloses: true })).toBe(
      'HTTP/1.1 101 Switching Protocols',
    );
    const [span] = await waitForSpans(obs, memory, server(path));
    expect([span!.status.code, span!.attributes['error.type']]).toEqual([SpanStatusCode.ERROR, type]);
    expect(span!.events.map((e) => [e.name, e.attributes?.['exception.type']])).toEqual([
      ['exception', type],
    ]);
    expect(memory.logs().find((l) => l.path === path && l.duration_ms !== undefined)).toMatchObject({
      level: 'error',
      error_type: type,
    });
  });

  it('settles a thenable a WebSocket handler returns once, as the plugin alone does', async () => {
    expect(await webSocketSession(wsBase, '/query-chat')).toBe('HTTP/1.1 101 Switching Protocols');
    await waitForSpans(obs, memory, server('/query-chat'));
    expect(queriesRun).toBe(1);
  });

  it('records a handshake ws refuses without error', async () => {
    const answer = await webSocketSession(wsBase, '/chat', { key: false, serverCloses: true });
    expect(answer).toBe('HTTP/1.1 400 Bad Request');
    const [span] = await waitForSpans(obs, memory, server('/chat'));
    expect([span!.status.code, span!.attributes['error.type']]).toEqual([SpanStatusCode.UNSET, undefined]);
    const line = memory.logs().find((l) => l.path === '/chat' && l.duration_ms !== undefined);
    expect(line?.level).not.toBe('error');
  });

  it('records an upgrade the app answers in HTTP as a request, in the route latency and error rate, not as a session', async () => {
    const answers: string[] = [];
    for (const path of ['/page', '/broken-page', '/nowhere', '/late-page'])
      answers.push(await webSocketSession(wsBase, path, { serverCloses: true }));
    await waitForSpans(obs, memory, (s) => s.kind === SpanKind.SERVER, 4);
    await obs.forceFlush();
    // Points are cumulative: the app's other requests are still there.
    const routes = ['/page', '/broken-page', 'unmatched', '/late-page'];
    const recorded = (name: string) =>
      memory
        .metrics()
        .filter((p) => p.name === name && routes.includes(p.attributes['http.route'] as string))
        .map((p) => [
          p.attributes['http.route'],
          p.attributes['http.response.status_code'],
          p.attributes['error.type'],
        ])
        .sort();
    expect(answers).toEqual([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 500 Internal Server Error',
      'HTTP/1.1 404 Not Found',
      'HTTP/1.1 101 Switching Protocols',
    ]);
    expect(recorded('http.server.request.duration')).toEqual(
      expect.arrayContaining([
        ['/broken-page', 500, 'TypeError'],
        ['/page', 200, undefined],
        ['unmatched', 404, undefined],
      ]),
    );
    // A route of no WebSocket declared after @fastify/websocket: ws accepts the handshake, the plugin closes it.
    expect(recorded('websocket.server.session.duration')).toEqual([['/late-page', 101, undefined]]);
  });

  it('records a WebSocket a hook refuses with the status it answered', async () => {
    expect(await webSocketSession(wsBase, '/private', { serverCloses: true })).toBe(
      'HTTP/1.1 401 Unauthorized',
    );
    const [span] = await waitForSpans(obs, memory, server('/private'));
    expect([span!.status.code, span!.attributes['http.response.status_code']]).toEqual([
      SpanStatusCode.UNSET,
      401,
    ]);
    expect(memory.logs().find((l) => l.path === '/private')).toMatchObject({ level: 'warn', status: 401 });
    const answered = { 'http.route': '/private', 'http.response.status_code': 401 };
    expect(await durationPoint(obs, memory, 'http.server.request.duration', answered)).toBeDefined();
  });
});
