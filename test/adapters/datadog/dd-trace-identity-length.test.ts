import { describe, expect, it } from 'vitest';
import { ErrorCodes, SightlineConfigError } from '../../../src/index.js';
import { agentOfFile, ddTraceLoaded, ddTraceOptions, start } from './helpers.js';

// dd-trace, once loaded and started, stays for the life of the process: this file must load none.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with a service in ddTrace too long for a tag", () => {
  it('fails init() naming the option, as the service option does, before dd-trace is loaded', async () => {
    // Prepare: `service:` and 193 characters, one past Datadog's 200 a tag.
    const agent = await startAgent();
    const options = ddTraceOptions(agent);
    let thrown: unknown;

    // Act
    try {
      start(agent, { ...options, metrics: 'api', ddTrace: { ...options.ddTrace, service: 's'.repeat(193) } });
    } catch (error) {
      thrown = error;
    }

    // Assert: cut, the series' service would no longer be the one its spans carry.
    expect(thrown).toBeInstanceOf(SightlineConfigError);
    expect(thrown).toMatchObject({ code: ErrorCodes.CONFIG_INVALID_VALUE, option: 'ddTrace.service' });
    expect(ddTraceLoaded()).toBe(false);
  });
});
