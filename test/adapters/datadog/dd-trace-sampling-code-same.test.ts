import { describe, expect, it, vi } from 'vitest';
import { agentOfFile, ddTraceOptions, keptOfBurst, start } from './helpers.js';

// dd-trace initialises once per process, reading its variables then: this file starts it in a
// service whose platform sets DD_TRACE_SAMPLE_RATE, and whose code sets the same ratio.
vi.stubEnv('DD_TRACE_SAMPLE_RATE', '0.5');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with sampling in code equal to DD_TRACE_SAMPLE_RATE", () => {
  it('keeps half of a burst of new traces, as with any other ratio in code, not 100 a second', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { sampling: 0.5 });
    // 1000 traces in well under a second: ten times dd-trace's 100 a second for its own sample rate.
    const kept = await keptOfBurst(agent, obs, 'dd-code-same', 1000);
    // Binomial(1000, 0.5): outside 400..600 about once in 10^9 runs.
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
  });
});
