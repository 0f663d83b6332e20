import { describe, expect, it, vi } from 'vitest';
import { agentOfFile, ddTraceOptions, keptOfBurst, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it in a service whose ratio is dd-trace's
// own DD_TRACE_SAMPLE_RATE, and whose template left DD_TRACE_RATE_LIMIT empty, which is to say
// unset, and which dd-trace reads as a limit of 0.
vi.stubEnv('DD_TRACE_SAMPLE_RATE', '0.5');
vi.stubEnv('DD_TRACE_RATE_LIMIT', '');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with DD_TRACE_SAMPLE_RATE=0.5 and DD_TRACE_RATE_LIMIT left empty", () => {
  it("keeps what dd-trace's default cap of 100 traces a second lets through, as with the variable unset, not none", async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent));
    const kept = await keptOfBurst(agent, obs, 'dd-rate-empty-limit', 1000);
    // Half of 1000 is far above the cap: it keeps about 100 for each second the burst spans.
    expect(kept).toBeGreaterThan(50);
  });
});
