/**
 * The catalogue of coded errors. sightline throws only at setup (`init()`, adapter factories,
 * `createDetector`); recording, logging, tracing, exporting and shutdown never throw.
 */
export const ErrorCodes = {
  CONFIG_INVALID_TYPE: 'SL_ERR_CONFIG_INVALID_TYPE',
  CONFIG_INVALID_VALUE: 'SL_ERR_CONFIG_INVALID_VALUE',
  CONFIG_UNKNOWN_OPTION: 'SL_ERR_CONFIG_UNKNOWN_OPTION',
  CONFIG_INVALID_ENV: 'SL_ERR_CONFIG_INVALID_ENV',
  CONFIG_MISSING_CREDENTIALS: 'SL_ERR_CONFIG_MISSING_CREDENTIALS',
  CONFIG_INSECURE_ENDPOINT: 'SL_ERR_CONFIG_INSECURE_ENDPOINT',
  CONFIG_INVALID_URL: 'SL_ERR_CONFIG_INVALID_URL',
  CONFIG_MISSING_DEPENDENCY: 'SL_ERR_CONFIG_MISSING_DEPENDENCY',
  CONFIG_INVALID_ADAPTER: 'SL_ERR_CONFIG_INVALID_ADAPTER',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | `SL_ERR_${string}`;

/**
 * The names of an error's classes, under a registered symbol: the package's two copies (ESM beside
 * CJS) then know each other's errors, so `instanceof` holds across them and init() passes on the
 * coded error an adapter the other copy made throws. Names are given, not read: a minifier renames
 * classes.
 */
const CLASSES = Symbol.for('sightline.error.classes');

/** Marks `error` as an instance of the class named `name`, for the other copy's `instanceof`. */
export function markClass(error: Error, name: string): void {
  const marked = (error as { [CLASSES]?: string[] })[CLASSES];
  if (marked) marked.push(name);
  else Object.defineProperty(error, CLASSES, { value: [name] });
}

function isMarked(value: unknown, name: string): boolean {
  const marked = (value as { [CLASSES]?: unknown } | null | undefined)?.[CLASSES];
  return Array.isArray(marked) && marked.includes(name);
}

/** Base class of every error sightline throws; `code` is stable and documented. */
export class SightlineError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(`${message} [${code}]`);
    this.name = 'SightlineError';
    this.code = code;
    markClass(this, 'SightlineError');
  }
}

/** A configuration mistake found at `init()` or in an adapter factory. */
export class SightlineConfigError extends SightlineError {
  /** The option (or environment variable) at fault. */
  readonly option: string;
  constructor(code: ErrorCode, option: string, message: string) {
    super(code, message);
    this.name = 'SightlineConfigError';
    this.option = option;
    markClass(this, 'SightlineConfigError');
  }
}

/**
 * Makes `instanceof type` hold for the other copy's errors its constructor marked with `name`
 * (see {@link markClass}). A subclass inherits this: only the class itself takes them.
 */
export function shareClass(type: abstract new (...args: never[]) => Error, name: string): void {
  Object.defineProperty(type, Symbol.hasInstance, {
    value: function hasInstance(this: unknown, value: unknown): boolean {
      return (
        Function.prototype[Symbol.hasInstance].call(this, value) || (this === type && isMarked(value, name))
      );
    },
  });
}

shareClass(SightlineError, 'SightlineError');
shareClass(SightlineConfigError, 'SightlineConfigError');

/** Describes a value for an error message without ever echoing a secret or a huge value. */
export function describeValue(value: unknown, secret = false): string {
  if (secret) return '<redacted>';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return describeType(value);
}

/** Names only the kind of a value, for values that may be anything, a credential included. */
export function describeType(value: unknown): string {
  if (value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
