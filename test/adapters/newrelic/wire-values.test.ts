import { metrics } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { type CollectionTruth, recordWorkload } from '../../helpers/wire-workload.js';
import { httpServerInstruments } from '../../../src/integrations/shared/instruments.js';
import { LICENSE_KEY, startWithNewRelic, stopSightline } from './helpers.js';
import { type NrIntake, startNrIntake } from './intake-server.js';

let intake: NrIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

type NrMetric = {
  name: string;
  type: string;
  value: number | { count: number; sum: number; min: number; max: number };
  timestamp: number;
  'interval.ms'?: number;
  attributes?: { tenant?: string };
};

/** `metric|tenant` → the point of one collection; a series twice is an error. */
function received(bodies: unknown[]): Map<string, NrMetric> {
  const out = new Map<string, NrMetric>();
  for (const body of bodies as { metrics: NrMetric[] }[][]) {
    for (const m of body.flatMap((b) => b.metrics)) {
      if (!m.name.startsWith('wv.')) continue;
      const key = `${m.name}|${m.attributes?.tenant ?? '-'}`;
      expect(out.has(key), `${key} twice in one collection`).toBe(false);
      out.set(key, m);
    }
  }
  return out;
}

function expected(t: CollectionTruth): Map<string, [string, NrMetric['value']]> {
  const out = new Map<string, [string, NrMetric['value']]>();
  for (const [k, v] of t.orders) out.set(`wv.orders|${k}`, ['count', v]);
  for (const [k, v] of t.depth) out.set(`wv.depth|${k}`, ['gauge', v]);
  for (const [k, v] of t.temperature) out.set(`wv.temperature|${k}`, ['gauge', v]);
  for (const [k, v] of t.pool) out.set(`wv.pool|${k}`, ['gauge', v]);
  for (const [name, hs] of [
    ['wv.latency', t.latency],
    ['wv.sizes', t.sizes],
  ] as const) {
    for (const [k, h] of hs)
      out.set(`${name}|${k}`, ['summary', { count: h.count, sum: h.sum, min: h.min, max: h.max }]);
  }
  return out;
}

describe('newrelic: Metric API values against a seeded workload', () => {
  it.each([1, 2, 3])('sends each collection as recorded (seed %i)', async (seed) => {
    intake = await startNrIntake({ licenseKey: LICENSE_KEY });
    const { obs } = startWithNewRelic(intake);
    const marks: number[] = [];
    const times: number[] = [];
    const truths = await recordWorkload(obs, seed, 5, async () => {
      marks.push(intake!.accepted('metrics').length);
      times.push(Date.now());
      await new Promise((r) => setTimeout(r, 20));
      await obs.forceFlush();
    });
    marks.push(intake.accepted('metrics').length);
    times.push(Date.now());
    const windowEnd = new Map<string, number>();
    for (let c = 0; c < truths.length; c++) {
      const got = received(
        intake
          .accepted('metrics')
          .slice(marks[c], marks[c + 1])
          .map((r) => r.json),
      );
      const want = expected(truths[c]!);
      expect([...got.keys()].sort(), `collection ${c}`).toEqual([...want.keys()].sort());
      for (const [k, [type, value]] of want) {
        const g = got.get(k)!;
        expect(g.type, `${k} in collection ${c}`).toBe(type);
        if (typeof value === 'number') expect(g.value as number).toBeCloseTo(value, 6);
        else {
          const v = g.value as Exclude<NrMetric['value'], number>;
          expect({ ...v, sum: 0 }, `${k} in collection ${c}`).toEqual({ ...value, sum: 0 });
          expect(v.sum).toBeCloseTo(value.sum, 3);
        }
        if (type !== 'gauge') {
          // Windows of successive collections follow each other, without a gap or an overlap.
          const interval = g['interval.ms']!;
          expect(interval).toBeGreaterThan(0);
          const end = windowEnd.get(k.split('|')[0]!);
          if (end !== undefined) expect(g.timestamp - end, `${k} window start`).toBe(0);
          expect(g.timestamp + interval).toBeLessThanOrEqual(times[c + 1]! + 1);
        }
      }
      for (const m of got.values())
        if (m.type !== 'gauge') windowEnd.set(m.name, m.timestamp + m['interval.ms']!);
    }
  });
});

describe('newrelic: the windows of the HTTP durations', () => {
  // The HTTP durations are collected after the SDK's instruments, observable callbacks run in
  // between: a window started at the SDK's end of the collection before took in the end of the
  // one before it.
  it('follow each other when an observable callback takes a while', async () => {
    intake = await startNrIntake({ licenseKey: LICENSE_KEY });
    const { obs } = startWithNewRelic(intake);
    obs.metrics.observableGauge('wv.pool', {}, (result) => {
      const until = Date.now() + 40;
      while (Date.now() < until);
      result.observe(1);
    });
    const { duration } = httpServerInstruments(obs);
    const attributes = () => ({ 'http.request.method': 'GET', 'http.route': '/orders' });
    for (let c = 0; c < 3; c++) {
      duration.record(0.01, 'GET /orders', attributes);
      await obs.forceFlush();
      await new Promise((r) => setTimeout(r, 20));
    }
    const windows = intake
      .accepted('metrics')
      .flatMap((r) => (r.json as { metrics: NrMetric[] }[]).flatMap((b) => b.metrics))
      .filter((m) => m.name === 'http.server.request.duration')
      .map((m) => [m.timestamp, m.timestamp + m['interval.ms']!]);
    expect(windows).toHaveLength(3);
    for (let c = 1; c < windows.length; c++)
      expect(windows[c]![0]! - windows[c - 1]![1]!, `window ${c} start`).toBe(0);
  });
});

describe('newrelic: the window of an observable counter', () => {
  // The SDK takes an observable counter's delta from the value observed last, which for a series
  // left out of a collection's callback is that of the collection before: its count covers both.
  it('of a series the callback left out of one collection starts where its last count ended', async () => {
    intake = await startNrIntake({ licenseKey: LICENSE_KEY });
    const { obs } = startWithNewRelic(intake);
    const orders = obs.metrics.counter('wv.orders');
    let observed: [number, { tenant: string }][] = [];
    metrics
      .getMeter('jobs')
      .createObservableCounter('wv.jobs')
      .addCallback((result) => {
        for (const [v, attributes] of observed) result.observe(v, attributes);
      });
    for (const seen of [[10], [], [40, 5]]) {
      observed = seen.map((v, i) => [v, { tenant: 'ab'[i]! }]);
      orders.add(1);
      await new Promise((r) => setTimeout(r, 30));
      await obs.forceFlush();
    }
    const counts = intake
      .accepted('metrics')
      .flatMap((r) => (r.json as { metrics: NrMetric[] }[]).flatMap((b) => b.metrics))
      .filter((m) => m.name === 'wv.jobs');
    const a = counts.filter((m) => m.attributes?.tenant === 'a');
    expect(a.map((m) => m.value)).toEqual([10, 30]);
    expect(a[1]!.timestamp - (a[0]!.timestamp + a[0]!['interval.ms']!)).toBe(0);
  });
});
