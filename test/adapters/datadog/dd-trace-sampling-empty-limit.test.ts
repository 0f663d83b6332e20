import { describe, expect, it, vi } from 'vitest';
import { agentOfFile, ddTraceOptions, keptOfBurst, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it in a service whose template left
// DD_TRACE_RATE_LIMIT empty, which is to say unset, and which dd-trace reads as a limit of 0.
vi.stubEnv('DD_TRACE_RATE_LIMIT', '');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with sampling 0.5 and DD_TRACE_RATE_LIMIT left empty", () => {
  it('keeps half of a burst of new traces, as with the variable unset, not none', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { sampling: 0.5 });
    const kept = await keptOfBurst(agent, obs, 'dd-empty-limit', 1000);
    // Binomial(1000, 0.5): outside 400..600 about once in 10^9 runs.
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
  });
});
