import { createRequire } from 'node:module';
import { SpanStatusCode } from '@opentelemetry/api';
import express5 from 'express';
import express4 from 'express4';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { expressErrorHandler, expressMiddleware } from '../../src/integrations/express/index.js';
import { memoryExporter } from '../../src/testing/index.js';

// What Fastify's app.inject() runs on, and what a service's own tests drive an Express app with
// when it does not listen: a request that is no IncomingMessage, a response that never finishes
// writing to a socket.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
const inject = fromFastify('light-my-request') as (
  app: unknown,
  options: { method: string; url: string; payload?: unknown },
) => Promise<{ statusCode: number; payload: string }>;

const memory = memoryExporter();
const lines: Record<string, unknown>[] = [];
const obs = init({
  service: 'express-inject-test',
  exporters: [memory],
  outbound: false,
  anomaly: false,
  handleSignals: false,
  logStream: { write: (line: string) => lines.push(JSON.parse(line)) },
});

afterAll(() => obs.shutdown());
beforeEach(() => {
  memory.reset();
  lines.length = 0;
});

// Typed as Express 5: the two versions' types do not unite, and the calls made here are in both.
describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
])('%s driven by light-my-request, without listening', (_name, express) => {
  const app = express();
  app.use(expressMiddleware());
  app.get('/orders/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.post('/orders', express.json(), (req, res) => {
    res.status(201).json(req.body);
  });
  app.get('/fail', () => {
    throw new Error('boom');
  });
  app.use(expressErrorHandler());

  it('records each request with its status, as over the network', async () => {
    expect((await inject(app, { method: 'GET', url: '/orders/42' })).statusCode).toBe(200);
    expect((await inject(app, { method: 'POST', url: '/orders', payload: { a: 1 } })).statusCode).toBe(201);
    expect((await inject(app, { method: 'GET', url: '/nowhere' })).statusCode).toBe(404);
    expect((await inject(app, { method: 'GET', url: '/fail' })).statusCode).toBe(500);
    await obs.forceFlush();

    const spans = memory.spans().map((s) => ({
      name: s.name,
      status: s.attributes['http.response.status_code'],
      error: s.attributes['error.type'],
      failed: s.status.code === SpanStatusCode.ERROR,
    }));
    expect(spans).toEqual([
      { name: 'GET /orders/:id', status: 200, error: undefined, failed: false },
      { name: 'POST /orders', status: 201, error: undefined, failed: false },
      { name: 'GET', status: 404, error: undefined, failed: false },
      { name: 'GET /fail', status: 500, error: 'Error', failed: true },
    ]);
    const access = lines.filter((l) => l.method !== undefined).map((l) => `${l.level} ${l.msg}`);
    expect(access).toEqual([
      'info GET /orders/:id 200',
      'info POST /orders 201',
      'warn GET /nowhere 404',
      'error GET /fail 500',
    ]);
  });
});
