import { describe, expect, it } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with `ddTrace` options left unset.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with ddTrace options set to undefined", () => {
  it('keeps what sightline gives dd-trace where an option is undefined, as an option left out', async () => {
    const agent = await startAgent();
    const options = ddTraceOptions(agent);
    // An override read from a variable that is not set, as `exactOptionalPropertyTypes` lets one write.
    const overrides = { sampleRate: undefined, url: undefined };
    const { obs } = start(
      agent,
      { ...options, ddTrace: { ...options.ddTrace, ...overrides } },
      { sampling: 0 },
    );
    obs.trace('dd-unset-options', () => {});
    await obs.forceFlush();
    // At sightline's Agent address, with sightline's ratio: the trace is sent as dropped.
    const [root] = (await agentSpans(agent, 'dd-unset-options')).filter((s) => s.name === 'dd-unset-options');
    expect(root?.metrics._sampling_priority_v1).toBeLessThanOrEqual(0);
  });
});
