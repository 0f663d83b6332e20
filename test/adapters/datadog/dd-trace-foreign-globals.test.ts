/**
 * dd-trace beside an OpenTelemetry SDK set up before init() (auto-instrumentation loaded with
 * --require, say). dd-trace initialises once per process, so this file holds a test of its own.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { KEY, start } from './helpers.js';
import { IntakeServer } from './intake-server.js';

let server: IntakeServer | undefined;
afterAll(async () => {
  for (const api of [trace, context, propagation]) api.disable();
  await server?.close();
});

describe("traces: 'dd-trace' after another SDK", () => {
  it("leaves that SDK's tracer provider, context manager and propagator in place", async () => {
    // Prepare: the other SDK's tracer provider, context manager and propagator are the global ones.
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    server = await IntakeServer.start({ apiKey: KEY });

    // Act
    const { obs } = start(server, {
      metrics: 'none',
      events: false,
      traces: 'dd-trace',
      endpoints: { traces: server.url('') },
    });
    trace.getTracer('app').startSpan('while-running').end();
    await obs.shutdown({ timeoutMs: 2000 });

    // Assess: that SDK still gets the spans of the global API, carries the active span and writes traceparent.
    const span = trace.getTracer('app').startSpan('after-shutdown');
    const headers: Record<string, string> = {};
    context.with(trace.setSpan(context.active(), span), () => {
      expect(trace.getActiveSpan()).toBe(span);
      propagation.inject(context.active(), headers);
    });
    span.end();
    expect(headers.traceparent).toContain(span.spanContext().traceId);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['while-running', 'after-shutdown']);
  });
});
