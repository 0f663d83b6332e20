import { type Env, envString } from '../config/env.js';
import { describeValue, ErrorCodes, SightlineConfigError } from '../diag/errors.js';
import type { ChannelOptions } from './spec.js';

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
  'diag',
  'random',
  'now',
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

function checkObject(option: string, input: unknown, known: readonly string[]): void {
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
      ErrorCodes.CONFIG_INVALID_VALUE,
      option,
      `Option ${option} is ${describeValue(value)}; use a whole number of at least 1`,
    );
  }
  return value;
}
