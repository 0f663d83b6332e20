import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAST_CHANNEL, LICENSE_KEY, startWithNewRelic, stopSightline } from './helpers.js';
import { identityHolds, type NrIntake, startNrIntake } from './intake-server.js';

interface LogBody {
  logs: { message?: string }[];
}
const messages = (intake: NrIntake) =>
  intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs.map((l) => l.message));

let intake: NrIntake;
beforeEach(async () => {
  intake = await startNrIntake({ licenseKey: LICENSE_KEY });
});
afterEach(async () => {
  await stopSightline();
  await intake.close();
});

describe('newrelic: answers of the intake APIs', () => {
  it('drops a batch answered 400 as rejected, without retrying it', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    intake.script('logs', { status: 400, body: '{"error":"invalid"}' });
    for (let i = 0; i < 3; i++) obs.log.info(`line ${i}`);
    await obs.forceFlush();
    expect(intake.requests.filter((r) => r.api === 'logs').map((r) => r.status)).toEqual([400]);
    const s = obs.stats().newrelic!.logs!;
    expect(s).toMatchObject({ produced: 3, delivered: 0, queued: 0, retried: 0, dropped: { rejected: 3 } });
  });

  it('drops everything as rejected on 403 (bad license key), one attempt per batch', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api', licenseKey: 'not-the-right-key' });
    obs.metrics.counter('orders').add(1);
    obs.log.info('hello');
    obs.trace('work', () => {});
    (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly({
      metric: 'm',
      attributes: {},
      time: Date.now(),
      observed: 1,
      expected: 2,
      band: { lower: 0, upper: 1 },
      score: 1,
      severity: 90,
      kind: 'spike',
      explanation: 'x',
      service: 'checkout',
      environment: 'prod',
    });
    await obs.forceFlush();
    for (const api of ['metrics', 'logs', 'traces', 'events'] as const) {
      const reqs = intake.requests.filter((r) => r.api === api);
      expect(reqs.length, api).toBeGreaterThan(0);
      expect(new Set(reqs.map((r) => r.status)), api).toEqual(new Set([403]));
    }
    const stats = obs.stats().newrelic!;
    for (const signal of ['metrics', 'logs', 'traces', 'events'] as const) {
      const s = stats[signal]!;
      expect(s.delivered, signal).toBe(0);
      expect(s.retried, signal).toBe(0);
      expect(s.dropped.rejected, signal).toBe(s.produced);
    }
  });

  it('splits a batch answered 413 until each part fits, delivering every line once and in order', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    intake.setMaxPayloadBytes(1500);
    // Random text does not compress, so 16 lines of ~260 bytes cannot fit in one 1.5 KB request.
    const sent = Array.from({ length: 16 }, (_, i) => `${i}:${randomBytes(130).toString('hex')}`);
    for (const m of sent) obs.log.info(m);
    await obs.forceFlush();
    const statuses = intake.requests.filter((r) => r.api === 'logs').map((r) => r.status);
    expect(statuses).toContain(413);
    expect(messages(intake)).toEqual(sent);
    for (const r of intake.accepted('logs')) expect(r.wire.byteLength).toBeLessThanOrEqual(1500);
    expect(obs.stats().newrelic!.logs).toMatchObject({ produced: 16, delivered: 16, queued: 0 });
    expect(obs.stats().newrelic!.logs?.dropped).toEqual({});
  });

  it('drops a single record that is still too large alone as too_large', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    intake.setMaxPayloadBytes(1500);
    obs.log.info(randomBytes(2000).toString('hex'));
    obs.log.info('small');
    await obs.forceFlush();
    expect(messages(intake)).toEqual(['small']);
    const s = obs.stats().newrelic!.logs!;
    expect(s).toMatchObject({ produced: 2, delivered: 1, dropped: { too_large: 1 } });
  });

  it('waits for Retry-After on 429, then delivers', async () => {
    // The flush budget must outlast the one-second Retry-After.
    const channel = { ...FAST_CHANNEL, shutdownTimeoutMs: 4000 };
    const { obs } = startWithNewRelic(intake, { logs: 'api', channel });
    intake.script('logs', { status: 429, headers: { 'retry-after': '1' } });
    obs.log.info('rate limited once');
    await obs.forceFlush({ timeoutMs: 5000 });
    const reqs = intake.requests.filter((r) => r.api === 'logs');
    expect(reqs.map((r) => r.status)).toEqual([429, 202]);
    // The back-off alone is 5-20 ms in these tests; only Retry-After explains a wait near a second.
    expect(reqs[1]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(900);
    expect(obs.stats().newrelic!.logs).toMatchObject({ delivered: 1, retried: 1, queued: 0 });
  });

  it('retries 500, 503 and a dropped connection, then delivers', async () => {
    const { obs } = startWithNewRelic(intake);
    intake.script('metrics', { status: 500 }, { status: 503 }, { status: 0, drop: true });
    obs.metrics.counter('orders').add(2);
    await obs.forceFlush({ timeoutMs: 5000 });
    const reqs = intake.requests.filter((r) => r.api === 'metrics');
    expect(reqs.map((r) => r.status)).toEqual([500, 503, -1, 202]);
    const s = obs.stats().newrelic!.metrics!;
    expect(s.retried).toBeGreaterThanOrEqual(3);
    expect(s.queued).toBe(0);
    expect(s.delivered).toBe(s.produced);
  });

  it('counts a 202 with a requestId as fully delivered and reports the id at debug level', async () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const { obs } = startWithNewRelic(intake, { logs: 'api' }, { diagnostics: 'debug' });
      intake.script('logs', { status: 202, body: '{"requestId":"6f1c2a4e-1b2c-4d5e-8f90-1a2b3c4d5e6f"}' });
      obs.log.info('a');
      obs.log.info('b');
      await obs.forceFlush();
      expect(obs.stats().newrelic!.logs).toMatchObject({ produced: 2, delivered: 2 });
      expect(obs.stats().newrelic!.logs?.dropped).toEqual({});
    } finally {
      process.stderr.write = original;
    }
    expect(written.join('')).toContain('requestId 6f1c2a4e-1b2c-4d5e-8f90-1a2b3c4d5e6f');
  });

  it('keeps produced = delivered + dropped + queued through a mix of answers', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api', channel: { ...FAST_CHANNEL, queueSize: 8 } });
    intake.script('logs', { status: 503 }, { status: 400 }, { status: 429, headers: { 'retry-after': '0' } });
    for (let i = 0; i < 40; i++) obs.log.info(`m${i}`);
    await obs.forceFlush({ timeoutMs: 5000 });
    const s = obs.stats().newrelic!.logs!;
    expect(identityHolds(s)).toBe(true);
    expect(s.produced).toBe(40);
    expect(s.dropped.queue_full ?? 0).toBeGreaterThan(0);
    expect(messages(intake)).toHaveLength(s.delivered);
  });
});
