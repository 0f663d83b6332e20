import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChannel } from '../../../src/export/channel.js';
import type { ChannelOptions, ChannelSpec } from '../../../src/export/spec.js';
import {
  channelTracker,
  encodeJson,
  FAST_RETRY,
  identityHolds,
  type Intake,
  startIntake,
} from './intake-server.js';

let intake: Intake;
const tracker = channelTracker();
afterEach(async () => {
  await tracker.checkAndClose();
  await intake?.close();
});

function channel(spec: Partial<ChannelSpec<number>> = {}, options: ChannelOptions = {}) {
  return tracker.track(
    createChannel<number>(
      {
        adapter: 'test',
        signal: 'metrics',
        url: new URL(`${intake.url}/intake`),
        limits: { maxItems: 100, maxBytes: 1_000_000 },
        encode: encodeJson,
        ...spec,
      },
      { flushIntervalMs: 60_000, retry: FAST_RETRY, ...options },
    ),
  );
}

const nums = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('channel retries', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries %i, then delivers', async (status) => {
    intake = await startIntake((_req, i) => ({ status: i < 2 ? status : 200 }));
    const ch = channel();
    ch.pushAll(nums(5));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(3);
    expect(new Set(intake.requests.map((r) => r.text))).toEqual(new Set(['[0,1,2,3,4]']));
    const s = ch.stats();
    expect(s).toEqual({ produced: 5, delivered: 5, retried: 10, queued: 0, dropped: {} });
  });

  it('lets the adapter narrow which statuses are retried (OTLP does not retry 500)', async () => {
    intake = await startIntake(() => ({ status: 500 }));
    const ch = channel({ isRetryable: (s) => s === 429 || s === 502 || s === 503 || s === 504 });
    ch.pushAll(nums(3));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(1);
    expect(ch.stats()).toMatchObject({ retried: 0, queued: 0, dropped: { rejected: 3 } });
  });

  it('honours Retry-After in seconds over its own back-off', async () => {
    // The back-off alone would retry at once (random = 0); Retry-After: 1 must hold it for a second.
    intake = await startIntake((_req, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const ch = channel({}, { random: () => 0 });
    ch.pushAll(nums(2));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(2);
    const gap = (intake.requests[1]?.at ?? 0) - (intake.requests[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(ch.stats()).toMatchObject({ delivered: 2, retried: 2, queued: 0 });
  });

  it('uses the adapter delay hook (Datadog X-RateLimit-Reset) before Retry-After and back-off', async () => {
    intake = await startIntake((_req, i) =>
      i === 0
        ? { status: 429, headers: { 'x-ratelimit-reset': '0.05', 'retry-after': '3600' } }
        : { status: 202 },
    );
    const seen: (string | null)[] = [];
    const ch = channel(
      {
        retryDelayMs: (res) => {
          seen.push(res.headers.get('x-ratelimit-reset'));
          const reset = Number(res.headers.get('x-ratelimit-reset'));
          return Number.isFinite(reset) ? reset * 1000 : undefined;
        },
      },
      // Back-off ceilings of minutes and a one-hour Retry-After: only the hook's 50 ms can make this finish.
      { retry: { initialDelayMs: 120_000, maxDelayMs: 120_000, maxElapsedMs: 600_000 }, random: () => 0.99 },
    );
    ch.pushAll(nums(2));
    await ch.forceFlush(5000);
    expect(seen).toEqual(['0.05']);
    expect(ch.stats()).toMatchObject({ delivered: 2, retried: 2, queued: 0 });
  });

  it('falls back to Retry-After when the delay hook throws', async () => {
    intake = await startIntake((_req, i) =>
      i === 0 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 },
    );
    const ch = channel(
      {
        retryDelayMs: () => {
          throw new Error('bad header');
        },
      },
      // Only Retry-After (0 s, floored at 100 ms) lets this finish in time: the back-off would be minutes.
      { retry: { initialDelayMs: 120_000, maxDelayMs: 120_000, maxElapsedMs: 600_000 }, random: () => 0.99 },
    );
    ch.pushAll(nums(2));
    await ch.forceFlush(5000);
    expect(ch.stats()).toMatchObject({ delivered: 2, retried: 2, queued: 0 });
  });

  it('gives up with retries_exhausted once the retry budget is spent', async () => {
    intake = await startIntake(() => ({ status: 503 }));
    const ch = channel({}, { retry: { initialDelayMs: 10, maxDelayMs: 20, maxElapsedMs: 100 } });
    ch.pushAll(nums(4));
    await ch.forceFlush(5000);
    const s = ch.stats();
    expect(intake.requests.length).toBeGreaterThan(1);
    expect(s.retried).toBe(4 * (intake.requests.length - 1));
    expect(s).toMatchObject({ produced: 4, delivered: 0, queued: 0, dropped: { retries_exhausted: 4 } });
    expect(identityHolds(s)).toBe(true);
  });

  it('keeps retrying a batch when the wall clock steps forward ten minutes', async () => {
    // NTP stepping the clock once the first attempt failed: the budget is of time spent retrying.
    const wallNow = Date.now;
    const clock = vi.spyOn(Date, 'now');
    intake = await startIntake((_req, i) => {
      if (i === 0) clock.mockImplementation(() => wallNow() + 600_000);
      return { status: i < 3 ? 503 : 200 };
    });
    const ch = channel({}, { retry: { initialDelayMs: 20, maxDelayMs: 50, maxElapsedMs: 1000 } });
    ch.pushAll(nums(4));
    try {
      await ch.forceFlush(3000);
      expect(ch.stats()).toMatchObject({ delivered: 4, retried: 12, queued: 0, dropped: {} });
    } finally {
      clock.mockRestore();
    }
  });

  it('gives up on a batch within its retry budget when the wall clock steps back', async () => {
    // Ten minutes back would otherwise hold the batch, and the queue behind it, for ten more minutes.
    const wallNow = Date.now;
    const clock = vi.spyOn(Date, 'now');
    intake = await startIntake((_req, i) => {
      if (i === 0) clock.mockImplementation(() => wallNow() - 600_000);
      return { status: 503 };
    });
    const ch = channel({}, { retry: { initialDelayMs: 20, maxDelayMs: 50, maxElapsedMs: 300 } });
    ch.pushAll(nums(4));
    try {
      await ch.forceFlush(3000);
      expect(ch.stats()).toMatchObject({ delivered: 0, queued: 0, dropped: { retries_exhausted: 4 } });
    } finally {
      clock.mockRestore();
    }
  });

  it('gives up at once when Retry-After asks for more than the budget', async () => {
    intake = await startIntake(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const ch = channel();
    ch.pushAll(nums(2));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(1);
    expect(ch.stats()).toMatchObject({ retried: 0, queued: 0, dropped: { retries_exhausted: 2 } });
  });

  it('gives a batch held behind a refused one its own retry budget once the hold ends', async () => {
    // The backend limits the account for 2.2 s and first asks for 3 s, more than the 1.5 s budget:
    // that batch gives up and holds the channel for the budget. The batch waiting behind it is sent
    // when the hold ends and asked to wait 1 s more: a wait its budget, which begins with its first
    // attempt, allows. Counted from when it was taken, the hold had spent it, and the batch was
    // given up on at its first answer, never retried.
    let first = 0;
    intake = await startIntake((_req, i) => {
      if (i === 0) first = Date.now();
      if (Date.now() - first >= 2200) return { status: 200 };
      return { status: 429, headers: { 'retry-after': i === 0 ? '3' : '1' } };
    });
    const ch = channel(
      { limits: { maxItems: 2, maxBytes: 1_000_000 } },
      {
        retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 1500 },
      },
    );
    ch.pushAll(nums(6));
    await ch.forceFlush(8000);
    expect(ch.stats()).toMatchObject({ delivered: 4, queued: 0, dropped: { retries_exhausted: 2 } });
  });

  it('times out a slow request and retries it', async () => {
    intake = await startIntake((_req, i) => (i === 0 ? { status: 200, delayMs: 2000 } : { status: 200 }));
    const ch = channel({}, { timeoutMs: 100 });
    ch.pushAll(nums(3));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(2);
    expect(ch.stats()).toEqual({ produced: 3, delivered: 3, retried: 3, queued: 0, dropped: {} });
  });

  it('retries when the connection drops mid-response', async () => {
    intake = await startIntake((_req, i) => (i === 0 ? { destroyMidResponse: true } : { status: 200 }));
    const ch = channel();
    ch.pushAll(nums(3));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(2);
    expect(ch.stats()).toEqual({ produced: 3, delivered: 3, retried: 3, queued: 0, dropped: {} });
  });

  it('retries when the backend refuses connections, and delivers once it is back', async () => {
    // Take a free port, close it: connections are refused until a server listens there again.
    const probe = await startIntake();
    const url = probe.url;
    await probe.close();
    const ch = tracker.track(
      createChannel<number>(
        {
          adapter: 'test',
          signal: 'metrics',
          url: new URL(`${url}/intake`),
          limits: { maxItems: 100, maxBytes: 1e6 },
          encode: encodeJson,
        },
        { flushIntervalMs: 60_000, retry: { initialDelayMs: 20, maxDelayMs: 50, maxElapsedMs: 30_000 } },
      ),
    );
    ch.pushAll(nums(10));
    const flushed = ch.forceFlush(10_000);
    // Let a few attempts fail, then bring the backend up on the same port.
    await new Promise((r) => setTimeout(r, 150));
    expect(ch.stats()).toMatchObject({ delivered: 0, queued: 10 });
    intake = await startIntake(() => ({ status: 200 }), Number(new URL(url).port));
    await flushed;
    const s = ch.stats();
    expect(s.retried).toBeGreaterThan(0);
    expect(s).toMatchObject({ produced: 10, delivered: 10, queued: 0 });
    expect(s?.dropped).toEqual({});
    expect(intake.requests.at(-1)?.text).toBe(JSON.stringify(nums(10)));
  });
});

describe('retry pacing', () => {
  it('never turns "Retry-After: 0" into a request storm', async () => {
    intake = await startIntake(() => ({ status: 429, headers: { 'retry-after': '0' } }));
    const ch = channel({}, { retry: { initialDelayMs: 50, maxDelayMs: 50, maxElapsedMs: 400 } });
    ch.pushAll(nums(1));
    await ch.forceFlush(5000);
    // 400 ms of budget at no less than 50 ms apart: at most 9 attempts, however fast the loopback.
    expect(intake.requests.length).toBeLessThanOrEqual(9);
    expect(intake.requests.length).toBeGreaterThan(1);
    for (let i = 1; i < intake.requests.length; i++) {
      expect((intake.requests[i]?.at ?? 0) - (intake.requests[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(45);
    }
    expect(ch.stats()).toMatchObject({ queued: 0, dropped: { retries_exhausted: 1 } });
  });
});
