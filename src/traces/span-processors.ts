import { type Context, isSpanContextValid, type Link } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { DropCounter } from '../internal/drops.js';
import { holdsNoSecret } from '../logs/secret-names.js';
import { cutHidingAuthority, redactUrlField, redactUrlsIn } from '../logs/url-query.js';
import { invalidAttributesOf, SpanGuard } from './guarded-span.js';
import { repairSpanFields } from './span-repairs.js';

const ignore = (): void => {};

/**
 * A span's string value as sightline sends it: a URL in it with its credentials and query secrets
 * redacted, and cut to `max` characters, counted, with the authority of a URL the cut ends in
 * hidden. The value itself when there is nothing to hide or cut.
 */
export function fitSpanText(
  key: string,
  value: string,
  isSensitive: (key: string) => boolean,
  max: number,
  drops: Pick<DropCounter, 'add'>,
): string {
  const text = redactUrlField(key, value, isSensitive) ?? redactUrlsIn(value, isSensitive);
  if (value.length <= max && text.length <= max) return text;
  drops.add('truncated_attribute');
  return cutHidingAuthority(text, max);
}

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
 * exactly at the limit does not. A URL in any string value (a connection string, a recorded
 * exception's message and stack) and in the status message is written with its credentials and
 * query secrets redacted, as in log lines, and one a cut ends in with its authority hidden; a string
 * without `://` costs one look. So is the span's name and each of its events'. The status message is cut and counted as an attribute value is. A
 * link to no valid span context (none, ids not 32 and 16 hex digits) is removed and counted, in
 * obs.drops() and in the span's `droppedLinksCount`: the SDK keeps it as given, and no exporter can
 * write it, so it would cost the whole span, or the whole request a collector refuses over an id of
 * the wrong length. Names, kinds, status codes and times no exporter can write are repaired
 * ({@link repairSpanFields}). The attributes, events and links the SDK's count limits left out are
 * counted too: the span's own dropped counts reach no backend but an OTLP one. Each span, as it
 * starts, is given methods that never throw into the user's code ({@link SpanGuard}).
 */
export class SanitizingSpanProcessor implements SpanProcessor {
  constructor(
    private readonly isSensitive: (key: string) => boolean,
    private readonly maxLength: number,
    private readonly drops: Pick<DropCounter, 'add'>,
  ) {
    this.guard = new SpanGuard(drops);
  }
  private readonly guard: SpanGuard;
  onStart(span: Span, _parentContext: Context): void {
    // The span the user is given (obs.trace's, the active one) is the SDK's, whose methods throw.
    this.guard.guard(span);
  }
  onEnd(span: ReadableSpan): void {
    // Read before invalid links add theirs to droppedLinksCount, counted apart; the attributes left
    // out of a link are counted once it is kept, an invalid one being counted whole.
    const linksPastLimit = span.droppedLinksCount;
    if (span.links.length > 0) this.dropInvalidLinks(span);
    this.countLimited(span, linksPastLimit);
    this.sanitize(span.attributes);
    for (const event of span.events) if (event.attributes) this.sanitize(event.attributes);
    for (const link of span.links) if (link.attributes) this.sanitize(link.attributes);
    repairSpanFields(span);
    this.hideInNames(span);
    // obs.trace() gives a failed span its error's message, which may quote megabytes (an ORM's
    // error quoting the rows it was given): uncut, the span would be too large to send.
    if (span.status.message !== undefined)
      this.fit(span.status as unknown as Record<string, unknown>, 'message');
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  private dropInvalidLinks(span: ReadableSpan): void {
    const links = span.links as Link[];
    const before = links.length;
    for (let i = links.length - 1; i >= 0; i--) {
      let valid: boolean;
      try {
        valid = isSpanContextValid(links[i]!.context);
      } catch {
        valid = false;
      }
      if (valid) continue;
      links.splice(i, 1);
      this.drops.add('invalid_link');
    }
    // Counted where OTLP's dropped_links_count reads it, as the SDK counts links past its limit; the
    // SDK's span has only a getter there, which an own value stands in front of.
    const removed = before - links.length;
    if (removed > 0)
      Object.defineProperty(span, 'droppedLinksCount', {
        value: span.droppedLinksCount + removed,
        enumerable: true,
        configurable: true,
      });
  }

  private countLimited(span: ReadableSpan, linksPastLimit: number): void {
    let attributes = span.droppedAttributesCount;
    // The invalid attributes of an event or link its limit removed went with it, counted as that.
    let invalid = 0;
    for (const event of span.events) {
      attributes += event.droppedAttributesCount ?? 0;
      invalid += invalidAttributesOf(event);
    }
    for (const link of span.links) {
      attributes += link.droppedAttributesCount ?? 0;
      invalid += invalidAttributesOf(link);
    }
    if (invalid > 0) this.drops.add('invalid_attribute', invalid);
    if (attributes > 0) this.drops.add('attribute_count_limit', attributes);
    if (span.droppedEventsCount > 0) this.drops.add('event_count_limit', span.droppedEventsCount);
    if (linksPastLimit > 0) this.drops.add('link_count_limit', linksPastLimit);
  }

  /**
   * A name is text a caller or an instrumentation builds as it builds a message (`charge ${url}`,
   * a span named from the path it was given, an event named for the URL retried): its URLs' and
   * queries' secrets are hidden as an attribute's are. A name without `=` or `:` costs two looks.
   */
  private hideInNames(span: ReadableSpan): void {
    const name = redactUrlsIn(span.name, this.isSensitive);
    if (name !== span.name) (span as { name: string }).name = name;
    for (const event of span.events) {
      const clean = redactUrlsIn(event.name, this.isSensitive);
      if (clean !== event.name) (event as { name: string }).name = clean;
    }
  }

  private sanitize(attributes: Record<string, unknown>): void {
    for (const key in attributes) {
      if (this.isSensitive(key)) {
        if (!holdsNoSecret(key, attributes[key])) attributes[key] = '[Redacted]';
      } else this.fit(attributes, key);
    }
  }

  private fit(attributes: Record<string, unknown>, key: string): void {
    const value = attributes[key];
    const max = this.maxLength;
    if (typeof value === 'string') {
      const text = fitSpanText(key, value, this.isSensitive, max, this.drops);
      if (text !== value) attributes[key] = text;
    } else if (Array.isArray(value)) {
      // Each string is read as one alone is: a look of its own for what redactUrlsIn reads left
      // header lines (`Authorization: Bearer ...`), which need neither `://` nor `=`, unread.
      let texts: unknown[] | undefined;
      let cut = false;
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v !== 'string') continue;
        let text = redactUrlsIn(v, this.isSensitive);
        if (v.length > max || text.length > max) {
          cut = true;
          text = cutHidingAuthority(text, max);
        }
        if (text === v) continue;
        texts ??= value.slice();
        texts[i] = text;
      }
      if (texts === undefined) return;
      if (cut) this.cut(attributes, key, texts);
      else attributes[key] = texts;
    }
  }

  private cut(attributes: Record<string, unknown>, key: string, value: unknown): void {
    attributes[key] = value;
    this.drops.add('truncated_attribute');
  }
}
