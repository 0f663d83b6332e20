import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertInstalled } from '../../../adapters/cloudwatch/aws-sdk.js';
import { cloudwatch } from '../../../adapters/cloudwatch/index.js';
import { getSightline } from '../../../src/index.js';
import type { SignalStats } from '../../../src/export/index.js';
import { startHungBackend } from '../../helpers/hung-backend.js';
import { anomalyEvent, CREDENTIALS, FAST_RETRY, startApi } from './helpers.js';
import { type AwsIntake, startAwsIntake } from './intake-server.js';

const GOLDEN = new URL('../../fixtures/golden/cloudwatch/put-metric-data.json', import.meta.url);

let intake: AwsIntake | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await getSightline()?.shutdown();
  await intake?.close();
  intake = undefined;
  vi.restoreAllMocks();
});

/** Sends anomaly events stamped at `times` to a loopback CloudWatch whose log stream exists. */
async function sendEventsAt(times: readonly number[]): Promise<AwsIntake> {
  intake = await startAwsIntake();
  intake.streams.add('/shop/checkout').add('/shop/checkout:web-1');
  const { obs } = startApi(intake.url, {
    logs: false,
    channel: { retry: FAST_RETRY, flushIntervalMs: 60_000 },
  });
  for (const time of times) (obs as any).emitAnomaly(anomalyEvent({ time }));
  await obs.forceFlush();
  return intake;
}

const cw = () => getSightline()!.stats().cloudwatch!;
const balanced = (s: SignalStats) => {
  const dropped = Object.values(s.dropped).reduce((a, b) => a + (b ?? 0), 0);
  expect(s.produced).toBe(s.delivered + dropped + s.queued);
};
const userMetricData = (i: AwsIntake) =>
  i.requests
    .filter((r) => r.operation === 'PutMetricData')
    .flatMap((r) => r.body.MetricData as any[])
    .filter((d) => !d.MetricName.startsWith('sightline.'));

describe('api mode against a loopback CloudWatch', () => {
  it('sends PutMetricData over AWS JSON 1.0 and log lines by PutLogEvents, creating the group and stream', async () => {
    intake = await startAwsIntake();
    const { obs, logLines } = startApi(intake.url);
    obs.metrics.counter('orders.placed', { unit: '{order}' }).add(3, { region: 'eu' });
    obs.metrics.gauge('queue.bytes', { unit: 'By' }).record(2048);
    const latency = obs.metrics.histogram('checkout.duration', { unit: 'ms', buckets: [10, 50, 100] });
    for (const v of [4, 6, 20, 30, 40, 70, 250]) latency.record(v, { region: 'eu' });
    obs.log.info({ orderId: 'o-1' }, 'order placed');
    await obs.forceFlush();

    const put = intake.requests.find((r) => r.operation === 'PutMetricData')!;
    expect(put.headers['x-amz-target']).toBe('GraniteServiceVersion20100801.PutMetricData');
    expect(put.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(put.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDFAKEFORTESTS0001\/\d{8}\/eu-west-1\/monitoring\/aws4_request/,
    );
    expect(put.body.Namespace).toBe('Sightline/checkout');
    const data = userMetricData(intake)
      .map((d) => ({ ...d, Timestamp: 0 }))
      .sort((a, b) => a.MetricName.localeCompare(b.MetricName));
    for (const d of userMetricData(intake))
      expect(Math.abs(d.Timestamp * 1000 - Date.now())).toBeLessThan(60_000);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(data, null, 2)}\n`);
    expect(data).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));

    const ops = intake.requests.filter((r) => r.operation !== 'PutMetricData').map((r) => r.operation);
    expect(ops).toEqual([
      'PutLogEvents',
      'CreateLogStream',
      'CreateLogGroup',
      'CreateLogStream',
      'PutLogEvents',
    ]);
    const putLogs = intake.requests.filter((r) => r.operation === 'PutLogEvents').at(-1)!;
    expect(putLogs.headers['x-amz-target']).toBe('Logs_20140328.PutLogEvents');
    expect(putLogs.headers['content-type']).toBe('application/x-amz-json-1.1');
    const stored = intake.stored.get('/shop/checkout:web-1')!;
    expect(stored.map((e) => e.message)).toEqual(logLines.map((l) => l.trimEnd()));
    expect(stored[0]!.timestamp).toBe(JSON.parse(logLines[0]!).time);
    expect(cw().metrics).toMatchObject({ queued: 0 });
    expect(cw().metrics?.dropped).toEqual({});
    expect(cw().logs).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
    expect(cw().logs?.dropped).toEqual({});
  });

  it('creates a missing stream in a group that exists without asking for CreateLogGroup, which a least-privilege role lacks', async () => {
    intake = await startAwsIntake();
    intake.streams.add('/shop/checkout');
    intake.denied.add('CreateLogGroup');
    const { obs } = startApi(intake.url, { events: false });
    obs.log.info('hello');
    await obs.forceFlush();
    expect(intake.stored.get('/shop/checkout:web-1')).toHaveLength(1);
    expect(intake.requests.map((r) => r.operation)).not.toContain('CreateLogGroup');
    expect(cw().logs).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
    expect(cw().logs?.dropped).toEqual({});
  });

  it('sends log lines to the group /sightline/<service> and the stream <environment>/<host name>/<pid> unless told otherwise', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { events: false, logGroup: undefined, logStream: undefined });
    obs.log.info('hello');
    await obs.forceFlush();
    expect(intake.stored.get(`/sightline/checkout:prod/${hostname()}/${process.pid}`)).toHaveLength(1);
  });

  it('retries throttling (CloudWatch Throttling, Logs ThrottlingException) and 5xx until delivered', async () => {
    intake = await startAwsIntake();
    intake.streams.add('/shop/checkout').add('/shop/checkout:web-1');
    intake.script(
      'PutMetricData',
      {
        status: 400,
        type: 'com.amazon.coral.availability#ThrottlingException',
        queryCode: 'Throttling;Sender',
      },
      { status: 500, type: 'InternalServiceFault', queryCode: 'InternalServiceError;Receiver' },
    );
    intake.script(
      'PutLogEvents',
      { status: 400, type: 'ThrottlingException' },
      { status: 503, type: 'ServiceUnavailableException' },
    );
    const { obs } = startApi(intake.url);
    obs.metrics.counter('orders.placed').add(1);
    obs.log.info('hello');
    await obs.forceFlush();
    expect(intake.requests.filter((r) => r.operation === 'PutMetricData')).toHaveLength(3);
    expect(intake.requests.filter((r) => r.operation === 'PutLogEvents')).toHaveLength(3);
    expect(userMetricData(intake)).toHaveLength(3);
    const { metrics, logs } = cw();
    expect(metrics!.retried).toBeGreaterThan(0);
    expect(metrics).toMatchObject({ queued: 0 });
    expect(metrics?.dropped).toEqual({});
    expect(logs).toMatchObject({ produced: 1, delivered: 1, retried: 2 });
    expect(logs?.dropped).toEqual({});
  });

  it('drops a batch CloudWatch rejects as invalid, without retrying it', async () => {
    intake = await startAwsIntake();
    intake.streams.add('/shop/checkout').add('/shop/checkout:web-1');
    intake.script('PutMetricData', {
      status: 400,
      type: 'InvalidParameterValueException',
      queryCode: 'InvalidParameterValue;Sender',
    });
    intake.script('PutLogEvents', { status: 400, type: 'InvalidParameterException' });
    const { obs } = startApi(intake.url);
    obs.metrics.counter('orders.placed').add(1);
    obs.log.info('hello');
    await obs.forceFlush();
    expect(intake.requests.filter((r) => r.operation === 'PutMetricData')).toHaveLength(1);
    expect(intake.requests.filter((r) => r.operation === 'PutLogEvents')).toHaveLength(1);
    const { metrics, logs } = cw();
    expect(metrics!.dropped.rejected).toBe(metrics!.produced);
    expect(logs).toMatchObject({ produced: 1, delivered: 0, retried: 0, dropped: { rejected: 1 } });
  });

  it('counts the events PutLogEvents reports in rejectedLogEventsInfo as rejected', async () => {
    intake = await startAwsIntake();
    intake.streams.add('/shop/checkout').add('/shop/checkout:web-1');
    intake.script('PutLogEvents', {
      status: 200,
      body: { rejectedLogEventsInfo: { tooOldLogEventEndIndex: 2 } },
    });
    const { obs } = startApi(intake.url, { channel: { retry: FAST_RETRY, flushIntervalMs: 60_000 } });
    for (let i = 0; i < 5; i++) obs.log.info(`line ${i}`);
    await obs.forceFlush();
    expect(cw().logs).toMatchObject({ produced: 5, delivered: 3, dropped: { rejected: 2 }, queued: 0 });
  });

  it('counts events CloudWatch refuses as too old or too new as rejected, and delivers the rest', async () => {
    const now = Date.now();
    const aws = await sendEventsAt([
      now - 15 * 24 * 3600 * 1000,
      now - 1000,
      now,
      now + 3 * 3600 * 1000,
      now + 1000,
    ]);
    const stored = aws.stored.get('/shop/checkout:web-1')!;
    expect(stored.map((e) => e.timestamp - now)).toEqual([-1000, 0, 1000]);
    expect(cw().events).toMatchObject({ produced: 5, delivered: 3, dropped: { rejected: 2 }, queued: 0 });
  });

  it('sends a queued anomaly event within the shutdown deadline while the traces collector hangs', async () => {
    intake = await startAwsIntake();
    intake.streams.add('/shop/checkout').add('/shop/checkout:web-1');
    const hung = await startHungBackend();
    try {
      const { obs } = startApi(intake.url, {
        logs: false,
        traces: true,
        endpoints: { metrics: intake.url, logs: intake.url, traces: `${hung.url}/v1/traces` },
        // Nothing is sent before shutdown() asks for it.
        channel: { retry: FAST_RETRY, flushIntervalMs: 60_000 },
      });
      obs.trace('checkout', () => {});
      (obs as any).emitAnomaly(anomalyEvent({ time: Date.now() }));
      await obs.shutdown({ timeoutMs: 500 });
      expect(intake.stored.get('/shop/checkout:web-1')).toHaveLength(1);
      const events = obs.stats().cloudwatch?.events;
      expect(events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
      expect(events?.dropped).toEqual({});
    } finally {
      await hung.close();
    }
  });

  it('keeps the service unaffected with CloudWatch down for the whole test, then delivers once it is back', async () => {
    const probe = await startAwsIntake();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const { obs } = startApi(`http://127.0.0.1:${port}`, {
      channel: {
        retry: { initialDelayMs: 20, maxDelayMs: 100, maxElapsedMs: 60_000 },
        queueSize: 20,
        flushIntervalMs: 50,
      },
    });
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      obs.metrics.counter('orders.placed').add(1, { shard: String(i % 40) });
      obs.log.info({ i }, 'order');
    }
    const recording = performance.now() - started;
    await obs.forceFlush({ timeoutMs: 500 });
    const down = cw();
    for (const s of [down.metrics!, down.logs!]) {
      balanced(s);
      expect(s.delivered).toBe(0);
      expect(s.queued).toBeLessThanOrEqual(20);
      expect(s.dropped.queue_full).toBeGreaterThan(0);
    }
    // Recording never waited on the network: 200 calls took far less than one connection attempt's back-off.
    expect(recording).toBeLessThan(2000);

    intake = await startAwsIntake(port);
    intake.streams.add('/shop/checkout').add('/shop/checkout:web-1');
    for (let i = 0; i < 50 && (cw().logs!.queued > 0 || cw().metrics!.queued > 0); i++)
      await obs.forceFlush({ timeoutMs: 500 });
    const up = cw();
    for (const s of [up.metrics!, up.logs!]) {
      balanced(s);
      expect(s.queued).toBe(0);
      expect(s.delivered).toBeGreaterThan(0);
    }
    expect(intake.stored.get('/shop/checkout:web-1')!.length).toBe(up.logs!.delivered);
  });
});

describe('api mode limits', () => {
  it("sends a histogram's min, max and sum as recorded among its Values, so its statistics are right", async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    const latency = obs.metrics.histogram('checkout.duration', { unit: 'ms' });
    for (const v of [3, 70, 74, 600]) latency.record(v);
    await obs.forceFlush();
    const data = userMetricData(intake).filter((d) => d.MetricName === 'checkout.duration');
    const values = data.flatMap((d) => d.Values as number[]);
    const counts = data.flatMap((d) => d.Counts as number[]);
    const sum = values.reduce((a, v, i) => a + v * counts[i]!, 0);
    const sampleCount = counts.reduce((a, b) => a + b, 0);
    expect([sampleCount, Math.min(...values), Math.max(...values)]).toEqual([4, 3, 600]);
    expect(sum).toBeCloseTo(747, 9);
  });

  it('sends at most 1,000 metrics per PutMetricData request', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    const g = obs.metrics.gauge('pool.size');
    for (let i = 0; i < 1500; i++) g.record(i, { pool: `p${i}` });
    await obs.forceFlush();
    const puts = intake.requests.filter((r) => r.operation === 'PutMetricData');
    expect(puts.length).toBeGreaterThanOrEqual(2);
    for (const p of puts) expect(p.body.MetricData.length).toBeLessThanOrEqual(1000);
    expect(userMetricData(intake)).toHaveLength(1500);
    expect(cw().metrics).toMatchObject({ queued: 0 });
    expect(cw().metrics?.dropped).toEqual({});
  });

  it('keeps apart metrics whose names differ only past the 255 characters PutMetricData takes, and counts the cut', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    const long = `orders.${'x'.repeat(300)}`;
    obs.metrics.counter(`${long}.placed`).add(2);
    obs.metrics.counter(`${long}.cancelled`).add(5);
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();
    const data = userMetricData(intake);
    expect(data.map((d) => d.Value).sort()).toEqual([1, 2, 5]);
    expect(new Set(data.map((d) => d.MetricName)).size).toBe(3);
    for (const d of data) expect(d.MetricName.length).toBeLessThanOrEqual(255);
    expect(data.filter((d) => d.MetricName.startsWith(long.slice(0, 200)))).toHaveLength(2);
    expect(cw().metrics).toMatchObject({ queued: 0 });
    expect(cw().metrics?.dropped).toEqual({});
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('leaves out a metric without a name, which CloudWatch refuses with the whole request', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    obs.metrics.counter('').add(1);
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();
    expect(userMetricData(intake).map((d) => `${d.MetricName}=${d.Value}`)).toEqual(['orders.placed=1']);
    expect(cw().metrics!.dropped).toEqual({ invalid: 1 });
  });

  it('sends a unit named as an Object method (toString, constructor) as None, which CloudWatch takes with the request', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    obs.metrics.counter('calls.rate', { unit: 'toString/s' }).add(1);
    obs.metrics.gauge('pool.size', { unit: 'constructor' }).record(2);
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();
    const units = userMetricData(intake).map((d) => `${d.MetricName}=${d.Value} ${d.Unit}`);
    expect(units.sort()).toEqual(['calls.rate=1 None', 'orders.placed=1 Count', 'pool.size=2 None']);
    expect(cw().metrics!.dropped).toEqual({});
  });

  it('leaves out a sum that overflowed to Infinity, which CloudWatch refuses with the whole request', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    const bytes = obs.metrics.counter('bytes.total');
    bytes.add(1e308);
    bytes.add(1e308);
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();
    expect(intake.requests.filter((r) => r.operation === 'PutMetricData').length).toBeGreaterThan(0);
    expect(userMetricData(intake).map((d) => `${d.MetricName}=${d.Value}`)).toEqual(['orders.placed=1']);
    expect(cw().metrics!.dropped).toEqual({ invalid: 1 });
  });

  it('leaves out a value beyond the ±2^360 CloudWatch takes, such as a Number.MAX_VALUE placeholder', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    obs.metrics.gauge('latency.min', { unit: 'ms' }).record(Number.MAX_VALUE);
    obs.metrics.histogram('payload.size', { unit: 'By', buckets: [1e100] }).record(1e200);
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();
    expect(intake.requests.filter((r) => r.operation === 'PutMetricData').length).toBeGreaterThan(0);
    expect(userMetricData(intake).map((d) => `${d.MetricName}=${d.Value}`)).toEqual(['orders.placed=1']);
    expect(cw().metrics!.dropped).toEqual({ invalid: 2 });
  });

  it('drops a point queued past the two weeks PutMetricData takes (a paused process) as expired, so the request of the points sent with it is not refused', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, {
      logs: false,
      events: false,
      metricIntervalMs: 100,
      channel: { retry: FAST_RETRY, flushIntervalMs: 3_600_000 },
    });
    obs.metrics.counter('orders.placed').add(1);
    const queued = () => cw().metrics!.queued;
    while (queued() === 0) await new Promise((r) => setTimeout(r, 20));
    // The process stood still for 15 days (a paused container, a restored snapshot) with the point queued.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 15 * 24 * 3_600_000, shouldAdvanceTime: true });
    obs.metrics.counter('orders.refunded').add(1);
    await obs.forceFlush();
    const { dropped } = cw().metrics!;
    expect(Object.keys(dropped)).toEqual(['expired']);
    expect(dropped.expired).toBeGreaterThan(0);
    const sent = userMetricData(intake).filter((d) => d.Timestamp * 1000 > Date.now() - 60_000);
    expect(sent.map((d) => d.MetricName)).toContain('orders.refunded');
    expect(cw().metrics!.delivered).toBeGreaterThan(0);
    balanced(cw().metrics!);
  });

  it('sends dimension names as printable ASCII, so one attribute such as región never gets a request refused', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    obs.metrics.counter('orders.placed').add(1, { región: 'eu', '\u0007 ': 'bell', '  ': 'blank' });
    obs.metrics.counter('orders.refunded').add(1, { region: 'eu' });
    await obs.forceFlush();
    const placed = userMetricData(intake).find((d) => d.MetricName === 'orders.placed');
    expect(placed.Dimensions.map((d: any) => d.Name)).toEqual(['Service', 'Environment', 'regi_n']);
    expect(
      userMetricData(intake)
        .map((d) => d.MetricName)
        .sort(),
    ).toEqual(['orders.placed', 'orders.refunded']);
    expect(cw().metrics).toMatchObject({ queued: 0 });
    expect(cw().metrics?.dropped).toEqual({});
  });

  it('keeps apart series whose dimension values differ only past the 1,024 characters PutMetricData takes, and counts the cut', async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, events: false });
    const search = `https://shop.example/search?q=${'z'.repeat(1100)}`;
    const hits = obs.metrics.counter('search.hits');
    hits.add(2, { 'url.full': `${search}&page=1` });
    hits.add(5, { 'url.full': `${search}&page=2` });
    await obs.forceFlush();
    const data = userMetricData(intake).filter((d) => d.MetricName === 'search.hits');
    expect(data.map((d) => d.Value).sort()).toEqual([2, 5]);
    const values = data.map((d) => d.Dimensions.find((x: any) => x.Name === 'url.full').Value as string);
    expect(new Set(values).size).toBe(2);
    for (const v of values) expect(v).toHaveLength(1024);
    expect(cw().metrics?.dropped).toEqual({});
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('keeps at most 30 dimensions, counts what it left out and says so once per collection', async () => {
    intake = await startAwsIntake();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { obs } = startApi(intake.url, {}, { diagnostics: 'warn' });
    const attributes: Record<string, string> = { _aws: 'x' };
    for (let i = 0; i < 35; i++) attributes[`a${String(i).padStart(2, '0')}`] = `v${i}`;
    const wide = obs.metrics.counter('wide');
    wide.add(1, attributes);
    wide.add(1, { ...attributes, a00: 'other' });
    await obs.forceFlush();
    const data = userMetricData(intake).filter((d) => d.MetricName === 'wide');
    expect(data).toHaveLength(2);
    for (const d of data) expect(d.Dimensions).toHaveLength(30);
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said.filter((l) => l.includes('export.cloudwatch.metrics.'))).toEqual([
      expect.stringContaining('cloudwatch metrics: 14 dimensions beyond'),
      expect.stringContaining('cloudwatch metrics: 2 attributes named _aws'),
    ]);
    expect(obs.drops().attribute_count_limit).toBe(14);
    expect(obs.drops().invalid_attribute).toBe(2);
  });

  it("counts attributes left out of the dimensions for a blank name, an empty value or a static dimension's name", async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url);
    obs.metrics.counter('orders').add(1, { Service: 'other', region: '', '  ': 'blank', route: '/pay' });
    await obs.forceFlush();
    const [datum] = userMetricData(intake).filter((d) => d.MetricName === 'orders');
    expect(datum!.Dimensions.map((d: { Name: string }) => d.Name)).toEqual([
      'Service',
      'Environment',
      'route',
    ]);
    expect(obs.drops().invalid_attribute).toBe(3);
  });

  it("keeps an anomaly event's message, level and Metric against attributes and dimensions of those names, counting them", async () => {
    intake = await startAwsIntake();
    const { obs } = startApi(intake.url, { logs: false, dimensions: { Metric: 'static', team: 'pay' } });
    const attributes = { message: 'card declined', level: 'error', region: 'eu' };
    (obs as any).emitAnomaly(anomalyEvent({ attributes, time: Date.now() }));
    await obs.forceFlush();
    const [stored] = intake.stored.get('/shop/checkout:web-1')!;
    const doc = JSON.parse(stored!.message);
    expect(doc).toMatchObject({
      Metric: 'orders.placed',
      level: 'warn',
      message: 'orders.placed{region=eu} dropped to 3 against an expected 30..50',
    });
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service', 'Environment', 'team', 'Metric', 'region'],
    ]);
    expect(obs.drops().invalid_attribute).toBe(3);
    expect(cw().events).toMatchObject({ produced: 1, delivered: 1 });
  });

  it('cuts log batches at 10,000 events and at 1,048,576 bytes counted with 26 bytes per event', async () => {
    intake = await startAwsIntake();
    intake.streams.add('/shop/checkout').add('/shop/checkout:web-1');
    const { obs } = startApi(intake.url, {
      events: false,
      channel: { retry: FAST_RETRY, flushIntervalMs: 60_000, queueSize: 30_000 },
    });
    for (let i = 0; i < 12_000; i++) obs.log.info(`small ${i}`);
    const big = 'x'.repeat(300_000);
    for (let i = 0; i < 7; i++) obs.log.info({ big }, `big ${i}`);
    await obs.forceFlush({ timeoutMs: 10_000 });
    const puts = intake.requests.filter((r) => r.operation === 'PutLogEvents');
    for (const p of puts) {
      expect(p.body.logEvents.length).toBeLessThanOrEqual(10_000);
      const size = p.body.logEvents.reduce((n: number, e: any) => n + Buffer.byteLength(e.message) + 26, 0);
      expect(size).toBeLessThanOrEqual(1_048_576);
    }
    // sightline's lines are 80+ bytes, so 10,000 of them pass 1 MB: the byte limit binds first, and
    // batches are cut right under it.
    const sizes = puts.map((p) =>
      p.body.logEvents.reduce((n: number, e: any) => n + Buffer.byteLength(e.message) + 26, 0),
    );
    expect(Math.max(...sizes)).toBeGreaterThan(1_048_576 - 2000);
    expect(intake.stored.get('/shop/checkout:web-1')).toHaveLength(12_007);
    expect(cw().logs).toMatchObject({ produced: 12_007, delivered: 12_007 });
    expect(cw().logs?.dropped).toEqual({});
  });

  it('sends events in chronological order and never one batch spanning more than 24 hours', async () => {
    const now = Date.now();
    const aws = await sendEventsAt([
      now,
      now - 2000,
      now - 1000,
      now - 25 * 3600 * 1000,
      now - 25 * 3600 * 1000 + 5,
    ]);
    const puts = aws.requests.filter((r) => r.operation === 'PutLogEvents');
    expect(puts.length).toBeGreaterThanOrEqual(2);
    for (const p of puts) {
      const ts = p.body.logEvents.map((e: any) => e.timestamp);
      expect(ts).toEqual([...ts].sort((a: number, b: number) => a - b));
      expect(ts.at(-1) - ts[0]).toBeLessThanOrEqual(24 * 3600 * 1000);
    }
    expect(aws.stored.get('/shop/checkout:web-1')).toHaveLength(5);
    const doc = JSON.parse(aws.stored.get('/shop/checkout:web-1')![0]!.message);
    expect(doc._aws.CloudWatchMetrics[0].Metrics.map((m: any) => m.Name)).toEqual([
      'AnomalyScore',
      'AnomalySeverity',
    ]);
    expect(cw().events).toMatchObject({ produced: 5, delivered: 5 });
    expect(cw().events?.dropped).toEqual({});
  });
});

describe('credentials', () => {
  it('never appear in log lines, diagnostics or request bodies, only as the key id in the signature header', async () => {
    intake = await startAwsIntake();
    intake.script('PutMetricData', {
      status: 400,
      type: 'InvalidParameterValueException',
      queryCode: 'InvalidParameterValue;Sender',
    });
    intake.script('PutLogEvents', { status: 403, type: 'UnrecognizedClientException' });
    const printed: string[] = [];
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
    vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
    const { obs, logLines } = startApi(intake.url, {}, { diagnostics: 'debug' });
    obs.metrics.counter('orders.placed').add(1);
    obs.log.info('hello');
    await obs.forceFlush();
    await obs.shutdown();
    vi.restoreAllMocks();
    expect(printed.join('')).toContain('cloudwatch');
    const everything = [
      ...printed,
      ...logLines,
      ...intake.requests.map((r) => JSON.stringify(r.body)),
      JSON.stringify(obs.stats()),
    ].join('\n');
    for (const secret of [CREDENTIALS.secretAccessKey, CREDENTIALS.sessionToken]) {
      expect(everything).not.toContain(secret);
      for (const r of intake.requests) expect(r.headers.authorization).not.toContain(secret);
    }
  });

  it('are never echoed by a configuration error', () => {
    let message = '';
    try {
      cloudwatch({
        mode: 'api',
        region: 'eu-west-1',
        credentials: { accessKeyId: '', secretAccessKey: 'TopSecretValue' },
      });
    } catch (error) {
      message = String((error as Error).message);
      expect((error as { code?: string }).code).toBe('SL_ERR_CONFIG_MISSING_CREDENTIALS');
    }
    expect(message).toContain('credentials');
    expect(message).not.toContain('TopSecretValue');
  });
});

describe('the AWS SDK as an optional dependency', () => {
  it('fails setup with SL_ERR_CONFIG_MISSING_DEPENDENCY naming a package that is not installed', () => {
    expect(() => assertInstalled('@aws-sdk/client-not-installed-anywhere')).toThrowError(
      expect.objectContaining({
        code: 'SL_ERR_CONFIG_MISSING_DEPENDENCY',
        message: expect.stringContaining('npm install @aws-sdk/client-not-installed-anywhere'),
      }),
    );
    expect(() => assertInstalled('@aws-sdk/client-cloudwatch')).not.toThrow();
  });

  it('names every package missing at once, so the install it tells of is the one that is needed', () => {
    // Neither SDK installed: naming the first alone sent the user to install it, then failed again.
    let message = '';
    try {
      assertInstalled('@aws-sdk/client-cloudwatch', '@aws-sdk/client-a-missing', '@aws-sdk/client-b-missing');
    } catch (error) {
      expect((error as { code?: string }).code).toBe('SL_ERR_CONFIG_MISSING_DEPENDENCY');
      message = String((error as Error).message);
    }
    expect(message).toContain('npm install @aws-sdk/client-a-missing @aws-sdk/client-b-missing');
    expect(message).not.toContain('npm install @aws-sdk/client-cloudwatch');
  });
});
