import { describe, expect, it } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file holds the only test that starts it.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' with attributes of no attribute value", () => {
  it('leaves out and counts those given to a span sampled out, as those of its options', async () => {
    // Prepare: every new trace sampled out, as dd-trace still sends it.
    const agent = await startAgent();
    const { obs } = start(agent, { ...ddTraceOptions(agent) }, { sampling: 0 });
    const invalid = () => obs.drops().invalid_attribute ?? 0;

    // Act
    obs.trace('dd-invalid-options', { attributes: { bad: { id: 7 } as never } }, () => undefined);
    const ofOptions = invalid();
    obs.trace('dd-invalid-methods', (span) => {
      span.setAttribute('bad', { id: 7 } as never);
      span.setAttribute('when', new Date(0) as never);
      span.setAttributes({ other: { id: 8 } as never, fine: 1 });
    });
    await obs.forceFlush();

    // Assert: dd-trace sent an object's members as attributes of their own (bad.id) and dropped a Date.
    const span = (await agentSpans(agent, 'dd-invalid-methods')).find((s) => s.name === 'dd-invalid-methods');
    expect({ ofOptions, ofMethods: invalid() - ofOptions }).toEqual({ ofOptions: 1, ofMethods: 3 });
    expect(Object.keys(span?.meta ?? {}).filter((k) => /^(bad|other|when)/.test(k))).toEqual([]);
    expect(span?.metrics.fine).toBe(1);
  });
});
