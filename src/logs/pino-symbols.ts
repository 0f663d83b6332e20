import pino from 'pino';

type PinoSymbols = typeof pino.symbols;

/**
 * On sightline's logger (and, through the prototype chain, its children): the symbols of the pino
 * copy that made it. pino keeps its internals under symbols of its own, not registered ones, so
 * code of a second copy of the package, with a pino of its own (a test runner's `jest.resetModules()`
 * loads both afresh while the instance lives on), finds nothing under its own symbols.
 */
const PINO_SYMBOLS = Symbol.for('sightline.logs.pinoSymbols');

export function markPinoSymbols(logger: object): void {
  Object.defineProperty(logger, PINO_SYMBOLS, { value: pino.symbols });
}

/** The symbols of the pino that made `logger`: its mark, else this copy's. */
export function pinoSymbolsOf(logger: object): PinoSymbols {
  const marked = (logger as Record<symbol, PinoSymbols | undefined>)[PINO_SYMBOLS];
  return typeof marked === 'object' && marked !== null ? marked : pino.symbols;
}

/**
 * On the module-level `log` and its children: the instance's logger each forwards to, undefined
 * before `init()`. Code that works on pino's internals (a request logger that drops the mixin)
 * works on that logger, which has them.
 */
export const FORWARDS_TO = Symbol.for('sightline.logs.forwardsTo');

/** The logger `logger` forwards to, once there is one; else `logger` itself. */
export function loggerBehind<L extends object>(logger: L): L {
  const forward = (logger as Record<symbol, unknown>)[FORWARDS_TO];
  const target: unknown = typeof forward === 'function' ? forward() : undefined;
  return typeof target === 'object' && target !== null ? (target as L) : logger;
}
