import { describe, expect, it } from 'vitest';
import { FaultGate, timeline } from '../../examples/demo/fault-gate.js';
import { Recorder } from '../../examples/demo/recorder.js';
import { activeFaults, SCENARIOS } from '../../examples/demo/scenario.js';

const P95 = 'http.server.request.duration.p95';

/** The quick scenario (warm-up 20 cycles, latency regression planned at 11 s) and its gate. */
function setup() {
  const run = timeline(SCENARIOS.quick!);
  const recorder = new Recorder(0);
  const gate = new FaultGate(run, recorder, run.warmup);
  const latency = run.faults[0]!;
  // One collection cycle of the regressed route's p95 series: 4 ms, with the band up to `upper`.
  const cycle = (upper: number) =>
    recorder.addBands('inventory-api', 0, [
      {
        metric: P95,
        method: 'GET',
        route: '/v1/items/:sku',
        observed: 0.004,
        expected: 0.004,
        lower: 0,
        upper,
        score: 0,
      },
    ]);
  /** Cycles until the gate lets the latency fault in; the time it went in, or undefined. */
  const runUntilInjected = (upper: (i: number) => number, maxCycles: number) => {
    let t = latency.startS;
    for (let i = 0; i < maxCycles; i++) {
      cycle(upper(i));
      gate.check(t);
      if (activeFaults(run, 'inventory-api', t).length > 0) return t;
      t += run.intervalMs / 1000;
    }
    return undefined;
  };
  return { run, gate, latency, cycle, runUntilInjected };
}

describe('the demo fault gate', () => {
  it('holds the latency regression while its route band is wider than the regression, then injects it a cycle after it narrows, the later faults and the end moved as much', () => {
    const { run, latency, cycle, runUntilInjected } = setup();
    // Past the warm-up by the clock, but a slow first cycle left the band 0.9 s wide.
    for (let i = 0; i < 22; i++) cycle(0.9);

    const at = runUntilInjected((i) => (i < 6 ? 0.9 : 0.02), 40);

    expect(at).toBeDefined();
    expect(at!).toBeGreaterThan(11 + 5 * 0.5);
    expect(at!).toBeLessThanOrEqual(11 + 8 * 0.5);
    expect(latency.startS).toBeLessThanOrEqual(at!);
    const errors = run.faults[1]!;
    expect(errors.startS - latency.startS).toBeCloseTo(19 - 11, 6);
    expect(run.durationS - latency.startS).toBeCloseTo(41 - 11, 6);
    // The daily rate pattern keeps its planned length.
    expect(run.dayS).toBe(41);
  });

  it('injects at the planned time when the band is already narrow', () => {
    const { latency, cycle, runUntilInjected } = setup();
    for (let i = 0; i < 24; i++) cycle(0.02);
    expect(runUntilInjected(() => 0.02, 1)).toBe(11);
    expect(latency.startS).toBe(11);
  });

  it('holds a fault at most the warm-up length in cycles when the band never narrows', () => {
    const { run, cycle, runUntilInjected } = setup();
    for (let i = 0; i < 24; i++) cycle(0.9);
    const at = runUntilInjected(() => 0.9, 100);
    expect(at).toBeDefined();
    expect(at!).toBeLessThanOrEqual(11 + (run.warmup + 1) * 0.5);
  });

  it('lets a fault in after four times that length in seconds when its series gets no cycles at all', () => {
    const { run, gate } = setup();
    let t = 11;
    for (gate.check(t); activeFaults(run, 'inventory-api', t).length === 0 && t < 100; gate.check(t))
      t += run.intervalMs / 1000;
    expect(t).toBeGreaterThanOrEqual(11 + 4 * run.warmup * 0.5);
    expect(t).toBeLessThan(100);
  });
});
