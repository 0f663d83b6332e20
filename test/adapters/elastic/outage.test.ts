import { afterEach, describe, expect, it } from 'vitest';
import { AUTH, FAST_CHANNEL, startWithElastic, stopSightline } from './helpers.js';
import { EsIntake, identityHolds } from './intake-server.js';

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

/** A loopback port nothing listens on: connections are refused. */
async function refusedPort(): Promise<number> {
  const probe = await EsIntake.start({ authorization: AUTH });
  await probe.close();
  return probe.port;
}

const QUEUE = 20;
// Retries keep going through the outage (a 30 s budget), so the batch in flight survives until the backend is back.
const channel = {
  ...FAST_CHANNEL,
  queueSize: QUEUE,
  retry: { initialDelayMs: 5, maxDelayMs: 50, maxElapsedMs: 30_000 },
};

describe('elastic with Elasticsearch down', () => {
  it('never blocks or throws, keeps queues bounded, counts drops, and delivers the queue once back up', async () => {
    const port = await refusedPort();
    const { obs } = startWithElastic({ url: `http://127.0.0.1:${port}` }, { channel });
    const orders = obs.metrics.counter('orders');
    const emit = (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly.bind(obs);

    for (let i = 0; i < 5000; i++) {
      obs.log.info({ i }, 'order placed');
      orders.add(1, { shard: `s${i % 50}` });
      if (i % 100 === 0)
        emit({
          metric: 'orders',
          attributes: {},
          time: Date.now(),
          observed: i,
          expected: 1,
          band: { lower: 0, upper: 2 },
          score: 0.9,
          severity: 70,
          kind: 'spike',
          explanation: `spike ${i}`,
          service: 'checkout',
          environment: 'production',
        });
    }
    await obs.forceFlush({ timeoutMs: 300 });

    const down = obs.stats().elastic!;
    for (const signal of ['metrics', 'logs', 'events'] as const) {
      const s = down[signal]!;
      expect(identityHolds(s), signal).toBe(true);
      expect(s.queued, signal).toBeLessThanOrEqual(QUEUE);
      expect(s.delivered, signal).toBe(0);
    }
    expect(down.logs!.produced).toBeGreaterThanOrEqual(5000);
    expect(down.logs!.dropped.queue_full).toBeGreaterThanOrEqual(down.logs!.produced - QUEUE);
    expect(down.events!.produced).toBe(50);
    expect(down.events!.dropped.queue_full).toBe(50 - QUEUE);

    intake = await EsIntake.start({ authorization: AUTH, port });
    await obs.forceFlush({ timeoutMs: 5000 });

    const up = obs.stats().elastic!;
    for (const signal of ['metrics', 'logs', 'events'] as const) {
      const s = up[signal]!;
      expect(identityHolds(s), signal).toBe(true);
      expect(s.queued, signal).toBe(0);
      expect(s.delivered, signal).toBeGreaterThan(0);
    }
    expect(intake.docs('logs-checkout-production').length).toBe(up.logs!.delivered);
    expect(up.logs!.delivered).toBe(down.logs!.queued);
    expect(intake.docs('logs-sightline.anomaly-production').length).toBe(QUEUE);
  });

  it('counts what the shutdown deadline cuts off as dropped (shutdown)', async () => {
    const port = await refusedPort();
    const { obs } = startWithElastic(
      { url: `http://127.0.0.1:${port}` },
      { channel: { ...channel, shutdownTimeoutMs: 300 } },
    );
    for (let i = 0; i < 10; i++) obs.log.info(`line ${i}`);
    await obs.shutdown({ timeoutMs: 5000 });
    const s = obs.stats().elastic!.logs!;
    expect(identityHolds(s)).toBe(true);
    expect(s).toMatchObject({ produced: 10, delivered: 0, queued: 0, dropped: { shutdown: 10 } });
  });
});
