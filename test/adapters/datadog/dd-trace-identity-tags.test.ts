import { describe, expect, it } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it with tags naming the unified ones.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with tags naming service, env or version in another case", () => {
  it('leaves them off its spans, as off the series, logs and events', async () => {
    // Prepare: a gateway's tags, in DD_TAGS and in code, each naming a unified tag in capitals.
    const agent = await startAgent();
    const { obs } = start(agent, {
      ...ddTraceOptions(agent),
      processEnv: { DD_TAGS: 'Service:payments,team:core' },
      tags: { ENV: 'staging', Version: '9.9.9' },
    });

    // Act
    obs.trace('dd-identity-tags', () => undefined);
    await obs.forceFlush();

    // Assert: Datadog reads tag keys in lower case; the span is checkout's, in prod, at 1.4.2 alone.
    const [span] = await agentSpans(agent, 'dd-identity-tags');
    expect(span?.service).toBe('checkout');
    expect(span?.meta).toMatchObject({ env: 'prod', version: '1.4.2', team: 'core' });
    const unified = Object.keys(span?.meta ?? {}).filter((k) =>
      ['service', 'env', 'version'].includes(k.toLowerCase()),
    );
    expect(unified.sort()).toEqual(['env', 'service', 'version']);
    expect(span?.meta).not.toHaveProperty('Service');
    expect(span?.meta).not.toHaveProperty('ENV');
    expect(span?.meta).not.toHaveProperty('Version');
  });
});
