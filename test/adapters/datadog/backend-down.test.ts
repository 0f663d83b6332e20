import { afterEach, describe, expect, it } from 'vitest';
import type { SignalStats } from '../../../src/export/types.js';
import { getSightline } from '../../../src/index.js';
import { KEY, start, userSeries } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close().catch(() => undefined);
  server = undefined;
});

function balanced(s: SignalStats | undefined): void {
  expect(s).toBeDefined();
  const dropped = Object.values(s!.dropped).reduce((a, b) => a + (b ?? 0), 0);
  expect(s!.produced).toBe(s!.delivered + dropped + s!.queued);
}

describe('Datadog unreachable', () => {
  it('down for the whole run: calls return at once, queues stay bounded, every drop is counted', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    await server.close(); // connections to this port are now refused
    const { obs } = start(
      server,
      {
        logs: 'http',
        channel: {
          queueSize: 100,
          flushIntervalMs: 20,
          shutdownTimeoutMs: 200,
          retry: { initialDelayMs: 5, maxDelayMs: 20 },
        },
      },
      { diagnostics: 'none' },
    );
    const orders = obs.metrics.counter('orders.placed');
    for (let i = 0; i < 2000; i++) {
      orders.add(1, { shard: String(i % 300) });
      obs.log.info({ i }, 'while down');
      (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly({
        metric: 'orders.placed',
        attributes: {},
        time: Date.now(),
        observed: 1,
        expected: 2,
        band: { lower: 1.5, upper: 2.5 },
        score: 0.9,
        severity: 70,
        kind: 'dip',
        explanation: 'dip',
        service: 'checkout',
        environment: 'prod',
      });
    }
    await obs.forceFlush({ timeoutMs: 500 });
    const during = obs.stats().datadog!;
    for (const signal of ['metrics', 'logs', 'events'] as const) {
      const s = during[signal];
      expect(s?.queued).toBeLessThanOrEqual(100);
      expect(s?.delivered).toBe(0);
      balanced(s);
    }
    expect(during.logs?.dropped.queue_full).toBeGreaterThan(0);
    expect(during.events?.dropped.queue_full).toBeGreaterThan(0);

    // Each channel gives up at its own shutdown deadline (200 ms here) and counts the rest.
    await obs.shutdown({ timeoutMs: 2000 });
    await server.waitFor(() => Object.values(obs.stats().datadog!).every((s) => s?.queued === 0), 3000);
    const after = obs.stats().datadog!;
    for (const signal of ['metrics', 'logs', 'events'] as const) {
      expect(after[signal]?.queued).toBe(0);
      balanced(after[signal]);
    }
    // 2,000 lines logged, plus the warning sightline logs for each anomaly.
    expect(after.logs?.produced).toBe(4000);
    expect(after.events?.produced).toBe(2000);
    expect(after.logs?.dropped.shutdown).toBeGreaterThan(0);
  });

  it('back up: what was queued while down is delivered', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const port = server.port;
    await server.close();
    const { obs } = start(server, {
      logs: 'http',
      channel: { flushIntervalMs: 20, retry: { initialDelayMs: 20, maxDelayMs: 100, maxElapsedMs: 20_000 } },
    });
    obs.metrics.counter('orders.placed').add(7);
    for (let i = 0; i < 50; i++) obs.log.info({ i }, 'queued while down');
    await obs.forceFlush({ timeoutMs: 300 });
    expect(obs.stats().datadog?.logs?.delivered).toBe(0);

    await server.reopen();
    expect(server.port).toBe(port);
    await server.waitFor(() => (obs.stats().datadog?.logs?.delivered ?? 0) === 50, 10_000);
    await server.waitFor(() => userSeries(server!).some((s) => s.metric === 'orders.placed'), 10_000);
    expect(userSeries(server).find((s) => s.metric === 'orders.placed')?.points[0].value).toBe(7);
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });
});
