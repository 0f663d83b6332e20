import { describe, expect, it, vi } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it in a service whose template left
// DD_TRACE_SAMPLE_RATE empty.
vi.stubEnv('DD_TRACE_SAMPLE_RATE', '');
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with DD_TRACE_SAMPLE_RATE left empty", () => {
  // dd-trace reads an empty one as a rate of 0 and takes no option that unsets it: sightline, which
  // reads it as unset, gives dd-trace its `sampling` of 1, as the README says. When a dd-trace
  // release reads it as unset (the Agent's rates deciding, a priority of 1), the README must change.
  it('keeps every new trace by the user, at a sample rate of 1, as the README says', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent));
    obs.trace('dd-rate-empty', () => 1);
    await obs.forceFlush();
    const [root] = await agentSpans(agent, 'dd-rate-empty');
    expect(root!.metrics._sampling_priority_v1).toBe(2);
    expect(root!.metrics['_dd.rule_psr']).toBe(1);
  });
});
