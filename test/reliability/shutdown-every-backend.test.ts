/**
 * `shutdown()` and `forceFlush()` with every backend down at once: each adapter, with its own
 * channels and transport, against a backend that hangs, refuses connections or asks to wait a
 * minute. They return by their deadline, `shutdownTimeout` when given none, and shutdown leaves
 * nothing queued, every item delivered or counted dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SightlineInstance } from '../../src/api/sightline.js';
import { getSightline, init } from '../../src/index.js';
import { ANOMALY } from '../adapters/otlp/helpers.js';
import { SIGNALS, unbalanced } from './accounting.js';
import { ADAPTERS } from './every-adapter.js';
import { type Fault, type FaultyBackend, startFaultyBackend } from './faulty-backend.js';

const backends: FaultyBackend[] = [];
afterEach(async () => {
  await getSightline()?.shutdown({ timeoutMs: 200 });
  for (const b of backends.splice(0)) await b.close();
});

/** A backend per adapter, each doing `fault`; a 429 asks to wait a minute. */
async function downBackends(fault: Fault): Promise<Record<string, FaultyBackend>> {
  const out: Record<string, FaultyBackend> = {};
  for (const name of Object.keys(ADAPTERS)) {
    const b = await startFaultyBackend({ hangMs: 30_000, retryAfterSeconds: 60 });
    backends.push(b);
    out[name] = b;
    await b.setMode(fault);
  }
  return out;
}

/** Every adapter at once, each to its backend, having recorded `n` spans, log lines and points. */
function start(down: Record<string, FaultyBackend>, n: number, options: Parameters<typeof init>[0] = {}) {
  const obs = init({
    service: 'down',
    exporters: Object.entries(ADAPTERS).map(([name, make]) => make(down[name]!.url)),
    logStream: { write: () => {} },
    anomaly: false,
    outbound: false,
    metricInterval: 3_600_000,
    ...options,
  });
  const orders = obs.metrics.counter('orders.placed');
  for (let i = 0; i < n; i++) {
    obs.trace('work', () => orders.add(1, { plan: 'pro' }));
    obs.log.info({ i }, 'line');
  }
  (obs as SightlineInstance).emitAnomaly({ ...ANOMALY, time: Date.now() });
  return obs;
}

describe('shutdown() with every backend down', () => {
  it.each<Fault>(['hang', 'refuse', 'http429'])(
    'returns by its deadline when each backend does %s, nothing left queued',
    async (fault) => {
      const obs = start(await downBackends(fault), 2000);
      await obs.forceFlush({ timeoutMs: 300 }); // the first batches are now in flight or held
      const started = performance.now();
      await obs.shutdown({ timeoutMs: 1000 });
      const took = performance.now() - started;

      // Slack for a loaded machine, far below the 30 s a hung backend holds a request.
      expect(took).toBeLessThan(1000 + 3000);
      const stats = obs.stats();
      for (const name of Object.keys(ADAPTERS)) {
        const s = stats[name] ?? {};
        expect(unbalanced(s), name).toEqual([]);
        for (const signal of SIGNALS) expect(s[signal]?.queued ?? 0, `${name} ${signal} queued`).toBe(0);
        expect(s.logs?.delivered ?? 0, `${name} logs delivered`).toBe(0);
        expect(s.logs?.produced, `${name} logs produced`).toBeGreaterThan(0);
      }
    },
    30_000,
  );
});

describe('shutdownTimeout', () => {
  it('is the deadline of forceFlush() and shutdown() called without one, every backend hung', async () => {
    const obs = start(await downBackends('hang'), 200, { shutdownTimeout: 400 });
    let started = performance.now();
    await obs.forceFlush();
    // Slack for a loaded machine, below the channels' own 5 s deadline it must not fall back to.
    expect(performance.now() - started).toBeLessThan(400 + 2500);
    started = performance.now();
    await obs.shutdown();
    expect(performance.now() - started).toBeLessThan(400 + 2500);
    for (const name of Object.keys(ADAPTERS)) {
      expect(obs.stats()[name]?.logs?.queued, name).toBe(0);
    }
  });

  it.each(['forceFlush', 'shutdown'] as const)(
    "gives %s() the whole of a deadline longer than the channels' own 5 s, every backend back after 6 s",
    async (call) => {
      // Hung, then back: the requests held are cut and sent again at once, not after a long back-off.
      const down = await downBackends('hang');
      const obs = start(down, 200, { shutdownTimeout: 9000 });
      const done = obs[call]();
      await new Promise((r) => setTimeout(r, 6000));
      for (const b of Object.values(down)) await b.setMode('ok');
      await done;
      for (const name of Object.keys(ADAPTERS)) {
        const s = obs.stats()[name] ?? {};
        for (const signal of ['traces', 'logs'] as const) {
          if (s[signal] === undefined) continue;
          expect(s[signal]?.dropped, `${name} ${signal}`).toEqual({});
          expect(s[signal]?.delivered, `${name} ${signal}`).toBe(s[signal]?.produced);
        }
      }
    },
    20_000,
  );
});
