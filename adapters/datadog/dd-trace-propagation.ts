import {
  type BaggageEntry,
  type Context,
  defaultTextMapGetter,
  isSpanContextValid,
  propagation,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator } from '@opentelemetry/core';
import { readTraceparent } from '../../src/integrations/shared/propagator.js';
import { RANDOM_TRACE_ID } from '../../src/traces/random-flag.js';
import {
  type BaggageDrops,
  countBaggageLeft,
  fittedTracestate,
  TRACESTATE_MAX,
  validTracestate,
  W3CBaggageReader,
  W3CTraceContextWriter,
} from '../../src/traces/w3c-propagators.js';
import type { DdSpanContext, DdTraceTracer } from './dd-trace.js';

/** A span context of dd-trace's OpenTelemetry bridge, which keeps dd-trace's own beside it. */
type Bridged = SpanContext & { _ddContext?: DdSpanContext };

const HTTP_HEADERS = 'http_headers';

/**
 * The traces (dd-trace's record of one, which the spans of the trace share) whose caller's
 * `traceparent` carried the random flag: dd-trace reads the sampled flag alone and writes no other.
 */
const randomTraces = new WeakSet<object>();

/** W3C's trace context: dd-trace's tracecontext style, and the headers of a call without its span. */
const W3C_FIELDS = ['traceparent', 'tracestate'];
/** The headers dd-trace's datadog style writes. */
const DATADOG_FIELDS = [
  'x-datadog-trace-id',
  'x-datadog-parent-id',
  'x-datadog-sampling-priority',
  'x-datadog-origin',
  'x-datadog-tags',
];

/**
 * Propagates as dd-trace's own HTTP plugins do, in the styles `DD_TRACE_PROPAGATION_STYLE` names
 * (Datadog's headers and W3C's by default). dd-trace's tracer provider registers OpenTelemetry's
 * W3C propagator, which ignored an upstream's Datadog headers (a caller sending only those started
 * a trace of its own) and dropped the high half of a 128-bit trace id (`_dd.p.tid`) on the way to
 * the Agent. A context dd-trace extracted stays whole on the bridge's spans; a span context that
 * is not dd-trace's, or none (a call made with a traceparent of its own), goes out as W3C headers,
 * with the context's baggage where dd-trace's styles send baggage, which dd-trace writes only
 * beside a span of its own.
 */
export function ddTracePropagator(tracer: DdTraceTracer, drops: BaggageDrops): TextMapPropagator {
  const baggage = injects(tracer, 'baggage');
  const w3c = new CompositePropagator({
    propagators: baggage
      ? [new W3CTraceContextWriter(), new W3CBaggageReader(drops)]
      : [new W3CTraceContextWriter()],
  });
  // The headers it writes: a call made with one of them by hand keeps it (Datadog's set by a
  // service that sends W3C's alone are not its, and its traceparent still goes beside them).
  const fields = [
    ...W3C_FIELDS,
    ...(injects(tracer, 'datadog') ? DATADOG_FIELDS : []),
    ...(baggage ? ['baggage'] : []),
  ];
  return {
    inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
      const dd = (trace.getSpanContext(ctx) as Bridged | undefined)?._ddContext;
      if (dd === undefined) {
        w3c.inject(ctx, carrier, setter);
        return;
      }
      const headers: Record<string, unknown> = {};
      try {
        tracer.inject(dd, HTTP_HEADERS, headers);
      } catch {
        // A call out goes without the headers rather than fail.
        return;
      }
      // dd-trace leaves out, saying nothing, the entries past its count (W3C Baggage's 180, or
      // baggageMaxItems) or 8,192 bytes.
      if (baggage) countBaggageLeft(ctx, headers.baggage, drops);
      const random = dd._trace !== undefined && randomTraces.has(dd._trace);
      for (const key of Object.keys(headers)) {
        const value = String(headers[key]);
        setter.set(
          carrier,
          key,
          key === 'tracestate'
            ? sentTracestate(value)
            : random && key === 'traceparent'
              ? withRandomFlag(value)
              : value,
        );
      }
    },
    extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
      let dd: DdSpanContext | null;
      const before = baggageItems(tracer);
      let caller: SpanContext | null;
      try {
        const headers = headersOf(carrier, getter);
        caller = headers.traceparent === undefined ? null : readTraceparent(joined(headers.traceparent));
        dd = tracer.extract(HTTP_HEADERS, readableW3C(headers, caller));
      } catch {
        // Headers dd-trace cannot read start a trace of the request's own, as malformed W3C ones do.
        return ctx;
      }
      const parent = withExtractedBaggage(tracer, ctx, before);
      if (dd == null) return parent;
      const priority = dd._sampling?.priority;
      const traceId = dd.toTraceId(true);
      // The caller's random flag, for the trace dd-trace continues: dd-trace reads the sampled one alone.
      const random =
        caller !== null && caller.traceId === traceId && (caller.traceFlags & RANDOM_TRACE_ID) !== 0;
      if (random && dd._trace !== undefined) randomTraces.add(dd._trace);
      const remote: Bridged = {
        traceId,
        spanId: dd.toSpanId(true),
        traceFlags:
          (priority === undefined || priority > 0 ? TraceFlags.SAMPLED : TraceFlags.NONE) |
          (random ? RANDOM_TRACE_ID : 0),
        isRemote: true,
        _ddContext: dd,
      };
      return isSpanContextValid(remote) ? trace.setSpanContext(parent, remote) : parent;
    },
    fields: () => fields,
  };
}

/**
 * The context with the baggage dd-trace's extract read. dd-trace keeps it in a store of its own,
 * which its context manager empties on entering a context without OpenTelemetry baggage, as the
 * request's is: left there, the caller's baggage never reached the handler nor the calls out.
 * An extract that read nothing leaves the store as it found it (the same object), as with
 * DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT=ignore: what it holds then is another context's, such as
 * the baggage a previous request on the same connection set, and never this request's.
 */
function withExtractedBaggage(
  tracer: DdTraceTracer,
  ctx: Context,
  before: Record<string, string> | undefined,
): Context {
  const items = baggageItems(tracer);
  if (items == null || items === before) return ctx;
  let entries: Record<string, BaggageEntry> | undefined;
  for (const key of Object.keys(items)) {
    entries ??= {};
    entries[key] = { value: String(items[key]) };
  }
  return entries === undefined ? ctx : propagation.setBaggage(ctx, propagation.createBaggage(entries));
}

/**
 * Whether dd-trace's styles (DD_TRACE_PROPAGATION_STYLE) write this one: a service that left
 * baggage out sends none, with a span of dd-trace's or without. Where the styles cannot be read
 * (a dd-trace that keeps them elsewhere), as its default, which writes both.
 */
function injects(tracer: DdTraceTracer, style: 'baggage' | 'datadog'): boolean {
  const styles = tracer._tracer?._config?.tracePropagationStyle?.inject;
  return !Array.isArray(styles) || styles.includes(style);
}

/** The baggage in dd-trace's store, or none where it cannot be read. */
function baggageItems(tracer: DdTraceTracer): Record<string, string> | undefined {
  try {
    return tracer.getAllBaggageItems?.();
  } catch {
    return undefined;
  }
}

/**
 * The headers as W3C receivers read them, `caller` their traceparent read (null where there is none
 * W3C receivers read). A traceparent they ignore goes, with its tracestate:
 * dd-trace reads one in upper-case hex, which Trace Context asks to be ignored, and continued its
 * trace where sightline without dd-trace, and the services after it, start one of their own. A
 * tracestate keeps its valid entries alone: dd-trace passed on to the services called the invalid
 * ones (`x=a=b`, `y=`) Trace Context asks not be, which sightline without dd-trace leaves out.
 */
function readableW3C(headers: Record<string, unknown>, caller: SpanContext | null): Record<string, unknown> {
  if (headers.traceparent === undefined) return headers;
  if (caller === null) {
    const { traceparent: _, tracestate: __, ...others } = headers;
    return others;
  }
  const tracestate = headers.tracestate;
  if (tracestate === undefined) return headers;
  const sent = joined(tracestate);
  const valid = validTracestate(sent);
  if (valid === sent) return headers;
  const { tracestate: _, ...others } = headers;
  return valid === '' ? others : { ...others, tracestate: valid };
}

/**
 * The `tracestate` dd-trace writes, within the 512 characters W3C Trace Context asks be passed on:
 * dd-trace puts its entry (`dd=`, which holds the sampling decision) before the caller's, read
 * within 512, and so sent them past it. Its entry stays first; the caller's that no longer fit are
 * left out as on the way in, those over 128 characters first, then from the right.
 */
function sentTracestate(value: string): string {
  if (value.length <= TRACESTATE_MAX) return value;
  const comma = value.indexOf(',');
  if (!value.startsWith('dd=') || comma === -1) return fittedTracestate(value);
  const callers = fittedTracestate(value.slice(comma + 1), TRACESTATE_MAX - comma - 1);
  return callers === '' ? value.slice(0, comma) : `${value.slice(0, comma)},${callers}`;
}

/** dd-trace's `traceparent` with the random flag beside the sampled one it writes. */
function withRandomFlag(traceparent: string): string {
  const flags = Number.parseInt(traceparent.slice(-2), 16);
  if (Number.isNaN(flags)) return traceparent;
  return `${traceparent.slice(0, -2)}${(flags | RANDOM_TRACE_ID).toString(16).padStart(2, '0')}`;
}

/** A header's value; one sent twice, as a proxy passes them on, as the two joined. */
function joined(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** The carrier as the plain object of lower-case header names dd-trace reads. */
function headersOf(carrier: unknown, getter: TextMapGetter): Record<string, unknown> {
  if (getter === defaultTextMapGetter && carrier !== null && typeof carrier === 'object')
    return carrier as Record<string, unknown>;
  const headers: Record<string, unknown> = {};
  for (const key of getter.keys(carrier)) {
    const value = getter.get(carrier, key);
    if (value !== undefined) headers[key.toLowerCase()] = value;
  }
  return headers;
}
