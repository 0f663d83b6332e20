import { describe, expect, it } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with tags of DD_TAGS.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with DD_TAGS", () => {
  it('gives its spans the tags without a value, and a value with a blank whole, as dd-trace alone does and the metrics carry', async () => {
    // Prepare: a bare tag beside a key:value one, in the list sightline hands dd-trace in place
    // of the variable.
    const agent = await startAgent();
    const { obs } = start(agent, {
      ...ddTraceOptions(agent),
      processEnv: { DD_TAGS: 'canary,team:core payments' },
    });

    // Act
    obs.trace('dd-bare-tag', () => undefined);
    await obs.forceFlush();

    // Assert: dd-trace reading DD_TAGS itself gives canary an empty value, and splits at commas alone.
    const [span] = await agentSpans(agent, 'dd-bare-tag');
    expect(span?.meta).toMatchObject({ team: 'core payments', canary: '' });
    expect(span?.meta).not.toHaveProperty('payments');
  });
});
