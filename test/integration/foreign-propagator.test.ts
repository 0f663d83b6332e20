/**
 * Two services traced by sightline in a process where another SDK registered its OpenTelemetry
 * globals first, as Sentry's Node SDK does (8 to 10, and 11 with enableOpenTelemetrySetup): its
 * tracer provider, its context manager and a propagator of its own headers, `sentry-trace` and
 * `baggage`, which reads and writes no `traceparent`.
 */
import { createServer, type Server } from 'node:http';
import {
  type Context,
  context,
  propagation,
  SpanKind,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { memoryExporter } from '../../src/testing/index.js';
import { close, httpGetJson, listen, request } from './helpers/http-client.js';
import { waitForSpans } from './helpers/telemetry.js';

/** Sentry's header: `<trace id>-<span id>-<sampled>`. */
const sentryPropagator: TextMapPropagator = {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter) {
    const span = trace.getSpanContext(ctx);
    if (span === undefined) return;
    setter.set(carrier, 'sentry-trace', `${span.traceId}-${span.spanId}-${span.traceFlags & 1}`);
  },
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter) {
    const header = getter.get(carrier, 'sentry-trace');
    const match = /^([0-9a-f]{32})-([0-9a-f]{16})-([01])$/.exec(String(header));
    if (match === null) return ctx;
    const [, traceId, spanId, sampled] = match as unknown as string[];
    return trace.setSpanContext(ctx, {
      traceId: traceId!,
      spanId: spanId!,
      traceFlags: sampled === '1' ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    });
  },
  fields: () => ['sentry-trace', 'baggage'],
};

trace.setGlobalTracerProvider(new BasicTracerProvider());
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(sentryPropagator);

const memory = memoryExporter();
const obs = init({
  service: 'foreign-propagator',
  exporters: [memory],
  anomaly: false,
  handleSignals: false,
  logStream: { write: () => {} },
});

let inventory: FastifyInstance;
let inventoryUrl: string;
/** The traceparent each request to B came with. */
const sent: unknown[] = [];
let checkout: Server;
let checkoutUrl: string;

beforeAll(async () => {
  inventory = Fastify();
  await inventory.register(sightlineFastify);
  inventory.addHook('onRequest', async (req) => {
    sent.push(req.headers.traceparent);
  });
  inventory.get('/stock/:sku', async (req) => ({ sku: (req.params as { sku: string }).sku, available: 3 }));
  inventoryUrl = await inventory.listen({ host: '127.0.0.1', port: 0 });

  const app = express();
  app.use(expressMiddleware());
  app.post('/checkout/fetch/:sku', async (req, res) => {
    res.json(await fetch(`${inventoryUrl}/stock/${req.params.sku}`).then((r) => r.json()));
  });
  app.post('/checkout/http/:sku', async (req, res) => {
    res.json(await httpGetJson(`${inventoryUrl}/stock/${req.params.sku}`));
  });
  checkout = createServer(app);
  checkoutUrl = await listen(checkout);
});

afterAll(async () => {
  await close(checkout);
  await inventory.close();
  await obs.shutdown();
  for (const api of [trace, context, propagation]) api.disable();
});
beforeEach(() => {
  memory.reset();
  sent.length = 0;
});

describe.each(['fetch', 'http'])(
  "after another SDK's propagator: Express A calls Fastify B with %s",
  (client) => {
    it("continues the caller's traceparent and sends A's client span's to B", async () => {
      // Act: a caller in trace 0af7… calls A, which calls B.
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const reply = await request(checkoutUrl, `/checkout/${client}/sku-1`, {
        method: 'POST',
        headers: { traceparent },
      });
      expect(JSON.parse(reply.body)).toEqual({ sku: 'sku-1', available: 3 });

      // Assess
      const byName = (name: string) => (s: ReadableSpan) => s.name === name && s.kind === SpanKind.SERVER;
      const [aServer] = await waitForSpans(obs, memory, byName(`POST /checkout/${client}/:sku`));
      const [bServer] = await waitForSpans(obs, memory, byName('GET /stock/:sku'));
      const aClient = memory
        .spans()
        .find((s) => s.kind === SpanKind.CLIENT && String(s.attributes['url.full']).startsWith(inventoryUrl));
      expect(aServer!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(aServer!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(aClient!.parentSpanContext?.spanId).toBe(aServer!.spanContext().spanId);
      expect(sent).toEqual([`00-0af7651916cd43dd8448eb211c80319c-${aClient!.spanContext().spanId}-01`]);
      expect(bServer!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(bServer!.parentSpanContext?.spanId).toBe(aClient!.spanContext().spanId);
    });
  },
);
