import http, { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { context, defaultTextMapGetter, propagation, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { installOutboundHttp } from '../../src/integrations/outbound/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { close, httpGetJson, listen, request } from './helpers/http-client.js';
import { waitForSpans } from './helpers/telemetry.js';

const memory = memoryExporter();
const obs = init({
  service: 'two-services',
  exporters: [memory],
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
});
let uninstall: () => void;

// Service B: an inventory API on Fastify.
let inventory: FastifyInstance;
let inventoryUrl: string;
// Service A: a checkout API on Express, calling B.
let checkout: Server;
let checkoutUrl: string;

beforeAll(async () => {
  uninstall = installOutboundHttp(obs);
  inventory = Fastify();
  await inventory.register(sightlineFastify);
  inventory.get('/stock/:sku', async (req) => ({ sku: (req.params as { sku: string }).sku, available: 3 }));
  inventoryUrl = await inventory.listen({ host: '127.0.0.1', port: 0 });

  const app = express();
  app.use(expressMiddleware());
  app.post('/checkout/fetch/:sku', async (req, res) => {
    const stock = await fetch(`${inventoryUrl}/stock/${req.params.sku}`).then((r) => r.json());
    res.json(stock);
  });
  app.post('/checkout/http/:sku', async (req, res) => {
    res.json(await httpGetJson(`${inventoryUrl}/stock/${req.params.sku}`));
  });
  checkout = createServer(app);
  checkoutUrl = await listen(checkout);
});

afterAll(async () => {
  uninstall();
  await close(checkout);
  await inventory.close();
  await obs.shutdown();
});
beforeEach(() => memory.reset());

describe.each(['fetch', 'http'])('Express A calls Fastify B with %s', (client) => {
  it('yields one trace, B server span under A client span under A server span', async () => {
    const reply = await request(checkoutUrl, `/checkout/${client}/sku-1`, { method: 'POST' });
    expect(JSON.parse(reply.body)).toEqual({ sku: 'sku-1', available: 3 });

    const byName = (name: string) => (s: ReadableSpan) => s.name === name && s.kind === SpanKind.SERVER;
    const [aServer] = await waitForSpans(obs, memory, byName(`POST /checkout/${client}/:sku`));
    const [bServer] = await waitForSpans(obs, memory, byName('GET /stock/:sku'));
    const aClient = memory
      .spans()
      .find(
        (s) =>
          s.kind === SpanKind.CLIENT &&
          s.parentSpanContext?.spanId === aServer!.spanContext().spanId &&
          String(s.attributes['url.full']).startsWith(inventoryUrl),
      );
    expect(aClient).toBeDefined();
    const traceId = aServer!.spanContext().traceId;
    expect(aClient!.spanContext().traceId).toBe(traceId);
    expect(bServer!.spanContext().traceId).toBe(traceId);
    expect(bServer!.parentSpanContext?.spanId).toBe(aClient!.spanContext().spanId);
    expect(aClient!.attributes['url.full']).toBe(`${inventoryUrl}/stock/sku-1`);
  });
});

/**
 * A request on a path the integration ignores has no span, but the calls its handler makes still
 * continue the caller's trace and carry its baggage, as W3C Trace Context and Baggage ask of a
 * service a request passes through: they started traces of their own, without the baggage.
 */
describe('a call out from a path the integration ignores', () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const callerSpanId = 'b7ad6b7169203331';
  const sent: Record<string, string | string[] | undefined>[] = [];
  let peer: Server;
  let peerUrl: string;
  let ignoringExpress: Server;
  let ignoringFastify: FastifyInstance;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    peer = createServer((req, res) => {
      sent.push({ traceparent: req.headers.traceparent, baggage: req.headers.baggage });
      res.end('ok');
    });
    peerUrl = await listen(peer);
    const app = express();
    app.use(expressMiddleware({ ignore: ['/relay'] }));
    app.use(express.json());
    app.post('/relay', async (_req, res) => {
      res.send(await fetch(`${peerUrl}/next`).then((r) => r.text()));
    });
    ignoringExpress = createServer(app);
    urls.express = await listen(ignoringExpress);
    ignoringFastify = Fastify();
    await ignoringFastify.register(sightlineFastify, { ignore: ['/relay'] });
    ignoringFastify.post('/relay', async () => fetch(`${peerUrl}/next`).then((r) => r.text()));
    urls.fastify = await ignoringFastify.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await close(ignoringExpress);
    await ignoringFastify.close();
    await close(peer);
  });
  beforeEach(() => {
    sent.length = 0;
  });

  it.each([
    ['express', undefined],
    ['express', '{"sku":"sku-1"}'],
    ['fastify', undefined],
    ['fastify', '{"sku":"sku-1"}'],
  ])('continues the caller trace with its baggage (%s, body %s)', async (framework, body) => {
    const headers: Record<string, string> = {
      traceparent: `00-${traceId}-${callerSpanId}-01`,
      baggage: 'tenant=acme',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const reply = await request(urls[framework]!, '/relay', { method: 'POST', headers, body });
    expect(reply.status).toBe(200);
    const [call] = await waitForSpans(
      obs,
      memory,
      (s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).startsWith(peerUrl),
    );
    expect(call!.spanContext().traceId).toBe(traceId);
    expect(call!.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(sent).toEqual([
      { traceparent: `00-${traceId}-${call!.spanContext().spanId}-01`, baggage: 'tenant=acme' },
    ]);
    // Still no span of the ignored request itself.
    expect(
      memory.spans().filter((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/relay'),
    ).toEqual([]);
  });
});

/**
 * What an Express service passes on of its caller's trace context to the service it calls, with
 * fetch and node:http, within W3C Trace Context's and Baggage's limits.
 */
describe.each(['fetch', 'http'])('the trace context a call out with %s sends', (client) => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpanId = '00f067aa0ba902b7';
  const received: IncomingHttpHeaders[] = [];
  let peer: Server;
  let peerUrl: string;
  let service: Server;
  let serviceUrl: string;

  beforeAll(async () => {
    peer = createServer((req, res) => {
      received.push(req.headers);
      res.end('{}');
    });
    peerUrl = await listen(peer);
    const app = express();
    app.use(expressMiddleware());
    // The call carries the baggage its handler sets: `?own=N` entries of 80 bytes.
    app.get('/call', async (req, res) => {
      const own = Number(req.query.own ?? 0);
      const headers: Record<string, string> = own > 0 ? { baggage: entries('own', own) } : {};
      const status =
        client === 'fetch'
          ? (await fetch(`${peerUrl}/next`, { headers })).status
          : await new Promise<number | undefined>((resolve, reject) => {
              http
                .get(`${peerUrl}/next`, { headers }, (answer) => resolve(answer.resume().statusCode))
                .on('error', reject);
            });
      res.status(status ?? 502).end();
    });
    // The call carries the request's baggage with `?add=N` entries of `size` bytes (80) added to it.
    app.get('/added', async (req, res) => {
      const size = Number(req.query.size ?? 80);
      let bag = propagation.getBaggage(context.active()) ?? propagation.createBaggage();
      for (let i = 0; i < Number(req.query.add); i++)
        bag = bag.setEntry(`add${i}`, { value: 'v'.repeat(size - `add${i}=`.length) });
      const status = await context.with(propagation.setBaggage(context.active(), bag), async () =>
        client === 'fetch'
          ? (await fetch(`${peerUrl}/next`)).status
          : await new Promise<number | undefined>((resolve, reject) => {
              http
                .get(`${peerUrl}/next`, (answer) => resolve(answer.resume().statusCode))
                .on('error', reject);
            }),
      );
      res.status(status ?? 502).end();
    });
    // The call's `?own=N` entries in two baggage lines of their own, half in each.
    app.get('/lines', async (req, res) => {
      const own = entries('own', Number(req.query.own)).split(',');
      const lines = [own.slice(0, own.length / 2).join(','), own.slice(own.length / 2).join(',')];
      const status =
        client === 'fetch'
          ? (await fetch(`${peerUrl}/next`, { headers: lines.map((line) => ['baggage', line]) })).status
          : await new Promise<number | undefined>((resolve, reject) => {
              // Headers given as a list are written as the head at once, without a Host.
              const headers = ['host', new URL(peerUrl).host, ...lines.flatMap((line) => ['baggage', line])];
              http
                .get(`${peerUrl}/next`, { headers }, (answer) => resolve(answer.resume().statusCode))
                .on('error', reject);
            });
      res.status(status ?? 502).end();
    });
    service = createServer(app);
    serviceUrl = await listen(service);
  });
  afterAll(async () => {
    await close(service);
    await close(peer);
  });
  beforeEach(() => {
    received.length = 0;
  });

  /** `n` baggage entries of 80 bytes each, named `prefix0`, `prefix1`, ... */
  const entries = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${prefix}${i}=`.padEnd(80, 'v')).join(',');

  it("sends the call's baggage and the request's together within W3C Baggage's limits", async () => {
    // Each within the limits (8,192 bytes, 180 entries); together, 16 KB, more than the service called
    // takes of all its headers (Node's 16 KB), which answered 431 Request Header Fields Too Large.
    const before = obs.drops().baggage_limit ?? 0;
    const reply = await request(serviceUrl, '/call?own=100', { headers: { baggage: entries('req', 100) } });
    expect(reply.status).toBe(200);
    // The request's entries left out are counted.
    expect((obs.drops().baggage_limit ?? 0) - before).toBe(99);
    // fetch sends the context's entries in a header of their own, which Node joins with `, `.
    const sent = String(received[0]?.baggage)
      .split(',')
      .map((entry) => entry.trim());
    expect(sent.join(',').length).toBeLessThanOrEqual(8192);
    // The call's own come first, whole; the request's fill what is left.
    expect(sent.slice(0, 100)).toEqual(entries('own', 100).split(','));
    expect(sent.slice(100)).toEqual(entries('req', 1).split(','));
  });

  it("sends the call's baggage and the request's as a receiver keeps them all, within 8,192 bytes", async () => {
    // The call's 100 entries make 8,099 bytes; the request's first, of 92, fits beside them with a
    // comma, and its next, of 80, does not.
    const first = 'req0='.padEnd(92, 'v');
    const reply = await request(serviceUrl, '/call?own=100', {
      headers: { baggage: `${first},${entries('req', 2).split(',')[1]}` },
    });
    expect(reply.status).toBe(200);
    const header = String(received[0]?.baggage);
    expect(header.length).toBeLessThanOrEqual(8192);
    // Read as OpenTelemetry reads it at the service called, which keeps no entry past 8,192 bytes.
    const read = new W3CBaggagePropagator().extract(ROOT_CONTEXT, received[0], defaultTextMapGetter);
    expect(propagation.getBaggage(read)?.getAllEntries()).toHaveLength(header.split(',').length);
  });

  it("sends the call's baggage of two lines and the request's within 8,192 bytes as the receiver joins them", async () => {
    // The call's 100 entries make 8,100 bytes in two lines joined by `, `; the request's first, of
    // 91, fits beside them with a comma, but not with the `, ` between the call's two lines too.
    const first = 'req0='.padEnd(91, 'v');
    const before = obs.drops().baggage_limit ?? 0;
    const reply = await request(serviceUrl, '/lines?own=100', { headers: { baggage: `${first},r1=1` } });
    expect(reply.status).toBe(200);
    expect((obs.drops().baggage_limit ?? 0) - before).toBe(1);
    const header = String(received[0]?.baggage);
    expect(header.length).toBeLessThanOrEqual(8192);
    expect(header.split(',').map((entry) => entry.trim())).toEqual([
      ...entries('own', 100).split(','),
      'r1=1',
    ]);
  });

  it("sends no more than 180 baggage entries, the call's and the request's together", async () => {
    const before = obs.drops().baggage_limit ?? 0;
    const reply = await request(serviceUrl, '/call?own=20', {
      headers: { baggage: Array.from({ length: 170 }, (_, i) => `r${i}=1`).join(',') },
    });
    expect(reply.status).toBe(200);
    expect((obs.drops().baggage_limit ?? 0) - before).toBe(10);
    const sent = String(received[0]?.baggage).split(',');
    expect(sent).toHaveLength(180);
    expect(sent.slice(0, 20)).toEqual(entries('own', 20).split(','));
  });

  it("counts the context's baggage entries left out of a call, past 180 entries, 8,192 bytes or 4,096 an entry", async () => {
    let before = obs.drops().baggage_limit ?? 0;
    // The request's 170 entries and the handler's 20 in the context.
    const many = await request(serviceUrl, '/added?add=20', {
      headers: { baggage: Array.from({ length: 170 }, (_, i) => `r${i}=1`).join(',') },
    });
    expect(many.status).toBe(200);
    expect(String(received[0]?.baggage).split(',')).toHaveLength(180);
    expect((obs.drops().baggage_limit ?? 0) - before).toBe(10);
    // 100 entries of 80 bytes and the handler's 2: 101 fit in 8,192.
    before = obs.drops().baggage_limit ?? 0;
    const large = await request(serviceUrl, '/added?add=2', { headers: { baggage: entries('req', 100) } });
    expect(large.status).toBe(200);
    expect(String(received[1]?.baggage).split(',')).toHaveLength(101);
    expect((obs.drops().baggage_limit ?? 0) - before).toBe(1);
    // One entry of 5,000 bytes the handler adds, past OpenTelemetry's 4,096.
    before = obs.drops().baggage_limit ?? 0;
    const long = await request(serviceUrl, '/added?add=1&size=5000', { headers: { baggage: 'r=1' } });
    expect(long.status).toBe(200);
    expect(received[2]?.baggage).toBe('r=1');
    expect((obs.drops().baggage_limit ?? 0) - before).toBe(1);
  });

  it("sends the caller's tracestate past 512 characters without its entries over 128 first (W3C Trace Context)", async () => {
    const small = Array.from({ length: 20 }, (_, i) => `v${i}=`.padEnd(19, 's'));
    const big = `big=${'b'.repeat(250)}`;
    // 656 characters: the small vendors' 399 fit once the one entry over 128 is removed.
    const tracestate = [small[0], big, ...small.slice(1)].join(',');
    const reply = await request(serviceUrl, '/call', {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, tracestate },
    });
    expect(reply.status).toBe(200);
    expect(received[0]?.tracestate).toBe(small.join(','));
  });

  it("sends the caller's tracestate past 512 characters of small entries without those on its right", async () => {
    const entries = Array.from({ length: 30 }, (_, i) => `v${i}=`.padEnd(30, 's'));
    const reply = await request(serviceUrl, '/call', {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, tracestate: entries.join(',') },
    });
    expect(reply.status).toBe(200);
    // 16 entries of 30 and their commas make 495 characters; a 17th would make 526.
    expect(received[0]?.tracestate).toBe(entries.slice(0, 16).join(','));
  });

  it("sends the caller's tracestate whose entries fit within 512 characters whole, however spaced", async () => {
    const entries = Array.from({ length: 20 }, (_, i) => `v${i}=`.padEnd(24, 's'));
    // 20 entries of 24 and their commas make 499 characters; the spaces W3C Trace Context allows
    // around them, and that Node puts between the values of two tracestate headers, 518.
    const reply = await request(serviceUrl, '/call', {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01`, tracestate: entries.join(', ') },
    });
    expect(reply.status).toBe(200);
    expect(received[0]?.tracestate).toBe(entries.join(','));
  });

  it("sends the caller's tracestate past 512 characters whose valid entries fit within them whole", async () => {
    const entries = Array.from({ length: 16 }, (_, i) => `v${i}=`.padEnd(30, 's'));
    // An entry no receiver keeps (an upper-case name) makes 620 characters; the 16 others, 495.
    const invalid = `Vendor=${'x'.repeat(116)}`;
    const reply = await request(serviceUrl, '/call', {
      headers: {
        traceparent: `00-${traceId}-${callerSpanId}-01`,
        tracestate: [invalid, ...entries].join(','),
      },
    });
    expect(reply.status).toBe(200);
    expect(received[0]?.tracestate).toBe(entries.join(','));
  });

  it("keeps the caller's random trace-id flag (W3C Trace Context Level 2)", async () => {
    const reply = await request(serviceUrl, '/call', {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-03` },
    });
    expect(reply.status).toBe(200);
    expect(received[0]?.traceparent).toMatch(new RegExp(`^00-${traceId}-[\\da-f]{16}-03$`));
    const [server] = await waitForSpans(
      obs,
      memory,
      (s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId,
    );
    expect(server?.spanContext().traceFlags).toBe(3);
  });

  it('sets the random trace-id flag on a trace it starts, whose id is random (W3C Trace Context Level 2)', async () => {
    const reply = await request(serviceUrl, '/call');
    expect(reply.status).toBe(200);
    expect(received[0]?.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-03$/);
    const traceId = String(received[0]?.traceparent).split('-')[1];
    const [server] = await waitForSpans(
      obs,
      memory,
      (s) => s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId,
    );
    expect(server?.spanContext().traceFlags).toBe(3);
    // A caller's trace without the flag is no trace of sightline's: its id may not be random.
    received.length = 0;
    await request(serviceUrl, '/call', { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } });
    expect(received[0]?.traceparent).toMatch(/-01$/);
  });

  it("keeps the caller's random trace-id flag on a request it did not sample", async () => {
    const reply = await request(serviceUrl, '/call', {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-02` },
    });
    expect(reply.status).toBe(200);
    expect(received[0]?.traceparent).toMatch(new RegExp(`^00-${traceId}-[\\da-f]{16}-02$`));
  });
});
