import { afterEach, describe, expect, it } from 'vitest';
import { createDiag } from '../../../src/diag/diag.js';
import { createChannel } from '../../../src/export/channel.js';
import type { ChannelOptions, ChannelSpec } from '../../../src/export/spec.js';
import { channelTracker, encodeJson, FAST_RETRY, type Intake, startIntake } from './intake-server.js';

interface Item {
  id: number;
  text: string;
}

let intake: Intake;
const tracker = channelTracker();
afterEach(async () => {
  await tracker.checkAndClose();
  await intake?.close();
});

/** A channel whose items are estimated at their text's length, as the log channels estimate lines. */
function channel(spec: Partial<ChannelSpec<Item>> = {}, options: ChannelOptions = {}) {
  return tracker.track(
    createChannel<Item>(
      {
        adapter: 'test',
        signal: 'logs',
        url: new URL(`${intake.url}/v1/items`),
        limits: { maxItems: 100, maxBytes: 1_000_000 },
        encode: encodeJson,
        sizeOf: (item) => item.text.length,
        ...spec,
      },
      { flushIntervalMs: 60_000, retry: FAST_RETRY, ...options },
    ),
  );
}

const items = (n: number, size: number, from = 0): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: from + i, text: 'x'.repeat(size) }));
const ids = (text: string): number[] => (JSON.parse(text) as Item[]).map((i) => i.id);

describe('channel byte budget', () => {
  it('holds big items only up to its byte budget while the backend hangs, counting the rest as queue_full', async () => {
    intake = await startIntake(() => ({ hang: true }));
    const lines: string[] = [];
    const diag = createDiag({ level: 'warn', write: (l) => lines.push(l), intervalMs: 60_000 });
    const ch = channel({}, { queueBytes: 10_000, diag });

    // 50 items of 1,000 bytes: far fewer than the 2,048 items the queue may hold, five times its bytes.
    expect(ch.pushAll(items(50, 1000))).toBe(10);
    await intake.waitForRequests(1);
    expect(ch.pushAll(items(20, 1000, 50))).toBe(0);
    expect(ch.stats()).toMatchObject({ produced: 70, delivered: 0, queued: 10, dropped: { queue_full: 60 } });
    expect(lines).toEqual([
      'sightline warn export.test.logs.queue_full: test logs: queue full (10000 bytes); dropping',
    ]);
  });

  it('drops an item larger than the whole budget as too_large and keeps queueing the others', async () => {
    intake = await startIntake();
    const ch = channel({}, { queueBytes: 10_000 });
    expect(ch.push({ id: 0, text: 'x'.repeat(10_001) })).toBe(false);
    expect(ch.pushAll(items(3, 100, 1))).toBe(3);
    await ch.forceFlush(5000);
    expect(intake.requests.flatMap((r) => ids(r.text))).toEqual([1, 2, 3]);
    expect(ch.stats()).toMatchObject({ produced: 4, delivered: 3, queued: 0, dropped: { too_large: 1 } });
  });

  it('sends a request as soon as its items fill one, without waiting for the flush timer', async () => {
    intake = await startIntake();
    const ch = channel({ limits: { maxItems: 1000, maxBytes: 5000 } });
    // Five items of 1,000 bytes make a full request long before 1,000 items do (sent as two, since
    // their JSON is a little over 5,000 bytes).
    ch.pushAll(items(5, 1000));
    const sent = await Promise.race([
      intake.waitForRequests(2).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
    ]);
    expect(sent).toBe(true);
    expect(intake.requests.flatMap((r) => ids(r.text))).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives the budget back as batches settle through 413 splits, retries and partial rejections', async () => {
    // At most 2 items a request (413 beyond), item 3 throttled once, item 5 always refused.
    let throttled = false;
    intake = await startIntake((req) => {
      const got = ids(req.text);
      if (got.length > 2) return { status: 413 };
      if (got.includes(3) && !throttled) {
        throttled = true;
        return { status: 503 };
      }
      return { status: 200, body: JSON.stringify({ rejected: got.includes(5) ? 1 : 0 }) };
    });
    const ch = channel(
      { splitOn413: true, onResponse: (res) => JSON.parse(res.body) },
      { queueBytes: 8000, queueSize: 100 },
    );
    expect(ch.pushAll(items(8, 1000))).toBe(8);
    await ch.forceFlush(5000);
    expect(ch.stats()).toMatchObject({ produced: 8, delivered: 7, queued: 0, dropped: { rejected: 1 } });
    // Every byte of those batches is free again: a full budget's worth is taken at once.
    expect(ch.pushAll(items(8, 1000, 8))).toBe(8);
    await ch.forceFlush(5000);
    expect(ch.stats()).toMatchObject({ produced: 16, delivered: 15, queued: 0 });
  });

  it('counts an item whose size estimate throws or is not a number by its number only', async () => {
    intake = await startIntake();
    const ch = channel(
      {
        sizeOf: (item) => {
          if (item.id === 0) throw new Error('no size');
          return item.id === 1 ? Number.NaN : item.text.length;
        },
      },
      { queueBytes: 1000 },
    );
    expect(ch.pushAll(items(3, 900))).toBe(3);
    expect(ch.push({ id: 3, text: 'x'.repeat(200) })).toBe(false);
    await ch.forceFlush(5000);
    expect(ch.stats()).toMatchObject({ produced: 4, delivered: 3, queued: 0, dropped: { queue_full: 1 } });
  });
});
