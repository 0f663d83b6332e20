import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogEncoder } from '../../../adapters/datadog/encode-logs.js';
import { datadogId } from '../../../adapters/datadog/log-format.js';
import type { Sightline } from '../../../src/api/types.js';
import { getSightline } from '../../../src/index.js';
import { configError } from '../harness.js';
import { expectGolden, KEY, start } from './helpers.js';
import { IntakeServer } from './intake-server.js';
import { MEGABYTE_TEXT } from './log-cut-lines.js';

let server: IntakeServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await getSightline()?.shutdown({ timeoutMs: 2000 });
  await server?.close();
  server = undefined;
});

// W3C trace-context example ids; decimals computed independently of the code under test.
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACE_DEC = '11803532876627986230'; // 0xa3ce929d0e0e4736
const SPAN_DEC = '67667974448284343'; // 0x00f067aa0ba902b7

function inKnownSpan(fn: () => void): void {
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
  context.with(ctx, fn);
}

/** A line at each of two levels of a child's own: audit (35), which Datadog reads as alert, and security (45), as OK. */
async function logAtCustomLevels(obs: Sightline): Promise<void> {
  const audited = obs.log.child({}, { customLevels: { audit: 35, security: 45 } });
  audited.audit({ user: 'u-1' }, 'role granted');
  audited.security('login from a new country');
  await obs.forceFlush();
}

function expectStatusesOfCustomLevels([audit, security]: Record<string, unknown>[]): void {
  expect(audit).toMatchObject({ status: 'info', 'log.level': 'audit', message: 'role granted', user: 'u-1' });
  expect(security).toMatchObject({ status: 'warn', 'log.level': 'security' });
}

describe('Datadog ids', () => {
  it('converts the low 64 bits of a trace id and a span id to unsigned decimal', () => {
    expect(datadogId(TRACE_ID)).toBe(TRACE_DEC);
    expect(datadogId(SPAN_ID)).toBe(SPAN_DEC);
    expect(datadogId('ffffffffffffffffffffffffffffffff')).toBe('18446744073709551615');
    expect(datadogId('00000000000000000000000000000001')).toBe('1');
  });
});

describe("logs: 'stdout'", () => {
  it('writes Agent-ready lines: status, message, timestamp, dd.* fields and decimal ids in a span', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(server, { metrics: 'none', events: false });
    obs.log.info({ orderId: 'o-1' }, 'outside');
    inKnownSpan(() => obs.log.warn({ orderId: 'o-2' }, 'inside'));
    let realTrace = '';
    let realSpan = '';
    obs.trace('checkout', (span) => {
      realTrace = span.spanContext().traceId;
      realSpan = span.spanContext().spanId;
      obs.log.error('in a real span');
    });
    await obs.forceFlush();
    const [outside, inside, real] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(outside).toMatchObject({
      status: 'info',
      message: 'outside',
      orderId: 'o-1',
      'dd.service': 'checkout',
      'dd.env': 'prod',
      'dd.version': '1.4.2',
    });
    expect(typeof outside?.timestamp).toBe('number');
    expect(Math.abs((outside?.timestamp as number) - Date.now())).toBeLessThan(60_000);
    expect(outside).not.toHaveProperty('dd.trace_id');
    expect(inside).toMatchObject({
      status: 'warn',
      message: 'inside',
      'dd.trace_id': TRACE_DEC,
      'dd.span_id': SPAN_DEC,
      'dd.service': 'checkout',
    });
    expect(real?.['dd.trace_id']).toBe(BigInt(`0x${realTrace.slice(16)}`).toString());
    expect(real?.['dd.span_id']).toBe(BigInt(`0x${realSpan}`).toString());
    // Each line is one JSON object with no duplicate keys.
    for (const l of lines) expect((l.match(/"dd\.service"/g) ?? []).length).toBe(1);
    expect(server.on('/api/v2/logs')).toHaveLength(0);
  });

  it('moves a field the Agent would read as the service, host or source of the line to log.<name>', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(server, { metrics: 'none', events: false });
    obs.log.info(
      {
        service: 'payments',
        host: 'db-1',
        hostname: 'db-2',
        ddsource: 'cron',
        ddtags: 'team:db',
        orderId: 'o-1',
      },
      'query slow',
    );
    await obs.forceFlush();
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    for (const key of ['service', 'host', 'hostname', 'ddsource', 'ddtags'])
      expect(line).not.toHaveProperty([key]);
    expect(line).toMatchObject({
      'log.service': 'payments',
      'log.host': 'db-1',
      'log.hostname': 'db-2',
      'log.ddsource': 'cron',
      'log.ddtags': 'team:db',
      'dd.service': 'checkout',
      orderId: 'o-1',
    });
  });

  it("writes a custom level's line (audit: 35) with the status of the level below it, never one Datadog reads as alert", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(server, { metrics: 'none', events: false });
    await logAtCustomLevels(obs);
    expectStatusesOfCustomLevels(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
  });
});

describe("logs: 'http' → POST /api/v2/logs", () => {
  it('ships entries with ddsource, service, hostname, ddtags, status and ids (golden)', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false, tags: ['team:payments'] });
    obs.log.info({ order: { id: 'o-123', amount: 87.5 } }, 'order placed');
    inKnownSpan(() => obs.log.error({ status: 404 }, 'not found'));
    await obs.forceFlush();
    const requests = server.on('/api/v2/logs');
    expect(requests).toHaveLength(1);
    const r = requests[0]!;
    expect(r.headers['dd-api-key']).toBe(KEY);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.status).toBe(202);
    const entries = JSON.parse(r.text) as Record<string, unknown>[];
    for (const e of entries) {
      expect(typeof e.timestamp).toBe('number');
      e.timestamp = 'T';
    }
    expectGolden('logs', entries);
    expect(obs.stats().datadog?.logs).toMatchObject({ produced: 2, delivered: 2, queued: 0 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('ships a field named host as log.host, so Datadog keeps the host the entry names', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    obs.log.warn({ host: 'db-1', service: 'payments' }, 'query slow');
    await obs.forceFlush();
    const [entry] = JSON.parse(server.on('/api/v2/logs')[0]!.text) as Record<string, unknown>[];
    expect(entry).not.toHaveProperty('host');
    expect(entry).toMatchObject({
      hostname: 'web-01',
      service: 'checkout',
      'log.host': 'db-1',
      'log.service': 'payments',
    });
  });

  it("ships a custom level's line (audit: 35) with the status of the level below it, its own name beside", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    await logAtCustomLevels(obs);
    expectStatusesOfCustomLevels(JSON.parse(server.on('/api/v2/logs')[0]!.text) as Record<string, unknown>[]);
  });

  it('splits more than 1,000 lines into requests of at most 1,000 entries', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {
      logs: 'http',
      metrics: 'none',
      events: false,
      channel: { flushIntervalMs: 50 },
    });
    for (let i = 0; i < 2500; i++) obs.log.info({ i }, 'line');
    await obs.forceFlush({ timeoutMs: 10_000 });
    const requests = server.on('/api/v2/logs');
    const sizes = requests.map((r) => (JSON.parse(r.text) as unknown[]).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2500);
    expect(requests.every((r) => r.status === 202)).toBe(true);
    expect(obs.stats().datadog?.logs).toMatchObject({ produced: 2500, delivered: 2500 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('drops lines queued past the 18 hours Datadog takes them (a paused process), counting them as expired', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, {
      logs: 'http',
      metrics: 'none',
      events: false,
      channel: { flushIntervalMs: 3_600_000, timeoutMs: 2000 },
    });
    obs.log.info('before the pause');
    // The process stood still for 19 hours (SIGSTOP, a paused container) with the line queued.
    const resumedAt = Date.now() + 19 * 3_600_000;
    vi.useFakeTimers({ toFake: ['Date'], now: resumedAt });
    obs.log.info('after the pause');
    await obs.forceFlush();
    const entries = server
      .on('/api/v2/logs')
      .flatMap((r) => JSON.parse(r.text) as { message: string; timestamp: number }[]);
    // Datadog takes logs at most 18 hours old: none sent is older, and none is lost uncounted.
    expect(entries.map((e) => e.message)).toEqual(['after the pause']);
    expect(obs.stats().datadog?.logs).toMatchObject({ produced: 2, delivered: 1, queued: 0 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({ expired: 1 });
  });

  it('ships a field named __proto__ (a logged parsed body) as the field it is, as stdout has it', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs, lines } = start(server, { logs: 'http', metrics: 'none', events: false });
    obs.log.info(JSON.parse('{"__proto__":"tenant-7","page":"2"}'), 'listed');
    obs.log.info(JSON.parse('{"__proto__":{"polluted":"yes"}}'), 'nested');
    await obs.forceFlush();
    const entries = JSON.parse(server.on('/api/v2/logs')[0]!.text) as Record<string, unknown>[];
    const own = (e: Record<string, unknown> | undefined) =>
      Object.getOwnPropertyDescriptor(e, '__proto__')?.value;
    expect(own(JSON.parse(lines[0]!))).toBe('tenant-7');
    expect(own(entries[0])).toBe('tenant-7');
    expect(entries[0]).toMatchObject({ page: '2' });
    expect(own(entries[1])).toEqual({ polluted: 'yes' });
  });

  it('cuts a log over 1 MB to fit, keeping its status and ids', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    inKnownSpan(() => obs.log.info({ blob: 'y'.repeat(600_000) }, 'x'.repeat(1_500_000)));
    await obs.forceFlush();
    const [entry] = JSON.parse(server.on('/api/v2/logs')[0]!.text) as Record<string, unknown>[];
    expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThanOrEqual(1_000_000);
    expect(entry).toMatchObject({ status: 'info', 'dd.trace_id': TRACE_DEC, 'sightline.truncated': true });
    expect(String(entry?.message).startsWith('xxxx')).toBe(true);
    expect(entry).not.toHaveProperty('blob');
    expect(obs.stats().datadog?.logs).toMatchObject({ delivered: 1 });
    expect(obs.stats().datadog?.logs?.dropped).toEqual({});
  });

  it('keeps as much of a log cut to 1 MB as fits the megabyte, whatever its script', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    // A statement of 1.5 MB quoted in the message, in ASCII, then in Japanese (3 bytes a character).
    obs.log.error({ err: new Error('deadlock') }, 'x'.repeat(1_500_000));
    obs.log.error('注'.repeat(500_000));
    await obs.forceFlush();
    const entries = server.on('/api/v2/logs').flatMap((r) => JSON.parse(r.text) as Record<string, any>[]);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      const bytes = Buffer.byteLength(JSON.stringify(entry));
      expect(bytes).toBeLessThanOrEqual(1_000_000);
      expect(bytes).toBeGreaterThan(990_000);
    }
    expect(entries[0]?.err).toMatchObject({ type: 'Error', message: 'deadlock' });
  });

  it('cuts a log over 1 MB between characters, never inside an emoji', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    // One unit more or less before the emoji, so that one of the two cuts falls inside one.
    for (const lead of ['', 'a']) obs.log.info(`${lead}${'🚀'.repeat(400_000)}`);
    await obs.forceFlush();
    const entries = server.on('/api/v2/logs').flatMap((r) => JSON.parse(r.text) as Record<string, unknown>[]);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry['sightline.truncated']).toBe(true);
      expect(String(entry.message)).toMatch(/^a?(🚀)+$/u);
    }
  });

  it('counts a log cut to 1 MB as truncated_attribute, once even when a 413 splits its batch', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    // A 413 makes the batch go out in halves, each encoded again.
    server.script('/api/v2/logs', { status: 413 });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    obs.log.info({ blob: 'y'.repeat(1_200_000) }, 'upload');
    obs.log.info('small');
    await obs.forceFlush();
    const requests = server.on('/api/v2/logs');
    expect(requests.map((r) => r.status)).toEqual([413, 202, 202]);
    const entries = requests.slice(1).flatMap((r) => JSON.parse(r.text) as Record<string, unknown>[]);
    expect(entries.map((e) => e['sightline.truncated'] ?? false)).toEqual([true, false]);
    expect(obs.drops().truncated_attribute).toBe(1);
    expect(obs.stats().datadog?.logs).toMatchObject({ produced: 2, delivered: 2, queued: 0 });
  });

  it('counts a DD_TAGS entry cut to 200 characters for each log sent with it, once even when a 413 splits its batch', async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    server.script('/api/v2/logs', { status: 413 });
    const note = `deploy-note-${'n'.repeat(250)}`;
    const { obs } = start(server, {
      logs: 'http',
      metrics: 'none',
      events: false,
      processEnv: { DD_TAGS: `team:shop ${note}` },
    });
    obs.log.info('first');
    obs.log.info('second');
    await obs.forceFlush();
    const requests = server.on('/api/v2/logs');
    expect(requests.map((r) => r.status)).toEqual([413, 202, 202]);
    const entries = requests.slice(1).flatMap((r) => JSON.parse(r.text) as Record<string, string>[]);
    for (const e of entries) expect(e.ddtags).toMatch(/,deploy-note-.{171}_[0-9a-f]{16}$/);
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it("keeps the type, message and stack of a log's error when it cuts the log to 1 MB", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    // An ORM's error quoting the rows of a bulk insert it was given: 1.4 MB of message, and its stack.
    const failed = new RangeError(`Invalid createMany() invocation: ${'{"sku":"A-1"},'.repeat(100_000)}`);
    inKnownSpan(() => obs.log.error({ err: failed, batch: 7 }, 'import failed'));
    await obs.forceFlush();
    const [entry] = JSON.parse(server.on('/api/v2/logs')[0]!.text) as Record<string, any>[];
    expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThanOrEqual(1_000_000);
    expect(entry).toMatchObject({
      status: 'error',
      message: 'import failed',
      'dd.trace_id': TRACE_DEC,
      'sightline.truncated': true,
      err: { type: 'RangeError' },
    });
    expect(entry?.err.message.slice(0, 40)).toBe(failed.message.slice(0, 40));
    expect(entry?.err.stack.slice(0, 40)).toBe(`RangeError: ${failed.message}`.slice(0, 40));
    expect(entry).not.toHaveProperty('batch');
  });

  it("keeps as much of the message of a log cut to 1 MB when its error's texts are short as without an error", async () => {
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    // A message quoting a statement of 1.2 MB, beside a short error.
    const statement = `INSERT INTO items VALUES ${'(1, 2),'.repeat(170_000)}`;
    obs.log.error({ err: new Error('deadlock') }, statement);
    obs.log.error(statement);
    await obs.forceFlush();
    const entries = server.on('/api/v2/logs').flatMap((r) => JSON.parse(r.text) as Record<string, any>[]);
    const [withError, alone] = entries.map((e) => e.message.length);
    expect(entries[0]?.err).toMatchObject({ type: 'Error', message: 'deadlock' });
    expect(withError).toBeGreaterThan(alone - 1_000);
  });
});

describe("logs: 'http', the time a cut to 1 MB takes", () => {
  const keys = { messageKey: 'msg', levelKey: 'level', timeKey: 'time', timeFormat: 'epoch' } as const;
  const encoder = createLogEncoder(
    { service: 'checkout', hostname: 'web-01', ddtags: 'env:prod' },
    () => keys,
  );

  /** The fastest of `runs` cuts of `line`, in ms: what the export blocks the event loop for at best. */
  function cutTime(line: string, runs: number): { ms: number; bytes: number } {
    let ms = Number.POSITIVE_INFINITY;
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      bytes = Buffer.byteLength(encoder.entry(line));
      ms = Math.min(ms, performance.now() - start);
    }
    return { ms, bytes };
  }

  it('cuts a log whose escapes come before its plain text in a time of the order of one of plain text alone', () => {
    // A binary dump (control characters, six bytes each in JSON) quoted before a long text, and the
    // same length of plain text: both are cut to 1 MB, on the export path, blocking the event loop.
    const dumped = JSON.stringify({
      level: 50,
      time: 1,
      msg: `${'\u0001'.repeat(166_000)}${'a'.repeat(1_500_000)}`,
    });
    const plain = JSON.stringify({ level: 50, time: 1, msg: 'a'.repeat(1_666_000) });
    cutTime(dumped, 1);
    cutTime(plain, 1);
    let dumpedMs = Number.POSITIVE_INFINITY;
    let plainMs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const d = cutTime(dumped, 1);
      const p = cutTime(plain, 1);
      dumpedMs = Math.min(dumpedMs, d.ms);
      plainMs = Math.min(plainMs, p.ms);
      expect(d.bytes).toBeLessThanOrEqual(1_000_000);
      expect(d.bytes).toBeGreaterThan(990_000);
    }
    // Measuring its escapes costs a pass over the text; cutting again and again cost 50 times more.
    expect(dumpedMs).toBeLessThan(Math.max(12 * plainMs, 40));
  });
});

describe("logs: 'http', a log whose fields the cut keeps are over 1 MB themselves", () => {
  // Whether the cut of these lines ends, learnt in a child process that is killed if it does not,
  // so that these tests fail rather than hang the runner.
  let cutEnds = false;
  beforeAll(async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./log-cut-child.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await new Promise((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    cutEnds = out.includes('ended');
  }, 15_000);

  it('cuts a dd.trace_id it keeps to 256 characters and sends it within 1 MB', async () => {
    expect(cutEnds, 'the cut of a log with a dd.env over 1 MB ends').toBe(true);
    server = await IntakeServer.start({ apiKey: KEY });
    const { obs } = start(server, { logs: 'http', metrics: 'none', events: false });
    // Logged outside a span, where the line has no trace id of its own.
    obs.log.info({ 'dd.trace_id': MEGABYTE_TEXT }, 'upload failed');
    await obs.forceFlush();
    const [entry] = JSON.parse(server.on('/api/v2/logs')[0]!.text) as Record<string, unknown>[];
    expect(Buffer.byteLength(JSON.stringify(entry))).toBeLessThanOrEqual(1_000_000);
    expect(entry).toMatchObject({
      status: 'info',
      message: 'upload failed',
      'dd.trace_id': MEGABYTE_TEXT.slice(0, 256),
      'dd.env': 'prod',
      'sightline.truncated': true,
    });
    expect(obs.drops().truncated_attribute).toBe(1);
    expect(obs.stats().datadog?.logs).toMatchObject({ produced: 1, delivered: 1, queued: 0, dropped: {} });
  });

  it('fails init() on a host name that no log could carry even cut, instead of dropping every log as too_large', async () => {
    expect(cutEnds, 'the cut of a log whose hostname is over 1 MB ends').toBe(true);
    server = await IntakeServer.start({ apiKey: KEY });
    const e = configError(() =>
      start(server!, { logs: 'http', metrics: 'none', events: false, hostname: MEGABYTE_TEXT }),
    );
    expect(e).toMatchObject({ code: 'SL_ERR_CONFIG_INVALID_VALUE', option: 'hostname' });
    expect(getSightline()).toBeUndefined();
  });
});
