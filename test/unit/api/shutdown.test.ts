import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import express from 'express';
import { otlp } from '../../../adapters/otlp/index.js';
import { expressMiddleware } from '../../../src/integrations/express/index.js';
import { getSightline, init, log } from '../../../src/index.js';
import type { SightlineAdapter } from '../../../src/export/types.js';
import { memoryExporter } from '../../../src/testing/index.js';
import { startCollector } from '../../adapters/otlp/intake-server.js';
import { startHungBackend } from '../../helpers/hung-backend.js';
import { close, listen, request } from '../../integration/helpers/http-client.js';

// Taken before any test fakes the timers, to tell a wait that ends from one that never does.
const wallClock = globalThis.setTimeout;
const realNow = performance.now.bind(performance);
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await getSightline()?.shutdown();
  for (const close of closers.splice(0)) await close();
});

/** What `promise` came to within `ms` of real time: `'returned'`, or `'still waiting'`. */
function within(promise: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    promise.then(() => 'returned'),
    new Promise<string>((resolve) => wallClock(() => resolve('still waiting'), ms)),
  ]);
}

const hanging = (flushed: string[]): SightlineAdapter => ({
  name: 'hanging',
  setup: () => ({
    forceFlush: () => new Promise(() => {}),
    shutdown: () => {
      flushed.push('shutdown called');
      return new Promise(() => {});
    },
  }),
});

describe('shutdown() and forceFlush()', () => {
  it('flushes metrics and spans to the adapters before resolving', async () => {
    const memory = memoryExporter();
    const obs = init({ exporters: [memory], logStream: { write() {} }, metricInterval: 3_600_000 });
    obs.metrics.counter('final').add(4);
    obs.trace('last', () => {});
    await obs.shutdown();
    expect(memory.metrics().find((p) => p.name === 'final')?.value).toBe(4);
    expect(memory.spans().map((s) => s.name)).toEqual(['last']);
  });

  it('returns at its deadline when an adapter hangs, and never rejects', async () => {
    const calls: string[] = [];
    const obs = init({ exporters: [hanging(calls)], logStream: { write() {} } });
    const started = performance.now();
    await expect(obs.forceFlush({ timeoutMs: 100 })).resolves.toBeUndefined();
    await expect(obs.shutdown({ timeoutMs: 150 })).resolves.toBeUndefined();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(2000);
    expect(calls).toEqual(['shutdown called']);
  });

  it('counts the spans of work still running at shutdown, which end after it, as dropped by shutdown', async () => {
    const collector = await startCollector();
    closers.push(() => collector.close());
    const obs = init({
      exporters: [otlp({ url: collector.url, protocol: 'http/json', env: {} })],
      logStream: { write() {} },
      anomaly: false,
      outbound: false,
    });
    let finish!: () => void;
    const running = obs.trace('checkout', () => new Promise<void>((resolve) => (finish = resolve)));
    const manual = obs.tracer.startSpan('charge-card');
    await obs.shutdown();
    finish();
    await running;
    manual.end();

    expect(obs.stats().otlp?.traces).toMatchObject({ produced: 2, delivered: 0, queued: 0 });
    expect(obs.stats().otlp?.traces?.dropped).toEqual({ shutdown: 2 });
  });

  it("counts a request's duration recorded after shutdown, as the request ends after it, as after_shutdown", async () => {
    const obs = init({ logStream: { write() {} }, anomaly: false, outbound: false });
    let answer!: () => void;
    const app = express();
    app.use(expressMiddleware());
    app.get('/slow', (_req, res) => {
      answer = () => res.send('done');
    });
    const server = createServer(app);
    const base = await listen(server);
    closers.push(() => close(server));
    const reply = request(base, '/slow');
    await vi.waitUntil(() => answer !== undefined);
    await obs.shutdown();
    answer();
    await reply;

    expect(obs.drops().after_shutdown).toBe(1);
  });

  it('gives an Express handler a req.log that writes nothing when no instance runs, before init() and after shutdown()', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.get('/orders/:id', (req, res) => {
      req.log.info({ id: req.params.id }, 'order read');
      req.log.child({ step: 'pricing' }).warn('priced');
      res.send('ok');
    });
    const server = createServer(app);
    const base = await listen(server);
    closers.push(() => close(server));
    const before = await request(base, '/orders/1');

    const lines: string[] = [];
    const obs = init({
      logStream: { write: (line: string) => lines.push(line) },
      anomaly: false,
      outbound: false,
    });
    const running = await request(base, '/orders/2');
    await obs.shutdown();
    const after = await request(base, '/orders/3');

    expect([before.status, running.status, after.status]).toEqual([200, 200, 200]);
    expect(lines.filter((l) => l.includes('"order read"')).map((l) => JSON.parse(l).id)).toEqual(['2']);
  });

  it('keeps what a handler sets on req.log while no instance runs to that request, off the module-level log', async () => {
    const app = express();
    app.use(expressMiddleware());
    app.get('/orders/:id', (req, res) => {
      // As an authentication middleware names the user on the request's lines.
      req.log.setBindings({ user: `u${req.params.id}` });
      req.log.level = 'debug';
      res.send('ok');
    });
    const server = createServer(app);
    const base = await listen(server);
    closers.push(() => close(server));
    expect((await request(base, '/orders/1')).status).toBe(200);

    const lines: string[] = [];
    init({ logStream: { write: (line: string) => lines.push(line) }, anomaly: false, outbound: false });
    log.debug('cache warmed');
    log.info('ready');

    expect(lines.map((l) => [JSON.parse(l).msg, JSON.parse(l).user])).toEqual([['ready', undefined]]);
  });

  it.each([
    [
      'whose timeoutMs getter throws',
      () => ({
        get timeoutMs(): number {
          throw new Error('getter that throws');
        },
      }),
    ],
    [
      'that is a revoked proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
  ])('takes the configured deadline for options %s', async (_, unreadable) => {
    const obs = init({ logStream: { write() {} }, anomaly: false, outbound: false });
    await expect(obs.forceFlush(unreadable() as never)).resolves.toBeUndefined();
    let shutdown: Promise<void> | undefined;
    expect(() => (shutdown = obs.shutdown(unreadable() as never))).not.toThrow();
    await expect(shutdown).resolves.toBeUndefined();
  });

  it('is idempotent: a second call returns the same settled promise', async () => {
    const obs = init({ logStream: { write() {} } });
    const first = obs.shutdown();
    expect(obs.shutdown()).toBe(first);
    await first;
  });
});

describe("under a test suite's fake timers", () => {
  it.each(['before', 'after'])(
    'forceFlush() and shutdown() send to the backend, faked %s init(), without the test moving its clock',
    async (when) => {
      // Prepare: a loopback collector; the timers faked as vi.useFakeTimers() fakes them.
      const collector = await startCollector();
      closers.push(() => collector.close());
      if (when === 'before') vi.useFakeTimers();
      const obs = init({
        exporters: [otlp({ url: collector.url, env: {} })],
        logStream: { write() {} },
        anomaly: false,
      });
      if (when === 'after') vi.useFakeTimers();

      // Act: what a test of the service records, then flushes and shuts down.
      obs.metrics.counter('orders.placed').add(1);
      obs.trace('place order', () => obs.log.info('order placed'));
      const flushed = await within(obs.forceFlush(), 3000);
      const shut = await within(obs.shutdown(), 3000);

      // Assess: both returned, with everything delivered.
      expect(flushed).toBe('returned');
      expect(shut).toBe('returned');
      for (const signal of ['traces', 'metrics', 'logs'] as const)
        expect(collector.accepted(signal).length, signal).toBeGreaterThan(0);
    },
  );

  it('shutdown() returns at its deadline when the backend hangs, what it did not take counted as shutdown', async () => {
    const hung = await startHungBackend();
    closers.push(() => hung.close());
    vi.useFakeTimers();
    const obs = init({
      exporters: [otlp({ url: hung.url, env: {} })],
      logStream: { write() {} },
      anomaly: false,
    });
    obs.metrics.counter('orders.placed').add(1);
    obs.trace('place order', () => obs.log.info('order placed'));

    // A forceFlush first, as a test makes before its assertions, then the shutdown.
    const flushed = await within(obs.forceFlush({ timeoutMs: 300 }), 3000);
    const shut = await within(obs.shutdown({ timeoutMs: 300 }), 3000);

    expect(flushed).toBe('returned');
    expect(shut).toBe('returned');
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      const stats = obs.stats().otlp?.[signal];
      expect(stats?.queued, signal).toBe(0);
      expect(stats?.dropped.shutdown, signal).toBe(stats?.produced);
    }
  });

  it('obs.log.flush(cb) calls back at its deadline when a Writable logStream never finishes a write', async () => {
    // Prepare: a Writable whose writes never complete, as a PassThrough nobody reads.
    vi.useFakeTimers();
    const stuck = new Writable({ write() {} });
    const obs = init({ logStream: stuck, anomaly: false, shutdownTimeout: 300 });
    obs.log.info('order placed');

    const flushed = await within(new Promise<void>((resolve) => obs.log.flush(() => resolve())), 3000);

    expect(flushed).toBe('returned');
    vi.useRealTimers();
    await obs.shutdown();
  });

  it("forceFlush() waits for stdout only while it writes, queueMicrotask faked too as by Jest's default", async () => {
    // Prepare: Jest's jest.useFakeTimers() fakes queueMicrotask as well; a line goes to stdout.
    vi.useFakeTimers({
      toFake: [
        'setTimeout',
        'clearTimeout',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'Date',
        'queueMicrotask',
      ],
    });
    const obs = init({ anomaly: false });
    obs.log.info('order placed');

    // Act
    const started = realNow();
    await obs.forceFlush();

    // Assess: back once stdout took the line, not at the 5 s deadline.
    expect(realNow() - started).toBeLessThan(1000);
  });
});

describe('handleSignals', () => {
  it('flushes on SIGTERM, then lets the process end by the signal', () => {
    const script = `
      import { init } from './src/index.ts';
      const obs = init({ service: 'sig', handleSignals: true, exporters: [{ name: 'slow', setup: () => ({
        shutdown: () => new Promise((r) => setTimeout(() => { process.stdout.write('flushed\\n'); r(); }, 50)),
      }) }], logStream: { write() {} } });
      setInterval(() => {}, 1000);
      process.stdout.write('ready\\n');
      setTimeout(() => process.kill(process.pid, 'SIGTERM'), 20);
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.stdout).toBe('ready\nflushed\n');
    expect(result.signal).toBe('SIGTERM');
  });
});
