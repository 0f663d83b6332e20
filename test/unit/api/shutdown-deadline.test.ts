import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannel, createLogSink, createSpanExporter, statsOf } from '../../../src/export/index.js';
import type { AnomalyEvent } from '../../../src/anomaly/event.js';
import type { SightlineInstance } from '../../../src/api/sightline.js';
import type { SightlineAdapter } from '../../../src/export/types.js';
import { getSightline, init } from '../../../src/index.js';

const servers: Server[] = [];
afterEach(async () => {
  await getSightline()?.shutdown();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

async function listen(server: Server): Promise<URL> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/intake`);
}

/** A backend that accepts connections and never answers. */
function hungBackend(): Promise<URL> {
  return listen(createServer(() => {}));
}

/** A backend that answers every request after `ms`. */
function slowBackend(ms: number): Promise<URL> {
  return listen(
    createServer((req, res) => {
      req.resume();
      setTimeout(() => res.end('{}'), ms);
    }),
  );
}

/** Sends spans to `url` and log lines to `logsUrl`, sending partial batches every `flushIntervalMs`. */
function channelAdapter(url: URL, logsUrl = url, flushIntervalMs = 10): SightlineAdapter {
  return {
    name: 'hung',
    setup(ctx) {
      const options = { queueSize: 1000, flushIntervalMs, timeoutMs: 60_000, shutdownTimeoutMs: 60_000 };
      const encode = (items: readonly unknown[]) => ({
        body: JSON.stringify(items.length),
        contentType: 'application/json',
      });
      const traces = createChannel(
        { adapter: 'hung', signal: 'traces', url, limits: { maxItems: 10, maxBytes: 1e6 }, encode },
        options,
      );
      const logs = createChannel<string>(
        { adapter: 'hung', signal: 'logs', url: logsUrl, limits: { maxItems: 10, maxBytes: 1e6 }, encode },
        options,
      );
      ctx.registerStats('hung', statsOf(traces, logs));
      return {
        spanExporter: createSpanExporter(traces),
        logSink: createLogSink(logs),
        shutdown: () => Promise.all([traces.shutdown(), logs.shutdown()]).then(() => {}),
      };
    },
  };
}

/** Sends anomaly events to `url`, only when flushed, through the adapter's event-only flush. */
function eventsAdapter(url: URL): SightlineAdapter {
  return {
    name: 'events',
    setup(ctx) {
      const events = createChannel<AnomalyEvent>(
        {
          adapter: 'events',
          signal: 'events',
          url,
          limits: { maxItems: 10, maxBytes: 1e6 },
          encode: (items) => ({ body: JSON.stringify(items), contentType: 'application/json' }),
        },
        { flushIntervalMs: 60_000, timeoutMs: 60_000, shutdownTimeoutMs: 60_000 },
      );
      ctx.registerStats('events', statsOf(events));
      return {
        eventSink: (event) => {
          events.push(event);
        },
        flushEvents: () => events.forceFlush(),
        forceFlush: () => events.forceFlush(),
        shutdown: () => events.shutdown(),
      };
    },
  };
}

const ANOMALY: AnomalyEvent = {
  metric: 'orders.placed',
  attributes: {},
  time: 1_700_000_000_000,
  observed: 2,
  expected: 40,
  band: { lower: 30, upper: 50 },
  score: 0.99,
  severity: 80,
  kind: 'dip',
  explanation: 'orders.placed fell to 2, expected 40',
  service: 'unknown_service',
  environment: 'test',
};

describe('the shutdown deadline reaches the export channels', () => {
  it('returns at its deadline with a hung backend and counts what it could not send', async () => {
    const obs = init({ exporters: [channelAdapter(await hungBackend())], logStream: { write() {} } });
    for (let i = 0; i < 50; i++) obs.trace(`op-${i}`, () => obs.log.info({ i }, 'work'));
    const started = performance.now();
    await obs.shutdown({ timeoutMs: 400 });
    const elapsed = performance.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(1500);
    const stats = obs.stats().hung;
    for (const signal of ['traces', 'logs'] as const) {
      const s = stats?.[signal];
      expect(s?.produced).toBe(50);
      expect(s?.queued).toBe(0);
      expect(s?.delivered).toBe(0);
      expect(Object.values(s?.dropped ?? {}).reduce((a, b) => a + (b ?? 0), 0)).toBe(50);
      expect(s?.dropped.shutdown).toBeGreaterThan(0);
    }
  });

  it.each([0, 5])(
    'with a deadline of %s ms returns with nothing queued, counting what it could not send',
    async (timeoutMs) => {
      const obs = init({ exporters: [channelAdapter(await hungBackend())], logStream: { write() {} } });
      for (let i = 0; i < 50; i++) obs.trace(`op-${i}`, () => obs.log.info({ i }, 'work'));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the first batches are now hanging
      await obs.shutdown({ timeoutMs });

      // The channels' own deadline is 60 s: nothing may wait for it once shutdown() has returned.
      for (const signal of ['traces', 'logs'] as const) {
        const s = obs.stats().hung?.[signal];
        expect(s, signal).toMatchObject({ produced: 50, delivered: 0, queued: 0 });
        expect(s?.dropped, signal).toEqual({ shutdown: 50 });
      }
    },
  );

  it('bounds forceFlush() the same way, leaving the items queued for later', async () => {
    const obs = init({ exporters: [channelAdapter(await hungBackend())], logStream: { write() {} } });
    for (let i = 0; i < 20; i++) obs.log.info({ i }, 'work');
    const started = performance.now();
    await obs.forceFlush({ timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(1500);
    const s = obs.stats().hung?.logs;
    expect((s?.queued ?? 0) + (s?.delivered ?? 0)).toBe(20);
    expect(s?.queued).toBeGreaterThan(0);
  });

  it('keeps the shutdown deadline when a forceFlush started before it ends first', async () => {
    const obs = init({ exporters: [channelAdapter(await hungBackend())], logStream: { write() {} } });
    for (let i = 0; i < 20; i++) obs.trace(`op-${i}`, () => obs.log.info({ i }, 'work'));
    const flush = obs.forceFlush({ timeoutMs: 100 });
    await obs.shutdown({ timeoutMs: 600 });
    await flush;
    // Had the forceFlush taken the deadline away, the channels would wait their own 60 s.
    for (const signal of ['traces', 'logs'] as const) {
      const s = obs.stats().hung?.[signal];
      expect(s?.queued).toBe(0);
      expect(s?.dropped.shutdown).toBeGreaterThan(0);
    }
  });

  it('is not cut short by a shorter forceFlush started during it', async () => {
    const obs = init({ exporters: [channelAdapter(await slowBackend(300))], logStream: { write() {} } });
    for (let i = 0; i < 20; i++) obs.trace(`op-${i}`, () => obs.log.info({ i }, 'work'));
    const shutdown = obs.shutdown({ timeoutMs: 5000 });
    await obs.forceFlush({ timeoutMs: 50 });
    await shutdown;
    for (const signal of ['traces', 'logs'] as const) {
      expect(obs.stats().hung?.[signal]).toMatchObject({ produced: 20, delivered: 20, queued: 0 });
    }
  });

  it("gives a healthy backend's items the deadline while another backend hangs", async () => {
    const obs = init({
      // Fewer lines than a batch wait for the flush interval: only shutdown() sends them.
      exporters: [channelAdapter(await hungBackend(), await slowBackend(0), 60_000)],
      logStream: { write() {} },
    });
    for (let i = 0; i < 5; i++) obs.trace(`op-${i}`, () => obs.log.info({ i }, 'work'));
    await obs.shutdown({ timeoutMs: 500 });
    const stats = obs.stats().hung;
    expect(stats?.traces).toMatchObject({ produced: 5, delivered: 0, queued: 0 });
    expect(stats?.logs).toMatchObject({ produced: 5, delivered: 5, queued: 0 });
    expect(stats?.logs?.dropped).toEqual({});
  });

  it("forceFlush() sends a healthy backend's items while another backend hangs", async () => {
    const obs = init({
      exporters: [channelAdapter(await hungBackend(), await slowBackend(0), 60_000)],
      logStream: { write() {} },
    });
    for (let i = 0; i < 5; i++) obs.trace(`op-${i}`, () => obs.log.info({ i }, 'work'));
    await obs.forceFlush({ timeoutMs: 500 });
    expect(obs.stats().hung?.logs).toMatchObject({ produced: 5, delivered: 5, queued: 0 });
  });

  it.each(['shutdown', 'forceFlush'] as const)(
    "%s() sends a healthy backend's anomaly events within the deadline while another backend hangs on spans",
    async (call) => {
      const obs = init({
        exporters: [channelAdapter(await hungBackend()), eventsAdapter(await slowBackend(0))],
        logStream: { write() {} },
      });
      for (let i = 0; i < 5; i++) obs.trace(`op-${i}`, () => {});
      (obs as SightlineInstance).emitAnomaly(ANOMALY);
      await obs[call]({ timeoutMs: 500 });
      expect(obs.stats().hung?.traces?.delivered).toBe(0);
      expect(obs.stats().events?.events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
      expect(obs.stats().events?.events?.dropped).toEqual({});
    },
  );

  it.each([Number.NaN, -1, '500'])(
    'takes the configured deadline for a timeoutMs of %s',
    async (timeoutMs) => {
      const obs = init({
        exporters: [channelAdapter(await slowBackend(200))],
        logStream: { write() {} },
        shutdownTimeout: 5000,
      });
      for (let i = 0; i < 20; i++) obs.log.info({ i }, 'work');
      await obs.shutdown({ timeoutMs } as never);
      expect(obs.stats().hung?.logs).toMatchObject({ produced: 20, delivered: 20, queued: 0 });
    },
  );
});
