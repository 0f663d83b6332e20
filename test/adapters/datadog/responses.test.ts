import { afterEach, describe, expect, it } from 'vitest';
import type { SignalStats } from '../../../src/export/types.js';
import { getSightline } from '../../../src/index.js';
import { KEY, start } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
  server = undefined;
});

const LOGS = '/api/v2/logs';

function balanced(s: SignalStats | undefined): void {
  expect(s).toBeDefined();
  const dropped = Object.values(s!.dropped).reduce((a, b) => a + (b ?? 0), 0);
  expect(s!.produced).toBe(s!.delivered + dropped + s!.queued);
}

async function sendLines(n: number, extra = {}) {
  const { obs } = start(server!, { logs: 'http', metrics: 'none', events: false, ...extra });
  for (let i = 0; i < n; i++) obs.log.info({ i }, 'line');
  await obs.forceFlush({ timeoutMs: 8000 });
  return obs;
}

function entries(path: string): number[] {
  return server!.on(path).map((r) => (JSON.parse(r.text) as unknown[]).length);
}

describe('Datadog answers', () => {
  it('202: delivered', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const obs = await sendLines(3);
    expect(obs.stats().datadog?.logs).toMatchObject({ produced: 3, delivered: 3, retried: 0 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('400: rejected for good, not retried', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script(LOGS, { status: 400, body: '{"errors":["Bad Request"]}' });
    const obs = await sendLines(3);
    expect(server.on(LOGS)).toHaveLength(1);
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 0, retried: 0, dropped: { rejected: 3 } });
    balanced(obs.stats().datadog?.logs);
  });

  it('403 (wrong key): rejected, not retried', async () => {
    server = await IntakeServer.start({ apiKey: 'another-key' });
    const obs = await sendLines(2);
    expect(server.on(LOGS).map((r) => r.status)).toEqual([403]);
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 0, dropped: { rejected: 2 } });
  });

  it('413: the batch is split in halves and resent', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script(LOGS, { status: 413, body: '{"errors":["Payload too large"]}' });
    const obs = await sendLines(4);
    expect(entries(LOGS)).toEqual([4, 2, 2]);
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 4 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('429: waits X-RateLimit-Reset seconds before retrying', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script(LOGS, { status: 429, headers: { 'x-ratelimit-reset': '1', 'x-ratelimit-limit': '100' } });
    // With a first back-off of 0 ms every fallback back-off is 0 ms: only the header explains a wait.
    const obs = await sendLines(2, {
      channel: { flushIntervalMs: 50, retry: { initialDelayMs: 0, maxElapsedMs: 5000 } },
    });
    const [first, second] = server.on(LOGS);
    expect(second).toBeDefined();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 2, retried: 2 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it.each([500, 503, 408])('%i: retried, then delivered', async (status) => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script(LOGS, { status }, { status });
    const obs = await sendLines(3);
    expect(server.on(LOGS).map((r) => r.status)).toEqual([status, status, 202]);
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 3, retried: 6 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('a slow answer times out and is retried', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script(LOGS, { status: 202, delayMs: 1000 });
    const obs = await sendLines(2, {
      channel: { flushIntervalMs: 50, timeoutMs: 200, retry: { initialDelayMs: 10, maxElapsedMs: 5000 } },
    });
    expect(server.on(LOGS).length).toBeGreaterThanOrEqual(2);
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 2 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('a dropped connection is retried', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script(LOGS, { drop: true });
    const obs = await sendLines(2);
    expect(server.on(LOGS)).toHaveLength(2);
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 2, retried: 2 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('retries that never succeed end as retries_exhausted, with the books balanced', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    for (let i = 0; i < 50; i++) server.script(LOGS, { status: 503 });
    const obs = await sendLines(3, {
      channel: { flushIntervalMs: 50, retry: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 300 } },
    });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({ retries_exhausted: 3 });
    balanced(obs.stats().datadog?.logs);
  });
});
