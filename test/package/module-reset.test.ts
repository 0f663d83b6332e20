import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// A test runner's fresh module registry (jest.resetModules(), jest.isolateModules()) loads the
// package again, with pino and every other dependency, while the instance init() made through the
// first registry lives on (set up in a setup file, say). These tests load the BUILT package (dist/).
const root = resolve(import.meta.dirname, '../..');
const requireFromPackage = createRequire(join(root, 'package.json'));

type Api = typeof import('../../src/index.js');
type Testing = typeof import('../../src/testing/index.js');
type ExpressEntry = typeof import('../../src/integrations/express/index.js');
type FastifyEntry = typeof import('../../src/integrations/fastify/index.js');

/** Loads `specifiers` afresh, as a reset registry does: every module loaded since `before` again. */
function freshCopies(before: ReadonlySet<string>, ...specifiers: string[]): unknown[] {
  for (const key of Object.keys(requireFromPackage.cache))
    if (!before.has(key)) delete requireFromPackage.cache[key];
  return specifiers.map((specifier) => requireFromPackage(specifier));
}

describe('the package loaded again after init(), as a reset module registry loads it', () => {
  const before = new Set(Object.keys(requireFromPackage.cache));
  const first = requireFromPackage('sightline') as Api;
  const { memoryExporter } = requireFromPackage('sightline/testing') as Testing;
  const firstPino = requireFromPackage('pino');

  afterEach(async () => {
    await first.getSightline()?.shutdown();
  });

  const start = () => {
    const lines: string[] = [];
    const memory = memoryExporter();
    const obs = first.init({
      service: 'reset',
      environment: 'test',
      exporters: [memory],
      logStream: { write: (line: string) => lines.push(line) },
    });
    return { lines, memory, obs };
  };

  it('traces and logs Express requests through the new copy’s middleware', async () => {
    const { lines, memory, obs } = start();
    const [express, { expressMiddleware }, pino] = freshCopies(
      before,
      'express',
      'sightline/express',
      'pino',
    ) as [typeof import('express'), ExpressEntry, unknown];
    expect(pino).not.toBe(firstPino);
    const app = express();
    app.use(expressMiddleware());
    app.get('/orders/:id', (req, res) => {
      req.log.info('order read');
      res.json({ id: req.params.id });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((done) => server.once('listening', done));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/orders/7`);
      expect(response.status).toBe(200);
      await response.text();
      await expect.poll(() => lines.length).toBe(2);
    } finally {
      server.close();
    }
    await obs.forceFlush();
    const [handlerLine, accessLine] = lines;
    const span = memory.spans().find((s) => s.name === 'GET /orders/:id');
    expect(span).toBeDefined();
    expect(accessLine).toBeDefined();
    expect(JSON.parse(accessLine!)).toMatchObject({ route: '/orders/:id', status: 200 });
    // The correlation fields once, written by the logger's own mixin.
    expect(handlerLine!.match(/"trace_id"/g)).toHaveLength(1);
    expect(JSON.parse(handlerLine!)).toMatchObject({
      msg: 'order read',
      trace_id: span!.spanContext().traceId,
    });
  });

  it('redacts a URL’s secrets in Fastify’s not-found line through the new copy’s plugin', async () => {
    const { lines, obs } = start();
    const [Fastify, { sightlineFastify }] = freshCopies(before, 'fastify', 'sightline/fastify') as [
      typeof import('fastify').default,
      FastifyEntry,
    ];
    const app = Fastify({ loggerInstance: obs.log });
    await app.register(sightlineFastify);
    try {
      const reply = await app.inject({ url: '/missing?page=2&token=reset-copy-secret' });
      expect(reply.statusCode).toBe(404);
    } finally {
      await app.close();
    }
    const messages = lines.map((line) => JSON.parse(line).msg as string);
    expect(messages).toContain('Route GET:/missing?page=2&token=[Redacted] not found');
    expect(lines.join('\n')).not.toContain('reset-copy-secret');
  });
});

describe('the package loaded again and again, as a test file resetting its modules in each test does', () => {
  it('watches the worker threads the process starts once, instead of once more for each copy loaded', async () => {
    const before = new Set(Object.keys(requireFromPackage.cache));
    requireFromPackage('sightline');
    const warnings: Error[] = [];
    const warned = (warning: Error) => warnings.push(warning);
    process.on('warning', warned);
    try {
      const exitListeners = async () => {
        const worker = new Worker('', { eval: true });
        const count = worker.listenerCount('exit');
        await new Promise((done) => worker.once('exit', done));
        return count;
      };
      const once = await exitListeners();

      // Act: twelve fresh copies, each loaded as a reset registry loads it.
      for (let i = 0; i < 12; i++) freshCopies(before, 'sightline');

      // Assess: no listener more on a new thread, so no copy's modules are held by the process.
      expect(await exitListeners()).toBe(once);
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', warned);
    }
  });
});
