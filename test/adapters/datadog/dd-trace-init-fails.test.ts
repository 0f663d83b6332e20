import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { datadog } from '../../../adapters/datadog/index.js';
import { otlp } from '../../../adapters/otlp/index.js';
import { SightlineConfigError } from '../../../src/index.js';
import { agentOfFile, agentSpans, ddTraceOptions, loopbackOptions, start } from './helpers.js';

// dd-trace initialises once per process: this file starts it in an init() that then fails.
const startAgent = agentOfFile();

describe("traces: 'dd-trace' in an init() that fails", () => {
  it('leaves nothing of dd-trace registered in the OpenTelemetry API', async () => {
    const agent = await startAgent();
    // An adapter set up after Datadog's refuses its channel option, once dd-trace has started.
    const exporters = [
      datadog(loopbackOptions(agent, ddTraceOptions(agent))),
      otlp({ url: agent.url(''), channel: { queueSize: 0 } }),
    ];
    expect(() => start(agent, {}, { exporters })).toThrow(SightlineConfigError);
    expect(Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\/]dd-trace[\\/]/.test(f))).toBe(
      true,
    );
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
