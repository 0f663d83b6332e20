import type { Logger } from 'pino';
import type { DropCounter } from '../internal/drops.js';
import { reachesError } from './error-fields.js';
import type { Redactor } from './redact.js';

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
}

type ChildOptions = { formatters?: { log?: Formatter }; redact?: unknown; serializers?: unknown };
type ChildMethod = (this: Logger, bindings: Fields, options?: ChildOptions) => Logger;
type SetBindingsMethod = (this: Logger, bindings: Fields) => void;

/** On a child whose lines are formatted otherwise than its parent's: the formatters it writes with. */
const LINE_FORMAT = Symbol('sightline.logs.lineFormat');
const OWN_FORMAT = Symbol('sightline.logs.ownFormat');
type Held = Record<symbol, Formatter | undefined>;

/**
 * pino writes a child's bindings once, when the child is made (or replaced, by `setBindings`),
 * without the log formatter: they are prepared as a line's fields are on the way in. Bindings or
 * options pino refuses (none, a getter that throws, an unknown level) give the parent back, or leave
 * the bindings as they were, counted as `log_error`, rather than an error in the caller's code.
 * A child's own `redact` paths are added to the configured ones rather than replacing them, and
 * one that may apply under `err` keeps the line's error there, as a configured one does.
 * A child's own `formatters.log` would replace the one that redacts the line: the line it returns
 * goes through that one after it. Its own serializers run after both, on what they redacted: what
 * they return is redacted in turn. Children inherit both methods through the prototype chain.
 */
export function guardChildren(logger: Logger, lines: ChildLines, drops: DropCounter): void {
  const { prepare, formatLine, redactPaths, redact } = lines;
  const holder = logger as unknown as { child: ChildMethod; setBindings: SetBindingsMethod };
  const prepared = (bindings: Fields) =>
    typeof bindings === 'object' && bindings !== null ? prepare(bindings) : bindings;
  const child = holder.child;
  holder.child = function guardedChild(this: Logger, bindings, requested) {
    try {
      const options = withRedactedSerializers(withPaths(requested, redactPaths), redact);
      const parent = this as unknown as Held;
      const inherited = parent[LINE_FORMAT] ?? formatLine;
      const paths = pathsOf(options?.redact);
      const line = paths === undefined ? inherited : reachesError(paths) ? prepare : formatLine;
      const formatters = options?.formatters;
      const given = formatters?.log;
      if (typeof given !== 'function' && line === inherited)
        return child.call(this, prepared(bindings), options);
      // A child given redact paths alone keeps the formatter of its parent's.
      const own = typeof given === 'function' ? given : parent[OWN_FORMAT];
      const log = own === undefined ? line : (obj: Fields) => line(own(obj));
      const made = child.call(this, prepared(bindings), { ...options, formatters: { ...formatters, log } });
      Object.defineProperty(made, LINE_FORMAT, { value: line });
      Object.defineProperty(made, OWN_FORMAT, { value: own });
      return made;
    } catch {
      drops.add('log_error');
      return this;
    }
  };
  const setBindings = holder.setBindings;
  holder.setBindings = function guardedSetBindings(this: Logger, bindings) {
    try {
      setBindings.call(this, prepared(bindings));
    } catch {
      drops.add('log_error');
    }
  };
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
 * The child's serializers, each with what it returns redacted as the field it writes would be:
 * one can reach past what the line's redaction walked (a Fastify request's `raw.headers`).
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
