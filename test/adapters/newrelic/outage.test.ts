import { afterEach, describe, expect, it } from 'vitest';
import { FAST_CHANNEL, LICENSE_KEY, startWithNewRelic, stopSightline } from './helpers.js';
import { identityHolds, type NrIntake, startNrIntake } from './intake-server.js';

let intake: NrIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

/** A loopback port nothing listens on: connections are refused. */
async function refusedPort(): Promise<number> {
  const probe = await startNrIntake({ licenseKey: LICENSE_KEY });
  await probe.close();
  return probe.port;
}

const QUEUE = 20;
// Retries keep going through the outage (a 30 s budget), so the batch in flight survives until the intake is back.
const channel = {
  ...FAST_CHANNEL,
  queueSize: QUEUE,
  retry: { initialDelayMs: 5, maxDelayMs: 50, maxElapsedMs: 30_000 },
};

describe('newrelic with the backend down', () => {
  it('never blocks or throws, keeps every queue bounded, counts drops, and delivers the queue once back up', async () => {
    const port = await refusedPort();
    const { obs } = startWithNewRelic({ url: `http://127.0.0.1:${port}` }, { logs: 'api', channel });
    const orders = obs.metrics.counter('orders');

    // Recording is synchronous and independent of the network: none of these calls throws.
    for (let i = 0; i < 5000; i++) {
      obs.log.info({ i }, 'order placed');
      orders.add(1, { shard: `s${i % 50}` });
      if (i % 50 === 0) obs.trace('work', () => {});
    }
    await obs.forceFlush({ timeoutMs: 300 });

    const down = obs.stats().newrelic!;
    for (const signal of ['metrics', 'logs', 'traces'] as const) {
      const s = down[signal]!;
      expect(identityHolds(s), signal).toBe(true);
      expect(s.queued, signal).toBeLessThanOrEqual(QUEUE);
      expect(s.delivered, signal).toBe(0);
    }
    expect(down.logs!.produced).toBe(5000);
    expect(down.logs!.dropped.queue_full).toBeGreaterThanOrEqual(5000 - QUEUE);
    expect(down.traces!.dropped.queue_full).toBeGreaterThan(0);

    intake = await startNrIntake({ licenseKey: LICENSE_KEY, port });
    await obs.forceFlush({ timeoutMs: 5000 });

    const up = obs.stats().newrelic!;
    for (const signal of ['metrics', 'logs', 'traces'] as const) {
      const s = up[signal]!;
      expect(identityHolds(s), signal).toBe(true);
      expect(s.queued, signal).toBe(0);
      expect(s.delivered, signal).toBeGreaterThan(0);
    }
    const received = intake
      .accepted('logs')
      .reduce((n, r) => n + (r.json as { logs: unknown[] }[])[0]!.logs.length, 0);
    expect(received).toBe(up.logs!.delivered);
    expect(up.logs!.delivered).toBe(down.logs!.queued);
  });

  it('counts what the shutdown deadline cuts off as dropped (shutdown)', async () => {
    const port = await refusedPort();
    const { obs } = startWithNewRelic(
      { url: `http://127.0.0.1:${port}` },
      { logs: 'api', channel: { ...channel, shutdownTimeoutMs: 300 } },
    );
    for (let i = 0; i < 10; i++) obs.log.info(`line ${i}`);
    const stats = () => obs.stats().newrelic!.logs!;
    // The channels' own deadline (shutdownTimeoutMs) ends the retries; the instance allows for all of them.
    await obs.shutdown({ timeoutMs: 5000 });
    const s = stats();
    expect(identityHolds(s)).toBe(true);
    expect(s).toMatchObject({ produced: 10, delivered: 0, queued: 0, dropped: { shutdown: 10 } });
  });
});
