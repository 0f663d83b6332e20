import { describe, expect, it } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it once.
const startAgent = agentOfFile();

describe("traces: 'dd-trace', a span's end() called off its span", () => {
  it('throws nothing into the caller and is counted as detached_span_method, as in OpenTelemetry mode', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent));
    const before = obs.drops().detached_span_method ?? 0;
    // As `promise.finally(span.end)` calls it: the promise settles as the work did.
    const settled = await obs.trace('dd-detached', (span) => Promise.resolve('done').finally(span.end));
    expect(settled).toBe('done');
    expect((obs.drops().detached_span_method ?? 0) - before).toBe(1);
    // The span it was taken off is ended by obs.trace and goes out once.
    await obs.forceFlush();
    expect(await agentSpans(agent, 'dd-detached')).toHaveLength(1);
    await obs.shutdown();
  });
});
