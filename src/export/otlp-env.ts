import { wrappedInQuotes } from '../config/env.js';
import { describeValue, ErrorCodes, SightlineConfigError } from '../diag/errors.js';
import { MAX_TIMER_MS } from '../internal/timer-ms.js';
import { type AdapterEnv, envValue } from './adapter-options.js';

type OtlpSignal = 'traces' | 'metrics' | 'logs';

/** A file named by a variable, read when the adapter sets up. */
export interface EnvFile {
  readonly variable: string;
  readonly path: string;
}

/** The files of `OTEL_EXPORTER_OTLP_[<SIGNAL>_]CERTIFICATE`, `_CLIENT_CERTIFICATE` and `_CLIENT_KEY`. */
export interface TlsFiles {
  readonly ca?: EnvFile;
  readonly cert?: EnvFile;
  readonly key?: EnvFile;
}

/** `OTEL_EXPORTER_OTLP_<SIGNAL>_<what>` when set, else `OTEL_EXPORTER_OTLP_<what>`, with its name. */
export function otlpVariable(
  env: AdapterEnv | undefined,
  signal: OtlpSignal,
  what: string,
): { name: string; value: string } | undefined {
  const specific = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${what}`;
  const s = envValue(env, specific);
  if (s !== undefined) return { name: specific, value: s };
  const general = `OTEL_EXPORTER_OTLP_${what}`;
  const g = envValue(env, general);
  return g === undefined ? undefined : { name: general, value: g };
}

/**
 * The request timeout `OTEL_EXPORTER_OTLP_[<SIGNAL>_]TIMEOUT` gives a signal, in ms; undefined when unset.
 *
 * @throws SightlineConfigError `SL_ERR_CONFIG_INVALID_ENV` naming the variable, for a value that is
 * not a whole number of milliseconds a timer can wait.
 */
export function otlpTimeoutFromEnv(env: AdapterEnv | undefined, signal: OtlpSignal): number | undefined {
  const v = otlpVariable(env, signal, 'TIMEOUT');
  if (v === undefined) return undefined;
  const n = Number(v.value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TIMER_MS) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_ENV,
      v.name,
      `${v.name}=${describeValue(v.value)} is not a whole number of milliseconds; use e.g. 10000`,
    );
  }
  return n;
}

/**
 * Whether `OTEL_EXPORTER_OTLP_[<SIGNAL>_]COMPRESSION` asks for gzip (`gzip`) or not (`none`);
 * undefined when unset.
 *
 * @throws SightlineConfigError `SL_ERR_CONFIG_INVALID_ENV` naming the variable, for another value.
 */
export function otlpGzipFromEnv(env: AdapterEnv | undefined, signal: OtlpSignal): boolean | undefined {
  const v = otlpVariable(env, signal, 'COMPRESSION');
  if (v === undefined) return undefined;
  const lower = v.value.toLowerCase();
  if (lower === 'gzip' || lower === 'none') return lower === 'gzip';
  throw new SightlineConfigError(
    ErrorCodes.CONFIG_INVALID_ENV,
    v.name,
    `${v.name}=${describeValue(v.value)} is not supported; use gzip or none`,
  );
}

/** The certificate files the standard variables name for a signal; read them with `readTlsFiles` at setup. */
export function otlpTlsFilesFromEnv(env: AdapterEnv | undefined, signal: OtlpSignal): TlsFiles {
  const file = (what: string): EnvFile | undefined => {
    const v = otlpVariable(env, signal, what);
    return v && { variable: v.name, path: v.value };
  };
  return { ca: file('CERTIFICATE'), cert: file('CLIENT_CERTIFICATE'), key: file('CLIENT_KEY') };
}

/** `/v1/<signal>` under a base URL, keeping any path prefix (`https://host/otlp` → `/otlp/v1/traces`). */
export function underBase(base: string | URL, signal: string): string | URL {
  let parsed: URL;
  try {
    parsed = new URL(String(base));
  } catch {
    return base; // resolveEndpoint reports it, naming the option.
  }
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return parsed;
}

/**
 * The URL the standard variables give a signal, as the OpenTelemetry SDKs read them:
 * OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT as it is, else OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/<signal>`
 * appended; `option` names the variable, for errors.
 */
export function otlpEndpointFromEnv(
  env: AdapterEnv | undefined,
  signal: OtlpSignal,
): { option: string; url: string | URL } | undefined {
  const specific = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`;
  const s = envValue(env, specific);
  if (s !== undefined) return { option: specific, url: s };
  const g = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (g !== undefined) return { option: 'OTEL_EXPORTER_OTLP_ENDPOINT', url: underBase(g, signal) };
  return undefined;
}

/**
 * The headers the standard variables give a signal, as the OpenTelemetry SDKs read them:
 * OTEL_EXPORTER_OTLP_HEADERS, with OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS winning key by key, and the
 * headers given in code, named lower-cased in `replaced`, over both.
 */
export function otlpHeadersFromEnv(
  env: AdapterEnv | undefined,
  signal: OtlpSignal,
  replaced: readonly string[] = [],
  unset?: SightlineConfigError[],
): Record<string, string> {
  const general = 'OTEL_EXPORTER_OTLP_HEADERS';
  const specific = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`;
  const own = parseOtlpHeaders(specific, envValue(env, specific), replaced, unset);
  return {
    ...parseOtlpHeaders(general, envValue(env, general), [...replaced, ...Object.keys(own)], unset),
    ...own,
  };
}

/** A header name as HTTP allows it (a token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/**
 * Parses `OTEL_EXPORTER_OTLP_HEADERS`-style text (`k=v,k2=v2`, W3C baggage syntax, keys and values
 * percent-decoded, blanks around them ignored, a value in quotes refused) into lower-cased header
 * names. Errors name the variable and the entry's position, never its text: these values are
 * credentials. A header a variable left unset made ({@link leftUnset}) goes to `unset` when given,
 * for the adapter to fail in an environment that uses it only, as for a missing API key.
 *
 * @example
 * parseOtlpHeaders('OTEL_EXPORTER_OTLP_HEADERS', 'api-key=abc%3D,x-tenant=a');
 * // { 'api-key': 'abc=', 'x-tenant': 'a' }
 */
export function parseOtlpHeaders(
  variable: string,
  raw: string | undefined,
  replaced: readonly string[] = [],
  unset?: SightlineConfigError[],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  const entries = raw.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = (entries[i] as string).trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const name = eq > 0 ? decode(entry.slice(0, eq).trim()) : undefined;
    const raw = entry.slice(eq + 1).trim();
    // Quotes are not in the baggage format: kept by an env file, they would go in the header.
    const value = eq > 0 && !wrappedInQuotes(raw) ? decode(raw) : undefined;
    if (name === undefined || value === undefined || !HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) {
      throw new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_ENV,
        variable,
        `entry ${i + 1} of ${variable} is not a valid name=value header (value ${describeValue(entry, true)}); ` +
          'use name1=value1,name2=value2 with percent-encoded values',
      );
    }
    // One a header given in code or per signal replaces is never sent: a template's left empty for
    // every service beside one's own fails nothing.
    if (leftUnset(name, value) && !replaced.includes(name.toLowerCase())) {
      const error = new SightlineConfigError(
        ErrorCodes.CONFIG_INVALID_ENV,
        variable,
        `entry ${i + 1} of ${variable} (header ${JSON.stringify(name.slice(0, 64))}) holds no credential, ` +
          'as a variable left unset or empty makes it; set that variable or remove the entry',
      );
      if (unset === undefined) throw error;
      unset.push(error);
    }
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** `undefined` or `null` written out, alone or after an authorization scheme. */
const UNSET_TEXT = /^(?:(?:bearer|basic|apikey|token)\s+)?(?:undefined|null)$/i;
const SCHEME_ALONE = /^(?:bearer|basic|apikey|token)$/i;
const UNSET_WORD = /^(?:undefined|null)$/i;
/** An authorization's scheme, any token as HTTP allows (`Api-Token`, `Splunk`), and its credentials. */
const SCHEME_AND_CREDENTIALS = /^[!#$%&'*+.^_`|~0-9a-z-]+\s+(\S+)$/i;
/** The schemes whose credentials are base64("user:password"): Basic, and Elastic's ApiKey (id:key). */
const PAIR_SCHEME = /^(?:basic|apikey)\s/i;
const BASE64 = /^[a-z0-9+/]+={0,2}$/i;

/**
 * Whether a header's value is what a variable left unset or empty makes of it: blank, `undefined` or
 * `null` as a template literal writes them (`Bearer ${process.env.TOKEN}`), or an authorization
 * scheme alone, or before `undefined`, or before base64 of a pair with a part so made
 * (`Basic ${btoa(`${USER}:${PASSWORD}`)}`). Sent, it is refused on every request, and nothing
 * reaches the backend.
 */
export function leftUnset(name: string, value: string): boolean {
  const text = value.trim();
  if (text === '' || UNSET_TEXT.test(text)) return true;
  const lower = name.toLowerCase();
  if (lower !== 'authorization' && lower !== 'proxy-authorization') return false;
  if (SCHEME_ALONE.test(text)) return true;
  const credentials = SCHEME_AND_CREDENTIALS.exec(text)?.[1];
  if (credentials === undefined) return false;
  if (UNSET_WORD.test(credentials)) return true;
  if (!PAIR_SCHEME.test(text) || !BASE64.test(credentials)) return false;
  const pair = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  if (colon < 0) return false;
  // A user alone, with an empty password, is how some take an API key: not a part left unset.
  const user = pair.slice(0, colon);
  const password = pair.slice(colon + 1);
  return pair === ':' || UNSET_WORD.test(user) || UNSET_WORD.test(password);
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
