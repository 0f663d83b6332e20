import { afterEach, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { type CollectionTruth, recordWorkload } from '../../helpers/wire-workload.js';
import { startApi, startEmf } from './helpers.js';
import { startAwsIntake } from './intake-server.js';

afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 2000 });
});

type Received = { unit: string; values: number[] };

/** `metric|tenant` → unit and values of one collection's documents. */
function received(docs: Record<string, any>[]): Map<string, Received> {
  const out = new Map<string, Received>();
  for (const d of docs) {
    for (const m of d._aws.CloudWatchMetrics[0].Metrics as { Name: string; Unit: string }[]) {
      if (!m.Name.startsWith('wv.')) continue;
      const key = `${m.Name}|${d.tenant ?? '-'}`;
      const values = ([] as number[]).concat(d[m.Name]);
      const seen = out.get(key);
      if (seen === undefined) out.set(key, { unit: m.Unit, values });
      else seen.values.push(...values);
    }
  }
  return out;
}

function expectedNumbers(t: CollectionTruth): Map<string, Received> {
  const out = new Map<string, Received>();
  for (const [k, v] of t.orders) out.set(`wv.orders|${k}`, { unit: 'Count', values: [v] });
  for (const [k, v] of t.depth) out.set(`wv.depth|${k}`, { unit: 'None', values: [v] });
  for (const [k, v] of t.temperature) out.set(`wv.temperature|${k}`, { unit: 'None', values: [v] });
  for (const [k, v] of t.pool) out.set(`wv.pool|${k}`, { unit: 'None', values: [v] });
  return out;
}

/**
 * Checks one collection: each number once, as recorded; each histogram observation one value,
 * within what was recorded, under the histogram's unit.
 */
function expectCollection(got: Map<string, Received>, t: CollectionTruth, c: number): void {
  const want = expectedNumbers(t);
  for (const [name, unit, hs] of [
    ['wv.latency', 'Milliseconds', t.latency],
    ['wv.sizes', 'Bytes', t.sizes],
  ] as const) {
    for (const [k, h] of hs) {
      const g = got.get(`${name}|${k}`);
      expect(g?.unit, `${name}|${k} in collection ${c}`).toBe(unit);
      expect(g?.values.length, `${name}|${k} in collection ${c}`).toBe(h.count);
      expect(Math.min(...g!.values)).toBeGreaterThanOrEqual(h.min);
      expect(Math.max(...g!.values)).toBeLessThanOrEqual(h.max);
      got.delete(`${name}|${k}`);
    }
  }
  expect([...got.keys()].sort(), `collection ${c}`).toEqual([...want.keys()].sort());
  for (const [k, w] of want) {
    expect(got.get(k)!.unit, `${k} in collection ${c}`).toBe(w.unit);
    expect(got.get(k)!.values).toEqual(w.values);
  }
}

describe('cloudwatch emf: values against a seeded workload', () => {
  it.each([1, 2, 3])('writes each collection as recorded (seed %i)', async (seed) => {
    const { obs, documents } = startEmf({ maxHistogramValues: 1000 }, { metricInterval: 3_600_000 });
    const marks: number[] = [];
    const truths = await recordWorkload(obs, seed, 5, async () => {
      marks.push(documents().length);
      await obs.forceFlush();
    });
    marks.push(documents().length);
    for (let c = 0; c < truths.length; c++) {
      const t = truths[c]!;
      const got = received(documents().slice(marks[c], marks[c + 1]));
      expectCollection(got, t, c);
    }
  });
});

describe('cloudwatch api: PutMetricData values against a seeded workload', () => {
  it.each([1, 2, 3])('sends each collection as recorded (seed %i)', async (seed) => {
    const intake = await startAwsIntake();
    try {
      const { obs } = startApi(intake.url, { logs: false }, { metricInterval: 3_600_000, anomaly: false });
      const puts = () => intake.requests.filter((r) => r.operation === 'PutMetricData');
      const marks: number[] = [];
      const truths = await recordWorkload(obs, seed, 4, async () => {
        marks.push(puts().length);
        await obs.forceFlush();
      });
      marks.push(puts().length);
      for (let c = 0; c < truths.length; c++) {
        const t = truths[c]!;
        const got = new Map<string, Received>();
        for (const d of puts()
          .slice(marks[c], marks[c + 1])
          .flatMap((r) => r.body.MetricData as any[])) {
          if (!String(d.MetricName).startsWith('wv.')) continue;
          const tenant = (d.Dimensions as { Name: string; Value: string }[]).find((x) => x.Name === 'tenant');
          const key = `${d.MetricName}|${tenant?.Value ?? '-'}`;
          const values: number[] =
            d.Value !== undefined
              ? [d.Value]
              : (d.Values as number[]).flatMap((v, i) => new Array((d.Counts as number[])[i]).fill(v));
          const seen = got.get(key);
          if (seen === undefined) got.set(key, { unit: d.Unit, values });
          else seen.values.push(...values);
        }
        expectCollection(got, t, c);
      }
    } finally {
      await getSightline()?.shutdown({ timeoutMs: 2000 });
      await intake.close();
    }
  });
});
