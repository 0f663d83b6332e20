import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiag } from '../../../src/diag/diag.js';
import { SightlineConfigError } from '../../../src/diag/errors.js';
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

interface Item {
  id: number;
  text?: string;
}

let intake: Intake;
const tracker = channelTracker();
afterEach(async () => {
  await tracker.checkAndClose();
  await intake?.close();
});

function channel(
  spec: Partial<ChannelSpec<Item>> = {},
  options: ChannelOptions = {},
  path = '/v1/items',
): ReturnType<typeof createChannel<Item>> {
  return tracker.track(
    createChannel<Item>(
      {
        adapter: 'test',
        signal: 'logs',
        url: new URL(`${intake.url}${path}`),
        limits: { maxItems: 100, maxBytes: 1_000_000 },
        encode: encodeJson,
        ...spec,
      },
      { flushIntervalMs: 60_000, retry: FAST_RETRY, ...options },
    ),
  );
}

/** A channel to a port nothing listens on, made with `options` alone: for setup's checks. */
function channelWith(options: ChannelOptions): ReturnType<typeof createChannel<Item>> {
  return tracker.track(
    createChannel<Item>(
      {
        adapter: 't',
        signal: 'logs',
        url: new URL('http://127.0.0.1:9/'),
        limits: { maxItems: 1, maxBytes: 9 },
        encode: encodeJson,
      },
      options,
    ),
  );
}

const items = (n: number, from = 0): Item[] => Array.from({ length: n }, (_, i) => ({ id: from + i }));
const ids = (text: string): number[] => (JSON.parse(text) as Item[]).map((i) => i.id);

describe('channel delivery', () => {
  it('POSTs a gzipped JSON body with the adapter headers, Content-Length and Content-Encoding', async () => {
    intake = await startIntake(() => ({ status: 202 }));
    const ch = channel({ headers: { 'DD-API-KEY': 'k-123', 'Content-Type': 'text/plain' } });

    ch.pushAll(items(3));
    await ch.forceFlush(5000);

    expect(intake.requests).toHaveLength(1);
    const [req] = intake.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/items');
    expect(req?.headers['dd-api-key']).toBe('k-123');
    // The encoder's content type wins over an adapter header of the same name, never both.
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(Number(req?.headers['content-length'])).toBe(req?.wireBytes);
    expect(ids(req?.text ?? '')).toEqual([0, 1, 2]);
    expect(ch.stats()).toEqual({ produced: 3, delivered: 3, retried: 0, queued: 0, dropped: {} });
  });

  it('sends an uncompressed body when gzip is off', async () => {
    intake = await startIntake();
    const ch = channel({}, { gzip: false });
    ch.pushAll(items(2));
    await ch.forceFlush(5000);
    expect(intake.requests[0]?.headers['content-encoding']).toBeUndefined();
    expect(intake.requests[0]?.wireBytes).toBe(Buffer.byteLength('[{"id":0},{"id":1}]'));
    expect(ch.stats().delivered).toBe(2);
  });

  it('cuts batches at the item limit and keeps order', async () => {
    intake = await startIntake();
    const ch = channel({ limits: { maxItems: 10, maxBytes: 1_000_000 } });
    ch.pushAll(items(25));
    await ch.forceFlush(5000);
    expect(intake.requests.map((r) => ids(r.text).length)).toEqual([10, 10, 5]);
    expect(intake.requests.flatMap((r) => ids(r.text))).toEqual(items(25).map((i) => i.id));
    expect(ch.stats()).toMatchObject({ produced: 25, delivered: 25, queued: 0 });
  });

  it('sends a full batch as soon as it is ready, without waiting for the timer', async () => {
    intake = await startIntake();
    const ch = channel({ limits: { maxItems: 10, maxBytes: 1_000_000 } });
    ch.pushAll(items(10));
    await intake.waitForRequests(1);
    expect(ids(intake.requests[0]?.text ?? '')).toHaveLength(10);
  });

  it('sends a partial batch on the flush timer', async () => {
    intake = await startIntake();
    const ch = channel({}, { flushIntervalMs: 20 });
    ch.pushAll(items(3));
    await intake.waitForRequests(1);
    expect(ids(intake.requests[0]?.text ?? '')).toEqual([0, 1, 2]);
    await ch.shutdown(1000);
  });

  it('cuts batches at the byte limit of the encoded body', async () => {
    intake = await startIntake();
    const text = 'x'.repeat(100);
    const ch = channel({ limits: { maxItems: 100, maxBytes: 500 } });
    ch.pushAll(items(20).map((i) => ({ ...i, text })));
    await ch.forceFlush(5000);
    for (const r of intake.requests) expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(500);
    expect(intake.requests.flatMap((r) => ids(r.text))).toEqual(items(20).map((i) => i.id));
    expect(ch.stats()).toMatchObject({ produced: 20, delivered: 20, queued: 0 });
    expect(ch.stats()?.dropped).toEqual({});
  });

  it('encodes the halves of a batch that came out over the byte limit on later turns of the event loop', async () => {
    intake = await startIntake();
    const text = 'x'.repeat(100);
    // What ran, in order: each encode with its batch size, and a callback queued for the next turn.
    const order: string[] = [];
    const ch = channel({
      limits: { maxItems: 100, maxBytes: 500 },
      encode: (batch) => {
        if (order.length === 0) setImmediate(() => order.push('next turn'));
        order.push(`encode ${batch.length}`);
        return encodeJson(batch);
      },
    });
    ch.pushAll(items(8).map((i) => ({ ...i, text })));
    await ch.forceFlush(5000);
    // 8 items of 100 bytes are over 500 bytes, halves of 4 are not. Encoding the halves in the same
    // stretch as the whole would hold the service's requests behind all three encodes.
    expect(order).toEqual(['encode 8', 'next turn', 'encode 4', 'encode 4']);
    expect(intake.requests.flatMap((r) => ids(r.text))).toEqual(items(8).map((i) => i.id));
  });

  it('takes turns with other channels: two flushed at once encode on different turns of the event loop', async () => {
    intake = await startIntake();
    const order: string[] = [];
    const logging = (name: string) =>
      channel({
        encode: (batch) => {
          if (order.length === 0) setImmediate(() => order.push('next turn'));
          order.push(`encode ${name}`);
          return encodeJson(batch);
        },
      });
    // The spans and the log lines of one adapter, say, both with work at a flush.
    const a = logging('a');
    const b = logging('b');
    a.pushAll(items(3));
    b.pushAll(items(3));
    await Promise.all([a.forceFlush(5000), b.forceFlush(5000)]);
    expect(order).toEqual(['encode a', 'next turn', 'encode b']);
    expect(intake.requests).toHaveLength(2);
  });

  it('pre-cuts batches with the sizeOf estimate', async () => {
    intake = await startIntake();
    const text = 'y'.repeat(100);
    const ch = channel({
      limits: { maxItems: 100, maxBytes: 1000 },
      sizeOf: (i) => (i.text?.length ?? 0) + 12,
    });
    ch.pushAll(items(30).map((i) => ({ ...i, text })));
    await ch.forceFlush(5000);
    // 112 estimated bytes each: 8 fit under 1000, so the estimate alone makes batches of 8.
    expect(intake.requests.map((r) => ids(r.text).length)).toEqual([8, 8, 8, 6]);
    expect(ch.stats().delivered).toBe(30);
  });

  it('falls back to count-only batches when the sizeOf estimate throws', async () => {
    intake = await startIntake();
    const ch = channel({
      limits: { maxItems: 4, maxBytes: 1_000_000 },
      sizeOf: (i) => {
        if (i.id === 2) throw new Error('no size');
        return 10;
      },
    });
    ch.pushAll(items(6));
    await ch.forceFlush(5000);
    expect(intake.requests.map((r) => ids(r.text))).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    expect(ch.stats()).toMatchObject({ delivered: 6, queued: 0 });
    expect(ch.stats()?.dropped).toEqual({});
  });

  it('drops an item that alone exceeds the byte limit as too_large and sends the rest', async () => {
    intake = await startIntake();
    const ch = channel({ limits: { maxItems: 100, maxBytes: 200 } });
    ch.pushAll([{ id: 0 }, { id: 1, text: 'z'.repeat(300) }, { id: 2 }]);
    await ch.forceFlush(5000);
    expect(intake.requests.flatMap((r) => ids(r.text))).toEqual([0, 2]);
    const s = ch.stats();
    expect(s).toMatchObject({ produced: 3, delivered: 2, queued: 0, dropped: { too_large: 1 } });
    expect(identityHolds(s)).toBe(true);
  });

  it('splits on compressed size when the vendor caps the compressed payload', async () => {
    intake = await startIntake();
    // Random-ish text compresses poorly, so the cap after gzip is what cuts these batches.
    const noisy = () => randomBytes(100).toString('hex');
    const ch = channel({ limits: { maxItems: 100, maxBytes: 1_000_000, maxCompressedBytes: 600 } });
    ch.pushAll(items(16).map((i) => ({ ...i, text: noisy() })));
    await ch.forceFlush(5000);
    expect(intake.requests.length).toBeGreaterThan(1);
    for (const r of intake.requests) expect(r.wireBytes).toBeLessThanOrEqual(600);
    expect(intake.requests.flatMap((r) => ids(r.text)).sort((a, b) => a - b)).toEqual(
      items(16).map((i) => i.id),
    );
    expect(ch.stats()).toMatchObject({ delivered: 16, queued: 0 });
  });

  it('isolates items the encoder throws on and drops only those as encode_error', async () => {
    intake = await startIntake();
    const ch = channel({
      encode: (batch) => {
        if (batch.some((i) => i.id === 5)) throw new Error('cannot encode');
        return encodeJson(batch);
      },
    });
    ch.pushAll(items(10));
    await ch.forceFlush(5000);
    expect(intake.requests.flatMap((r) => ids(r.text))).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    expect(ch.stats()).toMatchObject({ produced: 10, delivered: 9, queued: 0, dropped: { encode_error: 1 } });
  });

  it('counts discarded items as produced and dropped', () => {
    intake = undefined as unknown as Intake;
    const ch = tracker.track(
      createChannel<Item>({
        adapter: 'test',
        signal: 'metrics',
        url: new URL('http://127.0.0.1:9/'),
        limits: { maxItems: 10, maxBytes: 1000 },
        encode: encodeJson,
      }),
    );
    ch.discard(3, 'invalid');
    ch.discard(0, 'invalid');
    expect(ch.stats()).toEqual({ produced: 3, delivered: 0, retried: 0, queued: 0, dropped: { invalid: 3 } });
  });
});

describe('channel status handling', () => {
  it.each([400, 403, 404])('drops the batch as rejected on %i without retrying', async (status) => {
    intake = await startIntake(() => ({ status, body: '{"errors":["nope"]}' }));
    const ch = channel();
    ch.pushAll(items(4));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(1);
    const s = ch.stats();
    expect(s).toMatchObject({ produced: 4, delivered: 0, retried: 0, queued: 0, dropped: { rejected: 4 } });
    expect(identityHolds(s)).toBe(true);
  });

  it('does not follow redirects, so auth headers never reach another host', async () => {
    const other = await startIntake();
    intake = await startIntake(() => ({ status: 307, headers: { location: `${other.url}/steal` } }));
    const ch = channel({ headers: { 'DD-API-KEY': 'secret-key' } });
    ch.pushAll(items(2));
    await ch.forceFlush(5000);
    expect(other.requests).toHaveLength(0);
    expect(ch.stats()).toMatchObject({ delivered: 0, queued: 0, dropped: { rejected: 2 } });
    await other.close();
  });

  it('drops a 413 batch as too_large when the adapter did not opt in to splitting', async () => {
    intake = await startIntake(() => ({ status: 413 }));
    const ch = channel();
    ch.pushAll(items(4));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(1);
    expect(ch.stats()).toMatchObject({ delivered: 0, queued: 0, dropped: { too_large: 4 } });
  });

  it('splits a batch in halves on 413 and resends, dropping a lone item that still gets 413', async () => {
    // The intake accepts at most 2 items per request, and never item 7.
    intake = await startIntake((req) => {
      const got = ids(req.text);
      return { status: got.length > 2 || got.includes(7) ? 413 : 200 };
    });
    const ch = channel({ splitOn413: true });
    ch.pushAll(items(8));
    await ch.forceFlush(5000);
    const accepted = intake.requests.filter((r) => ids(r.text).length <= 2 && !ids(r.text).includes(7));
    expect(accepted.flatMap((r) => ids(r.text))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const s = ch.stats();
    // Halves re-sent after a 413: [0-7] → 8, [0-3] → 4, [4-7] → 4, [6,7] → 2.
    expect(s).toMatchObject({ produced: 8, delivered: 7, retried: 18, queued: 0, dropped: { too_large: 1 } });
    expect(identityHolds(s)).toBe(true);
  });

  it('counts items an OTLP-style partial success rejects, without retrying', async () => {
    intake = await startIntake(() => ({
      status: 200,
      body: '{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"bad timestamps"}}',
    }));
    const ch = channel({
      onResponse: (res) => {
        const body = JSON.parse(res.body) as { partialSuccess?: { rejectedLogRecords?: string } };
        return { rejected: Number(body.partialSuccess?.rejectedLogRecords ?? 0) };
      },
    });
    ch.pushAll(items(5));
    await ch.forceFlush(5000);
    expect(intake.requests).toHaveLength(1);
    expect(ch.stats()).toMatchObject({
      produced: 5,
      delivered: 3,
      retried: 0,
      queued: 0,
      dropped: { rejected: 2 },
    });
  });

  it('retries only the items an Elastic-style _bulk answer marks 429, drops the 400s', async () => {
    // First answer: item 1 throttled (429), item 3 mapping error (400). Second answer: all created.
    intake = await startIntake((_req, index) => {
      if (index > 0) return { status: 200, body: '{"errors":false,"items":[]}' };
      const statuses = [201, 429, 201, 400];
      return {
        status: 200,
        body: JSON.stringify({ errors: true, items: statuses.map((status) => ({ create: { status } })) }),
      };
    });
    const ch = channel({
      onResponse: (res) => {
        const body = JSON.parse(res.body) as { errors: boolean; items: { create: { status: number } }[] };
        if (!body.errors) return undefined;
        const retry: number[] = [];
        let rejected = 0;
        body.items.forEach((it, i) => {
          if (it.create.status === 429) retry.push(i);
          else if (it.create.status >= 300) rejected++;
        });
        return { retry, rejected };
      },
    });
    ch.pushAll(items(4));
    await ch.forceFlush(5000);
    expect(intake.requests.map((r) => ids(r.text))).toEqual([[0, 1, 2, 3], [1]]);
    const s = ch.stats();
    expect(s).toMatchObject({ produced: 4, delivered: 3, retried: 1, queued: 0, dropped: { rejected: 1 } });
    expect(identityHolds(s)).toBe(true);
  });

  it('hands the response hook the raw bytes of a binary answer', async () => {
    const answer = Buffer.from([0x0a, 0x04, 0x08, 0x02, 0x12, 0x00, 0xff]);
    intake = await startIntake(() => ({
      status: 200,
      headers: { 'content-type': 'application/x-protobuf' },
      body: answer,
    }));
    const seen: (Uint8Array | undefined)[] = [];
    const ch = channel({
      onResponse: (res) => {
        seen.push(res.bytes);
        return { rejected: res.bytes?.[3] };
      },
    });
    ch.pushAll(items(3));
    await ch.forceFlush(5000);
    expect(seen.map((b) => Buffer.from(b ?? []))).toEqual([answer]);
    expect(ch.stats()).toMatchObject({ delivered: 1, dropped: { rejected: 2 } });
  });

  it('hands the hook an empty, truncated body when the answer passes maxResponseBytes', async () => {
    intake = await startIntake(() => ({ status: 200, body: JSON.stringify({ items: 'x'.repeat(500) }) }));
    const seen: { body: string; truncated: boolean }[] = [];
    const ch = channel(
      {
        onResponse: (res) => {
          seen.push({ body: res.body, truncated: res.truncated });
          return undefined;
        },
      },
      { maxResponseBytes: 100 },
    );
    ch.pushAll(items(1));
    await ch.forceFlush(5000);
    expect(seen).toEqual([{ body: '', truncated: true }]);
    expect(ch.stats().delivered).toBe(1);
  });

  it('counts a batch as delivered when the response hook throws', async () => {
    intake = await startIntake(() => ({ status: 200, body: 'not json' }));
    const ch = channel({ onResponse: (res) => JSON.parse(res.body) });
    ch.pushAll(items(2));
    await ch.forceFlush(5000);
    expect(ch.stats()).toMatchObject({ delivered: 2, queued: 0 });
    expect(ch.stats()?.dropped).toEqual({});
  });

  it('uses a custom send function instead of fetch', async () => {
    intake = await startIntake();
    const seen: string[] = [];
    const ch = channel({
      send: async (request, signal) => {
        seen.push(request.headers['content-encoding'] ?? 'identity');
        const res = await fetch(request.url, {
          method: 'PUT',
          body: request.body,
          headers: request.headers,
          signal,
        });
        await res.arrayBuffer();
        return { status: res.status, headers: res.headers, body: '', truncated: false };
      },
    });
    ch.pushAll(items(3));
    await ch.forceFlush(5000);
    expect(seen).toEqual(['gzip']);
    expect(intake.requests[0]?.method).toBe('PUT');
    expect(ids(intake.requests[0]?.text ?? '')).toEqual([0, 1, 2]);
    expect(ch.stats().delivered).toBe(3);
  });
});

describe('channel secrets and setup', () => {
  it('never puts header values or query strings into diagnostics', async () => {
    intake = await startIntake(() => ({ status: 403, body: '{"error":"bad key k-SECRET"}' }));
    const lines: string[] = [];
    const diag = createDiag({ level: 'debug', write: (l) => lines.push(l), intervalMs: 0 });
    const ch = channel(
      { headers: { 'DD-API-KEY': 'k-SECRET', Authorization: 'Bearer t-SECRET' } },
      { diag },
      '/api/v2/logs?dd-api-key=q-SECRET',
    );
    ch.pushAll(items(2));
    await ch.forceFlush(5000);
    expect(lines.join('\n')).toContain('HTTP 403');
    expect(lines.join('\n')).toContain(`${intake.url}/api/v2/logs`);
    expect(lines.join('\n')).not.toMatch(/SECRET|dd-api-key=/);
  });

  it('reports a full queue through diag, once per interval, and counts every drop', () => {
    intake = undefined as unknown as Intake;
    const lines: string[] = [];
    const diag = createDiag({ level: 'warn', write: (l) => lines.push(l), intervalMs: 60_000 });
    const ch = tracker.track(
      createChannel<Item>(
        {
          adapter: 'dd',
          signal: 'logs',
          url: new URL('http://127.0.0.1:9/'),
          limits: { maxItems: 100, maxBytes: 1e6 },
          encode: encodeJson,
        },
        { queueSize: 5, diag, flushIntervalMs: 60_000 },
      ),
    );
    expect(ch.pushAll(items(50))).toBe(5);
    expect(ch.stats()).toMatchObject({ produced: 50, queued: 5, dropped: { queue_full: 45 } });
    expect(lines).toEqual([
      'sightline warn export.dd.logs.queue_full: dd logs: queue full (5 items); dropping',
    ]);
    return ch.shutdown(0);
  });

  it.each([
    ['channel.queueSize', { queueSize: 0 }],
    ['channel.queueBytes', { queueBytes: 1.5 }],
    ['channel.flushIntervalMs', { flushIntervalMs: -1 }],
    // Beyond a timer's range Node fires at once: "very long" would act as "now".
    ['channel.flushIntervalMs', { flushIntervalMs: 2 ** 31 }],
    ['channel.timeoutMs', { timeoutMs: 2 ** 32 }],
    ['channel.shutdownTimeoutMs', { shutdownTimeoutMs: Number.POSITIVE_INFINITY }],
    ['channel.retry.maxDelayMs', { retry: { maxDelayMs: 2 ** 31 } }],
    ['channel.concurrency', { concurrency: 1.5 }],
    ['channel.retry.maxElapsedMs', { retry: { maxElapsedMs: Number.NaN } }],
  ] as const)('rejects a bad %s at setup with a coded error', (option, options) => {
    intake = undefined as unknown as Intake;
    const make = () => channelWith(options as ChannelOptions);
    expect(make).toThrow(SightlineConfigError);
    expect(make).toThrow(expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_VALUE', option }));
  });

  it.each([
    ['channel.queueSize', { queueSize: '100' }],
    ['channel.timeoutMs', { timeoutMs: '5' }],
    ['channel.gzip', { gzip: 'no' }],
    ['channel.retry.maxElapsedMs', { retry: { maxElapsedMs: '1000' } }],
  ] as const)('rejects a %s of the wrong type with SL_ERR_CONFIG_INVALID_TYPE', (option, options) => {
    intake = undefined as unknown as Intake;
    expect(() => channelWith(options as unknown as ChannelOptions)).toThrow(
      expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_TYPE', option }),
    );
  });

  it.each([
    ['a line break', 'abc\r\nX-Evil: 1'],
    ['a character beyond Latin-1', 'abc\u2603'],
    ['a control character', 'abc\u0001'],
  ])('rejects a header value with %s at setup, without echoing the value', (_, value) => {
    intake = undefined as unknown as Intake;
    const make = () =>
      tracker.track(
        createChannel<Item>({
          adapter: 't',
          signal: 'logs',
          url: new URL('http://127.0.0.1:9/'),
          headers: { 'DD-API-KEY': value },
          limits: { maxItems: 1, maxBytes: 9 },
          encode: encodeJson,
        }),
      );
    expect(make).toThrow(expect.objectContaining({ code: 'SL_ERR_CONFIG_INVALID_VALUE' }));
    expect(make).toThrow(/DD-API-KEY/);
    expect(make).not.toThrow(/abc|Evil/);
  });
});
