import { describe, expect, it } from 'vitest';
import { agentOfFile, ddTraceOptions, keptOfBurst, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with sightline's `sampling` at 0.5.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with sampling 0.5", () => {
  it('keeps half of a burst of new traces, as in otlp mode, not dd-trace rules’ 100 a second', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent), { sampling: 0.5 });
    // 1000 traces in well under a second, as a service at 1000 requests a second starts them.
    const kept = await keptOfBurst(agent, obs, 'dd-burst', 1000);
    // Binomial(1000, 0.5): outside 400..600 about once in 10^9 runs.
    expect(kept).toBeGreaterThan(400);
    expect(kept).toBeLessThan(600);
  });
});
