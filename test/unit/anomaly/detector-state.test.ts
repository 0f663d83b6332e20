import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { F, Layout } from '../../../src/anomaly/detector-layout.js';
import {
  COLD_AT,
  DAY_MS,
  HOT_FLOATS,
  LIK_WINDOW,
  OWN_COLD_FLOATS,
  OWN_HOT_FLOATS,
  RING_FLOATS,
  STATE_FLOATS,
  Z_RING_AT,
  Z_WINDOW,
} from '../../../src/anomaly/detector-state.js';
import { type AnomalyResult, createDetector, type Detector } from '../../../src/anomaly/index.js';
import { gaussian, prng, STEP, T0 } from './series.js';

describe('detector state layout', () => {
  // A numeric enum also maps each value back to its name; keep the name-to-slot entries.
  const slots = Object.entries(F).filter((e): e is [string, number] => typeof e[1] === 'number');

  it("states the detector's literal layout numbers as the layout computes them", () => {
    expect(Layout.dayMs).toBe(DAY_MS);
    expect(Layout.zRingAt).toBe(Z_RING_AT);
    expect(Layout.zWindow).toBe(Z_WINDOW);
    expect(Layout.likWindow).toBe(LIK_WINDOW);
    expect(F.runRate).toBe(COLD_AT);
  });

  it('gives every scalar its own slot', () => {
    const taken = new Map<number, string>();
    for (const [name, slot] of slots) {
      expect(taken.get(slot), `${name} shares slot ${slot}`).toBeUndefined();
      taken.set(slot, name);
    }
  });

  it('keeps the scalars inside the detector ranges, clear of the rings, likelihood and profile state', () => {
    const hot = slots.filter(([, slot]) => slot < OWN_HOT_FLOATS);
    const cold = slots.filter(([, slot]) => slot >= COLD_AT && slot < COLD_AT + OWN_COLD_FLOATS);
    expect(hot.length).toBe(OWN_HOT_FLOATS);
    expect(cold.length).toBe(OWN_COLD_FLOATS);
    expect(hot.length + cold.length).toBe(slots.length);
    expect(HOT_FLOATS * 8 + RING_FLOATS * 4).toBeLessThanOrEqual(COLD_AT * 8);
    expect(COLD_AT + OWN_COLD_FLOATS).toBeLessThanOrEqual(STATE_FLOATS);
    expect((STATE_FLOATS * 8) % 64).toBe(0);
  });
});

/** A daily pattern with noise and a few spikes: fills the profiles and the rings. */
function values(seed: number, n: number): number[] {
  const g = gaussian(prng(seed));
  return Array.from(
    { length: n },
    (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 288) + 4 * g() + (i % 997 === 500 ? 60 : 0),
  );
}

function feed(d: Detector, v: readonly number[]): AnomalyResult[] {
  return v.map((x, i) => d.update(x, T0 + i * STEP));
}

describe('series sharing a slab', () => {
  it('do not see each other: interleaved series score as each does alone', () => {
    const n = 4000;
    const inputs = [0, 1, 2, 3, 4].map((k) => values(40 + k, n));
    const alone = inputs.map((v) => feed(createDetector(), v));
    const shared = inputs.map(() => createDetector());
    const out: AnomalyResult[][] = inputs.map(() => []);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < shared.length; k++) out[k]!.push(shared[k]!.update(inputs[k]![i]!, T0 + i * STEP));
    }
    expect(out).toEqual(alone);
  });

  it('reset() clears only its own series', () => {
    const n = 3000;
    const a = createDetector();
    const b = createDetector();
    const va = values(50, n);
    const vb = values(51, n);
    const expected = feed(createDetector(), vb);
    const got: AnomalyResult[] = [];
    for (let i = 0; i < n; i++) {
      if (i < n / 2) a.update(va[i]!, T0 + i * STEP);
      else if (i === n / 2) a.reset();
      got.push(b.update(vb[i]!, T0 + i * STEP));
    }
    expect(got).toEqual(expected);
    expect(feed(a, va)).toEqual(feed(createDetector(), va));
  });

  it('reuses the slots of collected detectors, which start clean, and drops empty slabs', () => {
    // Collection must be forced, so this runs in a child process with --expose-gc. Helpers are
    // functions of their own: a suspended async frame could keep its last detector alive.
    const script = `
      import { createDetector } from './src/anomaly/index.ts';
      import { slabUsage } from './src/anomaly/detector-state.ts';
      const collect = async () => {
        for (let k = 0; k < 5; k++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      };
      const series = (n, seed) => Array.from({ length: n }, (_, i) => 100 + 20 * Math.sin(i / 40 + seed) + (i % 301 === 7 ? 80 : 0));
      const run = (d, v) => JSON.stringify(v.map((x, i) => d.update(x, 1.7e12 + i * 300000)));
      const reference = run(createDetector(), series(3000, 1));
      await collect();
      // Every other detector stays alive, so each slab keeps series and the others' slots are freed.
      const keep = (() => {
        const all = Array.from({ length: 200 }, () => createDetector());
        for (const d of all) run(d, series(2000, 2));
        return all.filter((_, i) => i % 2 === 0);
      })();
      const full = slabUsage();
      await collect();
      const half = slabUsage();
      const fresh = (() => {
        const again = Array.from({ length: 100 }, () => createDetector());
        return { usage: slabUsage(), same: again.every((d) => run(d, series(3000, 1)) === reference) };
      })();
      await collect();
      const kept = slabUsage();
      keep.length = 0;
      await collect();
      process.stdout.write(JSON.stringify({ full, half, fresh, kept, empty: slabUsage() }));
    `;
    const result = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: process.cwd(), encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.stderr).toBe('');
    const { full, half, fresh, kept, empty } = JSON.parse(result.stdout);
    expect(full.capacity).toBeGreaterThanOrEqual(200);
    expect(full.capacity).toBeLessThan(400);
    // Only the slab of one that lost its single series is gone; the new series fill freed slots.
    expect(half.capacity).toBeGreaterThan(full.capacity - 5);
    expect(fresh.usage).toEqual(half);
    expect(fresh.same).toBe(true);
    expect(kept).toEqual(half);
    expect(empty).toEqual({ slabs: 0, capacity: 0 });
  });
});
