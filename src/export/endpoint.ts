import { isIP } from 'node:net';
import { ErrorCodes, SightlineConfigError } from '../diag/errors.js';

/**
 * True for loopback hosts: `localhost`, 127.0.0.0/8, `::1` (bracketed or not) and IPv4-mapped
 * 127.x addresses. Names are not resolved: only these literal forms count.
 *
 * @example
 * isLoopback('127.0.0.1'); // true
 * isLoopback('[::1]');     // true
 * isLoopback('collector'); // false
 */
export function isLoopback(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    // IPv4-mapped, as the WHATWG URL parser writes it: ::ffff:7f00:1 for 127.0.0.1.
    const mapped = /^::ffff:(?:7f[0-9a-f]{2}:[0-9a-f]{1,4}|127\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null;
  }
  return false;
}

/** Options for {@link resolveEndpoint}. */
export interface EndpointOptions {
  /** Whether requests to this endpoint carry credentials (API key, auth header). */
  readonly credentials: boolean;
}

/**
 * Validates an adapter's endpoint option at setup: an absolute `http:`/`https:` URL, and `https:`
 * whenever credentials are sent to a non-loopback host. Error messages name the option and show the
 * URL without user info or query string, which may hold keys.
 *
 * @throws SightlineConfigError `SL_ERR_CONFIG_INVALID_URL` or `SL_ERR_CONFIG_INSECURE_ENDPOINT`.
 * @example
 * const url = resolveEndpoint('datadog.site', 'https://api.datadoghq.eu/api/v2/series', { credentials: true });
 */
export function resolveEndpoint(option: string, url: string | URL, options: EndpointOptions): URL {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_URL,
      option,
      `Option ${option} is not a valid absolute URL (${safeText(url)}); use a full URL such as https://host:port/path`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INVALID_URL,
      option,
      `Option ${option} uses the scheme ${JSON.stringify(parsed.protocol)}; use an http:// or https:// URL`,
    );
  }
  const withCredentials = options.credentials || parsed.username !== '' || parsed.password !== '';
  if (parsed.protocol === 'http:' && withCredentials && !isLoopback(parsed.hostname)) {
    throw new SightlineConfigError(
      ErrorCodes.CONFIG_INSECURE_ENDPOINT,
      option,
      `Option ${option} (${parsed.origin}${parsed.pathname}) would send credentials over plain HTTP; ` +
        'use https://, or plain http:// only to a loopback address (localhost, 127.0.0.1, ::1)',
    );
  }
  return parsed;
}

/** Shows a malformed URL without anything that may be a secret: no user info, query or fragment. */
function safeText(value: unknown): string {
  if (typeof value !== 'string') return `a ${typeof value}`;
  // User info can hold '/', '?' and '#' (base64 tokens do): everything up to the last '@' goes
  // before the query is cut, or a password would show through as host or path.
  const at = value.lastIndexOf('@');
  const scheme = value.indexOf('//');
  let text =
    at < 0
      ? value
      : `${scheme >= 0 && scheme < at ? value.slice(0, scheme + 2) : ''}…@${value.slice(at + 1)}`;
  text = text.split(/[?#]/, 1)[0] ?? '';
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return JSON.stringify(text);
}
