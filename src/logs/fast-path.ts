import pino, { type Logger } from 'pino';
import type { DropCounter } from '../internal/drops.js';
import { redactInterpolated } from './interpolation.js';
import type { Redactor } from './redact.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
/** `fatal` always takes pino's own method: it flushes the stream synchronously after the line. */
const DIRECT = new Set<string>(['trace', 'debug', 'info', 'warn', 'error']);
/** Present in pino 8 and later, though missing from its type declarations. */
const msgPrefixSym = (pino.symbols as unknown as Record<string, symbol | undefined>).msgPrefixSym;
const FAST = Symbol('sightline.fastLog');
const WRITE: typeof pino.symbols.writeSym = pino.symbols.writeSym;

/** The logger as the fast path sees it: pino's write step, and its other internals by symbol. */
interface Internals {
  [WRITE]: (obj: object, msg: string, level: number) => void;
}
type LevelMethod = ((this: Internals, ...args: unknown[]) => void) & { [FAST]?: true };

/**
 * `log.info({ ... }, 'message')` is the call services make most. pino's level method gathers rest
 * arguments and formats the message even when there is nothing to interpolate; for that one shape
 * the line goes straight to pino's write step. Every other shape (interpolation arguments, a request
 * or response object, a message prefix), and every `fatal` call, takes pino's own method, so the
 * output is the same.
 *
 * Objects the message interpolates are redacted before pino formats it. Both paths are guarded:
 * a throwing getter read while pino inspects the object costs the line, never the caller. pino
 * replaces the level methods when a logger's level changes; they are wrapped again then, on
 * whichever logger (or child) changed.
 */
export function installFastPath(logger: Logger, drops: DropCounter, redact: Redactor): void {
  if (msgPrefixSym === undefined) return;
  const prefix = msgPrefixSym;
  const install = (target: Logger) => {
    const holder = target as unknown as Record<string, LevelMethod>;
    for (const level of LEVELS) {
      const slow = holder[level];
      if (typeof slow !== 'function' || slow[FAST] === true || !target.isLevelEnabled(level)) continue;
      const value = target.levels.values[level];
      if (value === undefined) continue;
      holder[level] = fastMethod(slow, DIRECT.has(level) ? value : undefined, prefix, drops, redact);
    }
  };
  install(logger);
  logger.on('level-change', (_label, _value, _previous, _previousValue, instance?: Logger) =>
    install(instance ?? logger),
  );
}

/** `level` is undefined when every call takes pino's method. */
function fastMethod(
  slow: LevelMethod,
  level: number | undefined,
  prefix: symbol,
  drops: DropCounter,
  redact: Redactor,
): LevelMethod {
  const method: LevelMethod = function log(this: Internals, o?: unknown, msg?: unknown) {
    try {
      // biome-ignore lint/complexity/noArguments: a rest parameter would allocate on every call.
      const count = arguments.length;
      if (
        level !== undefined &&
        count === 2 &&
        typeof msg === 'string' &&
        typeof o === 'object' &&
        o !== null &&
        typeof (this as unknown as Record<symbol, unknown>)[prefix] !== 'string' &&
        !isHttpMessage(o as Record<string, unknown>)
      ) {
        this[WRITE](o, msg, level);
        return;
      }
      // biome-ignore lint/complexity/noArguments: pino's method gets the arguments as given, but redacted.
      const args = arguments as unknown as unknown[];
      slow.apply(this, (count > 1 && redactInterpolated(args, redact)) || args);
    } catch {
      drops.add('log_error');
    }
  };
  method[FAST] = true;
  return method;
}

/** pino turns a request or response into its serialised summary; those take its own path. */
function isHttpMessage(o: Record<string, unknown>): boolean {
  return Boolean(o.method && o.headers && o.socket) || typeof o.setHeader === 'function';
}
