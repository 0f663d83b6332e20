/**
 * The default export queue bounds the README gives, per adapter: 2,048 items (Datadog's HTTP logs
 * 10,000), in flight included, beyond which new items are counted as `queue_full`.
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

describe('the default export queue, the backend hung', () => {
  it.each(Object.keys(ADAPTERS))('%s holds its documented number of log lines and events', async (name) => {
    hung = await startHungBackend();
    const obs = init({
      service: 'bounded',
      exporters: [ADAPTERS[name]!(hung.url)],
      logStream: { write: () => {} },
      anomaly: false,
      outbound: false,
      metricInterval: 3_600_000,
    });
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
});
