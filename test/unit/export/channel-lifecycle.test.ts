import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

function channel(spec: Partial<ChannelSpec<number>> = {}, options: ChannelOptions = {}, base = intake.url) {
  return tracker.track(
    createChannel<number>(
      {
        adapter: 'test',
        signal: 'traces',
        url: new URL(`${base}/intake`),
        limits: { maxItems: 50, maxBytes: 1_000_000 },
        encode: encodeJson,
        ...spec,
      },
      { flushIntervalMs: 60_000, retry: FAST_RETRY, ...options },
    ),
  );
}

const nums = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function refusedUrl(): Promise<string> {
  const probe = await startIntake();
  await probe.close();
  return probe.url;
}

describe('backend down', () => {
  it('keeps the queue bounded and counts every drop while the backend is down for the whole run', async () => {
    intake = undefined as unknown as Intake;
    const ch = channel(
      {},
      { queueSize: 1000, retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 60_000 } },
      await refusedUrl(),
    );
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10_000; i++) ch.push(round * 10_000 + i);
      const s = ch.stats();
      expect(s.queued).toBeLessThanOrEqual(1000);
      expect(identityHolds(s)).toBe(true);
      await tick(10);
    }
    const s = ch.stats();
    expect(s.produced).toBe(100_000);
    expect(s.delivered).toBe(0);
    expect(s.dropped.queue_full).toBeGreaterThanOrEqual(99_000);
    expect(s.retried).toBeGreaterThan(0);

    await ch.shutdown(100);
    const end = ch.stats();
    expect(end.queued).toBe(0);
    expect(end.dropped.shutdown).toBe(s.queued);
    expect(identityHolds(end)).toBe(true);
  });

  it('delivers what was queued during an outage once the backend answers again', async () => {
    let down = true;
    intake = await startIntake(() => ({ status: down ? 503 : 200 }));
    const ch = channel(
      {},
      { queueSize: 200, retry: { initialDelayMs: 10, maxDelayMs: 30, maxElapsedMs: 60_000 } },
    );
    ch.pushAll(nums(150));
    await intake.waitForRequests(3);
    expect(ch.stats()).toMatchObject({ delivered: 0, queued: 150 });
    down = false;
    await ch.forceFlush(10_000);
    const s = ch.stats();
    expect(s).toMatchObject({ produced: 150, delivered: 150, queued: 0 });
    expect(s?.dropped).toEqual({});
    const delivered = intake.requests.slice(-3).flatMap((r) => JSON.parse(r.text) as number[]);
    expect(delivered).toEqual(nums(150));
  });
});

describe('shutdown and forceFlush', () => {
  it('drains the queue within the deadline, then drops later pushes as shutdown', async () => {
    intake = await startIntake(() => ({ status: 200, delayMs: 20 }));
    const ch = channel();
    ch.pushAll(nums(230));
    const first = ch.shutdown(10_000);
    expect(ch.shutdown()).toBe(first);
    await first;
    expect(intake.requests.map((r) => (JSON.parse(r.text) as number[]).length)).toEqual([50, 50, 50, 50, 30]);
    expect(ch.push(1)).toBe(false);
    const s = ch.stats();
    expect(s).toEqual({ produced: 231, delivered: 230, retried: 0, queued: 0, dropped: { shutdown: 1 } });
  });

  it('returns at the deadline with a hung backend, aborting the request and counting the rest', async () => {
    intake = await startIntake(() => ({ hang: true }));
    const ch = channel({}, { timeoutMs: 60_000 });
    ch.pushAll(nums(120));
    await intake.waitForRequests(1);
    const started = Date.now();
    await ch.shutdown(300);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
    const s = ch.stats();
    expect(s).toMatchObject({ produced: 120, delivered: 0, queued: 0, dropped: { shutdown: 120 } });
    expect(identityHolds(s)).toBe(true);
  });

  it('stops waiting for a back-off that would end after the deadline', async () => {
    intake = await startIntake(() => ({ status: 503, headers: { 'retry-after': '30' } }));
    const ch = channel({}, { retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 120_000 } });
    ch.pushAll(nums(5));
    await ch.forceFlush(200);
    expect(ch.stats()).toMatchObject({ queued: 5 });
    const started = Date.now();
    await ch.shutdown(20_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ch.stats()).toMatchObject({ produced: 5, delivered: 0, queued: 0, dropped: { shutdown: 5 } });
  });

  it('forceFlush resolves at its deadline with a hung backend and keeps the items queued', async () => {
    intake = await startIntake((_req, i) => (i === 0 ? { hang: true } : { status: 200 }));
    const ch = channel({}, { timeoutMs: 500 });
    ch.pushAll(nums(3));
    await ch.forceFlush(100);
    expect(ch.stats()).toMatchObject({ delivered: 0, queued: 3 });
    expect(ch.stats()?.dropped).toEqual({});
    // The request times out and is retried; a second flush sees it through.
    await ch.forceFlush(5000);
    expect(ch.stats()).toMatchObject({ delivered: 3, retried: 3, queued: 0 });
  });

  it('forceFlush on an empty channel resolves at once', async () => {
    intake = await startIntake();
    const ch = channel();
    await ch.forceFlush(60_000);
    expect(intake.requests).toHaveLength(0);
  });
});

describe('isolation and concurrency', () => {
  it('a hung backend does not delay another adapter', async () => {
    intake = await startIntake(() => ({ hang: true }));
    const fast = await startIntake();
    const slow = channel({ adapter: 'slow' }, { timeoutMs: 60_000 });
    const quick = channel({ adapter: 'quick' }, {}, fast.url);
    slow.pushAll(nums(10));
    await slow.forceFlush(50);
    await intake.waitForRequests(1);
    quick.pushAll(nums(10));
    await quick.forceFlush(5000);
    expect(quick.stats()).toMatchObject({ delivered: 10, queued: 0 });
    expect(slow.stats()).toMatchObject({ delivered: 0, queued: 10 });
    await slow.shutdown(50);
    await fast.close();
  });

  it.each([
    [1, 10, 1],
    [3, 10, 3],
    // By default: one for a batching channel, eight for one whose items go one per request.
    [undefined, 10, 1],
    [undefined, 1, 8],
  ])(
    'keeps at most as many requests in flight as concurrency %s asks (%i items a request): %i',
    async (concurrency, maxItems, expected) => {
      let inFlight = 0;
      let peak = 0;
      intake = await startIntake(() => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        setTimeout(() => inFlight--, 30);
        return { status: 200, delayMs: 30 };
      });
      const ch = channel({ limits: { maxItems, maxBytes: 1e6 } }, { concurrency });
      ch.pushAll(nums(100));
      await ch.forceFlush(10_000);
      expect(ch.stats()).toMatchObject({ delivered: 100, queued: 0 });
      expect(peak).toBe(expected);
    },
  );
});

describe('tracing suppression', () => {
  const provider = new NodeTracerProvider();
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it('sends with tracing suppressed and without the caller span, even when pushed inside a span', async () => {
    intake = await startIntake();
    const seen: { suppressed: boolean; span: boolean }[] = [];
    const onCreate = () => {
      seen.push({
        suppressed: isTracingSuppressed(context.active()),
        span: trace.getSpan(context.active()) !== undefined,
      });
    };
    subscribe('http.client.request.created', onCreate);
    try {
      const ch = channel();
      const tracer = provider.getTracer('test');
      await tracer.startActiveSpan('user-request', async (span) => {
        expect(isTracingSuppressed(context.active())).toBe(false);
        ch.pushAll(nums(3));
        await ch.forceFlush(5000);
        span.end();
      });
    } finally {
      unsubscribe('http.client.request.created', onCreate);
    }
    expect(intake.requests).toHaveLength(1);
    expect(seen).toEqual([{ suppressed: true, span: false }]);
    expect(intake.requests[0]?.headers.traceparent).toBeUndefined();
  });

  it('runs a custom send function with tracing suppressed', async () => {
    intake = await startIntake();
    const suppressed: boolean[] = [];
    const ch = channel({
      send: async (request, signal) => {
        suppressed.push(isTracingSuppressed(context.active()));
        const res = await fetch(request.url, {
          method: 'POST',
          body: request.body,
          headers: request.headers,
          signal,
        });
        await res.arrayBuffer();
        return { status: res.status, headers: res.headers, body: '', truncated: false };
      },
    });
    ch.pushAll(nums(2));
    await ch.forceFlush(5000);
    expect(suppressed).toEqual([true]);
  });
});
