import {
  type AttributeValue,
  type Attributes,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Link,
  type Span,
  type SpanContext,
  type TimeInput,
} from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { DropCounter, InputDropReason } from '../internal/drops.js';
import { cleanAttributes } from '../metrics/attributes.js';
import { typedException } from './record-exception.js';

type Drops = Pick<DropCounter, 'add'>;

/** The span methods that take the user's values, each standing in front of the SDK's own. */
type Guarded = Pick<
  Span,
  | 'setAttribute'
  | 'setAttributes'
  | 'addEvent'
  | 'recordException'
  | 'addLink'
  | 'addLinks'
  | 'setStatus'
  | 'updateName'
  | 'spanContext'
  | 'isRecording'
  | 'end'
>;

/**
 * Methods for the SDK's spans that never throw into the user's code, counting what they could not
 * record: the SDK throws from `recordException(Symbol())`, and from an attribute set, event, link,
 * status or time it cannot read (a getter or proxy that throws). An attribute value of no attribute
 * type (an object, a BigInt, a Date, an array of mixed types), which the SDK leaves out of a span
 * or event saying nothing, is left out and counted as in `obs.trace`'s options and on metrics.
 * `sdk` is the SDK's span prototype.
 */
function guardedMethods(sdk: Span, drops: Drops): Guarded {
  /**
   * Counts what a method failed to record: under `reason`, or, called off its span (`const { end }
   * = span`, a method passed on as a callback), as that, whatever it was given. Looked at only
   * once a method has thrown.
   */
  const isSpan = (span: unknown): boolean =>
    typeof span === 'object' && span !== null && Object.prototype.isPrototypeOf.call(sdk, span);
  const failed = (span: unknown, reason: InputDropReason): void => {
    drops.add(isSpan(span) ? reason : 'detached_span_method');
  };
  const invalid = invalidCountedApart(drops);
  // Each takes at most three arguments, passed on as they are.
  const counting = (method: (...args: never[]) => unknown, reason: InputDropReason) =>
    function (this: Span, a?: unknown, b?: unknown, c?: unknown) {
      try {
        return (method as (a: unknown, b: unknown, c: unknown) => unknown).call(this, a, b, c);
      } catch {
        failed(this, reason);
        return this;
      }
    };
  // The SDK ignores what is given to a span that has ended (a callback its work left running still
  // holding it), saying nothing: each is lost, so each is counted. Only recording spans are guarded,
  // so one that no longer records has ended.
  const ended = (span: Span, lost = 1): boolean => {
    if (sdk.isRecording.call(span)) return false;
    drops.add('after_span_end', lost);
    return true;
  };
  /** A value no span takes, on a span still recording, or an empty name: counted, the rest set. */
  const setOdd = (span: Span, key: string, value: unknown): Span => {
    // Unset (`region: process.env.REGION`), as metrics take it: no value lost.
    if (value === undefined || ended(span)) return span;
    if (typeof key !== 'string') {
      drops.add('invalid_attribute');
      return span;
    }
    const clean = cleanAttributes({ [key]: value } as Attributes, Number.POSITIVE_INFINITY, drops, true);
    for (const name in clean) sdk.setAttribute.call(span, name, clean[name] as AttributeValue);
    return span;
  };
  return {
    // The one called most: a name and a string, number or boolean cost one look more.
    setAttribute(this: Span, key, value) {
      try {
        const t = typeof value;
        if ((t !== 'string' && t !== 'number' && t !== 'boolean') || key === '')
          return setOdd(this, key, value);
        if (ended(this)) return this;
        return sdk.setAttribute.call(this, key, value);
      } catch {
        failed(this, 'invalid_attribute');
        return this;
      }
    },
    setAttributes(this: Span, attributes) {
      try {
        if (!sdk.isRecording.call(this)) {
          // Those set to undefined would have been left out: no value lost.
          const lost = Object.values(attributes ?? {}).filter((v) => v !== undefined).length;
          if (lost > 0) ended(this, lost);
          return this;
        }
        const clean = cleanAttributes(attributes, Number.POSITIVE_INFINITY, drops, true);
        return clean === undefined ? this : sdk.setAttributes.call(this, clean);
      } catch {
        failed(this, 'invalid_attribute');
        return this;
      }
    },
    addEvent(this: Span, name, attributesOrTime, time) {
      try {
        if (ended(this)) return this;
        // A time (a Date, an HrTime) has no key of its own to look at: it goes on as it is.
        if (attributesOrTime === null || typeof attributesOrTime !== 'object')
          return sdk.addEvent.call(this, name, attributesOrTime, time);
        const before = invalid.count;
        const attributes = cleanAttributes(
          attributesOrTime as Attributes,
          Number.POSITIVE_INFINITY,
          invalid,
          true,
        );
        sdk.addEvent.call(this, name, attributes, time);
        if (invalid.count > before)
          holdCount((this as unknown as ReadableSpan).events, invalid.count - before);
        return this;
      } catch {
        failed(this, 'invalid_event');
        return this;
      }
    },
    recordException(this: Span, exception, time) {
      const recorded = this as unknown as ReadableSpan;
      try {
        // Nothing thrown is nothing lost.
        if (exception != null && ended(this)) return;
        const before = recorded.events.length + recorded.droppedEventsCount;
        // Read as obs.trace reads what its callback throws: by its name where its code is no type.
        const readable =
          exception !== null && typeof exception === 'object' ? typedException(exception) : exception;
        sdk.recordException.call(this, readable, time);
        // The SDK records nothing of a value with neither a type nor a message (42, an object with
        // neither a code, a name nor a message), saying nothing. Nothing thrown is nothing lost.
        if (exception != null && recorded.events.length + recorded.droppedEventsCount === before)
          drops.add('invalid_event');
      } catch {
        failed(this, 'invalid_event');
      }
    },
    addLink(this: Span, link) {
      try {
        if (ended(this)) return this;
        const before = invalid.count;
        sdk.addLink.call(this, linkWithCleanAttributes(link, invalid));
        if (invalid.count > before)
          holdCount((this as unknown as ReadableSpan).links, invalid.count - before);
        return this;
      } catch {
        failed(this, 'invalid_link');
        return this;
      }
    },
    addLinks(this: Span, links: Link[]): Span {
      try {
        for (const link of links) this.addLink(link);
      } catch {
        // Not iterable: none of them can be read.
        failed(this, 'invalid_link');
      }
      return this;
    },
    setStatus: counting(function (this: Span, status: Parameters<Span['setStatus']>[0]) {
      return ended(this) ? this : sdk.setStatus.call(this, status);
    }, 'invalid_status') as Span['setStatus'],
    updateName(this: Span, name) {
      try {
        return ended(this) ? this : sdk.updateName.call(this, name);
      } catch {
        // A span takes any name (one of no string is repaired as it is sent): this is none.
        drops.add('detached_span_method');
        return this;
      }
    },
    // Off its span these give what no span gives, losing nothing: no count.
    spanContext: spanContextOffSpan(sdk.spanContext),
    isRecording(this: Span) {
      try {
        return sdk.isRecording.call(this);
      } catch {
        return false;
      }
    },
    end(this: Span, time?: TimeInput): void {
      try {
        sdk.end.call(this, time);
      } catch {
        try {
          // A time that cannot be read: the span ends now, as one given none does.
          if (sdk.isRecording.call(this)) sdk.end.call(this);
        } catch {
          // Called on no span: the span it was taken off stays unended, never sent.
          if (!isSpan(this)) drops.add('detached_span_method');
        }
      }
    },
  };
}

/**
 * A counter of the attributes of no attribute type left out of an event or a link, counted apart
 * (in `count`): the SDK's count limit may yet remove the event or link whole, counted as that alone.
 */
function invalidCountedApart(drops: Drops): Drops & { count: number } {
  const invalid = {
    count: 0,
    add(reason: InputDropReason, n = 1): void {
      if (reason === 'invalid_attribute') invalid.count += n;
      else drops.add(reason, n);
    },
  };
  return invalid;
}

/**
 * On an event or a link a span's guarded method gave the SDK: how many of its attributes were left
 * out as no attribute value, counted as the span ends if it is still on it; one the SDK's count
 * limit removed is counted whole, as that alone.
 */
const INVALID_ATTRIBUTES = Symbol('invalid attributes');
type HoldsCount = { [INVALID_ATTRIBUTES]?: number };

/** Puts the count on the event or link the SDK has just added, the last: none where it added none. */
function holdCount(added: readonly object[], count: number): void {
  const last = added.at(-1) as HoldsCount | undefined;
  if (last !== undefined) last[INVALID_ATTRIBUTES] = count;
}

/** The attributes left out of a span's event or link as no attribute value (see {@link holdCount}). */
export function invalidAttributesOf(added: object): number {
  return (added as HoldsCount)[INVALID_ATTRIBUTES] ?? 0;
}

/**
 * The links a span is given as it starts, each with its attributes as `addLink` leaves them, their
 * count held on it as on one `addLink` adds: the span's count limit may yet leave it out, counted
 * as that alone. {@link holdStartLinkCounts} puts them on the links the span keeps.
 */
export function cleanStartLinks(links: readonly Link[], drops: Drops): Link[] {
  const invalid = invalidCountedApart(drops);
  return links.map((link) => {
    const before = invalid.count;
    const clean = linkWithCleanAttributes(link, invalid);
    // A copy of the caller's link, made as something was left out of it.
    if (invalid.count > before && clean !== link)
      (clean as HoldsCount)[INVALID_ATTRIBUTES] = invalid.count - before;
    return clean;
  });
}

/** The attributes {@link cleanStartLinks} left out of `links`. */
export function invalidAttributesOfLinks(links: readonly Link[]): number {
  let invalid = 0;
  for (const link of links) invalid += heldOn(link);
  return invalid;
}

/** The count {@link cleanStartLinks} put on a link: none on a caller's that cannot be read (a proxy). */
function heldOn(link: unknown): number {
  if (link === null || typeof link !== 'object') return 0;
  try {
    return invalidAttributesOf(link);
  } catch {
    return 0;
  }
}

/**
 * Puts the counts {@link cleanStartLinks} made on the links the span kept of those it started with,
 * the latest, as the SDK keeps them, to be counted as it ends if still on it; counted now where the
 * span has no links to hold them (sampled out, or dd-trace's).
 */
export function holdStartLinkCounts(span: Span, given: readonly Link[], drops: Drops): void {
  const links = (span as Partial<ReadableSpan>).links;
  if (!Array.isArray(links) || !span.isRecording()) {
    drops.add('invalid_attribute', invalidAttributesOfLinks(given));
    return;
  }
  const kept = Math.min(links.length, given.length);
  for (let i = 1; i <= kept; i++) {
    const invalid = heldOn(given[given.length - i]);
    if (invalid > 0) (links[links.length - i] as HoldsCount)[INVALID_ATTRIBUTES] = invalid;
  }
}

/**
 * The link with its attributes as a span's take them, each of no attribute type left out and
 * counted, which the SDK leaves out saying nothing; the link itself when all are fine.
 */
export function linkWithCleanAttributes(link: Link, drops: Drops): Link {
  // No link at all is the SDK's to take as it does (the span processor removes it, counted).
  if (link === null || typeof link !== 'object') return link;
  const attributes = link.attributes;
  // One to no valid span context is removed and counted whole as the span ends, its attributes with it.
  const context = link.context;
  if (attributes === undefined || context == null || !isSpanContextValid(context)) return link;
  const clean = cleanAttributes(attributes, Number.POSITIVE_INFINITY, drops, true);
  return clean === attributes ? link : { ...link, attributes: clean };
}

/** The methods of a span its sampler left out, which records nothing. */
type Unsampled = Pick<
  Span,
  'setAttribute' | 'setAttributes' | 'addEvent' | 'addLink' | 'addLinks' | 'spanContext'
>;

/**
 * Methods for the spans a sampler leaves out, which no span processor sees: each counts the
 * attributes of no attribute value it is given, as a span that records and `obs.trace`'s options
 * count them, so a fault in the code shows whatever the sampling ratio; and `spanContext()` answers
 * off its span as no span does (see {@link spanContextOffSpan}). They record nothing, as before.
 * `sdk` is the prototype of such spans.
 */
export function unsampledMethods(sdk: Span, drops: Drops): Unsampled {
  const count = (attributes: unknown): void => {
    try {
      cleanAttributes(attributes as Attributes, Number.POSITIVE_INFINITY, drops, true);
    } catch {
      // Attributes that cannot be read at all: none to count, as on a span that records.
    }
  };
  return {
    setAttribute(this: Span, key, value) {
      const t = typeof value;
      // Unset (`region: process.env.REGION`) is no value lost; a string, number or boolean costs
      // one look, as on a span that records.
      if (value === undefined || ((t === 'string' || t === 'number' || t === 'boolean') && key !== ''))
        return this;
      count(typeof key === 'string' ? { [key]: value } : { '': value });
      return this;
    },
    setAttributes(this: Span, attributes) {
      count(attributes);
      return this;
    },
    addEvent(this: Span, _name, attributesOrTime) {
      if (attributesOrTime !== null && typeof attributesOrTime === 'object') count(attributesOrTime);
      return this;
    },
    addLink(this: Span, link) {
      try {
        linkWithCleanAttributes(link, drops);
      } catch {
        // A link that cannot be read: none of its attributes to count.
      }
      return this;
    },
    addLinks(this: Span, links) {
      try {
        for (const link of links) linkWithCleanAttributes(link, drops);
      } catch {
        // Not iterable: none of them can be read.
      }
      return this;
    },
    spanContext: spanContextOffSpan(sdk.spanContext),
  };
}

/**
 * A span class's `spanContext()` that, called off its span (`const { spanContext } = span`), answers
 * as no span does where the class's own throws a TypeError into the caller's code: put on the SDK's
 * spans and on those its sampler leaves out, which no span processor sees.
 */
export function spanContextOffSpan(own: Span['spanContext']): Span['spanContext'] {
  return function spanContext(this: Span): SpanContext {
    try {
      return own.call(this);
    } catch {
      return INVALID_SPAN_CONTEXT;
    }
  };
}

/**
 * Puts {@link guardedMethods} on each of a provider's spans as it starts, as own properties: the
 * SDK's span class is not exported, and giving each span another prototype made starting and
 * ending one 60% slower, where 11 stores cost it nothing measurable.
 */
export class SpanGuard {
  private methods: Guarded | undefined;
  constructor(private readonly drops: Drops) {}

  guard(span: Span): void {
    this.methods ??= guardedMethods(Object.getPrototypeOf(span) as Span, this.drops);
    const methods = this.methods;
    const own = span as Guarded;
    own.setAttribute = methods.setAttribute;
    own.setAttributes = methods.setAttributes;
    own.addEvent = methods.addEvent;
    own.recordException = methods.recordException;
    own.addLink = methods.addLink;
    own.addLinks = methods.addLinks;
    own.setStatus = methods.setStatus;
    own.updateName = methods.updateName;
    own.spanContext = methods.spanContext;
    own.isRecording = methods.isRecording;
    own.end = methods.end;
  }
}
