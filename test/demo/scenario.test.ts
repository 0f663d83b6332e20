import { readFileSync } from 'node:fs';
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

describe("the README's demo section", () => {
  it('names the metric interval and the warm-up the default scenario runs with', () => {
    const readme = readFileSync('README.md', 'utf8');
    const demo = readme.slice(readme.indexOf('## The demo'), readme.indexOf('## Quick start'));
    const told = demo
      .replace(/\s+/g, ' ')
      .match(/a metric interval of (\d+) ms and a warm-up of (\d+) cycles/);
    expect(told?.slice(1).map(Number)).toEqual([SCENARIOS.default!.intervalMs, SCENARIOS.default!.warmup]);
  });
});
