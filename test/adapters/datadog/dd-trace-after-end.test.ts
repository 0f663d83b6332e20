import { type Span, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it once.
const startAgent = agentOfFile();

describe("traces: 'dd-trace', values given to a span after it ended", () => {
  it('counts each as after_span_end, as OpenTelemetry mode does, and sends none', async () => {
    const agent = await startAgent();
    const { obs } = start(agent, ddTraceOptions(agent));
    let held: Span | undefined;
    obs.trace('dd-ended', (span) => {
      held = span;
      span.setAttribute('kept', 'yes');
    });
    const before = obs.drops().after_span_end ?? 0;
    held!.setAttribute('late.one', 'x');
    held!.setAttributes({ 'late.two': 'x', 'late.three': 'x', unset: undefined });
    held!.addEvent('late-event');
    held!.recordException(new Error('late'));
    held!.setStatus({ code: SpanStatusCode.ERROR, message: 'late' });
    held!.updateName('late-name');
    expect((obs.drops().after_span_end ?? 0) - before).toBe(7);
    await obs.forceFlush();
    const [span] = await agentSpans(agent, 'dd-ended');
    expect(span!.meta.kept).toBe('yes');
    expect(Object.keys(span!.meta).filter((k) => k.startsWith('late'))).toEqual([]);
    expect(span!.error ?? 0).toBe(0);
    await obs.shutdown();
  });
});
