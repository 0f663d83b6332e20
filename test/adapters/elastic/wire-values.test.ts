import { afterEach, describe, expect, it } from 'vitest';
import { type CollectionTruth, type HistogramTruth, recordWorkload } from '../../helpers/wire-workload.js';
import { AUTH, FAST_CHANNEL, startWithElastic, stopSightline } from './helpers.js';
import { EsIntake } from './intake-server.js';

let intake: EsIntake | undefined;
afterEach(async () => {
  await stopSightline();
  await intake?.close();
  intake = undefined;
});

const STREAM = 'metrics-checkout-production';

type Doc = { labels?: { tenant?: string }; wv?: Record<string, unknown>; event?: { kind?: string } };

/** `metric|tenant` → value of the documents of one collection; a series twice is an error. */
function received(docs: Doc[]): Map<string, number | Partial<HistogramTruth>> {
  const out = new Map<string, number | Partial<HistogramTruth>>();
  for (const d of docs) {
    if (d.wv === undefined) continue;
    expect(d.event?.kind).toBe('metric');
    for (const [name, value] of Object.entries(d.wv)) {
      const key = `wv.${name}|${d.labels?.tenant ?? '-'}`;
      expect(out.has(key), `${key} twice in one collection`).toBe(false);
      out.set(key, value as number | HistogramTruth);
    }
  }
  return out;
}

function expected(t: CollectionTruth, running: Map<string, number> | undefined) {
  const out = new Map<string, number | Partial<HistogramTruth>>();
  for (const [k, v] of running ?? t.orders) out.set(`wv.orders|${k}`, v);
  for (const [k, v] of t.depth) out.set(`wv.depth|${k}`, v);
  for (const [k, v] of t.temperature) out.set(`wv.temperature|${k}`, v);
  for (const [k, v] of t.pool) out.set(`wv.pool|${k}`, v);
  return out;
}

describe('elastic: metric documents against a seeded workload', () => {
  it.each([1, 2, 3])('writes each collection as recorded, delta (seed %i)', async (seed) => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake);
    const marks: number[] = [];
    const truths = await recordWorkload(obs, seed, 5, async () => {
      marks.push(intake!.bulk().length);
      await obs.forceFlush();
    });
    marks.push(intake.bulk().length);
    for (let c = 0; c < truths.length; c++) {
      const t = truths[c]!;
      const docs = intake
        .bulk()
        .slice(marks[c], marks[c + 1])
        .flatMap((r) => r.ops.filter((op) => op.index === STREAM).map((op) => op.doc as Doc));
      const got = received(docs);
      const want = expected(t, undefined);
      for (const [name, hs] of [
        ['wv.latency', t.latency],
        ['wv.sizes', t.sizes],
      ] as const) {
        for (const [k, h] of hs)
          want.set(`${name}|${k}`, { count: h.count, sum: h.sum, min: h.min, max: h.max });
      }
      expect([...got.keys()].sort(), `collection ${c}`).toEqual([...want.keys()].sort());
      for (const [k, w] of want) {
        const g = got.get(k)!;
        if (typeof w === 'number') expect(g, `${k} in collection ${c}`).toBeCloseTo(w, 6);
        else {
          const h = g as HistogramTruth;
          expect({ ...h, sum: 0 }, `${k} in collection ${c}`).toEqual({ ...w, sum: 0 });
          expect(h.sum).toBeCloseTo(w.sum!, 3);
        }
      }
    }
    // As Kibana sums them over the run: every order once, fractions kept.
    let total = 0;
    for (const t of truths) for (const v of t.orders.values()) total += v;
    const summed = intake.docValues(STREAM, 'wv.orders').reduce((a, b) => a + b, 0);
    expect(summed).toBeCloseTo(total, 6);
    let latency = 0;
    for (const t of truths) for (const h of t.latency.values()) latency += h.sum;
    expect(intake.docValues(STREAM, 'wv.latency.sum').reduce((a, b) => a + b, 0)).toBeCloseTo(latency, 3);
  });
});

describe('elastic: a request answered after its timeout', () => {
  // A request is sent again when no answer comes within timeoutMs: delivery is at least once, and
  // the documents Elasticsearch had already created are there twice, as the README says.
  it('is sent again, and a sum over the metric documents counts what it carried twice', async () => {
    intake = await EsIntake.start({ authorization: AUTH });
    intake.script({ status: 200, stream: STREAM, lateMs: 1500 });
    const { obs } = startWithElastic(intake, {
      channel: { ...FAST_CHANNEL, timeoutMs: 300 },
    });
    obs.metrics.counter('wv.orders').add(5, { tenant: 'a' });
    await obs.forceFlush({ timeoutMs: 3000 });
    const sent = intake.bulk().filter((r) => r.ops.some((op) => op.index === STREAM));
    expect(sent).toHaveLength(2);
    expect(intake.docValues(STREAM, 'wv.orders')).toEqual([5, 5]);
    const stats = obs.stats().elastic?.metrics;
    expect(stats?.delivered).toBe(stats?.produced);
    expect(stats?.retried).toBeGreaterThan(0);
  });
});

describe('elastic: cumulative metric documents against a seeded workload', () => {
  it.each([1, 2])('writes the running totals at each collection (seed %i)', async (seed) => {
    intake = await EsIntake.start({ authorization: AUTH });
    const { obs } = startWithElastic(intake, { temporality: 'cumulative' });
    const marks: number[] = [];
    const truths = await recordWorkload(obs, seed, 4, async () => {
      marks.push(intake!.bulk().length);
      await obs.forceFlush();
    });
    marks.push(intake.bulk().length);
    const running = new Map<string, number>();
    const counts = new Map<string, number>();
    for (let c = 0; c < truths.length; c++) {
      const t = truths[c]!;
      for (const [k, v] of t.orders) running.set(k, (running.get(k) ?? 0) + v);
      for (const [k, h] of t.latency) counts.set(k, (counts.get(k) ?? 0) + h.count);
      const got = received(
        intake
          .bulk()
          .slice(marks[c], marks[c + 1])
          .flatMap((r) => r.ops.filter((op) => op.index === STREAM).map((op) => op.doc as Doc)),
      );
      for (const [k, w] of expected(t, running))
        expect(got.get(k), `${k} in collection ${c}`).toBeCloseTo(w as number, 6);
      for (const [k, n] of counts)
        expect(
          (got.get(`wv.latency|${k}`) as HistogramTruth).count,
          `wv.latency|${k} in collection ${c}`,
        ).toBe(n);
    }
  });
});
