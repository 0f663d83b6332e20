import { describe, expect, it, vi } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process, reading its variables then: this file starts it in a
// service whose platform sets DD_TRACE_SAMPLE_RATE for every service, and whose code keeps all.
vi.stubEnv('DD_TRACE_SAMPLE_RATE', '0');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with sampling in code over DD_TRACE_SAMPLE_RATE", () => {
  it('samples at the ratio in code, which ranks above the variable', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { sampling: 1 });
    // 200 traces at once: more than dd-trace's 100 a second for a sample rate of its own.
    for (let i = 0; i < 200; i++) obs.trace('dd-kept-in-code', () => i);
    await obs.forceFlush();
    const roots = (await agentSpans(agent, 'dd-kept-in-code')).filter((s) => s.name === 'dd-kept-in-code');
    expect(roots.length).toBeGreaterThan(0);
    expect(roots.filter((s) => Number(s.metrics._sampling_priority_v1) <= 0)).toEqual([]);
  });
});
