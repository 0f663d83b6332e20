import type { SpanContext } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { DropCounter } from '../internal/drops.js';
import { pinoSymbolsOf } from './pino-symbols.js';

/** Where sightline's logger keeps its {@link LineShape}; shared by every copy of the package. */
export const LINE_SHAPE = Symbol.for('sightline.logs.lineShape');

/** What a line written without pino's object walk needs to know of the logger's settings. */
export interface LineShape {
  /** The correlation fields the logger's mixin adds inside a span with this context. */
  correlation(sc: SpanContext): Record<string, unknown>;
  /** The logger's mixin: the correlation fields of the span active when it is called. */
  mixin?: () => object;
  /** The key as pino's formatters would write it (reserved names move to `log.<name>`), or undefined when it could be redacted. */
  keyOf(key: string): string | undefined;
  drops: DropCounter;
}

export type FixedLineLevel = 'info' | 'warn' | 'error';

/**
 * Writes lines of one shape known in advance (the access log: the same keys, string and number
 * values) byte for byte as pino writes them for this logger: the level prefix, time, bindings and
 * ending come from pino's own caches, the key names are escaped once. pino's generic path walks
 * the object twice (redaction, then serialisation), merges the mixin's object into it and checks
 * every value's serialiser; in a served request that cost more than the rest of the line.
 */
export interface FixedLineWriter {
  /**
   * Writes one line; values match the keys by position, and an undefined value is left out as
   * pino leaves it out. Returns false, having written nothing, when pino must write this line.
   */
  write(
    level: FixedLineLevel,
    sc: SpanContext,
    values: readonly (string | number | undefined)[],
    message: string,
  ): boolean;
}

type Internals = Record<symbol, unknown>;

/**
 * A writer for lines with `keys`, or undefined when the logger is not sightline's, a key could be
 * redacted or the stream wants more than the line: those lines go through pino.
 */
export function fixedLineWriter(logger: Logger, keys: readonly string[]): FixedLineWriter | undefined {
  const internals = logger as unknown as Internals;
  const shape = internals[LINE_SHAPE] as LineShape | undefined;
  if (shape === undefined) return undefined;
  const prefixes: string[] = [];
  for (const key of keys) {
    const written = shape.keyOf(key);
    if (written === undefined) return undefined;
    prefixes.push(`,${asString(written)}:`);
  }
  // Set when pino made the logger and never changed after; only the level, the bindings and the
  // mixin (`setBindings` replaces them) are read per line.
  const s = pinoSymbolsOf(logger);
  const stream = internals[s.streamSym] as { write(line: string): void } & Internals;
  // A stream that wants pino's line metadata, or a hook rewriting lines, gets them from pino only.
  if (
    stream[s.needsMetadataGsym] === true ||
    (internals[s.hooksSym] as { streamWrite?: unknown }).streamWrite
  )
    return undefined;
  const time = internals[s.timeSym] as () => string;
  const levelPrefixes = internals[s.lsCacheSym] as Record<number, string>;
  const messagePrefix = `,"${internals[s.messageKeySym]}":`;
  const end = internals[s.endSym] as string;
  const correlationKeys = new Map<string, string | undefined>();

  return {
    write(level, sc, values, message) {
      try {
        // Replaced by setBindings() giving the logger a correlation field, which the mixin writes.
        if (internals[s.mixinSym] !== shape.mixin) return false;
        const num = logger.levels.values[level];
        if (num === undefined || num < logger.levelVal) return true;
        let line = levelPrefixes[num] + time.call(logger) + (internals[s.chindingsSym] as string);
        const correlation = shape.correlation(sc);
        for (const key in correlation) {
          let written = correlationKeys.get(key);
          if (written === undefined) {
            if (correlationKeys.has(key)) return false;
            const k = shape.keyOf(key);
            written = k === undefined ? undefined : `,${asString(k)}:`;
            correlationKeys.set(key, written);
            if (written === undefined) return false;
          }
          const value = correlation[key];
          if (typeof value !== 'string') return false;
          line += written + asString(value);
        }
        for (let i = 0; i < prefixes.length; i++) {
          const value = values[i];
          if (value === undefined) continue;
          line +=
            prefixes[i]! +
            (typeof value === 'string' ? asString(value) : Number.isFinite(value) ? value : 'null');
        }
        line += messagePrefix + asString(message) + end;
        stream.write(line);
      } catch {
        shape.drops.add('log_error');
      }
      return true;
    },
  };
}

/** pino's string escaping, so a line reads the same whichever path wrote it. */
function asString(str: string): string {
  if (str.length > 100) return JSON.stringify(str);
  let result = '';
  let last = 0;
  let found = false;
  let point = 255;
  for (let i = 0; i < str.length && point >= 32; i++) {
    point = str.charCodeAt(i);
    if (point === 34 || point === 92) {
      result += `${str.slice(last, i)}\\`;
      last = i;
      found = true;
    }
  }
  result = found ? result + str.slice(last) : str;
  return point < 32 ? JSON.stringify(str) : `"${result}"`;
}
