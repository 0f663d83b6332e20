import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed, parseKeyPairsIntoRecord } from '@opentelemetry/core';
import type { Sightline } from '../../api/types.js';
import { type DropCounter, dropsOf } from '../../internal/drops.js';
import { recordException } from '../../traces/record-exception.js';
import { BAGGAGE_MAX_ENTRIES, BAGGAGE_MAX_LENGTH, readableBaggage } from '../../traces/w3c-propagators.js';
import { errorTypeOf, normalizeMethod, setMethodAttributes } from '../shared/http-attributes.js';
import { isReadableTraceparent } from '../shared/propagator.js';
import { type HttpClientInstruments, httpClientInstruments } from '../shared/instruments.js';
import { isUntracedOrigin } from './untraced-origins.js';

/** What a client channel tells about an outgoing request, read once when it is created. */
export interface ClientRequestInfo {
  method: string | undefined;
  /** `scheme://host[:port]`, the port left out when it is the scheme's default; `unix:<path>` for a Unix socket. */
  origin: string;
  /** `scheme://host[:port]/path`, without the query string or credentials. */
  urlFull: string;
  serverAddress: string | undefined;
  serverPort: number;
}

/** One outgoing request in flight: its CLIENT span and what its metric needs. */
export class ClientCall {
  readonly span: Span;
  readonly context: Context;
  private readonly startedAt = performance.now();
  private readonly method: string;
  private readonly serverAddress: string | undefined;
  private readonly serverPort: number;
  private statusCode: number | undefined;
  private errorType: string | undefined;
  private done = false;

  constructor(
    tracer: Sightline['tracer'],
    private readonly instruments: HttpClientInstruments,
    parent: Context,
    info: ClientRequestInfo,
  ) {
    const method = normalizeMethod(info.method);
    const attributes: Attributes = {};
    setMethodAttributes(attributes, info.method, method);
    attributes['url.full'] = info.urlFull;
    if (info.serverAddress !== undefined) attributes['server.address'] = info.serverAddress;
    attributes['server.port'] = info.serverPort;
    this.span = tracer.startSpan(
      method === '_OTHER' ? 'HTTP' : method,
      { kind: SpanKind.CLIENT, attributes },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
    this.method = method;
    this.serverAddress = info.serverAddress;
    this.serverPort = info.serverPort;
  }

  /** Records the response status; 4xx and 5xx mark a client span failed (semantic conventions). */
  status(code: number): void {
    if (this.done) return;
    this.span.setAttribute('http.response.status_code', code);
    this.statusCode = code;
    if (code >= 400) this.fail(String(code));
  }

  /** Ends the call with an error (network failure, abort). */
  error(error: unknown): void {
    if (this.done) return;
    recordException(this.span, error);
    this.fail(errorTypeOf(error));
    this.end();
  }

  /** Ends the span and records the duration; only the first call counts. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.span.end();
    const { method, serverAddress, serverPort, statusCode, errorType } = this;
    this.instruments.duration.record(
      (performance.now() - this.startedAt) / 1000,
      `${method}\u0000${serverAddress ?? ''}\u0000${serverPort}\u0000${statusCode ?? ''}\u0000${errorType ?? ''}`,
      () => {
        const attributes: Attributes = { 'http.request.method': method, 'server.port': serverPort };
        if (serverAddress !== undefined) attributes['server.address'] = serverAddress;
        if (statusCode !== undefined) attributes['http.response.status_code'] = statusCode;
        if (errorType !== undefined) attributes['error.type'] = errorType;
        return attributes;
      },
    );
  }

  private fail(errorType: string): void {
    this.span.setAttribute('error.type', errorType);
    this.errorType = errorType;
    this.span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/**
 * Starts a CLIENT span for an outgoing request in the caller's context, or returns undefined
 * when tracing is suppressed there (sightline's own exporter calls run suppressed) or the call
 * goes to a backend an adapter's own client sends to.
 */
export function startClientCall(
  obs: Sightline,
  info: ClientRequestInfo,
  caller: Context = context.active(),
): ClientCall | undefined {
  const parent = tracedContext(obs, info.origin, caller);
  return parent === undefined
    ? undefined
    : new ClientCall(obs.tracer, httpClientInstruments(obs), parent, info);
}

/** The caller's context, or undefined when a call to `origin` from there is left alone. */
export function tracedContext(
  obs: Sightline,
  origin: string,
  caller: Context = context.active(),
): Context | undefined {
  return isTracingSuppressed(caller) || isUntracedOrigin(obs, origin) ? undefined : caller;
}

/** The header dd-trace's Datadog style names a trace in. */
const DATADOG_TRACE_ID = 'x-datadog-trace-id';

/**
 * Whether the call was made with the header that names its trace: a `traceparent` (its values as
 * one), or the `x-datadog-trace-id` of dd-trace's styles when the propagator writes those. Its
 * trace is the caller's: the propagator's own beside it would be a second value of the header
 * (fetch sends both, read as `987654321, 9068...`) or a traceparent naming another trace. A
 * traceparent W3C receivers ignore (upper-case, version ff, two joined, as a gateway passes on
 * what a proxy that adds its own beside its caller's sent) names none: kept, the service called
 * would start a trace of its own, split from the caller's.
 */
export function madeInTrace(
  propagator: TextMapPropagator,
  traceparent: string | undefined,
  has: (name: string) => boolean,
): boolean {
  if (traceparent !== undefined && isReadableTraceparent(traceparent)) return true;
  return has(DATADOG_TRACE_ID) && propagator.fields().includes(DATADOG_TRACE_ID);
}

/** Whether an unreadable traceparent the caller set gives way to the one the propagator writes. */
export function replacesTraceparent(
  propagator: TextMapPropagator,
  traceparent: string | undefined,
  callerTrace: boolean,
): boolean {
  return traceparent !== undefined && !callerTrace && propagator.fields().includes('traceparent');
}

/**
 * The context whose fields go out with the call. The trace header the caller set by hand stays
 * (two would make the header invalid) with its tracestate; the context's baggage still goes with it.
 */
export function propagatedContext(ctx: Context, callerTrace: boolean): Context {
  return callerTrace ? trace.deleteSpan(ctx) : ctx;
}

/**
 * What `make` makes of an instance's drop counter, made once per instance: the setter of its calls'
 * headers, which counts the context's baggage entries it leaves out.
 */
export function perInstance<T>(make: (drops: Pick<DropCounter, 'add'>) => T): (obs: Sightline) => T {
  const made = new WeakMap<Sightline, T>();
  return (obs) => {
    let value = made.get(obs);
    if (value === undefined) {
      value = make(dropsOf(obs));
      made.set(obs, value);
    }
    return value;
  };
}

/**
 * The entries of the context's `baggage` whose names the caller's `baggage` does not use, as many
 * as fit beside the caller's within W3C Baggage's 8,192 bytes and OpenTelemetry's 180 entries, or
 * undefined when none is left. The caller's entry is the one meant for the call: sent after it, the
 * context's of the same name would be read in its place, as W3C receivers (OpenTelemetry's,
 * dd-trace's) keep the last of a name. The caller's names are read as those receivers read them,
 * octets that are not UTF-8 as U+FFFD: OpenTelemetry's parse drops such an entry (escape()'s
 * `tenant=Gl%F6bex`), and the context's `tenant` after it would be read in its place. `callers`
 * is as the receiver reads it, and `separator` what it reads between it and the context's entries.
 * The context's entries left out are counted.
 */
export function baggageBeside(
  callers: string,
  contexts: string,
  drops: Pick<DropCounter, 'add'>,
  separator = ',',
): string | undefined {
  const named = parseKeyPairsIntoRecord(readableBaggage(callers));
  // W3C Baggage's limits hold for the header sent, the caller's entries and the context's together:
  // each within them, the two made one of up to 16 KB, which a Node server refuses with a 431.
  // The context's first entry follows the caller's after `separator`, the others after a comma.
  let bytes = Buffer.byteLength(callers) + separator.length - 1;
  let members = callers.split(',').length;
  const kept: string[] = [];
  let left = 0;
  for (const entry of contexts.split(',')) {
    const name = Object.keys(parseKeyPairsIntoRecord(entry))[0];
    // The caller's of the same name takes its place: nothing is lost.
    if (name !== undefined && Object.hasOwn(named, name)) continue;
    // One that does not fit is left out; a shorter one after it may still.
    const size = 1 + Buffer.byteLength(entry);
    if (members >= BAGGAGE_MAX_ENTRIES || bytes + size > BAGGAGE_MAX_LENGTH) {
      left++;
      continue;
    }
    bytes += size;
    members++;
    kept.push(entry);
  }
  if (left > 0) drops.add('baggage_limit', left);
  return kept.length === 0 ? undefined : kept.join(',');
}

/** Where a URL points: its origin, and its host and port (the scheme's when none is given). */
export type UrlTarget = Pick<ClientRequestInfo, 'origin' | 'serverPort'> & { serverAddress: string };

export function urlTarget(url: URL): UrlTarget {
  return {
    origin: `${url.protocol}//${url.host}`,
    serverAddress: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    serverPort: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
  };
}

/** A URL's target and its `url.full`, with its path or as its origin alone; undefined when it is not a URL. */
export function urlInfo(url: string, withPath: boolean): Omit<ClientRequestInfo, 'method'> | undefined {
  try {
    const parsed = new URL(url);
    const target = urlTarget(parsed);
    return { ...target, urlFull: withPath ? target.origin + parsed.pathname : target.origin };
  } catch {
    return undefined;
  }
}

/**
 * The target of a request sent to a forward proxy, which is sent the absolute URL
 * (`GET http://host/path`), or undefined for a request sent its path.
 */
export function absoluteFormTarget(path: string): Omit<ClientRequestInfo, 'method'> | undefined {
  return path.startsWith('http://') || path.startsWith('https://') ? urlInfo(path, true) : undefined;
}

/** Removes the query string, the fragment and any credentials from a URL. */
export function cleanUrl(origin: string, path: string): string {
  let base = origin;
  const at = base.indexOf('@');
  if (at !== -1) {
    const scheme = base.indexOf('://');
    if (scheme !== -1 && at > scheme) base = base.slice(0, scheme + 3) + base.slice(at + 1);
  }
  if (base.endsWith('/')) base = base.slice(0, -1);
  const q = path.search(/[?#]/);
  return base + (q === -1 ? path : path.slice(0, q));
}
