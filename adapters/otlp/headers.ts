import { ErrorCodes, SightlineConfigError, describeType, describeValue } from '../../src/diag/errors.js';
import { HEADER_NAME, leftUnset } from '../../src/export/index.js';

/**
 * Checks headers given in code: token names, single-line string values. Never echoes a value, nor
 * headers given as text (the variables' `name=value` form), which holds the values. One a variable
 * left unset made (`Bearer ${process.env.OTLP_TOKEN}`) goes to `unset`, for the adapter to fail in
 * an environment that uses it only: on a development machine, the production token is not set.
 */
export function validateHeaders(option: string, headers: unknown, unset: SightlineConfigError[]): void {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      option,
      `otlp(): option ${option} is ${describeType(headers)}; pass an object of header names to string values`,
    );
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_VALUE,
        `${option}.${name}`,
        `otlp(): header ${JSON.stringify(name.slice(0, 64))} has an invalid name or value (${describeValue(value, true)}); ` +
          'use a plain token name and a single-line string value',
      );
    }
    if (leftUnset(name, value)) {
      unset.push(
        new SightlineConfigError(
          ErrorCodes.CONFIG_INVALID_VALUE,
          `${option}.${name}`,
          `otlp(): header ${JSON.stringify(name.slice(0, 64))} holds no credential (${describeValue(value, true)}), ` +
            'as a variable left unset or empty makes it; set that variable or remove the header',
        ),
      );
    }
  }
}
