import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogKeys } from '../../../src/export/index.js';
import { dataStream } from '../../../adapters/elastic/data-stream.js';
import { logLineToDoc } from '../../../adapters/elastic/encode-logs.js';
import { elastic } from '../../../adapters/elastic/index.js';
import { otlp } from '../../../adapters/otlp/index.js';
import { FAST_CHANNEL, startWith } from '../harness.js';
import { startCollector } from '../otlp/intake-server.js';
import { API_KEY, AUTH, startWithElastic, stopSightline } from './helpers.js';
import { EsIntake } from './intake-server.js';

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

/** What Elastic Agent or Filebeat does with each stdout line: a create into the logs data stream. */
async function collected(lines: readonly string[]): Promise<unknown[]> {
  const res = await fetch(`${intake!.url}/_bulk`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => `{"create":{"_index":"logs-checkout-production"}}\n${l.trim()}\n`).join(''),
  });
  const answer = (await res.json()) as { items: { create: { status: number; error?: unknown } }[] };
  return answer.items.map((i) => i.create.error ?? i.create.status);
}

describe('ECS lines on stdout', () => {
  it('writes ecs-logging lines, with trace.id and span.id inside a span', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' });
    obs.log.info({ orderId: 'o-1' }, 'outside');
    let traceId = '';
    let spanId = '';
    obs.trace('checkout', (span) => {
      traceId = span.spanContext().traceId;
      spanId = span.spanContext().spanId;
      obs.log.warn('inside');
    });
    await obs.forceFlush();
    const [outside, inside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(outside).toMatchObject({
      'log.level': 'info',
      message: 'outside',
      'ecs.version': '8.10.0',
      'service.name': 'checkout',
      'service.version': '1.4.2',
      'service.environment': 'production',
      'event.dataset': 'checkout',
      orderId: 'o-1',
    });
    expect(outside?.['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(outside?.['@timestamp'] as string) - Date.now())).toBeLessThan(60_000);
    expect(outside).not.toHaveProperty('trace.id');
    // The collector picks the data stream: lines never carry data_stream.* (its constant fields would refuse a mismatch).
    expect(Object.keys(outside!).some((k) => k.startsWith('data_stream'))).toBe(false);
    expect(inside).toMatchObject({
      'log.level': 'warn',
      message: 'inside',
      'trace.id': traceId,
      'span.id': spanId,
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    // logs: 'stdout' ships nothing by _bulk.
    expect(intake.bulk().filter((r) => r.ops.some((o) => o.index?.startsWith('logs-checkout')))).toEqual([]);
    expect(obs.stats().elastic!.logs).toBeUndefined();
  });

  it("names the process and host that wrote each line, as ecs-pino-format does from pino's pid and hostname", async () => {
    // Prepare: ECS lines on stdout, and lines shipped by _bulk, with a node name the user gives a child.
    intake = await EsIntake.start({ authorization: AUTH });
    const shipped = startWithElastic(intake);
    shipped.obs.log.child({ 'service.node.name': 'checkout-eu-1' }).info('shipped');
    await shipped.obs.forceFlush();
    await stopSightline();
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' });

    // Act
    obs.log.info('collected');
    obs.log.child({ 'service.node.name': 'checkout-eu-1' }).info({ process: { name: 'worker' } }, 'own');
    await obs.forceFlush();

    // Assess: pid and host on every line, flat as ecs-logging writes them; the user's node name kept.
    const [line, own] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({ 'process.pid': process.pid, 'host.hostname': hostname() });
    expect(own).toMatchObject({
      'process.pid': process.pid,
      'host.hostname': hostname(),
      'service.node.name': 'checkout-eu-1',
      process: { name: 'worker' },
    });
    expect(await collected(lines)).toEqual([201, 201]);
    const doc = intake.docs('logs-checkout-production').find((d) => d.message === 'shipped');
    expect(doc).toMatchObject({
      process: { pid: process.pid },
      host: { name: 'web-01', hostname: hostname() },
      service: { node: { name: 'checkout-eu-1' } },
    });
  });

  it('writes a logged error as ECS error.type, error.message and error.stack_trace, as ecs-pino-format does', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' });
    obs.log.error(
      { err: Object.assign(new RangeError('card declined'), { code: 'E_CARD' }) },
      'payment failed',
    );
    obs.log.error(new TypeError('gateway down'));
    obs.log.warn({ err: 'timeout', error: 'kept' }, 'not an error object');
    // A message some clients set to the body they were answered: an object.
    obs.log.error({ err: Object.assign(new Error(), { message: { code: 7 } }) }, 'refused');
    await obs.forceFlush();
    const [logged, bare, plain, refused] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toMatchObject({
      message: 'payment failed',
      error: {
        type: 'RangeError',
        message: 'card declined',
        stack_trace: expect.stringMatching(/^RangeError: card declined\n {4}at /),
        code: 'E_CARD',
      },
    });
    expect(logged).not.toHaveProperty('err');
    expect(bare).toMatchObject({
      message: 'gateway down',
      error: { type: 'TypeError', message: 'gateway down' },
    });
    expect(bare).not.toHaveProperty('err');
    expect(plain).toMatchObject({ err: 'timeout', 'labels.error': 'kept' });
    expect(refused).toMatchObject({
      error: {
        type: 'Error',
        message: '{"code":7}',
        stack_trace: expect.stringMatching(/^Error\b.*\n {4}at /),
      },
    });
    expect(refused).not.toHaveProperty('err');
  });

  it("keeps the error as err when a redact path may reach it, so pino's path still hides what it names", async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' }, { redact: ['err.session'] });
    obs.log.error({ err: Object.assign(new Error('declined'), { session: 's-SENTINEL' }) }, 'payment failed');
    await obs.forceFlush();
    expect(lines.join('\n')).not.toContain('s-SENTINEL');
    expect(JSON.parse(lines[0] as string).err).toMatchObject({ message: 'declined', session: '[Redacted]' });
    await stopSightline();

    const wildcard = startWithElastic(intake, { logs: 'stdout' }, { redact: ['*.stack'] });
    wildcard.obs.log.error({ err: new Error('declined') }, 'payment failed');
    await wildcard.obs.forceFlush();
    expect(wildcard.lines.join('\n')).not.toContain('    at ');
    expect(JSON.parse(wildcard.lines[0] as string).err).toMatchObject({ stack: '[Redacted]' });
  });

  it("keeps the error as err in a child given a redact path under it, and in that child's children", async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' });
    const err = Object.assign(new Error('declined'), { session: 's-SENTINEL' });
    const payments = obs.log.child({ lib: 'payments' }, { redact: ['err.session'] });
    payments.error({ err }, 'payment failed');
    payments
      .child({ step: 2 }, { formatters: { log: (o) => ({ ...o, tenant: 't-1' }) } })
      .error({ err }, 'retry');
    // A child given paths that do not reach the error writes it the ECS way again.
    payments.child({}, { redact: ['card'] }).error({ err: new Error('other') }, 'ecs');
    await obs.forceFlush();

    expect(lines.join('\n')).not.toContain('s-SENTINEL');
    const [failed, retry, ecs] = lines.map((l) => JSON.parse(l) as Record<string, any>);
    expect(failed?.err).toMatchObject({ message: 'declined', session: '[Redacted]' });
    expect(retry).toMatchObject({ tenant: 't-1', err: { session: '[Redacted]' } });
    expect(ecs).toMatchObject({ error: { type: 'Error', message: 'other' } });
    expect(ecs).not.toHaveProperty('err');
  });

  it('leaves OTLP the exception of a line whose error is written the ECS way', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const collector = await startCollector();
    try {
      const adapter = elastic({ node: intake.url, apiKey: API_KEY, logs: 'stdout', traces: false, env: {} });
      const logs = otlp({ url: collector.url, protocol: 'http/json', channel: FAST_CHANNEL, env: {} });
      const { obs } = startWith(adapter, { exporters: [adapter, logs] });
      obs.log.error(
        { err: Object.assign(new RangeError('card declined'), { code: 'E_CARD' }) },
        'payment failed',
      );
      obs.log.error({ err: Object.assign(new Error(), { message: { code: 7 } }) }, 'refused');
      await obs.forceFlush();
      const body = collector.accepted('logs')[0]?.json as {
        resourceLogs: { scopeLogs: { logRecords: { attributes: { key: string; value: unknown }[] }[] }[] }[];
      };
      const [record, refused] = body.resourceLogs[0]?.scopeLogs[0]?.logRecords ?? [];
      const attributesOf = (r: typeof record) =>
        Object.fromEntries((r?.attributes ?? []).map((a) => [a.key, a.value]));
      const attributes = attributesOf(record);
      expect(attributesOf(refused)).toMatchObject({
        'exception.type': { stringValue: 'Error' },
        'exception.message': { stringValue: '{"code":7}' },
        'exception.stacktrace': { stringValue: expect.stringMatching(/^Error\b/) },
      });
      expect(attributes).toMatchObject({
        'exception.type': { stringValue: 'RangeError' },
        'exception.message': { stringValue: 'card declined' },
        'exception.stacktrace': { stringValue: expect.stringMatching(/^RangeError: card declined\n/) },
        'error.code': { stringValue: 'E_CARD' },
      });
      expect(attributes).not.toHaveProperty('error');
    } finally {
      await stopSightline();
      await collector.close();
    }
  });

  it('writes a plain value logged as service, event, log or another ECS object under labels, so a collector can index the line', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' });
    obs.log.warn({ service: 'payments', event: 'signup', log: 'audit', ecs: 1, labels: 'x' }, 'retrying');
    obs.trace('checkout', () => obs.log.info({ trace: 'manual', span: 3, error: 'timeout' }, 'inside'));
    obs.log.info({ service: { team: 'payments' }, event: { action: 'signup' } }, 'as ECS has them');
    await obs.forceFlush();
    expect(await collected(lines)).toEqual([201, 201, 201]);
    const [retrying, inside, nested] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(retrying).toMatchObject({
      'service.name': 'checkout',
      'labels.service': 'payments',
      'labels.event': 'signup',
      'labels.log': 'audit',
      'labels.ecs': 1,
      'labels.labels': 'x',
    });
    expect(inside).toMatchObject({ 'labels.trace': 'manual', 'labels.span': 3, 'labels.error': 'timeout' });
    expect(nested).toMatchObject({ service: { team: 'payments' }, event: { action: 'signup' } });
  });

  it('writes an object logged as an ECS object that is written as a string (a URL, a Date, an id) under labels', async () => {
    intake = await EsIntake.start({ authorization: AUTH, ecsTemplate: true });
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' });
    // A database driver's id (MongoDB's ObjectId) is written by its toJSON as a string.
    const userId = { id: 'u-7', toJSON: () => '65a1f0c2e4b0a1b2c3d4e5f6' };
    const at = new Date('2026-01-02T03:04:05.000Z');
    obs.log.info({ url: new URL('https://shop.example/orders'), event: at, user: userId }, 'called');
    await obs.forceFlush();
    expect(await collected(lines)).toEqual([201]);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      'labels.url': 'https://shop.example/orders',
      'labels.event': '2026-01-02T03:04:05.000Z',
      'labels.user': '65a1f0c2e4b0a1b2c3d4e5f6',
    });
  });

  it('writes a message given as an object or a number as text, as _bulk sends it, so both paths index it', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const calls = (log: { info(...args: unknown[]): void }) => {
      log.info({ orderId: 'o-1' }, { step: 'charge', attempt: 2 });
      log.info({ message: { step: 'ship', token: 'abc' } });
      log.info(404);
    };
    const shipped = startWithElastic(intake);
    calls(shipped.obs.log as never);
    await shipped.obs.forceFlush();
    await stopSightline();
    const docs = intake.docs('logs-checkout-production').map((d) => d.message);
    expect(docs).toEqual(['{"step":"charge","attempt":2}', '{"step":"ship","token":"[Redacted]"}', '404']);
    const { obs, lines } = startWithElastic(intake, { logs: 'stdout' });
    calls(obs.log as never);
    await obs.forceFlush();
    expect(lines.map((l) => (JSON.parse(l) as { message: unknown }).message)).toEqual(docs);
    // Collected into the data stream the shipped lines made `message` a text field of.
    expect(await collected(lines)).toEqual([201, 201, 201]);
  });

  it('ships lines with an ECS error to _bulk with the error fields whole', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.log.error(
      { err: Object.assign(new RangeError('card declined'), { code: 'E_CARD' }) },
      'payment failed',
    );
    await obs.forceFlush();
    const doc = intake.docs('logs-checkout-production').find((d) => d.message === 'payment failed');
    expect(doc?.error).toEqual({
      type: 'RangeError',
      message: 'card declined',
      stack_trace: expect.stringMatching(/^RangeError: card declined\n/),
      code: 'E_CARD',
    });
    expect(doc?.labels).toBeUndefined();
  });
});

describe('log lines shaped by another adapter', () => {
  const identity = {
    service: 'checkout',
    environment: 'production',
    version: undefined,
    hostname: undefined,
    node: undefined,
  };
  const stream = dataStream('logs', 'checkout', 'production');

  it('maps Datadog-shaped keys (status, message, epoch timestamp) and a string service to ECS', () => {
    const keys: LogKeys = {
      messageKey: 'message',
      levelKey: 'status',
      timeKey: 'timestamp',
      timeFormat: 'epoch',
    };
    const line = JSON.stringify({
      status: 'error',
      timestamp: Date.UTC(2024, 4, 1, 12, 0, 0),
      'service.name': 'checkout',
      'deployment.environment.name': 'production',
      service: 'checkout',
      'dd.service': 'checkout',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      message: 'declined',
    });
    expect(logLineToDoc(line, keys, identity, stream, 0)).toEqual({
      '@timestamp': '2024-05-01T12:00:00.000Z',
      message: 'declined',
      log: { level: 'error' },
      trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
      span: { id: '00f067aa0ba902b7' },
      ecs: { version: '8.10.0' },
      service: { name: 'checkout', environment: 'production' },
      event: { dataset: 'checkout' },
      data_stream: { type: 'logs', dataset: 'checkout', namespace: 'production' },
      labels: { service: 'checkout' },
      dd: { service: 'checkout' },
    });
  });

  it('gives each line its own time when lines in a row carry the same, another, or no valid one', () => {
    const keys: LogKeys = { messageKey: 'msg', levelKey: 'level', timeKey: 'time', timeFormat: 'iso' };
    const now = Date.UTC(2024, 4, 1);
    const timeOf = (time: unknown) =>
      logLineToDoc(JSON.stringify({ msg: 'x', time }), keys, identity, stream, now)['@timestamp'];
    const at = '2024-05-01T12:00:00.123Z';
    expect([timeOf(at), timeOf(at), timeOf(Date.parse(at)), timeOf(Date.parse(at))]).toEqual([
      at,
      at,
      at,
      at,
    ]);
    expect(timeOf('garbage')).toBe('2024-05-01T00:00:00.000Z');
    expect(timeOf(null)).toBe('2024-05-01T00:00:00.000Z');
    expect(timeOf('2024-05-01T12:00:00.124Z')).toBe('2024-05-01T12:00:00.124Z');
    // A time written with an offset reads as the instant it names.
    expect(timeOf('2024-05-01T14:00:00.123+02:00')).toBe(at);
    expect(timeOf('2024-05-01T14:00:00.123+02:00')).toBe(at);
  });

  it('keeps a line that is not JSON as the message, and guards against empty and deep keys', () => {
    const keys: LogKeys = { messageKey: 'msg', levelKey: 'level', timeKey: 'time', timeFormat: 'epoch' };
    const now = Date.UTC(2024, 4, 1);
    expect(logLineToDoc('not json', keys, identity, stream, now)).toMatchObject({
      '@timestamp': '2024-05-01T00:00:00.000Z',
      message: 'not json',
    });
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 30; i++) deep = { d: deep };
    const doc = logLineToDoc(
      JSON.stringify({ msg: 'x', time: 'garbage', '..': 1, 'a..b': 2, deep }),
      keys,
      identity,
      stream,
      now,
    );
    expect(doc['@timestamp']).toBe('2024-05-01T00:00:00.000Z');
    expect(doc.labels).toEqual({ _: 1 });
    expect(doc.a).toEqual({ b: 2 });
    let node = doc.deep as Record<string, unknown>;
    let depth = 1;
    while (typeof node.d === 'object') {
      node = node.d as Record<string, unknown>;
      depth++;
    }
    expect(depth).toBeLessThanOrEqual(17);
    expect(typeof node.d).toBe('string');
  });
});

describe('log fields Elasticsearch would refuse or map apart', () => {
  it('delivers a line with fields named like metadata fields (a logged MongoDB document), under labels', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.log.info({ _id: '65f0c0ffee', _source: 'api', _meta: { rev: 2 }, order: { _id: 'o-1' } }, 'saved');
    await obs.forceFlush();
    const doc = intake.docs('logs-checkout-production').find((d) => d.message === 'saved');
    expect(doc).toMatchObject({
      labels: { _id: '65f0c0ffee', _source: 'api', _meta_rev: 2 },
      order: { _id: 'o-1' },
    });
    expect(Object.keys(doc!).filter((k) => k.startsWith('_'))).toEqual([]);
    expect(obs.stats().elastic!.logs?.dropped).toEqual({});
  });

  it('names the instance in service.node.name, or the node a line names itself', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake, {}, { resource: { 'service.instance.id': 'checkout-7f9c' } });
    obs.log.info('from the instance');
    obs.log.child({ 'service.node.name': 'checkout-eu-1' }).info('from a named node');
    await obs.forceFlush();
    const docs = intake.docs('logs-checkout-production');
    const node = (message: string) => docs.find((d) => d.message === message)?.service;
    expect(node('from the instance')).toMatchObject({ node: { name: 'checkout-7f9c' } });
    expect(node('from a named node')).toMatchObject({ node: { name: 'checkout-eu-1' } });
    expect(docs.find((d) => d.message === 'from a named node')).not.toHaveProperty('labels');
  });

  it('keeps the node a line names nested (service: { node: { name } }), as a dotted one is', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake, {}, { resource: { 'service.instance.id': 'checkout-7f9c' } });
    obs.log.child({ service: { node: { name: 'checkout-eu-1' } } }).info('nested');
    obs.log.child({ service: { 'node.name': 'checkout-eu-2' } }).info('half dotted');
    obs.log.child({ 'service.node': { name: 'checkout-eu-3' } }).info('dotted node');
    await obs.forceFlush();
    const docs = intake.docs('logs-checkout-production');
    const doc = (message: string) => docs.find((d) => d.message === message);
    expect(doc('nested')?.service).toMatchObject({ node: { name: 'checkout-eu-1' } });
    expect(doc('half dotted')?.service).toMatchObject({ node: { name: 'checkout-eu-2' } });
    expect(doc('dotted node')?.service).toMatchObject({ node: { name: 'checkout-eu-3' } });
    for (const message of ['nested', 'half dotted', 'dotted node'])
      expect(doc(message)).not.toHaveProperty('labels');
  });

  it('never writes to Object.prototype for a field named __proto__ (a logged query string), and keeps the line', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    // What a querystring parser makes of ?page=2&__proto__.polluted=yes, and the same written nested.
    const query = { page: '2', '__proto__.polluted': 'yes' };
    const nested = JSON.parse('{"page":"2","__proto__":{"polluted":"yes"}}');
    try {
      obs.log.info({ query }, 'listed');
      obs.log.info({ 'service.__proto__.polluted': 'yes', nested }, 'nested');
      await obs.forceFlush();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
    const docs = intake.docs('logs-checkout-production');
    expect(docs.map((d) => d.message)).toEqual(['listed', 'nested']);
    expect(docs[0]?.query).toMatchObject({ page: '2' });
    expect(obs.stats().elastic!.logs).toMatchObject({ produced: 2, delivered: 2, queued: 0 });
  });

  it('puts a plain error, trace or span field under labels, since other lines make those ECS objects', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.log.warn({ error: 'timeout', trace: 'manual', span: 3 }, 'retrying');
    obs.log.error({ err: new Error('declined') }, 'payment failed');
    obs.trace('checkout', () => obs.log.info('inside'));
    await obs.forceFlush();
    const docs = intake.docs('logs-checkout-production');
    expect(docs.map((d) => d.message)).toEqual(['retrying', 'payment failed', 'inside']);
    expect(docs[0]?.labels).toEqual({ error: 'timeout', trace: 'manual', span: 3 });
    expect(docs[1]?.error).toMatchObject({ type: 'Error', message: 'declined' });
    expect(docs[2]?.trace).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(obs.stats().elastic!.logs).toMatchObject({ produced: 3, delivered: 3, queued: 0 });
    expect(obs.stats().elastic!.logs?.dropped).toEqual({});
  });

  it('puts a plain url, http, user, agent, source or process field under labels, where ECS maps objects', async () => {
    intake = await EsIntake.start({ authorization: AUTH, ecsTemplate: true });
    const { obs } = startWithElastic(intake);
    obs.log.info(
      { url: '/orders?page=2', http: 200, user: 'u1', agent: 'curl/8.5', source: 'cron', process: 1 },
      'listed',
    );
    obs.log.info({ url: { path: '/orders' }, user: { id: 'u1' }, transaction: 'tx-1' }, 'as ECS has them');
    await obs.forceFlush();
    const docs = intake.docs('logs-checkout-production');
    expect(docs.map((d) => d.message)).toEqual(['listed', 'as ECS has them']);
    expect(docs[0]?.labels).toEqual({
      url: '/orders?page=2',
      http: 200,
      user: 'u1',
      agent: 'curl/8.5',
      source: 'cron',
      process: 1,
    });
    expect(docs[1]).toMatchObject({
      url: { path: '/orders' },
      user: { id: 'u1' },
      labels: { transaction: 'tx-1' },
    });
    expect(obs.stats().elastic!.logs).toMatchObject({ produced: 2, delivered: 2, queued: 0, dropped: {} });
  });

  it("keeps the line's own labels a flat map of scalars, dots as _, next to the collided fields", async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.log.info(
      {
        labels: { 'http.route': '/a', nested: { k: 1 }, ids: [1, 2], rows: [{ a: 1 }], service: 'mine' },
        'labels.zone': 'eu-1',
        service: 'billing',
        'a.b': 1,
        a: 2,
      },
      'labelled',
    );
    await obs.forceFlush();
    const doc = intake.docs('logs-checkout-production').find((d) => d.message === 'labelled');
    expect(doc?.labels).toEqual({
      http_route: '/a',
      nested_k: 1,
      ids: [1, 2],
      rows: '[{"a":1}]',
      zone: 'eu-1',
      service: 'mine',
      a: 2,
    });
  });
});
