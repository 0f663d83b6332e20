import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { SightlineConfigError } from '../../../src/index.js';
import { agentOfFile, agentSpans, ddTraceOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it in an init() that then fails.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' in an init() that fails", () => {
  it('leaves nothing of dd-trace registered in the OpenTelemetry API', async () => {
    const agent = await startAgent();
    // A channel option checked as its channel is made, once dd-trace has started.
    expect(() =>
      start(agent, { ...ddTraceOptions(agent), metrics: 'api', channel: { queueSize: 0 } }),
    ).toThrow(SightlineConfigError);
    // The API hands out no tracer of the failed init(): a span started through it records nothing.
    expect(trace.getTracer('after').startSpan('after').isRecording()).toBe(false);
    // The context manager and propagator are free for the next init().
    const registered = {
      context: context.setGlobalContextManager(new AsyncLocalStorageContextManager()),
      propagation: propagation.setGlobalPropagator(new W3CTraceContextPropagator()),
    };
    context.disable();
    propagation.disable();
    expect(registered).toEqual({ context: true, propagation: true });
    // The init() that follows, its options set right, traces through dd-trace.
    const { obs } = start(agent, ddTraceOptions(agent));
    obs.trace('dd-after-failed-init', () => {});
    await obs.forceFlush();
    expect((await agentSpans(agent, 'dd-after-failed-init')).map((s) => s.name)).toContain(
      'dd-after-failed-init',
    );
  });
});
