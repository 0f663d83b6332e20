import { describe, expect, it } from 'vitest';
import { SCENARIOS, withDuration } from '../../examples/demo/scenario.js';

describe('the demo scenarios', () => {
  it.each([
    ['default', 20],
    ['default', 60],
    ['quick', 20],
    ['quick', 300],
  ])('%s stretched or shrunk to %i s (--duration) injects every fault after the warm-up', (name, seconds) => {
    const scenario = withDuration(SCENARIOS[name]!, seconds);
    const warmupS = (scenario.warmup * scenario.intervalMs) / 1000;
    for (const fault of scenario.faults) expect(fault.startS, fault.id).toBeGreaterThanOrEqual(warmupS);
  });
});
