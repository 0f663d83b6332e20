/**
 * The default export queue bounds the README gives, per adapter: 2,048 items (Datadog's HTTP logs
 * 10,000; metrics 50,000, a whole collection being queued at once), in flight included, beyond
 * which new items are counted as `queue_full`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SightlineInstance } from '../../src/api/sightline.js';
import { getSightline, init } from '../../src/index.js';
import { ANOMALY } from '../adapters/otlp/helpers.js';
import { startHungBackend, type HungBackend } from '../helpers/hung-backend.js';
import { unbalanced } from './accounting.js';
import { ADAPTERS } from './every-adapter.js';

let hung: HungBackend | undefined;
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 200 });
  await hung?.close();
});

const LOGS_QUEUE: Record<string, number> = { datadog: 10_000 };

/** The adapter `name` alone, sending to a backend that hangs. */
async function startHung(name: string, cardinalityLimit?: number) {
  hung = await startHungBackend();
  return init({
    service: 'bounded',
    exporters: [ADAPTERS[name]!(hung.url)],
    logStream: { write: () => {} },
    anomaly: false,
    outbound: false,
    metricInterval: 3_600_000,
    ...(cardinalityLimit === undefined ? {} : { cardinalityLimit }),
  });
}

describe('the default export queue, the backend hung', () => {
  it.each(Object.keys(ADAPTERS))('%s holds its documented number of log lines and events', async (name) => {
    const obs = await startHung(name);
    for (let i = 0; i < 15_000; i++) obs.log.info({ i }, 'line');
    for (let i = 0; i < 3000; i++) {
      (obs as SightlineInstance).emitAnomaly({ ...ANOMALY, time: Date.now(), attributes: { i: String(i) } });
    }
    await new Promise((r) => setTimeout(r, 200));
    const s = obs.stats()[name] ?? {};
    expect(unbalanced(s)).toEqual([]);
    const logs = LOGS_QUEUE[name] ?? 2048;
    expect(s.logs?.queued, 'logs queued').toBe(logs);
    expect(s.logs?.dropped.queue_full, 'logs queue_full').toBe((s.logs?.produced ?? 0) - logs);
    expect(s.events?.queued, 'events queued').toBe(2048);
    expect(s.events?.dropped.queue_full, 'events queue_full').toBe(3000 - 2048);
  });

  it.each(Object.keys(ADAPTERS))(
    '%s holds 50,000 metric points',
    async (name) => {
      const obs = await startHung(name, 40_000);
      // Two collections of 30,000 series each: 60,000 points, the first 50,000 of them held.
      const requests = obs.metrics.counter('requests');
      for (let i = 0; i < 30_000; i++) requests.add(1, { tenant: `t${i}` });
      await obs.forceFlush({ timeoutMs: 100 });
      for (let i = 0; i < 30_000; i++) requests.add(1, { tenant: `t${i}` });
      await obs.forceFlush({ timeoutMs: 100 });
      // Some adapters turn a collection into items a slice at a time, off the event loop's turn.
      const produced = () => obs.stats()[name]?.metrics?.produced ?? 0;
      let last = -1;
      while (produced() !== last) {
        last = produced();
        await new Promise((r) => setTimeout(r, 200));
      }
      const s = obs.stats()[name] ?? {};
      expect(unbalanced(s)).toEqual([]);
      expect(s.metrics?.queued, 'metrics queued').toBe(50_000);
      expect(s.metrics?.dropped.queue_full, 'metrics queue_full').toBe((s.metrics?.produced ?? 0) - 50_000);
    },
    60_000,
  );
});
