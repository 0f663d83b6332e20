import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';

const ignore = (): void => {};

/**
 * Hands each sampled span to an exporter as it ends. The adapters' exporters only enqueue (the
 * export core batches and sends), so a second batching queue here would only add a copy and a
 * place to lose spans without counting them.
 */
export class ExportingSpanProcessor implements SpanProcessor {
  constructor(private readonly exporter: SpanExporter) {}
  onStart(_span: Span, _parentContext: Context): void {}
  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return;
    try {
      this.exporter.export([span], ignore);
    } catch {
      // An exporter that throws loses this span; the caller ending it must not notice.
    }
  }
  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/** Replaces the values of sensitive attributes before any exporter sees the span. */
export class RedactingSpanProcessor implements SpanProcessor {
  constructor(private readonly isSensitive: (key: string) => boolean) {}
  onStart(_span: Span, _parentContext: Context): void {}
  onEnd(span: ReadableSpan): void {
    const attributes = span.attributes as Record<string, unknown>;
    for (const key in attributes) {
      if (this.isSensitive(key)) attributes[key] = '[Redacted]';
    }
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
