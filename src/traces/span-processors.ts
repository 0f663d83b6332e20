import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { redactUrlsIn } from '../logs/url-query.js';

const ignore = (): void => {};
const EXCEPTION_TEXTS = ['exception.message', 'exception.stacktrace'];
const STATUS_TEXT = ['message'];

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

/**
 * Before any exporter sees the span, replaces the values of sensitive attributes (the span's, its
 * events' and its links') and cuts strings longer than `maxLength`, counting each value cut. The
 * SDK is set to keep one character more, so a value it cut still reads as too long here while one
 * exactly at the limit does not. A recorded exception's message and stack, and the status message
 * made from it, are written with the URLs they quote redacted, as in log lines.
 */
export class SanitizingSpanProcessor implements SpanProcessor {
  constructor(
    private readonly isSensitive: (key: string) => boolean,
    private readonly maxLength: number,
    private readonly onTruncated: () => void,
  ) {}
  onStart(_span: Span, _parentContext: Context): void {}
  onEnd(span: ReadableSpan): void {
    this.sanitize(span.attributes);
    for (const event of span.events) {
      if (event.attributes === undefined) continue;
      if (event.name === 'exception') this.hideUrls(event.attributes, EXCEPTION_TEXTS);
      this.sanitize(event.attributes);
    }
    for (const link of span.links) if (link.attributes) this.sanitize(link.attributes);
    if (span.status.message !== undefined) this.hideUrls(span.status, STATUS_TEXT);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private sanitize(attributes: Record<string, unknown>): void {
    for (const key in attributes) {
      if (this.isSensitive(key)) attributes[key] = '[Redacted]';
      else this.fit(attributes, key);
    }
  }

  private hideUrls(fields: object, keys: readonly string[]): void {
    const texts = fields as Record<string, unknown>;
    for (const key of keys) {
      const text = texts[key];
      if (typeof text === 'string') texts[key] = redactUrlsIn(text, this.isSensitive);
    }
  }

  private fit(attributes: Record<string, unknown>, key: string): void {
    const value = attributes[key];
    const max = this.maxLength;
    if (typeof value === 'string') {
      if (value.length > max) this.cut(attributes, key, value.slice(0, max));
    } else if (Array.isArray(value) && value.some((v) => typeof v === 'string' && v.length > max)) {
      this.cut(
        attributes,
        key,
        value.map((v) => (typeof v === 'string' ? v.slice(0, max) : v)),
      );
    }
  }

  private cut(attributes: Record<string, unknown>, key: string, value: unknown): void {
    attributes[key] = value;
    this.onTruncated();
  }
}
