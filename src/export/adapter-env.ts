import { type Env, envString } from '../config/env.js';
import { describeValue, ErrorCodes, SightlineConfigError } from '../diag/errors.js';

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
