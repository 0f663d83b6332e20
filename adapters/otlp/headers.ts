import { ErrorCodes, SightlineConfigError, describeType, describeValue } from '../../src/diag/errors.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/**
 * Parses `OTEL_EXPORTER_OTLP_HEADERS`-style text (`k=v,k2=v2`, W3C baggage syntax, keys and values
 * percent-decoded, blanks around them ignored) into lower-cased header names. Errors name the
 * variable and the entry's position, never its text: these values are credentials.
 *
 * @example
 * parseOtlpHeaders('OTEL_EXPORTER_OTLP_HEADERS', 'api-key=abc%3D,x-tenant=a');
 * // { 'api-key': 'abc=', 'x-tenant': 'a' }
 */
export function parseOtlpHeaders(variable: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  const entries = raw.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = (entries[i] as string).trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const name = eq > 0 ? decode(entry.slice(0, eq).trim()) : undefined;
    const value = eq > 0 ? decode(entry.slice(eq + 1).trim()) : undefined;
    if (name === undefined || value === undefined || !TOKEN.test(name) || /[\r\n\0]/.test(value)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_ENV,
        variable,
        `otlp(): entry ${i + 1} of ${variable} is not a valid name=value header (value ${describeValue(entry, true)}); ` +
          'use name1=value1,name2=value2 with percent-encoded values',
      );
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

/**
 * Checks headers given in code: token names, single-line string values. Never echoes a value, nor
 * headers given as text (the variables' `name=value` form), which holds the values.
 */
export function validateHeaders(option: string, headers: unknown): void {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_TYPE,
      option,
      `otlp(): option ${option} is ${describeType(headers)}; pass an object of header names to string values`,
    );
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_VALUE,
        `${option}.${name}`,
        `otlp(): header ${JSON.stringify(name.slice(0, 64))} has an invalid name or value (${describeValue(value, true)}); ` +
          'use a plain token name and a single-line string value',
      );
    }
  }
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
