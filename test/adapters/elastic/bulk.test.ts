import { afterEach, describe, expect, it } from 'vitest';
import { startHungBackend } from '../../helpers/hung-backend.js';
import { everyTurn } from '../../helpers/turns.js';
import { ANOMALY, API_KEY, AUTH, PASSWORD, startWithElastic, stopSightline } from './helpers.js';
import { EsIntake } from './intake-server.js';

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

describe('elastic _bulk delivery', () => {
  it('sends create actions to the logs, metrics and anomaly data streams, gzipped NDJSON with the API key', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.metrics.counter('orders.placed').add(3, { region: 'eu' });
    obs.log.info({ orderId: 'o-1' }, 'order placed');
    (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly({
      metric: 'orders.placed',
      attributes: {},
      time: Date.now(),
      observed: 1,
      expected: 10,
      band: { lower: 5, upper: 15 },
      score: 0.9,
      severity: 80,
      kind: 'dip',
      explanation: 'orders fell',
      service: 'checkout',
      environment: 'production',
    });
    await obs.forceFlush();

    const bulk = intake.bulk();
    expect(bulk.length).toBeGreaterThanOrEqual(3);
    for (const r of bulk) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/_bulk');
      expect(r.headers.authorization).toBe(`ApiKey ${API_KEY}`);
      expect(r.headers['content-type']).toBe('application/x-ndjson');
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.body.toString('utf8').endsWith('\n')).toBe(true);
      expect(r.query.get('filter_path')).toContain('items.*.status');
      expect(r.status).toBe(200);
      for (const op of r.ops) expect(op.action).toBe('create');
    }
    expect(intake.docs('logs-checkout-production').map((d) => d.message)).toContain('order placed');
    // The anomaly is also logged (warn) by the core, so it shows in the logs stream as well.
    expect(intake.docs('logs-sightline.anomaly-production')).toHaveLength(1);
    // sightline's own export metrics share the stream; pick the business metric.
    const metric = intake.docs('metrics-checkout-production').find((d) => 'orders' in d);
    expect(metric).toMatchObject({
      orders: { placed: 3 },
      labels: { region: 'eu' },
      event: { kind: 'metric' },
    });
    const stats = obs.stats().elastic!;
    expect(stats.logs).toMatchObject({ delivered: 2, queued: 0 });
    expect(stats.logs?.dropped).toEqual({});
    expect(stats.metrics).toMatchObject({ queued: 0 });
    expect(stats.metrics?.dropped).toEqual({});
    expect(stats.metrics!.delivered).toBe(intake.docs('metrics-checkout-production').length);
    expect(stats.events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
    expect(stats.events?.dropped).toEqual({});
  });

  it('turns a big collection into documents over several turns of the event loop, not in one stretch', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    const orders = obs.metrics.counter('orders.placed');
    // 1,800 series, under the cardinality limit of one instrument.
    for (let i = 0; i < 1800; i++) orders.add(1, { customer: `c-${i}` });
    // The metric documents made so far, read on every turn while the collection is exported.
    const made = () => obs.stats().elastic?.metrics?.produced ?? 0;
    const seen = everyTurn(made);
    await obs.forceFlush();
    expect(made()).toBeGreaterThanOrEqual(1800);
    // A turn came while the documents were being made: the service's requests were not held for all.
    expect(seen.stop().some((n) => n > 0 && n < 1800)).toBe(true);
  });

  it('delivers a metric named like a metadata field under metrics.', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.metrics.counter('_version').add(2, { region: 'eu' });
    await obs.forceFlush();
    const metric = intake.docs('metrics-checkout-production').find((d) => 'metrics' in d);
    expect(metric).toMatchObject({ metrics: { _version: 2 }, labels: { region: 'eu' } });
    expect(Object.keys(metric!).filter((k) => k.startsWith('_'))).toEqual([]);
    expect(obs.stats().elastic!.metrics?.dropped).toEqual({});
  });

  it('delivers a metric recorded with an attribute without a name, leaving that one out, counted', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    obs.metrics.counter('orders.placed').add(2, { '': 'x', region: 'eu' });
    await obs.forceFlush();
    const metric = intake.docs('metrics-checkout-production').find((d) => 'orders' in d);
    expect(metric).toMatchObject({ orders: { placed: 2 }, labels: { region: 'eu' } });
    expect(obs.stats().elastic!.metrics?.dropped).toEqual({});
    expect(obs.drops()).toEqual({ invalid_attribute: 1 });
  });

  it('keeps apart series whose attribute names ECS labels write alike (http.route and http_route)', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    const orders = obs.metrics.counter('orders.placed');
    orders.add(2, { 'http.route': '/a', http_route: 'v2' });
    orders.add(5, { 'http.route': '/b', http_route: 'v2' });
    await obs.forceFlush();
    const docs = intake.docs('metrics-checkout-production').filter((d) => 'orders' in d);
    const labels = docs.map((d) => JSON.stringify(d.labels));
    expect(docs).toHaveLength(2);
    expect(new Set(labels).size).toBe(2);
    for (const d of docs) {
      const values = Object.values(d.labels as Record<string, string>).sort();
      expect(values).toEqual([(d.orders as { placed: number }).placed === 2 ? '/a' : '/b', 'v2']);
      // The one recorded under the name ECS takes keeps it.
      expect((d.labels as Record<string, string>).http_route).toBe('v2');
    }
  });

  it('keeps the fractions of a gauge and a histogram whose first values were whole numbers', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    const ratio = obs.metrics.gauge('cpu.ratio');
    const latency = obs.metrics.histogram('payment.duration', { unit: 'ms' });
    ratio.record(1);
    latency.record(12);
    await obs.forceFlush();
    ratio.record(0.25);
    latency.record(2.5);
    await obs.forceFlush();

    const stream = 'metrics-checkout-production';
    expect(intake.docValues(stream, 'cpu.ratio')).toEqual([1, 0.25]);
    expect(intake.docValues(stream, 'payment.duration.sum')).toEqual([12, 2.5]);
    expect(intake.docValues(stream, 'payment.duration.max')).toEqual([12, 2.5]);
    expect(intake.docValues(stream, 'payment.duration.count')).toEqual([1, 1]);
  });

  it("keeps the fractions of an anomaly's figures whose first event had whole numbers", async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    const emit = (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly.bind(obs);
    emit({ ...ANOMALY, observed: 0, expected: 40, band: { lower: 30, upper: 50 }, score: 1 });
    await obs.forceFlush();
    emit({ ...ANOMALY, observed: 2.5, expected: 42.5, band: { lower: 30.5, upper: 55.5 }, score: 0.97 });
    await obs.forceFlush();

    const stream = 'logs-sightline.anomaly-production';
    expect(intake.docValues(stream, 'sightline.anomaly.observed')).toEqual([0, 2.5]);
    expect(intake.docValues(stream, 'sightline.anomaly.expected')).toEqual([40, 42.5]);
    expect(intake.docValues(stream, 'sightline.anomaly.band.lower')).toEqual([30, 30.5]);
    expect(intake.docValues(stream, 'sightline.anomaly.score')).toEqual([1, 0.97]);
  });

  it('sends plain NDJSON when gzip is off, and basic auth from username/password', async () => {
    const basic = `Basic ${Buffer.from(`ingest:${PASSWORD}`).toString('base64')}`;
    intake = await EsIntake.start({ authorization: basic });
    const { obs } = startWithElastic(intake, {
      apiKey: undefined,
      username: 'ingest',
      password: PASSWORD,
      channel: { flushIntervalMs: 50, gzip: false },
    });
    obs.log.info('first');
    obs.log.warn('second');
    await obs.forceFlush();
    const r = intake.bulk().find((b) => b.ops[0]?.index === 'logs-checkout-production');
    expect(r?.headers['content-encoding']).toBeUndefined();
    expect(r?.headers.authorization).toBe(basic);
    const lines = r!.body.toString('utf8').split('\n');
    expect(lines).toHaveLength(5); // two action/source pairs and the final newline
    expect(lines[4]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ create: { _index: 'logs-checkout-production' } });
    expect(JSON.parse(lines[1]!)).toMatchObject({ message: 'first', log: { level: 'info' } });
    expect(JSON.parse(lines[3]!)).toMatchObject({ message: 'second', log: { level: 'warn' } });
    expect(intake.docs('logs-checkout-production')).toHaveLength(2);
  });

  it('keeps a path prefix of node (a proxy mount point) and takes user info from the URL as basic auth', async () => {
    const basic = `Basic ${Buffer.from(`elastic:${PASSWORD}`).toString('base64')}`;
    intake = await EsIntake.start({ authorization: basic });
    const node = intake.url.replace('http://', `http://elastic:${PASSWORD}@`) + '/es/';
    const { obs } = startWithElastic({ url: node }, { apiKey: undefined });
    obs.log.info('via proxy');
    await obs.forceFlush();
    expect(intake.bulk()[0]?.path).toBe('/es/_bulk');
    expect(intake.bulk()[0]?.headers.authorization).toBe(basic);
    expect(intake.docs('logs-checkout-production')).toHaveLength(1);
  });

  it('sends a queued anomaly event within the shutdown deadline while APM Server hangs on spans', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    const hung = await startHungBackend();
    try {
      const { obs } = startWithElastic(intake, {
        traces: { url: hung.url },
        // Nothing is sent before shutdown() asks for it.
        channel: { flushIntervalMs: 60_000 },
      });
      obs.trace('checkout', () => {});
      (obs as unknown as { emitAnomaly(e: unknown): void }).emitAnomaly(ANOMALY);
      await obs.shutdown({ timeoutMs: 500 });
      expect(obs.stats().elastic?.events).toMatchObject({ produced: 1, delivered: 1, queued: 0 });
      expect(obs.stats().elastic?.events?.dropped).toEqual({});
    } finally {
      await hung.close();
    }
  });
});
