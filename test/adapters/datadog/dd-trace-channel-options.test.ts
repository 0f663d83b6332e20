import { describe, expect, it } from 'vitest';
import { ErrorCodes, SightlineConfigError } from '../../../src/index.js';
import { agentOfFile, ddTraceLoaded, ddTraceOptions, start } from './helpers.js';

// dd-trace, once loaded and started, stays for the life of the process: this file must load none.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with a channel option refused", () => {
  it("fails init() with the channel's coded error before dd-trace is loaded", async () => {
    const agent = await startAgent();
    expect(ddTraceLoaded()).toBe(false);
    let thrown: unknown;
    try {
      start(agent, { ...ddTraceOptions(agent), metrics: 'api', channel: { queueSize: 0 } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SightlineConfigError);
    expect(thrown).toMatchObject({ code: ErrorCodes.CONFIG_INVALID_VALUE, option: 'channel.queueSize' });
    expect((thrown as Error).message).toContain('datadog metrics: option channel.queueSize=0 is invalid');
    expect(ddTraceLoaded()).toBe(false);
  });
});
