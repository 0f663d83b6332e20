import { ErrorCodes, SightlineConfigError, describeValue } from '../diag/errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Strict environment parsers: a malformed value fails `init()` instead of being guessed at.
 *
 * A value wrapped in quotes fails too: Docker's `--env-file`, Compose's `env_file` and a manifest's
 * quoted YAML keep quotes a shell would have taken off, and none of the variables read here holds
 * them, while kept they would send a key every request refuses or pick an environment nobody set.
 * Its text is not shown, as it may be a credential.
 */
export function envString(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === '') return undefined;
  if (wrappedInQuotes(value)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      name,
      `${name} is wrapped in quotes, which the file or manifest that set it kept; remove them`,
    );
  }
  return value;
}

/** `"text"` or `'text'`: quotes a shell would have taken off, kept by a file or manifest. */
export function wrappedInQuotes(text: string): boolean {
  const first = text[0];
  return text.length >= 2 && (first === '"' || first === "'") && text.endsWith(first);
}

/**
 * A variable as it is, blanks and all, as a password may hold them, but for the line breaks that
 * end the file it was made from: a Secret made with `kubectl create secret --from-file` keeps
 * them, and no password typed ends in one. One of blanks alone is unset, as {@link envString}
 * reads it: a template left it empty, and credentials given elsewhere must still apply.
 */
export function envVerbatim(env: Env, name: string): string | undefined {
  const value = env[name]?.replace(/[\r\n]+$/, '');
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A number from `min` to `max`; with `integer`, a whole one, as the matching option in code takes. */
export function envNumber(
  env: Env,
  name: string,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      name,
      `${name}=${describeValue(raw)} is not ${kind} from ${min} to ${max}; set it to such a number or unset it`,
    );
  }
  return value;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

export function envBoolean(env: Env, name: string): boolean | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new SightlineConfigError(
    ErrorCodes.CONFIG_INVALID_ENV,
    name,
    `${name}=${describeValue(raw)} is not a boolean; use true or false`,
  );
}

/**
 * A comma-separated list; one of commas and blanks alone (`${A},${B}` with neither set) is unset, as
 * an empty variable is: read as an empty list, SIGHTLINE_EXPORTERS would choose no adapter.
 */
export function envList(env: Env, name: string): string[] | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return entries.length === 0 ? undefined : entries;
}

/**
 * Parses `DD_TAGS`: `key:value` pairs separated by commas or spaces, as dd-trace reads it. With a
 * comma in it dd-trace splits at commas alone, then each entry at its first colon, and trims key
 * and value, so `env: prod, team: a` is env:prod there and `team:core payments,env:prod` puts
 * team:"core payments" on its spans, `note:Owner: payments` note:"Owner: payments"; the blanks
 * beside that colon are dropped and those inside a value kept to read it alike.
 */
export function parseTagList(text: string): string[] {
  if (!text.includes(',')) return text.split(/\s+/).filter((t) => t !== '');
  const out: string[] = [];
  for (const entry of text.split(',')) {
    const colon = entry.indexOf(':');
    const tag = colon < 0 ? entry.trim() : `${entry.slice(0, colon).trim()}:${entry.slice(colon + 1).trim()}`;
    if (tag !== '') out.push(tag);
  }
  return out;
}

/**
 * Parses `key1=value1,key2=value2` as in OTEL_RESOURCE_ATTRIBUTES (keys and values
 * percent-decoded). Empty entries (a trailing comma left by a template) are skipped, as the
 * OpenTelemetry SDKs skip them.
 */
export function envKeyValues(env: Env, name: string): Record<string, string> | undefined {
  const raw = envString(env, name);
  if (raw === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_ENV,
        name,
        `${name} holds ${describeValue(pair)}, which is not key=value; use key1=value1,key2=value2`,
      );
    }
    out[percentDecoded(pair.slice(0, eq).trim())] = percentDecoded(pair.slice(eq + 1).trim());
  }
  return out;
}

/** Keys are encoded as values are: the specification asks for `,` and `=` to be, in either. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Keep the raw text: a stray % is more likely literal than an encoding.
    return text;
  }
}
