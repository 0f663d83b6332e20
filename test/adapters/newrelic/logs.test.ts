import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureStderr } from '../../helpers/capture.js';
import { expectGolden, LICENSE_KEY, normalize, startWithNewRelic, stopSightline } from './helpers.js';
import { type NrIntake, startNrIntake } from './intake-server.js';

interface LogBody {
  common: { attributes: Record<string, unknown> };
  logs: { timestamp?: number; message?: string; level?: string; attributes?: Record<string, unknown> }[];
}

let intake: NrIntake;
beforeEach(async () => {
  intake = await startNrIntake({ licenseKey: LICENSE_KEY });
});
afterEach(async () => {
  vi.useRealTimers();
  await stopSightline();
  await intake.close();
});

describe('newrelic logs', () => {
  it('shapes stdout lines for logs in context: message, timestamp, trace.id, span.id and entity fields', async () => {
    const { obs, lines } = startWithNewRelic(intake);
    let ids: { traceId: string; spanId: string } | undefined;
    obs.trace('place-order', (span) => {
      ids = span.spanContext();
      obs.log.info({ orderId: 'o-123' }, 'order placed');
    });
    obs.log.warn('outside any span');
    await obs.forceFlush();

    const [inSpan, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inSpan).toMatchObject({
      level: 'info',
      message: 'order placed',
      orderId: 'o-123',
      'trace.id': ids!.traceId,
      'span.id': ids!.spanId,
      'entity.name': 'checkout',
      'entity.type': 'SERVICE',
      hostname: 'web-01',
      'service.name': 'checkout',
    });
    expect(typeof inSpan!.timestamp).toBe('number');
    expect(outside).toMatchObject({
      level: 'warn',
      message: 'outside any span',
      'entity.name': 'checkout',
    });
    expect(outside!['trace.id']).toBeUndefined();
    // The default is stdout only: nothing goes to the Log API.
    expect(intake.requests.filter((r) => r.api === 'logs')).toHaveLength(0);
  });

  it("keeps the entity of a stdout line whose fields name another, under the Log API's attr. names", async () => {
    const { obs, lines } = startWithNewRelic(intake);
    obs.log.info({ 'entity.name': 'billing', 'entity.type': 'QUEUE', hostname: 'worker-9' }, 'consumed');
    await obs.forceFlush();
    // A forwarder parses the line as JSON.parse does: the last of two equal keys wins.
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      'entity.name': 'checkout',
      'entity.type': 'SERVICE',
      hostname: 'web-01',
      'attr.entity.name': 'billing',
      'attr.entity.type': 'QUEUE',
      'attr.hostname': 'worker-9',
    });
  });

  it.each([
    ['appName', { appName: 'checkout-eu' }],
    ['NEW_RELIC_APP_NAME', { env: { NEW_RELIC_APP_NAME: 'checkout-eu;checkout' } }],
  ])(
    'names on log lines the entity spans and metrics name, the service, when %s differs, and says so',
    async (_, options) => {
      const stderr = captureStderr();
      try {
        const { obs, lines } = startWithNewRelic(
          intake,
          { logs: 'api', ...options },
          { diagnostics: 'warn' },
        );
        obs.trace('place-order', () => obs.log.info('order placed'));
        await obs.forceFlush();

        const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
        expect([line['entity.name'], line['service.name']]).toEqual(['checkout', 'checkout']);
        const shipped = (intake.accepted('logs')[0]!.json as LogBody[])[0]!.common.attributes;
        expect([shipped['entity.name'], shipped['service.name']]).toEqual(['checkout', 'checkout']);
        expect(stderr.writes.join('')).toContain(
          'the app name "checkout-eu" (appName or NEW_RELIC_APP_NAME) differs',
        );
      } finally {
        stderr.restore();
      }
    },
  );

  it("ships lines to the Log API with logs: 'api', shared fields in common, trace ids per record", async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    obs.trace('place-order', () => {
      obs.log.info(
        { orderId: 'o-123', amount: 87.5, user: { id: 'u-1', tier: 'gold' }, tags: ['a', 'b'] },
        'order placed',
      );
    });
    const err = new Error('card declined');
    err.stack = 'Error: card declined\n    at charge (pay.js:1:1)';
    obs.log.error({ err, eventType: 'mine' }, 'payment failed');
    await obs.forceFlush();

    const accepted = intake.accepted('logs');
    expect(accepted).toHaveLength(1);
    const req = accepted[0]!;
    expect(req.path).toBe('/log/v1');
    expect(req.headers['api-key']).toBe(LICENSE_KEY);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(Number(req.headers['content-length'])).toBe(req.wire.byteLength);
    expect(req.status).toBe(202);

    const body = req.json as LogBody[];
    const [placed, failed] = body[0]!.logs;
    expect(placed!.attributes!['trace.id']).toMatch(/^[0-9a-f]{32}$/);
    expect(placed!.attributes!['span.id']).toMatch(/^[0-9a-f]{16}$/);
    expect(placed!.attributes!.trace_id).toBeUndefined();
    expect(failed!.attributes!['trace.id']).toBeUndefined();
    expectGolden('logs', normalize(body));
    expect(obs.stats().newrelic?.logs).toMatchObject({ produced: 2, delivered: 2, queued: 0 });
  });

  it('drops lines queued past the 48 hours the Log API keeps them (a paused process), counting them as expired', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api', channel: { flushIntervalMs: 3_600_000 } });
    obs.log.info('before the pause');
    // The process stood still for 49 hours (SIGSTOP, a paused container) with the line queued.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 49 * 3_600_000 });
    obs.log.info('after the pause');
    await obs.forceFlush();
    const logs = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    expect(logs.map((l) => l.message)).toEqual(['after the pause']);
    expect(obs.stats().newrelic?.logs).toMatchObject({ produced: 2, delivered: 1, queued: 0 });
    expect(obs.stats().newrelic?.logs?.dropped).toEqual({ expired: 1 });
  });

  it('ships a field named __proto__ (a logged parsed body) as an attribute of that name', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    obs.log.info(JSON.parse('{"__proto__":"tenant-7","page":"2"}'), 'listed');
    await obs.forceFlush();
    const [log] = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    expect(Object.getOwnPropertyDescriptor(log!.attributes, '__proto__')?.value).toBe('tenant-7');
    expect(log!.attributes).toMatchObject({ page: '2' });
  });

  it("keeps a nested field and a dotted one of the same name apart, and a line's own entity fields", async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    obs.trace('import', () => {
      obs.log.info(
        { user: { id: 'u-nested' }, 'user.id': 'u-dotted', trace: { id: 'upstream' } },
        'imported',
      );
      obs.log.info({ entity: { name: 'billing', type: 'QUEUE' }, hostname: 'worker-9' }, 'consumed');
    });
    await obs.forceFlush();
    const [imported, consumed] = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    const digest = /_[0-9a-f]{16}$/;
    const attributes = Object.entries(imported!.attributes!);
    expect(imported!.attributes!['user.id']).toBe('u-dotted');
    expect(attributes.filter(([k]) => digest.test(k) && k.startsWith('user.id_'))).toEqual([
      [expect.any(String), 'u-nested'],
    ]);
    // The line's own trace id keeps its name; the logged one is kept apart from it.
    expect(imported!.attributes!['trace.id']).toMatch(/^[0-9a-f]{32}$/);
    expect(attributes.filter(([k]) => digest.test(k) && k.startsWith('trace.id_'))).toEqual([
      [expect.any(String), 'upstream'],
    ]);
    // Nothing on the record replaces the entity in common, which links the line to the service.
    expect(consumed!.attributes).toMatchObject({
      'attr.entity.name': 'billing',
      'attr.entity.type': 'QUEUE',
      'attr.hostname': 'worker-9',
    });
    for (const key of ['entity.name', 'entity.type', 'hostname'])
      expect(consumed!.attributes![key]).toBeUndefined();
    expect(obs.drops()).toEqual({});
  });

  it('sends a logged entity.guid as attr.entity.guid, on the Log API and stdout, so the line keeps its entity', async () => {
    const { obs, lines } = startWithNewRelic(intake, { logs: 'api' });
    obs.log.info({ 'entity.guid': 'MTIzNDU2N3xBUE18QVBQTElDQVRJT058OTk5' }, 'consumed');
    obs.log.info({ entity: { guid: 'nested-guid' } }, 'nested');
    await obs.forceFlush();
    const [dotted, nested] = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    expect(dotted!.attributes).toMatchObject({ 'attr.entity.guid': 'MTIzNDU2N3xBUE18QVBQTElDQVRJT058OTk5' });
    expect(nested!.attributes).toMatchObject({ 'attr.entity.guid': 'nested-guid' });
    for (const record of [dotted, nested]) expect(record!.attributes!['entity.guid']).toBeUndefined();
    expect(JSON.parse(lines[0] ?? '{}')).not.toHaveProperty(['entity.guid']);
  });

  it('keeps a long message whole up to 128 KB and caps attributes at 255 per record', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    const wide: Record<string, number> = {};
    for (let i = 0; i < 400; i++) wide[`f${i}`] = i;
    obs.log.info(wide, 'm'.repeat(10_000));
    obs.log.info('z'.repeat(200_000));
    await obs.forceFlush();

    const logs = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    const common = (intake.accepted('logs')[0]!.json as LogBody[])[0]!.common.attributes;
    expect(logs[0]!.message).toHaveLength(10_000);
    expect(Object.keys(logs[0]!.attributes!).length + Object.keys(common).length + 3).toBeLessThanOrEqual(
      255,
    );
    expect(logs[1]!.message).toHaveLength(128 * 1024);
  });

  it('keeps two attributes whose names differ only past the 255 characters a record takes, nested ones too, and counts the cut once per line', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    // A 413 makes the batch go out in halves, each encoded again.
    intake.script('logs', { status: 413 });
    const long = `cache.${'k'.repeat(260)}`;
    obs.log.info({ [`${long}.hit`]: 3, [`${long}.miss`]: 1 }, 'lookups');
    obs.log.info({ cache: { [`${'k'.repeat(260)}`]: { hit: 4, miss: 2 } } }, 'nested lookups');
    await obs.forceFlush();

    const logs = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    expect(logs.map((l) => l.message)).toEqual(['lookups', 'nested lookups']);
    for (const log of logs) {
      const names = Object.keys(log.attributes!).filter((k) => k.startsWith('cache.'));
      expect(names).toHaveLength(2);
      for (const k of names) expect(k.length).toBeLessThanOrEqual(255);
    }
    expect(Object.values(logs[0]!.attributes!).sort()).toEqual([1, 3]);
    expect(Object.values(logs[1]!.attributes!).sort()).toEqual([2, 4]);
    expect(obs.drops().truncated_attribute).toBe(4);
  });

  it('cuts a message or value past the 128 KB New Relic keeps, nested ones too, and counts the cut once per line', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    // A 413 makes the batch go out in halves, each encoded again.
    intake.script('logs', { status: 413 });
    obs.log.info({ body: 'b'.repeat(200_000) }, 'm'.repeat(200_000));
    obs.log.info({ req: { body: 'r'.repeat(200_000) } }, 'nested body');
    obs.log.info({ body: 's'.repeat(1000) }, 'small body');
    await obs.forceFlush();

    const logs = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    expect(logs.map((l) => l.message!.length)).toEqual([128 * 1024, 11, 10]);
    expect(logs.map((l) => String(l.attributes!.body ?? l.attributes!['req.body']).length)).toEqual([
      128 * 1024,
      128 * 1024,
      1000,
    ]);
    expect(obs.drops().truncated_attribute).toBe(3);
    expect(obs.stats().newrelic?.logs).toMatchObject({ produced: 3, delivered: 3, queued: 0 });
  });

  it('cuts a message or value past the 128 KB New Relic keeps by its UTF-8 bytes, not its characters, between characters', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    // 100,000 characters of three bytes each (300 KB), and 40,000 emoji of four (160 KB).
    obs.log.info({ body: '😀'.repeat(40_000) }, '注'.repeat(100_000));
    obs.log.info('注'.repeat(40_000));
    await obs.forceFlush();

    const logs = intake.accepted('logs').flatMap((r) => (r.json as LogBody[])[0]!.logs);
    expect(logs[0]!.message).toBe('注'.repeat(43_690));
    expect(logs[0]!.attributes!.body).toBe('😀'.repeat(32_768));
    for (const text of [logs[0]!.message!, String(logs[0]!.attributes!.body)])
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(128 * 1024);
    expect(logs[1]!.message).toBe('注'.repeat(40_000));
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('counts the attributes of a line past the 255 a record takes, nested ones too, once each', async () => {
    const { obs } = startWithNewRelic(intake, { logs: 'api' });
    // A 413 makes the batch go out in halves, each encoded again.
    intake.script('logs', { status: 413 });
    const wide: Record<string, unknown> = { nested: {} as Record<string, number> };
    for (let i = 0; i < 300; i++) wide[`f${i}`] = i;
    for (let i = 0; i < 20; i++) (wide.nested as Record<string, number>)[`n${i}`] = i;
    obs.log.info(wide, 'wide');
    obs.log.info(wide, 'wide again');
    obs.log.info({ orderId: 'o-1' }, 'narrow');
    await obs.forceFlush();

    const accepted = intake.accepted('logs');
    const logs = accepted.flatMap((r) => (r.json as LogBody[])[0]!.logs);
    const common = (accepted[0]!.json as LogBody[])[0]!.common.attributes;
    expect(accepted.length).toBeGreaterThan(1);
    expect(logs.map((l) => l.message)).toEqual(['wide', 'wide again', 'narrow']);
    const kept = Object.keys(logs[0]!.attributes!).length;
    expect(kept + Object.keys(common).length + 3).toBe(255);
    // 300 plain fields and 20 nested ones: the line's other fields are in common.
    expect(obs.drops().attribute_count_limit).toBe(2 * (320 - kept));
    expect(obs.stats().newrelic?.logs).toMatchObject({ produced: 3, delivered: 3, queued: 0 });
  });
});
