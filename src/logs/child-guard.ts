import pino, { type Logger } from 'pino';
import type { DropCounter } from '../internal/drops.js';
import { reachesError } from './error-fields.js';
import { type Redactor, setOwn } from './redact.js';

type Fields = Record<string, unknown>;
type Formatter = (obj: Fields) => Fields;

export interface ChildLines {
  /** A line's fields and a child's bindings, redacted. */
  prepare: Formatter;
  /** The log formatter: `prepare`, with the line's error written as the line format asks. */
  formatLine: Formatter;
  /** The paths configured with `redact`. */
  redactPaths: readonly string[];
  /** What `prepare` redacts a line's fields with. */
  redact: Redactor;
  /** The prepared bindings of a child of `parent`, moved out of the way of fields its lines hold. */
  bindingsUnder(parent: Logger, bindings: Fields): Fields;
  /**
   * Bindings of a child of `parent` that name the line's correlation fields, kept out of the
   * child's bindings and written by the mixin given for it instead; undefined when they name none.
   */
  correlationApart(parent: Logger, bindings: Fields): { bindings: Fields; mixin: unknown } | undefined;
}

/**
 * The child option a request's logger is made with, alone (see `correlatedChild`): its bindings are
 * the request's correlation fields themselves. Registered, as the package's other copy makes it.
 */
export const CORRELATION_BINDINGS = Symbol.for('sightline.logs.correlationBindings');

type ChildOptions = {
  formatters?: { log?: Formatter };
  redact?: unknown;
  serializers?: unknown;
  [CORRELATION_BINDINGS]?: true;
};
type ChildMethod = (this: Logger, bindings: Fields, options?: ChildOptions) => Logger;
type SetBindingsMethod = (this: Logger, bindings: Fields) => void;

/** On a child whose lines are formatted otherwise than its parent's: the formatters it writes with. */
const LINE_FORMAT = Symbol('sightline.logs.lineFormat');
const OWN_FORMAT = Symbol('sightline.logs.ownFormat');
/** The fields a serializer given to it or to a parent writes. */
const SERIALIZED = Symbol('sightline.logs.serialized');
type Held = { [LINE_FORMAT]?: Formatter; [OWN_FORMAT]?: Formatter; [SERIALIZED]?: readonly string[] };
const NONE: readonly string[] = [];

/**
 * pino writes a child's bindings once, when the child is made (or replaced, by `setBindings`),
 * without the log formatter: they are prepared as a line's fields are on the way in. Bindings or
 * options pino refuses (none, a getter that throws, an unknown level) give the parent back, or leave
 * the bindings as they were, counted as `log_error`, rather than an error in the caller's code.
 * A child's own `redact` paths are added to the configured ones rather than replacing them, and
 * one that may apply under `err` keeps the line's error there, as a configured one does.
 * A child's own `formatters.log` would replace the one that redacts the line: the line it returns
 * goes through that one after it. Its own serializers are given their fields as the line has them,
 * and what they return is redacted. Children inherit both methods through the prototype chain.
 */
export function guardChildren(logger: Logger, lines: ChildLines, drops: DropCounter): void {
  const { prepare, formatLine, redactPaths, redact, bindingsUnder, correlationApart } = lines;
  const holder = logger as unknown as { child: ChildMethod; setBindings: SetBindingsMethod };
  const prepared = (parent: Logger, bindings: Fields) =>
    typeof bindings === 'object' && bindings !== null ? bindingsUnder(parent, prepare(bindings)) : bindings;
  const mixinKey = pino.symbols.mixinSym;
  const unguarded = holder.child;
  // pino writes a child's bindings before the mixin's fields: bound to a correlation field (a job's
  // upstream `trace_id`), a child's lines inside a span held it twice, and shippers kept the span's.
  const child = function childApart(this: Logger, bindings: Fields, options?: ChildOptions): Logger {
    if (options?.[CORRELATION_BINDINGS] === true) return unguarded.call(this, bindings);
    const apart =
      typeof bindings === 'object' && bindings !== null ? correlationApart(this, bindings) : undefined;
    if (apart === undefined) return unguarded.call(this, bindings, options);
    const made = unguarded.call(this, apart.bindings, options);
    (made as unknown as Record<symbol, unknown>)[mixinKey] = apart.mixin;
    return made;
  };
  holder.child = function guardedChild(this: Logger, bindings, requested) {
    try {
      const options = withRedactedSerializers(withPaths(requested, redactPaths), redact);
      const parent = this as unknown as Held;
      const inherited = parent[LINE_FORMAT] ?? formatLine;
      const paths = pathsOf(options?.redact);
      const line = paths === undefined ? inherited : reachesError(paths) ? prepare : formatLine;
      const inheritedKeys = parent[SERIALIZED] ?? NONE;
      const serialized = withKeys(inheritedKeys, options?.serializers);
      const formatters = options?.formatters;
      const given = formatters?.log;
      if (typeof given !== 'function' && line === inherited && serialized === inheritedKeys)
        return child.call(this, prepared(this, bindings), options);
      // A child given redact paths or serializers alone keeps the formatter of its parent's.
      const own = typeof given === 'function' ? given : parent[OWN_FORMAT];
      const log = formatterOf(line, own, serialized);
      const made = child.call(this, prepared(this, bindings), {
        ...options,
        formatters: { ...formatters, log },
      });
      Object.defineProperty(made, LINE_FORMAT, { value: line });
      Object.defineProperty(made, OWN_FORMAT, { value: own });
      Object.defineProperty(made, SERIALIZED, { value: serialized });
      return made;
    } catch {
      drops.add('log_error');
      return this;
    }
  };
  const setBindings = holder.setBindings;
  holder.setBindings = function guardedSetBindings(this: Logger, bindings) {
    try {
      const given = prepared(this, bindings);
      const apart = typeof given === 'object' && given !== null ? correlationApart(this, given) : undefined;
      if (apart === undefined) return setBindings.call(this, given);
      setBindings.call(this, apart.bindings);
      (this as unknown as Record<symbol, unknown>)[mixinKey] = apart.mixin;
    } catch {
      drops.add('log_error');
    }
  };
}

/**
 * The log formatter of a child: its own, then the one that redacts the line. A field one of its
 * serializers writes is left to it as the line gave it (a Node request, not its summary), as pino
 * gives it: what the serializer returns is redacted.
 */
function formatterOf(line: Formatter, own: Formatter | undefined, serialized: readonly string[]): Formatter {
  if (serialized.length === 0) return own === undefined ? line : (obj) => line(own(obj));
  return (obj) => {
    const given = own === undefined ? obj : own(obj);
    const out = line(given);
    // A line the redaction left alone is written as given; one it changed is its own copy.
    if (out === given) return out;
    for (const key of serialized)
      if (Object.hasOwn(out, key) && Object.hasOwn(given, key)) setOwn(out, key, given[key]);
    return out;
  };
}

/** `keys` with the fields `serializers` names, or `keys` itself when it names none. */
function withKeys(keys: readonly string[], serializers: unknown): readonly string[] {
  if (serializers === null || typeof serializers !== 'object') return keys;
  const added = Object.keys(serializers).filter((key) => !keys.includes(key));
  return added.length === 0 ? keys : [...keys, ...added];
}

/** The paths of pino's `redact` option (an array, or an object with `paths`); none when unset or malformed. */
function pathsOf(redact: unknown): readonly unknown[] | undefined {
  if (Array.isArray(redact)) return redact;
  const paths =
    redact !== null && typeof redact === 'object' ? (redact as { paths?: unknown }).paths : undefined;
  return Array.isArray(paths) ? paths : undefined;
}

/**
 * pino's `redact` child option replaces the paths the parent redacts: a library's child redacting
 * its own paths would write the ones configured with `redact` in the clear. They are added to the
 * child's, under its censor.
 */
function withPaths(options: ChildOptions | undefined, paths: readonly string[]): ChildOptions | undefined {
  const redact = options?.redact;
  const own = pathsOf(redact);
  // Options pino refuses are left for it to refuse.
  if (paths.length === 0 || own === undefined) return options;
  const all = [...new Set([...own, ...paths])];
  return { ...options, redact: Array.isArray(redact) ? all : { ...(redact as object), paths: all } };
}

/**
 * The child's serializers, each with what it returns redacted as the field it writes would be: it
 * is given the field unredacted, and can reach deep into it (a Fastify request's `raw.headers`).
 */
function withRedactedSerializers(
  options: ChildOptions | undefined,
  redact: Redactor,
): ChildOptions | undefined {
  const given = options?.serializers;
  if (given === null || typeof given !== 'object') return options;
  const serializers: Record<string | symbol, unknown> = {};
  for (const key of Reflect.ownKeys(given)) {
    const serialize: unknown = (given as Record<string | symbol, unknown>)[key];
    serializers[key] =
      typeof serialize === 'function' && typeof key === 'string'
        ? (value: unknown) => redact({ [key]: serialize(value) })[key]
        : serialize;
  }
  return { ...options, serializers };
}
