import {
  type Attributes,
  type Context,
  context,
  type Span,
  type SpanOptions,
  type TimeInput,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { DdTraceProvider } from './dd-trace.js';
import { arraysAsText, keepArrayAttributes } from './dd-trace-attributes.js';
import { exceptionKeeper } from './dd-trace-errors.js';

/**
 * dd-trace's tracer provider, with its spans given what its OpenTelemetry bridge leaves out. HTTP
 * spans are named as Datadog names them: operation `http.server.request` or `http.client.request`,
 * resource `GET /orders/:id`, span type `web` or `http` (dd-trace's bridge sets none, and Datadog
 * takes a service's type, web, from its spans'). dd-trace makes an OpenTelemetry span's name its
 * operation name and fixes the resource at the start, so a server span renamed to its route once
 * the framework matched it would be an operation of its own per route, every one with resource
 * `GET`. Started without a name, an HTTP span gets dd-trace's operation for its kind (the one the
 * Agent gives OTLP spans); the name goes to `resource.name`, which a rename then updates. Every
 * span keeps its array attributes, as JSON text, and the message of an exception it records when it
 * is then marked failed; the exception's texts and the status description go through `fitText`.
 */
export function bridgeDdTraceSpans(
  provider: DdTraceProvider,
  fitText: (key: string, value: string) => string,
  countDrop: (reason: 'after_span_end' | 'detached_span_method' | 'invalid_attribute', n: number) => void,
): Omit<DdTraceProvider, 'register'> {
  const keep = exceptionKeeper(fitText);
  const counted = countingAfterEnd(countDrop);
  const drops = { add: (reason: 'invalid_attribute', n = 1) => countDrop(reason, n) };
  // The array attributes kept, as JSON text, and those of no attribute value left out and counted;
  // the errors recorded, fitted and kept; what is given once it ended counted.
  const bridged = (span: Span): Span => counted(keepArrayAttributes(keep(span), drops));
  return {
    getTracer: (name, version, options) => bridgedTracer(provider.getTracer(name, version, options), bridged),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function bridgedTracer(tracer: Tracer, bridged: (span: Span) => Span): Tracer {
  const startSpan = (name: string, options?: SpanOptions, ctx?: Context): Span => {
    const attributes = arraysAsText(options?.attributes);
    const opts = attributes === options?.attributes ? options : { ...options, attributes };
    if (attributes?.['http.request.method'] === undefined || !isHttpKind(opts?.kind)) {
      return bridged(tracer.startSpan(name, opts, ctx));
    }
    const span = tracer.startSpan('', opts, ctx);
    span.setAttribute('resource.name', name);
    span.setAttribute('span.type', opts?.kind === SpanKind.SERVER ? 'web' : 'http');
    span.updateName = renameResource;
    return bridged(span);
  };
  return {
    startSpan,
    startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
      const fn = rest.pop() as (span: Span) => ReturnType<F>;
      const [options, ctx] = rest as [SpanOptions | undefined, Context | undefined];
      const parent = ctx ?? context.active();
      const span = startSpan(name, options, parent);
      return context.with(trace.setSpan(parent, span), fn, undefined, span) as ReturnType<F>;
    },
  };
}

function isHttpKind(kind: SpanKind | undefined): boolean {
  return kind === SpanKind.SERVER || kind === SpanKind.CLIENT;
}

function renameResource(this: Span, name: string): Span {
  this.setAttribute('resource.name', name);
  return this;
}

/** A span's methods that take values, as they are once it ended. */
type TakingValues = Omit<Span, 'spanContext' | 'isRecording' | 'end'>;

/**
 * dd-trace ignores what is given to a span that has ended (work its `obs.trace` callback did not
 * await, still holding it), saying nothing: each is counted as `after_span_end`, as OpenTelemetry
 * mode counts it. The span's methods are swapped as it ends, so a call while it records costs
 * what it did; the swap is a few stores at `end()`.
 */
function countingAfterEnd(
  countDrop: (reason: 'after_span_end' | 'detached_span_method', n: number) => void,
): (span: Span) => Span {
  const lost = (n: number): void => countDrop('after_span_end', n);
  const one = function (this: Span): Span {
    lost(1);
    return this;
  };
  const ended: TakingValues = {
    // Unset (`region: process.env.REGION`), as a live span takes it: no value lost.
    setAttribute(this: Span, _key, value) {
      if (value !== undefined) lost(1);
      return this;
    },
    setAttributes(this: Span, attributes: Attributes) {
      let n = 0;
      try {
        for (const key in attributes) if (attributes[key] !== undefined) n++;
      } catch {
        // One that cannot be read was none to lose.
      }
      if (n > 0) lost(n);
      return this;
    },
    addEvent: one,
    // Nothing thrown is nothing lost.
    recordException(exception) {
      if (exception != null) lost(1);
    },
    addLink: one,
    addLinks(this: Span, links) {
      if (Array.isArray(links) && links.length > 0) lost(links.length);
      return this;
    },
    setStatus: one,
    updateName: one,
  };
  function end(this: Span, time?: TimeInput): void {
    // Called off its span (`promise.finally(span.end)`), as OpenTelemetry mode counts it: a throw
    // there would reject the caller's promise with an error of ours. The span stays unended.
    if (typeof this !== 'object' || this === null) {
      countDrop('detached_span_method', 1);
      return;
    }
    Object.getPrototypeOf(this).end.call(this, time);
    Object.assign(this, ended);
  }
  return (span) => {
    span.end = end;
    return span;
  };
}
