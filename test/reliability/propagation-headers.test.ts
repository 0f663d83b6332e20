/**
 * Any `traceparent`, `tracestate` or `baggage` header, fuzzed or oversize, sent to an Express or a
 * Fastify service is handled without error: the answer is a 200, and the server span continues a
 * well-formed parent or starts a valid new trace.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, type Sightline } from '../../src/index.js';
import { expressMiddleware } from '../../src/integrations/express/index.js';
import { sightlineFastify } from '../../src/integrations/fastify/index.js';
import { memoryExporter } from '../../src/testing/index.js';

const memory = memoryExporter();
let obs: Sightline;
const ports: Record<string, number> = {};
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  obs = init({ service: 'edge', exporters: [memory], logStream: { write() {} }, outbound: false });
  const app = express();
  app.use(expressMiddleware());
  app.get('/items/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  ports.express = (server.address() as AddressInfo).port;
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  const fastify = Fastify({ loggerInstance: obs.log });
  await fastify.register(sightlineFastify);
  fastify.get<{ Params: { id: string } }>('/items/:id', async (req) => ({ id: req.params.id }));
  await fastify.listen({ host: '127.0.0.1', port: 0 });
  ports.fastify = (fastify.server.address() as AddressInfo).port;
  closers.push(() => fastify.close());
});

afterAll(async () => {
  for (const close of closers) await close();
  await obs.shutdown({ timeoutMs: 1000 });
});

function get(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/items/7', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
// Oversize, yet under Node's 16 KiB header limit: beyond it Node itself answers 431 before any app code runs.
/** Header-safe text: visible ASCII, space and tab (what an HTTP client may send at all). */
const headerText = (max: number) =>
  fc.string({
    unit: fc.constantFrom(
      ...' \t!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~',
    ),
    maxLength: max,
  });
const traceparent = fc.oneof(
  headerText(80),
  fc.tuple(hex(2), hex(32), hex(16), hex(2)).map(([v, t, s, f]) => `${v}-${t}-${s}-${f}`),
  fc.tuple(hex(32), hex(16)).map(([t, s]) => `00-${t}-${s}-01`),
  fc.constantFrom(
    '00-00000000000000000000000000000000-0000000000000000-01',
    `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01-extra`,
  ),
  fc.integer({ min: 1_000, max: 4_000 }).map((n) => `00-${'a'.repeat(n)}`),
);
const listHeader = fc.oneof(
  headerText(200),
  fc
    .array(
      fc.tuple(headerText(20), headerText(40)).map(([k, v]) => `${k}=${v}`),
      { maxLength: 40 },
    )
    .map((a) => a.join(',')),
  fc.integer({ min: 1_000, max: 4_000 }).map((n) => `k=${'v'.repeat(n)}`),
  fc.integer({ min: 10, max: 300 }).map((n) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',')),
);
const PARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
/** A parent W3C Trace Context requires to be continued: version 00, ids not all zero, sampled. */
const SAMPLED_PARENT = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})([0-9a-f]{16})-[0-9a-f][13579bdf]$/;

describe.each(['express', 'fastify'])('%s with fuzzed propagation headers', (framework) => {
  it('answers 200 and records a valid trace, continuing only a well-formed parent', async () => {
    await fc.assert(
      fc.asyncProperty(traceparent, listHeader, listHeader, async (tp, ts, baggage) => {
        memory.reset();
        const status = await get(ports[framework] as number, { traceparent: tp, tracestate: ts, baggage });
        expect(status).toBe(200);
        await obs.forceFlush({ timeoutMs: 1000 });
        const server = memory.spans().find((s) => s.kind === 1);
        const parent = PARENT.exec(tp.trim());
        if (server === undefined) {
          // Only an accepted parent that says "not sampled" leaves no span behind.
          expect(parent).not.toBeNull();
          expect(Number.parseInt(parent?.[4] ?? '1', 16) & 1).toBe(0);
          return;
        }
        const ctx = server.spanContext();
        expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(ctx.traceId).not.toBe('0'.repeat(32));
        expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/);
        // Malformed: a new trace, with no parent.
        if (parent === null) expect(server.parentSpanContext).toBeUndefined();
        const sampled = SAMPLED_PARENT.exec(tp.trim());
        if (sampled !== null) {
          expect(ctx.traceId).toBe(sampled[1]);
          expect(server.parentSpanContext?.spanId).toBe(sampled[2]);
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe.each(['express', 'fastify'])('%s with credentials in request headers', (framework) => {
  it('records none of them in spans or log lines', async () => {
    const secret = 'sentinelRequestSecret5b1e';
    memory.reset();
    const status = await get(ports[framework] as number, {
      authorization: `Bearer ${secret}`,
      cookie: `session=${secret}`,
      'x-api-key': secret,
      'user-agent': 'reliability-suite',
    });
    expect(status).toBe(200);
    await obs.forceFlush({ timeoutMs: 1000 });
    const spans = memory.spans();
    expect(spans.length).toBeGreaterThan(0);
    expect(spans.some((s) => s.attributes['user_agent.original'] === 'reliability-suite')).toBe(true);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(secret);
    expect(JSON.stringify(memory.logs())).not.toContain(secret);
  });
});
