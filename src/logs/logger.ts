import {
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/types.js';
import { type CustomLevels, isDefaultLevel } from '../export/log-levels.js';
import type { LogFormat, LogKeys } from '../export/types.js';
import type { DropCounter } from '../internal/drops.js';
import { guardChildren } from './child-guard.js';
import { reachesKey, withErrorFields } from './error-fields.js';
import { errorSerializer } from './error-serializer.js';
import { installFastPath } from './fast-path.js';
import { LINE_SHAPE, type LineShape } from './fixed-line.js';
import { markPinoSymbols, pinoSymbolsOf } from './pino-symbols.js';
import { KEY_MATCHER } from './quoted-url.js';
import { createKeyMatcher, createRedactor, isError, REDACTED, type Redactor, setOwn } from './redact.js';
import { redactUrlsIn } from './url-query.js';

export interface LoggerOptions {
  level: LogLevel;
  keys: LogKeys;
  formats: readonly LogFormat[];
  /** Fields on every line: service name, environment, version and each adapter's base fields. */
  base: Record<string, unknown>;
  redactKeys: readonly string[];
  /** Exact pino paths to redact (`req.body.card`), on top of the key list. */
  redactPaths: readonly string[];
  drops: DropCounter;
  destination: DestinationStream;
  /** The active context, read for every line: the context manager itself when it can be trusted. */
  activeContext?: () => Context;
  /** Where the values of child loggers' own levels are kept, for the adapters reading lines. */
  customLevels?: CustomLevels;
}

const EMPTY = Object.freeze({});

/**
 * pino's time field in ISO form. `toISOString()` costs about 0.35 us, ten times `Date.now()`, and a
 * busy service writes many lines within a millisecond: the text is made once per millisecond.
 */
function isoTimestamp(timeKey: string): () => string {
  let lastMs = Number.NaN;
  let last = '';
  return () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      last = `,${timeKey}:"${new Date(ms).toISOString()}"`;
      lastMs = ms;
    }
    return last;
  };
}

/**
 * Builds the pino logger behind `obs.log`: trace correlation through a mixin, level names rather
 * than numbers (every backend reads names), redaction by key, and a guard so a value that cannot
 * be serialised costs the line, never the caller.
 */
export function createLogger(options: LoggerOptions): Logger {
  const { keys, drops } = options;
  const correlators = options.formats.flatMap((f) => (f.correlate ? [f.correlate] : []));
  const levelObjects: Record<string, Record<string, string>> = {};
  const levelFields = options.formats.find((f) => f.levelKey !== undefined)?.levelFields;
  const timeKey = JSON.stringify(keys.timeKey);
  const timestamp = keys.timeFormat === 'iso' ? isoTimestamp(timeKey) : () => `,${timeKey}:${Date.now()}`;

  const isSensitive = createKeyMatcher(options.redactKeys);
  const redact = createRedactor(isSensitive);
  // Fields of a line and a child's bindings alike: redacted, and never named like a field the line holds itself.
  const owned = ownFields(keys, options.base, options.formats);
  const prepare = protectReservedKeys(redact, owned);
  const active = options.activeContext ?? (() => context.active());
  const correlation = (sc: SpanContext): Record<string, unknown> => {
    if (!isSpanContextValid(sc)) return EMPTY;
    const fields: Record<string, unknown> = {
      trace_id: sc.traceId,
      span_id: sc.spanId,
      trace_flags: (sc.traceFlags & 1) === 1 ? '01' : '00',
    };
    for (const correlate of correlators)
      Object.assign(fields, correlate(sc.traceId, sc.spanId, sc.traceFlags));
    return fields;
  };
  const mixin = (): object => {
    const ctx = active();
    // Outside any span (start-up, background work) there is nothing to look up.
    if (ctx === ROOT_CONTEXT) return EMPTY;
    const span = trace.getSpan(ctx);
    return span === undefined ? EMPTY : correlation(span.spanContext());
  };

  const correlationNames = Object.keys(correlation(SAMPLE_SPAN));
  const redactPaths = withMovedPaths(options.redactPaths, correlationNames);
  const serializeError = errorSerializer(redact);
  const formatLine = withErrorFields(prepare, options.formats, options.redactPaths, serializeError);
  const logger = pino(
    {
      level: options.level,
      messageKey: keys.messageKey,
      base: options.base,
      timestamp,
      mixin,
      serializers: { err: serializeError },
      mixinMergeStrategy: mergeMixin,
      formatters: {
        // Called once per level as a logger (or a child given customLevels) is made, not per line.
        level(label, value) {
          if (!isDefaultLevel(label)) {
            options.customLevels?.record(label, value);
            return levelFields?.(label, value) ?? { [keys.levelKey]: label };
          }
          let o = levelObjects[label];
          if (o === undefined) {
            o = { [keys.levelKey]: label };
            levelObjects[label] = o;
          }
          return o;
        },
        log: formatLine,
      },
      ...(redactPaths.length > 0 ? { redact: { paths: [...redactPaths], censor: REDACTED } } : {}),
    },
    options.destination,
  );
  const primary = options.formats.find((f) => f.messageKey !== undefined);
  guardWrites(logger, drops, isSensitive, redact, {
    asText: primary?.messageAsText === true,
    // pino applies a path by the field it starts with: a message field it may reach stays that field.
    field: !reachesKey(options.redactPaths, keys.messageKey),
  });
  guardChildren(
    logger,
    {
      prepare,
      formatLine,
      redactPaths,
      redact,
      bindingsUnder: boundApart,
      correlationApart: correlationApart(mixin, correlationNames),
    },
    drops,
  );
  installFastPath(logger, drops, redact);
  const shape: LineShape = {
    correlation,
    mixin,
    keyOf: (key) =>
      // pino's path redaction runs inside its serialiser: with any path set, only pino writes lines.
      options.redactPaths.length > 0 || isSensitive(key) ? undefined : (owned.get(key)?.name ?? key),
    drops,
  };
  Object.defineProperty(logger, LINE_SHAPE, { value: shape });
  Object.defineProperty(logger, KEY_MATCHER, { value: isSensitive });
  markPinoSymbols(logger);
  return logger;
}

/**
 * The configured redact paths, and for each rooted at a correlation field (`trace_id.session`) the
 * same path under `log.<name>`, where a field of that name, a line's or bound to a child, is written
 * inside a span: pino redacts by the path the line has.
 */
function withMovedPaths(paths: readonly string[], names: readonly string[]): readonly string[] {
  if (paths.length === 0) return paths;
  const out = [...paths];
  for (const path of paths)
    for (const name of names) {
      // A dotted name (Elastic's `trace.id`) is one key in a path only in brackets.
      const heads = name.includes('.')
        ? [`["${name}"]`, `['${name}']`]
        : [name, `["${name}"]`, `['${name}']`];
      const head = heads.find(
        (h) => path.startsWith(h) && (path[h.length] === '.' || path[h.length] === '['),
      );
      if (head !== undefined) out.push(`["log.${name}"]${path.slice(head.length)}`);
    }
  return out;
}

/** A span context, for the names of the line's correlation fields. */
const SAMPLE_SPAN: SpanContext = { traceId: '1'.repeat(32), spanId: '1'.repeat(16), traceFlags: 1 };

const MIXIN = pino.symbols.mixinSym;

/** On the mixin of a child bound to correlation fields of its own: those fields. */
const OWN_CORRELATION = Symbol('sightline.logs.ownCorrelation');

/**
 * For a child of the logger (or of such a child) bound to fields named like the line's correlation
 * fields (a job's upstream `trace_id`): its other bindings, and a mixin writing those after the
 * line's own inside a span, as `log.<name>`, as a line's field of that name is, and as they are
 * outside one. Bound, they would come before the span's in every line and be lost to the shippers,
 * which keep the last of two equal keys. Children bound to none, most, cost a look at their keys.
 */
function correlationApart(
  mixin: () => object,
  names: readonly string[],
): (
  parent: Logger,
  bindings: Record<string, unknown>,
) => { bindings: Record<string, unknown>; mixin: unknown } | undefined {
  const correlated = new Set(names);
  return (parent, bindings) => {
    const held = (parent as unknown as Record<symbol, unknown>)[MIXIN];
    const bound = held === mixin ? undefined : correlationBoundTo(held);
    // One made before its parent was bound (see `heldBy`) holds none of the parent's fields: nor do
    // its children, nor it once given bindings of its own.
    const parentMixin = bound !== undefined && !Object.hasOwn(parent, MIXIN) ? mixin : held;
    const inherited = parentMixin === mixin ? undefined : bound;
    if (parentMixin !== mixin && inherited === undefined) return undefined;
    let found = false;
    for (const key in bindings)
      if (correlated.has(key) && Object.hasOwn(bindings, key)) {
        found = true;
        break;
      }
    // Its own, as pino copies a parent's bindings into the child: kept when the parent's change.
    if (!found) return inherited === undefined ? undefined : { bindings, mixin: parentMixin };
    const own: Record<string, unknown> = { ...inherited };
    const rest: Record<string, unknown> = {};
    for (const key of Object.keys(bindings)) setOwn(correlated.has(key) ? own : rest, key, bindings[key]);
    return { bindings: rest, mixin: ownCorrelationMixin(mixin, own) };
  };
}

/**
 * The mixin `logger` inherits, from the nearest logger holding one. A child made before its parent
 * was given correlation fields by setBindings() inherits that parent's mixin for them, as pino does
 * not give it the parent's later bindings: the loggers bound to them hold it as their own, and a
 * request's logger made since holds its own mixin calling it.
 */
function heldBy(logger: object): unknown {
  let holder: object | null = logger;
  while (holder !== null && !Object.hasOwn(holder, MIXIN)) holder = Object.getPrototypeOf(holder);
  return holder === null ? undefined : (holder as Record<symbol, unknown>)[MIXIN];
}

/** The mixin of a child bound to correlation fields of its own, `own` (see `correlationApart`). */
function ownCorrelationMixin(
  mixin: () => object,
  own: Readonly<Record<string, unknown>>,
): (line: object, level: number, logger: object) => object {
  const names = Object.keys(own);
  const ownMixin = (line: object, _level: number, logger: object): object => {
    if (!Object.hasOwn(logger, MIXIN) && heldBy(logger) === ownMixin) return mixin();
    const fields = mixin();
    if (fields === EMPTY) {
      // A field the line logs itself comes after the bound one, as pino writes them, and wins.
      const out: Record<string, unknown> = {};
      for (const name of names) if (!Object.hasOwn(line, name)) out[name] = own[name];
      return out;
    }
    // The span's fields are made anew for each line.
    for (const name of names) setOwn(fields as Record<string, unknown>, `log.${name}`, own[name]);
    return fields;
  };
  Object.defineProperty(ownMixin, OWN_CORRELATION, { value: own });
  return ownMixin;
}

/**
 * The correlation fields a logger was bound to apart from the span's (see `correlationApart`), when
 * `mixin` is the one writing them; undefined for any other mixin.
 */
export function correlationBoundTo(mixin: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof mixin === 'function'
    ? (mixin as { [OWN_CORRELATION]?: Record<string, unknown> })[OWN_CORRELATION]
    : undefined;
}

/**
 * What the mixin of a child whose bindings hold the line's correlation fields answers: their names.
 * Registered, as the wrappers of the package's other copy make that mixin for this copy's logger
 * (an ES module preload calling init(), a CommonJS app requiring `sightline/express`).
 */
const BOUND = Symbol.for('sightline.logs.boundCorrelation');

/**
 * pino's default merges the line into the mixin's object; outside a span there is nothing to merge.
 * A line's fields are looked up among the correlation's, not the other way round: most lines hold
 * fewer than its three to seven, and a `for...in` over the line's object, made by the caller's
 * code, is cheaper than over the correlation made anew for the line.
 */
function mergeMixin(mergeObject: object, mixinObject: object): object {
  if (mixinObject === EMPTY) return mergeObject;
  const bound = (mixinObject as { [BOUND]?: readonly string[] })[BOUND];
  if (bound !== undefined) {
    for (const name of bound) if (Object.hasOwn(mergeObject, name)) return mergeApart(mergeObject, bound, {});
    return mergeObject;
  }
  const correlation = mixinObject as Record<string, unknown>;
  for (const key in mergeObject)
    if (Object.hasOwn(correlation, key) && Object.hasOwn(mergeObject, key))
      return mergeApart(mergeObject, Object.keys(correlation), correlation);
  return Object.assign(correlation, mergeObject);
}

/**
 * The mixin for `child`, a logger whose bindings hold the line's correlation fields (a request's
 * logger), in place of its parent's: it adds nothing, and a field of a line named like one of them
 * moves to `log.<name>`, as it does beside the mixin's own.
 */
export function boundCorrelationMixin(
  fields: Readonly<Record<string, unknown>>,
  child: object,
): () => object {
  const names = Object.keys(fields);
  // Missing from pino's type declarations.
  const key = (pinoSymbolsOf(child) as unknown as Record<string, symbol | undefined>).mixinMergeStrategySym;
  const strategy = key === undefined ? undefined : (child as Record<symbol, unknown>)[key];
  const ours = strategy === mergeMixin;
  // Made for every request's logger, it depends on the names only, which are the same request
  // after request: made once, it saves most of a microsecond per request.
  const id = `${ours ? 'm' : 'p'}${names.join('\u0000')}`;
  let mixin = boundMixins.get(id);
  if (mixin !== undefined) return mixin;
  Object.freeze(names);
  // sightline's merge never writes into the answer; another's (pino's default) merges the line
  // into it, and is given a fresh one per line.
  const answer = Object.freeze({ [BOUND]: names });
  mixin = ours ? () => answer : () => ({ [BOUND]: names });
  // Its children's bindings follow the request's correlation fields in every line they write.
  Object.defineProperty(mixin, BOUND, { value: names });
  if (boundMixins.size < MAX_BOUND_MIXINS) boundMixins.set(id, mixin);
  return mixin;
}

// The mixins made by boundCorrelationMixin, by their names and merge. A process has a few sets
// of correlation fields (one per line shape); the bound only guards against a caller's odd fields.
const MAX_BOUND_MIXINS = 64;
const boundMixins = new Map<string, () => object>();

/**
 * The bindings of a child of `parent`: under a request's logger, one named like the request's
 * correlation fields (a job's upstream `trace_id`) moves to `log.<name>`, as a line's field does;
 * a child's bindings follow its parent's in the line, and log shippers read the last.
 */
function boundApart(parent: Logger, bindings: Record<string, unknown>): Record<string, unknown> {
  const mixin = (parent as unknown as Record<symbol, unknown>)[pino.symbols.mixinSym];
  const names = typeof mixin === 'function' ? (mixin as { [BOUND]?: readonly string[] })[BOUND] : undefined;
  if (names === undefined) return bindings;
  for (const name of names)
    if (Object.hasOwn(bindings, name)) return mergeApart(bindings, names, {}) as Record<string, unknown>;
  return bindings;
}

/**
 * A line's fields, one named like a correlation field among them (an upstream `trace_id` logged
 * inside a span), merged into `into`: that one would replace the span's, or follow it in the line
 * and win when parsed; it moves to `log.<name>` instead.
 */
function mergeApart(fields: object, names: readonly string[], into: Record<string, unknown>): object {
  const given = fields as Record<string, unknown>;
  for (const key of Object.keys(given)) setOwn(into, names.includes(key) ? `log.${key}` : key, given[key]);
  return into;
}

/**
 * A value that cannot be serialised (a getter that throws) must cost the line, never the caller.
 * pino serialises in its write step, which every logger and child shares through the prototype
 * chain; guarding it there avoids the rest-args hook pino offers, which costs more than the line.
 * The URLs a line's message quotes are redacted there, once pino has made it: a message the caller
 * built from an error's (`call failed: ${err.message}`), and one pino takes from the line's error
 * when given none, and a path's query written without a scheme (`GET /login?token=... -> 401`).
 * A message without `:` or `=` is passed on at the cost of those two looks.
 */
function guardWrites(
  logger: Logger,
  drops: DropCounter,
  isSensitive: (key: string) => boolean,
  redact: Redactor,
  textMessage: TextMessage,
): void {
  const key = pino.symbols.writeSym;
  const holder = logger as unknown as Record<symbol, (this: unknown, ...a: unknown[]) => unknown>;
  const write = holder[key];
  if (typeof write !== 'function') return;
  // A child cannot change them: read once, not on every line.
  const fieldKeys = logger as unknown as Record<symbol, string>;
  const errorKey = fieldKeys[pino.symbols.errorKeySym] ?? 'err';
  const messageKey = fieldKeys[pino.symbols.messageKeySym] ?? 'msg';
  holder[key] = function guardedWrite(this: unknown, given: unknown, msg: unknown, num: unknown) {
    try {
      // pino writes an error given as the line under its error key only when it is an Error of its
      // realm: another's (a vm sandbox's, Node's own under Jest's test environment) would be written
      // as its fields, none of them enumerable, a line without message, type or stack.
      let obj = isForeignError(given) ? { [errorKey]: given } : given;
      // pino writes a symbol message as JSON.stringify gives it, undefined: a line no collector
      // parses.
      if (typeof msg === 'symbol') msg = msg.toString();
      const text = typeof msg === 'string' ? msg : errorMessage(obj, msg, errorKey, messageKey);
      if (typeof text === 'string') {
        const clean = redactUrlsIn(text, isSensitive);
        return write.call(this, obj, clean === text ? msg : clean, num);
      }
      // An error whose message is an object: pino writes that object as the line's message, one JSON
      // value, where a field leading back to it is `[Circular]`.
      let message = text === undefined ? msg : redact.whole(text);
      if (textMessage.asText) {
        if (message === undefined && textMessage.field) {
          const field = messageField(obj, messageKey);
          if (field !== undefined) {
            obj = field.rest;
            message =
              field.value !== null && typeof field.value === 'object'
                ? redact.whole(field.value)
                : field.value;
          }
        }
        if (message !== undefined) message = asText(this as Logger, message);
      }
      return write.call(this, obj, message, num);
    } catch {
      drops.add('log_error');
      return undefined;
    }
  };
}

/** How a line's message is written when the line format indexes it as text. */
interface TextMessage {
  /** A message that is no string is written as its JSON text. */
  readonly asText: boolean;
  /** So is a line's field named like the message, when no redact path may reach under it. */
  readonly field: boolean;
}

/**
 * The line's field named like the message, when it is no string (a string is the message as it
 * is), and the line's other fields; undefined when there is none.
 */
function messageField(obj: unknown, messageKey: string): { rest: object; value: unknown } | undefined {
  if (obj === null || typeof obj !== 'object' || obj instanceof Error) return undefined;
  const fields = obj as Record<string, unknown>;
  const value = Object.hasOwn(fields, messageKey) ? fields[messageKey] : undefined;
  if (value === undefined || typeof value === 'string') return undefined;
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) if (key !== messageKey) setOwn(rest, key, fields[key]);
  return { rest, value };
}

/** A message as pino writes it as a field, as text: an object's JSON, `[Circular]` where it leads back. */
function asText(logger: Logger, message: unknown): string {
  if (typeof message === 'string') return message;
  const internals = logger as unknown as Record<symbol, unknown>;
  const s = pinoSymbolsOf(logger);
  const stringify = internals[s.stringifySym] as (value: unknown, safe: unknown) => string | undefined;
  return stringify(message, internals[s.stringifySafeSym]) ?? String(message);
}

/**
 * An error of another realm, which fails pino's `instanceof Error`. Every error has a `stack`: a
 * line's fields without one are told apart by that lookup, before the runtime is asked.
 */
function isForeignError(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    'stack' in value &&
    isError(value)
  );
}

/**
 * The message pino's write step takes from the line's error when it is given none (a string, or an
 * object it writes as JSON); undefined when the line is given one, or has no error, or the error's
 * message is neither.
 */
function errorMessage(
  obj: unknown,
  msg: unknown,
  errorKey: string,
  messageKey: string,
): string | object | undefined {
  if (msg !== undefined || obj === null || typeof obj !== 'object') return undefined;
  let err: unknown = obj;
  if (!(obj instanceof Error)) {
    const fields = obj as Record<string, unknown>;
    err = fields[errorKey];
    if (!err || fields[messageKey] !== undefined) return undefined;
  }
  const text = (err as { message?: unknown }).message;
  return typeof text === 'string' || (typeof text === 'object' && text !== null) ? text : undefined;
}

/** Where a user field is written when it has the name of a field the line holds itself. */
interface OwnField {
  readonly name: string;
  /** False where an object merges with the line's own (an ECS `service: { team }`). */
  readonly always: boolean;
}

/**
 * The fields a line holds itself: the level and time keys and the fields on every line (service,
 * entity, unified service tags), which a user field of the same name would follow in the line and
 * replace once parsed, moved to `log.<name>` or where the format says; and the names a format gives
 * (see `LogFormat.ownFields`).
 */
function ownFields(
  keys: LogKeys,
  base: Readonly<Record<string, unknown>>,
  formats: readonly LogFormat[],
): Map<string, OwnField> {
  // The first format that names a field decides where it goes, as with the line's keys.
  const renamed: Record<string, string> = Object.assign({}, ...formats.map((f) => f.ownFields).reverse());
  const out = new Map<string, OwnField>();
  for (const [name, to] of Object.entries(renamed)) out.set(name, { name: to, always: false });
  for (const name of [keys.levelKey, keys.timeKey, ...Object.keys(base)])
    out.set(name, {
      name: Object.hasOwn(renamed, name) ? (renamed[name] as string) : `log.${name}`,
      always: true,
    });
  return out;
}

/** The name a user field is written under: its own, unless the line holds one of that name. */
function writtenKey(key: string, value: unknown, owned: ReadonlyMap<string, OwnField>): string {
  const own = owned.get(key);
  if (own === undefined) return key;
  return own.always || !writtenAsObject(value) ? own.name : key;
}

/**
 * Whether the line has `value` as an object: not an array, nor an object its `toJSON` writes as a
 * string (a URL, a Date, a database driver's id), which would sit where the line's own is an object.
 */
function writtenAsObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON !== 'function') return true;
    const json: unknown = toJSON.call(value);
    return typeof json === 'object' && json !== null && !Array.isArray(json);
  } catch {
    // pino writes no line for it.
    return true;
  }
}

/**
 * A user field named like one the line holds itself (Datadog's `status`, New Relic's
 * `entity.name`) would follow the real one in the line and win when parsed; it moves instead. A
 * line without one costs a lookup per field.
 */
function protectReservedKeys(
  next: (obj: Record<string, unknown>) => Record<string, unknown>,
  owned: ReadonlyMap<string, OwnField>,
): (obj: Record<string, unknown>) => Record<string, unknown> {
  const holdsOwned = (out: Record<string, unknown>): boolean => {
    for (const key in out) {
      if (!owned.has(key) || !Object.hasOwn(out, key)) continue;
      if (writtenKey(key, out[key], owned) !== key) return true;
    }
    return false;
  };
  return (obj) => {
    const out = next(obj);
    if (!holdsOwned(out)) return out;
    const moved: Record<string, unknown> = {};
    for (const key of Object.keys(out)) {
      Object.defineProperty(moved, writtenKey(key, out[key], owned), {
        value: out[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return moved;
  };
}
