import {
  type Context,
  createContextKey,
  defaultTextMapGetter,
  propagation,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import {
  isTracingSuppressed,
  TraceState,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';

/** A run of percent-encoded octets. */
const ENCODED_RUN = /(?:%[\dA-Fa-f]{2})+/g;
/** Not fatal: octets that are not UTF-8 read as U+FFFD. */
const utf8 = new TextDecoder('utf-8');
const REPLACEMENT = '\uFFFD';

/** W3C Baggage's limit of a header, in bytes. */
export const BAGGAGE_MAX_LENGTH = 8192;
/** The entries OpenTelemetry's propagator reads of a header, and sends at most. */
export const BAGGAGE_MAX_ENTRIES = 180;

/** Where the baggage entries left out of a header are counted. */
export type BaggageDrops = { add(reason: 'baggage_limit', n: number): void };

/** Set on a context whose baggage a call's headers were already given, by a second inject. */
const COUNTED = createContextKey('sightline baggage counted');

/** The context, its baggage left out of a header not counted: counted as it was first written. */
export function baggageCounted(ctx: Context): Context {
  return ctx.setValue(COUNTED, true);
}

/**
 * Counts the context's baggage entries a propagator (OpenTelemetry's, dd-trace's) left out of the
 * `header` it wrote, each entry of which is one of the context's.
 */
export function countBaggageLeft(ctx: Context, header: unknown, drops: BaggageDrops): void {
  const entries = propagation.getBaggage(ctx)?.getAllEntries().length ?? 0;
  if (entries === 0 || ctx.getValue(COUNTED) === true) return;
  const sent = typeof header === 'string' && header !== '' ? header.split(',').length : 0;
  if (entries > sent) drops.add('baggage_limit', entries - sent);
}

/**
 * OpenTelemetry's W3C baggage propagator, but that a value whose percent-encoded octets are not
 * UTF-8 (Latin-1's `%FC`, a sequence cut short) is read with U+FFFD in their place, as W3C Baggage
 * asks, where it dropped the entry. A header that decodes, or holds no `%`, goes to it as it is.
 * The context's entries it leaves out of a header it writes (past W3C Baggage's 180 entries or
 * 8,192 bytes, or one of over 4,096) are counted, which it did saying nothing.
 */
export class W3CBaggageReader extends W3CBaggagePropagator {
  constructor(private readonly drops: BaggageDrops) {
    super();
  }

  /** OpenTelemetry's, counting the context's entries it leaves out of the header it writes. */
  override inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    if (propagation.getBaggage(ctx) === undefined || isTracingSuppressed(ctx)) return;
    let header: string | undefined;
    super.inject(ctx, carrier, {
      set(to, key, value) {
        header = value;
        setter.set(to, key, value);
      },
    });
    countBaggageLeft(ctx, header, this.drops);
  }

  override extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, 'baggage');
    const value = Array.isArray(header) ? header.join(',') : header;
    if (value === undefined) return super.extract(ctx, carrier, getter);
    const readable = readableBaggage(value);
    if (readable === value) return super.extract(ctx, carrier, getter);
    return super.extract(ctx, { baggage: readable }, defaultTextMapGetter);
  }
}

/**
 * A baggage header as W3C Baggage asks it be read: its percent-encoded octets that are not UTF-8
 * in U+FFFD, the header itself where it holds none.
 */
export function readableBaggage(value: string): string {
  if (!value.includes('%') || decodes(value)) return value;
  return value.replace(ENCODED_RUN, asUtf8);
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A run of encoded octets that is not UTF-8 as it reads in UTF-8, encoded again but for U+FFFD,
 * left as it is; one that is, as it is. Encoded, U+FFFD takes nine characters where the octet it
 * stands for took three, and an entry within the limits as sent (4096 bytes, 8192 for the header)
 * was dropped past them.
 */
function asUtf8(run: string): string {
  if (decodes(run)) return run;
  const octets = new Uint8Array(run.length / 3);
  for (let i = 0; i < octets.length; i++) octets[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
  return utf8.decode(octets).split(REPLACEMENT).map(encodeURIComponent).join(REPLACEMENT);
}

/** W3C Trace Context's length a `tracestate` is kept within, and of an entry removed first past it. */
export const TRACESTATE_MAX = 512;
const TRACESTATE_ENTRY_MAX = 128;

/**
 * OpenTelemetry's W3C trace-context propagator, but that it sends no `tracestate` where the span's
 * has no entry left (a caller's made of invalid ones alone, `Foo=1`): W3C Trace Context asks that
 * an empty one not be sent, where it sent `tracestate: ` with every call out. A caller's
 * `tracestate` past 512 characters is read without its entries over 128 characters first, then
 * without those on its right, as W3C Trace Context asks; OpenTelemetry's kept its entries from the
 * left, one of hundreds of characters among them, and left out the vendors' short ones after it.
 */
export class W3CTraceContextWriter extends W3CTraceContextPropagator {
  override extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, 'tracestate');
    const value = Array.isArray(header) ? header.join(',') : header;
    if (value === undefined || value.length <= TRACESTATE_MAX) return super.extract(ctx, carrier, getter);
    const fitted = fittedTracestate(value);
    return super.extract(ctx, carrier, {
      get: (c, key) => (key === 'tracestate' ? fitted : getter.get(c, key)),
      keys: (c) => getter.keys(c),
    });
  }

  override inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    super.inject(
      ctx,
      carrier,
      trace.getSpanContext(ctx)?.traceState === undefined ? setter : withoutEmpty(setter),
    );
  }
}

/**
 * A caller's `tracestate` as W3C receivers read it, and sightline's propagator without dd-trace:
 * within 512 characters (see {@link W3CTraceContextWriter}), with its valid entries alone.
 */
export function validTracestate(value: string): string {
  return new TraceState(value.length > TRACESTATE_MAX ? fittedTracestate(value) : value).serialize();
}

function withoutEmpty(setter: TextMapSetter): TextMapSetter {
  return {
    set(carrier, key, value) {
      if (value !== '' || key !== 'tracestate') setter.set(carrier, key, value);
    },
  };
}

/**
 * A `tracestate` within `max` characters, 512 but where an entry goes before it: without its entries
 * over 128 characters, from the right, until it fits, then without the others, from the right.
 */
export function fittedTracestate(value: string, max = TRACESTATE_MAX): string {
  // Measured as it is sent on: the spaces W3C Trace Context allows around an entry (which Node puts
  // between two headers' values), empty entries and those OpenTelemetry's parser leaves out (an
  // upper-case name) are no part of it.
  const entries: string[] = [];
  // The entries of up to 128 characters before one kept are all kept, so none past those that
  // fill `max` is: a caller's header of 16 KB is not read on, each entry checked, for nothing.
  let shorts = -1;
  for (const member of value.split(',')) {
    const entry = member.trim();
    if (!isKeptEntry(entry)) continue;
    entries.push(entry);
    if (entry.length > TRACESTATE_ENTRY_MAX) continue;
    shorts += entry.length + 1;
    if (shorts > max) break;
  }
  let length = entries.length - 1;
  for (const entry of entries) length += entry.length;
  for (let i = entries.length - 1; i >= 0 && length > max; i--) {
    if (entries[i]!.length <= TRACESTATE_ENTRY_MAX) continue;
    length -= entries[i]!.length + 1;
    entries.splice(i, 1);
  }
  while (length > max && entries.length > 0) length -= entries.pop()!.length + 1;
  return entries.join(',');
}

const NO_TRACESTATE = new TraceState();

/** Whether OpenTelemetry keeps the `tracestate` entry: a valid name, `=` and a valid value. */
function isKeptEntry(entry: string): boolean {
  const at = entry.indexOf('=');
  // set() checks the name and the value as the parser does, and gives back the same state where
  // either is invalid, without the parse of a state made of the entry.
  return at > 0 && NO_TRACESTATE.set(entry.slice(0, at), entry.slice(at + 1)) !== NO_TRACESTATE;
}
