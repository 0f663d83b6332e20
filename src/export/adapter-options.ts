import { type Env, envString } from '../config/env.js';
import { describeValue, type ErrorCode, ErrorCodes, SightlineConfigError } from '../diag/errors.js';
import type { ChannelLimits, ChannelOptions } from './spec.js';

export type AdapterEnv = Env;

/** A variable's trimmed value, or `undefined` when it is unset or blank. */
export function envValue(env: AdapterEnv | undefined, name: string): string | undefined {
  return env === undefined ? undefined : envString(env, name);
}

/**
 * The environment an adapter factory reads (its `env` option, for tests), `process.env` when
 * absent; anything but an object fails at setup, naming the option.
 */
export function adapterEnv(option: string, env: unknown): AdapterEnv {
  if (env === undefined) return process.env;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      option,
      `Option ${option} is ${describeValue(env)}; use an object like process.env`,
    );
  }
  return env as AdapterEnv;
}

// Without diag, random and now: sightline gives a channel its own diagnostics, jitter and clock, and
// a user's would take its warnings away or change its retry budgets and deadlines.
const CHANNEL_KEYS: readonly (keyof ChannelOptions)[] = [
  'queueSize',
  'queueBytes',
  'flushIntervalMs',
  'timeoutMs',
  'gzip',
  'concurrency',
  'shutdownTimeoutMs',
  'retry',
  'maxResponseBytes',
];
const RETRY_KEYS = ['initialDelayMs', 'maxDelayMs', 'maxElapsedMs'];

/**
 * An adapter's `channel` option: `{}` when absent; anything but an object, or a key the channel
 * does not know (which would leave that setting at its default unnoticed), fails at setup.
 */
export function adapterChannel(option: string, input: unknown): ChannelOptions {
  if (input === undefined) return {};
  checkObject(option, input, CHANNEL_KEYS);
  const retry = (input as ChannelOptions).retry;
  if (retry !== undefined) checkObject(`${option}.retry`, retry, RETRY_KEYS);
  return input as ChannelOptions;
}

const LIMIT_KEYS: readonly (keyof ChannelLimits)[] = ['maxItems', 'maxBytes', 'maxCompressedBytes'];

/**
 * An adapter's request limits keyed by signal (otlp's `limits`): `{}` when absent; a signal or limit
 * it does not know, which would leave that signal's requests at their default size unnoticed, or a
 * limit that is no whole number of at least 1, fails at the factory, named as written.
 */
export function adapterLimits<S extends string>(
  option: string,
  input: unknown,
  signals: readonly S[],
): Partial<Record<S, Partial<ChannelLimits>>> {
  if (input === undefined) return {};
  checkObject(option, input, signals);
  for (const [signal, limits] of Object.entries(input as Record<string, unknown>)) {
    if (limits === undefined) continue;
    checkObject(`${option}.${signal}`, limits, LIMIT_KEYS);
    for (const key of LIMIT_KEYS)
      optionalPositiveInt(`${option}.${signal}.${key}`, (limits as Record<string, unknown>)[key]);
  }
  return input as Partial<Record<S, Partial<ChannelLimits>>>;
}

/** Fails on an `input` that is no object, or has a key not in `known`. */
export function checkObject(option: string, input: unknown, known: readonly string[]): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      option,
      `Option ${option} is ${describeValue(input)}; use an object`,
    );
  }
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_UNKNOWN_OPTION,
        `${option}.${key}`,
        `Option ${option}.${key} is not known; use ${known.join(', ')}`,
      );
    }
  }
}

/** A whole number of at least 1, or `undefined` when absent. */
export function optionalPositiveInt(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new SightlineConfigError(
      invalidCode(value, 'number'),
      option,
      `Option ${option} is ${describeValue(value)}; use a whole number of at least 1`,
    );
  }
  return value;
}

/** An adapter option's error: by default one of the right type the option does not take. */
export function invalidOption(
  option: string,
  message: string,
  code: ErrorCode = ErrorCodes.CONFIG_INVALID_VALUE,
): SightlineConfigError {
  return new SightlineConfigError(code, option, message);
}

/**
 * The code for a value an option does not take: `SL_ERR_CONFIG_INVALID_TYPE` when it is not of the
 * type the option takes (`'5'` for a number), `SL_ERR_CONFIG_INVALID_VALUE` when it is (`0` for a
 * number of at least 1), as the README tells the two apart.
 */
export function invalidCode(value: unknown, type: 'string' | 'number' | 'boolean'): ErrorCode {
  return typeof value === type ? ErrorCodes.CONFIG_INVALID_VALUE : ErrorCodes.CONFIG_INVALID_TYPE;
}
