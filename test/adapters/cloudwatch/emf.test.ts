import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmfEncoder, type EmfSettings, splitIntoDocuments } from '../../../adapters/cloudwatch/encode-emf.js';
import { bucketValueLists, histogramSamples } from '../../../adapters/cloudwatch/histogram.js';
import { toCloudWatchUnit } from '../../../adapters/cloudwatch/units.js';
import { getSightline } from '../../../src/index.js';
import type { HistogramPoint, MetricPoint, SignalStats } from '../../../src/export/index.js';
import { emfViolations } from './emf-validate.js';
import { STANDARD_UNITS } from './standard-units.js';
import { anomalyEvent, startEmf } from './helpers.js';

const GOLDEN = new URL('../../fixtures/golden/cloudwatch/emf.json', import.meta.url);

afterEach(async () => {
  await getSightline()?.shutdown();
  vi.restoreAllMocks();
});

function normalise(docs: Record<string, any>[]) {
  return docs
    .map((d) => ({ ...d, _aws: { ...d._aws, Timestamp: 0 } }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('emf mode, end to end', () => {
  it('writes spec-valid EMF documents that match the golden file', async () => {
    const { obs, written, documents } = startEmf();
    obs.metrics.counter('orders.placed', { unit: '{order}' }).add(3, { region: 'eu', method: 'card' });
    obs.metrics.counter('orders.placed', { unit: '{order}' }).add(2, { region: 'us', method: 'card' });
    obs.metrics.upDownCounter('carts.open').add(7, { region: 'eu', method: 'card' });
    obs.metrics.gauge('queue.bytes', { unit: 'By' }).record(2048);
    const latency = obs.metrics.histogram('checkout.duration', { unit: 'ms', buckets: [10, 50, 100] });
    for (const v of [4, 6, 20, 30, 40, 70, 250]) latency.record(v, { region: 'eu', method: 'card' });
    await obs.forceFlush();

    for (const line of written) expect(emfViolations(line)).toEqual([]);
    for (const line of written) expect(JSON.parse(line)._aws.Timestamp).toBeGreaterThan(1.6e12);
    const docs = normalise(documents());
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(docs, null, 2)}\n`);
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8'));
    expect(docs).toEqual(golden);
  });

  it("sends a histogram's min, max and sum as recorded, so CloudWatch's Minimum, Maximum, Sum and Average are right", async () => {
    const { obs, written, documents } = startEmf();
    // Default buckets: 3 in (0, 5], 70 and 74 in (50, 75], 600 in (500, 750].
    const latency = obs.metrics.histogram('checkout.duration', { unit: 'ms' });
    for (const v of [3, 70, 74, 600]) latency.record(v);
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const values = documents().flatMap((d) => d['checkout.duration'] ?? []) as number[];
    const sum = values.reduce((a, b) => a + b, 0);
    expect([values.length, Math.min(...values), Math.max(...values)]).toEqual([4, 3, 600]);
    expect(sum).toBeCloseTo(747, 9);
  });

  it('reports counters as deltas between collections', async () => {
    const { obs, documents } = startEmf();
    const c = obs.metrics.counter('jobs.done');
    c.add(3);
    await obs.forceFlush();
    c.add(2);
    await obs.forceFlush();
    expect(documents().map((d) => d['jobs.done'])).toEqual([3, 2]);
  });

  it('leaves out a metric without a name, counting it, so the document keeps the others', async () => {
    const { obs, written, documents } = startEmf();
    obs.metrics.counter('').add(1);
    obs.metrics.counter('orders.placed').add(2);
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    expect(documents().map((d) => d['orders.placed'])).toEqual([2]);
    expect(getSightline()!.stats().cloudwatch!.metrics!.dropped).toEqual({ invalid: 1 });
  });

  it('writes the collection when an instrument was given a unit or description that is no string, without them', async () => {
    const { obs, written, documents } = startEmf();
    // A unit read from a setting given as a number, a description from one that is an object.
    obs.metrics.counter('jobs.done', { unit: 1000 as never }).add(1);
    obs.metrics.gauge('queue.depth', { description: { text: 'depth' } as never }).record(4);
    obs.metrics.counter('orders.placed').add(2);
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const [doc] = documents();
    expect([doc?.['jobs.done'], doc?.['queue.depth'], doc?.['orders.placed']]).toEqual([1, 4, 2]);
    expect(getSightline()!.stats().cloudwatch!.metrics!.dropped).toEqual({});
  });

  it('writes an attribute named __proto__ (from parsed JSON) as the dimension it names, keeping the document valid', async () => {
    const { obs, written, documents } = startEmf();
    const attributes = JSON.parse('{"__proto__":"tenant-7","region":"eu"}');
    obs.metrics.counter('orders.placed').add(2, attributes);
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const doc = documents().find((d) => d['orders.placed'] === 2);
    expect(Object.getOwnPropertyDescriptor(doc!, '__proto__')?.value).toBe('tenant-7');
  });

  it('splits a group into documents of at most 100 metrics and 100 values each', async () => {
    const { obs, written, documents } = startEmf({ maxHistogramValues: 1000 });
    for (let i = 0; i < 250; i++)
      obs.metrics.gauge(`g${String(i).padStart(3, '0')}`).record(i, { shard: 'a' });
    const h = obs.metrics.histogram('size', { unit: 'By', buckets: [1, 2] });
    for (let i = 0; i < 250; i++) h.record(1.5, { shard: 'b' });
    await obs.forceFlush();

    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const docs = documents();
    const gaugeDocs = docs.filter((d) => d.shard === 'a');
    expect(gaugeDocs.map((d) => d._aws.CloudWatchMetrics[0].Metrics.length).sort()).toEqual([100, 100, 50]);
    const names = gaugeDocs.flatMap((d) => d._aws.CloudWatchMetrics[0].Metrics.map((m: any) => m.Name));
    expect(new Set(names).size).toBe(250);
    const sizeDocs = docs.filter((d) => d.shard === 'b');
    expect(sizeDocs.map((d) => d.size.length)).toEqual([100, 100, 50]);
    expect(sizeDocs.flatMap((d) => d.size).every((v: number) => v === 1.5)).toBe(true);
    expect(getSightline()!.stats().cloudwatch!.metrics).toMatchObject({ queued: 0 });
    expect(getSightline()!.stats().cloudwatch!.metrics?.dropped).toEqual({});
  });

  it('keeps at most 30 dimensions, static ones first, and counts the attributes left out', async () => {
    const { obs, written, documents } = startEmf({ dimensions: { Team: 'payments' } });
    const attributes: Record<string, string> = {};
    for (let i = 0; i < 35; i++) attributes[`a${String(i).padStart(2, '0')}`] = `v${i}`;
    obs.metrics.counter('wide').add(1, attributes);
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const [doc] = documents().filter((d) => d.wide !== undefined);
    const set = doc!._aws.CloudWatchMetrics[0].Dimensions[0];
    expect(set).toHaveLength(30);
    expect(set.slice(0, 3)).toEqual(['Service', 'Environment', 'Team']);
    expect(set[29]).toBe('a26');
    expect(obs.drops().attribute_count_limit).toBe(8);
  });

  it('keeps apart series whose dimension values differ only past the 1,024 characters CloudWatch takes, and counts the cut', async () => {
    const { obs, written, documents } = startEmf();
    const search = `https://shop.example/search?q=${'z'.repeat(1100)}`;
    const hits = obs.metrics.counter('search.hits');
    hits.add(2, { 'url.full': `${search}&page=1` });
    hits.add(5, { 'url.full': `${search}&page=2` });
    hits.add(1, { 'url.full': 'https://shop.example/' });
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const docs = documents().filter((d) => d['search.hits'] !== undefined);
    expect(docs.map((d) => d['search.hits']).sort()).toEqual([1, 2, 5]);
    const long = docs.filter((d) => d['url.full'].length > 100).map((d) => d['url.full'] as string);
    expect(new Set(long).size).toBe(2);
    for (const v of long) {
      expect(v).toHaveLength(1024);
      expect(v.startsWith(search.slice(0, 1000))).toBe(true);
    }
    expect(docs.find((d) => d['search.hits'] === 1)!['url.full']).toBe('https://shop.example/');
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('keeps apart series whose dimension names or values differ only in characters CloudWatch does not take', async () => {
    const { obs, written, documents } = startEmf();
    const visits = obs.metrics.counter('visits');
    visits.add(2, { city: '北京' });
    visits.add(5, { city: '上海' });
    visits.add(7, { 用户: 'u-1', 订单: 'o-1' });
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const docs = documents().filter((d) => d.visits !== undefined);
    expect(docs.map((d) => d.visits).sort()).toEqual([2, 5, 7]);
    const cities = docs.filter((d) => d.city !== undefined).map((d) => d.city as string);
    expect(new Set(cities).size).toBe(2);
    for (const c of cities) expect(c).toMatch(/^\?\?~[0-9a-f]{16}$/);
    const [both] = docs.filter((d) => d.visits === 7);
    const set: string[] = both!._aws.CloudWatchMetrics[0].Dimensions[0];
    const own = set.filter((k) => k !== 'Service' && k !== 'Environment');
    expect(own).toHaveLength(2);
    expect(own.map((k) => both![k]).sort()).toEqual(['o-1', 'u-1']);
    expect(obs.drops()).toEqual({});
  });

  it('keeps apart dimension names that differ only past the 250 characters EMF takes, and counts the cut', async () => {
    const { obs, written, documents } = startEmf();
    const prefix = `cache.${'k'.repeat(260)}`;
    obs.metrics.counter('cache.lookups').add(3, { [`${prefix}.hit`]: 'yes', [`${prefix}.miss`]: 'no' });
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const [doc] = documents().filter((d) => d['cache.lookups'] !== undefined);
    const set: string[] = doc!._aws.CloudWatchMetrics[0].Dimensions[0];
    const long = set.filter((k) => k.startsWith('cache.'));
    expect(long).toHaveLength(2);
    expect(long.map((k) => doc![k]).sort()).toEqual(['no', 'yes']);
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('keeps apart metrics whose names differ only past the 1,024 characters EMF takes, and counts the cut', async () => {
    const { obs, written, documents } = startEmf();
    const long = `orders.${'x'.repeat(1100)}`;
    obs.metrics.counter(`${long}.placed`).add(2);
    obs.metrics.counter(`${long}.cancelled`).add(5);
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const names = documents()
      .flatMap((d) => d._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name) as string[])
      .filter((n) => n.startsWith('orders.'));
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toHaveLength(1024);
    const values = documents().flatMap((d) => names.filter((n) => d[n] !== undefined).map((n) => d[n]));
    expect(values.sort()).toEqual([2, 5]);
    expect(obs.drops().truncated_attribute).toBe(2);
  });

  it('never lets an attribute named _aws replace the EMF metadata, counts it and says so in diagnostics', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { obs, written, documents } = startEmf({}, { diagnostics: 'warn' });
    obs.metrics.counter('orders.placed').add(1, { _aws: 'x', region: 'eu' });
    await obs.forceFlush();
    (obs as any).emitAnomaly(anomalyEvent({ attributes: { _aws: 'x', region: 'eu' } }));
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const doc = documents().find((d) => d['orders.placed'] !== undefined)!;
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'Environment', 'region']]);
    const event = JSON.parse(written.find((l) => l.includes('AnomalyScore'))!);
    expect(event._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service', 'Environment', 'Metric', 'region'],
    ]);
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said.filter((l) => l.includes('reserved_dimension'))).toEqual([
      expect.stringContaining('cloudwatch metrics: 1 attributes named _aws'),
      expect.stringContaining('cloudwatch events: 1 attributes named _aws'),
    ]);
    expect(getSightline()!.stats().cloudwatch!.metrics!.dropped).toEqual({});
    expect(obs.drops().invalid_attribute).toBe(2);
  });

  it("counts attributes left out of the dimensions for a blank name, an empty value or a static dimension's name", async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { obs, written, documents } = startEmf({}, { diagnostics: 'warn' });
    const attributes = { Service: 'other', region: '', '  ': 'blank', route: '/pay' };
    obs.metrics.counter('orders.placed').add(1, attributes);
    await obs.forceFlush();
    (obs as any).emitAnomaly(anomalyEvent({ attributes }));
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const doc = documents().find((d) => d['orders.placed'] !== undefined)!;
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'Environment', 'route']]);
    expect(doc.Service).not.toBe('other');
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said.filter((l) => l.includes('unusable_dimension'))).toEqual([
      expect.stringContaining('cloudwatch metrics: 3 attributes with a blank name'),
      expect.stringContaining('cloudwatch events: 3 attributes or dimensions with a blank name'),
    ]);
    expect(obs.drops().invalid_attribute).toBe(6);
  });

  it("counts an anomaly's attributes named AnomalyScore or AnomalySeverity, left out as the event's own metrics keep those names", async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { obs, written } = startEmf({}, { diagnostics: 'warn' });
    const attributes = { AnomalyScore: 'high', AnomalySeverity: 'p1', region: 'eu' };
    (obs as any).emitAnomaly(anomalyEvent({ attributes }));
    const line = written.find((l) => l.includes('"Metrics"'))!;
    expect(emfViolations(line)).toEqual([]);
    const doc = JSON.parse(line);
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service', 'Environment', 'Metric', 'region'],
    ]);
    expect(doc).toMatchObject({ AnomalyScore: 0.97, AnomalySeverity: 88 });
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said.filter((l) => l.includes('unusable_dimension'))).toEqual([
      expect.stringContaining('cloudwatch events: 2 attributes'),
    ]);
    expect(obs.drops().invalid_attribute).toBe(2);
  });

  it("keeps an anomaly event's message and level when the series has attributes of those names, counting them as left out of the dimensions", async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { obs, written } = startEmf({}, { diagnostics: 'warn' });
    const attributes = { message: 'card declined', level: 'error', 'service.name': 'payments', region: 'eu' };
    (obs as any).emitAnomaly(anomalyEvent({ attributes }));
    const line = written.find((l) => l.includes('"Metrics"'))!;
    expect(emfViolations(line)).toEqual([]);
    const doc = JSON.parse(line);
    expect(doc).toMatchObject({
      level: 'warn',
      message: 'orders.placed{region=eu} dropped to 3 against an expected 30..50',
      'service.name': 'checkout',
      'anomaly.attributes': attributes,
    });
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service', 'Environment', 'Metric', 'region'],
    ]);
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said.filter((l) => l.includes('unusable_dimension'))).toEqual([
      expect.stringContaining('cloudwatch events: 3 attributes'),
    ]);
    expect(obs.drops().invalid_attribute).toBe(3);
  });

  it('counts a configured dimension an anomaly event cannot carry, named Metric, AnomalyScore or as one of its fields, for each event', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const dimensions = { Metric: 'static', AnomalyScore: 'static', message: 'static', team: 'pay' };
    const { obs, written, documents } = startEmf({ dimensions }, { diagnostics: 'warn' });
    obs.metrics.counter('orders.placed').add(1);
    await obs.forceFlush();
    (obs as any).emitAnomaly(anomalyEvent());
    (obs as any).emitAnomaly(anomalyEvent({ time: 1_700_000_060_000 }));
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const doc = documents().find((d) => d['orders.placed'] !== undefined)!;
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service', 'Environment', 'Metric', 'AnomalyScore', 'message', 'team'],
    ]);
    const event = JSON.parse(written.find((l) => l.includes('"anomaly.kind"'))!);
    expect(event._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service', 'Environment', 'team', 'Metric', 'region'],
    ]);
    expect(event).toMatchObject({
      Metric: 'orders.placed',
      AnomalyScore: 0.97,
      message: 'orders.placed{region=eu} dropped to 3 against an expected 30..50',
    });
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said.filter((l) => l.includes('events.unusable_dimension'))).toEqual([
      expect.stringContaining('cloudwatch events: 3 attributes or dimensions'),
    ]);
    expect(obs.drops().invalid_attribute).toBe(6);
  });

  it('writes an anomaly event as a log line that is also an EMF document with AnomalyScore and AnomalySeverity', async () => {
    const { obs, written } = startEmf();
    (obs as any).emitAnomaly(anomalyEvent());
    const line = written.find((l) => l.includes('AnomalyScore'));
    expect(line).toBeDefined();
    expect(emfViolations(line!)).toEqual([]);
    const doc = JSON.parse(line!);
    expect(doc._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'Sightline/checkout',
      Dimensions: [['Service', 'Environment', 'Metric', 'region']],
      Metrics: [
        { Name: 'AnomalyScore', Unit: 'None' },
        { Name: 'AnomalySeverity', Unit: 'None' },
      ],
    });
    expect(doc).toMatchObject({
      _aws: { Timestamp: 1_700_000_000_000 },
      Metric: 'orders.placed',
      region: 'eu',
      AnomalyScore: 0.97,
      AnomalySeverity: 88,
      message: 'orders.placed{region=eu} dropped to 3 against an expected 30..50',
      'anomaly.kind': 'dip',
      'anomaly.expected': 40,
    });
    expect(getSightline()!.stats().cloudwatch!.events).toMatchObject({ produced: 1, delivered: 1 });
  });

  it('keeps an anomaly document at 30 dimensions with Metric when 28 are configured, and says so in diagnostics', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const dimensions: Record<string, string> = {};
    for (let i = 0; i < 28; i++) dimensions[`D${String(i).padStart(2, '0')}`] = `v${i}`;
    const { obs, written } = startEmf({ dimensions }, { diagnostics: 'warn' });
    (obs as any).emitAnomaly(anomalyEvent());
    const line = written.find((l) => l.includes('AnomalyScore'))!;
    expect(emfViolations(line)).toEqual([]);
    const set: string[] = JSON.parse(line)._aws.CloudWatchMetrics[0].Dimensions[0];
    expect(set).toHaveLength(30);
    expect(set.slice(0, 3)).toEqual(['Service', 'Environment', 'D00']);
    expect(set.slice(-2)).toEqual(['D26', 'Metric']);
    const said = stderr.mock.calls.map(([chunk]) => String(chunk));
    expect(said.filter((l) => l.includes('export.cloudwatch.events.dimensions'))).toEqual([
      expect.stringContaining('cloudwatch events: 2 dimensions beyond'),
    ]);
    expect(obs.drops().attribute_count_limit).toBe(2);
  });

  it('never lets a failing writer reach the caller; the lost points are counted', async () => {
    const { obs } = startEmf({
      write: () => {
        throw new Error('EPIPE');
      },
    });
    expect(() => obs.metrics.counter('c').add(1)).not.toThrow();
    await obs.forceFlush();
    const stats = getSightline()!.stats().cloudwatch!.metrics!;
    expect(stats.delivered).toBe(0);
    expect(stats.dropped.rejected).toBeGreaterThan(0);
    expect(stats.produced).toBe(
      stats.delivered + (stats.dropped.rejected ?? 0) + (stats.dropped.invalid ?? 0),
    );
  });

  it('writes a big collection over several turns of the event loop, not in one stretch', async () => {
    let writtenBeforeNextTurn: number | undefined;
    const { obs, written, documents } = startEmf({
      write: (line) => {
        if (written.length === 0) setImmediate(() => (writtenBeforeNextTurn ??= written.length));
        written.push(line);
      },
    });
    const orders = obs.metrics.counter('orders.placed');
    for (let i = 0; i < 1500; i++) orders.add(1, { customer: `c-${i}` });
    await obs.forceFlush();
    await new Promise((resolve) => setImmediate(resolve));
    // One document per series; a service waiting on the loop gets a turn long before the 1,500th.
    expect(documents()).toHaveLength(1500);
    expect(writtenBeforeNextTurn).toBeLessThan(1500);
  });

  it('marks high-resolution metrics with StorageResolution 1', async () => {
    const { obs, written, documents } = startEmf({ storageResolution: 1 });
    obs.metrics.counter('fast').add(1);
    await obs.forceFlush();
    for (const line of written) expect(emfViolations(line)).toEqual([]);
    const doc = documents().find((d) => d.fast !== undefined)!;
    expect(doc._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'fast', Unit: 'Count', StorageResolution: 1 },
    ]);
  });
});

/** One collection's documents and what was left out of them, as the exporter's encoder makes them. */
function encodeEmf(points: readonly MetricPoint[], settings: EmfSettings) {
  const encoder = new EmfEncoder(settings);
  for (const p of points) encoder.add(p);
  return {
    documents: [...encoder.documents()],
    invalid: encoder.invalid,
    reservedDimensions: encoder.leftOut.reserved,
  };
}

describe('EMF encoding', () => {
  const base = {
    description: '',
    temporality: 'delta' as const,
    startTimeMs: 0,
    timeMs: 1_700_000_000_000,
  };
  const settings = {
    namespace: 'Shop',
    dimensions: [['Service', 'shop']] as const,
    storageResolution: 60 as const,
    maxHistogramValues: 100,
  };
  const latencyPoint = (histogram: HistogramPoint['histogram']): MetricPoint => ({
    ...base,
    name: 'latency',
    unit: 'ms',
    kind: 'histogram',
    monotonic: false,
    attributes: {},
    histogram,
  });
  /** A histogram of 100 observations, one per bucket: 100 values in a document. */
  const hundredValues = (): MetricPoint =>
    latencyPoint({
      count: 100,
      sum: 50_000,
      min: 1,
      max: 995,
      buckets: {
        boundaries: Array.from({ length: 99 }, (_, i) => (i + 1) * 10),
        counts: new Array(100).fill(1),
      },
    });
  const gauge = (attributes: MetricPoint['attributes']): MetricPoint => ({
    ...base,
    name: 'm',
    unit: '',
    kind: 'gauge',
    monotonic: false,
    attributes,
    value: 1,
  });

  it('leaves out non-finite values and names that clash with a dimension, counting them', () => {
    const points: MetricPoint[] = [
      { ...base, name: 'ok', unit: '', kind: 'gauge', monotonic: false, attributes: {}, value: 1 },
      { ...base, name: 'nan', unit: '', kind: 'gauge', monotonic: false, attributes: {}, value: Number.NaN },
      { ...base, name: 'Service', unit: '', kind: 'gauge', monotonic: false, attributes: {}, value: 1 },
      { ...base, name: '_aws', unit: '', kind: 'gauge', monotonic: false, attributes: {}, value: 1 },
    ];
    const out = encodeEmf(points, settings);
    expect(out.invalid).toBe(3);
    expect(out.documents).toHaveLength(1);
    expect(emfViolations(out.documents[0]!.line)).toEqual([]);
  });

  it("writes a sampled-down histogram's values, at most maxHistogramValues, in one document", () => {
    // 1,000 requests over the default buckets: the min and max kept beside a repeat for every bucket.
    const boundaries = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000];
    const counts = [0, 3, 40, 200, 300, 180, 120, 110, 30, 9, 4, 2, 1, 0, 0, 1];
    const latency = latencyPoint({
      count: 1000,
      sum: 90_000,
      min: 2,
      max: 12_000,
      buckets: { boundaries, counts },
    });
    const out = encodeEmf([latency], settings);
    expect(out.documents).toHaveLength(1);
    const values = JSON.parse(out.documents[0]!.line).latency as number[];
    expect(values.length).toBeLessThanOrEqual(100);
    expect([Math.min(...values), Math.max(...values)]).toEqual([2, 12_000]);
  });

  it('samples any histogram down to valid documents, each value inside a bucket holding observations', () => {
    let seed = 25;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 300; round++) {
      const cap = [1, 5, 10, 50, 100][round % 5]!;
      let edge = 0;
      const boundaries = Array.from(
        { length: 1 + Math.floor(random() * 160) },
        () => (edge += 1 + random() * 50),
      );
      const recorded = Array.from(
        { length: 1 + Math.floor(random() * 3000) },
        () => 0.1 + random() ** 4 * edge * 1.2,
      );
      const counts = new Array<number>(boundaries.length + 1).fill(0);
      for (const v of recorded) {
        const i = boundaries.findIndex((b) => v <= b);
        counts[i === -1 ? boundaries.length : i]!++;
      }
      const [min, max] = [Math.min(...recorded), Math.max(...recorded)];
      const histogram = { count: recorded.length, sum: recorded.reduce((a, b) => a + b, 0), min, max };
      const point = latencyPoint({ ...histogram, buckets: { boundaries, counts } });
      const out = encodeEmf([point], { ...settings, maxHistogramValues: cap });
      const values = out.documents.flatMap((d) => {
        expect(emfViolations(d.line)).toEqual([]);
        const v = JSON.parse(d.line).latency as number | number[];
        return Array.isArray(v) ? v : [v];
      });
      // Every bucket holding observations keeps one value, and no more than that above the cap.
      const held = counts.filter((c) => c > 0).length;
      expect(values.length).toBeLessThanOrEqual(Math.max(Math.min(cap, recorded.length), held + 2));
      expect(out.documents).toHaveLength(Math.ceil(values.length / 100));
      expect([Math.min(...values), Math.max(...values)]).toEqual([min, max]);
      for (const v of values) {
        const i = boundaries.findIndex((b) => v <= b);
        const at = i === -1 ? boundaries.length : i;
        // A value on a boundary stands for the bucket above it, moved to its lower edge.
        expect(counts[at]! > 0 || (boundaries[at] === v && counts[at + 1]! > 0)).toBe(true);
      }
    }
  });

  it('leaves an attribute named _aws out of the dimensions, counting it', () => {
    const out = encodeEmf([gauge({ _aws: 'x', region: 'eu' })], settings);
    expect(out.reservedDimensions).toBe(1);
    expect(out.invalid).toBe(0);
    const line = out.documents[0]!.line;
    expect(emfViolations(line)).toEqual([]);
    expect(JSON.parse(line)._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'region']]);
  });

  it('makes dimension values ASCII strings, with a digest of one whose characters it replaced, and drops empty ones', () => {
    const line = encodeEmf([gauge({ city: 'Zürich', code: 7, empty: '' })], settings).documents[0]!.line;
    expect(emfViolations(line)).toEqual([]);
    const doc = JSON.parse(line);
    expect(doc.city).toMatch(/^Z\?rich~[0-9a-f]{16}$/);
    expect(doc.code).toBe('7');
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'city', 'code']]);
  });

  it('makes dimension names printable ASCII and drops blank ones', () => {
    const attributes = { región: 'eu', '\u0007bell': 'b', '  ': 'blank', ':zone': 'z' };
    const line = encodeEmf([gauge(attributes)], settings).documents[0]!.line;
    expect(emfViolations(line)).toEqual([]);
    const doc = JSON.parse(line);
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'bell', 'zone', 'regi_n']]);
    expect(doc.regi_n).toBe('eu');
  });

  it('continues a metric with more than 100 values in the following documents', () => {
    const pieces = splitIntoDocuments([
      { name: 'a', unit: 'Count', values: new Array(230).fill(1), points: 1 },
      { name: 'b', unit: 'Count', values: [2], points: 1 },
    ]);
    expect(pieces.map((p) => p.map((m) => `${m.name}:${m.values.length}:${m.points}`))).toEqual([
      ['a:100:1', 'b:1:1'],
      ['a:100:0'],
      ['a:30:0'],
    ]);
  });

  it('writes a document longer than maxLineBytes as several within it, each value and point once', () => {
    // Prepare: 40 counters and a histogram of 100 values, all in one group; lines of 1,024 bytes.
    const counters = Array.from({ length: 40 }, (_, i) => ({
      ...gauge({}),
      name: `checkout.orders.placed.by.region.${i}`,
      kind: 'counter' as const,
      monotonic: true,
      value: i,
    }));
    const histogram = { ...hundredValues(), name: 'checkout.latency' };
    const long = { ...gauge({ note: 'x'.repeat(1100) }), name: 'noted' };

    // Act
    const whole = encodeEmf([...counters, histogram, long], settings).documents;
    const cut = encodeEmf([...counters, histogram, long], { ...settings, maxLineBytes: 1024 }).documents;

    // Assess: valid documents under 1,024 bytes but the one a dimension alone makes longer, holding
    // the same values and points as the documents written whole.
    expect(whole).toHaveLength(2);
    expect(cut.length).toBeGreaterThan(4);
    for (const d of cut) expect(emfViolations(d.line)).toEqual([]);
    const over = cut.filter((d) => Buffer.byteLength(d.line) + 1 > 1024).map((d) => JSON.parse(d.line));
    expect(over).toEqual([expect.objectContaining({ noted: 1 })]);
    const values = (docs: typeof whole) =>
      docs.flatMap((d) => {
        const doc = JSON.parse(d.line);
        return doc._aws.CloudWatchMetrics[0].Metrics.flatMap(({ Name }: { Name: string }) =>
          [doc[Name]].flat().map((v: number) => `${Name}=${v}`),
        );
      });
    expect(values(cut).sort()).toEqual(values(whole).sort());
    const points = (docs: typeof whole) => docs.reduce((n, d) => n + d.points, 0);
    expect(points(cut)).toBe(42);
    expect(points(whole)).toBe(42);
  });

  it('cuts a document longer than maxLineBytes in as few parts as what each carries again leaves room for', () => {
    // Prepare: 100 counters (7,300 bytes) under dimensions and metadata of 2,000 bytes, in lines of
    // 4,096: four parts; a histogram's 100 values (1,800 bytes) under a name of 300 bytes, which each
    // part carries twice with the metadata (800 bytes), in lines of 1,024: eight parts.
    const attributes = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`d${i}`, 'x'.repeat(300)]));
    const counters = Array.from({ length: 100 }, (_, i) => ({
      ...gauge(attributes),
      name: `checkout.orders.${i}`,
      kind: 'counter' as const,
      monotonic: true,
      value: i + 0.125,
    }));
    const histogram = { ...hundredValues(), name: `checkout.${'latency.'.repeat(37)}` };

    // Act
    const counted = encodeEmf(counters, { ...settings, maxLineBytes: 4096 }).documents;
    const valued = encodeEmf([histogram], { ...settings, maxLineBytes: 1024 }).documents;

    // Assess: cut by their length alone, as if each part carried nothing again, every part was too
    // long and cut in two again: 6 and 12 documents.
    for (const d of counted) expect(Buffer.byteLength(d.line) + 1).toBeLessThanOrEqual(4096);
    for (const d of valued) expect(Buffer.byteLength(d.line) + 1).toBeLessThanOrEqual(1024);
    expect({ counted: counted.length, valued: valued.length }).toEqual({ counted: 4, valued: 8 });
  });

  it('writes a document whole when its dimensions alone make it longer than maxLineBytes, not once per value', () => {
    // Prepare: a histogram of 100 values and 20 counters under dimensions of 5,000 bytes, which no
    // document of theirs fits in 4,096 bytes.
    const attributes = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`d${i}`, 'x'.repeat(1000)]));
    const counters = Array.from({ length: 20 }, (_, i) => ({
      ...gauge(attributes),
      name: `orders.${i}`,
      kind: 'counter' as const,
      monotonic: true,
      value: 1,
    }));
    const histogram = { ...hundredValues(), attributes };

    // Act
    const whole = encodeEmf([...counters, histogram], settings).documents;
    const cut = encodeEmf([...counters, histogram], { ...settings, maxLineBytes: 4096 }).documents;

    // Assess: split, every document would still be longer than the pipe takes whole, each carrying
    // the 5,000 bytes again: the same documents as without the limit.
    const bytes = (docs: typeof whole) => docs.reduce((n, d) => n + Buffer.byteLength(d.line), 0);
    expect(whole).toHaveLength(1);
    expect({ documents: cut.length, bytes: bytes(cut) }).toEqual({ documents: 1, bytes: bytes(whole) });
    expect(cut[0]?.line).toBe(whole[0]?.line);
  });
});

/** A histogram's values as one object each, as the assertions read them. */
function bucketValues(h: Parameters<typeof bucketValueLists>[0]) {
  const { values, counts } = bucketValueLists(h);
  return values.map((value, i) => ({ value, count: counts[i]! }));
}

describe('histograms', () => {
  const h = (counts: number[], boundaries: number[], sum: number, min?: number, max?: number) => ({
    count: counts.reduce((a, b) => a + b, 0),
    sum,
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    buckets: { boundaries, counts },
  });
  const total = (values: readonly { value: number; count: number }[]) =>
    values.reduce((a, v) => a + v.value * v.count, 0);

  it('sends the min and max as recorded, and a value inside each bucket, adding up to the sum', () => {
    // 4, 6, 20, 30, 40 and 250: the others' values inside their buckets, moved down from the middle.
    const values = bucketValues(h([2, 3, 0, 1], [10, 50, 100], 350, 4, 250));
    expect(values.map((v) => v.count)).toEqual([1, 1, 3, 1]);
    expect(values[0]!.value).toBe(4);
    expect(values[1]!.value).toBeGreaterThan(4);
    expect(values[1]!.value).toBeLessThanOrEqual(10);
    expect(values[2]!.value).toBeGreaterThan(10);
    expect(values[2]!.value).toBeLessThanOrEqual(50);
    expect(values[3]!.value).toBe(250);
    expect(total(values)).toBeCloseTo(350, 9);
    // One value, or equal values, come out exactly.
    expect(bucketValues(h([0, 3, 0], [10, 50], 60, 20, 20))).toEqual([{ value: 20, count: 3 }]);
    expect(bucketValues(h([0, 1, 0], [10, 50], 20, 20, 20))).toEqual([{ value: 20, count: 1 }]);
  });

  it('keeps every value inside its bucket and the min, max and sum as recorded, whatever is recorded', () => {
    const boundaries = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const recorded = Array.from({ length: 1 + Math.floor(random() * 40) }, () => random() ** 3 * 12_000);
      const counts = new Array<number>(boundaries.length + 1).fill(0);
      for (const v of recorded) {
        const i = boundaries.findIndex((b) => v <= b);
        counts[i === -1 ? boundaries.length : i]!++;
      }
      const sum = recorded.reduce((a, b) => a + b, 0);
      const values = bucketValues(h(counts, boundaries, sum, Math.min(...recorded), Math.max(...recorded)));
      expect(values.reduce((a, v) => a + v.count, 0)).toBe(recorded.length);
      expect(values[0]!.value).toBe(Math.min(...recorded));
      expect(values.at(-1)!.value).toBe(Math.max(...recorded));
      expect(Math.abs(total(values) - sum)).toBeLessThan(1e-9 * sum);
      for (const [i, v] of values.entries()) if (i > 0) expect(v.value).toBeGreaterThan(values[i - 1]!.value);
    }
  });

  it('repeats values once per observation and scales down above the cap, keeping every bucket, the min and the max', () => {
    expect(histogramSamples(h([1, 2], [10], 30, 5, 15), 100)).toEqual([5, 10, 15]);
    const sampled = histogramSamples(h([1, 900, 99], [10, 20], 15_000, 0, 30), 100);
    expect(sampled.filter((v) => v === 0)).toHaveLength(1);
    // 100 values in all: the min and max take two of the 100 observations' places.
    expect(sampled).toHaveLength(100);
    expect(sampled.filter((v) => v > 10 && v <= 20)).toHaveLength(88);
    expect(sampled.filter((v) => v > 20 && v < 30)).toHaveLength(10);
    expect(sampled.filter((v) => v === 30)).toHaveLength(1);
  });

  it('keeps one value a bucket, no more, when more buckets hold observations than the cap', () => {
    // A cap of 10 below the 13 buckets holding observations besides the min and max: 15 values, the
    // busy bucket's share of the cap not added on top of the one each bucket keeps.
    const boundaries = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000];
    const counts = [0, 1, 1, 1000, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const sampled = histogramSamples(h(counts, boundaries, 30_000, 2, 12_000), 10);
    expect(sampled).toHaveLength(15);
    expect([Math.min(...sampled), Math.max(...sampled)]).toEqual([2, 12_000]);
    expect(sampled.filter((v) => v > 10 && v <= 25)).toHaveLength(1);
    // 149 buckets besides the min and max at the default cap: 151 values, not 245.
    const many = new Array<number>(151).fill(1);
    many[50] = 5000;
    const bounds = Array.from({ length: 150 }, (_, i) => i + 1);
    expect(histogramSamples(h(many, bounds, 5000 * 50 + 150 * 75, 0.5, 200), 100)).toHaveLength(151);
  });

  it('scales down to a sample whose average is the recorded one, the min and max kept', () => {
    // 1,000 requests: 600 near 8 ms, 370 near 30, 29 near 80 and one of 900. The kept min and max
    // weigh ten times more in 100 values than in the traffic.
    const sum = 600 * 8 + 370 * 30 + 29 * 80 + 900;
    const sampled = histogramSamples(h([600, 370, 29, 1], [10, 50, 100], sum, 2, 900), 100);
    expect(sampled).toHaveLength(100);
    expect([Math.min(...sampled), Math.max(...sampled)]).toEqual([2, 900]);
    const average = sampled.reduce((a, b) => a + b, 0) / sampled.length;
    expect(average).toBeCloseTo(sum / 1000, 9);
    // Still inside their buckets, so the percentiles are as before.
    expect(sampled.filter((v) => v > 2 && v <= 10)).toHaveLength(59);
    expect(sampled.filter((v) => v > 10 && v <= 50)).toHaveLength(36);
    expect(sampled.filter((v) => v > 50 && v <= 100)).toHaveLength(3);
  });

  // CloudWatch's percentile of raw values: the smallest value whose running count reaches p of them.
  const percentile = (values: readonly { value: number; count: number }[], p: number) => {
    const rank = Math.max(1, Math.ceil(p * values.reduce((a, v) => a + v.count, 0)));
    let seen = 0;
    for (const v of values) {
      seen += v.count;
      if (seen >= rank) return v.value;
    }
    return Number.NaN;
  };
  const asValues = (sample: readonly number[]) => sample.map((value) => ({ value, count: 1 }));
  const latencyBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10_000];
  /** The bucket a value is counted in: the first whose upper bound it does not pass. */
  const bucketOf = (v: number) => {
    const i = latencyBounds.findIndex((b) => v <= b);
    return i === -1 ? latencyBounds.length : i;
  };

  it("keeps a sample's percentiles in the recorded ones' buckets when its max is far out", () => {
    // 300 requests at 20 ms, 699 at 35 and one of 9 s: p50 is 35, in (25, 50]. The max weighs a
    // hundredth of 100 values, so no values inside the buckets give the sample the recorded
    // Average of 39.465: those moved to their lower edges gave a p50 of 25, the bucket below.
    const counts = new Array<number>(latencyBounds.length + 1).fill(0);
    counts[3] = 300;
    counts[4] = 699;
    counts[13] = 1;
    const histogram = h(counts, latencyBounds, 300 * 20 + 699 * 35 + 9000, 20, 9000);
    const sample = histogramSamples(histogram, 100);
    expect(sample).toHaveLength(100);
    expect([Math.min(...sample), Math.max(...sample)]).toEqual([20, 9000]);
    const p50 = percentile(asValues(sample), 0.5);
    expect(bucketOf(p50)).toBe(4);
    // The value PutMetricData gets for that bucket, fitted to the recorded sum.
    expect(bucketValues(histogram).map((v) => v.value)).toContain(p50);
  });

  it("puts CloudWatch's percentiles, of PutMetricData's values or of an EMF sample, in the recorded ones' buckets", () => {
    let seed = 41;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const wrong: string[] = [];
    for (let round = 0; round < 300; round++) {
      const level = 5 + random() * 60;
      const spread = 0.5 + random() * 2;
      const recorded = Array.from(
        { length: 101 + Math.floor(random() * 3000) },
        () => level * Math.exp((random() - 0.5) * spread),
      );
      // A far max in a third of them, a nearer one in another third.
      const far = random();
      if (far < 1 / 3) recorded[0] = 2000 + random() * 9000;
      else if (far < 2 / 3) recorded[0] = 200 + random() * 800;
      const counts = new Array<number>(latencyBounds.length + 1).fill(0);
      for (const v of recorded) counts[bucketOf(v)]!++;
      const sum = recorded.reduce((a, b) => a + b, 0);
      const histogram = h(counts, latencyBounds, sum, Math.min(...recorded), Math.max(...recorded));
      const sorted = [...recorded].sort((a, b) => a - b);
      const truth = (p: number) => sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
      const api = bucketValues(histogram);
      for (const p of [0.01, 0.1, 0.5, 0.9, 0.99, 0.999])
        if (bucketOf(percentile(api, p)) !== bucketOf(truth(p)))
          wrong.push(`api round ${round} p${p * 100}: ${percentile(api, p)} for ${truth(p)}`);
      // A sample of 100 values resolves percentiles to a hundredth, and each bucket holding
      // observations keeps a value in it: its tails (p1, p99) can land a bucket over.
      const sample = asValues(histogramSamples(histogram, 100));
      for (const p of [0.5, 0.9]) {
        const at = bucketOf(percentile(sample, p));
        if (at < bucketOf(truth(p - 0.01)) || at > bucketOf(truth(p + 0.01)))
          wrong.push(`emf round ${round} p${p * 100}: ${percentile(sample, p)} for ${truth(p)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('units', () => {
  it.each([
    ['ms', false, 'Milliseconds'],
    ['s', false, 'Seconds'],
    ['us', false, 'Microseconds'],
    ['By', false, 'Bytes'],
    ['KiBy', false, 'Kilobytes'],
    ['MBy', false, 'Megabytes'],
    ['By/s', false, 'Bytes/Second'],
    ['bit/s', false, 'Bits/Second'],
    ['%', false, 'Percent'],
    ['{request}', true, 'Count'],
    ['{request}/s', false, 'Count/Second'],
    ['1', false, 'None'],
    ['', true, 'Count'],
    ['', false, 'None'],
    ['ns', false, 'None'],
    ['Cel', false, 'None'],
  ])('maps %j (monotonic %s) to %s', (unit, monotonic, expected) => {
    expect(toCloudWatchUnit(unit, monotonic)).toBe(expected);
  });

  it('maps every size and rate to a unit CloudWatch accepts', () => {
    const sizes = ['By', 'kBy', 'KiBy', 'MBy', 'MiBy', 'GBy', 'GiBy', 'TBy', 'TiBy'];
    const bits = ['bit', 'kbit', 'Kibit', 'Mbit', 'Mibit', 'Gbit', 'Gibit', 'Tbit', 'Tibit'];
    const units = [...sizes, ...bits].flatMap((u) => [u, `${u}/s`]);
    const mapped = units.map((u) => [u, toCloudWatchUnit(u, false)]);
    expect(mapped.filter(([, cw]) => !STANDARD_UNITS.includes(cw as string))).toEqual([]);
    expect(mapped.filter(([, cw]) => cw === 'None')).toEqual([]);
  });
});

describe('emf mode with a stdout nobody reads', () => {
  it('holds a bounded buffer of documents and counts the rest as dropped', async () => {
    // Prepare: the child's stdout is a pipe this process never reads, so it fills and stays full.
    const script = fileURLToPath(new URL('./emf-stalled-stdout.ts', import.meta.url));
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    let stderr = '';
    const report = new Promise<{ growth: number; metrics: SignalStats; drops: Record<string, number> }>(
      (resolve) =>
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
          const line = stderr.split('\n').find((l) => l.startsWith('{'));
          if (line && stderr.endsWith('\n')) resolve(JSON.parse(line));
        }),
    );

    // Act: 54 MB of documents are written while nothing is read.
    const { growth, metrics, drops } = await report;
    child.kill('SIGKILL');

    // Assess: stdout's buffer holds at most 16 MiB; the documents beyond it are counted against the
    // adapter's metrics, not as log lines, and every point is accounted for.
    expect(growth).toBeLessThan(32 * 1024 * 1024);
    expect(metrics.dropped.queue_full).toBeGreaterThan(0);
    expect(metrics.produced).toBe(metrics.delivered + (metrics.dropped.queue_full ?? 0));
    expect(drops.log_stdout_full).toBeUndefined();
  }, 120_000);
});

describe('emf mode with a stdout whose reader has gone', () => {
  it('counts the documents written after stdout failed as dropped, not delivered', async () => {
    // Prepare: the child's stdout is closed at once, so its first write fails (EPIPE).
    const script = fileURLToPath(new URL('./emf-closed-stdout.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });

    // Act: one document, then ten more once stdout has failed.
    await new Promise((resolve) => child.on('exit', resolve));
    const { first, metrics } = JSON.parse(stderr.split('\n').find((l) => l.startsWith('{')) ?? '{}') as {
      first: SignalStats;
      metrics: SignalStats;
    };

    // Assess: nothing written after the failure reached anyone, so none of it is delivered.
    expect(metrics.produced).toBeGreaterThanOrEqual(first.produced + 10);
    expect(metrics.delivered).toBe(first.delivered);
    expect(metrics.produced).toBe(metrics.delivered + (metrics.dropped.queue_full ?? 0));
  }, 30_000);
});
