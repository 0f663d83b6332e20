import { afterEach, describe, expect, it } from 'vitest';
import { getSightline } from '../../../src/index.js';
import { type CollectionTruth, recordWorkload } from '../../helpers/wire-workload.js';
import { startEmf } from './helpers.js';

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
      const want = expectedNumbers(t);
      for (const [name, unit, hs] of [
        ['wv.latency', 'Milliseconds', t.latency],
        ['wv.sizes', 'Bytes', t.sizes],
      ] as const) {
        for (const [k, h] of hs) {
          const g = got.get(`${name}|${k}`);
          expect(g?.unit, `${name}|${k} in collection ${c}`).toBe(unit);
          // Every observation stands for one value, within what was recorded.
          expect(g?.values.length, `${name}|${k} in collection ${c}`).toBe(h.count);
          expect(Math.min(...g!.values)).toBeGreaterThanOrEqual(h.min);
          expect(Math.max(...g!.values)).toBeLessThanOrEqual(h.max);
          got.delete(`${name}|${k}`);
        }
      }
      expect([...got.keys()].sort(), `collection ${c}`).toEqual([...want.keys()].sort());
      for (const [k, w] of want) {
        const g = got.get(k)!;
        expect(g.unit, `${k} in collection ${c}`).toBe(w.unit);
        expect(g.values).toHaveLength(1);
        expect(g.values[0]).toBeCloseTo(w.values[0]!, 6);
      }
    }
  });
});
